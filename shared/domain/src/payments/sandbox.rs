//! The SANDBOX payment app: deterministic outcomes chosen by the amount's fractional part, so
//! every path can be driven from the API (docs/api.md §6).

use super::app::{
    PaymentApp, PaymentOutcome, PaymentRequest, RefundRequest, RewardCredential, RewardOutcome,
    RewardRequest,
};
use crate::secret::Secret;
use crate::BoxFuture;
use rust_decimal::Decimal;

pub const SANDBOX_APP_ID: &str = "SANDBOX";

/// The triggers, in hundredths of the amount's fractional part.
const DECLINE: i64 = 51;
const FAIL_FIRST_ATTEMPT: i64 = 52;
const DECLINE_REFUNDS: i64 = 53;
/// The dev catalogue's reward whose claims fail.
pub const FAILING_REWARD_NAME: &str = "FAILING";

pub struct Sandbox;

/// Hundredths in the amount's fractional part (`20.51` → 51); amounts with more decimals than
/// two (BHD `1.515`) trigger nothing.
fn fraction_hundredths(amount: Decimal) -> Option<i64> {
    let hundredths = amount.fract() * Decimal::from(100);
    (hundredths.fract().is_zero())
        .then(|| i64::try_from(hundredths.trunc()).ok())
        .flatten()
}

impl PaymentApp for Sandbox {
    fn app_id(&self) -> &'static str {
        SANDBOX_APP_ID
    }

    fn execute<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        let outcome = match fraction_hundredths(request.amount.decimal()) {
            Some(DECLINE) => PaymentOutcome::Declined {
                error_code: "DECLINED".into(),
                reason: "The sandbox declines amounts ending in .51".into(),
            },
            Some(FAIL_FIRST_ATTEMPT) if request.attempt <= 1 => PaymentOutcome::Retryable {
                reason: "The sandbox fails the first attempt for amounts ending in .52".into(),
            },
            _ => PaymentOutcome::Succeeded {
                app_transaction_id: format!(
                    "sandbox_{}",
                    request.transaction_id.to_string().replace('-', "")
                ),
            },
        };
        Box::pin(async move { outcome })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        let outcome = match fraction_hundredths(request.payment_amount.decimal()) {
            Some(DECLINE_REFUNDS) => PaymentOutcome::Declined {
                error_code: "REFUND_DECLINED".into(),
                reason: "The sandbox declines refunds of payments ending in .53".into(),
            },
            _ => PaymentOutcome::Succeeded {
                app_transaction_id: format!(
                    "sandbox_refund_{}",
                    request.refund_id.to_string().replace('-', "")
                ),
            },
        };
        Box::pin(async move { outcome })
    }

    /// Issues a gift card whose code and PIN derive from the transaction id, so a repeated
    /// claim of one transaction issues the same card; a reward named `FAILING` is refused.
    fn claim_reward<'a>(&'a self, request: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        let outcome = if request.reward_name == FAILING_REWARD_NAME {
            RewardOutcome::Failed {
                error_code: "REWARD_UNAVAILABLE".into(),
                reason: "The sandbox refuses rewards named FAILING".into(),
            }
        } else {
            let digits = request
                .transaction_id
                .to_string()
                .replace('-', "")
                .to_uppercase();
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
        };
        Box::pin(async move { outcome })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use crate::ids::TransactionId;
    use crate::payments::{Amount, Direction};
    use serde_json::json;

    fn request(amount: serde_json::Value, currency: &str, attempt: u32) -> PaymentRequest {
        let currency = Currency::parse(currency).unwrap();
        PaymentRequest {
            transaction_id: TransactionId::new_random(),
            direction: Direction::Credit,
            amount: Amount::from_json(&amount)
                .unwrap()
                .in_currency(currency)
                .unwrap(),
            attempt,
        }
    }

    async fn outcome(amount: serde_json::Value, currency: &str, attempt: u32) -> PaymentOutcome {
        Sandbox.execute(&request(amount, currency, attempt)).await
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
    async fn the_same_transaction_gets_the_same_app_transaction_id() {
        let first = request(json!(10), "EUR", 1);
        let again = PaymentRequest {
            attempt: 2,
            ..first.clone()
        };
        assert_eq!(Sandbox.execute(&first).await, Sandbox.execute(&again).await);
    }

    fn reward_request(name: &str, transaction_id: TransactionId) -> RewardRequest {
        RewardRequest {
            transaction_id,
            reward_id: crate::ids::RewardId::new_random(),
            reward_name: name.into(),
            amount: request(json!(25), "EUR", 1).amount,
        }
    }

    #[tokio::test]
    async fn rewards_are_issued_once_per_transaction_and_failing_ones_refused() {
        let id = TransactionId::new_random();
        let first = Sandbox.claim_reward(&reward_request("Gift Card", id)).await;
        let again = Sandbox.claim_reward(&reward_request("Gift Card", id)).await;
        let other = Sandbox
            .claim_reward(&reward_request("Gift Card", TransactionId::new_random()))
            .await;
        assert!(
            matches!(&first, RewardOutcome::Issued { credentials, .. } if credentials.len() == 2)
        );
        assert_eq!(first, again, "the transaction id is the idempotency key");
        assert_ne!(first, other);
        assert!(matches!(
            Sandbox.claim_reward(&reward_request(FAILING_REWARD_NAME, id)).await,
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
