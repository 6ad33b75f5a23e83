//! A mandate body's `debtor`: every present field must be valid, absent ones are allowed
//! while the mandate is a draft. Values are personal data: errors never echo them.

use super::attributes::{self, Attribute};
use crate::json::JsonObject;
use crate::vault::{bic_mismatch, bic_violation, iban_violation};
use payments_domain::bank::{is_sepa_country, Bic, Iban};
use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::mandates::{Debtor, DebtorAddress, DEBTOR_PROPERTY};
use payments_domain::Secret;
use serde_json::Value;

/// SEPA name fields carry at most 70 characters (pain.008 `Nm`).
const NAME_MAX_LENGTH: usize = 70;
const EMAIL_MAX_LENGTH: usize = 254;

const FIRST_NAME: Attribute = Attribute::new("firstName", "Debtor.FirstName", NAME_MAX_LENGTH);
const LAST_NAME: Attribute = Attribute::new("lastName", "Debtor.LastName", NAME_MAX_LENGTH);
const COMPANY_NAME: Attribute =
    Attribute::new("companyName", "Debtor.CompanyName", NAME_MAX_LENGTH);
const ACCOUNT_HOLDER_NAME: Attribute = Attribute::new(
    "accountHolderName",
    "Debtor.AccountHolderName",
    NAME_MAX_LENGTH,
);
const HOUSE: Attribute =
    Attribute::new("houseNumberOrName", "Debtor.Address.HouseNumberOrName", 70);
const STREET: Attribute = Attribute::new("streetAddress", "Debtor.Address.StreetAddress", 70);
const EXTENDED: Attribute = Attribute::new("extendedAddress", "Debtor.Address.ExtendedAddress", 70);
const POSTCODE: Attribute = Attribute::new("postcode", "Debtor.Address.Postcode", 16);
const CITY: Attribute = Attribute::new("city", "Debtor.Address.City", 35);
const COUNTRY_PROPERTY: &str = "Debtor.Address.Country";
const EMAIL_PROPERTY: &str = "Debtor.Email";
const LANGUAGE_PROPERTY: &str = "Debtor.Language";
const IBAN_PROPERTY: &str = "Debtor.Iban";
const BIC_PROPERTY: &str = "Debtor.Bic";
const ADDRESS_PROPERTY: &str = "Debtor.Address";

/// A `debtor` object of a body.
pub fn debtor(object: &JsonObject) -> Result<Debtor, Vec<Violation>> {
    let mut found = Violations::new();
    let first_name = found.check(attributes::personal_text(object, &FIRST_NAME));
    let last_name = found.check(attributes::personal_text(object, &LAST_NAME));
    let company_name = found.check(attributes::personal_text(object, &COMPANY_NAME));
    let email = found.check(email(object));
    let language = found.check(language(object));
    let address = found.check(address(object));
    let account_holder_name = found.check(account_holder_name(object));
    let iban = found.check(iban(object));
    let bic = found.check(bic(object));
    if let (Some(Some(iban)), Some(Some(bic))) = (&iban, &bic) {
        if let Some(mismatch) = bic_mismatch(bic, iban, BIC_PROPERTY) {
            found.push(mismatch);
        }
    }
    let debtor = (|| {
        Some(Debtor {
            first_name: first_name?,
            last_name: last_name?,
            company_name: company_name?,
            email: email?,
            language: language?,
            address: address?,
            iban: iban?.map(Secret::new),
            bic: bic?,
            account_holder_name: account_holder_name?,
        })
    })();
    found.collect(debtor)
}

/// The `debtor` attribute of a body, `None` when absent.
pub(crate) fn debtor_attribute(object: &JsonObject) -> Result<Option<Debtor>, Vec<Violation>> {
    attributes::object(object, "debtor", DEBTOR_PROPERTY)?
        .map(|debtor| self::debtor(&debtor))
        .transpose()
}

