//! Reading the attributes of a mandate or creditor-profile body, in format B's terms: each
//! problem names its property (`Debtor.Address.Country`) and, where it is safe to echo, the
//! value tried.

use crate::json::JsonObject;
use payments_domain::country::{Country, CountryError};
use payments_domain::error::{ErrorCode, Violation};
pub(crate) use payments_domain::mandates::required;
use payments_domain::Secret;
use serde_json::Value;

/// A free-text attribute: its JSON name, its property name in errors, its longest length.
pub(crate) struct Attribute {
    pub name: &'static str,
    pub property: &'static str,
    pub max_length: usize,
}

impl Attribute {
    pub(crate) const fn new(name: &'static str, property: &'static str, max_length: usize) -> Self {
        Attribute {
            name,
            property,
            max_length,
        }
    }

    pub(crate) fn required(&self) -> Violation {
        required(self.property)
    }
}

pub(crate) fn invalid(property: &'static str) -> Violation {
    Violation::new(ErrorCode::ATTRIBUTE_IS_INVALID).on_property(property, None)
}

/// A trimmed text attribute, `None` when absent or null. Not a string, control characters or a
/// length outside 1..=max are violations; the value is not echoed (it may be personal data).
pub(crate) fn text(
    object: &JsonObject,
    attribute: &Attribute,
) -> Result<Option<String>, Violation> {
    let text = match object.value(attribute.name) {
        None => return Ok(None),
        Some(Value::String(text)) => text.trim(),
        Some(_) => return Err(invalid(attribute.property)),
    };
    let length = text.chars().count();
    if length == 0 || length > attribute.max_length {
        return Err(Violation::new(ErrorCode::ATTRIBUTE_LENGTH_OUT_OF_RANGE)
            .with("minLength", 1)
            .with("maxLength", attribute.max_length)
            .on_property(attribute.property, None));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(attribute.property));
    }
    Ok(Some(text.to_owned()))
}

/// A nested object attribute, `None` when absent or null.
pub(crate) fn object(
    parent: &JsonObject,
    name: &str,
    property: &'static str,
) -> Result<Option<JsonObject>, Violation> {
    parent
        .value(name)
        .map(|value| JsonObject::from_value(value.clone()).map_err(|_| invalid(property)))
        .transpose()
}

/// A text attribute that is personal data.
pub(crate) fn personal_text(
    object: &JsonObject,
    attribute: &Attribute,
) -> Result<Option<Secret<String>>, Violation> {
    Ok(text(object, attribute)?.map(Secret::new))
}

/// An ISO 3166-1 alpha-2 country attribute.
pub(crate) fn country(
    object: &JsonObject,
    name: &str,
    property: &'static str,
) -> Result<Option<Country>, Violation> {
    let Some(value) = object.value(name) else {
        return Ok(None);
    };
    let Value::String(code) = value else {
        return Err(Violation::new(ErrorCode::COUNTRY_IS_INVALID).on_property(property, None));
    };
    match Country::parse(code) {
        Ok(country) => Ok(Some(country)),
        Err(CountryError::WrongLength) => {
            Err(Violation::new(ErrorCode::COUNTRY_LENGTH_OUT_OF_RANGE)
                .on_property(property, Some(code)))
        }
        Err(CountryError::Unknown) => {
            Err(Violation::new(ErrorCode::COUNTRY_IS_INVALID).on_property(property, Some(code)))
        }
    }
}
