//! Providers' webhooks (docs/api.md §8): each app's source verifies and reads its provider's
//! deliveries; they are stored once in the inbox and applied by the event worker through the
//! links from the providers' ids (docs/decisions/0016).

mod apply;
mod events;
mod inbox;
mod receive;
mod sandbox_app;
mod sandbox_sender;
mod sandbox_webhooks;
mod sources;

pub use crate::standard_webhooks::{
    Refusal, WebhookHeaders, WebhookSecret, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    WEBHOOK_TOLERANCE_SECONDS,
};
pub use apply::apply_provider_event;
pub use events::{AppReference, ProviderEvent};
pub use inbox::{ApplyProviderEvent, Inbox, InboxEvent, InboxStatus, MAX_EVENT_ATTEMPTS};
pub use receive::receive_webhook;
pub use sandbox_app::{
    Sandbox, SandboxBook, SandboxEntry, SandboxOutbox, SendSandboxWebhook, FAILING_REWARD_NAME,
    SANDBOX_PENDING_MS,
};
pub use sandbox_sender::{send_sandbox_webhook, WebhookPoster};
pub use sandbox_webhooks::{sandbox_event_body, SandboxWebhooks};
pub use sources::{WebhookRequest, WebhookSource, WebhookSources};
