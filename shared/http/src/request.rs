//! Reading a request's path parameters and JSON body, so a bad request gets a 400 naming its
//! problem and never a 500. What the body means is read by `payments-bodies`.

use crate::problem::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use payments_domain::error::{Error, ErrorCode, Violation};
use serde_json::Value;
use std::collections::HashMap;

/// Path parameters as raw strings; each handler parses the ones it needs into domain types.
pub struct PathParams(HashMap<String, String>);

impl PathParams {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(params)| PathParams(params))
            .map_err(|_| Violation::new(ErrorCode::PATH_PARAMETER_IS_INVALID).into())
    }
}

/// A request body parsed as JSON; `None` when the request has none. JSON that does not parse
/// is `BODY_IS_INVALID`, with where it went wrong.
pub struct JsonBody(pub Option<Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        // The edge has already buffered the body and enforced its size limit.
        let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .map_err(|e| Error::internal("reading the buffered body", e))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(None));
        }
        serde_json::from_slice(&bytes)
            .map(|value| JsonBody(Some(value)))
            .map_err(|e| {
                Violation::new(ErrorCode::BODY_IS_INVALID)
                    .with("line", e.line())
                    .with("column", e.column())
                    .into()
            })
    }
}
