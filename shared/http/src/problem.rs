//! Renders an `Error` in the group's body format (A or B) or, for protocol-level refusals,
//! format C (docs/api.md §2). This is the only place errors become status codes, and where an
//! internal error is logged, once, with its causes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use payments_domain::error::{AccessDenied, AuthFailure, Chain, Error, ErrorCode, Violation};
use serde_json::{json, Value};

/// The body format of an endpoint group's 400/404/500 answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// Order management, customer vault, wallet, rewards.
    A,
    /// Mandates and creditor profiles.
    B,
}

/// What went wrong, kept in a response's extensions until the edge renders it with the
/// request's correlation id and path.
#[derive(Debug, Clone)]
pub(crate) enum Problem {
    Invalid(Vec<Violation>),
    NotFound(Violation),
    Conflict(Violation),
    Unprocessable(Violation),
    Unauthenticated(AuthFailure),
    Forbidden(AccessDenied),
    RouteNotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    Internal,
}

impl Problem {
    fn status(&self) -> StatusCode {
        match self {
            Problem::Invalid(_) => StatusCode::BAD_REQUEST,
            Problem::NotFound(_) | Problem::RouteNotFound => StatusCode::NOT_FOUND,
            Problem::Conflict(_) => StatusCode::CONFLICT,
            Problem::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Problem::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Problem::Forbidden(_) => StatusCode::FORBIDDEN,
            Problem::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Problem::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Problem::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Format C's `detail`, for the refusals that use it.
    fn protocol_detail(&self) -> Option<&'static str> {
        Some(match self {
            Problem::Unauthenticated(AuthFailure::MissingToken) => "Missing bearer token",
            Problem::Unauthenticated(AuthFailure::InvalidToken) => "Invalid token",
            Problem::Unauthenticated(AuthFailure::ExpiredToken) => "Token expired",
            Problem::Unauthenticated(AuthFailure::InvalidApiKey) => "Invalid API key signature",
            Problem::Unauthenticated(AuthFailure::InvalidWebhook) => {
                "Invalid webhook signature or timestamp"
            }
            Problem::Forbidden(AccessDenied::MissingRole) => {
                "The token holds none of the roles this route requires"
            }
            Problem::Forbidden(AccessDenied::ScopeMismatch) => {
                "The x-tenant-id and x-account-id headers do not match the token"
            }
            Problem::RouteNotFound => "No route matches this path",
            Problem::MethodNotAllowed => "The route does not accept this method",
            Problem::PayloadTooLarge => "The request body exceeds 256 KiB",
            Problem::Invalid(_)
            | Problem::NotFound(_)
            | Problem::Conflict(_)
            | Problem::Unprocessable(_)
            | Problem::Internal => return None,
        })
    }

    pub(crate) fn into_response_marker(self) -> Response {
        let status = self.status();
        let mut response = status.into_response();
        response.extensions_mut().insert(self);
        response
    }

    pub(crate) fn render(&self, format: ErrorFormat, correlation_id: &str, path: &str) -> Value {
        let status = self.status();
        let now = chrono::Utc::now();
        let iso_now = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let Some(detail) = self.protocol_detail() {
            return json!({
                "status": status.as_u16(),
                "title": status.canonical_reason().unwrap_or("Error"),
                "detail": detail,
                "instance": path,
                "trace": { "timestamp": iso_now, "requestId": correlation_id },
            });
        }
        let violations = match self {
            Problem::Invalid(all) => all.clone(),
            Problem::NotFound(one) | Problem::Conflict(one) | Problem::Unprocessable(one) => {
                vec![one.clone()]
            }
            _ => vec![Violation::new(ErrorCode::INTERNAL_ERROR)],
        };
        match format {
            ErrorFormat::A => json!({
                "timestamp": now.timestamp_millis(),
                "correlationId": correlation_id,
                "errors": violations.iter().map(|v| json!({
                    "errorCode": v.code.as_str(),
                    "message": v.message(),
                    "messageTemplate": v.code.template(),
                    "metadata": v.params.expose(),
                })).collect::<Vec<_>>(),
            }),
            ErrorFormat::B => {
                let title = match status {
                    StatusCode::BAD_REQUEST => "BAD_REQUEST",
                    StatusCode::NOT_FOUND => "NOT_FOUND",
                    StatusCode::CONFLICT => "CONFLICT",
                    StatusCode::UNPROCESSABLE_ENTITY => "UNPROCESSABLE_ENTITY",
                    _ => "INTERNAL_SERVER_ERROR",
                };
                json!({
                    "title": title,
                    "detail": "See validation errors.",
                    "timestamp": iso_now,
                    "correlationId": correlation_id,
                    "status": status.as_u16(),
                    "traceId": correlation_id,
                    "errors": violations.iter().map(|v| {
                        let message = v.message();
                        json!({
                            "title": v.code.as_str(),
                            "detail": message,
                            "metadata": {
                                "PropertyName": v.property,
                                "AttemptedValue": v.attempted.as_ref().map_or("null", |value| value.expose().as_str()),
                                "ErrorMessage": message,
                            },
                        })
                    }).collect::<Vec<_>>(),
                })
            }
        }
    }
}

/// What a handler fails with: a domain error, which becomes an answer only here.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError(error)
    }
}

