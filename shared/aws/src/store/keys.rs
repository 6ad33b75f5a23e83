//! The key of every kind of item, in one place (docs/data-model.md lists them). Refs hold no
//! `#`, so a key's parts cannot run into each other.

use super::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::ids::{
    FinancialInstrumentId, MandateId, TenantScope, TransactionId, WebhookId,
};
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";
pub const ITEM_TYPE: &str = "itemType";
/// The table's TTL attribute (epoch seconds): DynamoDB deletes the item some time after.
pub(crate) const EXPIRES_AT: &str = "expiresAt";

/// The sort keys of a customer's partition. They order as `EVENT#…`, `FI#…`, `INSTRUCTION#…`,
/// `MANDATE#…`, `PROFILE`, `REWARD#…`, `TX#…`: the profile and the instruments are the range
/// `FI#`..=`PROFILE` less the links inside it (see `vault`).
pub(crate) const PROFILE: &str = "PROFILE";
pub(crate) const INSTRUMENT_PREFIX: &str = "FI#";
pub(crate) const TRANSACTION_PREFIX: &str = "TX#";
pub(crate) const INSTRUCTION_LINK_PREFIX: &str = "INSTRUCTION#";
pub(crate) const MANDATE_LINK_PREFIX: &str = "MANDATE#";
pub(crate) const REWARD_PREFIX: &str = "REWARD#";
/// Tenant events about the customer's objects (the outbox).
pub(crate) const EVENT_PREFIX: &str = "EVENT#";

/// The sort keys of an order's partition.
pub(crate) const ORDER: &str = "ORDER";
pub(crate) const INSTRUCTION_PREFIX: &str = "INSTRUCTION#";

/// A mandate's own partition, and the item that keeps its ref unique.
pub(crate) const MANDATE: &str = "MANDATE";
pub(crate) const MANDATE_REF: &str = "MANDATE_REF";

/// Item types (`itemType`).
pub(crate) const PROFILE_TYPE: &str = "CustomerProfile";
pub(crate) const INSTRUMENT_TYPE: &str = "FinancialInstrument";
pub(crate) const TRANSACTION_TYPE: &str = "Transaction";
pub(crate) const INSTRUCTION_LINK_TYPE: &str = "InstructionLink";
pub(crate) const MANDATE_LINK_TYPE: &str = "MandateLink";
pub(crate) const REWARD_TRANSACTION_TYPE: &str = "RewardTransaction";
pub(crate) const ORDER_TYPE: &str = "Order";
pub(crate) const INSTRUCTION_TYPE: &str = "Instruction";
pub(crate) const MANDATE_TYPE: &str = "Mandate";
pub(crate) const MANDATE_REF_TYPE: &str = "MandateRef";
pub(crate) const CREDITOR_PROFILE_TYPE: &str = "CreditorProfile";
pub(crate) const API_KEY_TYPE: &str = "ApiKey";
pub(crate) const NONCE_TYPE: &str = "Nonce";
pub(crate) const PROVIDER_LINK_TYPE: &str = "ProviderLink";
pub(crate) const SANDBOX_ENTRY_TYPE: &str = "SandboxEntry";
pub(crate) const INBOX_EVENT_TYPE: &str = "InboxEvent";
pub(crate) const TENANT_EVENT_TYPE: &str = "TenantEvent";

/// `T#{tenant}#A#{account}#{kind}#{id}`.
pub(crate) fn partition(scope: &TenantScope, kind: &str, id: &str) -> String {
    format!("T#{}#A#{}#{kind}#{id}", scope.tenant, scope.account)
}

/// `T#{tenant}#A#{account}#{kind}`: a partition of the tenant that holds every item of one
/// kind, told apart by their sort keys (schemes, rewards, creditor profiles).
pub(crate) fn tenant_partition(scope: &TenantScope, kind: &str) -> String {
    format!("T#{}#A#{}#{kind}", scope.tenant, scope.account)
}

/// The customer's vault partition.
pub(crate) fn customer(scope: &TenantScope, customer: &CustomerRef) -> String {
    partition(scope, "CUSTOMER", customer.as_str())
}

pub(crate) fn instrument(id: FinancialInstrumentId) -> String {
    format!("{INSTRUMENT_PREFIX}{id}")
}

pub(crate) fn transaction(id: TransactionId) -> String {
    format!("{TRANSACTION_PREFIX}{id}")
}

pub(crate) fn reward_transaction(id: TransactionId) -> String {
    format!("{REWARD_PREFIX}{id}")
}

pub(crate) fn instruction_link(order: &OrderRef, instruction: &InstructionRef) -> String {
    format!("{INSTRUCTION_LINK_PREFIX}{order}#{instruction}")
}

pub(crate) fn mandate_link(mandate: MandateId) -> String {
    format!("{MANDATE_LINK_PREFIX}{mandate}")
}

pub(crate) fn order(scope: &TenantScope, order: &OrderRef) -> String {
    partition(scope, "ORDER", order.as_str())
}

pub(crate) fn instruction(instruction: &InstructionRef) -> String {
    format!("{INSTRUCTION_PREFIX}{instruction}")
}

pub(crate) fn mandate(scope: &TenantScope, id: MandateId) -> String {
    partition(scope, MANDATE, &id.to_string())
}

