//! What the vault's use cases need from storage. One partition per customer holds the profile,
//! the instruments, the transactions and the links to the customer's instructions and
//! mandates (docs/data-model.md), so each read here is one round trip.

use super::{CustomerVault, FinancialInstrument, InstructionLink, Transaction};
use crate::clock::Now;
use crate::error::Error;
use crate::ids::{FinancialInstrumentId, MandateId, TenantScope, TransactionId};
use crate::metadata::Metadata;
use crate::refs::CustomerRef;
use crate::shredding::Subject;
use std::future::Future;

/// What a write that adds personal data to a customer found. It is refused, in the same
/// write, once the customer is forgotten: nothing personal can be added during or after forget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalWrite {
    Written,
    CustomerForgotten,
}

/// What putting an instrument into (or taking it out of) the wallet found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletChange {
    Changed,
    NoSuchInstrument,
    /// Only an ACTIVE instrument can enter the wallet (a concurrent close wins).
    Inactive,
}

pub trait Customers: Sync {
    /// The profile and every instrument of a customer, strongly consistent.
    fn customer(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<CustomerVault, Error>> + Send;

    fn instrument(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
    ) -> impl Future<Output = Result<Option<FinancialInstrument>, Error>> + Send;

    /// Replaces the customer's metadata, creating the profile on first write.
    fn replace_metadata(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        metadata: &Metadata,
        now: Now,
    ) -> impl Future<Output = Result<PersonalWrite, Error>> + Send;

    /// Stores a new instrument.
    fn add_instrument(
        &self,
        scope: &TenantScope,
        instrument: &FinancialInstrument,
    ) -> impl Future<Output = Result<PersonalWrite, Error>> + Send;

    /// Marks an instrument INACTIVE and takes it out of the wallet; `false` when there is no
    /// such instrument. Closing twice is harmless.
    fn close_instrument(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
        now: Now,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    fn set_in_wallet(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
        enabled: bool,
    ) -> impl Future<Output = Result<WalletChange, Error>> + Send;

    /// Turns the profile FORGOTTEN with no metadata (creating it if need be); from then on every
    /// [`PersonalWrite`] for the customer is refused.
    fn mark_forgotten(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        now: Now,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Destroys the key a subject's personal data is sealed with (docs/decisions/0019): what
    /// it sealed, in the table and in every copy of it, can no longer be read.
    fn destroy_personal_data_key(
        &self,
        scope: &TenantScope,
        subject: Subject<'_>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Removes the account details of every instrument of the customer.
    fn erase_instrument_details(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Every instruction linked to the customer.
    fn instruction_links(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<Vec<InstructionLink>, Error>> + Send;

    /// Every mandate that named the customer (it may name another customer since).
    fn mandate_links(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<Vec<MandateId>, Error>> + Send;
}

pub trait Transactions: Sync {
    fn transaction(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: TransactionId,
    ) -> impl Future<Output = Result<Option<Transaction>, Error>> + Send;

    /// Stores a changed transaction if it still has `read_version`, and mirrors it into its
    /// instruction's view in the same write. `false` when someone changed it since.
    fn save_transaction(
        &self,
        scope: &TenantScope,
        transaction: &Transaction,
        read_version: u64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Every transaction of the customer.
    fn transactions_of(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<Vec<Transaction>, Error>> + Send;
}
