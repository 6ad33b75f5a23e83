//! Reading a request's path parameters and JSON body into field-level violations, so a bad
//! request gets a 400 naming each problem and never a 500.

use crate::error::{Error, ErrorCode, Violation};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Path parameters as raw strings; each handler parses the ones it needs into domain types.
pub struct PathParams(HashMap<String, String>);

impl PathParams {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(params)| PathParams(params))
            .map_err(|_| Error::invalid(Violation::new(ErrorCode::PATH_PARAMETER_IS_INVALID)))
    }
}

/// A request body parsed as JSON; `None` when the request has no body.
pub struct JsonBody(Option<Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Error;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Error> {
        // The edge has already buffered the body and enforced its size limit.
        let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .map_err(|e| Error::Internal(format!("reading buffered body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(None));
        }
        serde_json::from_slice(&bytes)
            .map(|value| JsonBody(Some(value)))
            .map_err(|e| {
                Error::invalid(
                    Violation::new(ErrorCode::BODY_IS_INVALID)
                        .with("line", e.line())
                        .with("column", e.column()),
                )
            })
    }
}

impl JsonBody {
    /// The body as an object; a missing body is `BODY_IS_REQUIRED`.
    pub fn required_object(self) -> Result<JsonObject, Violation> {
        match self.0 {
            None => Err(Violation::new(ErrorCode::BODY_IS_REQUIRED)),
            Some(value) => JsonObject::from_value(value),
        }
    }

    /// The body as any JSON value; a missing body is `BODY_IS_REQUIRED`.
    pub fn required_value(self) -> Result<Value, Violation> {
        self.0
            .ok_or_else(|| Violation::new(ErrorCode::BODY_IS_REQUIRED))
    }

    /// The body as an object; a missing body reads as an empty one.
    pub fn optional_object(self) -> Result<JsonObject, Violation> {
        JsonObject::from_value(self.0.unwrap_or_else(|| Value::Object(Map::new())))
    }
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
pub fn parse_reason(body: JsonBody, max_length: usize) -> Result<Option<String>, Vec<Violation>> {
    Ok(reason_field(&body.optional_object()?, max_length)?)
}

/// The optional `reason` field of a body, at most `max_length` characters.
pub fn reason_field(object: &JsonObject, max_length: usize) -> Result<Option<String>, Violation> {
    match object.text(&REASON)? {
        Some(reason) if reason.chars().count() > max_length => {
            Err(Violation::new(ErrorCode::REASON_LENGTH_OUT_OF_RANGE)
                .with("maxLength", max_length)
                .on_property(REASON.property, None))
        }
        reason => Ok(reason.map(str::to_owned)),
    }
}
