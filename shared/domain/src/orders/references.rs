//! What an instruction points at must be usable: an instrument in its customer's vault that can
//! move money in its direction and currency, and one of the tenant's schemes for that
//! direction, currency and country.

use super::{Instruction, Referenced, References};
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::TenantScope;
use crate::payments::{Direction, Scheme};
use crate::vault::{FinancialInstrument, InstrumentStatus};

/// What checking an instruction's references found: its problems, and the scheme it names
/// when that scheme exists (the executor pays with it).
pub struct Checked {
    pub problems: Vec<Violation>,
    pub scheme: Option<Scheme>,
}

/// Every instruction's problems, in order; every instrument and scheme they name is read in
/// one round trip.
pub async fn check_references(
    references: &impl References,
    scope: &TenantScope,
    instructions: &[Instruction],
) -> Result<Vec<Checked>, Error> {
    let referenced = references.referenced(scope, instructions).await?;
    if referenced.len() != instructions.len() {
        return Err(Error::bug("a reference read lost an instruction"));
    }
    Ok(instructions
        .iter()
        .zip(referenced)
        .map(|(instruction, found)| Checked {
            problems: problems(
                instruction,
                found.instrument.as_ref(),
                found.scheme.as_ref(),
            ),
            scheme: found.scheme,
        })
        .collect())
}

/// Refuses instructions whose instrument or scheme is unusable, listing every problem; with
/// several instructions each problem carries its `instructionIndex`.
pub async fn refuse_unusable(
    references: &impl References,
    scope: &TenantScope,
    instructions: &[Instruction],
) -> Result<(), Error> {
    let mut found = Vec::new();
    for (index, checked) in check_references(references, scope, instructions)
        .await?
        .into_iter()
        .enumerate()
    {
        found.extend(
            checked
                .problems
                .into_iter()
                .map(|p| match instructions.len() {
                    1 => p,
                    _ => p.with("instructionIndex", index),
                }),
        );
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(found))
    }
}

/// The problems of an instruction whose instrument and scheme (when it names them) were read
/// as `instrument` and `scheme`.
fn problems(
    instruction: &Instruction,
    instrument: Option<&FinancialInstrument>,
    scheme: Option<&Scheme>,
) -> Vec<Violation> {
    let mut found = Vec::new();
    let currency = instruction.amount.currency();
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
                if !fi.accepts_currency(currency) {
                    found.push(
                        with_id(ErrorCode::FINANCIAL_INSTRUMENT_CURRENCY_UNSUPPORTED)
                            .with("currency", currency.code()),
                    );
                }
            }
        }
    }
    if let Some(id) = &instruction.scheme_id {
        let with_id = |code| Violation::new(code).with("schemeId", id.as_str());
        match scheme {
            Some(scheme) if scheme.direction == instruction.direction => {
                if !scheme.accepts_currency(currency) {
                    found.push(
                        with_id(ErrorCode::SCHEME_CURRENCY_NOT_SUPPORTED)
                            .with("currency", currency.code()),
                    );
                }
                if !scheme.accepts_country(instruction.country) {
                    found.push(
                        with_id(ErrorCode::SCHEME_COUNTRY_NOT_SUPPORTED)
                            .with("country", instruction.country.code()),
                    );
                }
            }
            _ => found.push(with_id(ErrorCode::SCHEME_ID_NOT_RECOGNISED)),
        }
    }
    found
}

/// The problems of one instruction: [`Referenced`] as the executor's claim reads it.
pub(super) fn problems_of(instruction: &Instruction, found: &Referenced) -> Vec<Violation> {
    problems(
        instruction,
        found.instrument.as_ref(),
        found.scheme.as_ref(),
    )
}
