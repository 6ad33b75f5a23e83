//! The DynamoDB table every function shares, as the adapter of the domain's store ports. Items
//! carry `PK`/`SK`; every `PK` but an API key's starts with the tenant and account
//! (`T#{tenant}#A#{account}#…`), so no key built here can reach another tenant's data
//! (docs/data-model.md). One [`Store`] implements every port; each area's module implements its
//! own ports and none imports another's: what several share (keys, item shapes) is in `keys`
//! and `items`.

mod api_keys;
mod catalogues;
mod deliveries;
mod idempotency;
mod items;
mod keys;
mod mandates;
pub mod migration;
mod notifications;
mod orders;
mod outbox;
mod providers;
mod rewards;
pub mod sealing;
mod vault;
mod work;

pub use keys::{ITEM_TYPE, PARTITION_KEY, SORT_KEY};
pub use work::{NEXT_ATTEMPT_AT, WORK_INDEX, WORK_KIND, WORK_MESSAGE, WORK_SHARDS};

use crate::config::{Clients, Settings, TABLE_NAME};
use crate::data_keys::DataKeysTable;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, PutRequest, TransactWriteItem, WriteRequest,
};
use payments_domain::error::Error;
use payments_domain::ids::TenantScope;
use payments_domain::shredding::{DataKey, Keyring, Subject};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The most keys one BatchGetItem may ask for.
const BATCH_GET_LIMIT: usize = 100;
/// The most items one BatchWriteItem may write.
const BATCH_WRITE_LIMIT: usize = 25;
/// Calls of a batch operation per chunk before what it keeps leaving unprocessed (as under
/// throttling) is an error.
const BATCH_ROUNDS: u32 = 6;

/// Before each batch call but the first: a short backoff, doubling.
async fn batch_backoff(round: u32) {
    if round > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(25 << round)).await;
    }
}

fn still_unprocessed(operation: &str, left: usize) -> Error {
    Error::bug(format!(
        "DynamoDB {operation}: {left} still unprocessed after {BATCH_ROUNDS} rounds"
    ))
}

/// The data keys personal data is sealed with (docs/decisions/0019).
pub type PersonalDataKeys = Keyring<DataKeysTable>;

#[derive(Clone)]
pub struct Store {
    client: aws_sdk_dynamodb::Client,
    table: String,
    /// Where the events a write records are handed on once it commits (the webhook
    /// dispatcher's queue), where the function has it; else the sweep hands them on.
    events: Option<crate::SqsQueue<payments_domain::dispatch::WebhookWork>>,
    /// The keys that seal and open personal data; a store without them can neither write nor
    /// read a sealed item.
    keyring: Option<Arc<PersonalDataKeys>>,
}

/// The attribute naming the subject whose key sealed an item's personal data, and which key.
pub(crate) const SEALED_FOR: &str = "sealedFor";

/// Opens, as every store read does, the sealed personal data of a raw `item` (a backup's, a
/// scan's) with the keys `keys` holds now; answers how many values read as erased.
pub async fn open_sealed(keys: &PersonalDataKeys, item: &mut Item) -> Result<usize, Error> {
    let Some(AttributeValue::S(sealed_for)) = item.remove(SEALED_FOR) else {
        return Ok(0);
    };
    let (subject, _) = sealing::sealed_by(&sealed_for);
    let key = keys.opening_key(subject).await?;
    open_item(item, &sealed_for, key.as_ref())
}

/// Opens `item`, sealed as `sealed_for` says, given its subject's key now (if any): what
/// another key sealed, one since destroyed, reads as erased.
fn open_item(item: &mut Item, sealed_for: &str, key: Option<&DataKey>) -> Result<usize, Error> {
    let (subject, key_id) = sealing::sealed_by(sealed_for);
    let erased = sealing::open(item, sealing::sealing_key(key, key_id), subject)?;
    if erased > 0 {
        tracing::info!(
            subject,
            erased,
            "personal data of a forgotten subject read as erased"
        );
    }
    Ok(erased)
}

/// What a DynamoDB failure was doing, with the SDK's error as its cause.
pub(crate) fn failed<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> Error
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |error| Error::internal(format!("DynamoDB {operation}"), error)
}

