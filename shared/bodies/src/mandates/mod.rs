//! Mandate and creditor profile bodies (docs/api.md §3, mandates), read and reported in
//! format B's terms: each problem names its property (`Debtor.Address.Country`) and, where it
//! is safe to echo, the value tried. Timestamps are ISO-8601 UTC here, as published, unlike
//! the epoch milliseconds of the other groups.

mod attributes;
mod debtor;

pub use debtor::debtor;

use crate::json::{self, JsonObject};
use attributes::{required, Attribute};
use payments_domain::bank::{CreditorIdentifier, CreditorIdentifierError};
use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::ids::{FinancialInstrumentId, MandateId};
use payments_domain::mandates::{
    CreditorAddress, CreditorProfile, Debtor, InactiveReason, Mandate, MandateStatus, MandateTerms,
    ProfilePage, VerificationCheck, CREDITOR_PROFILE_REF_PROPERTY, CUSTOMER_REF_PROPERTY,
    DEBTOR_PROPERTY, SEPA,
};
use payments_domain::metadata::Metadata;
use payments_domain::paging::Paging;
use payments_domain::refs::{CreditorProfileRef, CustomerRef};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

const PROFILE_NAME: Attribute = Attribute::new("profileName", "ProfileName", 100);
const NAME: Attribute = Attribute::new("name", "Name", 70);
const STREET: Attribute = Attribute::new("streetAddress", "Address.StreetAddress", 70);
const POSTCODE: Attribute = Attribute::new("postcode", "Address.Postcode", 16);
const CITY: Attribute = Attribute::new("city", "Address.City", 35);
const IDENTIFIER_PROPERTY: &str = "Identifier";

/// SEPA Core direct debits, recurring, signed electronically: the one kind of mandate offered.
const MANDATE_TYPE: &str = "SepaCore";
const AGREEMENT_TYPE: &str = "Recurring";
const DOCUMENT_TYPE: &str = "Electronic";

/// POST sepa, POST sepa/draft and PUT sepa/{id}, for the OpenAPI document; read by [`terms`]
/// (a draft may lack any part; POST sepa needs them all, [`complete_terms`]). The example is
/// seed 004's.
#[derive(ToSchema)]
#[schema(example = json!({
    "customerRef": "customer1", "creditorProfileRef": "fb39d6eb3ac44d6597f0f7221da5e663",
    "debtor": {
        "firstName": "John", "lastName": "Smith", "email": "john.smith@example.com",
        "address": { "houseNumberOrName": "221b", "streetAddress": "Baker Street",
                     "postcode": "NW1 6XE", "city": "London", "country": "GB" },
        "iban": "GB29NWBK60161331926819", "bic": "NWBKGB2L", "accountHolderName": "MR J D SMITH"
    },
    "metadata": { "property1": "string" }
}))]
#[schema(rename_all = "camelCase")]
pub struct MandateRequest {
    pub customer_ref: Option<CustomerRef>,
    pub creditor_profile_ref: Option<CreditorProfileRef>,
    pub debtor: Option<Debtor>,
    pub metadata: Option<Metadata>,
}

/// PUT sepa/{id}/amend, for the OpenAPI document; read by [`amendment`].
#[derive(ToSchema)]
#[schema(example = json!({ "debtor": {
        "firstName": "John", "lastName": "Smith", "email": "john.smith@example.com",
        "address": { "houseNumberOrName": "221b", "streetAddress": "Baker Street",
                     "postcode": "NW1 6XE", "city": "London", "country": "GB" },
        "iban": "GB29NWBK60161331926819", "bic": "NWBKGB2L", "accountHolderName": "MR J D SMITH"
    } }))]
pub struct AmendmentRequest {
    pub debtor: Debtor,
}

/// POST creditor-profiles/sepa, for the OpenAPI document; read by [`creditor_profile`]. The
/// example is seed 004's.
#[derive(ToSchema)]
#[schema(example = json!({
    "creditorProfileRef": "fb39d6eb3ac44d6597f0f7221da5e663", "profileName": "A_PROFILE_NAME_0",
    "identifier": "DE98ZZZ09999999999", "name": "A_NAME_0",
    "address": { "streetAddress": "street 1", "postcode": "8000", "city": "Zurich", "country": "CH" },
    "metadata": { "property1": "string" }
}))]
#[schema(rename_all = "camelCase")]
pub struct CreditorProfileRequest {
    pub creditor_profile_ref: CreditorProfileRef,
    pub profile_name: String,
    /// A SEPA creditor identifier.
    pub identifier: String,
    pub name: String,
    pub address: Option<CreditorAddress>,
    pub metadata: Option<Metadata>,
}

