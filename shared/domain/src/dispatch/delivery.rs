//! One event's delivery to one endpoint (docs/api.md §9): at least once, retried along the
//! ladder until a 2xx, then `FAILED` (redeliverable). An attempt is claimed before the post
//! with a lease, so racing dispatchers post once; a dispatcher that stops midway leaves the
//! lease to run out and the attempt to be made again.

use crate::ids::WebhookId;
use crate::notifications::EventType;
use crate::refs::CustomerRef;
use crate::versioned::Versioned;
use serde::{Deserialize, Serialize};

/// The waits after each failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. An attempt
/// after the last wait that fails too ends the delivery `FAILED`.
pub const RETRY_DELAYS_MS: [i64; 7] = [
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    10 * 3_600_000,
];

/// How long a claimed attempt may take before another dispatcher may make it: past the post's
/// timeout and the time to record it.
pub const ATTEMPT_LEASE_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub timestamp: i64,
    /// The receiver's status code; `None` when it did not answer.
    pub response_status: Option<u16>,
    pub duration_ms: u64,
    /// Why there was no answer (a timeout, a refused address, a failed connection).
    pub error: Option<String>,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.response_status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub delivery_id: String,
    pub webhook_id: WebhookId,
    pub event_id: String,
    pub event_type: EventType,
    /// Where the event is kept: under the customer of the object it reports, or, for a
    /// `webhook.test` event (`None`), beside its delivery.
    pub customer_ref: Option<CustomerRef>,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_attempt: Option<Attempt>,
    /// When the next attempt is due (or, while one is claimed, when its lease runs out).
    pub next_attempt: Option<i64>,
    pub created: i64,
    pub version: u64,
}

impl Versioned for Delivery {
    type Version = u64;

    fn version(&self) -> u64 {
        self.version
    }
}

