//! A customer's profile and instruments: metadata, adding an account, reading an instrument,
//! the wallet. Closing an instrument is in `orders::vault_changes`, forget in `crate::forget`.

use super::{AccountDetails, Customers, FinancialInstrument, PersonalWrite, WalletChange};
use crate::clock::Now;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, TenantScope};
use crate::metadata::Metadata;
use crate::refs::CustomerRef;

/// Longest wallet change reason (docs/api.md §3, wallet).
pub const WALLET_REASON_MAX_LENGTH: usize = 100;
/// Longest close reason: the API's other free-text reasons allow 256.
pub const CLOSE_REASON_MAX_LENGTH: usize = 256;
/// Longest international account holder name (the SWIFT name field).
pub const HOLDER_NAME_MAX_LENGTH: usize = 140;

/// CUSTOMER_FORGOTTEN: nothing personal may be added to a forgotten customer.
pub fn customer_forgotten(customer: &CustomerRef) -> Error {
    Error::invalid(
        Violation::new(ErrorCode::CUSTOMER_FORGOTTEN).with("customerRef", customer.as_str()),
    )
}

pub fn instrument_not_found(id: FinancialInstrumentId) -> Error {
    Error::NotFound(
        Violation::new(ErrorCode::FINANCIAL_INSTRUMENT_NOT_FOUND)
            .with("financialInstrumentId", id.to_string()),
    )
}

fn written(outcome: PersonalWrite, customer: &CustomerRef) -> Result<(), Error> {
    match outcome {
        PersonalWrite::Written => Ok(()),
        PersonalWrite::CustomerForgotten => Err(customer_forgotten(customer)),
    }
}

/// PUT customer: replaces the metadata.
pub async fn replace_metadata(
    customers: &impl Customers,
    scope: &TenantScope,
    customer: &CustomerRef,
    metadata: &Metadata,
    now: Now,
) -> Result<(), Error> {
    let outcome = customers
        .replace_metadata(scope, customer, metadata, now)
        .await?;
    written(outcome, customer)
}

/// POST a bank account: a new ACTIVE instrument of the customer.
pub async fn add_instrument(
    customers: &impl Customers,
    scope: &TenantScope,
    customer: CustomerRef,
    details: AccountDetails,
    now: Now,
) -> Result<FinancialInstrument, Error> {
    let instrument = FinancialInstrument::new(customer, details, now.epoch_ms());
    let outcome = customers.add_instrument(scope, &instrument).await?;
    written(outcome, &instrument.customer_ref)?;
    tracing::info!(financial_instrument_id = %instrument.id, "instrument added");
    Ok(instrument)
}

/// GET financial instrument: 404 when the customer has no such instrument.
pub async fn instrument(
    customers: &impl Customers,
    scope: &TenantScope,
    customer: &CustomerRef,
    id: FinancialInstrumentId,
) -> Result<FinancialInstrument, Error> {
    customers
        .instrument(scope, customer, id)
        .await?
        .ok_or_else(|| instrument_not_found(id))
}

/// Puts an ACTIVE instrument into the wallet, or takes any instrument out of it. Both are
/// harmless to repeat.
pub async fn set_in_wallet(
    customers: &impl Customers,
    scope: &TenantScope,
    customer: &CustomerRef,
    id: FinancialInstrumentId,
    enabled: bool,
) -> Result<(), Error> {
    match customers
        .set_in_wallet(scope, customer, id, enabled)
        .await?
    {
        WalletChange::Changed => {
            tracing::info!(%id, enabled, "wallet changed");
            Ok(())
        }
        WalletChange::NoSuchInstrument => Err(instrument_not_found(id)),
        WalletChange::Inactive => Err(Error::invalid(
            Violation::new(ErrorCode::FINANCIAL_INSTRUMENT_INACTIVE)
                .with("financialInstrumentId", id.to_string()),
        )),
    }
}
