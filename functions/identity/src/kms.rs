//! The key-encryption key in AWS: a KMS key wraps each API key's data key, with the API key's
//! public half as encryption context (so a wrapped key only unwraps for its own record, and
//! CloudTrail shows which key was used).

use aws_sdk_kms::primitives::Blob;
use payments_core::error::Error;
use payments_core::identity::KeyWrapper;
use payments_core::payments::BoxFuture;

pub struct KmsKeyWrapper {
    client: aws_sdk_kms::Client,
    key_id: String,
}

const CONTEXT_KEY: &str = "publicKey";

fn kms_failure<E: std::error::Error + Send + Sync + 'static, R: std::fmt::Debug>(
    operation: &'static str,
) -> impl FnOnce(aws_sdk_kms::error::SdkError<E, R>) -> Error {
    move |e| {
        Error::Internal(format!(
            "KMS {operation}: {}",
            aws_sdk_kms::error::DisplayErrorContext(&e)
        ))
    }
}

impl KmsKeyWrapper {
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        KmsKeyWrapper {
            client,
            key_id: key_id.into(),
        }
    }
}

impl KeyWrapper for KmsKeyWrapper {
    fn wrap<'a>(
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
                .map_err(kms_failure("Encrypt"))?;
            output
                .ciphertext_blob
                .map(Blob::into_inner)
                .ok_or_else(|| Error::Internal("KMS Encrypt returned no ciphertext".into()))
        })
    }

    fn unwrap<'a>(
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
                .map_err(kms_failure("Decrypt"))?;
            output
                .plaintext
                .map(Blob::into_inner)
                .ok_or_else(|| Error::Internal("KMS Decrypt returned no plaintext".into()))
        })
    }
}
