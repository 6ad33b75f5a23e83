//! Idempotency keys (docs/api.md §10): a POST with an `Idempotency-Key` is done once. The first
//! request claims the key (a record in progress, locked for [`LOCK_MS`]); its answer, unless a
//! 5xx, is kept with the key for [`KEPT_MS`] and given again to every repeat of the same
//! request. The same key on another request is refused; so is a repeat while the first is
//! still being processed. A claim whose holder died (its lock ran out) can be taken over.

use crate::error::{Error, ErrorCode, Violation};
use crate::ids::TenantScope;
use crate::shredding::Subject;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;

pub const HEADER: &str = "idempotency-key";
/// Set on an answer given again.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key and its answer are kept: 24 hours.
pub const KEPT_MS: i64 = 24 * 3_600_000;
/// How long a claim holds the key before another request may take it over: past the longest
/// a route may run.
pub const LOCK_MS: i64 = 60_000;
const MAX_KEY_LENGTH: usize = 255;

/// A valid key, kept as the SHA-256 of its text (a fixed-size, opaque partition key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 1–255 printable ASCII characters.
    pub fn parse(text: &str) -> Result<IdempotencyKey, Error> {
        let valid = (1..=MAX_KEY_LENGTH).contains(&text.len())
            && text.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if !valid {
            return Err(Error::invalid(
                Violation::new(ErrorCode::IDEMPOTENCY_KEY_IS_INVALID)
                    .on_property("Idempotency-Key", None),
            ));
        }
        Ok(IdempotencyKey(sha256_hex(text.as_bytes())))
    }

    pub fn hashed(&self) -> &str {
        &self.0
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Objects with their keys sorted, so two bodies of the same JSON value read the same.
fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// What makes two requests the same: method, path and body (as a JSON value when it is one).
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(value) => canonical(value).to_string().into_bytes(),
        Err(_) => body.to_vec(),
    };
    let mut text = format!("{method} {path}\n").into_bytes();
    text.extend(body);
    sha256_hex(&text)
}

/// An answer as given the first time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    /// The body, base64.
    pub body: String,
}

/// A key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub fingerprint: String,
    pub answer: KeptAnswer,
}

/// What became of the first request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptAnswer {
    /// The first request is still being processed (or was released a moment ago).
    Pending,
    Kept(StoredAnswer),
    /// It was kept sealed under the key of the customer, order or mandate it was about, and
    /// forget has destroyed that key (docs/decisions/0019): the request was done, its answer
    /// cannot be given again.
    Erased,
}

/// A key held for the request processing it, until its answer is kept or the key released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldKey {
    pub key: IdempotencyKey,
    pub fingerprint: String,
    /// Proves the hold: a request whose lock ran out and was taken over keeps nothing.
    pub lock: String,
}

/// What a request with a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Go ahead.
    Granted(HeldKey),
    /// Give this answer again; do nothing.
    Replay(StoredAnswer),
}

/// Where keys are kept.
pub trait IdempotencyRecords: Sync {
    /// Claims the key for `fingerprint` with `lock`, if it is free: never used, expired, or
    /// held for the same request by a lock that ran out. `false` when it is not free.
    fn claim_key(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: &str,
        lock: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    fn key_record(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<KeyRecord>, Error>> + Send;

    /// Keeps the answer with the key, if its lock still holds it; sealed under `about`'s key
    /// when it is about a customer, an order or a mandate, since it may quote their data.
    fn keep_answer(
        &self,
        scope: &TenantScope,
        held: &HeldKey,
        answer: &StoredAnswer,
        about: Option<Subject<'_>>,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Ends the claim, if its lock still holds it (after a 5xx), so a retry of the same request
    /// runs again at once.
    fn release_key(
        &self,
        scope: &TenantScope,
        held: &HeldKey,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Claims `key` for the request `fingerprint` names: granted, a replay of the first answer,
/// or refused (another request with this key: 422; the first still running, or its answer
/// erased with its customer's data: 409).
pub async fn claim(
    store: &impl IdempotencyRecords,
    scope: &TenantScope,
    key: &IdempotencyKey,
    fingerprint: &str,
    now_ms: i64,
) -> Result<Claim, Error> {
    let lock = uuid::Uuid::new_v4().simple().to_string();
    if store
        .claim_key(scope, key, fingerprint, &lock, now_ms)
        .await?
    {
        return Ok(Claim::Granted(HeldKey {
            key: key.clone(),
            fingerprint: fingerprint.to_owned(),
            lock,
        }));
    }
    match store.key_record(scope, key, now_ms).await? {
        Some(record) if record.fingerprint != fingerprint => Err(Error::Unprocessable(Box::new(
            Violation::new(ErrorCode::IDEMPOTENCY_KEY_REUSED).on_property("Idempotency-Key", None),
        ))),
        Some(KeyRecord {
            answer: KeptAnswer::Kept(answer),
            ..
        }) => Ok(Claim::Replay(answer)),
        Some(KeyRecord {
            answer: KeptAnswer::Erased,
            ..
        }) => Err(Error::Conflict(Box::new(
            Violation::new(ErrorCode::IDEMPOTENCY_KEY_ANSWER_ERASED)
                .on_property("Idempotency-Key", None),
        ))),
        // Still being processed, or released a moment ago: the client tries again.
        _ => Err(Error::Conflict(Box::new(
            Violation::new(ErrorCode::IDEMPOTENCY_KEY_IN_USE).on_property("Idempotency-Key", None),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_1_to_255_printable_ascii_characters() {
        for good in ["a", "order-1 retry #2", &"k".repeat(255)] {
            assert!(IdempotencyKey::parse(good).is_ok(), "{good}");
        }
        for bad in ["", &"k".repeat(256), "tab\there", "é", "new\nline"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            IdempotencyKey::parse("a").map(|k| k.hashed().len()).ok(),
            Some(64)
        );
    }

    #[test]
    fn the_same_json_value_is_the_same_request() {
        let one = fingerprint("POST", "/p", br#"{"a": 1, "b": {"c": [1, 2], "d": null}}"#);
        let same = fingerprint("POST", "/p", br#"{"b":{"d":null,"c":[1,2]},"a":1}"#);
        assert_eq!(one, same);
        assert_ne!(
            one,
            fingerprint("POST", "/q", br#"{"a":1,"b":{"c":[1,2],"d":null}}"#)
        );
        assert_ne!(
            one,
            fingerprint("POST", "/p", br#"{"a":2,"b":{"c":[1,2],"d":null}}"#)
        );
        assert_ne!(
            one,
            fingerprint("POST", "/p", br#"{"a":1,"b":{"c":[2,1],"d":null}}"#)
        );
        assert_eq!(
            fingerprint("POST", "/p", b""),
            fingerprint("POST", "/p", b"")
        );
        assert_ne!(
            fingerprint("POST", "/p", b"not json"),
            fingerprint("POST", "/p", b"")
        );
    }
}
