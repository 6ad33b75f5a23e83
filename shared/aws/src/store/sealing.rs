//! Personal data sealed in the stored item (docs/decisions/0019). An item serialised inside
//! [`marking_personal_data`] holds each `Secret` as `{__personalData: value}`; [`seal`] replaces
//! each with `{sealed: <AES-256-GCM of the value>}` under the subject's data key, bound to the
//! subject and the attribute's path (list positions left out), and [`open`] puts the values
//! back before the item is read. Whatever type a personal field has, and wherever it sits, it is
//! sealed: the type says it is personal, not this module.

use super::Item;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::error::Error;
use payments_domain::secret::{marking_personal_data, PERSONAL_DATA_MARKER};
use payments_domain::shredding::DataKey;

/// The attribute a sealed value is kept under.
const SEALED: &str = "sealed";

/// `record` as an item whose personal fields are marked, to be [`seal`]ed before it is written.
pub fn marked_item<T: serde::Serialize>(record: &T) -> Result<Item, Error> {
    marking_personal_data(|| serde_dynamo::to_item(record))
        .map_err(|e| Error::internal("serialising an item with personal data", e))
}

/// `value` as the one attribute `name` of an item, its personal data marked.
pub fn marked_attribute<T: serde::Serialize>(name: &str, value: &T) -> Result<Item, Error> {
    let value = marking_personal_data(|| serde_dynamo::to_attribute_value(value))
        .map_err(|e| Error::internal("serialising a value with personal data", e))?;
    Ok(Item::from([(name.to_owned(), value)]))
}

/// What an item's `sealedFor` says: the subject, and which of its keys sealed the item.
pub fn sealed_for(subject: &str, key: &DataKey) -> String {
    format!("{subject}#{}", key.id())
}

/// The subject and key id a `sealedFor` names (no key id in an item sealed before keys had
/// ids: whichever key the subject has).
pub fn sealed_by(sealed_for: &str) -> (&str, Option<&str>) {
    match sealed_for.rsplit_once('#') {
        Some((subject, key_id)) => (subject, Some(key_id)),
        None => (sealed_for, None),
    }
}

/// The key to open an item with: the subject's key, if it is the one that sealed the item.
/// Another key means the one that sealed it was destroyed (and the subject given a new one):
/// what it sealed reads as erased.
pub fn sealing_key<'a>(key: Option<&'a DataKey>, key_id: Option<&str>) -> Option<&'a DataKey> {
    key.filter(|key| key_id.is_none_or(|id| id == key.id()))
}

/// What a sealed value is bound to: its subject and where in the item it is.
fn context(subject: &str, path: &str) -> String {
    format!("{subject}|{path}")
}

fn marked_value(value: &AttributeValue) -> Option<&AttributeValue> {
    match value.as_m() {
        Ok(map) if map.len() == 1 => map.get(PERSONAL_DATA_MARKER),
        _ => None,
    }
}

fn sealed_bytes(value: &AttributeValue) -> Option<&[u8]> {
    match value.as_m() {
        Ok(map) if map.len() == 1 => map.get(SEALED)?.as_b().ok().map(Blob::as_ref),
        _ => None,
    }
}

/// Replaces every marked value of `item` with its sealed form.
pub fn seal(item: &mut Item, key: &DataKey, subject: &str) -> Result<(), Error> {
    for (name, value) in item.iter_mut() {
        seal_value(value, key, subject, name)?;
    }
    Ok(())
}

