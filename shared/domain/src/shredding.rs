//! Crypto-shredding (docs/decisions/0019): personal data is sealed under a data key of its
//! subject (a customer, or an order for order-level data), and forget destroys the key, so every
//! copy of the data (the table, its point-in-time recovery, a backup, an export) becomes
//! unreadable at once. The keys are wrapped by the same key-encryption key as API keys and kept
//! in a store of their own that is never backed up ([`WrappedKeys`]); [`Keyring`] creates,
//! reads and destroys them.

use crate::aead::{decrypt, encrypt, random, KEY_LEN};
use crate::error::Error;
use crate::identity::KeyWrapper;
use crate::ids::{MandateId, TenantScope};
use crate::refs::{CustomerRef, OrderRef};
use crate::secret::Secret;
use aws_lc_rs::aead::NONCE_LEN;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    /// The data keys the current call (a request, a queue message) has read, by subject id: a
    /// call that seals an item and its events, or reads a customer's items, reads each key
    /// once. Scoped to one call, so a forget elsewhere is never outlived by more than a call.
    static KEYS_OF_THE_CALL: RefCell<HashMap<String, DataKey>>;
}

/// Runs `call` (one request or one message) with its own memo of the data keys it reads.
pub async fn one_call<F: Future>(call: F) -> F::Output {
    KEYS_OF_THE_CALL
        .scope(RefCell::new(HashMap::new()), call)
        .await
}

fn remembered(id: &str) -> Option<DataKey> {
    KEYS_OF_THE_CALL
        .try_with(|keys| keys.borrow().get(id).cloned())
        .ok()
        .flatten()
}

fn remember(id: &str, key: &DataKey) {
    let _outside_a_call = KEYS_OF_THE_CALL.try_with(|keys| {
        keys.borrow_mut().insert(id.to_owned(), key.clone());
    });
}

fn forget_remembered(id: &str) {
    let _outside_a_call = KEYS_OF_THE_CALL.try_with(|keys| {
        keys.borrow_mut().remove(id);
    });
}

/// Whose personal data a key seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    Customer(&'a CustomerRef),
    /// Order-level data (its metadata), which may concern any customer of the order.
    Order(&'a OrderRef),
    /// A mandate's debtor and metadata: a draft may name no customer yet, and its terms may
    /// name another customer later; forget destroys the key of every mandate that named them.
    Mandate(MandateId),
}

impl Subject<'_> {
    /// The subject's id within the whole service: its tenant, account, kind and ref.
    pub fn id(&self, scope: &TenantScope) -> String {
        let (kind, reference) = match self {
            Subject::Customer(customer) => ("customer", customer.as_str().to_owned()),
            Subject::Order(order) => ("order", order.as_str().to_owned()),
            Subject::Mandate(mandate) => ("mandate", mandate.to_string()),
        };
        format!("{}/{}/{kind}/{reference}", scope.tenant, scope.account)
    }
}

/// How many times a write tries to make its subject's key while racing writers and forget.
const KEY_MAKING_TURNS: usize = 4;

/// A [`Subject`] that owns its ref: what a request's path or an answer's `Location` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedSubject {
    Customer(CustomerRef),
    Order(OrderRef),
    Mandate(MandateId),
}

impl NamedSubject {
    /// The subject an API path names (`/v2/customer-vault/{customerRef}/…`,
    /// `/v1/customer-vault/{customerRef}/…`, `/v2/order-management/{orderRef}/…`,
    /// `/v2/mandates/sepa/{mandateId}/…`), with or without scheme and host; `None` for a path
    /// about no customer's data (creditor profiles, webhooks) or about none yet.
    pub fn of_path(path: &str) -> Option<NamedSubject> {
        let path = match path.split_once("://") {
            Some((_, rest)) => &rest[rest.find('/')?..],
            None => path,
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').skip(2).collect();
        match segments.as_slice() {
            ["customer-vault", customer, ..] => CustomerRef::parse(customer)
                .ok()
                .map(NamedSubject::Customer),
            ["order-management", order, ..] => OrderRef::parse(order).ok().map(NamedSubject::Order),
            ["mandates", "sepa", mandate, ..] => {
                MandateId::parse(mandate).ok().map(NamedSubject::Mandate)
            }
            _ => None,
        }
    }

    /// The subject a request body names: its `customerRef`, else its `orderRef` (a new
    /// mandate's, a new order's), when valid.
    pub fn of_body(body: &[u8]) -> Option<NamedSubject> {
        let body: serde_json::Value = serde_json::from_slice(body).ok()?;
        let named = |field: &str| body.get(field).and_then(serde_json::Value::as_str);
        named("customerRef")
            .and_then(|customer| CustomerRef::parse(customer).ok())
            .map(NamedSubject::Customer)
            .or_else(|| {
                named("orderRef")
                    .and_then(|order| OrderRef::parse(order).ok())
                    .map(NamedSubject::Order)
            })
    }

    pub fn subject(&self) -> Subject<'_> {
        match self {
            NamedSubject::Customer(customer) => Subject::Customer(customer),
            NamedSubject::Order(order) => Subject::Order(order),
            NamedSubject::Mandate(mandate) => Subject::Mandate(*mandate),
        }
    }
}

