//! Where webhooks come from: one source per payment app, which verifies its provider's
//! signature and translates its provider's format (docs/api.md §8). Adding a real provider
//! means adding its source here beside SANDBOX's.

use super::events::ProviderEvent;
use crate::clock::Now;
use crate::error::Violation;
use crate::standard_webhooks::Refusal;

/// A webhook request as the edge received it: header names lowercase.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl<'a> WebhookRequest<'a> {
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(found, _)| found.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

pub trait WebhookSource: Send + Sync {
    /// The app whose route (`/v1/providers/{appId}/webhooks`) this source answers.
    fn app_id(&self) -> &'static str;

    /// Whether the provider sent it, now: checked before anything is stored.
    fn verify(&self, request: &WebhookRequest<'_>, now: Now) -> Result<(), Refusal>;

    /// The provider's own id of this delivery, which a redelivery repeats.
    fn event_id<'a>(&self, request: &WebhookRequest<'a>) -> Option<&'a str>;

    /// The event a verified body reports, or every problem with it.
    fn translate(&self, body: &[u8]) -> Result<ProviderEvent, Vec<Violation>>;
}

/// The webhook sources of a deployment, by app id.
pub struct WebhookSources(Vec<Box<dyn WebhookSource>>);

impl WebhookSources {
    pub fn new(sources: Vec<Box<dyn WebhookSource>>) -> Self {
        WebhookSources(sources)
    }

    pub fn find(&self, app_id: &str) -> Option<&dyn WebhookSource> {
        self.0
            .iter()
            .find(|source| source.app_id() == app_id)
            .map(AsRef::as_ref)
    }
}
