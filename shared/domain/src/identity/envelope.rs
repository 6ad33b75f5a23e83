//! Envelope encryption for secrets at rest (API private keys): each secret is sealed with its
//! own random data key (AES-256-GCM), and only the data key is wrapped by the key-encryption
//! key — a KMS key in AWS, a local key file under `make dev`. The context (the API key's public
//! half) is bound into both, so a sealed secret cannot be moved to another record.

use crate::aead::{crypto, decrypt, encrypt, random, KEY_LEN};
use crate::error::Error;
use crate::BoxFuture;
use aws_lc_rs::aead::NONCE_LEN;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Wraps and unwraps data keys with a key-encryption key.
pub trait KeyWrapper: Send + Sync {
    fn wrap_key<'a>(
        &'a self,
        data_key: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>>;

    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>>;
}

/// A sealed secret as stored: base64 fields, useless without the key-encryption key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sealed {
    pub ciphertext: String,
    pub nonce: String,
    pub wrapped_key: String,
}

fn engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Seals `secret` for `context` with a fresh data key wrapped by `wrapper`.
pub async fn seal(wrapper: &dyn KeyWrapper, secret: &[u8], context: &str) -> Result<Sealed, Error> {
    let data_key = random::<KEY_LEN>()?;
    let (nonce, ciphertext) = encrypt(&data_key, secret, context)?;
    let wrapped = wrapper.wrap_key(&data_key, context).await?;
    Ok(Sealed {
        ciphertext: engine().encode(ciphertext),
        nonce: engine().encode(nonce),
        wrapped_key: engine().encode(wrapped),
    })
}

/// The secret `seal` sealed for `context`.
pub async fn open(
    wrapper: &dyn KeyWrapper,
    sealed: &Sealed,
    context: &str,
) -> Result<Vec<u8>, Error> {
    let decode = |text: &str| engine().decode(text).map_err(|_| crypto("stored base64"));
    let data_key = wrapper
        .unwrap_key(&decode(&sealed.wrapped_key)?, context)
        .await?;
    decrypt(
        &data_key,
        &decode(&sealed.nonce)?,
        &decode(&sealed.ciphertext)?,
        context,
    )
}

/// The key-encryption key of `make dev`: 32 bytes from a local key file (base64), used with
/// AES-256-GCM. Never used in AWS, where KMS holds the key.
pub struct LocalKeyWrapper {
    key: [u8; KEY_LEN],
}

impl LocalKeyWrapper {
    /// A new random key, as the base64 text a key file holds.
    pub fn generate() -> Result<String, Error> {
        Ok(engine().encode(random::<KEY_LEN>()?))
    }

    pub fn from_base64(text: &str) -> Result<Self, Error> {
        let bytes = engine()
            .decode(text.trim())
            .map_err(|_| crypto("the local key is not base64"))?;
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| crypto("the local key is not 32 bytes"))?;
        Ok(LocalKeyWrapper { key })
    }

    pub fn from_file(path: &str) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::internal(format!("reading the local key file {path}"), e))?;
        Self::from_base64(&text)
    }
}

impl KeyWrapper for LocalKeyWrapper {
    fn wrap_key<'a>(
        &'a self,
        data_key: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            let (nonce, sealed) = encrypt(&self.key, data_key, context)?;
            Ok([nonce.as_slice(), &sealed].concat())
        })
    }

    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            if wrapped.len() < NONCE_LEN {
                return Err(crypto("wrapped key too short"));
            }
            let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
            decrypt(&self.key, nonce, sealed, context)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapper() -> LocalKeyWrapper {
        LocalKeyWrapper::from_base64(&LocalKeyWrapper::generate().unwrap()).unwrap()
    }

    #[tokio::test]
    async fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let wrapper = wrapper();
        let sealed = seal(&wrapper, b"secret bytes", "pk1").await.unwrap();
        assert!(!sealed.ciphertext.contains("secret"));
        assert_eq!(
            open(&wrapper, &sealed, "pk1").await.unwrap(),
            b"secret bytes"
        );
        assert!(
            open(&wrapper, &sealed, "pk2").await.is_err(),
            "bound to its context"
        );
        assert!(
            open(&self::wrapper(), &sealed, "pk1").await.is_err(),
            "bound to its key"
        );
        let again = seal(&wrapper, b"secret bytes", "pk1").await.unwrap();
        assert_ne!(
            again.ciphertext, sealed.ciphertext,
            "a fresh data key and nonce each time"
        );
    }

    #[test]
    fn local_keys_must_be_32_bytes_of_base64() {
        assert!(LocalKeyWrapper::from_base64("not base64!").is_err());
        assert!(LocalKeyWrapper::from_base64("c2hvcnQ=").is_err());
    }
}
