//! The SEPA Creditor Identifier (EPC262-08): who collects a direct debit. Its layout is a
//! country code, two check digits, a three-character creditor business code and a national
//! identifier of up to 28 letters or digits. The check digits are ISO 7064 mod 97-10 over the
//! national identifier followed by the country code and `00`; the business code is left out,
//! so a creditor can use several without changing its identifier.

use crate::bank::is_sepa_country;

/// Longest national identifier part.
const NATIONAL_ID_MAX_LENGTH: usize = 28;
/// Country, check digits and business code.
const PREFIX_LENGTH: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditorIdentifier(String);

crate::text_form!(CreditorIdentifier);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditorIdentifierError {
    /// Not country letters, check digits, business code and a 1–28 character national id.
    Malformed,
    /// A country outside the SEPA scheme.
    CountryNotSepa,
    /// The mod 97-10 check fails.
    CheckDigits,
}

impl CreditorIdentifier {
    /// Accepts the identifier with spaces and in lowercase, as people copy it; stores it in
    /// its electronic form (uppercase, no spaces).
    pub fn parse(input: &str) -> Result<CreditorIdentifier, CreditorIdentifierError> {
        let electronic: String = input
            .chars()
            .filter(|c| *c != ' ')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let well_formed = electronic.len() > PREFIX_LENGTH
            && electronic.len() <= PREFIX_LENGTH + NATIONAL_ID_MAX_LENGTH
            && electronic.chars().all(|c| c.is_ascii_alphanumeric())
            && electronic[..2].chars().all(|c| c.is_ascii_uppercase())
            && electronic[2..4].chars().all(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(CreditorIdentifierError::Malformed);
        }
        let (country, check_digits) = (&electronic[..2], &electronic[2..4]);
        if !is_sepa_country(country) {
            return Err(CreditorIdentifierError::CountryNotSepa);
        }
        let national_id = &electronic[PREFIX_LENGTH..];
        let expected = 98 - mod_97(&format!("{national_id}{country}00"));
        if check_digits.parse::<u32>().ok() != Some(expected) {
            return Err(CreditorIdentifierError::CheckDigits);
        }
        Ok(CreditorIdentifier(electronic))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

/// The remainder by 97 of the number written by the characters, each letter as two digits
/// (A = 10 … Z = 35), computed piecewise so any length fits.
fn mod_97(alphanumeric: &str) -> u32 {
    alphanumeric.chars().fold(0, |remainder, c| {
        let value = c.to_digit(36).unwrap_or(0);
        let shift = if value >= 10 { 100 } else { 10 };
        (remainder * shift + value) % 97
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published identifiers from several SEPA countries (Bundesbank, Banque de France, OeNB,
    /// Banca d'Italia and NBB examples); their check digits were recomputed independently.
    const VALID: [&str; 5] = [
        "DE98ZZZ09999999999",
        "FR72ZZZ123456",
        "AT61ZZZ01234567890",
        "IT66ZZZA1B2C3D4E5F6G7H8",
        "BE69ZZZ050D000000008",
    ];

    #[test]
    fn published_identifiers_pass() {
        for identifier in VALID {
            let parsed = CreditorIdentifier::parse(identifier);
            assert_eq!(
                parsed.as_ref().map(CreditorIdentifier::as_str),
                Ok(identifier)
            );
        }
    }

    #[test]
    fn wrong_check_digits_fail_in_every_country() {
        for identifier in VALID {
            let digits: u32 = identifier[2..4].parse().unwrap_or(0);
            let wrong = format!(
                "{}{:02}{}",
                &identifier[..2],
                (digits + 1) % 100,
                &identifier[4..]
            );
            assert_eq!(
                CreditorIdentifier::parse(&wrong),
                Err(CreditorIdentifierError::CheckDigits),
                "{wrong}"
            );
        }
    }

    #[test]
    fn the_business_code_is_outside_the_check() {
        assert!(CreditorIdentifier::parse("DE98ABC09999999999").is_ok());
        assert!(CreditorIdentifier::parse("FR72001123456").is_ok());
    }

    #[test]
    fn a_changed_national_identifier_fails() {
        assert_eq!(
            CreditorIdentifier::parse("DE98ZZZ09999999998"),
            Err(CreditorIdentifierError::CheckDigits)
        );
    }

    #[test]
    fn spaces_and_lowercase_are_normalised() {
        let parsed = CreditorIdentifier::parse("de98 zzz 0999 9999 999");
        assert_eq!(
            parsed.as_ref().map(CreditorIdentifier::as_str),
            Ok("DE98ZZZ09999999999")
        );
    }

    #[test]
    fn countries_outside_sepa_are_refused() {
        // US with check digits that would be right for the US: the country is the problem.
        let national = "123456";
        let check = 98 - mod_97(&format!("{national}US00"));
        let identifier = format!("US{check:02}ZZZ{national}");
        assert_eq!(
            CreditorIdentifier::parse(&identifier),
            Err(CreditorIdentifierError::CountryNotSepa)
        );
    }

    #[test]
    fn malformed_identifiers_are_refused() {
        for input in [
            "",
            "DE98ZZZ",
            "1E98ZZZ09999999999",
            "DEX8ZZZ09999999999",
            "DE98ZZZ0999-999999",
            &format!("DE98ZZZ{}", "9".repeat(29)),
        ] {
            assert_eq!(
                CreditorIdentifier::parse(input),
                Err(CreditorIdentifierError::Malformed),
                "{input}"
            );
        }
    }
}
