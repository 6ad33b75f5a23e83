//! The SANDBOX payment app: deterministic outcomes chosen by the amount's fractional part, so
//! every path can be driven from the API (docs/api.md §6). Like a real provider it keeps books
//! of what it took, under the caller's idempotency key, so a repeated call takes nothing twice
//! and a status query has an answer; and like one it reports later by webhook: what it will
//! say goes into its outbox, a delayed queue whose sender posts it, signed, to the service's
//! own route (docs/decisions/0016).

use super::events::ProviderEvent;
use super::sandbox_webhooks::sandbox_event_body;
use crate::clock::Now;
use crate::error::{Chain, Error};
use crate::payments::{
    Money, PaymentApp, PaymentOutcome, PaymentRequest, RefundRequest, RewardCredential,
    RewardOutcome, RewardRequest, SANDBOX_APP_ID,
};
use crate::secret::Secret;
use crate::work::QueueMessage;
use crate::BoxFuture;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The triggers, in hundredths of the amount's fractional part.
const DECLINE: i64 = 51;
const FAIL_FIRST_ATTEMPT: i64 = 52;
const DECLINE_REFUNDS: i64 = 53;
const PENDING: i64 = 54;
const CHARGEBACK_STOOD: i64 = 55;
const CHARGEBACK_REJECTED: i64 = 56;
const ANSWER_LOST: i64 = 57;
/// How long a pending SANDBOX payment (or a refund of one) stays pending.
pub const SANDBOX_PENDING_MS: i64 = 3_000;
/// The dev catalogue's reward whose claims fail.
pub const FAILING_REWARD_NAME: &str = "FAILING";

/// What SANDBOX took under one idempotency key: a payment (keyed by its transaction id) or a
/// refund (keyed by its refund id), and from when it counts as settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxEntry {
    pub key: String,
    pub app_transaction_id: String,
    pub amount: Money,
    pub settles_at: i64,
}

/// SANDBOX's books. `record` keeps the first entry of a key and answers with the one kept,
/// and whether it is this call's.
pub trait SandboxBook: Send + Sync {
    fn record<'a>(
        &'a self,
        entry: &'a SandboxEntry,
    ) -> BoxFuture<'a, Result<(SandboxEntry, bool), Error>>;

    fn find<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<SandboxEntry>, Error>>;
}

/// A webhook SANDBOX posts later: its delivery id (which a redelivery repeats) and its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendSandboxWebhook {
    pub event_id: String,
    pub body: String,
}

impl QueueMessage for SendSandboxWebhook {
    const NAME: &'static str = "SANDBOX_WEBHOOK";
}

/// Where SANDBOX puts the webhooks it will send, each after its delay.
pub trait SandboxOutbox: Send + Sync {
    fn send_later<'a>(
        &'a self,
        webhook: &'a SendSandboxWebhook,
        delay_seconds: u32,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

pub struct Sandbox {
    book: Arc<dyn SandboxBook>,
    outbox: Arc<dyn SandboxOutbox>,
}

/// How long after a payment SANDBOX reports a chargeback against it, and its outcome.
const CHARGEBACK_OPENED_AFTER_SECONDS: u32 = 2;
const CHARGEBACK_SETTLED_AFTER_SECONDS: u32 = 4;

/// Hundredths in the amount's fractional part (`20.51` → 51); amounts with more decimals than
/// two (BHD `1.515`) trigger nothing.
fn fraction_hundredths(amount: Decimal) -> Option<i64> {
    let hundredths = amount.fract() * Decimal::from(100);
    (hundredths.fract().is_zero())
        .then(|| i64::try_from(hundredths.trunc()).ok())
        .flatten()
}

fn compact(id: impl ToString) -> String {
    id.to_string().replace('-', "")
}

impl Sandbox {
    pub fn new(book: Arc<dyn SandboxBook>, outbox: Arc<dyn SandboxOutbox>) -> Self {
        Sandbox { book, outbox }
    }

