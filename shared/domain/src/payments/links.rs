//! The way back from a provider's ids to the tenant's objects. A provider's webhook names only
//! its own ids (`appTransactionId`), so every write that first learns such an id also writes a
//! link from it to the transaction (or mandate), in the same transaction.

use crate::error::Error;
use crate::ids::{MandateId, MessageScope, TransactionId};
use crate::refs::CustomerRef;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// What a provider's id stands for in this service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum LinkTarget {
    #[serde(rename_all = "camelCase")]
    Transaction {
        #[serde(flatten)]
        scope: MessageScope,
        customer_ref: CustomerRef,
        transaction_id: TransactionId,
    },
    #[serde(rename_all = "camelCase")]
    Mandate {
        #[serde(flatten)]
        scope: MessageScope,
        mandate_id: MandateId,
    },
}

/// A provider's id (`appTransactionId`) of one app, and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderLink {
    pub app_id: String,
    pub app_reference: String,
    pub target: LinkTarget,
}

pub trait ProviderLinks: Sync {
    /// What `app_reference` of `app_id` stands for, if it was ever linked.
    fn linked(
        &self,
        app_id: &str,
        app_reference: &str,
    ) -> impl Future<Output = Result<Option<LinkTarget>, Error>> + Send;
}
