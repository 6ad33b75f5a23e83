//! Idempotency keys at the edge (docs/api.md §10): every guarded POST that carries an
//! `Idempotency-Key` claims it before its handler runs, and the edge keeps the answer once it
//! is rendered, so a repeat gets the very same bytes and nothing is done twice.

use crate::problem::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use payments_aws::Store;
use payments_domain::error::Error;
use payments_domain::idempotency::{
    self, Claim, HeldKey, IdempotencyKey, IdempotencyRecords, StoredAnswer, HEADER, REPLAYED_HEADER,
};
use payments_domain::ids::TenantScope;
use payments_domain::shredding::NamedSubject;
use payments_domain::Now;

/// A claimed key, carried on the handler's answer to the edge, which keeps the answer.
#[derive(Clone)]
pub(crate) struct Held {
    store: Store,
    scope: TenantScope,
    claim: HeldKey,
    /// Whose data the answer may quote, as the request's path (or else its body) names it.
    about: Option<NamedSubject>,
}

/// Runs the handler of a guarded POST once per key: a request without the header goes straight
/// through; one with a key claims it, or gets the first answer again, or is refused.
pub(crate) async fn once(scope: TenantScope, request: Request, next: Next) -> Response {
    let Some(value) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    let key = match value
        .to_str()
        .map_err(|_| ())
        .and_then(|text| IdempotencyKey::parse(text).map_err(|_| ()))
    {
        Ok(key) => key,
        Err(()) => return ApiError(invalid_key()).into_response(),
    };
    let Some(store) = request.extensions().get::<Store>().cloned() else {
        return ApiError(Error::bug("an idempotent route reached without the edge"))
            .into_response();
    };
    let (parts, body) = request.into_parts();
    // The edge has already buffered the body and enforced its size limit.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError(Error::internal("reading the buffered body", e)).into_response(),
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string);
    let fingerprint = idempotency::fingerprint(parts.method.as_str(), &target, &bytes);
    let now = Now::read().epoch_ms();
    match idempotency::claim(&store, &scope, &key, &fingerprint, now).await {
        Err(error) => ApiError(error).into_response(),
        Ok(Claim::Replay(answer)) => replay(&answer),
        Ok(Claim::Granted(claim)) => {
            let about = NamedSubject::of_path(&target).or_else(|| NamedSubject::of_body(&bytes));
            let mut response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            response.extensions_mut().insert(Held {
                store,
                scope,
                claim,
                about,
            });
            response
        }
    }
}

fn invalid_key() -> Error {
    match IdempotencyKey::parse("") {
        Err(error) => error,
        Ok(_) => Error::bug("an empty idempotency key was accepted"),
    }
}

/// The first answer, again.
fn replay(answer: &StoredAnswer) -> Response {
    let body = base64::engine::general_purpose::STANDARD
        .decode(&answer.body)
        .unwrap_or_default();
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in [
        (header::CONTENT_TYPE, &answer.content_type),
        (header::LOCATION, &answer.location),
    ] {
        if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    tracing::info!(status = answer.status, "idempotent answer replayed");
    response
}

/// Keeps the rendered answer with its key (a 5xx releases the key instead, so a retry runs
/// again). A failure to keep it is logged: the answer still goes out, and the key stays claimed
/// until its lock runs out.
pub(crate) async fn keep_answer(held: Option<Held>, response: Response) -> Response {
    let Some(held) = held else {
        return response;
    };
    let status = response.status();
    if status.is_server_error() {
        if let Err(error) = held.store.release_key(&held.scope, &held.claim).await {
            tracing::warn!(error = %payments_domain::error::Chain(&error), "releasing an idempotency key failed");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "reading an answer to keep failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let answer = StoredAnswer {
        status: status.as_u16(),
        content_type: header(header::CONTENT_TYPE),
        location: header(header::LOCATION),
        body: base64::engine::general_purpose::STANDARD.encode(&bytes),
    };
    // Sealed under the key of the customer or order the request names, else of what the
    // answer made (a mandate), so forget reaches it (docs/decisions/0019).
    let about = held
        .about
        .clone()
        .or_else(|| answer.location.as_deref().and_then(NamedSubject::of_path));
    let kept = held
        .store
        .keep_answer(
            &held.scope,
            &held.claim,
            &answer,
            about.as_ref().map(NamedSubject::subject),
            Now::read().epoch_ms(),
        )
        .await;
    if let Err(error) = kept {
        tracing::warn!(error = %payments_domain::error::Chain(&error), "keeping an idempotent answer failed");
    }
    Response::from_parts(parts, Body::from(bytes))
}
