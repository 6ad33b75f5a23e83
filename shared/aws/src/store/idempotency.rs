//! Idempotency keys (docs/api.md §10): one item per key of a tenant
//! (`T#…#A#…#IDEMPOTENCY#{sha256 of the key}`, `KEY`), holding the request's fingerprint, the
//! lock of the request processing it (`lockToken`, `lockedUntil`) or the answer it gave
//! (`answer`, sealed under the key of the customer, order or mandate the request is about, and
//! `answered`), and a TTL (`expiresAt`) 24 hours after the claim. An expired item DynamoDB has
//! not yet deleted counts as absent.

use super::keys::{self, EXPIRES_AT};
use super::{failed, sealing, Item, Store};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::error::Error;
use payments_domain::idempotency::{
    HeldKey, IdempotencyKey, IdempotencyRecords, KeptAnswer, KeyRecord, StoredAnswer, KEPT_MS,
    LOCK_MS,
};
use payments_domain::ids::TenantScope;
use payments_domain::secret::Secret;
use payments_domain::shredding::Subject;

const SORT: &str = "KEY";
const ITEM_TYPE: &str = "IdempotencyKey";
const FINGERPRINT: &str = "fingerprint";
const LOCK_TOKEN: &str = "lockToken";
const LOCKED_UNTIL: &str = "lockedUntil";
const ANSWER: &str = "answer";
/// Set beside the answer, outside its seal: an answer read as erased was kept all the same.
const ANSWERED: &str = "answered";

fn partition(scope: &TenantScope, key: &IdempotencyKey) -> String {
    keys::partition(scope, "IDEMPOTENCY", key.hashed())
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn record_item(scope: &TenantScope, key: &IdempotencyKey, fingerprint: &str, now_ms: i64) -> Item {
    let mut item = keys::key(&partition(scope, key), SORT);
    item.insert("itemType".to_owned(), s(ITEM_TYPE));
    item.insert(FINGERPRINT.to_owned(), s(fingerprint));
    item.insert(EXPIRES_AT.to_owned(), n((now_ms + KEPT_MS) / 1000));
    item
}

/// Whether a write was refused by its condition rather than failed.
fn refused<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    error.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

impl IdempotencyRecords for Store {
    async fn claim_key(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: &str,
        lock: &str,
        now_ms: i64,
    ) -> Result<bool, Error> {
        let mut item = record_item(scope, key, fingerprint, now_ms);
        item.insert(LOCK_TOKEN.to_owned(), s(lock));
        item.insert(LOCKED_UNTIL.to_owned(), n(now_ms + LOCK_MS));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(PK) OR #expires < :now_s \
                 OR (#locked < :now_ms AND #fingerprint = :fingerprint)",
            )
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_names("#locked", LOCKED_UNTIL)
            .expression_attribute_names("#fingerprint", FINGERPRINT)
            .expression_attribute_values(":now_s", n(now_ms / 1000))
            .expression_attribute_values(":now_ms", n(now_ms))
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if refused(&e) => Ok(false),
            Err(e) => Err(failed("PutItem")(e)),
        }
    }

    async fn key_record(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        now_ms: i64,
    ) -> Result<Option<KeyRecord>, Error> {
        let Some(item) = self.get_item(&partition(scope, key), SORT).await? else {
            return Ok(None);
        };
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
        };
        if number(EXPIRES_AT).is_some_and(|at| at < now_ms / 1000) {
            return Ok(None);
        }
        let fingerprint = item
            .get(FINGERPRINT)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| Error::bug("an idempotency key without its fingerprint"))?;
        let answer = match item.get(ANSWER).and_then(|v| v.as_s().ok()) {
            Some(text) => KeptAnswer::Kept(
                serde_json::from_str::<StoredAnswer>(text)
                    .map_err(|e| Error::internal("reading a kept answer", e))?,
            ),
            // Kept, and read as erased: sealed under a key forget destroyed.
            None if item.contains_key(ANSWERED) => KeptAnswer::Erased,
            None => KeptAnswer::Pending,
        };
        Ok(Some(KeyRecord {
            fingerprint,
            answer,
        }))
    }

    async fn keep_answer(
        &self,
        scope: &TenantScope,
        held: &HeldKey,
        answer: &StoredAnswer,
        about: Option<Subject<'_>>,
        now_ms: i64,
    ) -> Result<(), Error> {
        let mut item = record_item(scope, &held.key, &held.fingerprint, now_ms);
        let answer = serde_json::to_string(answer)
            .map_err(|e| Error::internal("writing a kept answer", e))?;
        item.insert(ANSWERED.to_owned(), AttributeValue::Bool(true));
        let item = match about {
            // The whole answer is one personal value of the subject it is about.
            Some(subject) => {
                item.extend(sealing::marked_attribute(ANSWER, &Secret::new(answer))?);
                self.sealed(scope, subject, item).await?
            }
            None => {
                item.insert(ANSWER.to_owned(), s(&answer));
                item
            }
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#lock = :lock")
            .expression_attribute_names("#lock", LOCK_TOKEN)
            .expression_attribute_values(":lock", s(&held.lock))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Another request took the key over after this one's lock ran out; its answer
            // is the one kept.
            Err(e) if refused(&e) => Ok(()),
            Err(e) => Err(failed("PutItem")(e)),
        }
    }

    async fn release_key(&self, scope: &TenantScope, held: &HeldKey) -> Result<(), Error> {
        // The lock is ended rather than the item deleted: the next request with the same key
        // and body takes the key over at once (an UpdateItem every function may make).
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(&partition(scope, &held.key), SORT)))
            .update_expression("SET #locked = :ended")
            .condition_expression("#lock = :lock")
            .expression_attribute_names("#lock", LOCK_TOKEN)
            .expression_attribute_names("#locked", LOCKED_UNTIL)
            .expression_attribute_values(":lock", s(&held.lock))
            .expression_attribute_values(":ended", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if refused(&e) => Ok(()),
            Err(e) => Err(failed("UpdateItem")(e)),
        }
    }
}