pub(crate) fn mandate_ref(scope: &TenantScope, mandate_ref: &str) -> String {
    partition(scope, MANDATE_REF, mandate_ref)
}

pub(crate) fn creditor_profiles(scope: &TenantScope) -> String {
    tenant_partition(scope, "CREDITOR_PROFILES")
}

pub(crate) fn schemes(scope: &TenantScope) -> String {
    tenant_partition(scope, "SCHEMES")
}

pub(crate) fn rewards(scope: &TenantScope) -> String {
    tenant_partition(scope, "REWARDS")
}

/// A tenant's webhook endpoints, each under its id as sort key.
pub(crate) fn webhook_endpoints(scope: &TenantScope) -> String {
    tenant_partition(scope, "WEBHOOKS")
}

/// An endpoint's deliveries.
pub(crate) fn webhook_deliveries(scope: &TenantScope, webhook_id: WebhookId) -> String {
    partition(scope, "WEBHOOK", &webhook_id.to_string())
}

pub(crate) const DELIVERY_PREFIX: &str = "DELIVERY#";

pub(crate) fn delivery(delivery_id: &str) -> String {
    format!("{DELIVERY_PREFIX}{delivery_id}")
}

/// A tenant event's sort key in its customer's partition.
pub(crate) fn tenant_event(event_id: &str) -> String {
    format!("{EVENT_PREFIX}{event_id}")
}

/// API keys are read by public key before any tenant is known: the one kind of item whose
/// partition does not start with a tenant. The item names its tenant and account.
pub(crate) fn api_key(public_key: &str) -> String {
    format!("APIKEY#{public_key}")
}

/// A provider's id (`appTransactionId`) of one app, leading back to the tenant's object: read
/// from a webhook before any tenant is known, so, like an API key, not under a tenant. The item
/// names its tenant and account.
pub(crate) fn provider_link(app_id: &str, app_reference: &str) -> String {
    format!("PROVIDER#{app_id}#{app_reference}")
}

pub(crate) const LINK: &str = "LINK";

/// A provider's webhook, stored once under its app and the provider's event id; like a link,
/// read before any tenant is known.
pub(crate) fn inbox_event(app_id: &str, event_id: &str) -> String {
    format!("INBOX#{app_id}#{event_id}")
}

pub(crate) const EVENT: &str = "EVENT";

/// What the SANDBOX app took under one idempotency key: the provider's side of the books, not
/// the tenant's.
pub(crate) fn sandbox_entry(key: &str) -> String {
    format!("SANDBOX#{key}")
}

pub(crate) const ENTRY: &str = "ENTRY";

pub(crate) const API_KEY: &str = "APIKEY";
pub(crate) const NONCE: &str = "NONCE";

/// A used nonce of an API key, under the key's tenant.
pub(crate) fn nonce(scope: &TenantScope, public_key: &str, nonce: &str) -> String {
    partition(scope, NONCE, &format!("{public_key}#{nonce}"))
}

/// The key attributes of one item.
pub(crate) fn key(partition: &str, sort: &str) -> Item {
    Item::from([
        (
            PARTITION_KEY.to_owned(),
            AttributeValue::S(partition.to_owned()),
        ),
        (SORT_KEY.to_owned(), AttributeValue::S(sort.to_owned())),
    ])
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|value| value.as_s().ok())
        .map(String::as_str)
}

pub(crate) fn partition_of(item: &Item) -> Option<&str> {
    text(item, PARTITION_KEY)
}

pub(crate) fn sort_of(item: &Item) -> Option<&str> {
    text(item, SORT_KEY)
}

pub(crate) fn item_type_of(item: &Item) -> Option<&str> {
    text(item, ITEM_TYPE)
}

/// The tenant and account a `T#{tenant}#A#{account}#…` partition key belongs to.
pub(crate) fn scope_of(partition: &str) -> Option<TenantScope> {
    let mut parts = partition.split('#');
    let (Some("T"), Some(tenant), Some("A"), Some(account)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(TenantScope {
        tenant: payments_domain::ids::TenantId::parse(tenant).ok()?,
        account: payments_domain::ids::AccountId::parse(account).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GET customer reads the sort-key range `FI#`..=`PROFILE`: every instrument and the profile
    /// are inside it, transactions and reward claims outside, and the only other items inside
    /// are the links its filter drops.
    #[test]
    fn the_profile_and_instruments_range_leaves_out_transactions_and_rewards() {
        let inside = |sk: &str| (INSTRUMENT_PREFIX..=PROFILE).contains(&sk);
        assert!(inside(&instrument(FinancialInstrumentId::new_random())));
        assert!(inside(PROFILE));
        assert!(!inside(&transaction(TransactionId::new_random())));
        assert!(!inside(&reward_transaction(TransactionId::new_random())));
        assert!(!inside(&tenant_event("evt_1")));
        let order = OrderRef::parse("order").unwrap_or_else(|e| panic!("{e:?}"));
        let instruction_ref =
            InstructionRef::parse("instruction").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(inside(&instruction_link(&order, &instruction_ref)));
        assert!(inside(&mandate_link(MandateId::new_random())));
    }
}