fn seal_value(
    value: &mut AttributeValue,
    key: &DataKey,
    subject: &str,
    path: &str,
) -> Result<(), Error> {
    if let Some(marked) = marked_value(value) {
        let json: serde_json::Value = serde_dynamo::from_attribute_value(marked.clone())
            .map_err(|e| Error::internal("reading a personal value to seal", e))?;
        let plaintext = serde_json::to_vec(&json)
            .map_err(|e| Error::internal("writing a personal value to seal", e))?;
        let sealed = key.seal(&context(subject, path), &plaintext)?;
        *value =
            AttributeValue::M([(SEALED.to_owned(), AttributeValue::B(Blob::new(sealed)))].into());
        return Ok(());
    }
    match value {
        AttributeValue::M(map) => {
            for (name, inner) in map.iter_mut() {
                seal_value(inner, key, subject, &format!("{path}.{name}"))?;
            }
        }
        AttributeValue::L(list) => {
            for inner in list.iter_mut() {
                seal_value(inner, key, subject, path)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether a value of `item`, at any depth, is one `wanted` picks.
fn any_value(item: &Item, wanted: fn(&AttributeValue) -> bool) -> bool {
    fn any(value: &AttributeValue, wanted: fn(&AttributeValue) -> bool) -> bool {
        wanted(value)
            || match value {
                AttributeValue::M(map) => map.values().any(|inner| any(inner, wanted)),
                AttributeValue::L(list) => list.iter().any(|inner| any(inner, wanted)),
                _ => false,
            }
    }
    item.values().any(|value| any(value, wanted))
}

/// Whether `item` holds marked personal data (writing it needs its subject's key).
pub fn is_marked(item: &Item) -> bool {
    any_value(item, |value| marked_value(value).is_some())
}

/// Puts back every sealed value of `item`, opened with its subject's key. A value whose key is
/// gone (forget destroyed it) reads as erased: it is removed, so the optional field or the map
/// entry that held it is absent, as forget's scrub would leave it. A value that does not open
/// with the key it names is an error, never a guess. Answers how many values read as erased.
pub fn open(item: &mut Item, key: Option<&DataKey>, subject: &str) -> Result<usize, Error> {
    open_map(item, key, subject, None)
}

fn open_map(
    map: &mut Item,
    key: Option<&DataKey>,
    subject: &str,
    path: Option<&str>,
) -> Result<usize, Error> {
    let mut erased = 0;
    let mut gone = Vec::new();
    for (name, value) in map.iter_mut() {
        let path = match path {
            Some(path) => format!("{path}.{name}"),
            None => name.clone(),
        };
        match open_value(value, key, subject, &path)? {
            Opened::Kept(count) => erased += count,
            Opened::Erased => gone.push(name.clone()),
        }
    }
    for name in &gone {
        map.remove(name);
    }
    Ok(erased + gone.len())
}

/// What opening one value did.
enum Opened {
    /// Opened (or held nothing sealed); how many values inside it read as erased.
    Kept(usize),
    /// Sealed under a key that is gone: the value is to be removed.
    Erased,
}

fn open_value(
    value: &mut AttributeValue,
    key: Option<&DataKey>,
    subject: &str,
    path: &str,
) -> Result<Opened, Error> {
    if let Some(sealed) = sealed_bytes(value) {
        let Some(key) = key else {
            return Ok(Opened::Erased);
        };
        let plaintext = key.open(&context(subject, path), sealed)?;
        let json: serde_json::Value = serde_json::from_slice(&plaintext)
            .map_err(|e| Error::internal("reading an opened personal value", e))?;
        *value = serde_dynamo::to_attribute_value(json)
            .map_err(|e| Error::internal("restoring an opened personal value", e))?;
        return Ok(Opened::Kept(0));
    }
    match value {
        AttributeValue::M(map) => open_map(map, key, subject, Some(path)).map(Opened::Kept),
        AttributeValue::L(list) => {
            let mut erased = 0;
            let mut kept = Vec::with_capacity(list.len());
            for mut inner in std::mem::take(list) {
                match open_value(&mut inner, key, subject, path)? {
                    Opened::Kept(count) => {
                        erased += count;
                        kept.push(inner);
                    }
                    Opened::Erased => erased += 1,
                }
            }
            *list = kept;
            Ok(Opened::Kept(erased))
        }
        _ => Ok(Opened::Kept(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_domain::identity::LocalKeyWrapper;
    use payments_domain::secret::Secret;
    use payments_domain::shredding::{Keyring, Subject, WrappedKeys};
    use serde::{Deserialize, Serialize};
    use std::collections::{BTreeMap, HashMap};
    use std::sync::{Arc, Mutex};

    fn is_sealed(item: &Item) -> bool {
        any_value(item, |value| sealed_bytes(value).is_some())
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Refund {
        amount: i64,
        reason: Option<Secret<String>>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Record {
        id: String,
        holder_name: Secret<String>,
        metadata: BTreeMap<String, Secret<String>>,
        refunds: Vec<Refund>,
    }

    fn record() -> Record {
        Record {
            id: "t-1".into(),
            holder_name: Secret::new("JANE DOE".into()),
            metadata: [("policy".to_owned(), Secret::new("P-42".to_owned()))].into(),
            refunds: vec![
                Refund {
                    amount: 5,
                    reason: Some(Secret::new("DAMAGED".into())),
                },
                Refund {
                    amount: 6,
                    reason: None,
                },
            ],
        }
    }

    #[derive(Default)]
    struct Keys(Mutex<HashMap<String, Vec<u8>>>);

    impl WrappedKeys for Keys {
        async fn wrapped_key(&self, subject: &str) -> Result<Option<Vec<u8>>, Error> {
            Ok(self.0.lock().unwrap().get(subject).cloned())
        }
        async fn insert_wrapped_key(&self, subject: &str, wrapped: &[u8]) -> Result<bool, Error> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .insert(subject.to_owned(), wrapped.to_vec())
                .is_none())
        }
        async fn destroy_wrapped_key(&self, subject: &str) -> Result<(), Error> {
            self.0.lock().unwrap().remove(subject);
            Ok(())
        }
    }

    async fn key(customer: &str) -> DataKey {
        let wrapper = LocalKeyWrapper::from_base64(&LocalKeyWrapper::generate().unwrap()).unwrap();
        let keyring = Keyring::new(Keys::default(), Arc::new(wrapper));
        let scope = payments_domain::ids::TenantScope {
            tenant: payments_domain::ids::TenantId::new_random(),
            account: payments_domain::ids::AccountId::new_random(),
        };
        let customer = payments_domain::refs::CustomerRef::parse(customer).unwrap();
        keyring
            .writing_key(&scope, Subject::Customer(&customer))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn every_personal_field_is_sealed_and_opens_back_to_the_record() {
        let key = key("jane").await;
        let mut item = marked_item(&record()).unwrap();
        seal(&mut item, &key, "jane").unwrap();
        let stored = format!("{item:?}");
        for plain in ["JANE DOE", "P-42", "DAMAGED", PERSONAL_DATA_MARKER] {
            assert!(!stored.contains(plain), "{plain} in {stored}");
        }
        assert!(stored.contains("t-1"), "the rest stays readable");
        assert!(is_sealed(&item));

        open(&mut item, Some(&key), "jane").unwrap();
        assert!(!is_sealed(&item));
        let back: Record = serde_dynamo::from_item(item).unwrap();
        assert_eq!(back, record());
    }

    #[tokio::test]
    async fn a_sealed_value_opens_only_for_its_subject_place_and_key() {
        let key = key("jane").await;
        let mut item = marked_item(&record()).unwrap();
        seal(&mut item, &key, "jane").unwrap();

        let mut other_subject = item.clone();
        assert!(open(&mut other_subject, Some(&key), "john").is_err());

        let mut moved = item.clone();
        let holder = moved.remove("holderName").unwrap();
        moved.insert("id".into(), holder);
        assert!(
            open(&mut moved, Some(&key), "jane").is_err(),
            "moved to another field"
        );

        let mut other_key = item.clone();
        assert!(open(&mut other_key, Some(&self::key("jane").await), "jane").is_err());
    }

    #[tokio::test]
    async fn without_its_key_a_sealed_value_reads_as_erased() {
        let key = key("jane").await;
        let mut item = marked_item(&record()).unwrap();
        item.insert(
            "list".into(),
            marked_attribute("list", &vec![Secret::new("A"), Secret::new("B")])
                .unwrap()
                .remove("list")
                .unwrap(),
        );
        seal(&mut item, &key, "jane").unwrap();

        assert_eq!(open(&mut item, None, "jane").unwrap(), 5);
        assert!(!is_sealed(&item));
        assert_eq!(item["list"], AttributeValue::L(vec![]));
        item.remove("list");
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Erased {
            id: String,
            holder_name: Option<Secret<String>>,
            metadata: BTreeMap<String, Secret<String>>,
            refunds: Vec<Refund>,
        }
        let erased: Erased = serde_dynamo::from_item(item).unwrap();
        assert_eq!(erased.id, "t-1");
        assert_eq!(erased.holder_name, None);
        assert!(erased.metadata.is_empty());
        assert!(erased.refunds.iter().all(|refund| refund.reason.is_none()));
        assert_eq!(erased.refunds.len(), 2, "what is not personal stays");
    }
}
