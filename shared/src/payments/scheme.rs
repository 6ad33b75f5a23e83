//! A tenant's collect (DEBIT) and payout (CREDIT) configurations: which payment app executes an
//! instruction, for which currencies and countries.

use super::Direction;
use crate::error::Error;
use crate::ids::TenantScope;
use crate::store::{Table, TenantCatalogue};
use serde::{Deserialize, Serialize};

/// A scheme id: 1–64 characters of `[A-Za-z0-9-]` (the seeds show both 32 hex digits and UUIDs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SchemeId(String);

impl SchemeId {
    pub const MAX_LENGTH: usize = 64;

    pub fn parse(input: &str) -> Option<SchemeId> {
        let valid = !input.is_empty()
            && input.len() <= Self::MAX_LENGTH
            && input.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        valid.then(|| SchemeId(input.to_owned()))
    }

    /// A new id in the seeds' 32-hex-digit form.
    pub fn new_random() -> SchemeId {
        SchemeId(uuid::Uuid::new_v4().simple().to_string().to_uppercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SchemeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheme {
    pub scheme_id: SchemeId,
    pub direction: Direction,
    /// The payment app that executes it, e.g. `SANDBOX`.
    pub app_id: String,
    /// ISO 4217 codes accepted; empty accepts every currency.
    pub currencies: Vec<String>,
    /// ISO 3166 alpha-2 codes accepted; empty accepts every country.
    pub countries: Vec<String>,
}

impl Scheme {
    pub fn accepts_currency(&self, code: &str) -> bool {
        self.currencies.is_empty() || self.currencies.iter().any(|c| c == code)
    }

    pub fn accepts_country(&self, code: &str) -> bool {
        self.countries.is_empty() || self.countries.iter().any(|c| c == code)
    }
}

/// The tenant's schemes, all in one partition (`T#…#A#…#SCHEMES`, `SK = {schemeId}`).
#[derive(Clone)]
pub struct SchemeStore {
    schemes: TenantCatalogue,
}

impl SchemeStore {
    pub fn new(table: Table) -> Self {
        SchemeStore {
            schemes: TenantCatalogue::new(table, "SCHEMES", "Scheme"),
        }
    }

    /// Stores a scheme; an existing one with the same id is replaced.
    pub async fn save(&self, scope: &TenantScope, scheme: &Scheme) -> Result<(), Error> {
        self.schemes
            .save(scope, scheme.scheme_id.as_str(), scheme)
            .await
    }

    /// The key of the tenant's scheme with this id, for reading it with other items.
    pub(crate) fn key(&self, scope: &TenantScope, id: &SchemeId) -> (String, String) {
        self.schemes.key(scope, id.as_str())
    }

    /// The tenant's scheme with this id; `None` when it has none.
    pub async fn find(&self, scope: &TenantScope, id: &SchemeId) -> Result<Option<Scheme>, Error> {
        self.schemes.find(scope, id.as_str()).await
    }
}
