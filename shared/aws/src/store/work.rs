//! Pending work, findable without scanning the table: an item that needs a worker carries
//! `workKind` and `nextAttemptAt` (the keys of the sparse `WorkIndex`) and `workMessage` (the
//! exact SQS body that asks for that work), and, while the work waits on a provider,
//! `waitingSince`. Items that need nothing lack them and are not in the index. The kind is split over a few shards so no index partition grows hot.

use super::{failed, keys, updated, Item, Store};
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::clock::Now;
use payments_domain::error::Error;
use payments_domain::sweep::{DuePage, DueWork, ItemKey, WorkIndex};
use payments_domain::work::{WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};

pub const WORK_INDEX: &str = "WorkIndex";
pub const WORK_KIND: &str = "workKind";
pub const NEXT_ATTEMPT_AT: &str = "nextAttemptAt";
pub const WORK_MESSAGE: &str = "workMessage";
pub const WAITING_SINCE: &str = "waitingSince";
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

/// The attribute that says since when (epoch ms) an item's work has waited on a provider, if
/// it does; projected into the index, so the sweep sees it.
pub(crate) fn waiting_attribute(since: Option<i64>) -> Option<(String, AttributeValue)> {
    since.map(|since| {
        (
            WAITING_SINCE.to_owned(),
            AttributeValue::N(since.to_string()),
        )
    })
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
        waiting_since: item
            .get(WAITING_SINCE)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()),
    })
}

/// Index items read per Query: a sweep holds one page (a few hundred KB) at a time.
const PAGE_SIZE: i32 = 250;

/// Where the next page of due work starts: a shard, and the last item read in it.
#[derive(Serialize, Deserialize)]
struct Cursor {
    shard: u32,
    after: Option<(String, String, i64)>,
}

impl Cursor {
    fn read(text: &str) -> Result<Cursor, Error> {
        serde_json::from_str(text).map_err(|e| Error::internal("reading a work index cursor", e))
    }

    fn write(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|e| Error::internal("writing a work index cursor", e))
    }

    /// The cursor after `last`, the key of the last item a Query read in `shard`.
    fn after(shard: u32, last: &Item) -> Option<Cursor> {
        let text = |name: &str| last.get(name).and_then(|v| v.as_s().ok()).cloned();
        let next = last.get(NEXT_ATTEMPT_AT)?.as_n().ok()?.parse().ok()?;
        Some(Cursor {
            shard,
            after: Some((text(keys::PARTITION_KEY)?, text(keys::SORT_KEY)?, next)),
        })
    }
}

impl WorkIndex for Store {
    async fn due_page(
        &self,
        kind: WorkKind,
        due_by: i64,
        from: Option<&str>,
    ) -> Result<DuePage, Error> {
        let cursor = from.map(Cursor::read).transpose()?;
        let (mut shard, mut after) = cursor.map_or((0, None), |c| (c.shard, c.after));
        while shard < WORK_SHARDS {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(WORK_INDEX)
                .key_condition_expression("#kind = :kind AND #next <= :due")
                .expression_attribute_names("#kind", WORK_KIND)
                .expression_attribute_names("#next", NEXT_ATTEMPT_AT)
                .expression_attribute_values(":kind", AttributeValue::S(shard_key(kind, shard)))
                .expression_attribute_values(":due", AttributeValue::N(due_by.to_string()))
                .limit(PAGE_SIZE);
            if let Some((partition, sort, next)) = after.take() {
                let mut start = keys::key(&partition, &sort);
                start.insert(
                    WORK_KIND.to_owned(),
                    AttributeValue::S(shard_key(kind, shard)),
                );
                start.insert(
                    NEXT_ATTEMPT_AT.to_owned(),
                    AttributeValue::N(next.to_string()),
                );
                query = query.set_exclusive_start_key(Some(start));
            }
            let output = query.send().await.map_err(failed("Query"))?;
            let mut due = Vec::new();
            for item in output.items() {
                match due_work(item) {
                    Some(work) => due.push(work),
                    None => tracing::error!("work index entry without its key, time or message"),
                }
            }
            let next = match output.last_evaluated_key() {
                Some(last) => Cursor::after(shard, last),
                None => (shard + 1 < WORK_SHARDS).then_some(Cursor {
                    shard: shard + 1,
                    after: None,
                }),
            };
            if !due.is_empty() || next.as_ref().is_some_and(|c| c.shard == shard) {
                let next = next.map(|c| c.write()).transpose()?;
                return Ok(DuePage { due, next });
            }
            shard += 1;
        }
        Ok(DuePage::default())
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
