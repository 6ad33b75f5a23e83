//! What the mandate use cases need from storage. A mandate that names a customer is linked
//! from the customer's partition and written only while the customer is not forgotten, in the
//! same write (docs/data-model.md).

use super::{CreditorProfile, Mandate};
use crate::clock::Now;
use crate::error::Error;
use crate::ids::{FinancialInstrumentId, MandateId, TenantScope};
use crate::paging::Paging;
use crate::refs::{CreditorProfileRef, CustomerRef};
use crate::vault::{AccountDetails, FinancialInstrument};
use std::future::Future;

/// One page of the tenant's profiles and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfilePage {
    pub total_count: usize,
    pub results: Vec<CreditorProfile>,
}

/// What activating a mandate does to its instrument.
#[derive(Debug, Clone, PartialEq)]
pub enum InstrumentChange {
    /// A new registration: the instrument appears.
    Create(FinancialInstrument),
    /// An amendment: the instrument's details change.
    Update {
        customer: CustomerRef,
        id: FinancialInstrumentId,
        details: AccountDetails,
    },
}

/// What a mandate write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateWrite {
    Written,
    /// A new mandate's ref is taken, or a mandate changed since it was read.
    Stale,
    /// The mandate names a forgotten customer.
    CustomerForgotten,
}

pub trait CreditorProfiles: Sync {
    /// Stores a new profile; `false` when its ref is taken (nothing is overwritten).
    fn create_profile(
        &self,
        scope: &TenantScope,
        profile: &CreditorProfile,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    fn profile(
        &self,
        scope: &TenantScope,
        reference: &CreditorProfileRef,
    ) -> impl Future<Output = Result<Option<CreditorProfile>, Error>> + Send;

    /// Rows `from..from + take` of the tenant's profiles in ref order.
    fn profile_page(
        &self,
        scope: &TenantScope,
        paging: Paging,
    ) -> impl Future<Output = Result<ProfilePage, Error>> + Send;
}

pub trait Mandates: Sync {
    fn mandate(
        &self,
        scope: &TenantScope,
        id: MandateId,
    ) -> impl Future<Output = Result<Option<Mandate>, Error>> + Send;

    /// Stores a new mandate and claims its ref, unique within the tenant.
    fn insert_mandate(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        now: Now,
    ) -> impl Future<Output = Result<MandateWrite, Error>> + Send;

    /// Stores a changed mandate if it still has `read_version`.
    fn save_mandate(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now: Now,
    ) -> impl Future<Output = Result<MandateWrite, Error>> + Send;

    /// Stores a mandate the network accepted, and creates or updates its instrument in the
    /// same write.
    fn save_activated(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now: Now,
        instrument: &InstrumentChange,
    ) -> impl Future<Output = Result<MandateWrite, Error>> + Send;
}
