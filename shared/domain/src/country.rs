//! ISO 3166-1 alpha-2 country codes.
//!
//! Only the 249 officially assigned codes are accepted. User-assigned codes
//! (such as `XK` for Kosovo) and exceptionally reserved ones (`EU`, `UK`) are
//! rejected: callers that must accept them (IBAN prefixes, BIC country codes)
//! handle those exceptions explicitly instead of widening this list.

use std::fmt;

/// An officially assigned ISO 3166-1 alpha-2 code, so downstream code never
/// has to re-check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country(&'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryError {
    /// Not exactly two characters.
    WrongLength,
    /// Two characters, but not an assigned uppercase code.
    Unknown,
}

impl fmt::Display for CountryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountryError::WrongLength => f.write_str("country code must be 2 letters"),
            CountryError::Unknown => f.write_str("unknown ISO 3166-1 alpha-2 country code"),
        }
    }
}

impl std::error::Error for CountryError {}

impl Country {
    /// Exact match only: lowercase input is `Unknown` so that stored codes are
    /// always canonical; normalise at the edge if lenient input is wanted.
    pub fn parse(input: &str) -> Result<Country, CountryError> {
        if input.chars().count() != 2 {
            return Err(CountryError::WrongLength);
        }
        COUNTRY_CODES
            .binary_search(&input)
            .map(|index| Country(COUNTRY_CODES[index]))
            .map_err(|_| CountryError::Unknown)
    }

    pub fn code(&self) -> &'static str {
        self.0
    }
}

impl Country {
    /// The code, as stored and sent.
    pub fn as_str(&self) -> &'static str {
        self.code()
    }
}

crate::text_form!(Country);

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Sorted so `parse` can binary-search; a test keeps it sorted and complete.
#[rustfmt::skip]
const COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        for pair in COUNTRY_CODES.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{} must sort before {}",
                pair[0],
                pair[1]
            );
        }
        for code in COUNTRY_CODES {
            assert_eq!(code.len(), 2, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
        }
        assert_eq!(COUNTRY_CODES.len(), 249);
    }

    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<&str, CountryError>)] = &[
            ("GB", Ok("GB")),
            ("DE", Ok("DE")),
            ("US", Ok("US")),
            ("AX", Ok("AX")),
            ("BQ", Ok("BQ")),
            ("CW", Ok("CW")),
            ("SS", Ok("SS")),
            ("SX", Ok("SX")),
            ("AD", Ok("AD")),
            ("ZW", Ok("ZW")),
            // User-assigned / reserved, not assigned by ISO.
            ("XK", Err(CountryError::Unknown)),
            ("EU", Err(CountryError::Unknown)),
            ("UK", Err(CountryError::Unknown)),
            ("ZZ", Err(CountryError::Unknown)),
            // Deleted codes.
            ("AN", Err(CountryError::Unknown)),
            ("CS", Err(CountryError::Unknown)),
            ("gb", Err(CountryError::Unknown)),
            ("Gb", Err(CountryError::Unknown)),
            ("G1", Err(CountryError::Unknown)),
            ("GBR", Err(CountryError::WrongLength)),
            ("G", Err(CountryError::WrongLength)),
            ("", Err(CountryError::WrongLength)),
            (" GB", Err(CountryError::WrongLength)),
            ("ÄÖ", Err(CountryError::Unknown)),
        ];
        for (input, expected) in cases {
            let got = Country::parse(input).map(|c| c.code());
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    #[test]
    fn display_is_the_code() {
        let country = Country::parse("FR").unwrap();
        assert_eq!(country.to_string(), "FR");
    }
}