/// POST sepa, POST sepa/draft and PUT sepa/{id}: `{customerRef, creditorProfileRef, debtor,
/// metadata}`, each part optional here; what registration needs is checked by
/// [`MandateTerms::missing`].
pub fn terms(body: Option<Value>) -> Result<MandateTerms, Vec<Violation>> {
    let object = json::required_object(body)?;
    let mut found = Violations::new();
    let customer_ref = found.check(match object.value("customerRef") {
        None => Ok(None),
        Some(Value::String(text)) => CustomerRef::parse(text).map(Some),
        Some(_) => Err(attributes::invalid(CUSTOMER_REF_PROPERTY)),
    });
    let creditor_profile_ref = found.check(creditor_profile_ref(&object));
    let debtor = found.check(debtor::debtor_attribute(&object));
    let metadata = found.check(metadata(&object));
    let terms = (|| {
        Some(MandateTerms {
            customer_ref: customer_ref?,
            creditor_profile_ref: creditor_profile_ref?,
            debtor: debtor?,
            metadata: metadata?,
        })
    })();
    found.collect(terms)
}

/// POST sepa: the terms, complete: what registration needs is required here.
pub fn complete_terms(body: Option<Value>) -> Result<MandateTerms, Vec<Violation>> {
    let terms = terms(body)?;
    let missing = terms.missing();
    if missing.is_empty() {
        Ok(terms)
    } else {
        Err(missing)
    }
}

/// PUT sepa/{id}/amend: `{debtor}`, complete.
pub fn amendment(body: Option<Value>) -> Result<Debtor, Vec<Violation>> {
    let object = json::required_object(body)?;
    let debtor =
        debtor::debtor_attribute(&object)?.ok_or_else(|| vec![required(DEBTOR_PROPERTY)])?;
    let missing = debtor.missing();
    if missing.is_empty() {
        Ok(debtor)
    } else {
        Err(missing)
    }
}

/// POST creditor-profiles/sepa: `{creditorProfileRef, profileName, identifier, name,
/// address?, metadata?}`.
pub fn creditor_profile(body: Option<Value>) -> Result<CreditorProfile, Vec<Violation>> {
    let object = json::required_object(body)?;
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

fn required_text(object: &JsonObject, attribute: &Attribute) -> Result<String, Violation> {
    attributes::text(object, attribute)?.ok_or_else(|| attribute.required())
}

/// An optional `creditorProfileRef` attribute of a body.
fn creditor_profile_ref(object: &JsonObject) -> Result<Option<CreditorProfileRef>, Violation> {
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
fn metadata(object: &JsonObject) -> Result<Metadata, Vec<Violation>> {
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

/// A creditor profile as published: `{creditorProfileRef, profileName, network, identifier,
/// name, address, metadata}`. The example is seed 004's.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "creditorProfileRef": "fb39d6eb3ac44d6597f0f7221da5e663", "profileName": "A_PROFILE_NAME_0",
    "network": "SEPA", "identifier": "DE98ZZZ09999999999", "name": "A_NAME_0",
    "address": { "streetAddress": "street 1", "postcode": "8000", "city": "Zurich", "country": "CH" },
    "metadata": { "property1": "string" }
}))]
pub struct ProfileBody {
    creditor_profile_ref: CreditorProfileRef,
    profile_name: String,
    /// Always `SEPA`.
    network: &'static str,
    identifier: CreditorIdentifier,
    name: String,
    address: Option<CreditorAddress>,
    metadata: Metadata,
}

pub fn profile_body(profile: &CreditorProfile) -> ProfileBody {
    ProfileBody {
        creditor_profile_ref: profile.creditor_profile_ref.clone(),
        profile_name: profile.profile_name.clone(),
        network: SEPA,
        identifier: profile.identifier.clone(),
        name: profile.name.clone(),
        address: profile.address.clone(),
        metadata: profile.metadata.clone(),
    }
}

/// Where a mandate is read: a draft's `Location`.
pub fn mandate_location(mandate: &Mandate) -> String {
    crate::links::mandate_href(mandate.mandate_id)
}

/// GET sepa/{mandateId}.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "mandateId": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "mandateRef": "38P6HXHNGR",
    "network": "SEPA", "mandateType": "SepaCore", "agreementType": "Recurring",
    "customerRef": "customer1", "status": "Active", "inactiveReason": null,
    "creditorProfileRef": "fb39d6eb3ac44d6597f0f7221da5e663",
    "financialInstrumentId": "6105540a-1f16-46e0-b16d-0d3cdfe79411",
    "created": "2026-11-21T12:00:00Z",
    "debtor": {
        "firstName": "John", "lastName": "Smith", "companyName": null,
        "email": "john.smith@example.com", "language": null,
        "address": { "houseNumberOrName": "221b", "streetAddress": "Baker Street",
                     "extendedAddress": null, "postcode": "NW1 6XE", "city": "London", "country": "GB" },
        "iban": "GB29NWBK60161331926819", "bic": "NWBKGB2L", "accountHolderName": "MR J D SMITH"
    },
    "documentType": "Electronic",
    "metadata": { "property1": "string" }
}))]
pub struct MandateBody {
    mandate_id: MandateId,
    mandate_ref: String,
    /// Always `SEPA`.
    network: &'static str,
    /// Always `SepaCore`.
    mandate_type: &'static str,
    /// Always `Recurring`.
    agreement_type: &'static str,
    customer_ref: Option<CustomerRef>,
    status: MandateStatus,
    inactive_reason: Option<InactiveReason>,
    creditor_profile_ref: Option<CreditorProfileRef>,
    financial_instrument_id: Option<FinancialInstrumentId>,
    /// ISO-8601.
    created: Option<String>,
    debtor: Option<Debtor>,
    /// Always `Electronic`.
    document_type: &'static str,
    metadata: Metadata,
}