/// The condition a put is written under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    /// Whatever is there is replaced.
    Always,
    /// Only if no item has the key.
    New,
    /// Only if the item still has the version it was read at.
    Version(u64),
}

/// What a DynamoDB transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transacted {
    Committed,
    /// Cancelled: for each action, whether its condition failed.
    Refused(Vec<bool>),
}

impl Transacted {
    /// The first action whose condition failed, if any did.
    pub(crate) fn first_refused(&self) -> Option<usize> {
        match self {
            Transacted::Committed => None,
            Transacted::Refused(failed) => failed.iter().position(|refused| *refused),
        }
    }
}

impl Store {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Store {
            client,
            table: table.into(),
            events: None,
            keyring: None,
        }
    }

    /// The store, sealing and opening personal data with `keyring`.
    pub fn with_keyring(mut self, keyring: Arc<PersonalDataKeys>) -> Self {
        self.keyring = Some(keyring);
        self
    }

    pub(crate) fn keyring(&self) -> Result<&PersonalDataKeys, Error> {
        self.keyring
            .as_deref()
            .ok_or_else(|| Error::bug("personal data met by a store without data keys"))
    }

    /// `item` (serialised with its personal data marked) with that data sealed under
    /// `subject`'s key, made now if the subject has none.
    pub(crate) async fn sealed(
        &self,
        scope: &TenantScope,
        subject: Subject<'_>,
        mut item: Item,
    ) -> Result<Item, Error> {
        if !sealing::is_marked(&item) {
            return Ok(item);
        }
        let key = self.keyring()?.writing_key(scope, subject).await?;
        let id = subject.id(scope);
        sealing::seal(&mut item, &key, &id)?;
        item.insert(
            SEALED_FOR.to_owned(),
            AttributeValue::S(sealing::sealed_for(&id, &key)),
        );
        Ok(item)
    }

    /// `value` as the attribute `name` of one of `subject`'s items, its personal data sealed,
    /// with what `SEALED_FOR` must then say (`None`: nothing personal in it).
    pub(crate) async fn sealed_attribute<T: serde::Serialize>(
        &self,
        scope: &TenantScope,
        subject: Subject<'_>,
        name: &str,
        value: &T,
    ) -> Result<(AttributeValue, Option<AttributeValue>), Error> {
        let mut item = self
            .sealed(scope, subject, sealing::marked_attribute(name, value)?)
            .await?;
        let sealed_for = item.remove(SEALED_FOR);
        let value = item
            .remove(name)
            .ok_or_else(|| Error::bug("a sealed attribute went missing"))?;
        Ok((value, sealed_for))
    }

    /// Opens the sealed personal data of `items`, reading each subject's key once; what a
    /// destroyed key sealed reads as erased.
    async fn open_all(&self, items: &mut [Item]) -> Result<(), Error> {
        let mut keys: HashMap<String, Option<DataKey>> = HashMap::new();
        for item in items.iter_mut() {
            let Some(AttributeValue::S(sealed_for)) = item.remove(SEALED_FOR) else {
                continue;
            };
            let (subject, _) = sealing::sealed_by(&sealed_for);
            if !keys.contains_key(subject) {
                let key = self.keyring()?.opening_key(subject).await?;
                keys.insert(subject.to_owned(), key);
            }
            open_item(
                item,
                &sealed_for,
                keys.get(subject).and_then(Option::as_ref),
            )?;
        }
        Ok(())
    }

    /// The table the settings name (`TABLE_NAME`), and the webhook queue when they name one.
    pub fn from_settings(aws: &Clients, settings: &Settings) -> Result<Self, Error> {
        let keyring = Keyring::new(
            DataKeysTable::from_settings(aws, settings)?,
            crate::kms::key_wrapper(aws, settings)?,
        );
        let mut store = Store::new(aws.dynamodb.clone(), settings.required(TABLE_NAME)?)
            .with_keyring(Arc::new(keyring));
        let webhooks = crate::config::queue_variable(payments_domain::work::WorkKind::Webhook);
        store.events = settings
            .optional(webhooks)
            .map(|url| crate::SqsQueue::new(aws.sqs.clone(), url));
        Ok(store)
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// One item, read strongly consistent: the one round trip of every GET by key.
    pub(crate) async fn get_item(
        &self,
        partition: &str,
        sort: &str,
    ) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(partition, sort)))
            .consistent_read(true)
            .send()
            .await
            .map_err(failed("GetItem"))?;
        let mut item = output.item;
        if let Some(item) = item.as_mut() {
            self.open_all(std::slice::from_mut(item)).await?;
        }
        Ok(item)
    }

    /// One item as a record.
    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        partition: &str,
        sort: &str,
    ) -> Result<Option<T>, Error> {
        self.get_item(partition, sort)
            .await?
            .map(from_item)
            .transpose()
    }

    /// Items by key, strongly consistent, in one round trip for up to 100 distinct keys: a
    /// GetItem for one key, a BatchGetItem for more (keys left unprocessed, as under
    /// throttling, are asked again). Answers in the order of `keys`, `None` where no item is;
    /// a key named twice is read once.
    pub(crate) async fn get_many(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<Item>>, Error> {
        let mut distinct: Vec<&(String, String)> = Vec::new();
        for key in keys {
            if !distinct.contains(&key) {
                distinct.push(key);
            }
        }
        let mut found: HashMap<(String, String), Item> = HashMap::new();
        if let [(partition, sort)] = distinct.as_slice() {
            if let Some(item) = self.get_item(partition, sort).await? {
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
        wanted: &[&(String, String)],
        found: &mut HashMap<(String, String), Item>,
    ) -> Result<(), Error> {
        let mut pending: Vec<Item> = wanted
            .iter()
            .map(|(partition, sort)| keys::key(partition, sort))
            .collect();
        for round in 0..BATCH_ROUNDS {
            batch_backoff(round).await;
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(|e| Error::internal("building BatchGetItem keys", e))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(failed("BatchGetItem"))?;
            let mut items = output
                .responses
                .and_then(|mut responses| responses.remove(&self.table))
                .unwrap_or_default();
            self.open_all(&mut items).await?;
            for item in items {
                let item_key = keys::partition_of(&item).zip(keys::sort_of(&item));
                if let Some((partition, sort)) = item_key {
                    found.insert((partition.to_owned(), sort.to_owned()), item);
                }
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .map(|left| left.keys)
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
        }
        Err(still_unprocessed("BatchGetItem", pending.len()))
    }

    /// Writes `items` whatever is there, in one round trip for up to 25 distinct keys: a
    /// PutItem for one item, a BatchWriteItem for more (items left unprocessed, as under
    /// throttling, are written again). Of two items with one key, the later is written.
    pub(crate) async fn put_many(&self, items: Vec<Item>) -> Result<(), Error> {
        let mut distinct: Vec<Item> = Vec::with_capacity(items.len());
        for item in items {
            let key = keys::partition_of(&item).zip(keys::sort_of(&item));
            let same_key = distinct
                .iter()
                .position(|kept| keys::partition_of(kept).zip(keys::sort_of(kept)) == key);
            match same_key {
                Some(index) => distinct[index] = item,
                None => distinct.push(item),
            }
        }
        if distinct.len() == 1 {
            if let Some(item) = distinct.pop() {
                self.put(item, Condition::Always).await?;
            }
            return Ok(());
        }
        while !distinct.is_empty() {
            let rest = distinct.split_off(distinct.len().min(BATCH_WRITE_LIMIT));
            self.batch_write(std::mem::replace(&mut distinct, rest))
                .await?;
        }
        Ok(())
    }

    /// One BatchWriteItem of at most `BATCH_WRITE_LIMIT` puts, writing again what it left
    /// unprocessed, with a short backoff.
    async fn batch_write(&self, items: Vec<Item>) -> Result<(), Error> {
        let mut pending = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::internal("building BatchWriteItem puts", e))?;
        for round in 0..BATCH_ROUNDS {
            batch_backoff(round).await;
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(failed("BatchWriteItem"))?;
            pending = output
                .unprocessed_items
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
        }
        Err(still_unprocessed("BatchWriteItem", pending.len()))
    }

    /// Every item of a partition whose sort key starts with `prefix` (all of them for ""),
    /// strongly consistent: one Query (one page per MB of items).
    pub(crate) async fn query_prefix(
        &self,
        partition: &str,
        prefix: &str,
    ) -> Result<Vec<Item>, Error> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .consistent_read(true);
        let query = if prefix.is_empty() {
            query.key_condition_expression("PK = :pk")
        } else {
            query
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
        };
        self.collect(query).await
    }

    /// Every item a Query finds, over all its pages.
    pub(crate) async fn collect(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, Error> {
        let items: Vec<Result<Item, _>> = query.into_paginator().items().send().collect().await;
        let mut items = items
            .into_iter()
            .map(|item| item.map_err(failed("Query")))
            .collect::<Result<Vec<Item>, Error>>()?;
        self.open_all(&mut items).await?;
        Ok(items)
    }

    /// A put of `item` under `condition`, as one action of a transaction.
    pub(crate) fn put_action(
        &self,
        item: Item,
        condition: Condition,
    ) -> Result<TransactWriteItem, Error> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match condition {
            Condition::Always => put,
            Condition::New => put.condition_expression("attribute_not_exists(PK)"),
            Condition::Version(read) => put
                .condition_expression("version = :read")
                .expression_attribute_values(":read", AttributeValue::N(read.to_string())),
        };
        let put = put
            .build()
            .map_err(|e| Error::internal("building a put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Puts one item under `condition`; `false` when the condition failed.
    pub(crate) async fn put(&self, item: Item, condition: Condition) -> Result<bool, Error> {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let request = match condition {
            Condition::Always => request,
            Condition::New => request.condition_expression("attribute_not_exists(PK)"),
            Condition::Version(read) => request
                .condition_expression("version = :read")
                .expression_attribute_values(":read", AttributeValue::N(read.to_string())),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(failed("PutItem")(e)),
        }
    }

    /// Deletes one item if it exists; `false` when there was none.
    pub(crate) async fn delete(&self, partition: &str, sort: &str) -> Result<bool, Error> {
        let request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(partition, sort)))
            .condition_expression("attribute_exists(PK)");
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(failed("DeleteItem")(e)),
        }
    }

    /// Runs one DynamoDB transaction.
    pub(crate) async fn transact(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> Result<Transacted, Error> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Transacted::Committed),
            Err(e) => match refused_actions(&e) {
                Some(failed) if failed.iter().any(|f| *f) => Ok(Transacted::Refused(failed)),
                _ => Err(failed("TransactWriteItems")(e)),
            },
        }
    }
}

