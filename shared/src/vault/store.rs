//! The vault's items. One partition per customer holds the profile (`SK = PROFILE`) and each
//! instrument (`SK = FI#{id}`), so reading a customer with all its instruments is one Query.

use super::{
    CustomerProfile, CustomerVault, ExecuteRefunds, FinancialInstrument, InstructionLink,
    Transaction,
};
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, MandateId, TenantScope, TransactionId};
use crate::metadata::Metadata;
use crate::refs::CustomerRef;
use crate::store::{
    self, cancelled_by_condition, is_condition_failure, sdk_failure, Item, Table, WorkKind,
};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const PROFILE: &str = "PROFILE";
const INSTRUMENT_PREFIX: &str = "FI#";
const TRANSACTION_PREFIX: &str = "TX#";
/// `INSTRUCTION#{orderRef}#{instructionRef}`: the customer's instructions, so closing an
/// instrument and forgetting the customer reach them. Refs hold no `#`.
const INSTRUCTION_LINK_PREFIX: &str = "INSTRUCTION#";
const INSTRUCTION_LINK_TYPE: &str = "InstructionLink";
/// `MANDATE#{mandateId}`: the customer's mandates, so forgetting the customer reaches them.
const MANDATE_LINK_PREFIX: &str = "MANDATE#";
const MANDATE_LINK_TYPE: &str = "MandateLink";
const PROFILE_TYPE: &str = "CustomerProfile";
const INSTRUMENT_TYPE: &str = "FinancialInstrument";
const TRANSACTION_TYPE: &str = "Transaction";

/// Creates the profile on first write and refuses writes once the customer is forgotten, so
/// nothing personal can be added after (or while) forget runs.
const ACTIVE_PROFILE_UPDATE: &str = "SET #status = if_not_exists(#status, :active), \
     createdTimestamp = if_not_exists(createdTimestamp, :now), itemType = :profileType";
const PROFILE_NOT_FORGOTTEN: &str = "attribute_not_exists(#status) OR #status = :active";

