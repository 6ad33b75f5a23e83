//! Parsed values travel as their text (in the table, in queue messages) and are parsed again
//! when read, so a stored value that would no longer pass its rules is refused rather than
//! trusted. [`text_form!`](crate::text_form) gives a type that has `parse(&str)` and
//! `as_str()` the `Serialize` and `Deserialize` that do this.

/// Implements `Serialize` as the type's `as_str()` and `Deserialize` through its `parse`; the
/// error names the type, never the value (it may be personal data).
#[macro_export]
macro_rules! text_form {
    ($($name:ty),+ $(,)?) => {$(
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                <$name>::parse(&text).map_err(|_| {
                    serde::de::Error::custom(concat!("a stored ", stringify!($name), " that does not parse"))
                })
            }
        }

        /// In the OpenAPI document: a string (its rules are `parse`'s, in docs/api.md).
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::text_form::string_schema(None, None)
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

/// A string schema, with a format and a pattern when given.
pub fn string_schema(
    format: Option<utoipa::openapi::SchemaFormat>,
    pattern: Option<&str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .format(format)
        .pattern(pattern)
        .into()
}
