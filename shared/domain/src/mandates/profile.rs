//! A SEPA creditor profile: who collects under the tenant's mandates (docs/api.md §3,
//! mandates). A business, not a person: its name and address are no personal data.

use crate::bank::CreditorIdentifier;
use crate::country::Country;
use crate::metadata::Metadata;
use crate::refs::CreditorProfileRef;
use serde::{Deserialize, Serialize};

/// The only network profiles exist for.
pub const SEPA: &str = "SEPA";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditorAddress {
    pub street_address: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub country: Option<Country>,
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
