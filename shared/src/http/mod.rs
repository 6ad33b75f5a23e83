//! The HTTP edge shared by every HTTP function.

mod edge;
mod lambda;
mod location;
mod problem;
mod request;
mod routes;

pub use edge::{CorrelationId, Edge, CORRELATION_HEADER, MAX_BODY_BYTES};
pub use lambda::serve;
pub use location::absolute_url;
pub use problem::ErrorFormat;
pub use request::{parse_reason, reason_field, Field, JsonBody, JsonObject, PathParams};
pub use routes::{Api, Caller, RouteSpec, ACCOUNT_HEADER, TENANT_HEADER};

/// A HAL link as the seeds show it: `{href, name}`.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Link {
    pub fn to(href: String) -> Self {
        Link { href, name: None }
    }

    pub fn named(href: String, name: String) -> Self {
        Link {
            href,
            name: Some(name),
        }
    }
}