/// Whether `text` has the form of a delivery id (`dlv_` and 32 hex digits), so that anything
/// else is unknown without a read.
pub fn is_delivery_id(text: &str) -> bool {
    text.strip_prefix("dlv_")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Delivery {
    /// A delivery of the event `event_id` to `webhook_id`, due now. Its id follows from both,
    /// so the same event is delivered to the same endpoint once however often it is fanned
    /// out.
    pub fn new(
        webhook_id: WebhookId,
        event_id: &str,
        event_type: EventType,
        customer_ref: Option<CustomerRef>,
        now_ms: i64,
    ) -> Self {
        Delivery {
            delivery_id: format!("dlv_{}", event_id.trim_start_matches("evt_")),
            webhook_id,
            event_id: event_id.to_owned(),
            event_type,
            customer_ref,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_attempt: None,
            next_attempt: Some(now_ms),
            created: now_ms,
            version: 0,
        }
    }

    /// Claims the due attempt for this dispatcher: `false` when none is due (delivered,
    /// failed, not yet time, or claimed by another whose lease still runs).
    pub fn claim(&mut self, now_ms: i64) -> bool {
        let due = self.status == DeliveryStatus::Pending
            && self.next_attempt.is_some_and(|at| at <= now_ms);
        if due {
            self.next_attempt = Some(now_ms + ATTEMPT_LEASE_MS);
            self.version += 1;
        }
        due
    }

    /// Records a claimed attempt: `DELIVERED` on a 2xx, else the next attempt along the ladder,
    /// or `FAILED` after the last. The wait before the next attempt, if there is one.
    pub fn record(&mut self, attempt: Attempt) -> Option<i64> {
        let at = attempt.timestamp;
        self.attempts += 1;
        let delivered = attempt.delivered();
        self.last_attempt = Some(attempt);
        self.version += 1;
        if delivered {
            self.status = DeliveryStatus::Delivered;
            self.next_attempt = None;
            return None;
        }
        let wait = usize::try_from(self.attempts - 1)
            .ok()
            .and_then(|step| RETRY_DELAYS_MS.get(step).copied());
        match wait {
            Some(wait) => self.next_attempt = Some(at + wait),
            None => {
                self.status = DeliveryStatus::Failed;
                self.next_attempt = None;
            }
        }
        wait
    }

    /// A new attempt now, whatever the status: a tenant's redelivery. If it fails, the ladder
    /// goes on from the attempts already made.
    pub fn redeliver(&mut self, now_ms: i64) {
        self.status = DeliveryStatus::Pending;
        self.next_attempt = Some(now_ms);
        self.version += 1;
    }

    /// Ends the delivery without an attempt (its endpoint is gone or disabled).
    pub fn give_up(&mut self, reason: &str, now_ms: i64) {
        self.status = DeliveryStatus::Failed;
        self.next_attempt = None;
        self.last_attempt = Some(Attempt {
            timestamp: now_ms,
            response_status: None,
            duration_ms: 0,
            error: Some(reason.to_owned()),
        });
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        let customer = CustomerRef::parse("c1").ok();
        Delivery::new(
            WebhookId::new_random(),
            "evt_0123",
            EventType::RefundCompleted,
            customer,
            1_000,
        )
    }

    fn answered(status: u16, at: i64) -> Attempt {
        Attempt {
            timestamp: at,
            response_status: Some(status),
            duration_ms: 12,
            error: None,
        }
    }

    #[test]
    fn an_attempt_is_claimed_once_and_again_only_after_its_lease() {
        let mut first = delivery();
        let mut racing = first.clone();
        assert!(!first.clone().claim(999), "not due yet");
        assert!(first.claim(1_000));
        assert!(
            racing.claim(1_000),
            "each copy can claim; the versioned save picks one"
        );
        assert!(!first.clone().claim(1_000 + ATTEMPT_LEASE_MS - 1), "leased");
        assert!(
            first.clone().claim(1_000 + ATTEMPT_LEASE_MS),
            "the lease ran out"
        );
        assert_eq!(first.delivery_id, "dlv_0123");
        assert!(is_delivery_id("dlv_0123456789abcdef0123456789abcdef"));
        assert!(!is_delivery_id("dlv_0123"));
        assert!(!is_delivery_id("evt_0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn failures_climb_the_ladder_then_fail_and_a_2xx_delivers() {
        let mut failing = delivery();
        let mut at = 1_000;
        for wait in RETRY_DELAYS_MS {
            assert!(failing.claim(at));
            assert_eq!(failing.record(answered(500, at)), Some(wait));
            assert_eq!(failing.status, DeliveryStatus::Pending);
            at += wait;
            assert_eq!(failing.next_attempt, Some(at));
        }
        assert!(failing.claim(at));
        let timed_out = Attempt {
            timestamp: at,
            response_status: None,
            duration_ms: 10_000,
            error: Some("timed out".into()),
        };
        assert_eq!(failing.record(timed_out), None);
        assert_eq!(failing.status, DeliveryStatus::Failed);
        assert_eq!(failing.attempts, 8);
        assert!(!failing.claim(i64::MAX), "nothing more is due");
        failing.redeliver(at + 1);
        assert!(failing.claim(at + 1), "a redelivery is due at once");
        assert_eq!(failing.record(answered(500, at + 1)), None);
        assert_eq!(
            failing.status,
            DeliveryStatus::Failed,
            "one more attempt only"
        );

        let mut redirected_then_delivered = delivery();
        assert!(redirected_then_delivered.claim(1_000));
        assert_eq!(
            redirected_then_delivered.record(answered(302, 1_000)),
            Some(5_000)
        );
        assert!(redirected_then_delivered.claim(6_000));
        assert_eq!(redirected_then_delivered.record(answered(204, 6_000)), None);
        assert_eq!(redirected_then_delivered.status, DeliveryStatus::Delivered);
        assert_eq!(redirected_then_delivered.attempts, 2);
    }
}
