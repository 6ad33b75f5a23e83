//! Client metadata: at most 15 keys, keys 1–64 characters, values at most 256 characters.
//! Values may be personal data (an email, a policy holder's name), so each is a `Secret`.

use crate::error::{ErrorCode, Violation};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const MAX_KEYS: usize = 15;
pub const MAX_KEY_LENGTH: usize = 64;
pub const MAX_VALUE_LENGTH: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(BTreeMap<String, Secret<String>>);

/// In the OpenAPI document: up to 15 string values under keys of up to 64 characters.
impl utoipa::PartialSchema for Metadata {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .property_names(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .max_length(Some(MAX_KEY_LENGTH)),
            ))
            .additional_properties(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .max_length(Some(MAX_VALUE_LENGTH)),
            ))
            .max_properties(Some(MAX_KEYS))
            .into()
    }
}

impl utoipa::ToSchema for Metadata {}

impl Metadata {
    /// Parses a JSON metadata value; `null` means no metadata. Every problem is reported.
    pub fn from_json(value: &Value) -> Result<Metadata, Vec<Violation>> {
        let object = match value {
            Value::Null => return Ok(Metadata::default()),
            Value::Object(object) => object,
            _ => return Err(vec![Violation::new(ErrorCode::METADATA_IS_INVALID)]),
        };
        let mut problems = Vec::new();
        if object.len() > MAX_KEYS {
            problems.push(
                Violation::new(ErrorCode::METADATA_KEY_COUNT_OUT_OF_RANGE)
                    .with("maxCount", MAX_KEYS),
            );
        }
        let mut entries = BTreeMap::new();
        for (key, value) in object {
            let key_length = key.chars().count();
            if key_length == 0 || key_length > MAX_KEY_LENGTH {
                problems.push(
                    Violation::new(ErrorCode::METADATA_KEY_SIZE_OUT_OF_RANGE)
                        .with("key", truncated(key))
                        .with("minLength", 1)
                        .with("maxLength", MAX_KEY_LENGTH),
                );
            }
            match value {
                Value::String(text) if text.chars().count() > MAX_VALUE_LENGTH => problems.push(
                    Violation::new(ErrorCode::METADATA_VALUE_SIZE_OUT_OF_RANGE)
                        .with("key", truncated(key))
                        .with("maxLength", MAX_VALUE_LENGTH),
                ),
                Value::String(text) => {
                    entries.insert(key.clone(), Secret::new(text.clone()));
                }
                _ => problems.push(
                    Violation::new(ErrorCode::METADATA_VALUE_IS_INVALID)
                        .with("key", truncated(key)),
                ),
            }
        }
        if problems.is_empty() {
            Ok(Metadata(entries))
        } else {
            Err(problems)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Keys are echoed in errors; an oversized key is cut so the error stays small.
fn truncated(key: &str) -> String {
    key.chars().take(MAX_KEY_LENGTH).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(value: Value) -> Vec<ErrorCode> {
        match Metadata::from_json(&value) {
            Ok(_) => vec![],
            Err(found) => found.into_iter().map(|v| v.code).collect(),
        }
    }

    #[test]
    fn metadata_limits() {
        let fifteen: serde_json::Map<String, Value> =
            (0..15).map(|i| (format!("k{i}"), json!("v"))).collect();
        let sixteen: serde_json::Map<String, Value> =
            (0..16).map(|i| (format!("k{i}"), json!("v"))).collect();
        let cases = [
            (json!(null), vec![]),
            (json!({}), vec![]),
            (json!({"customKey1": "custom string 1"}), vec![]),
            (Value::Object(fifteen), vec![]),
            (
                Value::Object(sixteen),
                vec![ErrorCode::METADATA_KEY_COUNT_OUT_OF_RANGE],
            ),
            (json!({ "k".repeat(64): "v" }), vec![]),
            (
                json!({ "k".repeat(65): "v" }),
                vec![ErrorCode::METADATA_KEY_SIZE_OUT_OF_RANGE],
            ),
            (
                json!({ "": "v" }),
                vec![ErrorCode::METADATA_KEY_SIZE_OUT_OF_RANGE],
            ),
            (json!({ "k": "v".repeat(256) }), vec![]),
            (
                json!({ "k": "v".repeat(257) }),
                vec![ErrorCode::METADATA_VALUE_SIZE_OUT_OF_RANGE],
            ),
            (
                json!({ "k": 1 }),
                vec![ErrorCode::METADATA_VALUE_IS_INVALID],
            ),
            (
                json!({ "k": null }),
                vec![ErrorCode::METADATA_VALUE_IS_INVALID],
            ),
            (json!(["a"]), vec![ErrorCode::METADATA_IS_INVALID]),
            (json!("text"), vec![ErrorCode::METADATA_IS_INVALID]),
            (
                json!({ "": 1, "k": "v".repeat(300) }),
                vec![
                    ErrorCode::METADATA_KEY_SIZE_OUT_OF_RANGE,
                    ErrorCode::METADATA_VALUE_IS_INVALID,
                    ErrorCode::METADATA_VALUE_SIZE_OUT_OF_RANGE,
                ],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(codes(input.clone()), expected, "{input}");
        }
    }

    #[test]
    fn debug_hides_values() {
        let metadata = Metadata::from_json(&json!({"email": "jane@example.com"}));
        let shown = format!("{metadata:?}");
        assert!(
            shown.contains("email") && !shown.contains("jane"),
            "{shown}"
        );
    }
}