impl From<Vec<Violation>> for ApiError {
    fn from(violations: Vec<Violation>) -> Self {
        ApiError(Error::Invalid(violations))
    }
}

impl From<Violation> for ApiError {
    fn from(violation: Violation) -> Self {
        ApiError(Error::invalid(violation))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = match self.0 {
            Error::Invalid(violations) => Problem::Invalid(violations),
            Error::NotFound(violation) => Problem::NotFound(violation),
            Error::Conflict(violation) => Problem::Conflict(*violation),
            Error::Unprocessable(violation) => Problem::Unprocessable(*violation),
            Error::Unauthenticated(why) => Problem::Unauthenticated(why),
            Error::Forbidden(why) => Problem::Forbidden(why),
            Error::UnknownRoute => Problem::RouteNotFound,
            Error::Internal(internal) => {
                tracing::error!(error = %Chain(&internal), "request failed");
                Problem::Internal
            }
        };
        problem.into_response_marker()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_a_matches_the_published_shape() {
        let problem = Problem::Invalid(vec![
            Violation::new(ErrorCode::REASON_LENGTH_OUT_OF_RANGE).with("maxLength", 100)
        ]);
        let body = problem.render(ErrorFormat::A, "corr-1", "/v1/x");
        assert_eq!(body["correlationId"], "corr-1");
        assert!(body["timestamp"].is_i64());
        assert_eq!(
            body["errors"][0],
            json!({
                "errorCode": "REASON_LENGTH_OUT_OF_RANGE",
                "message": "Reason exceeds the maximum length 100.",
                "messageTemplate": "Reason exceeds the maximum length {MaxLength}.",
                "metadata": { "maxLength": 100 },
            })
        );
    }

    #[test]
    fn format_b_matches_the_published_shape() {
        let problem = Problem::Invalid(vec![
            Violation::new(ErrorCode::IBAN_IS_REQUIRED).on_property("Iban", None)
        ]);
        let body = problem.render(ErrorFormat::B, "corr-2", "/v2/mandates/sepa");
        assert_eq!(body["title"], "BAD_REQUEST");
        assert_eq!(body["status"], 400);
        assert_eq!(body["traceId"], "corr-2");
        assert_eq!(body["errors"][0]["title"], "IBAN_IS_REQUIRED");
        assert_eq!(
            body["errors"][0]["metadata"],
            json!({ "PropertyName": "Iban", "AttemptedValue": "null", "ErrorMessage": "Iban is required." })
        );
        assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn protocol_refusals_use_format_c_in_every_group() {
        for format in [ErrorFormat::A, ErrorFormat::B] {
            let body =
                Problem::Unauthenticated(AuthFailure::InvalidToken).render(format, "c", "/p");
            assert_eq!(
                body.as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>()),
                Some(vec![
                    "status".into(),
                    "title".into(),
                    "detail".into(),
                    "instance".into(),
                    "trace".into()
                ])
            );
            assert_eq!(body["status"], 401);
            assert_eq!(body["title"], "Unauthorized");
            assert_eq!(body["detail"], "Invalid token");
            assert_eq!(body["instance"], "/p");
            assert_eq!(body["trace"]["requestId"], "c");
        }
    }

    #[test]
    fn internal_errors_say_nothing_of_their_cause() {
        let cause = std::io::Error::other("ResourceNotFoundException: table t");
        let response = ApiError(Error::internal("DynamoDB GetItem", cause)).into_response();
        let problem = response.extensions().get::<Problem>().cloned();
        let body = problem.map(|p| p.render(ErrorFormat::A, "c", "/p").to_string());
        assert!(body
            .as_deref()
            .is_some_and(|b| b.contains("INTERNAL_ERROR") && !b.contains("table")));
    }
}
