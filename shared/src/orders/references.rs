//! What an instruction points at: an instrument in its customer's vault that can move money in
//! its direction, and one of the tenant's schemes for that direction, currency and country.

use super::Instruction;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::TenantScope;
use crate::payments::{Direction, SchemeStore};
use crate::vault::{InstrumentStatus, VaultStore};

#[derive(Clone)]
pub struct References {
    vault: VaultStore,
    schemes: SchemeStore,
}

impl References {
    pub fn new(vault: VaultStore, schemes: SchemeStore) -> Self {
        References { vault, schemes }
    }

    /// Every problem with the instruction's instrument and scheme; empty when both are usable
    /// (or not set yet).
    pub async fn problems(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> Result<Vec<Violation>, Error> {
        let mut found = Vec::new();
        if let Some(id) = instruction.financial_instrument_id {
            let with_id = |code| Violation::new(code).with("financialInstrumentId", id.to_string());
            match self
                .vault
                .load_instrument(scope, &instruction.customer_ref, id)
                .await?
            {
                None => found.push(with_id(ErrorCode::FINANCIAL_INSTRUMENT_NOT_FOUND)),
                // A forgotten customer's instrument has no account details left to pay with.
                Some(fi) if fi.status == InstrumentStatus::Inactive || fi.details.is_none() => {
                    found.push(with_id(ErrorCode::FINANCIAL_INSTRUMENT_INACTIVE))
                }
                Some(fi) => {
                    let capabilities = fi.capabilities();
                    let usable = match instruction.direction {
                        Direction::Debit => capabilities.can_debit,
                        Direction::Credit => capabilities.can_credit,
                    };
                    if !usable {
                        found.push(
                            with_id(ErrorCode::FINANCIAL_INSTRUMENT_DIRECTION_UNSUPPORTED)
                                .with("direction", instruction.direction.as_str()),
                        );
                    }
                    let currency = instruction.amount.currency().code();
                    if !fi.accepts_currency(currency) {
                        found.push(
                            with_id(ErrorCode::FINANCIAL_INSTRUMENT_CURRENCY_UNSUPPORTED)
                                .with("currency", currency),
                        );
                    }
                }
            }
        }
        if let Some(id) = &instruction.scheme_id {
            let with_id = |code| Violation::new(code).with("schemeId", id.as_str());
            match self.schemes.find(scope, id).await? {
                Some(scheme) if scheme.direction == instruction.direction => {
                    if !scheme.accepts_currency(instruction.amount.currency().code()) {
                        found.push(
                            with_id(ErrorCode::SCHEME_CURRENCY_NOT_SUPPORTED)
                                .with("currency", instruction.amount.currency().code()),
                        );
                    }
                    if !scheme.accepts_country(&instruction.country) {
                        found.push(
                            with_id(ErrorCode::SCHEME_COUNTRY_NOT_SUPPORTED)
                                .with("country", instruction.country.as_str()),
                        );
                    }
                }
                _ => found.push(with_id(ErrorCode::SCHEME_ID_NOT_RECOGNISED)),
            }
        }
        Ok(found)
    }
}
