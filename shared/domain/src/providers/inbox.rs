//! The inbox: every webhook accepted is stored once, raw, under its app and the provider's
//! event id, before it is answered; a worker applies it later. A redelivered webhook finds its
//! event stored and changes nothing.

use crate::error::Error;
use crate::secret::Secret;
use crate::versioned::Versioned;
use crate::work::{WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// Tries at applying an event whose object is not known yet, before it is parked: its queue
/// message goes to the dead-letter queue, and the stored event stays, for an operator.
pub const MAX_EVENT_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InboxStatus {
    Received,
    Applied,
    /// Its object never became known: left for an operator, not tried again.
    Parked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxEvent {
    pub app_id: String,
    pub event_id: String,
    /// The body exactly as received: a provider's free text may be in it.
    pub body: Secret<String>,
    pub status: InboxStatus,
    /// Tries at applying it.
    pub attempts: u32,
    pub received: i64,
    pub last_updated: i64,
    pub version: u64,
}

impl Versioned for InboxEvent {
    type Version = u64;

    fn version(&self) -> u64 {
        self.version
    }
}

impl InboxEvent {
    pub fn new(app_id: &str, event_id: &str, body: String, now_ms: i64) -> InboxEvent {
        InboxEvent {
            app_id: app_id.to_owned(),
            event_id: event_id.to_owned(),
            body: Secret::new(body),
            status: InboxStatus::Received,
            attempts: 0,
            received: now_ms,
            last_updated: now_ms,
            version: 1,
        }
    }

    pub fn message(&self) -> ApplyProviderEvent {
        ApplyProviderEvent {
            app_id: self.app_id.clone(),
            event_id: self.event_id.clone(),
        }
    }

    /// From when a received event needs the worker: its last change, so the sweep sends it
    /// again if its message was lost; never once applied or parked.
    pub fn needs_worker_from(&self) -> Option<i64> {
        (self.status == InboxStatus::Received).then_some(self.last_updated)
    }

    /// Counts a try whose object was not known yet; the last one parks the event.
    pub fn count_miss(&mut self, now_ms: i64) {
        self.attempts += 1;
        if self.attempts >= MAX_EVENT_ATTEMPTS {
            self.status = InboxStatus::Parked;
        }
        self.touch(now_ms);
    }

    pub fn mark_applied(&mut self, now_ms: i64) {
        self.attempts += 1;
        self.status = InboxStatus::Applied;
        self.touch(now_ms);
    }

    fn touch(&mut self, now_ms: i64) {
        self.last_updated = now_ms;
        self.version += 1;
    }
}

/// Asks the event worker to apply a stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyProviderEvent {
    pub app_id: String,
    pub event_id: String,
}

impl WorkMessage for ApplyProviderEvent {
    const KIND: WorkKind = WorkKind::ProviderEvent;
}

pub trait Inbox: Sync {
    /// Stores a new event; `false` when the app's event with that id is stored already.
    fn store_event(&self, event: &InboxEvent) -> impl Future<Output = Result<bool, Error>> + Send;

    fn inbox_event(
        &self,
        app_id: &str,
        event_id: &str,
    ) -> impl Future<Output = Result<Option<InboxEvent>, Error>> + Send;

    /// Saves a changed event if it still has `read_version`.
    fn save_inbox_event(
        &self,
        event: &InboxEvent,
        read_version: u64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}
