//! Where a mandate is registered: the mandate worker asks the network to register a submitted
//! mandate or an amendment and records the answer. Every write is conditional on the version
//! read, so a duplicate or racing message changes nothing: one activation, one instrument.

use super::store::{InstrumentChange, MAX_WRITE_ATTEMPTS};
use super::{
    Mandate, MandateNetwork, MandateStatus, MandateStore, RegistrationOutcome, RegistrationRequest,
};
use crate::error::Error;
use crate::ids::{AccountId, MandateId, TenantId, TenantScope};
use crate::vault::{AccountDetails, FinancialInstrument};
use crate::worker::Step;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The SQS message asking for a mandate's registration: ids only, the worker reloads state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterMandate {
    pub tenant_id: TenantId,
    pub account_id: AccountId,
    pub mandate_id: MandateId,
}

#[derive(Clone)]
pub struct MandateRegistration {
    store: MandateStore,
    network: Arc<dyn MandateNetwork>,
}

impl MandateRegistration {
    pub fn new(store: MandateStore, network: Arc<dyn MandateNetwork>) -> Self {
        MandateRegistration { store, network }
    }

    pub async fn execute(&self, request: &RegisterMandate, now_ms: i64) -> Result<Step, Error> {
        let scope = TenantScope {
            tenant: request.tenant_id,
            account: request.account_id,
        };
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(mut mandate) = self.store.load_mandate(&scope, request.mandate_id).await?
            else {
                tracing::warn!(mandate_id = %request.mandate_id, "no such mandate");
                return Ok(Step::Done);
            };
            if !mandate.needs_registration() {
                return Ok(Step::Done);
            }
            let read = mandate.version;
            let saved = match self.ask_network(&scope, &mandate).await? {
                Answer::Retry(reason) => {
                    tracing::warn!(mandate_id = %mandate.mandate_id, %reason, "network asked to retry");
                    return Ok(Step::RetryLater);
                }
                Answer::Outcome(RegistrationOutcome::Refused(reason), _) => {
                    mandate.refused(reason);
                    self.store
                        .save_mandate(&scope, &mandate, read, now_ms)
                        .await?
                }
                Answer::Outcome(_, creditor) => {
                    let change = instrument_change(&mut mandate, creditor, now_ms)?;
                    self.store
                        .save_activated(&scope, &mandate, read, now_ms, change)
                        .await?
                }
            };
            if saved {
                tracing::info!(mandate_id = %mandate.mandate_id, status = mandate.status.as_str(), "mandate registration recorded");
                return Ok(Step::Done);
            }
        }
        Err(Error::Internal(
            "the mandate changed on every attempt".into(),
        ))
    }

    async fn ask_network(&self, scope: &TenantScope, mandate: &Mandate) -> Result<Answer, Error> {
        let profile_ref = mandate.terms.creditor_profile_ref.as_ref();
        let debtor = mandate.amendment.as_ref().or(mandate.terms.debtor.as_ref());
        let (Some(profile_ref), Some(debtor)) = (profile_ref, debtor) else {
            return Err(Error::Internal(
                "a submitted mandate lacks its creditor or debtor".into(),
            ));
        };
        let profile = self.store.named_profile(scope, profile_ref).await?;
        let request = RegistrationRequest {
            mandate_id: mandate.mandate_id,
            mandate_ref: &mandate.mandate_ref,
            creditor_identifier: profile.identifier.as_str(),
            debtor,
        };
        Ok(match self.network.register(&request).await {
            RegistrationOutcome::Retryable { reason } => Answer::Retry(reason),
            outcome => Answer::Outcome(
                outcome,
                Creditor {
                    name: profile.name,
                    identifier: profile.identifier.as_str().to_owned(),
                },
            ),
        })
    }
}

struct Creditor {
    name: String,
    identifier: String,
}

enum Answer {
    Outcome(RegistrationOutcome, Creditor),
    Retry(String),
}

/// Records the acceptance on the mandate and says what it does to the instrument.
fn instrument_change(
    mandate: &mut Mandate,
    creditor: Creditor,
    now_ms: i64,
) -> Result<InstrumentChange, Error> {
    let was = mandate.status;
    mandate.registered();
    let missing =
        || Error::Internal("an active mandate lacks its customer, debtor or instrument".into());
    let customer = mandate.terms.customer_ref.clone().ok_or_else(missing)?;
    let id = mandate.financial_instrument_id.ok_or_else(missing)?;
    let debtor = mandate.terms.debtor.as_ref().ok_or_else(missing)?;
    let details = AccountDetails::SepaMandate {
        mandate_ref: mandate.mandate_ref.clone(),
        creditor_name: creditor.name,
        creditor_identifier: creditor.identifier,
        holder_name: debtor.account_holder_name.clone().unwrap_or_default(),
        iban: debtor.iban.clone().unwrap_or_default(),
    };
    Ok(match was {
        MandateStatus::Amending => InstrumentChange::Update {
            customer,
            id,
            details,
        },
        _ => InstrumentChange::Create(FinancialInstrument::with_id(id, customer, details, now_ms)),
    })
}
