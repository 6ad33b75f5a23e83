//! The outbox of tenant events (docs/api.md §9): each event recorded with the object it
//! reports, as the object was when the change committed, so the payload shows that moment
//! whatever happens to the object after. The store writes them beside the change
//! (`notifications::PendingEvents`), under the customer the object belongs to, so forget
//! reaches them; the webhook dispatcher reads them.

use crate::error::Error;
use crate::ids::TenantScope;
use crate::mandates::Mandate;
use crate::notifications::{TenantEvent, WebhookEndpoint};
use crate::orders::Instruction;
use crate::refs::CustomerRef;
use crate::rewards::RewardTransaction;
use crate::vault::Transaction;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// The object an event reports, as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "object")]
pub enum EventSubject {
    Instruction(Box<Instruction>),
    Transaction(Box<Transaction>),
    Mandate(Box<Mandate>),
    Reward(Box<RewardTransaction>),
    /// A `webhook.test` event's endpoint, without its secrets.
    Webhook(Box<WebhookEndpoint>),
}

impl EventSubject {
    /// The customer the object belongs to; `None` only for a mandate that names none.
    pub fn customer_ref(&self) -> Option<&CustomerRef> {
        match self {
            EventSubject::Instruction(instruction) => Some(&instruction.customer_ref),
            EventSubject::Transaction(transaction) => Some(&transaction.customer_ref),
            EventSubject::Mandate(mandate) => mandate.terms.customer_ref.as_ref(),
            EventSubject::Reward(reward) => Some(&reward.customer_ref),
            EventSubject::Webhook(_) => None,
        }
    }

    /// Erases the customer's personal data from the object, as forget does to the live one.
    pub fn forget_personal_data(&mut self, now_ms: i64) {
        match self {
            EventSubject::Instruction(instruction) => instruction.forget_personal_data(now_ms),
            EventSubject::Transaction(transaction) => transaction.forget_personal_data(now_ms),
            EventSubject::Mandate(mandate) => mandate.forget_personal_data(now_ms),
            EventSubject::Reward(reward) => reward.forget_personal_data(now_ms),
            EventSubject::Webhook(_) => {}
        }
    }

    /// The events the subject's change reports.
    pub fn pending(&self) -> &[TenantEvent] {
        match self {
            EventSubject::Instruction(instruction) => instruction.events.as_slice(),
            EventSubject::Transaction(transaction) => transaction.events.as_slice(),
            EventSubject::Mandate(mandate) => mandate.events.as_slice(),
            EventSubject::Reward(reward) => reward.events.as_slice(),
            EventSubject::Webhook(_) => &[],
        }
    }
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedEvent {
    #[serde(flatten)]
    pub event: TenantEvent,
    pub tenant_id: crate::ids::TenantId,
    pub account_id: crate::ids::AccountId,
    pub subject: EventSubject,
}

impl RecordedEvent {
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant_id,
            account: self.account_id,
        }
    }
}

/// Where recorded events are read, and scrubbed by forget.
pub trait RecordedEvents: Sync {
    fn recorded_event(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        event_id: &str,
    ) -> impl Future<Output = Result<Option<RecordedEvent>, Error>> + Send;

    /// Every event recorded about the customer's objects.
    fn events_of(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, Error>> + Send;

    /// Writes an event back after forget erased its personal data.
    fn save_forgotten_event(
        &self,
        event: &RecordedEvent,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}