fn address(object: &JsonObject) -> Result<Option<DebtorAddress>, Vec<Violation>> {
    let Some(address) = attributes::object(object, "address", ADDRESS_PROPERTY)? else {
        return Ok(None);
    };
    let mut found = Violations::new();
    let house = found.check(attributes::personal_text(&address, &HOUSE));
    let street = found.check(attributes::personal_text(&address, &STREET));
    let extended = found.check(attributes::personal_text(&address, &EXTENDED));
    let postcode = found.check(attributes::personal_text(&address, &POSTCODE));
    let city = found.check(attributes::personal_text(&address, &CITY));
    let country = found.check(attributes::country(&address, "country", COUNTRY_PROPERTY));
    let parsed = (|| {
        Some(DebtorAddress {
            house_number_or_name: house?,
            street_address: street?,
            extended_address: extended?,
            postcode: postcode?,
            city: city?,
            country: country?,
        })
    })();
    found.collect(parsed).map(Some)
}

/// A string field's text, or ATTRIBUTE_IS_INVALID when it is not a string.
fn raw_text<'a>(
    object: &'a JsonObject,
    name: &str,
    property: &'static str,
) -> Result<Option<&'a str>, Violation> {
    match object.value(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim())),
        Some(_) => Err(attributes::invalid(property)),
    }
}

fn email(object: &JsonObject) -> Result<Option<Secret<String>>, Violation> {
    raw_text(object, "email", EMAIL_PROPERTY)?
        .map(|text| {
            is_email(text)
                .then(|| Secret::new(text.to_owned()))
                .ok_or_else(|| {
                    Violation::new(ErrorCode::EMAIL_IS_INVALID).on_property(EMAIL_PROPERTY, None)
                })
        })
        .transpose()
}

/// An address `local@domain`: a dot-atom local part (RFC 5322, no quoting) of 1–64 characters
/// and a domain of at least two DNS labels ending in a letters-only top-level label.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    text.len() <= EMAIL_MAX_LENGTH && local_ok && domain_ok
}

fn language(object: &JsonObject) -> Result<Option<String>, Violation> {
    raw_text(object, "language", LANGUAGE_PROPERTY)?
        .map(|text| {
            (text.len() == 2 && text.chars().all(|c| c.is_ascii_lowercase()))
                .then(|| text.to_owned())
                .ok_or_else(|| {
                    Violation::new(ErrorCode::LANGUAGE_IS_INVALID)
                        .on_property(LANGUAGE_PROPERTY, Some(text))
                })
        })
        .transpose()
}

/// The account holder as the bank knows them, in the SEPA character set
/// (`a-z A-Z 0-9 / - ? : ( ) . , ' +` and space).
fn account_holder_name(object: &JsonObject) -> Result<Option<Secret<String>>, Violation> {
    let Some(name) = attributes::text(object, &ACCOUNT_HOLDER_NAME)? else {
        return Ok(None);
    };
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c))
    {
        Ok(Some(Secret::new(name)))
    } else {
        Err(Violation::new(ErrorCode::ACCOUNT_HOLDER_NAME_IS_INVALID)
            .on_property(ACCOUNT_HOLDER_NAME.property, None))
    }
}

fn iban(object: &JsonObject) -> Result<Option<Iban>, Violation> {
    let Some(text) = raw_text(object, "iban", IBAN_PROPERTY)? else {
        return Ok(None);
    };
    let iban = Iban::parse(text).map_err(|e| iban_violation(e, IBAN_PROPERTY))?;
    if !is_sepa_country(iban.country()) {
        return Err(Violation::new(ErrorCode::IBAN_COUNTRY_NOT_SEPA)
            .with("country", iban.country())
            .on_property(IBAN_PROPERTY, None));
    }
    Ok(Some(iban))
}

