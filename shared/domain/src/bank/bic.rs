//! Business Identifier Codes (ISO 9362, "SWIFT codes").

use std::fmt;

use crate::bank::iban::Iban;
use crate::country::Country;

/// A syntactically valid BIC, uppercase, 8 or 11 characters. A BIC names a
/// bank branch, not a person, so unlike IBANs it may be printed and logged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bic(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BicError {
    /// Nothing but whitespace.
    Empty,
    /// Not 8 or 11 characters after trimming.
    WrongLength,
    /// Wrong character class in the bank, country, location or branch part.
    InvalidFormat,
    /// The country part is not an assigned country code.
    UnknownCountry,
}

impl fmt::Display for BicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BicError::Empty => f.write_str("BIC is empty"),
            BicError::WrongLength => f.write_str("BIC must be 8 or 11 characters"),
            BicError::InvalidFormat => {
                f.write_str("BIC is not in the bank/country/location/branch format")
            }
            BicError::UnknownCountry => f.write_str("BIC country code is unknown"),
        }
    }
}

impl std::error::Error for BicError {}

/// SWIFT issues BICs with country code XK to Kosovo banks (e.g. the central
/// bank's CBRKXKPR, since 2013) although XK is not an ISO 3166 code, so it is
/// accepted here on top of `crate::country`; rejecting it would make every
/// XK IBAN unpayable.
const NON_ISO_BIC_COUNTRIES: [&str; 1] = ["XK"];

impl Bic {
    /// Trims and uppercases, then checks the layout `AAAA CC LL [BBB]`: bank
    /// code of 4 letters, an assigned country code, 2 alphanumeric location
    /// characters and an optional 3-character alphanumeric branch code.
    ///
    /// Errors are reported in this order: `Empty`, `WrongLength`,
    /// `InvalidFormat`, `UnknownCountry`.
    pub fn parse(input: &str) -> Result<Bic, BicError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(BicError::Empty);
        }
        let length = trimmed.chars().count();
        if length != 8 && length != 11 {
            return Err(BicError::WrongLength);
        }
        if !trimmed.is_ascii() {
            return Err(BicError::InvalidFormat);
        }
        let bic = trimmed.to_ascii_uppercase();
        let bytes = bic.as_bytes();
        let letters =
            |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_uppercase);
        let alphanumeric = |range: std::ops::Range<usize>| {
            bytes[range]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        if !letters(0..4) || !letters(4..6) || !alphanumeric(6..bytes.len()) {
            return Err(BicError::InvalidFormat);
        }
        let country = &bic[4..6];
        if Country::parse(country).is_err() && !NON_ISO_BIC_COUNTRIES.contains(&country) {
            return Err(BicError::UnknownCountry);
        }
        Ok(Bic(bic))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn country(&self) -> &str {
        &self.0[4..6]
    }
}

crate::text_form!(Bic);

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// IBAN prefix → BIC country codes that legitimately differ from it. Banks in
/// these territories hold BICs with their own ISO code but issue IBANs under
/// the parent country's registry prefix (the IBAN registry has no GG, JE, IM,
/// AX or French overseas prefixes, so an IBAN never starts with those), and
/// Monaco accounts may be held with French banks that use their French BIC.
const SHARED_BIC_COUNTRIES: &[(&str, &[&str])] = &[
    // Crown Dependencies: Guernsey, Jersey, Isle of Man.
    ("GB", &["GG", "JE", "IM"]),
    // French overseas departments and collectivities.
    (
        "FR",
        &[
            "GF", "GP", "MQ", "RE", "PM", "YT", "BL", "MF", "NC", "PF", "WF",
        ],
    ),
    // Monaco accounts at French banks.
    ("MC", &["FR"]),
    // Åland Islands.
    ("FI", &["AX"]),
];

