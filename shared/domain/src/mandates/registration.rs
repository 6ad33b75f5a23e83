//! Where a mandate is registered: the mandate worker asks the network, once per message, to
//! register a submitted mandate or an amendment, and records the answer with a versioned
//! update, so a duplicate or racing message changes nothing: one activation, one instrument.

use super::{
    CreditorProfiles, InstrumentChange, Mandate, MandateNetwork, MandateStatus, MandateWrite,
    Mandates, RegistrationOutcome, RegistrationRequest,
};
use crate::clock::Now;
use crate::error::Error;
use crate::ids::{MandateId, MessageScope, TenantScope};
use crate::vault::{AccountDetails, FinancialInstrument};
use crate::versioned::{self, Updated, Versioned};
use crate::work::{Step, WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};

/// The queue message asking for a mandate's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterMandate {
    #[serde(flatten)]
    pub scope: MessageScope,
    pub mandate_id: MandateId,
}

impl WorkMessage for RegisterMandate {
    const KIND: WorkKind = WorkKind::Mandate;
}

impl RegisterMandate {
    pub fn for_mandate(scope: &TenantScope, mandate: &Mandate) -> Self {
        RegisterMandate {
            scope: (*scope).into(),
            mandate_id: mandate.mandate_id,
        }
    }
}

/// Who collects under the mandate, as its instrument shows it.
struct Creditor {
    name: String,
    identifier: crate::bank::CreditorIdentifier,
}

/// A mandate with what accepting it does to its instrument, once decided.
#[derive(Clone)]
struct Registration {
    mandate: Mandate,
    activation: Option<InstrumentChange>,
}

impl Versioned for Registration {
    type Version = u64;

    fn version(&self) -> u64 {
        self.mandate.version
    }
}

/// The mandate worker: registers the mandate the message names, if it still waits for it.
pub async fn register_mandate<S: CreditorProfiles + Mandates>(
    store: &S,
    network: &dyn MandateNetwork,
    message: &RegisterMandate,
    now: Now,
) -> Result<Step, Error> {
    let scope: TenantScope = message.scope.into();
    let Some(mandate) = store.mandate(&scope, message.mandate_id).await? else {
        tracing::warn!(mandate_id = %message.mandate_id, "no such mandate");
        return Ok(Step::Done);
    };
    if !mandate.needs_registration() {
        return Ok(Step::Done);
    }
    let (outcome, creditor) = ask_network(store, network, &scope, &mandate).await?;
    let recorded = record_answer(store, &scope, mandate, &outcome, &creditor, now).await?;
    if let RegistrationOutcome::Retryable { reason } = &outcome {
        if recorded.is_some_and(|mandate| mandate.needs_registration()) {
            tracing::warn!(mandate_id = %message.mandate_id, %reason, "network asked to retry");
            return Ok(Step::RetryLater);
        }
    }
    Ok(Step::Done)
}

/// A network's answer that arrives on its own (a provider webhook): recorded as if the worker
/// had asked. `false` when the mandate no longer waits for an answer: nothing changes.
pub async fn apply_network_answer<S: CreditorProfiles + Mandates>(
    store: &S,
    scope: &TenantScope,
    mandate_id: MandateId,
    outcome: &RegistrationOutcome,
    now: Now,
) -> Result<bool, Error> {
    let Some(mandate) = store.mandate(scope, mandate_id).await? else {
        return Err(Error::bug(
            "a provider link names a mandate that does not exist",
        ));
    };
    if !mandate.needs_registration() {
        return Ok(false);
    }
    let creditor = creditor_of(store, scope, &mandate).await?;
    let recorded = record_answer(store, scope, mandate, outcome, &creditor, now).await?;
    Ok(recorded.is_some())
}