    /// Takes the money under `key` (once, however often asked): `Succeeded`, or `Pending` while
    /// the entry has not settled, and whether this call took it. A book that cannot be written
    /// took nothing.
    async fn take(
        &self,
        key: String,
        app_transaction_id: String,
        amount: Money,
        pending: bool,
    ) -> (PaymentOutcome, bool) {
        let now = Now::read().epoch_ms();
        let entry = SandboxEntry {
            key,
            app_transaction_id,
            amount,
            settles_at: if pending {
                now + SANDBOX_PENDING_MS
            } else {
                now
            },
        };
        match self.book.record(&entry).await {
            Ok((kept, new)) => (answer(&kept, now), new),
            Err(error) => {
                let reason = format!("the sandbox could not record it: {}", Chain(&error));
                (PaymentOutcome::Retryable { reason }, false)
            }
        }
    }

    /// Puts `event` into the outbox, to be posted `delay_seconds` from now. A webhook that
    /// cannot be queued is lost, as a provider's can be: the status query still answers.
    async fn report_later(&self, event: ProviderEvent, delay_seconds: u32) {
        let occurs = Now::read().epoch_ms() + i64::from(delay_seconds) * 1000;
        let webhook = SendSandboxWebhook {
            event_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            body: sandbox_event_body(&event, occurs),
        };
        if let Err(error) = self.outbox.send_later(&webhook, delay_seconds).await {
            tracing::warn!(event = event.name(), error = %Chain(&error), "the sandbox lost a webhook");
        }
    }

    /// What the books say of `key`; no entry means nothing was taken.
    async fn status(&self, key: &str) -> PaymentOutcome {
        match self.book.find(key).await {
            Ok(Some(entry)) => answer(&entry, Now::read().epoch_ms()),
            Ok(None) => PaymentOutcome::Retryable {
                reason: "the sandbox has no record of it".into(),
            },
            Err(error) => PaymentOutcome::InDoubt {
                reason: format!("the sandbox could not be asked: {}", Chain(&error)),
            },
        }
    }
}

impl Sandbox {
    /// What SANDBOX reports later about a payment it just took: `.54` settles, `.55` and
    /// `.56` are charged back, the claim standing or rejected.
    async fn report_payment(
        &self,
        trigger: Option<i64>,
        app_transaction_id: &str,
        request: &PaymentRequest,
    ) {
        let app_transaction_id = app_transaction_id.to_owned();
        match trigger {
            Some(PENDING) => {
                let settled = ProviderEvent::PaymentSettled { app_transaction_id };
                self.report_later(settled, pending_seconds()).await;
            }
            Some(stood @ (CHARGEBACK_STOOD | CHARGEBACK_REJECTED)) => {
                let chargeback_id = format!("sandbox_cb_{}", compact(request.transaction_id));
                let opened = ProviderEvent::ChargebackOpened {
                    app_transaction_id: app_transaction_id.clone(),
                    chargeback_id: chargeback_id.clone(),
                    amount: Some(request.amount.amount()),
                    claimed: Now::read().epoch_ms(),
                };
                self.report_later(opened, CHARGEBACK_OPENED_AFTER_SECONDS)
                    .await;
                let settled = if stood == CHARGEBACK_STOOD {
                    ProviderEvent::ChargebackSucceeded {
                        app_transaction_id,
                        chargeback_id,
                    }
                } else {
                    ProviderEvent::ChargebackFailed {
                        app_transaction_id,
                        chargeback_id,
                    }
                };
                self.report_later(settled, CHARGEBACK_SETTLED_AFTER_SECONDS)
                    .await;
            }
            _ => {}
        }
    }
}

/// A pending SANDBOX payment's delay, in whole seconds.
fn pending_seconds() -> u32 {
    u32::try_from(SANDBOX_PENDING_MS / 1000).unwrap_or(u32::MAX)
}

fn answer(entry: &SandboxEntry, now_ms: i64) -> PaymentOutcome {
    let app_transaction_id = entry.app_transaction_id.clone();
    if now_ms < entry.settles_at {
        PaymentOutcome::Pending { app_transaction_id }
    } else {
        PaymentOutcome::Succeeded { app_transaction_id }
    }
}

impl PaymentApp for Sandbox {
    fn app_id(&self) -> &'static str {
        SANDBOX_APP_ID
    }