/// A subject's data key, unwrapped, with its id: a subject whose key was destroyed may be
/// given a new one (a write refused after forget makes it), and what the old one sealed must
/// still read as erased, not fail to open with the new one.
#[derive(Clone)]
pub struct DataKey {
    key: Secret<[u8; KEY_LEN]>,
    /// The first 8 bytes of the SHA-256 of the wrapped key, in hex: names this key among the
    /// subject's keys, and says nothing about it.
    id: String,
}

impl DataKey {
    fn new(key: [u8; KEY_LEN], wrapped: &[u8]) -> DataKey {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, wrapped);
        let id = digest.as_ref()[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        DataKey {
            key: Secret::new(key),
            id,
        }
    }

    fn unwrapped(bytes: &[u8], wrapped: &[u8]) -> Result<DataKey, Error> {
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| Error::bug("a data key that is not 32 bytes"))?;
        Ok(DataKey::new(key, wrapped))
    }

    /// Which of its subject's keys this is.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `plaintext` sealed for `context` (where it is stored: the subject and the field), as
    /// nonce then ciphertext and tag.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let (nonce, sealed) = encrypt(self.key.expose(), plaintext, context)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// What [`DataKey::seal`] sealed for `context` with this key; an error for any other key,
    /// context or a changed byte.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, Error> {
        if sealed.len() < NONCE_LEN {
            return Err(Error::bug("sealed personal data too short"));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        decrypt(self.key.expose(), nonce, ciphertext, context)
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// Where wrapped data keys are kept, by subject id: a store without backups, so a destroyed key
/// is gone from every copy.
pub trait WrappedKeys: Send + Sync {
    fn wrapped_key(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, Error>> + Send;

    /// Stores the subject's first key; `false` when it already has one (a racing writer's).
    fn insert_wrapped_key(
        &self,
        subject: &str,
        wrapped: &[u8],
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Destroys the subject's key, if it has one.
    fn destroy_wrapped_key(&self, subject: &str) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The subjects' data keys: created on the first write of a subject's personal data, read
/// back for every read of it, destroyed by forget.
pub struct Keyring<K> {
    keys: K,
    /// KMS in AWS (through the caching wrapper, so a warm function unwraps a key once), the
    /// local key file under `make dev`.
    wrapper: Arc<dyn KeyWrapper>,
}

impl<K: WrappedKeys> Keyring<K> {
    pub fn new(keys: K, wrapper: Arc<dyn KeyWrapper>) -> Self {
        Keyring { keys, wrapper }
    }

    /// The key to seal the subject's personal data with: its key, made now if it has none.
    pub async fn writing_key(
        &self,
        scope: &TenantScope,
        subject: Subject<'_>,
    ) -> Result<DataKey, Error> {
        let id = subject.id(scope);
        // Another writer may make the subject's key first (then seal with theirs), and a racing
        // forget destroy it again (then make one anew): a few turns settle it.
        for _ in 0..KEY_MAKING_TURNS {
            if let Some(key) = self.unwrapped(&id).await? {
                return Ok(key);
            }
            let bytes = random::<KEY_LEN>()?;
            let wrapped = self.wrapper.wrap_key(&bytes, &id).await?;
            let key = DataKey::new(bytes, &wrapped);
            if self.keys.insert_wrapped_key(&id, &wrapped).await? {
                remember(&id, &key);
                return Ok(key);
            }
        }
        Err(Error::bug(
            "a subject's data key kept being made and destroyed while it was wanted",
        ))
    }

    /// The key the subject's personal data was sealed with; `None` once destroyed (or before
    /// the subject had any personal data).
    pub async fn reading_key(
        &self,
        scope: &TenantScope,
        subject: Subject<'_>,
    ) -> Result<Option<DataKey>, Error> {
        self.unwrapped(&subject.id(scope)).await
    }

    /// [`Keyring::reading_key`] by the subject's id, as a sealed item names it.
    pub async fn opening_key(&self, subject_id: &str) -> Result<Option<DataKey>, Error> {
        self.unwrapped(subject_id).await
    }

    /// Destroys the subject's key: what was sealed with it can never be read again.
    pub async fn destroy(&self, scope: &TenantScope, subject: Subject<'_>) -> Result<(), Error> {
        let id = subject.id(scope);
        forget_remembered(&id);
        self.keys.destroy_wrapped_key(&id).await
    }

    /// The subject's key: remembered by the call, else read and unwrapped (and remembered). A
    /// subject without a key is not remembered: another call may make it.
    async fn unwrapped(&self, id: &str) -> Result<Option<DataKey>, Error> {
        if let Some(key) = remembered(id) {
            return Ok(Some(key));
        }
        match self.keys.wrapped_key(id).await? {
            Some(wrapped) => {
                let bytes = self.wrapper.unwrap_key(&wrapped, id).await?;
                let key = DataKey::unwrapped(&bytes, &wrapped)?;
                remember(id, &key);
                Ok(Some(key))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::LocalKeyWrapper;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct InMemoryKeys(Mutex<HashMap<String, Vec<u8>>>);

    impl WrappedKeys for InMemoryKeys {
        async fn wrapped_key(&self, subject: &str) -> Result<Option<Vec<u8>>, Error> {
            Ok(self.0.lock().unwrap().get(subject).cloned())
        }

        async fn insert_wrapped_key(&self, subject: &str, wrapped: &[u8]) -> Result<bool, Error> {
            let mut keys = self.0.lock().unwrap();
            if keys.contains_key(subject) {
                return Ok(false);
            }
            keys.insert(subject.to_owned(), wrapped.to_vec());
            Ok(true)
        }

        async fn destroy_wrapped_key(&self, subject: &str) -> Result<(), Error> {
            self.0.lock().unwrap().remove(subject);
            Ok(())
        }
    }

    fn keyring() -> Keyring<InMemoryKeys> {
        let wrapper = LocalKeyWrapper::from_base64(&LocalKeyWrapper::generate().unwrap()).unwrap();
        Keyring::new(InMemoryKeys::default(), Arc::new(wrapper))
    }

    fn scope() -> TenantScope {
        TenantScope {
            tenant: crate::ids::TenantId::new_random(),
            account: crate::ids::AccountId::new_random(),
        }
    }

    #[tokio::test]
    async fn a_subjects_data_opens_with_its_key_and_context_until_the_key_is_destroyed() {
        let keyring = keyring();
        let scope = scope();
        let jane = CustomerRef::parse("jane").unwrap();
        let john = CustomerRef::parse("john").unwrap();
        let key = keyring
            .writing_key(&scope, Subject::Customer(&jane))
            .await
            .unwrap();
        let sealed = key.seal("jane/holderName", b"JANE DOE").unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("JANE"));
        let read = keyring
            .reading_key(&scope, Subject::Customer(&jane))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.open("jane/holderName", &sealed).unwrap(), b"JANE DOE");
        assert!(
            read.open("jane/iban", &sealed).is_err(),
            "bound to its field"
        );
        let again = keyring
            .writing_key(&scope, Subject::Customer(&jane))
            .await
            .unwrap();
        assert_eq!(again.open("jane/holderName", &sealed).unwrap(), b"JANE DOE");
        let other = keyring
            .writing_key(&scope, Subject::Customer(&john))
            .await
            .unwrap();
        assert!(
            other.open("jane/holderName", &sealed).is_err(),
            "bound to its subject"
        );

        keyring
            .destroy(&scope, Subject::Customer(&jane))
            .await
            .unwrap();
        assert!(keyring
            .reading_key(&scope, Subject::Customer(&jane))
            .await
            .unwrap()
            .is_none());
        let fresh = keyring
            .writing_key(&scope, Subject::Customer(&jane))
            .await
            .unwrap();
        assert!(
            fresh.open("jane/holderName", &sealed).is_err(),
            "a new key opens nothing of before"
        );
        assert_ne!(fresh.id(), key.id(), "and says it is another key");
        assert_eq!(again.id(), key.id());
    }

    #[derive(Default)]
    struct CountedKeys {
        keys: InMemoryKeys,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl WrappedKeys for CountedKeys {
        async fn wrapped_key(&self, subject: &str) -> Result<Option<Vec<u8>>, Error> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.keys.wrapped_key(subject).await
        }
        async fn insert_wrapped_key(&self, subject: &str, wrapped: &[u8]) -> Result<bool, Error> {
            self.keys.insert_wrapped_key(subject, wrapped).await
        }
        async fn destroy_wrapped_key(&self, subject: &str) -> Result<(), Error> {
            self.keys.destroy_wrapped_key(subject).await
        }
    }

    #[tokio::test]
    async fn a_call_reads_each_key_once_and_never_past_its_destruction() {
        let wrapper = LocalKeyWrapper::from_base64(&LocalKeyWrapper::generate().unwrap()).unwrap();
        let keyring = Keyring::new(CountedKeys::default(), Arc::new(wrapper));
        let reads = || keyring.keys.reads.load(std::sync::atomic::Ordering::SeqCst);
        let scope = scope();
        let jane = CustomerRef::parse("jane").unwrap();
        let subject = Subject::Customer(&jane);
        one_call(async {
            keyring.writing_key(&scope, subject).await.unwrap();
            keyring.writing_key(&scope, subject).await.unwrap();
            keyring.reading_key(&scope, subject).await.unwrap().unwrap();
        })
        .await;
        assert_eq!(reads(), 1, "made once: the first read found nothing");
        one_call(async {
            keyring.reading_key(&scope, subject).await.unwrap().unwrap();
            keyring.reading_key(&scope, subject).await.unwrap().unwrap();
            keyring.destroy(&scope, subject).await.unwrap();
            assert!(keyring
                .reading_key(&scope, subject)
                .await
                .unwrap()
                .is_none());
        })
        .await;
        assert_eq!(reads(), 3, "a new call reads again, and after destroying");
        keyring.reading_key(&scope, subject).await.unwrap();
        keyring.reading_key(&scope, subject).await.unwrap();
        assert_eq!(reads(), 5, "outside a call nothing is remembered");
    }

    #[test]
    fn a_path_names_its_subject() {
        let mandate = MandateId::new_random();
        let cases = [
            ("/v2/customer-vault/jane/refund", Some("customer/jane")),
            (
                "/v1/customer-vault/jane/wallet/financial-instrument/x",
                Some("customer/jane"),
            ),
            (
                "https://api.example.com/v2/order-management/o-1?x=1",
                Some("order/o-1"),
            ),
            ("/v2/order-management", None),
            ("/v2/mandates/sepa/draft", None),
            ("/v2/mandates/creditor-profiles/sepa", None),
            ("/v1/notifications/webhooks", None),
        ];
        let scope = scope();
        for (path, named) in cases {
            let id = NamedSubject::of_path(path).map(|named| named.subject().id(&scope));
            let wanted = named.map(|named| format!("{}/{}/{named}", scope.tenant, scope.account));
            assert_eq!(id, wanted, "{path}");
        }
        assert_eq!(
            NamedSubject::of_path(&format!("/v2/mandates/sepa/{mandate}")),
            Some(NamedSubject::Mandate(mandate))
        );
        let customer = |body: &str| NamedSubject::of_body(body.as_bytes());
        assert_eq!(
            customer(r#"{"orderRef": "o-1", "customerRef": "jane"}"#),
            Some(NamedSubject::Customer(CustomerRef::parse("jane").unwrap()))
        );
        assert_eq!(
            customer(r#"{"orderRef": "o-1"}"#),
            Some(NamedSubject::Order(OrderRef::parse("o-1").unwrap()))
        );
        assert_eq!(customer(r#"{"customerRef": 7}"#), None);
        assert_eq!(customer("not json"), None);
    }

    /// A store where a racing writer wins the first insert and a racing forget destroys its
    /// key before it can be read.
    #[derive(Default)]
    struct RacedKeys {
        keys: InMemoryKeys,
        raced: std::sync::atomic::AtomicBool,
    }

    impl WrappedKeys for RacedKeys {
        async fn wrapped_key(&self, subject: &str) -> Result<Option<Vec<u8>>, Error> {
            self.keys.wrapped_key(subject).await
        }
        async fn insert_wrapped_key(&self, subject: &str, wrapped: &[u8]) -> Result<bool, Error> {
            if !self.raced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return Ok(false);
            }
            self.keys.insert_wrapped_key(subject, wrapped).await
        }
        async fn destroy_wrapped_key(&self, subject: &str) -> Result<(), Error> {
            self.keys.destroy_wrapped_key(subject).await
        }
    }

    #[tokio::test]
    async fn a_key_made_and_destroyed_by_racers_is_made_anew() {
        let wrapper = LocalKeyWrapper::from_base64(&LocalKeyWrapper::generate().unwrap()).unwrap();
        let keyring = Keyring::new(RacedKeys::default(), Arc::new(wrapper));
        let scope = scope();
        let jane = CustomerRef::parse("jane").unwrap();
        let key = keyring
            .writing_key(&scope, Subject::Customer(&jane))
            .await
            .unwrap();
        let read = keyring
            .reading_key(&scope, Subject::Customer(&jane))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.id(),
            key.id(),
            "the key it sealed with is the one kept"
        );
    }

    #[tokio::test]
    async fn racing_first_writes_seal_with_one_key() {
        let keyring = keyring();
        let scope = scope();
        let order = OrderRef::parse("o-1").unwrap();
        let (a, b) = tokio::join!(
            keyring.writing_key(&scope, Subject::Order(&order)),
            keyring.writing_key(&scope, Subject::Order(&order)),
        );
        let sealed = a.unwrap().seal("order/metadata", b"x").unwrap();
        assert_eq!(b.unwrap().open("order/metadata", &sealed).unwrap(), b"x");
    }
}
