//! What an instruction points at: an instrument in its customer's vault that can move money in
//! its direction, and one of the tenant's schemes for that direction, currency and country.
//! Both are read in one round trip, for one instruction or a whole order's.

use super::Instruction;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::TenantScope;
use crate::payments::{Direction, Scheme, SchemeStore};
use crate::store;
use crate::vault::{instrument_key_of, FinancialInstrument, InstrumentStatus, VaultStore};

#[derive(Clone)]
pub struct References {
    vault: VaultStore,
    schemes: SchemeStore,
}

/// What checking an instruction's references found: its problems, and the scheme it names
/// when that scheme exists (the executor pays with it).
pub struct Checked {
    pub problems: Vec<Violation>,
    pub scheme: Option<Scheme>,
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
        Ok(self.check(scope, instruction).await?.problems)
    }

    /// The instruction's problems, with the scheme it names: one round trip.
    pub async fn check(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> Result<Checked, Error> {
        self.check_all(scope, std::slice::from_ref(instruction))
            .await?
            .pop()
            .ok_or_else(|| Error::Internal("no check for the instruction".into()))
    }

    /// Every instruction's problems, in order: every instrument and scheme they name is read
    /// in one round trip (one BatchGetItem; an order's at most 99 instructions name at most
    /// 198 items, so at most two), however many instructions there are.
    pub async fn problems_of(
        &self,
        scope: &TenantScope,
        instructions: &[Instruction],
    ) -> Result<Vec<Vec<Violation>>, Error> {
        Ok(self
            .check_all(scope, instructions)
            .await?
            .into_iter()
            .map(|checked| checked.problems)
            .collect())
    }

    async fn check_all(
        &self,
        scope: &TenantScope,
        instructions: &[Instruction],
    ) -> Result<Vec<Checked>, Error> {
        let mut keys = Vec::new();
        for instruction in instructions {
            if let Some(id) = instruction.financial_instrument_id {
                keys.push(instrument_key_of(scope, &instruction.customer_ref, id));
            }
            if let Some(id) = &instruction.scheme_id {
                keys.push(self.schemes.key(scope, id));
            }
        }
        let mut items = self.vault.table().get_many(&keys).await?.into_iter();
        let mut checked = Vec::with_capacity(instructions.len());
        for instruction in instructions {
            let instrument = match instruction.financial_instrument_id {
                Some(_) => items.next().flatten().map(store::from_item).transpose()?,
                None => None,
            };
            let scheme = match instruction.scheme_id {
                Some(_) => items.next().flatten().map(store::from_item).transpose()?,
                None => None,
            };
            checked.push(Checked {
                problems: problems(instruction, instrument, scheme.as_ref()),
                scheme,
            });
        }
        Ok(checked)
    }
}

/// The problems of an instruction whose instrument and scheme (when it names them) were read
/// as `instrument` and `scheme`.
fn problems(
    instruction: &Instruction,
    instrument: Option<FinancialInstrument>,
    scheme: Option<&Scheme>,
) -> Vec<Violation> {
    let mut found = Vec::new();
    if let Some(id) = instruction.financial_instrument_id {
        let with_id = |code| Violation::new(code).with("financialInstrumentId", id.to_string());
        match instrument {
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
        match scheme {
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
    found
}