fn bic(object: &JsonObject) -> Result<Option<Bic>, Violation> {
    raw_text(object, "bic", BIC_PROPERTY)?
        .map(|text| Bic::parse(text).map_err(|e| bic_violation(e, BIC_PROPERTY)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Debtor, Vec<&'static str>> {
        let object = JsonObject::from_value(value).map_err(|_| vec!["not an object"])?;
        debtor(&object).map_err(|all| all.iter().map(|v| v.code.as_str()).collect())
    }

    fn seed_debtor() -> Value {
        json!({
            "firstName": "John", "lastName": "Smith",
            "email": "JohnDangerSmith@imbursepayments.com",
            "address": { "houseNumberOrName": "221b", "streetAddress": "Baker Street",
                         "extendedAddress": "string", "postcode": "NW1 6XE",
                         "city": "London", "country": "GB" },
            "iban": "GB29 NWBK 6016 1331 9268 19", "bic": "BKENGB2L123",
            "accountHolderName": "MR J D SMITH"
        })
    }

    #[test]
    fn the_seed_debtor_is_complete() {
        let debtor = parse(seed_debtor()).expect("valid");
        assert_eq!(
            debtor.iban.as_ref().map(|iban| iban.expose().as_str()),
            Some("GB29NWBK60161331926819")
        );
        assert!(debtor.missing().is_empty());
    }

    #[test]
    fn ibans_from_several_sepa_countries_pass_and_wrong_check_digits_fail() {
        for (iban, ok) in [
            ("DE89370400440532013000", true),
            ("FR1420041010050500013M02606", true),
            ("NL91ABNA0417164300", true),
            ("ES9121000418450200051332", true),
            ("DE89370400440532013001", false),
            ("FR1520041010050500013M02606", false),
        ] {
            let result = parse(json!({ "iban": iban }));
            assert_eq!(result.is_ok(), ok, "{iban}: {result:?}");
        }
    }

    #[test]
    fn an_iban_outside_sepa_is_refused() {
        // Brazil issues IBANs but is not in the SEPA scheme.
        assert_eq!(
            parse(json!({ "iban": "BR1800360305000010009795493C1" })).err(),
            Some(vec!["IBAN_COUNTRY_NOT_SEPA"])
        );
    }

    #[test]
    fn every_bad_field_is_reported() {
        let errors = parse(json!({
            "firstName": "", "lastName": 7, "email": "john@", "language": "ENG",
            "address": { "country": "XX", "city": "c".repeat(36) },
            "iban": "DE00", "bic": "NOPE", "accountHolderName": "JOHN_SMITH"
        }))
        .err()
        .unwrap_or_default();
        assert_eq!(
            errors,
            vec![
                "ATTRIBUTE_LENGTH_OUT_OF_RANGE",
                "ATTRIBUTE_IS_INVALID",
                "EMAIL_IS_INVALID",
                "LANGUAGE_IS_INVALID",
                "ATTRIBUTE_LENGTH_OUT_OF_RANGE",
                "COUNTRY_IS_INVALID",
                "ACCOUNT_HOLDER_NAME_IS_INVALID",
                "IBAN_LENGTH_OUT_OF_RANGE",
                "BIC_LENGTH_OUT_OF_RANGE",
            ]
        );
    }

    #[test]
    fn a_bic_of_another_country_than_the_iban_is_refused() {
        assert_eq!(
            parse(json!({ "iban": "DE89370400440532013000", "bic": "BKENGB2L" })).err(),
            Some(vec!["BIC_COUNTRY_MISMATCH"])
        );
    }

    #[test]
    fn email_formats() {
        for good in [
            "a@b.co",
            "john.smith+x@mail.example.com",
            "o'neil@ex-ample.ie",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@@b.com",
            "a..b@c.com",
            ".a@b.com",
            "a@-b.com",
            "a b@c.com",
            "a@b.c0m",
            "a@b.c",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(!is_email(&format!("{}@b.com", "a".repeat(65))));
    }
}