    fn execute<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async move {
            let trigger = fraction_hundredths(request.amount.decimal());
            match trigger {
                Some(DECLINE) => {
                    return PaymentOutcome::Declined {
                        error_code: "DECLINED".into(),
                        reason: "The sandbox declines amounts ending in .51".into(),
                    }
                }
                Some(FAIL_FIRST_ATTEMPT) if request.attempt <= 1 => {
                    return PaymentOutcome::Retryable {
                        reason: "The sandbox fails the first attempt for amounts ending in .52"
                            .into(),
                    }
                }
                _ => {}
            }
            let key = request.transaction_id.to_string();
            let id = format!("sandbox_{}", compact(request.transaction_id));
            let (taken, new) = self
                .take(key, id.clone(), request.amount, trigger == Some(PENDING))
                .await;
            if new {
                self.report_payment(trigger, &id, request).await;
            }
            match (trigger, request.attempt, &taken) {
                (Some(ANSWER_LOST), 1, PaymentOutcome::Succeeded { .. }) => {
                    PaymentOutcome::InDoubt {
                        reason: "The sandbox loses its first answer for amounts ending in .57"
                            .into(),
                    }
                }
                _ => taken,
            }
        })
    }

    fn payment_status<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async move { self.status(&request.transaction_id.to_string()).await })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async move {
            let trigger = fraction_hundredths(request.payment_amount.decimal());
            if trigger == Some(DECLINE_REFUNDS) {
                return PaymentOutcome::Declined {
                    error_code: "REFUND_DECLINED".into(),
                    reason: "The sandbox declines refunds of payments ending in .53".into(),
                };
            }
            let id = format!("sandbox_refund_{}", compact(request.refund_id));
            let pending = trigger == Some(PENDING);
            let (taken, new) = self
                .take(request.refund_id.to_string(), id, request.amount, pending)
                .await;
            if let (true, true, Some(payment)) = (new, pending, &request.app_transaction_id) {
                let settled = ProviderEvent::RefundSettled {
                    app_transaction_id: payment.clone(),
                    refund_id: request.refund_id,
                };
                self.report_later(settled, pending_seconds()).await;
            }
            taken
        })
    }

    fn refund_status<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async move { self.status(&request.refund_id.to_string()).await })
    }

    /// Issues a gift card whose code and PIN derive from the transaction id, so a repeated
    /// claim of one transaction issues the same card; a reward named `FAILING` is refused.
    fn claim_reward<'a>(&'a self, request: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        Box::pin(async move { gift_card(request) })
    }

    /// The card derives from the transaction id: asking again issues the same one.
    fn reward_status<'a>(&'a self, request: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        Box::pin(async move { gift_card(request) })
    }
}

