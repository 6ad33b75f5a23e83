//! Tenant webhooks (docs/api.md §9): a tenant's endpoints, their test events and delivery
//! logs, and redeliveries, `tenant-admin` only, error format A. Each handler parses, calls one use case, and renders; a secret is in the answer that
//! creates or rotates it, and nowhere else.

use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_aws::config::ALLOW_LOOPBACK_WEBHOOKS;
use payments_aws::{Clients, Settings, SqsQueue, Store};
use payments_bodies::notifications::{self as bodies, SettingsFor};
use payments_domain::auth::Role;
use payments_domain::dispatch::{self, WebhookWork};
use payments_domain::error::Error;
use payments_domain::identity::KeyWrapper;
use payments_domain::ids::WebhookId;
use payments_domain::notifications::{self, UrlPolicy, WebhookEndpoints};
use payments_domain::Now;
use payments_http::{Api, ApiError, Caller, Edge, ErrorFormat, JsonBody, PathParams};
use std::sync::Arc;

const ADMIN: &[Role] = &[Role::Admin];

const WEBHOOKS: &str = "/v1/notifications/webhooks";
const WEBHOOK: &str = "/v1/notifications/webhooks/{webhookId}";
const ROTATE: &str = "/v1/notifications/webhooks/{webhookId}/rotate-secret";
const TEST: &str = "/v1/notifications/webhooks/{webhookId}/test";
const DELIVERIES: &str = "/v1/notifications/webhooks/{webhookId}/deliveries";
/// The endpoint a POST made, for the routes it leads to.
const NEW_WEBHOOK: &[(&str, &str)] = &[("webhookId", "$response.body#/webhookId")];

#[derive(Clone)]
pub struct AppState {
    store: Store,
    /// The webhook dispatcher's queue: tests and redeliveries are sent through it.
    queue: SqsQueue<WebhookWork>,
    /// Seals endpoint secrets: KMS in AWS, the local key file under `make dev`.
    wrapper: Arc<dyn KeyWrapper>,
    urls: UrlPolicy,
}

/// The body format of this group's errors (docs/api.md §2), for its edge and its OpenAPI
/// document.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat::A;

/// The function as deployed, from its settings: `main` and the tests both build it here.
pub async fn app(settings: &Settings, aws: &Clients) -> Result<Router, Error> {
    let state = AppState {
        store: Store::from_settings(aws, settings)?,
        queue: SqsQueue::from_settings(aws, settings)?,
        wrapper: payments_aws::kms::key_wrapper(aws, settings)?,
        urls: UrlPolicy {
            allow_loopback: settings.flag(ALLOW_LOOPBACK_WEBHOOKS),
        },
    };
    let edge = Edge::from_settings(ERROR_FORMAT, settings, &state.store)?;
    Ok(api().into_router(state, edge))
}

/// Every route of the function, with its roles.
pub fn api() -> Api<AppState> {
    Api::new()
        .route(Method::POST, WEBHOOKS, ADMIN, create)
        .takes::<bodies::EndpointRequest>()
        .answers::<bodies::CreatedEndpoint>(StatusCode::CREATED)
        .leads_to("GET", WEBHOOK, NEW_WEBHOOK)
        .leads_to("PUT", WEBHOOK, NEW_WEBHOOK)
        .leads_to("DELETE", WEBHOOK, NEW_WEBHOOK)
        .leads_to("POST", ROTATE, NEW_WEBHOOK)
        .leads_to("POST", TEST, NEW_WEBHOOK)
        .leads_to("GET", DELIVERIES, NEW_WEBHOOK)
        .route(Method::GET, WEBHOOKS, ADMIN, list)
        .answers::<bodies::EndpointList>(StatusCode::OK)
        .route(Method::GET, WEBHOOK, ADMIN, get)
        .answers::<bodies::Endpoint>(StatusCode::OK)
        .route(Method::PUT, WEBHOOK, ADMIN, replace)
        .takes::<bodies::EndpointReplacement>()
        .answers::<bodies::Endpoint>(StatusCode::OK)
        .route(Method::DELETE, WEBHOOK, ADMIN, delete)
        .answers_empty(StatusCode::NO_CONTENT)
        .route(Method::POST, ROTATE, ADMIN, rotate_secret)
        .answers::<bodies::RotatedSecret>(StatusCode::OK)
        .route(Method::POST, TEST, ADMIN, send_test)
        .answers_empty(StatusCode::ACCEPTED)
        .route(Method::GET, DELIVERIES, ADMIN, deliveries)
        .answers::<bodies::DeliveryLog>(StatusCode::OK)
        .route(
            Method::POST,
            "/v1/notifications/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
            ADMIN,
            redeliver,
        )
        .answers_empty(StatusCode::ACCEPTED)
}

fn webhook_id(path: &PathParams) -> Result<WebhookId, ApiError> {
    Ok(WebhookId::parse(path.get("webhookId"))?)
}

async fn create(
    caller: Caller,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let settings = bodies::endpoint_settings(body, app.urls, SettingsFor::Create)?;
    let (endpoint, secret) = notifications::create_endpoint(
        &app.store,
        app.wrapper.as_ref(),
        &caller.scope,
        settings,
        Now::read(),
    )
    .await?;
    let body = bodies::created_body(&endpoint, &secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn list(caller: Caller, State(app): State<AppState>) -> Result<Response, ApiError> {
    let endpoints = app.store.endpoints(&caller.scope).await?;
    Ok(Json(bodies::endpoints_body(&endpoints)).into_response())
}

async fn get(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let endpoint = notifications::endpoint(&app.store, &caller.scope, webhook_id(&path)?).await?;
    Ok(Json(bodies::endpoint_body(&endpoint)).into_response())
}

async fn replace(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = webhook_id(&path)?;
    let settings = bodies::endpoint_settings(body, app.urls, SettingsFor::Replace)?;
    let endpoint =
        notifications::replace_endpoint(&app.store, &caller.scope, id, settings, Now::read())
            .await?;
    Ok(Json(bodies::endpoint_body(&endpoint)).into_response())
}

async fn delete(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    notifications::delete_endpoint(&app.store, &caller.scope, webhook_id(&path)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rotate_secret(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let secret = notifications::rotate_secret(
        &app.store,
        app.wrapper.as_ref(),
        &caller.scope,
        webhook_id(&path)?,
        Now::read(),
    )
    .await?;
    Ok(Json(bodies::secret_body(&secret)).into_response())
}

async fn send_test(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let id = webhook_id(&path)?;
    dispatch::send_test_event(&app.store, &app.queue, &caller.scope, id, Now::read()).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn deliveries(
    caller: Caller,
    path: PathParams,
    RawQuery(query): RawQuery,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let id = webhook_id(&path)?;
    let paging = payments_bodies::paging::paging(query.as_deref())?;
    let deliveries = dispatch::deliveries(&app.store, &caller.scope, id, paging).await?;
    Ok(Json(bodies::deliveries_body(&deliveries)).into_response())
}

async fn redeliver(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let id = webhook_id(&path)?;
    let delivery_id = path.get("deliveryId");
    dispatch::redeliver(
        &app.store,
        &app.queue,
        &caller.scope,
        id,
        delivery_id,
        Now::read(),
    )
    .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