/// Cheap consistency check before sending a payment: the BIC's country must
/// be the IBAN's, or one of the known pairs in `SHARED_BIC_COUNTRIES`. It
/// does not prove that the BIC belongs to the bank holding the account.
pub fn bic_matches_iban(bic: &Bic, iban: &Iban) -> bool {
    let bic_country = bic.country();
    let iban_country = iban.country();
    bic_country == iban_country
        || SHARED_BIC_COUNTRIES
            .iter()
            .any(|(iban_prefix, bic_countries)| {
                *iban_prefix == iban_country && bic_countries.contains(&bic_country)
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<&str, BicError>)] = &[
            ("DEUTDEFF", Ok("DEUTDEFF")),
            ("DEUTDEFF500", Ok("DEUTDEFF500")),
            ("NWBKGB2L", Ok("NWBKGB2L")),
            ("BNPAFRPPXXX", Ok("BNPAFRPPXXX")),
            ("deutdeff", Ok("DEUTDEFF")),
            ("DeutDeFf500", Ok("DEUTDEFF500")),
            ("  NWBKGB2L \n", Ok("NWBKGB2L")),
            ("RBKOXKPR", Ok("RBKOXKPR")),
            ("AABAFI22", Ok("AABAFI22")),
            ("BFCORERX", Ok("BFCORERX")),
            ("UBSWCHZH80A", Ok("UBSWCHZH80A")),
            ("", Err(BicError::Empty)),
            ("   ", Err(BicError::Empty)),
            ("DEUTDEF", Err(BicError::WrongLength)),
            ("DEUTDEFF5", Err(BicError::WrongLength)),
            ("DEUTDEFF50", Err(BicError::WrongLength)),
            ("DEUTDEFF5000", Err(BicError::WrongLength)),
            ("DEUT DEFF", Err(BicError::WrongLength)),
            ("DEUTDEFFÄ", Err(BicError::WrongLength)),
            ("DEU1DEFF", Err(BicError::InvalidFormat)),
            ("1234DEFF", Err(BicError::InvalidFormat)),
            ("DEUTD3FF", Err(BicError::InvalidFormat)),
            ("DEUTDEF!", Err(BicError::InvalidFormat)),
            ("DEUTDEFF50!", Err(BicError::InvalidFormat)),
            ("DEUTDEFF 50", Err(BicError::InvalidFormat)),
            ("DEUTDEFÄ", Err(BicError::InvalidFormat)),
            ("DEUTZZFF", Err(BicError::UnknownCountry)),
            ("DEUTUKFF", Err(BicError::UnknownCountry)),
            ("DEUTEUFF", Err(BicError::UnknownCountry)),
        ];
        for (input, expected) in cases {
            let got = Bic::parse(input);
            assert_eq!(
                got.as_ref().map(Bic::as_str),
                expected.as_ref().copied(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn country_and_display() {
        let bic = Bic::parse("deutdeff500").unwrap();
        assert_eq!(bic.country(), "DE");
        assert_eq!(bic.to_string(), "DEUTDEFF500");
        assert_eq!(Bic::parse("RBKOXKPR").unwrap().country(), "XK");
    }

    #[test]
    fn bic_iban_consistency() {
        let cases: &[(&str, &str, bool)] = &[
            ("DEUTDEFF", "DE89370400440532013000", true),
            ("NWBKGB2L", "GB29NWBK60161331926819", true),
            ("BNPAFRPP", "FR1420041010050500013M02606", true),
            ("ABNANL2A", "NL91ABNA0417164300", true),
            ("RBKOXKPR", "XK051212012345678906", true),
            // Crown Dependency BICs with GB IBANs.
            ("RBOSGGSX", "GB29NWBK60161331926819", true),
            ("ABCDJESH", "GB29NWBK60161331926819", true),
            ("ABCDIMD1", "GB29NWBK60161331926819", true),
            // French overseas BICs with FR IBANs.
            ("BFCORERX", "FR1420041010050500013M02606", true),
            ("ABCDGPGP", "FR1420041010050500013M02606", true),
            ("ABCDNCNX", "FR1420041010050500013M02606", true),
            ("ABCDPMPM", "FR1420041010050500013M02606", true),
            // Monaco IBAN at a French bank.
            ("BNPAFRPP", "MC5811222000010123456789030", true),
            ("ABCDMCMC", "MC5811222000010123456789030", true),
            // Åland.
            ("AABAAX22", "FI2112345600000785", true),
            ("AABAFI22", "FI2112345600000785", true),
            // The pairs are one-way: a parent-country IBAN prefix is needed.
            ("ABCDMCMC", "FR1420041010050500013M02606", false),
            ("ABCDFIHH", "GB29NWBK60161331926819", false),
            ("ABCDGGSX", "FR1420041010050500013M02606", false),
            ("BFCORERX", "GB29NWBK60161331926819", false),
            ("DEUTDEFF", "GB29NWBK60161331926819", false),
            ("NWBKGB2L", "IE29AIBK93115212345678", false),
            ("AIBKIE2D", "GB29NWBK60161331926819", false),
            ("BNPAFRPP", "BE68539007547034", false),
            ("UBSWCHZH", "LI21088100002324013AA", false),
        ];
        for (bic, iban, expected) in cases {
            let bic_value = Bic::parse(bic).unwrap_or_else(|e| panic!("{bic}: {e:?}"));
            let iban_value = Iban::parse(iban).unwrap_or_else(|e| panic!("{iban}: {e:?}"));
            assert_eq!(
                bic_matches_iban(&bic_value, &iban_value),
                *expected,
                "{bic} / {iban}"
            );
        }
    }

    #[test]
    fn shared_bic_table_uses_real_codes() {
        for (iban_prefix, bic_countries) in SHARED_BIC_COUNTRIES {
            assert!(Country::parse(iban_prefix).is_ok(), "{iban_prefix}");
            for code in *bic_countries {
                assert!(Country::parse(code).is_ok(), "{code}");
            }
        }
    }
}
