//! Reading a request's JSON into field-level violations, so a bad request gets a 400 naming
//! each problem and never a 500. A body arrives as `Option<Value>`: `None` when the request
//! has none (the HTTP edge has already refused JSON that does not parse).

use payments_domain::error::{ErrorCode, Violation};
use payments_domain::Secret;
use serde_json::{Map, Value};

/// The body as an object; a missing body is `BODY_IS_REQUIRED`.
pub fn required_object(body: Option<Value>) -> Result<JsonObject, Violation> {
    match body {
        None => Err(Violation::new(ErrorCode::BODY_IS_REQUIRED)),
        Some(value) => JsonObject::from_value(value),
    }
}

/// The body as an object; a missing body reads as an empty one.
pub fn optional_object(body: Option<Value>) -> Result<JsonObject, Violation> {
    JsonObject::from_value(body.unwrap_or_else(|| Value::Object(Map::new())))
}

/// A body field: its JSON name, its name in messages, and its codes.
pub struct Field {
    pub name: &'static str,
    pub property: &'static str,
    pub required: ErrorCode,
    pub invalid: ErrorCode,
}

pub struct JsonObject(Map<String, Value>);

impl JsonObject {
    /// An object from any JSON value (the body itself, or one element of an array in it).
    pub fn from_value(value: Value) -> Result<Self, Violation> {
        match value {
            Value::Object(map) => Ok(JsonObject(map)),
            _ => Err(Violation::new(ErrorCode::BODY_IS_INVALID)),
        }
    }

    /// The object as a JSON value again.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// A JSON field's value; absent and `null` both read as `None`.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    /// Whether the field is present at all, `null` included.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// An optional string field: `None` when absent or null, a violation when not a string.
    pub fn text(&self, field: &Field) -> Result<Option<&str>, Violation> {
        match self.value(field.name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => {
                Err(Violation::new(field.invalid)
                    .on_property(field.property, Some(&other.to_string())))
            }
        }
    }

    /// A string field that must be present.
    pub fn required_text(&self, field: &Field) -> Result<&str, Violation> {
        self.text(field)?
            .ok_or_else(|| Violation::new(field.required).on_property(field.property, None))
    }
}

const REASON: Field = Field {
    name: "reason",
    property: "Reason",
    required: ErrorCode::REASON_IS_INVALID,
    invalid: ErrorCode::REASON_IS_INVALID,
};

/// An optional body `{reason?}` (wallet changes, close, cancel), the reason at most
/// `max_length` characters.
/// A body of an optional free-text `reason` (cancel, close, wallet changes), for the OpenAPI
/// document; read by [`reason_body`].
#[derive(utoipa::ToSchema)]
pub struct ReasonRequest {
    /// Why; its longest length depends on the route (docs/api.md).
    pub reason: Option<String>,
}

pub fn reason_body(
    body: Option<Value>,
    max_length: usize,
) -> Result<Option<Secret<String>>, Vec<Violation>> {
    Ok(reason_field(&optional_object(body)?, max_length)?)
}

/// The optional `reason` field of a body, at most `max_length` characters. Free text: it may
/// hold personal data.
pub fn reason_field(
    object: &JsonObject,
    max_length: usize,
) -> Result<Option<Secret<String>>, Violation> {
    match object.text(&REASON)? {
        Some(reason) if reason.chars().count() > max_length => {
            Err(Violation::new(ErrorCode::REASON_LENGTH_OUT_OF_RANGE)
                .with("maxLength", max_length)
                .on_property(REASON.property, None))
        }
        reason => Ok(reason.map(|text| Secret::new(text.to_owned()))),
    }
}
