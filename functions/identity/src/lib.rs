//! Identity (API.md section 4): an API key's HMAC-signed request exchanged for an access token,
//! and the public keys that verify access tokens, as JWKS and OpenID discovery for API
//! Gateway's JWT authorizer.

mod config;
mod kms;

pub use config::{key_wrapper, load_signing_keys, signing_keys, KeySource};
pub use kms::KmsKeyWrapper;

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use bytes::Bytes;
use payments_core::error::Error;
use payments_core::http::{absolute_url, Api, Edge};
use payments_core::identity::{SigningKeys, TokenExchange};
use serde_json::json;
use std::sync::Arc;

const JWKS: &str = "/.well-known/jwks.json";

#[derive(Clone)]
pub struct AppState {
    pub exchange: TokenExchange,
    pub signing: Arc<SigningKeys>,
    /// The `iss` of issued tokens.
    pub issuer: String,
    /// The API's public base URL, when configured (else `Host` and `X-Forwarded-Proto`).
    pub public_base_url: Option<String>,
}

/// Every route of the function. None carries the bearer-token guard: the first is how a token
/// is obtained, the others publish what verifies it.
pub fn api() -> Api<AppState> {
    Api::new()
        .unguarded_route(Method::POST, "/v2/identity/hmac", exchange_api_key)
        .unguarded_route(Method::GET, JWKS, jwks)
        .unguarded_route(
            Method::GET,
            "/.well-known/openid-configuration",
            openid_configuration,
        )
}

pub fn router(state: AppState, edge: Edge) -> Router {
    api().into_router(state, edge)
}

/// 201 `{accessToken, expires}`; 401 for any failed check.
async fn exchange_api_key(
    headers: HeaderMap,
    State(app): State<AppState>,
    body: Bytes,
) -> Result<Response, Error> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let issued = app
        .exchange
        .exchange(authorization, &body, chrono::Utc::now().timestamp())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "accessToken": issued.access_token, "expires": issued.expires })),
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

/// What a JWT authorizer reads at `{issuer}/.well-known/openid-configuration`.
async fn openid_configuration(headers: HeaderMap, State(app): State<AppState>) -> Response {
    Json(json!({
        "issuer": app.issuer,
        "jwks_uri": absolute_url(app.public_base_url.as_deref(), &headers, JWKS),
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
    .into_response()
}
