//! The `notifications` routes' use cases (docs/api.md §9): a tenant's endpoints created,
//! read, replaced, deleted, and their secrets rotated. A secret is generated from the
//! system's CSPRNG, sealed before it is stored, and returned to be shown this once.

use super::endpoint::{secret_context, EndpointSettings, WebhookEndpoint, WebhookEndpoints};
use crate::clock::Now;
use crate::error::{Error, ErrorCode, Violation};
use crate::identity::{seal, KeyWrapper, Sealed};
use crate::ids::{TenantScope, WebhookId};
use crate::secret::Secret;
use crate::standard_webhooks::WebhookSecret;
use crate::versioned::{self, Updated};

pub fn webhook_not_found(webhook_id: WebhookId) -> Error {
    Error::NotFound(
        Violation::new(ErrorCode::WEBHOOK_NOT_FOUND).with("webhookId", webhook_id.to_string()),
    )
}

/// A fresh secret for the endpoint: its text, to show once, and its sealed form, to store.
async fn new_secret(
    wrapper: &dyn KeyWrapper,
    scope: &TenantScope,
    webhook_id: WebhookId,
) -> Result<(Secret<String>, Sealed), Error> {
    let text = WebhookSecret::generate()?;
    let sealed = seal(wrapper, text.as_bytes(), &secret_context(scope, webhook_id)).await?;
    Ok((Secret::new(text), sealed))
}

/// POST: a new `ENABLED` endpoint, and its secret.
pub async fn create_endpoint(
    store: &impl WebhookEndpoints,
    wrapper: &dyn KeyWrapper,
    scope: &TenantScope,
    settings: EndpointSettings,
    now: Now,
) -> Result<(WebhookEndpoint, Secret<String>), Error> {
    let webhook_id = WebhookId::new_random();
    let (secret, sealed) = new_secret(wrapper, scope, webhook_id).await?;
    let endpoint = WebhookEndpoint::new(webhook_id, settings, sealed, now.epoch_ms());
    store.insert_endpoint(scope, &endpoint).await?;
    tracing::info!(webhook_id = %webhook_id, "webhook endpoint created");
    Ok((endpoint, secret))
}

pub async fn endpoint(
    store: &impl WebhookEndpoints,
    scope: &TenantScope,
    webhook_id: WebhookId,
) -> Result<WebhookEndpoint, Error> {
    store
        .endpoint(scope, webhook_id)
        .await?
        .ok_or_else(|| webhook_not_found(webhook_id))
}

/// Changes the endpoint with a versioned update, starting from `known` when the caller has
/// just read it; `change` says whether it changed anything to save. `WEBHOOK_NOT_FOUND` when
/// there is no endpoint.
pub(crate) async fn change_endpoint(
    store: &impl WebhookEndpoints,
    scope: &TenantScope,
    webhook_id: WebhookId,
    known: Option<WebhookEndpoint>,
    mut change: impl FnMut(&mut WebhookEndpoint) -> bool,
) -> Result<WebhookEndpoint, Error> {
    let updated = versioned::update(
        "webhook endpoint",
        known,
        || store.endpoint(scope, webhook_id),
        |endpoint| Ok(change(endpoint).then_some(())),
        |endpoint, read| async move { store.save_endpoint(scope, &endpoint, read).await },
    )
    .await?;
    match updated {
        Updated::Saved(endpoint, ()) | Updated::Unchanged(endpoint) => Ok(endpoint),
        Updated::Missing => Err(webhook_not_found(webhook_id)),
    }
}

/// PUT: replaces the endpoint's url, events, description and status.
pub async fn replace_endpoint(
    store: &impl WebhookEndpoints,
    scope: &TenantScope,
    webhook_id: WebhookId,
    settings: EndpointSettings,
    now: Now,
) -> Result<WebhookEndpoint, Error> {
    let endpoint = change_endpoint(store, scope, webhook_id, None, |endpoint| {
        endpoint.replace_settings(settings.clone(), now.epoch_ms());
        true
    })
    .await?;
    tracing::info!(webhook_id = %webhook_id, status = endpoint.status.as_str(), "webhook endpoint replaced");
    Ok(endpoint)
}

pub async fn delete_endpoint(
    store: &impl WebhookEndpoints,
    scope: &TenantScope,
    webhook_id: WebhookId,
) -> Result<(), Error> {
    if !store.delete_endpoint(scope, webhook_id).await? {
        return Err(webhook_not_found(webhook_id));
    }
    tracing::info!(webhook_id = %webhook_id, "webhook endpoint deleted");
    Ok(())
}

/// A new secret signs from now on; the one before keeps signing for a day.
pub async fn rotate_secret(
    store: &impl WebhookEndpoints,
    wrapper: &dyn KeyWrapper,
    scope: &TenantScope,
    webhook_id: WebhookId,
    now: Now,
) -> Result<Secret<String>, Error> {
    let known = endpoint(store, scope, webhook_id).await?;
    let (secret, sealed) = new_secret(wrapper, scope, webhook_id).await?;
    change_endpoint(store, scope, webhook_id, Some(known), |endpoint| {
        endpoint.rotate(sealed.clone(), now.epoch_ms());
        true
    })
    .await?;
    tracing::info!(webhook_id = %webhook_id, "webhook secret rotated");
    Ok(secret)
}
