//! Where secrets come from, once per cold start. Locally (`make dev`) they come from
//! configuration; in AWS the token signing keys and the providers' webhook secrets come from
//! Secrets Manager, and API private keys are wrapped by KMS.

use crate::config::{
    Clients, Settings, SANDBOX_WEBHOOK_SECRET, SANDBOX_WEBHOOK_SECRET_ARN, TOKEN_SIGNING_KEYS,
    TOKEN_SIGNING_SECRET_ARN,
};
use payments_domain::error::Error;
use payments_domain::providers::{SandboxWebhooks, WebhookSecret, WebhookSources};

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
pub async fn secret_string(sdk: &aws_types::SdkConfig, secret_id: &str) -> Result<String, Error> {
    aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| Error::internal("Secrets Manager GetSecretValue", e))?
        .secret_string
        .ok_or_else(|| Error::bug("the secret holds no string"))
}

/// SANDBOX's webhook secret: `SANDBOX_WEBHOOK_SECRET`, else the secret
/// `SANDBOX_WEBHOOK_SECRET_ARN`.
pub async fn sandbox_webhook_secret(
    aws: &Clients,
    settings: &Settings,
) -> Result<WebhookSecret, Error> {
    let text = match settings.optional(SANDBOX_WEBHOOK_SECRET) {
        Some(secret) => secret.to_owned(),
        None => secret_string(&aws.sdk, settings.required(SANDBOX_WEBHOOK_SECRET_ARN)?).await?,
    };
    WebhookSecret::parse(&text)
}

/// Where the deployment's webhooks come from: SANDBOX, with its secret.
pub async fn webhook_sources(aws: &Clients, settings: &Settings) -> Result<WebhookSources, Error> {
    let sandbox = SandboxWebhooks::new(sandbox_webhook_secret(aws, settings).await?);
    Ok(WebhookSources::new(vec![Box::new(sandbox)]))
}
