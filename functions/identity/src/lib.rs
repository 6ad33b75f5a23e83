//! Identity (docs/api.md §4): an API key's HMAC-signed request exchanged for an access token,
//! the public keys that verify access tokens, as JWKS and OpenID discovery for API Gateway's
//! JWT authorizer, and the API's OpenAPI document, which a client reads before it has a token.

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use bytes::Bytes;
use payments_aws::config::{PUBLIC_BASE_URL, TOKEN_AUDIENCE, TOKEN_ISSUER};
use payments_aws::{secrets, Clients, Settings, Store};
use payments_domain::error::Error;
use payments_domain::identity::{exchange_api_key, KeyWrapper};
use payments_domain::Now;
use payments_http::{absolute_url, Api, ApiError, Edge, ErrorFormat, Jwks, SigningKeys};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

const JWKS: &str = "/.well-known/jwks.json";

/// `docs/openapi.json`, which a test holds equal to what the route tables generate.
const OPENAPI_DOCUMENT: &str = include_str!("../../../docs/openapi.json");

#[derive(Clone)]
pub struct AppState {
    store: Store,
    wrapper: Arc<dyn KeyWrapper>,
    signing: Arc<SigningKeys>,
    /// The `iss` of issued tokens.
    issuer: String,
    /// The API's public base URL, when configured (else `Host` and `X-Forwarded-Proto`).
    public_base_url: Option<String>,
}

/// The body format of this group's errors (docs/api.md §2), for its edge and its OpenAPI
/// document.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat::A;

/// The function as deployed, from its settings: the signing keys (configured, or from Secrets
/// Manager) and the key wrapper (KMS, or the local key file). `main` and the tests both build
/// it here.
pub async fn app(settings: &Settings, aws: &Clients) -> Result<Router, Error> {
    let issuer = settings.required(TOKEN_ISSUER)?.to_owned();
    let audience = settings.required(TOKEN_AUDIENCE)?;
    let keys = secrets::signing_keys(aws, settings).await?;
    let state = AppState {
        store: Store::from_settings(aws, settings)?,
        wrapper: payments_aws::kms::key_wrapper(aws, settings)?,
        signing: Arc::new(SigningKeys::parse(&keys, &issuer, audience)?),
        issuer,
        public_base_url: settings.optional(PUBLIC_BASE_URL).map(str::to_owned),
    };
    let edge = Edge::from_settings(ERROR_FORMAT, settings, &state.store)?;
    Ok(api().into_router(state, edge))
}

/// Every route of the function. None carries the bearer-token guard: the first is how a token
/// is obtained, the next two publish what verifies it, the last what the API is.
pub fn api() -> Api<AppState> {
    Api::new()
        .signed_route(Method::POST, "/v2/identity/hmac", exchange)
        .answers::<AccessToken>(StatusCode::CREATED)
        .unguarded_route(Method::GET, JWKS, jwks)
        .answers::<Jwks>(StatusCode::OK)
        .unguarded_route(
            Method::GET,
            "/.well-known/openid-configuration",
            openid_configuration,
        )
        .answers::<OpenIdConfiguration>(StatusCode::OK)
        .unguarded_route(Method::GET, "/openapi.json", openapi_document)
        .answers::<OpenApiDocument>(StatusCode::OK)
}

/// An access token and when it expires (epoch milliseconds).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessToken {
    access_token: String,
    expires: i64,
}

/// OpenID discovery, as much of it as a JWT authorizer reads.
#[derive(Serialize, ToSchema)]
pub struct OpenIdConfiguration {
    issuer: String,
    jwks_uri: String,
    id_token_signing_alg_values_supported: [&'static str; 1],
}

/// This document, as a JSON object.
pub struct OpenApiDocument;

impl utoipa::PartialSchema for OpenApiDocument {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .description(Some("An OpenAPI 3.1 document."))
            .into()
    }
}

impl ToSchema for OpenApiDocument {}

/// 201 `{accessToken, expires}`; 401 for any failed check.
async fn exchange(
    headers: HeaderMap,
    State(app): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let issued = exchange_api_key(
        &app.store,
        app.wrapper.as_ref(),
        app.signing.as_ref(),
        authorization,
        &body,
        Now::read(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccessToken {
            access_token: issued.access_token,
            expires: issued.expires,
        }),
    )
        .into_response())
}

async fn jwks(State(app): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, "max-age=300")],
        Json(app.signing.jwks().clone()),
    )
        .into_response()
}

async fn openapi_document() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        OPENAPI_DOCUMENT,
    )
        .into_response()
}

/// What a JWT authorizer reads at `{issuer}/.well-known/openid-configuration`.
async fn openid_configuration(headers: HeaderMap, State(app): State<AppState>) -> Response {
    Json(OpenIdConfiguration {
        issuer: app.issuer,
        jwks_uri: absolute_url(app.public_base_url.as_deref(), &headers, JWKS),
        id_token_signing_alg_values_supported: ["ES256"],
    })
    .into_response()
}
