//! Provider webhooks (docs/api.md §8): `POST /v1/providers/{appId}/webhooks`, for every payment
//! app. No bearer token: the app's own signature is checked, then the event is stored once and
//! queued for the event worker, and the answer is 202 `{}`.

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use bytes::Bytes;
use payments_aws::{secrets, Clients, Settings, SqsQueue, Store};
use payments_domain::error::Error;
use payments_domain::providers::{
    receive_webhook, ApplyProviderEvent, WebhookRequest, WebhookSources,
};
use payments_domain::Now;
use payments_http::{Api, ApiError, Edge, ErrorFormat, PathParams};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Clone)]
pub struct AppState {
    store: Store,
    events: SqsQueue<ApplyProviderEvent>,
    sources: Arc<WebhookSources>,
}

/// The body format of this group's errors (docs/api.md §2), for its edge and its OpenAPI
/// document.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat::A;

/// The function as deployed, from its settings (the webhook secrets configured, or from
/// Secrets Manager): `main` and the tests both build it here.
pub async fn app(settings: &Settings, aws: &Clients) -> Result<Router, Error> {
    let state = AppState {
        store: Store::from_settings(aws, settings)?,
        events: SqsQueue::from_settings(aws, settings)?,
        sources: Arc::new(secrets::webhook_sources(aws, settings).await?),
    };
    let edge = Edge::from_settings(ERROR_FORMAT, settings, &state.store)?;
    Ok(api().into_router(state, edge))
}

/// The one route. It carries no bearer-token guard: providers sign their webhooks instead.
/// Each app has its own body; the document describes SANDBOX's.
pub fn api() -> Api<AppState> {
    Api::new()
        .signed_route(Method::POST, "/v1/providers/{appId}/webhooks", receive)
        .takes::<SandboxEvent>()
        .answers::<Accepted>(StatusCode::ACCEPTED)
}

/// SANDBOX's event (docs/api.md §8), for the OpenAPI document; read by the SANDBOX module.
#[derive(ToSchema)]
pub struct SandboxEvent {
    #[schema(rename = "type")]
    pub event_type: SandboxEventType,
    /// ISO-8601.
    #[schema(rename = "occurredAt", format = DateTime)]
    pub occurred_at: String,
    pub data: SandboxEventData,
}

#[derive(ToSchema)]
pub enum SandboxEventType {
    #[schema(rename = "payment.settled")]
    PaymentSettled,
    #[schema(rename = "payment.failed")]
    PaymentFailed,
    #[schema(rename = "refund.settled")]
    RefundSettled,
    #[schema(rename = "refund.failed")]
    RefundFailed,
    #[schema(rename = "chargeback.opened")]
    ChargebackOpened,
    #[schema(rename = "chargeback.succeeded")]
    ChargebackSucceeded,
    #[schema(rename = "chargeback.failed")]
    ChargebackFailed,
    #[schema(rename = "mandate.active")]
    MandateActive,
    #[schema(rename = "mandate.failed")]
    MandateFailed,
}

/// The provider's ids of what the event is about.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct SandboxEventData {
    /// The transaction's `app.appTransactionId`, or a mandate's `mandateId`.
    pub app_transaction_id: String,
    pub amount: Option<f64>,
    /// The service's `refundId`.
    pub app_refund_id: Option<String>,
    pub chargeback_id: Option<String>,
    pub reason: Option<String>,
}

/// Stored (or already stored): `{}`.
#[derive(Serialize, ToSchema)]
pub struct Accepted {}

/// 202 `{}` once stored (or already stored); 401 for a bad signature or timestamp, 404 for an
/// unknown app, 400 for a body that is not a known event.
async fn receive(
    path: PathParams,
    headers: HeaderMap,
    State(app): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let request = WebhookRequest {
        headers: &headers,
        body: &body,
    };
    receive_webhook(
        &app.store,
        &app.events,
        &app.sources,
        path.get("appId"),
        &request,
        Now::read(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted {})).into_response())
}
