//! The one interface through which money moves: a payment app executes a payment for an
//! instruction, refunds it, and (as a reward provider) issues a reward in place of a payout.
//! Handlers and workers only see this trait, so a real provider can be added beside the
//! SANDBOX app without touching them.

use super::{Direction, Money};
use crate::ids::{RefundId, RewardId, TransactionId};
use crate::secret::Secret;
use crate::BoxFuture;
use serde::{Deserialize, Serialize};

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

/// The outcome of a payment or a refund, or the answer to a status query about one
/// (docs/decisions/0016).
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
    /// Accepted: the outcome comes later, by webhook or a status query.
    Pending {
        app_transaction_id: String,
    },
    /// The provider did nothing (it said so, or, to a status query, has no record of it): safe
    /// to call again under the same key.
    Retryable {
        reason: String,
    },
    /// It may have acted: the call timed out or failed without proof of the contrary. Never
    /// a failure: the status query settles it.
    InDoubt {
        reason: String,
    },
}

/// How a payment or a refund ended at its app: the app's id of it, or an error code and a
/// reason.
pub type Settlement = Result<String, (String, String)>;

/// What an app's answer means for the payment or refund it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Final(Settlement),
    /// Pending (with the app's id of it) or in doubt (`None`): ask the app later.
    Waiting(Option<String>),
    /// The app did nothing: it may be asked again.
    Retryable(String),
}

impl From<PaymentOutcome> for Answer {
    fn from(outcome: PaymentOutcome) -> Self {
        match outcome {
            PaymentOutcome::Succeeded { app_transaction_id } => {
                Answer::Final(Ok(app_transaction_id))
            }
            PaymentOutcome::Declined { error_code, reason } => {
                Answer::Final(Err((error_code, reason)))
            }
            PaymentOutcome::Pending { app_transaction_id } => {
                Answer::Waiting(Some(app_transaction_id))
            }
            PaymentOutcome::InDoubt { reason } => {
                tracing::warn!(%reason, "the app's answer is in doubt");
                Answer::Waiting(None)
            }
            PaymentOutcome::Retryable { reason } => Answer::Retryable(reason),
        }
    }
}

/// A reward to issue in place of a payout. `transaction_id` is the idempotency key: asking twice
/// for one transaction must not issue two gift cards.
#[derive(Debug, Clone)]
pub struct RewardRequest {
    pub transaction_id: TransactionId,
    pub reward_id: RewardId,
    pub reward_name: String,
    pub amount: Money,
}

/// One secret of an issued reward (a gift card code, its PIN, a voucher URL). A credential is
/// as good as money: its value is a `Secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RewardCredential {
    pub label: String,
    #[schema(value_type = String)]
    pub value: Secret<String>,
    pub reward_type: String,
    pub credential_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewardOutcome {
    Issued {
        credentials: Vec<RewardCredential>,
        redemption_instructions: String,
    },
    /// Final: the provider will not issue it.
    Failed { error_code: String, reason: String },
    /// The provider issued nothing (or, to a status query, has no record of it): try again.
    Retryable { reason: String },
    /// It may have issued it: the status query settles it.
    InDoubt { reason: String },
}

pub trait PaymentApp: Send + Sync {
    /// The id schemes name this app by (`appId`).
    fn app_id(&self) -> &'static str;

    fn execute<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome>;

    /// What the provider knows of the payment asked for under `request.transaction_id`.
    fn payment_status<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome>;

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome>;

    /// What the provider knows of the refund asked for under `request.refund_id`.
    fn refund_status<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome>;

    /// Issues a reward. An app that is no reward provider refuses.
    fn claim_reward<'a>(&'a self, request: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        let _ = request;
        Box::pin(async move { self.issues_no_rewards() })
    }

    /// What the provider knows of the reward asked for under `request.transaction_id`.
    fn reward_status<'a>(&'a self, request: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        let _ = request;
        Box::pin(async move { self.issues_no_rewards() })
    }

    fn issues_no_rewards(&self) -> RewardOutcome {
        RewardOutcome::Failed {
            error_code: "REWARD_PROVIDER_UNSUPPORTED".into(),
            reason: format!("{} issues no rewards", self.app_id()),
        }
    }
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