fn gift_card(request: &RewardRequest) -> RewardOutcome {
    if request.reward_name == FAILING_REWARD_NAME {
        return RewardOutcome::Failed {
            error_code: "REWARD_UNAVAILABLE".into(),
            reason: "The sandbox refuses rewards named FAILING".into(),
        };
    }
    let digits = compact(request.transaction_id).to_uppercase();
    let code = format!("SBX-{}-{}-{}", &digits[..4], &digits[4..8], &digits[8..12]);
    let pin: String = digits
        .bytes()
        .rev()
        .take(4)
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    let credential = |label: &str, value: String, kind: &str| RewardCredential {
        label: label.into(),
        value: Secret::new(value),
        reward_type: "GIFT_CARD".into(),
        credential_type: kind.into(),
    };
    RewardOutcome::Issued {
        credentials: vec![
            credential("Card number", code, "CODE"),
            credential("PIN", pin, "PIN"),
        ],
        redemption_instructions: format!(
            "Redeem the card number and PIN of your {} at checkout.",
            request.reward_name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use crate::ids::{RefundId, TransactionId};
    use crate::payments::{Amount, Direction};
    use serde_json::json;

    /// Books kept in memory.
    #[derive(Default)]
    pub struct MemoryBook(std::sync::Mutex<Vec<SandboxEntry>>);

    impl MemoryBook {
        pub fn entries(&self) -> Vec<SandboxEntry> {
            self.0
                .lock()
                .map(|entries| entries.clone())
                .unwrap_or_default()
        }
    }

    impl SandboxBook for MemoryBook {
        fn record<'a>(
            &'a self,
            entry: &'a SandboxEntry,
        ) -> BoxFuture<'a, Result<(SandboxEntry, bool), Error>> {
            Box::pin(async move {
                let mut entries = self
                    .0
                    .lock()
                    .map_err(|_| Error::bug("the sandbox book's lock is poisoned"))?;
                if let Some(kept) = entries.iter().find(|e| e.key == entry.key) {
                    return Ok((kept.clone(), false));
                }
                entries.push(entry.clone());
                Ok((entry.clone(), true))
            })
        }

        fn find<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<SandboxEntry>, Error>> {
            Box::pin(async move {
                let entries = self
                    .0
                    .lock()
                    .map_err(|_| Error::bug("the sandbox book's lock is poisoned"))?;
                Ok(entries.iter().find(|e| e.key == key).cloned())
            })
        }
    }

    /// An outbox that keeps what it is given.
    #[derive(Default)]
    pub struct MemoryOutbox(std::sync::Mutex<Vec<(SendSandboxWebhook, u32)>>);

    impl MemoryOutbox {
        /// The events queued, by type, with their delays.
        fn events(&self) -> Vec<(String, u32)> {
            let queued = self.0.lock().map(|q| q.clone()).unwrap_or_default();
            queued
                .into_iter()
                .map(|(webhook, delay)| {
                    let body: serde_json::Value = serde_json::from_str(&webhook.body).unwrap();
                    (body["type"].as_str().unwrap_or_default().to_owned(), delay)
                })
                .collect()
        }
    }

    impl SandboxOutbox for MemoryOutbox {
        fn send_later<'a>(
            &'a self,
            webhook: &'a SendSandboxWebhook,
            delay_seconds: u32,
        ) -> BoxFuture<'a, Result<(), Error>> {
            Box::pin(async move {
                self.0
                    .lock()
                    .map_err(|_| Error::bug("the outbox's lock is poisoned"))?
                    .push((webhook.clone(), delay_seconds));
                Ok(())
            })
        }
    }

    fn money(amount: serde_json::Value, currency: &str) -> Money {
        let currency = Currency::parse(currency).unwrap();
        Amount::from_json(&amount)
            .unwrap()
            .in_currency(currency)
            .unwrap()
    }

    fn request(amount: serde_json::Value, currency: &str, attempt: u32) -> PaymentRequest {
        PaymentRequest {
            transaction_id: TransactionId::new_random(),
            direction: Direction::Credit,
            amount: money(amount, currency),
            attempt,
        }
    }

    fn sandbox() -> (Sandbox, Arc<MemoryBook>) {
        let (sandbox, book, _) = sandbox_with_outbox();
        (sandbox, book)
    }

    fn sandbox_with_outbox() -> (Sandbox, Arc<MemoryBook>, Arc<MemoryOutbox>) {
        let book = Arc::new(MemoryBook::default());
        let outbox = Arc::new(MemoryOutbox::default());
        (Sandbox::new(book.clone(), outbox.clone()), book, outbox)
    }

    async fn outcome(amount: serde_json::Value, currency: &str, attempt: u32) -> PaymentOutcome {
        sandbox()
            .0
            .execute(&request(amount, currency, attempt))
            .await
    }

    #[tokio::test]
    async fn outcomes_follow_the_fractional_part() {
        assert!(
            matches!(outcome(json!(20.51), "EUR", 1).await, PaymentOutcome::Declined { error_code, .. } if error_code == "DECLINED")
        );
        assert!(matches!(
            outcome(json!(20.52), "EUR", 1).await,
            PaymentOutcome::Retryable { .. }
        ));
        assert!(matches!(
            outcome(json!(20.52), "EUR", 2).await,
            PaymentOutcome::Succeeded { .. }
        ));
        assert!(matches!(
            outcome(json!(20.54), "EUR", 1).await,
            PaymentOutcome::Pending { .. }
        ));
        assert!(matches!(
            outcome(json!(20.57), "EUR", 1).await,
            PaymentOutcome::InDoubt { .. }
        ));
        for (amount, currency) in [
            (json!(20), "EUR"),
            (json!(20.5), "EUR"),
            (json!(20.53), "EUR"),
            (json!(51), "EUR"),
            (json!(1.515), "BHD"),
            (json!(5100), "JPY"),
        ] {
            assert!(
                matches!(
                    outcome(amount.clone(), currency, 1).await,
                    PaymentOutcome::Succeeded { .. }
                ),
                "{amount} {currency}"
            );
        }
        assert!(matches!(
            outcome(json!(1.51), "BHD", 1).await,
            PaymentOutcome::Declined { .. }
        ));
    }

    #[tokio::test]
    async fn a_lost_answer_still_took_the_payment_once() {
        let (sandbox, book) = sandbox();
        let first = request(json!(20.57), "EUR", 1);
        assert!(matches!(
            sandbox.execute(&first).await,
            PaymentOutcome::InDoubt { .. }
        ));
        let status = sandbox.payment_status(&first).await;
        assert!(matches!(status, PaymentOutcome::Succeeded { .. }));
        let again = PaymentRequest {
            attempt: 2,
            ..first.clone()
        };
        assert_eq!(sandbox.execute(&again).await, status);
        assert_eq!(book.entries().len(), 1, "one payment at the provider");
    }

    #[tokio::test]
    async fn a_pending_payment_settles_after_its_delay_and_unknown_keys_have_no_record() {
        let (sandbox, book) = sandbox();
        let pending = request(json!(20.54), "EUR", 1);
        let PaymentOutcome::Pending { app_transaction_id } = sandbox.execute(&pending).await else {
            panic!("pending expected");
        };
        assert_eq!(
            sandbox.payment_status(&pending).await,
            PaymentOutcome::Pending {
                app_transaction_id: app_transaction_id.clone()
            }
        );
        let mut entry = book.entries().remove(0);
        entry.settles_at = 0;
        *book.0.lock().unwrap() = vec![entry];
        assert_eq!(
            sandbox.payment_status(&pending).await,
            PaymentOutcome::Succeeded { app_transaction_id }
        );
        let never = request(json!(10), "EUR", 1);
        assert!(matches!(
            sandbox.payment_status(&never).await,
            PaymentOutcome::Retryable { .. }
        ));
    }

    #[tokio::test]
    async fn refunds_of_pending_payments_are_pending_and_of_53_declined() {
        let (sandbox, _) = sandbox();
        let refund = |payment: serde_json::Value| RefundRequest {
            refund_id: RefundId::new_random(),
            transaction_id: TransactionId::new_random(),
            app_transaction_id: None,
            amount: money(json!(1), "EUR"),
            payment_amount: money(payment, "EUR"),
            attempt: 1,
        };
        assert!(matches!(
            sandbox.refund(&refund(json!(20.54))).await,
            PaymentOutcome::Pending { .. }
        ));
        assert!(matches!(
            sandbox.refund(&refund(json!(20.53))).await,
            PaymentOutcome::Declined { .. }
        ));
        let plain = refund(json!(20));
        let done = sandbox.refund(&plain).await;
        assert!(matches!(done, PaymentOutcome::Succeeded { .. }));
        assert_eq!(sandbox.refund_status(&plain).await, done);
    }

    #[tokio::test]
    async fn webhooks_are_queued_once_for_what_sandbox_reports_later() {
        let (sandbox, _, outbox) = sandbox_with_outbox();
        let pending = request(json!(20.54), "EUR", 1);
        sandbox.execute(&pending).await;
        sandbox
            .execute(&PaymentRequest {
                attempt: 2,
                ..pending.clone()
            })
            .await;
        assert_eq!(outbox.events(), [("payment.settled".to_owned(), 3)]);

        let (sandbox, _, outbox) = sandbox_with_outbox();
        sandbox.execute(&request(json!(20.55), "EUR", 1)).await;
        sandbox.execute(&request(json!(20.56), "EUR", 1)).await;
        sandbox.execute(&request(json!(20), "EUR", 1)).await;
        assert_eq!(
            outbox.events(),
            [
                ("chargeback.opened".to_owned(), 2),
                ("chargeback.succeeded".to_owned(), 4),
                ("chargeback.opened".to_owned(), 2),
                ("chargeback.failed".to_owned(), 4),
            ]
        );

        let (sandbox, _, outbox) = sandbox_with_outbox();
        let refund = RefundRequest {
            refund_id: RefundId::new_random(),
            transaction_id: TransactionId::new_random(),
            app_transaction_id: Some("sandbox_paid".into()),
            amount: money(json!(1), "EUR"),
            payment_amount: money(json!(20.54), "EUR"),
            attempt: 1,
        };
        sandbox.refund(&refund).await;
        sandbox.refund(&refund).await;
        assert_eq!(outbox.events(), [("refund.settled".to_owned(), 3)]);
    }

    #[tokio::test]
    async fn the_same_transaction_gets_the_same_app_transaction_id() {
        let (sandbox, book) = sandbox();
        let first = request(json!(10), "EUR", 1);
        let again = PaymentRequest {
            attempt: 2,
            ..first.clone()
        };
        assert_eq!(sandbox.execute(&first).await, sandbox.execute(&again).await);
        assert_eq!(book.entries().len(), 1);
    }

    fn reward_request(name: &str, transaction_id: TransactionId) -> RewardRequest {
        RewardRequest {
            transaction_id,
            reward_id: crate::ids::RewardId::new_random(),
            reward_name: name.into(),
            amount: money(json!(25), "EUR"),
        }
    }

    #[tokio::test]
    async fn rewards_are_issued_once_per_transaction_and_failing_ones_refused() {
        let (sandbox, _) = sandbox();
        let id = TransactionId::new_random();
        let first = sandbox.claim_reward(&reward_request("Gift Card", id)).await;
        let again = sandbox.claim_reward(&reward_request("Gift Card", id)).await;
        let other = sandbox
            .claim_reward(&reward_request("Gift Card", TransactionId::new_random()))
            .await;
        assert!(
            matches!(&first, RewardOutcome::Issued { credentials, .. } if credentials.len() == 2)
        );
        assert_eq!(first, again, "the transaction id is the idempotency key");
        assert_eq!(
            sandbox
                .reward_status(&reward_request("Gift Card", id))
                .await,
            first
        );
        assert_ne!(first, other);
        assert!(matches!(
            sandbox.claim_reward(&reward_request(FAILING_REWARD_NAME, id)).await,
            RewardOutcome::Failed { error_code, .. } if error_code == "REWARD_UNAVAILABLE"
        ));
    }

    #[test]
    fn credentials_never_show_their_value_in_debug() {
        let credential = RewardCredential {
            label: "PIN".into(),
            value: Secret::new("9876".into()),
            reward_type: "GIFT_CARD".into(),
            credential_type: "PIN".into(),
        };
        assert!(!format!("{credential:?}").contains("9876"));
    }
}
