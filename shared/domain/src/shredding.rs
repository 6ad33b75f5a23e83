//! Crypto-shredding (docs/decisions/0019): personal data is sealed under a data key of its
//! subject (a customer, or an order for order-level data), and forget destroys the key, so every
//! copy of the data (the table, its point-in-time recovery, a backup, an export) becomes
//! unreadable at once. The keys are wrapped by the same key-encryption key as API keys and kept
//! in a store of their own that is never backed up ([`WrappedKeys`]); [`Keyring`] creates,
//! reads and destroys them.

use crate::aead::{decrypt, encrypt, random, KEY_LEN};
use crate::error::Error;
use crate::identity::KeyWrapper;
use crate::ids::TenantScope;
use crate::refs::{CustomerRef, OrderRef};
use crate::secret::Secret;
use aws_lc_rs::aead::NONCE_LEN;
use std::future::Future;
use std::sync::Arc;

/// Whose personal data a key seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    Customer(&'a CustomerRef),
    /// Order-level data (its metadata), which may concern any customer of the order.
    Order(&'a OrderRef),
}

impl Subject<'_> {
    /// The subject's id within the whole service: its tenant, account, kind and ref.
    pub fn id(&self, scope: &TenantScope) -> String {
        let (kind, reference) = match self {
            Subject::Customer(customer) => ("customer", customer.as_str()),
            Subject::Order(order) => ("order", order.as_str()),
        };
        format!("{}/{}/{kind}/{reference}", scope.tenant, scope.account)
    }
}

/// A subject's data key, unwrapped.
#[derive(Clone)]
pub struct DataKey(Secret<[u8; KEY_LEN]>);

impl DataKey {
    fn generate() -> Result<DataKey, Error> {
        Ok(DataKey(Secret::new(random::<KEY_LEN>()?)))
    }

    fn from_bytes(bytes: &[u8]) -> Result<DataKey, Error> {
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| Error::bug("a data key that is not 32 bytes"))?;
        Ok(DataKey(Secret::new(key)))
    }

    /// `plaintext` sealed for `context` (where it is stored: the subject and the field), as
    /// nonce then ciphertext and tag.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let (nonce, sealed) = encrypt(self.0.expose(), plaintext, context)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// What [`DataKey::seal`] sealed for `context` with this key; an error for any other key,
    /// context or a changed byte.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, Error> {
        if sealed.len() < NONCE_LEN {
            return Err(Error::bug("sealed personal data too short"));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        decrypt(self.0.expose(), nonce, ciphertext, context)
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
        if let Some(key) = self.unwrapped(&id).await? {
            return Ok(key);
        }
        let key = DataKey::generate()?;
        let wrapped = self.wrapper.wrap_key(key.0.expose(), &id).await?;
        if self.keys.insert_wrapped_key(&id, &wrapped).await? {
            return Ok(key);
        }
        // Another writer made the subject's key first: seal with theirs.
        self.unwrapped(&id)
            .await?
            .ok_or_else(|| Error::bug("a data key that was there is gone"))
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
        self.keys.destroy_wrapped_key(&subject.id(scope)).await
    }

    async fn unwrapped(&self, id: &str) -> Result<Option<DataKey>, Error> {
        match self.keys.wrapped_key(id).await? {
            Some(wrapped) => {
                let bytes = self.wrapper.unwrap_key(&wrapped, id).await?;
                Ok(Some(DataKey::from_bytes(&bytes)?))
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
