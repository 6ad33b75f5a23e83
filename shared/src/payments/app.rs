//! The one interface through which money moves: a payment app executes a payment for an
//! instruction. Handlers and workers only see this trait, so a real provider can be added
//! beside the SANDBOX app without touching them.

use super::{Direction, Money};
use crate::ids::{RefundId, TransactionId};
use std::future::Future;
use std::pin::Pin;

/// A payment to execute. `transaction_id` is the idempotency key: asking twice for one
/// transaction must not move money twice.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub transaction_id: TransactionId,
    pub direction: Direction,
    pub amount: Money,
    /// 1 for the first try of this transaction, 2 for the first retry, …
    pub attempt: u32,
}

/// A refund to execute. `refund_id` is the idempotency key: asking twice for one refund must
/// not return money twice.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub refund_id: RefundId,
    pub transaction_id: TransactionId,
    pub app_transaction_id: Option<String>,
    pub amount: Money,
    /// The refunded payment's amount.
    pub payment_amount: Money,
    pub attempt: u32,
}

/// The outcome of a payment or a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Succeeded {
        app_transaction_id: String,
    },
    /// Final: the provider refused the payment.
    Declined {
        error_code: String,
        reason: String,
    },
    /// Not final: the provider could not be reached or answered "try later".
    Retryable {
        reason: String,
    },
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait PaymentApp: Send + Sync {
    /// The id schemes name this app by (`appId`).
    fn app_id(&self) -> &'static str;

    fn execute<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome>;

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome>;
}

/// The apps a deployment has, looked up by a scheme's `appId`.
pub struct PaymentApps(Vec<Box<dyn PaymentApp>>);

impl PaymentApps {
    pub fn new(apps: Vec<Box<dyn PaymentApp>>) -> Self {
        PaymentApps(apps)
    }

    pub fn find(&self, app_id: &str) -> Option<&dyn PaymentApp> {
        self.0
            .iter()
            .find(|app| app.app_id() == app_id)
            .map(AsRef::as_ref)
    }
}
