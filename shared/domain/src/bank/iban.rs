//! International Bank Account Numbers (ISO 13616).
//!
//! An IBAN identifies a person's bank account: whoever holds one keeps it in a
//! [`Secret`](crate::secret::Secret), and uses [`mask`] for anything shown.
//! There is deliberately no `Display`.

use std::fmt;

/// A syntactically valid IBAN in electronic form (uppercase, no spaces).
///
/// Only the country, length and mod-97 check are verified; the per-country
/// BBAN layout is not, and nothing here says the account exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IbanError {
    /// Nothing but whitespace.
    Empty,
    /// A character other than ASCII letters, digits and whitespace, or letters
    /// where the check digits belong (or digits where the country belongs).
    InvalidCharacters,
    /// The two-letter prefix is not a country in the SWIFT IBAN registry.
    UnknownCountry,
    /// The registry fixes the length per country.
    WrongLength { expected: usize },
    /// Check digits outside 02..=98, or the mod-97 check fails.
    Checksum,
}

impl fmt::Display for IbanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IbanError::Empty => f.write_str("IBAN is empty"),
            IbanError::InvalidCharacters => f.write_str("IBAN contains invalid characters"),
            IbanError::UnknownCountry => f.write_str("IBAN country is not in the IBAN registry"),
            IbanError::WrongLength { expected } => {
                write!(f, "IBAN must be {expected} characters long for its country")
            }
            IbanError::Checksum => f.write_str("IBAN check digits are wrong"),
        }
    }
}

impl std::error::Error for IbanError {}

impl Iban {
    /// Accepts the paper form ("GB29 NWBK 6016 …") and lowercase letters
    /// because that is how people copy IBANs; everything else is rejected
    /// rather than silently cleaned, so a typo is not turned into a different
    /// (possibly valid) account.
    ///
    /// Errors are reported in this order: `Empty`, `InvalidCharacters`,
    /// `UnknownCountry`, `WrongLength`, `Checksum`.
    pub fn parse(input: &str) -> Result<Iban, IbanError> {
        let mut electronic = String::with_capacity(input.len());
        for c in input.chars() {
            if c.is_whitespace() {
                continue;
            }
            if !c.is_ascii_alphanumeric() {
                return Err(IbanError::InvalidCharacters);
            }
            electronic.push(c.to_ascii_uppercase());
        }
        if electronic.is_empty() {
            return Err(IbanError::Empty);
        }

        let bytes = electronic.as_bytes();
        if !bytes.iter().take(2).all(u8::is_ascii_uppercase)
            || !bytes.iter().skip(2).take(2).all(u8::is_ascii_digit)
        {
            return Err(IbanError::InvalidCharacters);
        }
        let expected = electronic
            .get(..2)
            .and_then(registry_length)
            .ok_or(IbanError::UnknownCountry)?;
        if electronic.len() != expected {
            return Err(IbanError::WrongLength { expected });
        }

        // 00, 01 and 99 can satisfy mod-97 (they alias 97, 98 and 02) but are
        // never issued, so ISO 13616 rejects them explicitly.
        let check_digits = (bytes[2] - b'0') * 10 + (bytes[3] - b'0');
        if !(2..=98).contains(&check_digits) || mod97(bytes) != 1 {
            return Err(IbanError::Checksum);
        }
        Ok(Iban(electronic))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registry prefix, which is not always the ISO country of the
    /// account (e.g. Jersey accounts use `GB`).
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

crate::text_form!(Iban);

/// Replaces all but the last four characters with `*`.
pub fn mask(value: &str) -> String {
    let keep_from = value.chars().count().saturating_sub(4);
    value
        .chars()
        .enumerate()
        .map(|(index, c)| if index < keep_from { '*' } else { c })
        .collect()
}

pub fn last_four(value: &str) -> &str {
    let start = value
        .char_indices()
        .rev()
        .nth(3)
        .map_or(0, |(index, _)| index);
    &value[start..]
}

/// ISO 7064 MOD 97-10 over the rearranged IBAN (first four characters moved
/// to the end, letters expanded to 10..=35), computed digit by digit so no
/// big integers are needed. Expects uppercase ASCII alphanumerics.
fn mod97(iban: &[u8]) -> u32 {
    let (head, tail) = iban.split_at(4.min(iban.len()));
    tail.iter().chain(head).fold(0u32, |remainder, &b| {
        if b.is_ascii_digit() {
            (remainder * 10 + u32::from(b - b'0')) % 97
        } else {
            (remainder * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}

fn registry_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS
        .binary_search_by(|(code, _)| (*code).cmp(country))
        .ok()
        .map(|index| IBAN_LENGTHS[index].1)
}

/// IBAN length per prefix from the SWIFT IBAN registry (89 prefixes, as of
/// release 102, 2026). Territories that use another country's prefix (AX→FI,
/// GF/GP/MQ/RE/PF/TF/YT/NC/BL/MF/PM/WF→FR, IM/JE/GG→GB) have no entry of
/// their own. XK is here although it is not an ISO 3166 code, which is why
/// this table and not `crate::country` decides which prefixes exist.
/// Sorted for binary search; a test keeps it sorted.
#[rustfmt::skip]
const IBAN_LENGTHS: [(&str, usize); 89] = [
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
    ("BH", 22), ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24),
    ("DE", 22), ("DJ", 27), ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18),
    ("FK", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27),
    ("GT", 28), ("HN", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26),
    ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20),
    ("LU", 20), ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MN", 20),
    ("MR", 27), ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24),
    ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24),
    ("SC", 31), ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("SO", 23), ("ST", 25),
    ("SV", 28), ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
    ("YE", 30),
];