/// Records the network's answer with a versioned update, so a duplicate or racing answer
/// changes nothing: one activation, one instrument. The mandate as saved, when this call
/// recorded it.
async fn record_answer<S: Mandates>(
    store: &S,
    scope: &TenantScope,
    mandate: Mandate,
    outcome: &RegistrationOutcome,
    creditor: &Creditor,
    now: Now,
) -> Result<Option<Mandate>, Error> {
    let mandate_id = mandate.mandate_id;
    let updated = versioned::update(
        "mandate",
        Some(Registration {
            mandate,
            activation: None,
        }),
        || async {
            let found = store.mandate(scope, mandate_id).await?;
            Ok(found.map(|mandate| Registration {
                mandate,
                activation: None,
            }))
        },
        |registration| record(registration, outcome, creditor, now),
        |registration, read| async move {
            let mandate = &registration.mandate;
            let written = match &registration.activation {
                None => store.save_mandate(scope, mandate, read, now).await?,
                Some(change) => {
                    store
                        .save_activated(scope, mandate, read, now, change)
                        .await?
                }
            };
            Ok(written == MandateWrite::Written)
        },
    )
    .await?;
    let Updated::Saved(registration, ()) = updated else {
        return Ok(None);
    };
    let mandate = registration.mandate;
    tracing::info!(mandate_id = %mandate.mandate_id, status = mandate.status.as_str(), attempts = mandate.network_attempts, "mandate registration recorded");
    Ok(Some(mandate))
}

/// The network's answer for the mandate, and the creditor its instrument names.
async fn ask_network(
    profiles: &impl CreditorProfiles,
    network: &dyn MandateNetwork,
    scope: &TenantScope,
    mandate: &Mandate,
) -> Result<(RegistrationOutcome, Creditor), Error> {
    let debtor = mandate.amendment.as_ref().or(mandate.terms.debtor.as_ref());
    let Some(debtor) = debtor else {
        return Err(Error::bug("a submitted mandate lacks its debtor"));
    };
    let creditor = creditor_of(profiles, scope, mandate).await?;
    let request = RegistrationRequest {
        mandate_id: mandate.mandate_id,
        mandate_ref: &mandate.mandate_ref,
        creditor_identifier: creditor.identifier.as_str(),
        debtor,
    };
    let outcome = network.register(&request).await;
    Ok((outcome, creditor))
}

/// Who collects under a submitted mandate: its creditor profile.
async fn creditor_of(
    profiles: &impl CreditorProfiles,
    scope: &TenantScope,
    mandate: &Mandate,
) -> Result<Creditor, Error> {
    let Some(profile_ref) = mandate.terms.creditor_profile_ref.as_ref() else {
        return Err(Error::bug("a submitted mandate lacks its creditor"));
    };
    let profile = profiles
        .profile(scope, profile_ref)
        .await?
        .ok_or_else(|| Error::bug("a submitted mandate names a creditor profile that is gone"))?;
    Ok(Creditor {
        name: profile.name,
        identifier: profile.identifier,
    })
}

/// Records the network's final answer on a mandate that still waits for it: a refusal, or an
/// acceptance with the instrument it creates (a registration) or changes (an amendment).
fn record(
    registration: &mut Registration,
    outcome: &RegistrationOutcome,
    creditor: &Creditor,
    now: Now,
) -> Result<Option<()>, Error> {
    let mandate = &mut registration.mandate;
    if !mandate.needs_registration() {
        return Ok(None);
    }
    match outcome {
        RegistrationOutcome::Refused(reason) => {
            mandate.refused(reason.clone(), now.epoch_ms());
        }
        RegistrationOutcome::Registered => {
            registration.activation = Some(accept(mandate, creditor, now)?);
        }
        RegistrationOutcome::Retryable { .. } => {
            mandate.unanswered(now.epoch_ms());
        }
    }
    Ok(Some(()))
}

/// Records the acceptance on the mandate and says what it does to the instrument.
fn accept(mandate: &mut Mandate, creditor: &Creditor, now: Now) -> Result<InstrumentChange, Error> {
    let was = mandate.status;
    mandate.registered(now.epoch_ms());
    let missing = || Error::bug("an active mandate lacks its customer, debtor or instrument");
    let customer = mandate.terms.customer_ref.clone().ok_or_else(missing)?;
    let id = mandate.financial_instrument_id.ok_or_else(missing)?;
    let debtor = mandate.terms.debtor.as_ref().ok_or_else(missing)?;
    let details = AccountDetails::SepaMandate {
        mandate_ref: mandate.mandate_ref.clone(),
        creditor_name: creditor.name.clone(),
        creditor_identifier: creditor.identifier.clone(),
        holder_name: debtor.account_holder_name.clone().ok_or_else(missing)?,
        iban: debtor.iban.clone().ok_or_else(missing)?,
    };
    Ok(match was {
        MandateStatus::Amending => InstrumentChange::Update {
            customer,
            id,
            details,
        },
        _ => InstrumentChange::Create(FinancialInstrument::with_id(
            id,
            customer,
            details,
            now.epoch_ms(),
        )),
    })
}
