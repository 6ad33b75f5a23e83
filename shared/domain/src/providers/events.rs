//! What a provider's webhook says happened, in this service's words. Each app's module
//! translates its provider's format into these; the event worker applies them.

use crate::ids::{MandateId, RefundId};
use crate::payments::Amount;

/// The provider's id of a payment (`appTransactionId`), by which its events find the
/// tenant's transaction through its link.
pub type AppReference = String;

#[derive(Debug, Clone, PartialEq)]
pub enum ProviderEvent {
    PaymentSettled {
        app_transaction_id: AppReference,
    },
    PaymentFailed {
        app_transaction_id: AppReference,
        reason: String,
    },
    RefundSettled {
        app_transaction_id: AppReference,
        refund_id: RefundId,
    },
    RefundFailed {
        app_transaction_id: AppReference,
        refund_id: RefundId,
        reason: String,
    },
    ChargebackOpened {
        app_transaction_id: AppReference,
        chargeback_id: String,
        /// The whole payment when the provider names no amount.
        amount: Option<Amount>,
        /// When the payer claimed it (epoch ms).
        claimed: i64,
    },
    ChargebackSucceeded {
        app_transaction_id: AppReference,
        chargeback_id: String,
    },
    ChargebackFailed {
        app_transaction_id: AppReference,
        chargeback_id: String,
    },
    MandateActive {
        mandate_id: MandateId,
    },
    MandateFailed {
        mandate_id: MandateId,
        reason: String,
    },
}

impl ProviderEvent {
    /// The event's type as SANDBOX names it, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            ProviderEvent::PaymentSettled { .. } => "payment.settled",
            ProviderEvent::PaymentFailed { .. } => "payment.failed",
            ProviderEvent::RefundSettled { .. } => "refund.settled",
            ProviderEvent::RefundFailed { .. } => "refund.failed",
            ProviderEvent::ChargebackOpened { .. } => "chargeback.opened",
            ProviderEvent::ChargebackSucceeded { .. } => "chargeback.succeeded",
            ProviderEvent::ChargebackFailed { .. } => "chargeback.failed",
            ProviderEvent::MandateActive { .. } => "mandate.active",
            ProviderEvent::MandateFailed { .. } => "mandate.failed",
        }
    }

    /// The provider's id the event's link is kept under: the payment's, or the mandate's.
    pub fn app_reference(&self) -> String {
        match self {
            ProviderEvent::PaymentSettled { app_transaction_id }
            | ProviderEvent::PaymentFailed {
                app_transaction_id, ..
            }
            | ProviderEvent::RefundSettled {
                app_transaction_id, ..
            }
            | ProviderEvent::RefundFailed {
                app_transaction_id, ..
            }
            | ProviderEvent::ChargebackOpened {
                app_transaction_id, ..
            }
            | ProviderEvent::ChargebackSucceeded {
                app_transaction_id, ..
            }
            | ProviderEvent::ChargebackFailed {
                app_transaction_id, ..
            } => app_transaction_id.clone(),
            ProviderEvent::MandateActive { mandate_id }
            | ProviderEvent::MandateFailed { mandate_id, .. } => mandate_id.to_string(),
        }
    }
}
