//! Where the identity function's secrets come from, once per cold start. Locally (`make dev`)
//! both come from configuration; in AWS the signing keys come from Secrets Manager and API
//! private keys are wrapped by KMS.

use crate::kms::KmsKeyWrapper;
use payments_core::config::optional;
use payments_core::error::Error;
use payments_core::identity::{KeyWrapper, LocalKeyWrapper, SigningKeys};
use std::sync::Arc;

/// Comma-separated base64 PKCS#8 P-256 keys, newest first (local configuration).
pub const TOKEN_SIGNING_KEYS: &str = "TOKEN_SIGNING_KEYS";
/// The Secrets Manager secret holding the same list (AWS).
pub const TOKEN_SIGNING_SECRET_ARN: &str = "TOKEN_SIGNING_SECRET_ARN";
/// The KMS key that wraps API keys' data keys (AWS).
pub const API_KEY_KMS_KEY_ID: &str = "API_KEY_KMS_KEY_ID";
/// A file holding the local key-encryption key, base64 of 32 bytes (`make dev`).
pub const API_KEY_KEK_FILE: &str = "API_KEY_KEK_FILE";

fn missing(what: &str) -> Error {
    Error::Internal(format!("no {what} configured"))
}

/// The token signing keys: `TOKEN_SIGNING_KEYS`, else the secret `TOKEN_SIGNING_SECRET_ARN`.
pub async fn signing_keys(
    sdk: &aws_config::SdkConfig,
    issuer: &str,
    audience: &str,
) -> Result<SigningKeys, Error> {
    let source = match (
        optional(TOKEN_SIGNING_KEYS),
        optional(TOKEN_SIGNING_SECRET_ARN),
    ) {
        (Some(keys), _) => KeySource::Configured(keys),
        (None, Some(arn)) => KeySource::Secret(arn),
        (None, None) => return Err(missing("token signing keys or secret")),
    };
    load_signing_keys(sdk, source, issuer, audience).await
}

/// Where the signing keys are.
pub enum KeySource {
    Configured(String),
    /// A Secrets Manager secret id or ARN.
    Secret(String),
}

pub async fn load_signing_keys(
    sdk: &aws_config::SdkConfig,
    source: KeySource,
    issuer: &str,
    audience: &str,
) -> Result<SigningKeys, Error> {
    let keys = match source {
        KeySource::Configured(keys) => keys,
        KeySource::Secret(arn) => aws_sdk_secretsmanager::Client::new(sdk)
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| {
                Error::Internal(format!(
                    "Secrets Manager GetSecretValue: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                ))
            })?
            .secret_string
            .ok_or_else(|| missing("secret string in the signing secret"))?,
    };
    SigningKeys::parse(&keys, issuer, audience)
}

/// The key-encryption key of API private keys: KMS when `API_KEY_KMS_KEY_ID` is set, else the
/// local key file `API_KEY_KEK_FILE`.
pub fn key_wrapper(sdk: &aws_config::SdkConfig) -> Result<Arc<dyn KeyWrapper>, Error> {
    if let Some(key_id) = optional(API_KEY_KMS_KEY_ID) {
        return Ok(Arc::new(KmsKeyWrapper::new(
            aws_sdk_kms::Client::new(sdk),
            key_id,
        )));
    }
    let path = optional(API_KEY_KEK_FILE).ok_or_else(|| missing("API key encryption key"))?;
    Ok(Arc::new(LocalKeyWrapper::from_file(&path)?))
}
