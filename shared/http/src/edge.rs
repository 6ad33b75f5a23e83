//! What every request passes through before and after its handler: the correlation id, the
//! body size limit, the token verifier, idempotency keys (`idempotent.rs`), one log line, and
//! the rendering of errors.

use super::problem::{ErrorFormat, Problem};
use crate::tokens::TokenVerifier;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use payments_aws::config::{TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_PUBLIC_KEY};
use payments_aws::{Settings, Store};
use payments_domain::error::Error;
use std::sync::Arc;
use tracing::Instrument;

pub const CORRELATION_HEADER: &str = "x-correlation-id";
/// Larger bodies are refused with 413 before any handler sees them.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest client-supplied correlation id echoed back; longer ones are replaced.
const MAX_CORRELATION_ID_LENGTH: usize = 128;

/// Per-function settings of the edge.
#[derive(Clone)]
pub struct Edge {
    pub format: ErrorFormat,
    pub verifier: Arc<TokenVerifier>,
    /// Where idempotency keys are kept.
    pub store: Store,
}

impl Edge {
    /// The edge of a function answering in `format`, verifying tokens with the keys, issuer
    /// and audience of its settings (`TOKEN_PUBLIC_KEY`, `TOKEN_ISSUER`, `TOKEN_AUDIENCE`).
    pub fn from_settings(
        format: ErrorFormat,
        settings: &Settings,
        store: &Store,
    ) -> Result<Edge, Error> {
        let verifier = TokenVerifier::new(
            settings.required(TOKEN_PUBLIC_KEY)?,
            settings.required(TOKEN_ISSUER)?,
            settings.required(TOKEN_AUDIENCE)?,
        )?;
        Ok(Edge {
            format,
            verifier: Arc::new(verifier),
            store: store.clone(),
        })
    }
}

/// The request's correlation id, readable by handlers and logged on every line.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

/// The ids Lambda and API Gateway gave the request, when it came through them.
struct RequestIds {
    lambda: Option<String>,
    gateway: Option<String>,
}

fn request_ids(request: &Request) -> RequestIds {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let gateway = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    RequestIds {
        lambda: request
            .lambda_context_ref()
            .map(|context| context.request_id.clone()),
        gateway,
    }
}

/// The client's `x-correlation-id` when it is usable, else API Gateway's request id (so a
/// gateway access log line and the function's lines share it), else a new UUID.
fn correlation_id(request: &Request, gateway_request_id: Option<&str>) -> String {
    request
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_CORRELATION_ID_LENGTH
                && id.chars().all(|c| c.is_ascii_graphic())
        })
        .map(str::to_owned)
        .or_else(|| gateway_request_id.map(str::to_owned))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

pub(crate) async fn edge(State(edge): State<Edge>, request: Request, next: Next) -> Response {
    let ids = request_ids(&request);
    let correlation = correlation_id(&request, ids.gateway.as_deref());
    let span = tracing::info_span!(
        "request",
        correlation_id = %correlation,
        lambda_request_id = tracing::field::Empty,
        api_request_id = tracing::field::Empty,
    );
    if let Some(id) = &ids.lambda {
        span.record("lambda_request_id", id.as_str());
    }
    if let Some(id) = &ids.gateway {
        span.record("api_request_id", id.as_str());
    }
    let handled = async move {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let started = std::time::Instant::now();

        let (mut parts, body) = request.into_parts();
        let mut response = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Err(_) => Problem::PayloadTooLarge.into_response_marker(),
            Ok(bytes) => {
                parts.extensions.insert(CorrelationId(correlation.clone()));
                parts.extensions.insert(edge.verifier.clone());
                parts.extensions.insert(edge.store.clone());
                next.run(Request::from_parts(parts, Body::from(bytes)))
                    .await
            }
        };

        let held = response
            .extensions_mut()
            .remove::<crate::idempotent::Held>();
        if let Some(problem) = response.extensions_mut().remove::<Problem>() {
            let status = response.status();
            let body = problem.render(edge.format, &correlation, &path);
            response = (status, axum::Json(body)).into_response();
        }
        let mut response = crate::idempotent::keep_answer(held, response).await;
        if let Ok(value) = HeaderValue::from_str(&correlation) {
            response.headers_mut().insert(CORRELATION_HEADER, value);
        }
        if !response.headers().contains_key(header::CONTENT_TYPE)
            && response.status().as_u16() >= 400
        {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        tracing::info!(
            %method,
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request handled"
        );
        payments_aws::metrics::flush();
        response
    }
    .instrument(span);
    // Each data key the request needs is read once, however many items it seals or opens.
    payments_domain::shredding::one_call(handled).await
}

pub(crate) async fn route_not_found() -> Response {
    Problem::RouteNotFound.into_response_marker()
}

pub(crate) async fn method_not_allowed() -> Response {
    Problem::MethodNotAllowed.into_response_marker()
}