/// Which of a customer's items a Query reads, by sort key. Sort keys order as `FI#…`,
/// `INSTRUCTION#…`, `MANDATE#…`, `PROFILE`, `REWARD#…`, `TX#…`: the profile and the instruments
/// are the range `FI#`..=`PROFILE` less the links inside it (filtered out by item type), so
/// transactions and reward claims, the items that grow with every payment, are never read
/// for them.
enum CustomerItems {
    ProfileAndInstruments,
    Prefixed(&'static str),
}

#[derive(Clone)]
pub struct VaultStore {
    table: Table,
}

/// The customer's vault partition; other modules keep items there too (reward claims).
pub(crate) fn partition(scope: &TenantScope, customer: &CustomerRef) -> String {
    store::partition(scope, "CUSTOMER", customer.as_str())
}

fn instrument_key(id: FinancialInstrumentId) -> String {
    format!("{INSTRUMENT_PREFIX}{id}")
}

fn transaction_key(id: TransactionId) -> String {
    format!("{TRANSACTION_PREFIX}{id}")
}

/// A transaction's item in its customer's partition, in the work index while refunds are
/// pending. Shared with order management, whose executor writes new transactions.
pub(crate) fn transaction_item(
    scope: &TenantScope,
    transaction: &Transaction,
) -> Result<Item, Error> {
    let pk = partition(scope, &transaction.customer_ref);
    let mut item = store::to_item(
        transaction,
        &pk,
        &transaction_key(transaction.id),
        TRANSACTION_TYPE,
    )?;
    if let Some(from) = transaction.refunds_need_worker_from() {
        let message = ExecuteRefunds {
            tenant_id: scope.tenant,
            account_id: scope.account,
            customer_ref: transaction.customer_ref.clone(),
            financial_instrument_id: transaction.financial_instrument_id,
            transaction_id: transaction.id,
        };
        let message = serde_json::to_string(&message)
            .map_err(|e| Error::Internal(format!("serialising work message: {e}")))?;
        item.extend(store::work_attributes(WorkKind::Refund, &pk, from, message));
    }
    Ok(item)
}

/// The item that records that an instruction belongs to a customer and which instrument it
/// uses, written with every instruction that may change its instrument.
pub(crate) fn instruction_link_item(
    scope: &TenantScope,
    link: &InstructionLink,
) -> Result<Item, Error> {
    let sk = format!(
        "{INSTRUCTION_LINK_PREFIX}{}#{}",
        link.order_ref, link.instruction_ref
    );
    store::to_item(
        link,
        &partition(scope, &link.customer_ref),
        &sk,
        INSTRUCTION_LINK_TYPE,
    )
}

/// The item that records that a mandate names the customer.
pub(crate) fn mandate_link_item(
    scope: &TenantScope,
    customer: &CustomerRef,
    mandate: MandateId,
) -> Result<Item, Error> {
    let link = MandateLink {
        customer_ref: customer.clone(),
        mandate_id: mandate,
    };
    store::to_item(
        &link,
        &partition(scope, customer),
        &format!("{MANDATE_LINK_PREFIX}{mandate}"),
        MANDATE_LINK_TYPE,
    )
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MandateLink {
    customer_ref: CustomerRef,
    mandate_id: MandateId,
}

/// An instrument's item in its customer's partition.
pub(crate) fn instrument_item(
    scope: &TenantScope,
    instrument: &FinancialInstrument,
) -> Result<Item, Error> {
    store::to_item(
        instrument,
        &partition(scope, &instrument.customer_ref),
        &instrument_key(instrument.id),
        INSTRUMENT_TYPE,
    )
}

/// The partition and sort key of an instrument's item.
pub(crate) fn instrument_key_of(
    scope: &TenantScope,
    customer: &CustomerRef,
    id: FinancialInstrumentId,
) -> (String, String) {
    (partition(scope, customer), instrument_key(id))
}

/// The key of an instrument's item.
pub(crate) fn instrument_item_key(
    scope: &TenantScope,
    customer: &CustomerRef,
    id: FinancialInstrumentId,
) -> Item {
    store::key(&partition(scope, customer), &instrument_key(id))
}

/// A transaction action that creates the customer's profile if need be and fails once the
/// customer is forgotten: written beside anything that adds personal data to a customer.
pub(crate) fn customer_not_forgotten(
    table: &Table,
    scope: &TenantScope,
    customer: &CustomerRef,
    now_ms: i64,
) -> Result<Update, Error> {
    Update::builder()
        .table_name(&table.name)
        .set_key(Some(store::key(&partition(scope, customer), PROFILE)))
        .update_expression(format!(
            "{ACTIVE_PROFILE_UPDATE}, metadata = if_not_exists(metadata, :noMetadata)"
        ))
        .condition_expression(PROFILE_NOT_FORGOTTEN)
        .expression_attribute_names("#status", "status")
        .set_expression_attribute_values(Some(active_profile_values(now_ms)))
        .expression_attribute_values(":noMetadata", AttributeValue::M(HashMap::new()))
        .build()
        .map_err(|e| Error::Internal(format!("building profile update: {e}")))
}

/// CUSTOMER_FORGOTTEN: nothing personal may be added to a forgotten customer.
pub fn customer_forgotten(customer: &CustomerRef) -> Error {
    Error::invalid(
        Violation::new(ErrorCode::CUSTOMER_FORGOTTEN).with("customerRef", customer.as_str()),
    )
}

pub fn transaction_not_found(id: TransactionId) -> Error {
    Error::NotFound(
        Violation::new(ErrorCode::TRANSACTION_NOT_FOUND).with("transactionId", id.to_string()),
    )
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn active_profile_values(now_ms: i64) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (":active".to_owned(), text("ACTIVE")),
        (":now".to_owned(), AttributeValue::N(now_ms.to_string())),
        (":profileType".to_owned(), text(PROFILE_TYPE)),
    ])
}

