//! Where a provider's event takes effect: the event worker reads the stored event, finds the
//! tenant's object through the link from the provider's id, and moves it forward along its
//! lifecycle. An event that finds its object already there (late, repeated, reordered) changes
//! nothing; one whose object is not known yet is tried again, then parked.

use super::events::ProviderEvent;
use super::inbox::{ApplyProviderEvent, Inbox, InboxStatus};
use super::sources::WebhookSources;
use crate::clock::Now;
use crate::error::Error;
use crate::ids::TenantScope;
use crate::mandates::{
    apply_network_answer, CreditorProfiles, InactiveReason, Mandates, RegistrationOutcome,
};
use crate::orders::{settle_payment, Orders};
use crate::payments::{LinkTarget, ProviderLinks};
use crate::vault::{apply_to_transaction, settle_refund_event, EventEffect, Transactions};
use crate::work::Step;

/// The event worker: applies the stored event the message names.
pub async fn apply_provider_event<S>(
    store: &S,
    sources: &WebhookSources,
    message: &ApplyProviderEvent,
    now: Now,
) -> Result<Step, Error>
where
    S: Inbox + ProviderLinks + Transactions + Orders + Mandates + CreditorProfiles,
{
    let Some(mut stored) = store
        .inbox_event(&message.app_id, &message.event_id)
        .await?
    else {
        tracing::warn!("message names an event that is not stored");
        return Ok(Step::Done);
    };
    match stored.status {
        InboxStatus::Applied => return Ok(Step::Done),
        // Its message belongs in the dead-letter queue.
        InboxStatus::Parked => return Ok(Step::RetryLater),
        InboxStatus::Received => {}
    }
    let source = sources.find(&stored.app_id).ok_or_else(|| {
        Error::bug(format!(
            "an event of the app {} that is not deployed",
            stored.app_id
        ))
    })?;
    let event = source
        .translate(stored.body.expose().as_bytes())
        .map_err(|_| Error::bug("a stored event no longer reads"))?;
    let effect = match store.linked(&stored.app_id, &event.app_reference()).await? {
        None => EventEffect::NotYet,
        Some(target) => apply(store, &stored.app_id, target, &event, now).await?,
    };
    let read = stored.version;
    let step = match effect {
        EventEffect::NotYet => {
            stored.count_miss(now.epoch_ms());
            tracing::warn!(
                event = event.name(),
                attempts = stored.attempts,
                "event's object not known yet"
            );
            Step::RetryLater
        }
        EventEffect::Applied | EventEffect::AlreadyApplied => {
            stored.mark_applied(now.epoch_ms());
            tracing::info!(
                event = event.name(),
                applied = (effect == EventEffect::Applied),
                "event applied"
            );
            Step::Done
        }
    };
    store.save_inbox_event(&stored, read).await?;
    Ok(step)
}

async fn apply<S>(
    store: &S,
    app_id: &str,
    target: LinkTarget,
    event: &ProviderEvent,
    now: Now,
) -> Result<EventEffect, Error>
where
    S: Transactions + Orders + Mandates + CreditorProfiles,
{
    let now_ms = now.epoch_ms();
    match target {
        LinkTarget::Transaction {
            scope,
            customer_ref,
            transaction_id,
        } => {
            let scope: TenantScope = scope.into();
            let (scope, customer) = (&scope, &customer_ref);
            match event {
                ProviderEvent::PaymentSettled { app_transaction_id } => {
                    let paid = Ok(app_transaction_id.clone());
                    settle_payment(store, scope, customer, transaction_id, paid, now).await
                }
                ProviderEvent::PaymentFailed { reason, .. } => {
                    let failed = Err(("PAYMENT_FAILED".to_owned(), reason.clone()));
                    settle_payment(store, scope, customer, transaction_id, failed, now).await
                }
                ProviderEvent::RefundSettled { refund_id, .. } => {
                    apply_to_transaction(store, scope, customer, transaction_id, |t| {
                        settle_refund_event(t, *refund_id, Ok(refund_id.to_string()), now_ms)
                    })
                    .await
                }
                ProviderEvent::RefundFailed {
                    refund_id, reason, ..
                } => {
                    let failed = Err(("REFUND_FAILED".to_owned(), reason.clone()));
                    apply_to_transaction(store, scope, customer, transaction_id, |t| {
                        settle_refund_event(t, *refund_id, failed.clone(), now_ms)
                    })
                    .await
                }
                ProviderEvent::ChargebackOpened {
                    chargeback_id,
                    amount,
                    claimed,
                    ..
                } => {
                    apply_to_transaction(store, scope, customer, transaction_id, |t| {
                        let money = match amount.map(|a| a.in_currency(t.amount.currency())) {
                            Some(Ok(money)) => Some(money),
                            // More decimals than the payment's currency: the whole payment.
                            Some(Err(_)) | None => None,
                        };
                        t.open_chargeback(chargeback_id, app_id, money, *claimed, now_ms)
                    })
                    .await
                }
                ProviderEvent::ChargebackSucceeded { chargeback_id, .. } => {
                    apply_to_transaction(store, scope, customer, transaction_id, |t| {
                        t.settle_chargeback(chargeback_id, true, now_ms)
                    })
                    .await
                }
                ProviderEvent::ChargebackFailed { chargeback_id, .. } => {
                    apply_to_transaction(store, scope, customer, transaction_id, |t| {
                        t.settle_chargeback(chargeback_id, false, now_ms)
                    })
                    .await
                }
                ProviderEvent::MandateActive { .. } | ProviderEvent::MandateFailed { .. } => {
                    tracing::warn!("a mandate event names a payment");
                    Ok(EventEffect::AlreadyApplied)
                }
            }
        }
        LinkTarget::Mandate { scope, mandate_id } => {
            let outcome = match event {
                ProviderEvent::MandateActive { .. } => RegistrationOutcome::Registered,
                ProviderEvent::MandateFailed { reason, .. } => {
                    RegistrationOutcome::Refused(InactiveReason {
                        reason_code: "Refused".into(),
                        description: reason.clone(),
                    })
                }
                _ => {
                    tracing::warn!("a payment event names a mandate");
                    return Ok(EventEffect::AlreadyApplied);
                }
            };
            let scope: TenantScope = scope.into();
            let recorded = apply_network_answer(store, &scope, mandate_id, &outcome, now).await?;
            Ok(if recorded {
                EventEffect::Applied
            } else {
                EventEffect::AlreadyApplied
            })
        }
    }
}