pub fn mandate_body(mandate: &Mandate) -> MandateBody {
    MandateBody {
        mandate_id: mandate.mandate_id,
        mandate_ref: mandate.mandate_ref.clone(),
        network: SEPA,
        mandate_type: MANDATE_TYPE,
        agreement_type: AGREEMENT_TYPE,
        customer_ref: mandate.terms.customer_ref.clone(),
        status: mandate.status,
        inactive_reason: mandate.inactive_reason.clone(),
        creditor_profile_ref: mandate.terms.creditor_profile_ref.clone(),
        financial_instrument_id: mandate.financial_instrument_id,
        created: payments_domain::clock::iso_timestamp(mandate.created),
        debtor: mandate.terms.debtor.clone(),
        document_type: DOCUMENT_TYPE,
        metadata: mandate.terms.metadata.clone(),
    }
}

/// The answer to create, draft, update and amend: `{financialInstrumentId, mandateId,
/// verificationCheck}`, plus `mandateRef` (the seed's draft answer names it).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionBody {
    financial_instrument_id: Option<FinancialInstrumentId>,
    mandate_id: MandateId,
    mandate_ref: String,
    verification_check: Option<VerificationCheck>,
}

pub fn submission_body(mandate: &Mandate) -> SubmissionBody {
    SubmissionBody {
        financial_instrument_id: mandate.financial_instrument_id,
        mandate_id: mandate.mandate_id,
        mandate_ref: mandate.mandate_ref.clone(),
        verification_check: mandate.verification_check.clone(),
    }
}

/// GET creditor-profiles: a page and where it sits among all of them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfilePageBody {
    current_page: usize,
    page_count: usize,
    page_size: usize,
    row_count: usize,
    total_count: usize,
    results: Vec<ProfileBody>,
}

pub fn profile_page_body(page: &ProfilePage, paging: Paging) -> ProfilePageBody {
    ProfilePageBody {
        current_page: paging.from / paging.take + 1,
        page_count: page.total_count.div_ceil(paging.take),
        page_size: paging.take,
        row_count: page.results.len(),
        total_count: page.total_count,
        results: page.results.iter().map(profile_body).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<CreditorProfile, Vec<(String, Option<String>)>> {
        creditor_profile(Some(value)).map_err(|all| {
            all.into_iter()
                .map(|v| (v.code.as_str().to_owned(), v.property.map(str::to_owned)))
                .collect()
        })
    }

    #[test]
    fn the_seed_profile_round_trips() {
        let profile = parse(json!({
            "creditorProfileRef": "fb39d6eb3ac44d6597f0f7221da5e663",
            "profileName": "A_PROFILE_NAME_0",
            "identifier": "DE98ZZZ09999999999",
            "name": "A_NAME_0",
            "address": { "streetAddress": "street 1", "postcode": "8000", "city": "Zurich", "country": "CH" },
            "metadata": { "property1": "string" }
        }))
        .expect("valid");
        let body = serde_json::to_value(profile_body(&profile)).unwrap_or_default();
        assert_eq!(body["network"], "SEPA");
        assert_eq!(body["address"]["country"], "CH");
        assert_eq!(body["metadata"]["property1"], "string");
    }

    #[test]
    fn a_missing_ref_is_the_seeds_required_attribute() {
        let errors = parse(json!({})).err().unwrap_or_default();
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

    #[test]
    fn identifier_problems_are_told_apart() {
        for (identifier, code) in [
            ("DE97ZZZ09999999999", "IDENTIFIER_CHECK_DIGITS_ARE_INVALID"),
            ("US12ZZZ123", "IDENTIFIER_COUNTRY_NOT_SEPA"),
            ("not an identifier", "IDENTIFIER_IS_INVALID"),
        ] {
            let errors = parse(json!({
                "creditorProfileRef": "p1", "profileName": "n", "identifier": identifier, "name": "n"
            }))
                .err()
            .unwrap_or_default();
            assert_eq!(
                errors,
                vec![(code.to_owned(), Some("Identifier".to_owned()))]
            );
        }
    }
}
