//! The events a change reports (docs/api.md §9), held by the aggregate it changed until the
//! store writes them in the same DynamoDB transaction as the aggregate (a transactional
//! outbox): no change commits without its events, and no event exists for a change that did
//! not commit. A change retried after a lost race starts from a fresh copy, so it records its
//! events again, once.

use super::event_types::EventType;
use serde::{Deserialize, Serialize};

/// An event as recorded: its id (the `webhook-id` of every delivery of it), type and time.
/// Ids are UUIDv7, so they sort by the time they were made: the delivery log lists newest
/// first by them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantEvent {
    pub event_id: String,
    pub event_type: EventType,
    /// Epoch milliseconds.
    pub created: i64,
}

impl TenantEvent {
    pub fn new(event_type: EventType, now_ms: i64) -> Self {
        TenantEvent {
            event_id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            event_type,
            created: now_ms,
        }
    }
}

/// The events an aggregate's change reports. Not part of the aggregate's state: never stored
/// with it (`#[serde(skip)]` on the field), and equal whatever they hold, so two copies of a
/// record compare by their state alone.
#[derive(Debug, Clone, Default)]
pub struct PendingEvents(Vec<TenantEvent>);

impl PartialEq for PendingEvents {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for PendingEvents {}

impl PendingEvents {
    pub fn record(&mut self, event_type: EventType, now_ms: i64) {
        self.0.push(TenantEvent::new(event_type, now_ms));
    }

    pub fn as_slice(&self) -> &[TenantEvent] {
        &self.0
    }
}
