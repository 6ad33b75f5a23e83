//! A SEPA creditor profile: who collects under the tenant's mandates (seed 004).

use super::attributes::{self, required, Attribute};
use super::creditor_identifier::{CreditorIdentifier, CreditorIdentifierError};
use crate::error::{ErrorCode, Violation, Violations};
use crate::http::{JsonBody, JsonObject};
use crate::metadata::Metadata;
use crate::refs::CreditorProfileRef;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const PROFILE_NAME: Attribute = Attribute::new("profileName", "ProfileName", 100);
const NAME: Attribute = Attribute::new("name", "Name", 70);
const STREET: Attribute = Attribute::new("streetAddress", "Address.StreetAddress", 70);
const POSTCODE: Attribute = Attribute::new("postcode", "Address.Postcode", 16);
const CITY: Attribute = Attribute::new("city", "Address.City", 35);
pub(crate) const CREDITOR_PROFILE_REF_PROPERTY: &str = "CreditorProfileRef";
const IDENTIFIER_PROPERTY: &str = "Identifier";

/// The only network profiles exist for.
pub const SEPA: &str = "SEPA";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditorAddress {
    pub street_address: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditorProfile {
    pub creditor_profile_ref: CreditorProfileRef,
    pub profile_name: String,
    pub identifier: CreditorIdentifier,
    pub name: String,
    pub address: Option<CreditorAddress>,
    #[serde(default)]
    pub metadata: Metadata,
}

impl CreditorProfile {
    /// POST creditor-profiles/sepa: `{creditorProfileRef, profileName, identifier, name,
    /// address?, metadata?}`.
    pub fn parse(body: JsonBody) -> Result<CreditorProfile, Vec<Violation>> {
        let object = body.required_object()?;
        let mut found = Violations::new();
        let reference = found.check(
            creditor_profile_ref(&object)
                .and_then(|r| r.ok_or_else(|| required(CREDITOR_PROFILE_REF_PROPERTY))),
        );
        let profile_name = found.check(required_text(&object, &PROFILE_NAME));
        let identifier = found.check(identifier(&object));
        let name = found.check(required_text(&object, &NAME));
        let address = found.check(address(&object));
        let metadata = found.check(metadata(&object));
        let profile = (|| {
            Some(CreditorProfile {
                creditor_profile_ref: reference?,
                profile_name: profile_name?,
                identifier: identifier?,
                name: name?,
                address: address?,
                metadata: metadata?,
            })
        })();
        found.collect(profile)
    }

    /// The seed's body: `{creditorProfileRef, profileName, network, identifier, name, address,
    /// metadata}`.
    pub fn body(&self) -> Value {
        json!({
            "creditorProfileRef": self.creditor_profile_ref,
            "profileName": self.profile_name,
            "network": SEPA,
            "identifier": self.identifier,
            "name": self.name,
            "address": self.address,
            "metadata": self.metadata,
        })
    }
}

fn required_text(object: &JsonObject, attribute: &Attribute) -> Result<String, Violation> {
    attributes::text(object, attribute)?.ok_or_else(|| attribute.required())
}

/// An optional `creditorProfileRef` attribute of a body.
pub(crate) fn creditor_profile_ref(
    object: &JsonObject,
) -> Result<Option<CreditorProfileRef>, Violation> {
    match object.value("creditorProfileRef") {
        None => Ok(None),
        Some(Value::String(text)) => CreditorProfileRef::parse(text).map(Some),
        Some(_) => Err(attributes::invalid(CREDITOR_PROFILE_REF_PROPERTY)),
    }
}

fn identifier(object: &JsonObject) -> Result<CreditorIdentifier, Violation> {
    let text = match object.value("identifier") {
        None => return Err(required(IDENTIFIER_PROPERTY)),
        Some(Value::String(text)) => text,
        Some(_) => return Err(attributes::invalid(IDENTIFIER_PROPERTY)),
    };
    CreditorIdentifier::parse(text).map_err(|error| {
        let violation = match error {
            CreditorIdentifierError::Malformed => Violation::new(ErrorCode::IDENTIFIER_IS_INVALID),
            CreditorIdentifierError::CountryNotSepa => {
                Violation::new(ErrorCode::IDENTIFIER_COUNTRY_NOT_SEPA)
                    .with("country", text.get(..2).unwrap_or_default())
            }
            CreditorIdentifierError::CheckDigits => {
                Violation::new(ErrorCode::IDENTIFIER_CHECK_DIGITS_ARE_INVALID)
            }
        };
        violation.on_property(IDENTIFIER_PROPERTY, Some(text))
    })
}

fn address(object: &JsonObject) -> Result<Option<CreditorAddress>, Vec<Violation>> {
    let Some(address) = attributes::object(object, "address", "Address")? else {
        return Ok(None);
    };
    let mut found = Violations::new();
    let street = found.check(attributes::text(&address, &STREET));
    let postcode = found.check(attributes::text(&address, &POSTCODE));
    let city = found.check(attributes::text(&address, &CITY));
    let country = found.check(attributes::country(&address, "country", "Address.Country"));
    let parsed = (|| {
        Some(CreditorAddress {
            street_address: street?,
            postcode: postcode?,
            city: city?,
            country: country?,
        })
    })();
    found.collect(parsed).map(Some)
}

/// The optional `metadata` attribute of a mandate or profile body.
pub(crate) fn metadata(object: &JsonObject) -> Result<Metadata, Vec<Violation>> {
    let metadata = object
        .value("metadata")
        .map(Metadata::from_json)
        .transpose()
        .map_err(|all| {
            all.into_iter()
                .map(|v| v.on_property("Metadata", None))
                .collect::<Vec<_>>()
        })?;
    Ok(metadata.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::extract::FromRequest;

    async fn parse(value: Value) -> Result<CreditorProfile, Vec<(String, Option<String>)>> {
        let request = axum::http::Request::new(Body::from(value.to_string()));
        let body = match JsonBody::from_request(request, &()).await {
            Ok(body) => body,
            Err(_) => return Err(vec![("unreadable".into(), None)]),
        };
        CreditorProfile::parse(body).map_err(|all| {
            all.into_iter()
                .map(|v| (v.code.as_str().to_owned(), v.property.map(str::to_owned)))
                .collect()
        })
    }

    #[tokio::test]
    async fn the_seed_profile_round_trips() {
        let profile = parse(json!({
            "creditorProfileRef": "fb39d6eb3ac44d6597f0f7221da5e663",
            "profileName": "A_PROFILE_NAME_0",
            "identifier": "DE98ZZZ09999999999",
            "name": "A_NAME_0",
            "address": { "streetAddress": "street 1", "postcode": "8000", "city": "Zurich", "country": "CH" },
            "metadata": { "property1": "string" }
        }))
        .await
        .expect("valid");
        let body = profile.body();
        assert_eq!(body["network"], "SEPA");
        assert_eq!(body["address"]["country"], "CH");
        assert_eq!(body["metadata"]["property1"], "string");
    }

    #[tokio::test]
    async fn a_missing_ref_is_the_seeds_required_attribute() {
        let errors = parse(json!({})).await.err().unwrap_or_default();
        assert_eq!(
            errors,
            vec![
                (
                    "REQUIRED_ATTRIBUTE".into(),
                    Some("CreditorProfileRef".into())
                ),
                ("REQUIRED_ATTRIBUTE".into(), Some("ProfileName".into())),
                ("REQUIRED_ATTRIBUTE".into(), Some("Identifier".into())),
                ("REQUIRED_ATTRIBUTE".into(), Some("Name".into())),
            ]
        );
    }

    #[tokio::test]
    async fn identifier_problems_are_told_apart() {
        for (identifier, code) in [
            ("DE97ZZZ09999999999", "IDENTIFIER_CHECK_DIGITS_ARE_INVALID"),
            ("US12ZZZ123", "IDENTIFIER_COUNTRY_NOT_SEPA"),
            ("not an identifier", "IDENTIFIER_IS_INVALID"),
        ] {
            let errors = parse(json!({
                "creditorProfileRef": "p1", "profileName": "n", "identifier": identifier, "name": "n"
            }))
            .await
            .err()
            .unwrap_or_default();
            assert_eq!(
                errors,
                vec![(code.to_owned(), Some("Identifier".to_owned()))]
            );
        }
    }
}