pub fn instrument_not_found(id: FinancialInstrumentId) -> Error {
    Error::NotFound(
        Violation::new(ErrorCode::FINANCIAL_INSTRUMENT_NOT_FOUND)
            .with("financialInstrumentId", id.to_string()),
    )
}

impl VaultStore {
    pub fn new(table: Table) -> Self {
        VaultStore { table }
    }

    /// The table, for reads that batch the vault's items with others.
    pub(crate) fn table(&self) -> &Table {
        &self.table
    }

    /// The profile and every instrument of a customer, strongly consistent, in one Query.
    pub async fn load_customer(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<CustomerVault, Error> {
        let mut vault = CustomerVault::default();
        for item in self
            .customer_items(scope, customer, CustomerItems::ProfileAndInstruments)
            .await?
        {
            match store::sort_key_of(&item) {
                Some(PROFILE) => vault.profile = Some(store::from_item::<CustomerProfile>(item)?),
                Some(sk) if sk.starts_with(INSTRUMENT_PREFIX) => {
                    vault.instruments.push(store::from_item(item)?)
                }
                _ => {}
            }
        }
        vault
            .instruments
            .sort_by_key(|i| (i.created_timestamp, i.id));
        Ok(vault)
    }

    /// The customer's items of one kind, strongly consistent: one Query (one page per MB of
    /// items the sort-key range holds).
    async fn customer_items(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        which: CustomerItems,
    ) -> Result<Vec<Item>, Error> {
        let query = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .expression_attribute_values(":pk", text(&partition(scope, customer)))
            .consistent_read(true);
        let query = match which {
            CustomerItems::ProfileAndInstruments => query
                .key_condition_expression("PK = :pk AND SK BETWEEN :first AND :last")
                .expression_attribute_values(":first", text(INSTRUMENT_PREFIX))
                .expression_attribute_values(":last", text(PROFILE))
                .filter_expression("#itemType IN (:profileType, :instrumentType)")
                .expression_attribute_names("#itemType", store::ITEM_TYPE)
                .expression_attribute_values(":profileType", text(PROFILE_TYPE))
                .expression_attribute_values(":instrumentType", text(INSTRUMENT_TYPE)),
            CustomerItems::Prefixed(prefix) => query
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":prefix", text(prefix)),
        };
        let pages = query.into_paginator().items().send();
        let items: Vec<Result<Item, _>> = pages.collect().await;
        items
            .into_iter()
            .map(|item| item.map_err(sdk_failure("Query")))
            .collect()
    }

    pub async fn load_instrument(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
    ) -> Result<Option<FinancialInstrument>, Error> {
        self.table
            .get(&partition(scope, customer), &instrument_key(id))
            .await
    }

    /// A transaction of the customer made with the given instrument.
    pub async fn load_transaction(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        instrument: FinancialInstrumentId,
        id: TransactionId,
    ) -> Result<Transaction, Error> {
        let transaction: Option<Transaction> = self
            .table
            .get(&partition(scope, customer), &transaction_key(id))
            .await?;
        transaction
            .filter(|t| t.financial_instrument_id == instrument)
            .ok_or_else(|| transaction_not_found(id))
    }

