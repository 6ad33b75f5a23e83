//! The key-encryption key in AWS: a KMS key wraps each API key's data key, with the API key's
//! public half as encryption context (so a wrapped key only unwraps for its own record, and
//! CloudTrail shows which key was used).

use crate::config::{Clients, Settings, API_KEY_KEK_FILE, API_KEY_KMS_KEY_ID};
use aws_sdk_kms::primitives::Blob;
use payments_domain::error::Error;
use payments_domain::identity::{CachingKeyWrapper, KeyWrapper, LocalKeyWrapper};
use payments_domain::BoxFuture;
use std::sync::Arc;

pub struct KmsKeyWrapper {
    client: aws_sdk_kms::Client,
    key_id: String,
}

const CONTEXT_KEY: &str = "publicKey";

impl KmsKeyWrapper {
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        KmsKeyWrapper {
            client,
            key_id: key_id.into(),
        }
    }
}

impl KeyWrapper for KmsKeyWrapper {
    fn wrap_key<'a>(
        &'a self,
        data_key: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            let output = self
                .client
                .encrypt()
                .key_id(&self.key_id)
                .plaintext(Blob::new(data_key))
                .encryption_context(CONTEXT_KEY, context)
                .send()
                .await
                .map_err(|e| Error::internal("KMS Encrypt", e))?;
            output
                .ciphertext_blob
                .map(Blob::into_inner)
                .ok_or_else(|| Error::bug("KMS Encrypt returned no ciphertext"))
        })
    }

    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            let output = self
                .client
                .decrypt()
                .key_id(&self.key_id)
                .ciphertext_blob(Blob::new(wrapped))
                .encryption_context(CONTEXT_KEY, context)
                .send()
                .await
                .map_err(|e| Error::internal("KMS Decrypt", e))?;
            output
                .plaintext
                .map(Blob::into_inner)
                .ok_or_else(|| Error::bug("KMS Decrypt returned no plaintext"))
        })
    }
}

/// The key-encryption key of API private keys, webhook secrets and personal data keys: KMS when
/// `API_KEY_KMS_KEY_ID` is set, else the local key file `API_KEY_KEK_FILE` (`make dev`). Unwrapped
/// keys are kept a few minutes, so repeated opens make no KMS call.
pub fn key_wrapper(aws: &Clients, settings: &Settings) -> Result<Arc<dyn KeyWrapper>, Error> {
    let wrapper: Arc<dyn KeyWrapper> = match settings.optional(API_KEY_KMS_KEY_ID) {
        Some(key_id) => Arc::new(KmsKeyWrapper::new(
            aws_sdk_kms::Client::new(&aws.sdk),
            key_id,
        )),
        None => Arc::new(LocalKeyWrapper::from_file(
            settings.required(API_KEY_KEK_FILE)?,
        )?),
    };
    Ok(Arc::new(CachingKeyWrapper::new(wrapper)))
}
