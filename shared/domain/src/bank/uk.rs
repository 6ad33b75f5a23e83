//! UK domestic account details (sort code, account number, account name).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UkBankError {
    /// Nothing but whitespace.
    Empty,
    /// Too few or too many characters; `min == max` for fixed-length values.
    WrongLength { min: usize, max: usize },
    /// A character outside the value's alphabet, or misplaced separators.
    InvalidCharacters,
    /// Lowercase ASCII letters where the scheme requires uppercase.
    NotUppercase,
}

impl fmt::Display for UkBankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UkBankError::Empty => f.write_str("value is empty"),
            UkBankError::WrongLength { min, max } if min == max => {
                write!(f, "value must be exactly {min} characters")
            }
            UkBankError::WrongLength { min, max } => {
                write!(f, "value must be {min} to {max} characters")
            }
            UkBankError::InvalidCharacters => f.write_str("value contains invalid characters"),
            UkBankError::NotUppercase => f.write_str("value must be uppercase"),
        }
    }
}

impl std::error::Error for UkBankError {}

/// A 6-digit sort code, stored without separators. Sort codes identify a
/// branch, not a person, so they may be logged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortCode(String);

impl SortCode {
    /// Accepts `112211`, `11-22-11` and `11 22 11` (surrounding whitespace is
    /// trimmed), the forms printed on cards and statements. Mixed or
    /// misplaced separators are rejected rather than guessed at.
    ///
    /// Errors: `Empty`; `InvalidCharacters` for anything but digits, `-` and
    /// spaces, or separators not in the `NN-NN-NN` positions;
    /// `WrongLength { min: 6, max: 6 }` when there are not 6 digits.
    pub fn parse(input: &str) -> Result<SortCode, UkBankError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UkBankError::Empty);
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        {
            return Err(UkBankError::InvalidCharacters);
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 6 {
            return Err(UkBankError::WrongLength { min: 6, max: 6 });
        }
        if trimmed.len() != digits.len() {
            let bytes = trimmed.as_bytes();
            let well_placed =
                bytes.len() == 8 && bytes[2] == bytes[5] && (bytes[2] == b'-' || bytes[2] == b' ');
            if !well_placed {
                return Err(UkBankError::InvalidCharacters);
            }
        }
        Ok(SortCode(digits))
    }

    /// The 6 digits, without separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An 8-digit UK account number: with the sort code, enough to set up a
/// direct debit, so whoever holds one keeps it in a `Secret`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UkAccountNumber(String);

