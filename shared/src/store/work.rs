//! Pending work, findable without scanning the table: an item that needs a worker carries
//! `workKind` and `nextAttemptAt` (the keys of the sparse `WorkIndex`) and `workMessage` (the
//! exact SQS body that asks for that work). Items that need nothing lack them and are not in the
//! index. The kind is split over a few shards so no index partition grows hot.

use super::{sdk_failure, Item, Table};
use crate::error::Error;
use aws_sdk_dynamodb::types::AttributeValue;

pub const WORK_INDEX: &str = "WorkIndex";
pub const WORK_KIND: &str = "workKind";
pub const NEXT_ATTEMPT_AT: &str = "nextAttemptAt";
pub const WORK_MESSAGE: &str = "workMessage";
/// Index partitions per kind of work.
pub const WORK_SHARDS: u32 = 4;

/// A kind of queued work; each has its own queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkKind {
    Instruction,
    Refund,
    Mandate,
    Reward,
}

impl WorkKind {
    pub const ALL: [WorkKind; 4] = [
        WorkKind::Instruction,
        WorkKind::Refund,
        WorkKind::Mandate,
        WorkKind::Reward,
    ];

    fn as_str(self) -> &'static str {
        match self {
            WorkKind::Instruction => "INSTRUCTION",
            WorkKind::Refund => "REFUND",
            WorkKind::Mandate => "MANDATE",
            WorkKind::Reward => "REWARD",
        }
    }

    fn shard_key(self, shard: u32) -> String {
        format!("{}#{shard}", self.as_str())
    }
}

/// A stable shard for an item, from its partition key.
fn shard_of(partition: &str) -> u32 {
    partition.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % WORK_SHARDS
}

/// The attributes that put an item into the work index.
pub fn work_attributes(
    kind: WorkKind,
    partition: &str,
    next_attempt_at: i64,
    message: String,
) -> Item {
    Item::from([
        (
            WORK_KIND.to_owned(),
            AttributeValue::S(kind.shard_key(shard_of(partition))),
        ),
        (
            NEXT_ATTEMPT_AT.to_owned(),
            AttributeValue::N(next_attempt_at.to_string()),
        ),
        (WORK_MESSAGE.to_owned(), AttributeValue::S(message)),
    ])
}

/// An item whose work is overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueWork {
    pub partition: String,
    pub sort: String,
    pub next_attempt_at: i64,
    pub message: String,
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

impl Table {
    /// Every item of `kind` whose work was due at or before `due_by` (epoch ms).
    pub async fn due_work(&self, kind: WorkKind, due_by: i64) -> Result<Vec<DueWork>, Error> {
        let mut due = Vec::new();
        for shard in 0..WORK_SHARDS {
            let pages: Vec<Result<Item, _>> = self
                .client
                .query()
                .table_name(&self.name)
                .index_name(WORK_INDEX)
                .key_condition_expression("#kind = :kind AND #next <= :due")
                .expression_attribute_names("#kind", WORK_KIND)
                .expression_attribute_names("#next", NEXT_ATTEMPT_AT)
                .expression_attribute_values(":kind", AttributeValue::S(kind.shard_key(shard)))
                .expression_attribute_values(":due", AttributeValue::N(due_by.to_string()))
                .into_paginator()
                .items()
                .send()
                .collect()
                .await;
            for item in pages {
                let item = item.map_err(sdk_failure("Query"))?;
                let found = (|| {
                    Some(DueWork {
                        partition: text(&item, super::PARTITION_KEY)?.to_owned(),
                        sort: text(&item, super::SORT_KEY)?.to_owned(),
                        next_attempt_at: item.get(NEXT_ATTEMPT_AT)?.as_n().ok()?.parse().ok()?,
                        message: text(&item, WORK_MESSAGE)?.to_owned(),
                    })
                })();
                match found {
                    Some(work) => due.push(work),
                    None => tracing::error!("work index entry without its key, time or message"),
                }
            }
        }
        Ok(due)
    }

    /// Moves re-queued work's next attempt to `now`, unless something else changed it since it
    /// was seen (a worker finished it, or another sweep re-queued it). `false` then.
    pub async fn postpone_work(&self, work: &DueWork, now: i64) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(super::key(&work.partition, &work.sort)))
            .update_expression("SET #next = :now")
            .condition_expression("#next = :seen")
            .expression_attribute_names("#next", NEXT_ATTEMPT_AT)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(
                ":seen",
                AttributeValue::N(work.next_attempt_at.to_string()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if super::is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_failure("UpdateItem")(e)),
        }
    }
}
