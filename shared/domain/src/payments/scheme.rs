//! A tenant's collect (DEBIT) and payout (CREDIT) configurations: which payment app executes an
//! instruction, for which currencies and countries.

use super::Direction;
use crate::country::Country;
use crate::currency::Currency;
use crate::error::Error;
use crate::ids::TenantScope;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// A scheme id: 1–64 characters of `[A-Za-z0-9-]` (the published samples show both 32 hex
/// digits and UUIDs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemeId(String);

impl SchemeId {
    pub const MAX_LENGTH: usize = 64;

    pub fn parse(input: &str) -> Result<SchemeId, InvalidSchemeId> {
        let valid = !input.is_empty()
            && input.len() <= Self::MAX_LENGTH
            && input.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        valid
            .then(|| SchemeId(input.to_owned()))
            .ok_or(InvalidSchemeId)
    }

    /// A new id in the 32-hex-digit form of the published samples.
    pub fn new_random() -> SchemeId {
        SchemeId(uuid::Uuid::new_v4().simple().to_string().to_uppercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Not 1–64 letters, digits or hyphens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSchemeId;

crate::text_form!(SchemeId);

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
    /// Currencies accepted; empty accepts every currency.
    pub currencies: Vec<Currency>,
    /// Countries accepted; empty accepts every country.
    pub countries: Vec<Country>,
}

impl Scheme {
    pub fn accepts_currency(&self, currency: Currency) -> bool {
        self.currencies.is_empty() || self.currencies.contains(&currency)
    }

    pub fn accepts_country(&self, country: Country) -> bool {
        self.countries.is_empty() || self.countries.contains(&country)
    }
}

/// Where a tenant's schemes are kept. There is no API for them yet: `make scheme` adds one.
pub trait Schemes: Sync {
    /// Stores a scheme; an existing one with the same id is replaced.
    fn save_scheme(
        &self,
        scope: &TenantScope,
        scheme: &Scheme,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The tenant's scheme with this id; `None` when it has none.
    fn scheme(
        &self,
        scope: &TenantScope,
        id: &SchemeId,
    ) -> impl Future<Output = Result<Option<Scheme>, Error>> + Send;
}
