//! Where the identity function's secrets come from, once per cold start. Locally (`make dev`)
//! both come from configuration; in AWS the token signing keys come from Secrets Manager and
//! API private keys are wrapped by KMS.

use crate::config::{
    Clients, Settings, API_KEY_KEK_FILE, API_KEY_KMS_KEY_ID, TOKEN_SIGNING_KEYS,
    TOKEN_SIGNING_SECRET_ARN,
};
use crate::kms::KmsKeyWrapper;
use payments_domain::error::Error;
use payments_domain::identity::{KeyWrapper, LocalKeyWrapper};
use std::sync::Arc;

/// The token signing keys as configured: comma-separated base64 PKCS#8 P-256 keys, newest
/// first, from `TOKEN_SIGNING_KEYS`, else from the secret `TOKEN_SIGNING_SECRET_ARN`.
pub async fn signing_keys(aws: &Clients, settings: &Settings) -> Result<String, Error> {
    if let Some(keys) = settings.optional(TOKEN_SIGNING_KEYS) {
        return Ok(keys.to_owned());
    }
    let arn = settings.required(TOKEN_SIGNING_SECRET_ARN)?;
    secret_string(&aws.sdk, arn).await
}

/// A Secrets Manager secret's string.
pub async fn secret_string(sdk: &aws_config::SdkConfig, secret_id: &str) -> Result<String, Error> {
    aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| Error::internal("Secrets Manager GetSecretValue", e))?
        .secret_string
        .ok_or_else(|| Error::bug("the signing secret holds no string"))
}

/// The key-encryption key of API private keys: KMS when `API_KEY_KMS_KEY_ID` is set, else the
/// local key file `API_KEY_KEK_FILE`.
pub fn key_wrapper(aws: &Clients, settings: &Settings) -> Result<Arc<dyn KeyWrapper>, Error> {
    if let Some(key_id) = settings.optional(API_KEY_KMS_KEY_ID) {
        return Ok(Arc::new(KmsKeyWrapper::new(
            aws_sdk_kms::Client::new(&aws.sdk),
            key_id,
        )));
    }
    let path = settings.required(API_KEY_KEK_FILE)?;
    Ok(Arc::new(LocalKeyWrapper::from_file(path)?))
}
