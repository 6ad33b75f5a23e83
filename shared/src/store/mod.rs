//! The DynamoDB table every function shares. Items carry `PK`/`SK`; every `PK` starts with
//! the tenant and account (`T#{tenant}#A#{account}#…`), so no key built here can reach another
//! tenant's data.

mod work;

pub use work::{
    work_attributes, DueWork, WorkKind, NEXT_ATTEMPT_AT, WORK_INDEX, WORK_KIND, WORK_MESSAGE,
    WORK_SHARDS,
};

use crate::error::Error;
use crate::ids::TenantScope;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";
pub const ITEM_TYPE: &str = "itemType";
/// The table's TTL attribute (epoch seconds): DynamoDB deletes the item some time after.
pub const EXPIRES_AT: &str = "expiresAt";
/// The most keys one BatchGetItem may ask for.
const BATCH_GET_LIMIT: usize = 100;
/// BatchGetItem calls per chunk of keys before keys it keeps leaving unprocessed are an error.
const BATCH_GET_ROUNDS: u32 = 6;

#[derive(Clone)]
pub struct Table {
    pub(crate) client: aws_sdk_dynamodb::Client,
    pub(crate) name: String,
}

impl Table {
    pub fn new(client: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        Table {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// One item, read strongly consistent: the one round trip of every GET by key.
    pub async fn get_raw(&self, partition: &str, sort: &str) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(partition, sort)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_failure("GetItem"))?;
        Ok(output.item)
    }

    /// Items by key, strongly consistent, in one round trip for up to 100 distinct keys: a
    /// GetItem for one key, a BatchGetItem for more (keys left unprocessed, as under
    /// throttling, are asked again). Answers in the order of `keys`, `None` where no item is;
    /// a key named twice is read once.
    pub async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Option<Item>>, Error> {
        let mut distinct: Vec<&(String, String)> = Vec::new();
        for key in keys {
            if !distinct.contains(&key) {
                distinct.push(key);
            }
        }
        let mut found: HashMap<(String, String), Item> = HashMap::new();
        if let [(partition, sort)] = distinct.as_slice() {
            if let Some(item) = self.get_raw(partition, sort).await? {
                found.insert((partition.clone(), sort.clone()), item);
            }
        } else {
            for chunk in distinct.chunks(BATCH_GET_LIMIT) {
                self.batch_get(chunk, &mut found).await?;
            }
        }
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
    }

    /// One BatchGetItem of at most `BATCH_GET_LIMIT` keys, asking again for what it left
    /// unprocessed, with a short backoff.
    async fn batch_get(
        &self,
        keys: &[&(String, String)],
        found: &mut HashMap<(String, String), Item>,
    ) -> Result<(), Error> {
        let mut pending: Vec<Item> = keys
            .iter()
            .map(|(partition, sort)| key(partition, sort))
            .collect();
        for round in 0..BATCH_GET_ROUNDS {
            if round > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(25 << round)).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(|e| Error::Internal(format!("building BatchGetItem keys: {e}")))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.name, request)
                .send()
                .await
                .map_err(sdk_failure("BatchGetItem"))?;
            let items = output
                .responses
                .and_then(|mut responses| responses.remove(&self.name))
                .unwrap_or_default();
            for item in items {
                let item_key = partition_key_of(&item).zip(sort_key_of(&item));
                if let Some((partition, sort)) = item_key {
                    found.insert((partition.to_owned(), sort.to_owned()), item);
                }
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(&self.name))
                .map(|left| left.keys)
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
        }
        Err(Error::Internal(format!(
            "DynamoDB BatchGetItem: {} keys still unprocessed after {BATCH_GET_ROUNDS} rounds",
            pending.len()
        )))
    }

    /// One item as a record.
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        partition: &str,
        sort: &str,
    ) -> Result<Option<T>, Error> {
        self.get_raw(partition, sort)
            .await?
            .map(from_item)
            .transpose()
    }
}

/// Records of one kind that a tenant keeps in one partition (`T#…#A#…#{kind}`), each under its
/// id as sort key: the tenant's schemes, its reward catalogue.
#[derive(Clone)]
pub struct TenantCatalogue {
    table: Table,
    kind: &'static str,
    item_type: &'static str,
}

