//! Tenant webhooks (docs/api.md §9): the endpoints a tenant registers to be told of outcomes
//! instead of polling, the events they can subscribe to, and where the service may send them.

mod endpoint;
mod event_types;
mod manage;
mod pending;
mod url_policy;

pub use endpoint::{
    secret_context, EndpointSettings, EndpointStatus, SigningSecret, WebhookEndpoint,
    WebhookEndpoints, DISABLE_AFTER_MS, ROTATION_OVERLAP_MS,
};
pub use event_types::{EventFilter, EventType};
pub(crate) use manage::change_endpoint;
pub use manage::{
    create_endpoint, delete_endpoint, endpoint, replace_endpoint, rotate_secret, webhook_not_found,
};
pub use pending::{PendingEvents, TenantEvent};
pub use url_policy::{address_allowed, EndpointUrl, UrlPolicy, UrlRefusal, MAX_URL_LENGTH};
