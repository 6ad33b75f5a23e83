//! Moving money: directions, schemes and amounts shared by orders, instructions and the workers.

mod app;
mod links;
mod money;
mod scheme;

pub use app::{
    Answer, PaymentApp, PaymentApps, PaymentOutcome, PaymentRequest, RefundRequest,
    RewardCredential, RewardOutcome, RewardRequest, Settlement,
};
pub use links::{LinkTarget, ProviderLink, ProviderLinks};
pub use money::{Amount, AmountError, Money, MAX_INTEGER_DIGITS};
pub use scheme::{Scheme, SchemeId, Schemes};

use serde::{Deserialize, Serialize};

/// The SANDBOX app's id (docs/api.md §6); the app itself is a provider's (`providers`).
pub const SANDBOX_APP_ID: &str = "SANDBOX";

/// Attempts at one payment or refund with its app before a payment app that keeps answering
/// "retryable" (it did nothing) is given up on. In-doubt answers never count towards it.
pub const MAX_PAYMENT_ATTEMPTS: u32 = 5;

/// Which way money moves: collected from the customer (DEBIT) or paid out to them (CREDIT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    Debit,
    Credit,
}

impl Direction {
    /// Requests may spell it `Debit`, `DEBIT` or `debit`.
    pub fn parse(input: &str) -> Option<Direction> {
        match input.to_ascii_uppercase().as_str() {
            "DEBIT" => Some(Direction::Debit),
            "CREDIT" => Some(Direction::Credit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Debit => "DEBIT",
            Direction::Credit => "CREDIT",
        }
    }
}