    /// Stores a changed transaction if nobody changed it since it was read at `read_version`,
    /// and mirrors it into its instruction's view in the same DynamoDB transaction.
    /// `Ok(false)` when someone did (reload and try again).
    pub async fn save_transaction(
        &self,
        scope: &TenantScope,
        transaction: &Transaction,
        read_version: u64,
    ) -> Result<bool, Error> {
        let put = Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(transaction_item(scope, transaction)?))
            .condition_expression("version = :read")
            .expression_attribute_values(":read", AttributeValue::N(read_version.to_string()))
            .build()
            .map_err(|e| Error::Internal(format!("building transaction put: {e}")))?;
        let (instruction_pk, instruction_sk) = crate::orders::instruction_key(
            scope,
            &transaction.order_ref,
            &transaction.instruction_ref,
        );
        let copy = serde_dynamo::to_attribute_value(transaction)
            .map_err(|e| Error::Internal(format!("serialising transaction: {e}")))?;
        let mirror = Update::builder()
            .table_name(&self.table.name)
            .set_key(Some(store::key(&instruction_pk, &instruction_sk)))
            .update_expression("SET #transaction = :transaction")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#transaction", "transaction")
            .expression_attribute_values(":transaction", copy)
            .build()
            .map_err(|e| Error::Internal(format!("building instruction update: {e}")))?;
        let result = self
            .table
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(mirror).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match cancelled_by_condition(&e).as_deref() {
                Some([true, _]) => Ok(false),
                _ => Err(sdk_failure("TransactWriteItems")(e)),
            },
        }
    }

    /// Every instruction linked to the customer.
    pub async fn instruction_links(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<InstructionLink>, Error> {
        self.customer_items(
            scope,
            customer,
            CustomerItems::Prefixed(INSTRUCTION_LINK_PREFIX),
        )
        .await?
        .into_iter()
        .filter(|item| {
            store::sort_key_of(item).is_some_and(|sk| sk.starts_with(INSTRUCTION_LINK_PREFIX))
        })
        .map(store::from_item)
        .collect()
    }

    /// Every mandate that named the customer (it may name another customer since).
    pub async fn mandate_links(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<MandateId>, Error> {
        self.customer_items(
            scope,
            customer,
            CustomerItems::Prefixed(MANDATE_LINK_PREFIX),
        )
        .await?
        .into_iter()
        .filter(|item| {
            store::sort_key_of(item).is_some_and(|sk| sk.starts_with(MANDATE_LINK_PREFIX))
        })
        .map(|item| store::from_item::<MandateLink>(item).map(|link| link.mandate_id))
        .collect()
    }

    /// Every transaction of the customer.
    pub async fn transactions(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<Transaction>, Error> {
        self.customer_items(scope, customer, CustomerItems::Prefixed(TRANSACTION_PREFIX))
            .await?
            .into_iter()
            .filter(|item| {
                store::sort_key_of(item).is_some_and(|sk| sk.starts_with(TRANSACTION_PREFIX))
            })
            .map(store::from_item)
            .collect()
    }

    /// Replaces the customer's metadata (PUT semantics).
    pub async fn replace_metadata(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        metadata: &Metadata,
        now_ms: i64,
    ) -> Result<(), Error> {
        let metadata = serde_dynamo::to_attribute_value(metadata)
            .map_err(|e| Error::Internal(format!("serialising metadata: {e}")))?;
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(store::key(&partition(scope, customer), PROFILE)))
            .update_expression(format!("{ACTIVE_PROFILE_UPDATE}, metadata = :metadata"))
            .condition_expression(PROFILE_NOT_FORGOTTEN)
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(active_profile_values(now_ms)))
            .expression_attribute_values(":metadata", metadata)
            .send()
            .await;
        store::updated(result, || customer_forgotten(customer))
    }

    /// Stores a new instrument, in one transaction with the check that the customer is not
    /// forgotten.
    pub async fn add_instrument(
        &self,
        scope: &TenantScope,
        instrument: &FinancialInstrument,
    ) -> Result<(), Error> {
        let customer = &instrument.customer_ref;
        let profile =
            customer_not_forgotten(&self.table, scope, customer, instrument.created_timestamp)?;
        let put = Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(instrument_item(scope, instrument)?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| Error::Internal(format!("building instrument put: {e}")))?;
        let result = self
            .table
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(profile).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match cancelled_by_condition(&e) {
                Some(failed) if failed.first() == Some(&true) => Err(customer_forgotten(customer)),
                _ => Err(sdk_failure("TransactWriteItems")(e)),
            },
        }
    }

    /// Marks an instrument INACTIVE and takes it out of the wallet. Closing twice is harmless.
    pub async fn close_instrument(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
        now_ms: i64,
    ) -> Result<(), Error> {
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(store::key(&partition(scope, customer), &instrument_key(id))))
            .update_expression(
                "SET #status = :inactive, walletEnabled = :false, closedTimestamp = if_not_exists(closedTimestamp, :now)",
            )
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":inactive", text("INACTIVE"))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .send()
            .await;
        store::updated(result, || instrument_not_found(id))
    }

    /// Puts an ACTIVE instrument into the wallet, or takes any instrument out of it. Both are
    /// idempotent; the condition makes a concurrent close win over an add.
    pub async fn set_in_wallet(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
        enabled: bool,
    ) -> Result<(), Error> {
        let condition = if enabled {
            "attribute_exists(PK) AND #status = :active"
        } else {
            "attribute_exists(PK)"
        };
        let mut request = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(store::key(
                &partition(scope, customer),
                &instrument_key(id),
            )))
            .update_expression("SET walletEnabled = :enabled")
            .condition_expression(condition)
            .expression_attribute_values(":enabled", AttributeValue::Bool(enabled));
        if enabled {
            request = request
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", text("ACTIVE"));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                match self.load_instrument(scope, customer, id).await? {
                    None => Err(instrument_not_found(id)),
                    Some(_) => Err(Error::invalid(
                        Violation::new(ErrorCode::FINANCIAL_INSTRUMENT_INACTIVE)
                            .with("financialInstrumentId", id.to_string()),
                    )),
                }
            }
            Err(e) => Err(sdk_failure("UpdateItem")(e)),
        }
    }

    /// Erases the customer's personal data: the profile turns FORGOTTEN with no metadata first
    /// (so no new personal data can be written), then every instrument loses its account
    /// details. Ids, types, statuses and timestamps stay. Safe to repeat.
    pub async fn forget(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        now_ms: i64,
    ) -> Result<(), Error> {
        let pk = partition(scope, customer);
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(store::key(&pk, PROFILE)))
            .update_expression(
                "SET #status = :forgotten, metadata = :noMetadata, itemType = :profileType, \
                 createdTimestamp = if_not_exists(createdTimestamp, :now), \
                 forgottenTimestamp = if_not_exists(forgottenTimestamp, :now)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":forgotten", text("FORGOTTEN"))
            .expression_attribute_values(":noMetadata", AttributeValue::M(HashMap::new()))
            .expression_attribute_values(":profileType", text(PROFILE_TYPE))
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .send()
            .await
            .map_err(sdk_failure("UpdateItem"))?;
        for item in self
            .customer_items(scope, customer, CustomerItems::Prefixed(INSTRUMENT_PREFIX))
            .await?
        {
            let Some(sort_key) =
                store::sort_key_of(&item).filter(|sk| sk.starts_with(INSTRUMENT_PREFIX))
            else {
                continue;
            };
            self.table
                .client
                .update_item()
                .table_name(&self.table.name)
                .set_key(Some(store::key(&pk, sort_key)))
                .update_expression("REMOVE details")
                .send()
                .await
                .map_err(sdk_failure("UpdateItem"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GET customer reads the sort-key range `FI#`..=`PROFILE`: every instrument and the profile
    /// are inside it, transactions and reward claims (`REWARD#`, kept here by the rewards
    /// module) outside, and the only other items inside are the links its filter drops.
    #[test]
    fn the_profile_and_instruments_range_leaves_out_transactions_and_rewards() {
        let inside = |sk: &str| (INSTRUMENT_PREFIX..=PROFILE).contains(&sk);
        let id = FinancialInstrumentId::new_random();
        assert!(inside(&instrument_key(id)));
        assert!(inside(PROFILE));
        assert!(!inside(&transaction_key(TransactionId::new_random())));
        assert!(!inside(&format!("REWARD#{}", TransactionId::new_random())));
        assert!(inside(&format!(
            "{INSTRUCTION_LINK_PREFIX}order#instruction"
        )));
        assert!(inside(&format!(
            "{MANDATE_LINK_PREFIX}{}",
            MandateId::new_random()
        )));
    }
}
