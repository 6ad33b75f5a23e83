//! ISO 4217 currency codes with their minor-unit exponents.
//!
//! The table is ISO 4217 List One as published for 2026: every active
//! currency and fund code. X-codes without a minor unit (precious metals,
//! XDR, XSU, XUA, bond-market units, XTS, XXX) are left out because an amount
//! in them cannot be expressed in minor units. Withdrawn codes (e.g. HRK,
//! SLL, ANG, CUC, ZWL, and BGN since Bulgaria's euro changeover) are absent.

use std::fmt;

/// A currency whose exponent is known, so amounts can be converted to and
/// from minor units without a second lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_units: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencyError {
    /// Not exactly three characters.
    WrongLength,
    /// Three characters, but not an active uppercase ISO 4217 code.
    Unknown,
}

impl fmt::Display for CurrencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CurrencyError::WrongLength => f.write_str("currency code must be 3 letters"),
            CurrencyError::Unknown => f.write_str("unknown or withdrawn ISO 4217 currency code"),
        }
    }
}

impl std::error::Error for CurrencyError {}

impl Currency {
    /// Exact match only: lowercase input is `Unknown` so that stored codes are
    /// always canonical; normalise at the edge if lenient input is wanted.
    pub fn parse(input: &str) -> Result<Currency, CurrencyError> {
        if input.chars().count() != 3 {
            return Err(CurrencyError::WrongLength);
        }
        CURRENCIES
            .binary_search_by(|(code, _)| (*code).cmp(input))
            .map(|index| {
                let (code, minor_units) = CURRENCIES[index];
                Currency { code, minor_units }
            })
            .map_err(|_| CurrencyError::Unknown)
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Number of decimal places of the minor unit (0 for JPY, 3 for KWD, ...).
    pub fn minor_units(&self) -> u8 {
        self.minor_units
    }
}

impl Currency {
    /// The code, as stored and sent.
    pub fn as_str(&self) -> &'static str {
        self.code()
    }
}

crate::text_form!(Currency);

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Sorted by code so `parse` can binary-search; a test keeps it sorted.
#[rustfmt::skip]
const CURRENCIES: [(&str, u8); 165] = [
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2), ("AWG", 2),
    ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2),
    ("BOB", 2), ("BOV", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2),
    ("CAD", 2), ("CDF", 2), ("CHE", 2), ("CHF", 2), ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2),
    ("COP", 2), ("COU", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2),
    ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2),
    ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2),
    ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3),
    ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2),
    ("KMF", 0), ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2),
    ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2),
    ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2),
    ("MXV", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2),
    ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2),
    ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2),
    ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2), ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2),
    ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2),
    ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0),
    ("USD", 2), ("USN", 2), ("UYI", 0), ("UYU", 2), ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2),
    ("VND", 0), ("VUV", 0), ("WST", 2), ("XAD", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0),
    ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        for pair in CURRENCIES.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{} must sort before {}",
                pair[0].0,
                pair[1].0
            );
        }
        for (code, minor_units) in CURRENCIES {
            assert_eq!(code.len(), 3, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            assert!(minor_units <= 4, "{code}");
        }
    }

    #[test]
    fn known_currencies_and_exponents() {
        let cases: &[(&str, u8)] = &[
            ("EUR", 2),
            ("GBP", 2),
            ("USD", 2),
            ("CHF", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("ISK", 0),
            ("CLP", 0),
            ("VND", 0),
            ("UGX", 0),
            ("PYG", 0),
            ("XAF", 0),
            ("XOF", 0),
            ("XPF", 0),
            ("XCD", 2),
            ("BHD", 3),
            ("KWD", 3),
            ("OMR", 3),
            ("JOD", 3),
            ("TND", 3),
            ("LYD", 3),
            ("IQD", 3),
            ("CLF", 4),
            ("UYW", 4),
            ("UYI", 0),
            ("ZWG", 2),
            ("SLE", 2),
            ("MRU", 2),
            ("STN", 2),
            ("VES", 2),
            ("VED", 2),
            ("XCG", 2),
            ("HUF", 2),
            ("IDR", 2),
        ];
        for (code, exponent) in cases {
            let currency = Currency::parse(code);
            assert_eq!(
                currency.map(|c| (c.code(), c.minor_units())),
                Ok((*code, *exponent)),
                "{code}"
            );
        }
    }

    #[test]
    fn rejected_codes() {
        let cases: &[(&str, CurrencyError)] = &[
            // Withdrawn.
            ("HRK", CurrencyError::Unknown),
            ("SLL", CurrencyError::Unknown),
            ("MRO", CurrencyError::Unknown),
            ("STD", CurrencyError::Unknown),
            ("VEF", CurrencyError::Unknown),
            ("ZWL", CurrencyError::Unknown),
            ("ANG", CurrencyError::Unknown),
            ("CUC", CurrencyError::Unknown),
            ("BGN", CurrencyError::Unknown),
            ("LTL", CurrencyError::Unknown),
            // No minor unit / not a payment currency.
            ("XXX", CurrencyError::Unknown),
            ("XTS", CurrencyError::Unknown),
            ("XAU", CurrencyError::Unknown),
            ("XAG", CurrencyError::Unknown),
            ("XPT", CurrencyError::Unknown),
            ("XPD", CurrencyError::Unknown),
            ("XDR", CurrencyError::Unknown),
            ("XBA", CurrencyError::Unknown),
            ("XSU", CurrencyError::Unknown),
            ("XUA", CurrencyError::Unknown),
            // Not canonical / not codes at all.
            ("eur", CurrencyError::Unknown),
            ("Eur", CurrencyError::Unknown),
            ("E1R", CurrencyError::Unknown),
            ("€UR", CurrencyError::Unknown),
            ("AAA", CurrencyError::Unknown),
            ("EU", CurrencyError::WrongLength),
            ("EURO", CurrencyError::WrongLength),
            ("", CurrencyError::WrongLength),
            (" EUR", CurrencyError::WrongLength),
        ];
        for (input, expected) in cases {
            assert_eq!(Currency::parse(input), Err(*expected), "input {input:?}");
        }
    }

    #[test]
    fn display_is_the_code() {
        assert_eq!(Currency::parse("EUR").unwrap().to_string(), "EUR");
    }
}
