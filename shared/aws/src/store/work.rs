//! Pending work, findable without scanning the table: an item that needs a worker carries
//! `workKind` and `nextAttemptAt` (the keys of the sparse `WorkIndex`) and `workMessage` (the
//! exact SQS body that asks for that work). Items that need nothing lack them and are not in
//! the index. The kind is split over a few shards so no index partition grows hot.

use super::{keys, updated, Item, Store};
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::clock::Now;
use payments_domain::error::Error;
use payments_domain::sweep::{DueWork, ItemKey, WorkIndex};
use payments_domain::work::{WorkKind, WorkMessage};

pub const WORK_INDEX: &str = "WorkIndex";
pub const WORK_KIND: &str = "workKind";
pub const NEXT_ATTEMPT_AT: &str = "nextAttemptAt";
pub const WORK_MESSAGE: &str = "workMessage";
/// Index partitions per kind of work.
pub const WORK_SHARDS: u32 = 4;

fn shard_key(kind: WorkKind, shard: u32) -> String {
    format!("{}#{shard}", kind.as_str())
}

/// A stable shard for an item, from its partition key.
fn shard_of(partition: &str) -> u32 {
    partition.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % WORK_SHARDS
}

/// The attributes that put an item into the work index: its work is `message`, due from
/// `next_attempt_at` (epoch ms).
pub(crate) fn work_attributes<M: WorkMessage>(
    partition: &str,
    next_attempt_at: i64,
    message: &M,
) -> Result<Item, Error> {
    let body = serde_json::to_string(message)
        .map_err(|e| Error::internal("serialising a work message", e))?;
    Ok(Item::from([
        (
            WORK_KIND.to_owned(),
            AttributeValue::S(shard_key(M::KIND, shard_of(partition))),
        ),
        (
            NEXT_ATTEMPT_AT.to_owned(),
            AttributeValue::N(next_attempt_at.to_string()),
        ),
        (WORK_MESSAGE.to_owned(), AttributeValue::S(body)),
    ]))
}

fn due_work(item: &Item) -> Option<DueWork> {
    let text = |name| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some(DueWork {
        item: ItemKey {
            partition: keys::partition_of(item)?.to_owned(),
            sort: keys::sort_of(item)?.to_owned(),
        },
        next_attempt_at: item.get(NEXT_ATTEMPT_AT)?.as_n().ok()?.parse().ok()?,
        message: text(WORK_MESSAGE)?,
    })
}

impl WorkIndex for Store {
    async fn due(&self, kind: WorkKind, due_by: i64) -> Result<Vec<DueWork>, Error> {
        let mut due = Vec::new();
        for shard in 0..WORK_SHARDS {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(WORK_INDEX)
                .key_condition_expression("#kind = :kind AND #next <= :due")
                .expression_attribute_names("#kind", WORK_KIND)
                .expression_attribute_names("#next", NEXT_ATTEMPT_AT)
                .expression_attribute_values(":kind", AttributeValue::S(shard_key(kind, shard)))
                .expression_attribute_values(":due", AttributeValue::N(due_by.to_string()));
            for item in self.collect(query).await? {
                match due_work(&item) {
                    Some(work) => due.push(work),
                    None => tracing::error!("work index entry without its key, time or message"),
                }
            }
        }
        Ok(due)
    }

    async fn postpone(&self, work: &DueWork, now: Now) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(&work.item.partition, &work.item.sort)))
            .update_expression("SET #next = :now")
            .condition_expression("#next = :seen")
            .expression_attribute_names("#next", NEXT_ATTEMPT_AT)
            .expression_attribute_values(":now", AttributeValue::N(now.epoch_ms().to_string()))
            .expression_attribute_values(
                ":seen",
                AttributeValue::N(work.next_attempt_at.to_string()),
            )
            .send()
            .await;
        updated(result)
    }
}