/// For a cancelled transaction: which of its actions failed their condition.
fn refused_actions<R>(error: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<bool>> {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|reason| reason.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}

/// Whether an UpdateItem was refused by its condition rather than failed.
pub(crate) fn updated<O, R>(
    result: Result<O, SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>>,
) -> Result<bool, Error>
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(failed("UpdateItem")(e)),
    }
}

/// Serialises a record and adds its key and item type.
pub(crate) fn to_item<T: serde::Serialize>(
    record: &T,
    partition: &str,
    sort: &str,
    item_type: &'static str,
) -> Result<Item, Error> {
    let item: Item = serde_dynamo::to_item(record)
        .map_err(|e| Error::internal(format!("serialising a {item_type}"), e))?;
    Ok(keyed(item, partition, sort, item_type))
}

/// [`to_item`] with the record's personal data marked, for [`Store::sealed`] to seal.
pub(crate) fn to_marked_item<T: serde::Serialize>(
    record: &T,
    partition: &str,
    sort: &str,
    item_type: &'static str,
) -> Result<Item, Error> {
    Ok(keyed(
        sealing::marked_item(record)?,
        partition,
        sort,
        item_type,
    ))
}

fn keyed(mut item: Item, partition: &str, sort: &str, item_type: &'static str) -> Item {
    item.extend(keys::key(partition, sort));
    item.insert(
        ITEM_TYPE.to_owned(),
        AttributeValue::S(item_type.to_owned()),
    );
    item
}

/// A stored item as its record; one that does not read (or no longer passes its rules) is an
/// internal error naming the item, not its content.
pub(crate) fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, Error> {
    let item_type = keys::item_type_of(&item).unwrap_or("item").to_owned();
    serde_dynamo::from_item(item)
        .map_err(|e| Error::internal(format!("reading a stored {item_type}"), e))
}