impl TenantCatalogue {
    pub fn new(table: Table, kind: &'static str, item_type: &'static str) -> Self {
        TenantCatalogue {
            table,
            kind,
            item_type,
        }
    }

    /// Stores a record; an existing one with the same id is replaced.
    pub async fn save<T: serde::Serialize>(
        &self,
        scope: &TenantScope,
        id: &str,
        record: &T,
    ) -> Result<(), Error> {
        let item = to_item(
            record,
            &tenant_partition(scope, self.kind),
            id,
            self.item_type,
        )?;
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_failure("PutItem"))?;
        Ok(())
    }

    /// The key of the tenant's record with this id, for reading it with other items
    /// ([`Table::get_many`]).
    pub fn key(&self, scope: &TenantScope, id: &str) -> (String, String) {
        (tenant_partition(scope, self.kind), id.to_owned())
    }

    /// The tenant's record with this id, strongly consistent; `None` when it has none.
    pub async fn find<T: serde::de::DeserializeOwned>(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> Result<Option<T>, Error> {
        self.table
            .get(&tenant_partition(scope, self.kind), id)
            .await
    }
}

/// `T#{tenant}#A#{account}#{kind}#{id}`.
pub fn partition(scope: &TenantScope, kind: &str, id: &str) -> String {
    format!("T#{}#A#{}#{kind}#{id}", scope.tenant, scope.account)
}

/// `T#{tenant}#A#{account}#{kind}`: a partition of the tenant that holds every item of one
/// kind, told apart by their sort keys.
pub fn tenant_partition(scope: &TenantScope, kind: &str) -> String {
    format!("T#{}#A#{}#{kind}", scope.tenant, scope.account)
}

/// The key attributes of one item.
pub fn key(partition: &str, sort: &str) -> Item {
    HashMap::from([
        (
            PARTITION_KEY.to_owned(),
            AttributeValue::S(partition.to_owned()),
        ),
        (SORT_KEY.to_owned(), AttributeValue::S(sort.to_owned())),
    ])
}

/// Serialises a record and adds its key and item type.
pub fn to_item<T: serde::Serialize>(
    record: &T,
    partition: &str,
    sort: &str,
    item_type: &str,
) -> Result<Item, Error> {
    let mut item: Item = serde_dynamo::to_item(record)
        .map_err(|e| Error::Internal(format!("serialising {item_type}: {e}")))?;
    item.extend(key(partition, sort));
    item.insert(
        ITEM_TYPE.to_owned(),
        AttributeValue::S(item_type.to_owned()),
    );
    Ok(item)
}

pub fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(|e| Error::Internal(format!("reading item: {e}")))
}

pub fn partition_key_of(item: &Item) -> Option<&str> {
    item.get(PARTITION_KEY)
        .and_then(|value| value.as_s().ok())
        .map(String::as_str)
}

pub fn sort_key_of(item: &Item) -> Option<&str> {
    item.get(SORT_KEY)
        .and_then(|value| value.as_s().ok())
        .map(String::as_str)
}

/// Any SDK failure is internal: the caller sees a generic 500, the log sees the cause.
pub fn sdk_failure<E, R>(operation: &str) -> impl FnOnce(SdkError<E, R>) -> Error + '_
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    move |error| {
        Error::Internal(format!(
            "DynamoDB {operation}: {}",
            DisplayErrorContext(&error)
        ))
    }
}

/// A conditional UpdateItem's outcome: `refused()` when its condition failed, internal for any
/// other failure.
pub fn updated<O, R>(
    result: Result<O, SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>>,
    refused: impl FnOnce() -> Error,
) -> Result<(), Error>
where
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_condition_failure(&e) => Err(refused()),
        Err(e) => Err(sdk_failure("UpdateItem")(e)),
    }
}

/// A conditional PutItem's outcome: `false` when its condition failed, internal for any other
/// failure.
pub fn put_applied<O, R>(
    result: Result<O, SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError, R>>,
) -> Result<bool, Error>
where
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_failure("PutItem")(e)),
    }
}

/// Whether a failed write was refused by its condition rather than by the service.
pub fn is_condition_failure<R>(
    error: &SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>,
) -> bool {
    error
        .as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

/// For a cancelled transaction: which of its actions failed their condition.
pub fn cancelled_by_condition<R>(
    error: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<Vec<bool>> {
    match error.as_service_error() {
        Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|reason| reason.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}