/// Whether payments to/from this country or territory can use the SEPA
/// schemes (EPC409-09 list of countries and territories): the EU and EEA,
/// Switzerland, the UK and the Crown Dependencies, Gibraltar, Monaco,
/// San Marino, Vatican City, Andorra, and the 2024–2025 additions Albania,
/// Moldova, Montenegro, North Macedonia and Serbia, plus the overseas
/// territories the EPC lists (Åland, the French outermost regions, Saint
/// Barthélemy, Saint Martin, Saint Pierre and Miquelon). The Faroe Islands,
/// Greenland and the French Pacific territories (NC, PF, WF) are outside.
///
/// Takes an uppercase ISO 3166 / IBAN prefix code; [`Iban::country`] can be
/// passed directly.
pub fn is_sepa_country(code: &str) -> bool {
    SEPA_COUNTRIES.binary_search(&code).is_ok()
}

#[rustfmt::skip]
const SEPA_COUNTRIES: [&str; 54] = [
    "AD", "AL", "AT", "AX", "BE", "BG", "BL", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR",
    "GB", "GF", "GG", "GI", "GP", "GR", "HR", "HU", "IE", "IM", "IS", "IT", "JE", "LI", "LT", "LU",
    "LV", "MC", "MD", "ME", "MF", "MK", "MQ", "MT", "NL", "NO", "PL", "PM", "PT", "RE", "RO", "RS",
    "SE", "SI", "SK", "SM", "VA", "YT",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Published example IBANs (SWIFT registry / national examples), one per
    /// registry country, with the registry length.
    const VALID: &[&str] = &[
        "AD1200012030200359100100",
        "AE070331234567890123456",
        "AL47212110090000000235698741",
        "AT611904300234573201",
        "AZ21NABZ00000000137010001944",
        "BA391290079401028494",
        "BE68539007547034",
        "BG80BNBG96611020345678",
        "BH67BMAG00001299123456",
        "BI4210000100010000332045181",
        "BR1800360305000010009795493C1",
        "BY13NBRB3600900000002Z00AB00",
        "CH9300762011623852957",
        "CR05015202001026284066",
        "CY17002001280000001200527600",
        "CZ6508000000192000145399",
        "DE89370400440532013000",
        "DJ2100010000000154000100186",
        "DK5000400440116243",
        "DO28BAGR00000001212453611324",
        "EE382200221020145685",
        "EG380019000500000000263180002",
        "ES9121000418450200051332",
        "FI2112345600000785",
        "FK88SC123456789012",
        "FO6264600001631634",
        "FR1420041010050500013M02606",
        "GB29NWBK60161331926819",
        "GE29NB0000000101904917",
        "GI75NWBK000000007099453",
        "GL8964710001000206",
        "GR1601101250000000012300695",
        "GT82TRAJ01020000001210029690",
        "HN88CABF00000000000250005469",
        "HR1210010051863000160",
        "HU42117730161111101800000000",
        "IE29AIBK93115212345678",
        "IL620108000000099999999",
        "IQ98NBIQ850123456789012",
        "IS140159260076545510730339",
        "IT60X0542811101000000123456",
        "JO94CBJO0010000000000131000302",
        "KW81CBKU0000000000001234560101",
        "KZ86125KZT5004100100",
        "LB62099900000001001901229114",
        "LC55HEMM000100010012001200023015",
        "LI21088100002324013AA",
        "LT121000011101001000",
        "LU280019400644750000",
        "LV80BANK0000435195001",
        "LY83002048000020100120361",
        "MC5811222000010123456789030",
        "MD24AG000225100013104168",
        "ME25505000012345678951",
        "MK07250120000058984",
        "MN121234123456789123",
        "MR1300020001010000123456753",
        "MT84MALT011000012345MTLCAST001S",
        "MU17BOMM0101101030300200000MUR",
        "NI45BAPR00000013000003558124",
        "NL91ABNA0417164300",
        "NO9386011117947",
        "OM810180000001299123456",
        "PK36SCBL0000001123456702",
        "PL61109010140000071219812874",
        "PS92PALS000000000400123456702",
        "PT50000201231234567890154",
        "QA58DOHB00001234567890ABCDEFG",
        "RO49AAAA1B31007593840000",
        "RS35260005601001611379",
        "RU0204452560040702810412345678901",
        "SA0380000000608010167519",
        "SC18SSCB11010000000000001497USD",
        "SD2129010501234001",
        "SE4550000000058398257466",
        "SI56263300012039086",
        "SK3112000000198742637541",
        "SM86U0322509800000000270100",
        "SO211000001001000100141",
        "ST23000100010051845310146",
        "SV62CENR00000000000000700025",
        "TL380080012345678910157",
        "TN5910006035183598478831",
        "TR330006100519786457841326",
        "UA213223130000026007233566001",
        "VA59001123000012345678",
        "VG96VPVG0000012345678901",
        "XK051212012345678906",
        "YE15CBYE0001018861234567891234",
    ];

    #[test]
    fn tables_are_sorted() {
        for pair in IBAN_LENGTHS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for pair in SEPA_COUNTRIES.windows(2) {
            assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn every_registry_country_has_a_valid_example_of_its_length() {
        assert_eq!(VALID.len(), IBAN_LENGTHS.len());
        for (country, length) in IBAN_LENGTHS {
            let example = VALID
                .iter()
                .find(|iban| iban.starts_with(country))
                .unwrap_or_else(|| panic!("no example for {country}"));
            assert_eq!(example.len(), length, "{example}");
        }
    }

    #[test]
    fn valid_examples_parse_and_variants_fail() {
        for &valid in VALID {
            let iban = Iban::parse(valid).unwrap_or_else(|e| panic!("{valid}: {e:?}"));
            assert_eq!(iban.as_str(), valid);
            assert_eq!(iban.country(), &valid[..2]);

            // One BBAN digit changed: mod-97 catches every single substitution.
            let position = valid
                .char_indices()
                .skip(4)
                .filter(|(_, c)| c.is_ascii_digit())
                .last()
                .map(|(i, _)| i)
                .unwrap_or_else(|| panic!("{valid} has no BBAN digit"));
            let digit = valid.as_bytes()[position] - b'0';
            let mut changed = valid.to_string();
            changed.replace_range(position..=position, &((digit + 1) % 10).to_string());
            assert_eq!(Iban::parse(&changed), Err(IbanError::Checksum), "{changed}");

            // Truncated and extended: wrong length for the country.
            let expected = valid.len();
            let truncated = &valid[..expected - 1];
            assert_eq!(
                Iban::parse(truncated),
                Err(IbanError::WrongLength { expected }),
                "{truncated}"
            );
            let extended = format!("{valid}0");
            assert_eq!(
                Iban::parse(&extended),
                Err(IbanError::WrongLength { expected }),
                "{extended}"
            );

            // A bad character in the BBAN.
            for bad in ['#', '-', '.', 'Ä', '_'] {
                let mut with_bad = valid.to_string();
                with_bad.replace_range(6..7, &bad.to_string());
                assert_eq!(
                    Iban::parse(&with_bad),
                    Err(IbanError::InvalidCharacters),
                    "{with_bad}"
                );
            }

            // Paper form and lowercase normalise to the same IBAN.
            let paper: String = valid
                .as_bytes()
                .chunks(4)
                .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(Iban::parse(&paper).as_ref(), Ok(&iban), "{paper}");
            let lower = valid.to_ascii_lowercase();
            assert_eq!(Iban::parse(&lower).as_ref(), Ok(&iban), "{lower}");
        }
    }

    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<&str, IbanError>)] = &[
            ("GB29 NWBK 6016 1331 9268 19", Ok("GB29NWBK60161331926819")),
            ("  gb29nwbk60161331926819\n", Ok("GB29NWBK60161331926819")),
            ("Gb29 nWbK 6016 1331 9268 19", Ok("GB29NWBK60161331926819")),
            (
                "DE89\u{a0}3704\u{a0}0044\u{a0}0532\u{a0}0130\u{a0}00",
                Ok("DE89370400440532013000"),
            ),
            (
                "fr14 2004 1010 0505 0001 3m02 606",
                Ok("FR1420041010050500013M02606"),
            ),
            ("", Err(IbanError::Empty)),
            ("   \t ", Err(IbanError::Empty)),
            (
                "GB29-NWBK-6016-1331-9268-19",
                Err(IbanError::InvalidCharacters),
            ),
            ("GB29NWBK6016133192681!", Err(IbanError::InvalidCharacters)),
            ("12GB", Err(IbanError::InvalidCharacters)),
            (
                "GBAB NWBK 6016 1331 9268 19",
                Err(IbanError::InvalidCharacters),
            ),
            ("G", Err(IbanError::UnknownCountry)),
            ("ZZ29NWBK60161331926819", Err(IbanError::UnknownCountry)),
            // Territories that use another prefix are not IBAN countries.
            ("JE29NWBK60161331926819", Err(IbanError::UnknownCountry)),
            ("US12", Err(IbanError::UnknownCountry)),
            ("GB", Err(IbanError::WrongLength { expected: 22 })),
            ("GB29", Err(IbanError::WrongLength { expected: 22 })),
            (
                "NO938601111794",
                Err(IbanError::WrongLength { expected: 15 }),
            ),
            (
                "LC55HEMM00010001001200120002301",
                Err(IbanError::WrongLength { expected: 32 }),
            ),
            ("GB28NWBK60161331926819", Err(IbanError::Checksum)),
            ("GB29NWBK60161331926891", Err(IbanError::Checksum)),
            // Check digits chosen so mod-97 passes but the range check fails.
            ("GB02NWBK60161300000046", Ok("GB02NWBK60161300000046")),
            ("GB99NWBK60161300000046", Err(IbanError::Checksum)),
            ("GB98NWBK60161300000064", Ok("GB98NWBK60161300000064")),
            ("GB01NWBK60161300000064", Err(IbanError::Checksum)),
            ("GB00NWBK60161331926819", Err(IbanError::Checksum)),
        ];
        for (input, expected) in cases {
            let got = Iban::parse(input);
            assert_eq!(
                got.as_ref().map(Iban::as_str),
                expected.as_ref().copied(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn mod97_matches_known_remainders() {
        // The rearranged form of a valid IBAN leaves remainder 1; with the
        // check digits zeroed it leaves 98 - check digits.
        assert_eq!(mod97(b"GB29NWBK60161331926819"), 1);
        assert_eq!(mod97(b"GB00NWBK60161331926819"), 98 - 29);
        assert_eq!(mod97(b"DE00370400440532013000"), 98 - 89);
    }

    #[test]
    fn masking_shows_the_last_four_only() {
        let cases: &[(&str, &str)] = &[
            ("GB29NWBK60161331926819", "******************6819"),
            ("NO9386011117947", "***********7947"),
            (
                "MT84MALT011000012345MTLCAST001S",
                "***************************001S",
            ),
        ];
        for (input, masked) in cases {
            let iban = Iban::parse(input).unwrap();
            assert_eq!(mask(iban.as_str()), *masked);
        }
    }

    #[test]
    fn an_iban_is_stored_as_its_electronic_form_and_checked_again_when_read() {
        let iban = Iban::parse("GB29 NWBK 6016 1331 9268 19").unwrap();
        let stored = serde_json::to_string(&iban).unwrap();
        assert_eq!(stored, "\"GB29NWBK60161331926819\"");
        assert_eq!(serde_json::from_str::<Iban>(&stored).unwrap(), iban);
        let tampered = serde_json::from_str::<Iban>("\"GB29NWBK60161331926818\"");
        assert!(tampered.is_err_and(|e| !e.to_string().contains("GB29")));
    }

    #[test]
    fn mask_helpers_handle_short_values() {
        assert_eq!(mask(""), "");
        assert_eq!(mask("123"), "123");
        assert_eq!(mask("12345"), "*2345");
        assert_eq!(last_four("12"), "12");
        assert_eq!(last_four("123456"), "3456");
    }

    #[test]
    fn sepa_countries() {
        let cases: &[(&str, bool)] = &[
            ("DE", true),
            ("FR", true),
            ("GB", true),
            ("CH", true),
            ("NO", true),
            ("IS", true),
            ("LI", true),
            ("MC", true),
            ("SM", true),
            ("VA", true),
            ("AD", true),
            ("AL", true),
            ("MD", true),
            ("ME", true),
            ("MK", true),
            ("RS", true),
            ("GI", true),
            ("JE", true),
            ("GG", true),
            ("IM", true),
            ("AX", true),
            ("RE", true),
            ("PM", true),
            ("HR", true),
            ("BG", true),
            ("FO", false),
            ("GL", false),
            ("NC", false),
            ("PF", false),
            ("WF", false),
            ("XK", false),
            ("BA", false),
            ("UA", false),
            ("TR", false),
            ("US", false),
            ("de", false),
            ("", false),
        ];
        for (code, expected) in cases {
            assert_eq!(is_sepa_country(code), *expected, "{code:?}");
        }
        let iban = Iban::parse("IE29AIBK93115212345678").unwrap();
        assert!(is_sepa_country(iban.country()));
    }
}