impl UkAccountNumber {
    /// Exactly 8 digits after trimming. Banks with 6, 7, 9 or 10-digit
    /// numbers publish their own conversion to 8 digits; that is the caller's
    /// job because it depends on the bank.
    ///
    /// Errors: `Empty`; `InvalidCharacters` for any non-digit (including
    /// inner spaces and dashes); `WrongLength { min: 8, max: 8 }`.
    pub fn parse(input: &str) -> Result<UkAccountNumber, UkBankError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UkBankError::Empty);
        }
        if !trimmed.chars().all(|c| c.is_ascii_digit()) {
            return Err(UkBankError::InvalidCharacters);
        }
        if trimmed.len() != 8 {
            return Err(UkBankError::WrongLength { min: 8, max: 8 });
        }
        Ok(UkAccountNumber(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name on a UK account as the payment schemes accept it: 3–18
/// characters of `A-Z 0-9 . & /` and space. Personal data: whoever holds one
/// keeps it in a `Secret`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountHolderName(String);

impl AccountHolderName {
    pub const MIN_LENGTH: usize = 3;
    pub const MAX_LENGTH: usize = 18;

    /// Trims, then maps the division slash U+2215 (which the published
    /// character set shows, and which copy-paste from it produces) to `/`.
    /// Lowercase is rejected rather than uppercased so the caller decides
    /// whether silently changing a name is acceptable.
    ///
    /// Errors, in this order: `Empty`; `NotUppercase` if any ASCII lowercase
    /// letter is present; `InvalidCharacters` for anything else outside the
    /// set; `WrongLength { min: 3, max: 18 }`, counted in characters after
    /// trimming.
    pub fn parse(input: &str) -> Result<AccountHolderName, UkBankError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UkBankError::Empty);
        }
        let name: String = trimmed
            .chars()
            .map(|c| if c == '\u{2215}' { '/' } else { c })
            .collect();
        if name.chars().any(|c| c.is_ascii_lowercase()) {
            return Err(UkBankError::NotUppercase);
        }
        if !name.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '.' | '&' | '/' | ' ')
        }) {
            return Err(UkBankError::InvalidCharacters);
        }
        // All ASCII from here, so bytes are characters.
        if !(Self::MIN_LENGTH..=Self::MAX_LENGTH).contains(&name.len()) {
            return Err(UkBankError::WrongLength {
                min: Self::MIN_LENGTH,
                max: Self::MAX_LENGTH,
            });
        }
        Ok(AccountHolderName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text_form!(SortCode, UkAccountNumber, AccountHolderName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_codes() {
        let cases: &[(&str, Result<&str, UkBankError>)] = &[
            ("112211", Ok("112211")),
            ("11-22-11", Ok("112211")),
            ("11 22 11", Ok("112211")),
            ("  40-47-84 ", Ok("404784")),
            ("000000", Ok("000000")),
            ("", Err(UkBankError::Empty)),
            ("  ", Err(UkBankError::Empty)),
            ("11221", Err(UkBankError::WrongLength { min: 6, max: 6 })),
            ("1122111", Err(UkBankError::WrongLength { min: 6, max: 6 })),
            ("11-22-1", Err(UkBankError::WrongLength { min: 6, max: 6 })),
            (
                "11-22-111",
                Err(UkBankError::WrongLength { min: 6, max: 6 }),
            ),
            ("11-22 11", Err(UkBankError::InvalidCharacters)),
            ("112-211", Err(UkBankError::InvalidCharacters)),
            ("11--2211", Err(UkBankError::InvalidCharacters)),
            ("1-1-2-2-1-1", Err(UkBankError::InvalidCharacters)),
            ("11.22.11", Err(UkBankError::InvalidCharacters)),
            ("11/22/11", Err(UkBankError::InvalidCharacters)),
            ("11-22-1A", Err(UkBankError::InvalidCharacters)),
            ("１１２２１１", Err(UkBankError::InvalidCharacters)),
        ];
        for (input, expected) in cases {
            let got = SortCode::parse(input);
            assert_eq!(
                got.as_ref().map(SortCode::as_str),
                expected.as_ref().copied(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn account_numbers() {
        let cases: &[(&str, Result<&str, UkBankError>)] = &[
            ("31926819", Ok("31926819")),
            (" 00012345 ", Ok("00012345")),
            ("", Err(UkBankError::Empty)),
            ("1234567", Err(UkBankError::WrongLength { min: 8, max: 8 })),
            (
                "123456789",
                Err(UkBankError::WrongLength { min: 8, max: 8 }),
            ),
            ("1234 5678", Err(UkBankError::InvalidCharacters)),
            ("1234-5678", Err(UkBankError::InvalidCharacters)),
            ("1234567A", Err(UkBankError::InvalidCharacters)),
            ("-1234567", Err(UkBankError::InvalidCharacters)),
        ];
        for (input, expected) in cases {
            let got = UkAccountNumber::parse(input);
            assert_eq!(
                got.as_ref().map(UkAccountNumber::as_str),
                expected.as_ref().copied(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn account_number_is_masked_to_its_last_four() {
        let number = UkAccountNumber::parse("31926819").unwrap();
        assert_eq!(crate::bank::mask(number.as_str()), "****6819");
    }

    #[test]
    fn holder_names() {
        let too_long = UkBankError::WrongLength { min: 3, max: 18 };
        let cases: &[(&str, Result<&str, UkBankError>)] = &[
            ("JOHN DOE", Ok("JOHN DOE")),
            ("A&B/C.D 1", Ok("A&B/C.D 1")),
            ("  JOHN DOE  ", Ok("JOHN DOE")),
            ("A\u{2215}B LTD", Ok("A/B LTD")),
            ("ABC", Ok("ABC")),
            ("ABCDEFGHIJKLMNOPQR", Ok("ABCDEFGHIJKLMNOPQR")),
            ("MR J SMITH & CO.", Ok("MR J SMITH & CO.")),
            ("", Err(UkBankError::Empty)),
            ("   ", Err(UkBankError::Empty)),
            ("John Doe", Err(UkBankError::NotUppercase)),
            ("JOHN DOe", Err(UkBankError::NotUppercase)),
            ("jo", Err(UkBankError::NotUppercase)),
            ("JO", Err(too_long)),
            ("  JO  ", Err(too_long)),
            ("ABCDEFGHIJKLMNOPQRS", Err(too_long)),
            ("JOHN_DOE", Err(UkBankError::InvalidCharacters)),
            ("JOHN-DOE", Err(UkBankError::InvalidCharacters)),
            ("O'BRIEN", Err(UkBankError::InvalidCharacters)),
            ("JOSÉ DOE", Err(UkBankError::InvalidCharacters)),
            ("JOSé DOE", Err(UkBankError::InvalidCharacters)),
            ("JOHN\tDOE", Err(UkBankError::InvalidCharacters)),
            ("A\\B LTD", Err(UkBankError::InvalidCharacters)),
        ];
        for (input, expected) in cases {
            let got = AccountHolderName::parse(input);
            assert_eq!(
                got.as_ref().map(AccountHolderName::as_str),
                expected.as_ref().copied(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn stored_forms_parse_back_to_the_same_value() {
        let sort_code = SortCode::parse("11-22-11").unwrap();
        let number = UkAccountNumber::parse("31926819").unwrap();
        let name = AccountHolderName::parse(" A\u{2215}B LTD ").unwrap();
        let stored = serde_json::to_string(&(&sort_code, &number, &name)).unwrap();
        assert_eq!(stored, r#"["112211","31926819","A/B LTD"]"#);
        let back: (SortCode, UkAccountNumber, AccountHolderName) =
            serde_json::from_str(&stored).unwrap();
        assert_eq!(back, (sort_code, number, name));
        assert!(serde_json::from_str::<AccountHolderName>("\"lower\"").is_err());
    }

    #[test]
    fn errors_display() {
        assert_eq!(
            UkBankError::WrongLength { min: 8, max: 8 }.to_string(),
            "value must be exactly 8 characters"
        );
        assert_eq!(
            UkBankError::WrongLength { min: 3, max: 18 }.to_string(),
            "value must be 3 to 18 characters"
        );
    }
}
