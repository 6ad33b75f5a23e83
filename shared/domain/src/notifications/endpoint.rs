//! A tenant's webhook endpoint: where to send which events, and the secrets that sign them.
//! Secrets are stored sealed (`identity::envelope`) and shown once; after a rotation the old
//! secret keeps signing for [`ROTATION_OVERLAP_MS`], so a receiver can switch without missing
//! a delivery. An endpoint whose every attempt has failed for [`DISABLE_AFTER_MS`] is
//! disabled, so a dead receiver stops costing attempts until its tenant enables it again.

use super::event_types::EventFilter;
use crate::error::Error;
use crate::identity::Sealed;
use crate::ids::{TenantScope, WebhookId};
use crate::versioned::Versioned;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// How long a rotated-out secret keeps signing: 24 hours.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 60 * 60 * 1000;

/// How long an endpoint may fail every attempt before it is disabled: 5 days.
pub const DISABLE_AFTER_MS: i64 = 5 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndpointStatus {
    Enabled,
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Enabled => "ENABLED",
            EndpointStatus::Disabled => "DISABLED",
        }
    }

    pub fn parse(text: &str) -> Option<EndpointStatus> {
        [EndpointStatus::Enabled, EndpointStatus::Disabled]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// One signing secret, sealed, and when it stops signing (`None`: the current one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningSecret {
    pub sealed: Sealed,
    pub created: i64,
    pub retires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub webhook_id: WebhookId,
    pub url: String,
    pub events: EventFilter,
    pub description: Option<String>,
    pub status: EndpointStatus,
    pub created: i64,
    pub last_updated: i64,
    /// The current secret first, then any rotated out less than a day ago.
    pub secrets: Vec<SigningSecret>,
    /// When the endpoint's current run of failed attempts began; `None` after a 2xx.
    #[serde(default)]
    pub failing_since: Option<i64>,
    pub version: u64,
}

impl Versioned for WebhookEndpoint {
    type Version = u64;

    fn version(&self) -> u64 {
        self.version
    }
}

/// What a tenant sets on an endpoint (POST, and PUT in full).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSettings {
    pub url: String,
    pub events: EventFilter,
    pub description: Option<String>,
    /// `None` on creation: an endpoint starts `ENABLED`.
    pub status: Option<EndpointStatus>,
}

/// The context a secret is sealed under: it opens for this endpoint of this tenant only.
pub fn secret_context(scope: &TenantScope, webhook_id: WebhookId) -> String {
    format!("{}/{}/webhook/{webhook_id}", scope.tenant, scope.account)
}

impl WebhookEndpoint {
    pub fn new(
        webhook_id: WebhookId,
        settings: EndpointSettings,
        secret: Sealed,
        now_ms: i64,
    ) -> Self {
        WebhookEndpoint {
            webhook_id,
            url: settings.url,
            events: settings.events,
            description: settings.description,
            status: settings.status.unwrap_or(EndpointStatus::Enabled),
            created: now_ms,
            last_updated: now_ms,
            secrets: vec![SigningSecret {
                sealed: secret,
                created: now_ms,
                retires_at: None,
            }],
            failing_since: None,
            version: 0,
        }
    }

    /// PUT: the settings replace the endpoint's; its secrets stay.
    pub fn replace_settings(&mut self, settings: EndpointSettings, now_ms: i64) {
        self.url = settings.url;
        self.events = settings.events;
        self.description = settings.description;
        if let Some(status) = settings.status {
            if status == EndpointStatus::Enabled {
                // Enabled again by its tenant: the failures before count no more.
                self.failing_since = None;
            }
            self.status = status;
        }
        self.touch(now_ms);
    }

    /// Notes what an attempt at `at_ms` got: a 2xx ends a run of failures; a failure starts
    /// one, or disables the endpoint once the run has lasted [`DISABLE_AFTER_MS`]. `true` when
    /// the endpoint changed and is to be saved.
    pub fn note_attempt(&mut self, delivered: bool, at_ms: i64) -> bool {
        let changed = match (delivered, self.failing_since) {
            (true, None) => false,
            (true, Some(_)) => {
                self.failing_since = None;
                true
            }
            (false, None) => {
                self.failing_since = Some(at_ms);
                true
            }
            (false, Some(since)) => {
                let disable =
                    self.status == EndpointStatus::Enabled && at_ms - since >= DISABLE_AFTER_MS;
                if disable {
                    self.status = EndpointStatus::Disabled;
                }
                disable
            }
        };
        if changed {
            self.version += 1;
        }
        changed
    }

    /// `secret` signs from now on; the secrets before it sign for one more day at most, and
    /// those already past their day are dropped.
    pub fn rotate(&mut self, secret: Sealed, now_ms: i64) {
        let overlap_ends = now_ms + ROTATION_OVERLAP_MS;
        self.secrets
            .retain(|s| s.retires_at.is_none_or(|retires| retires > now_ms));
        for old in &mut self.secrets {
            old.retires_at = Some(old.retires_at.map_or(overlap_ends, |r| r.min(overlap_ends)));
        }
        self.secrets.insert(
            0,
            SigningSecret {
                sealed: secret,
                created: now_ms,
                retires_at: None,
            },
        );
        self.touch(now_ms);
    }

    /// The secrets that sign a delivery made at `now_ms`, current first.
    pub fn signing_secrets(&self, now_ms: i64) -> impl Iterator<Item = &SigningSecret> {
        self.secrets
            .iter()
            .filter(move |s| s.retires_at.is_none_or(|retires| retires > now_ms))
    }

    fn touch(&mut self, now_ms: i64) {
        self.last_updated = now_ms;
        self.version += 1;
    }
}

/// Where a tenant's endpoints are kept.
pub trait WebhookEndpoints: Sync {
    /// Stores a new endpoint; never overwrites one.
    fn insert_endpoint(
        &self,
        scope: &TenantScope,
        endpoint: &WebhookEndpoint,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    fn endpoint(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
    ) -> impl Future<Output = Result<Option<WebhookEndpoint>, Error>> + Send;

    /// Every endpoint of the tenant, oldest first.
    fn endpoints(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Vec<WebhookEndpoint>, Error>> + Send;

    /// Saves a changed endpoint if it still has the version it was read at.
    fn save_endpoint(
        &self,
        scope: &TenantScope,
        endpoint: &WebhookEndpoint,
        read_version: u64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Deletes the endpoint; `false` when there was none.
    fn delete_endpoint(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(name: &str) -> Sealed {
        Sealed {
            ciphertext: name.into(),
            nonce: String::new(),
            wrapped_key: String::new(),
        }
    }

    fn names(endpoint: &WebhookEndpoint, now_ms: i64) -> Vec<&str> {
        endpoint
            .signing_secrets(now_ms)
            .map(|s| s.sealed.ciphertext.as_str())
            .collect()
    }

    fn settings(status: Option<EndpointStatus>) -> EndpointSettings {
        EndpointSettings {
            url: "https://example.com/".into(),
            events: EventFilter::All,
            description: None,
            status,
        }
    }

    #[test]
    fn five_days_of_failures_disable_an_endpoint_and_a_2xx_forgives_them() {
        let mut endpoint =
            WebhookEndpoint::new(WebhookId::new_random(), settings(None), sealed("s"), 0);
        assert!(!endpoint.note_attempt(true, 10), "nothing to forgive");
        assert!(
            endpoint.note_attempt(false, 100),
            "a run of failures starts"
        );
        assert!(!endpoint.note_attempt(false, 100 + DISABLE_AFTER_MS - 1));
        assert!(endpoint.note_attempt(true, 200), "a 2xx ends the run");
        assert_eq!(endpoint.failing_since, None);
        assert!(endpoint.note_attempt(false, 1_000));
        assert!(endpoint.note_attempt(false, 1_000 + DISABLE_AFTER_MS));
        assert_eq!(endpoint.status, EndpointStatus::Disabled);
        assert!(
            !endpoint.note_attempt(false, 2_000 + DISABLE_AFTER_MS),
            "disabled once"
        );
        endpoint.replace_settings(settings(Some(EndpointStatus::Enabled)), 3_000);
        assert_eq!(endpoint.status, EndpointStatus::Enabled);
        assert_eq!(endpoint.failing_since, None, "enabled again: a fresh start");
    }

    #[test]
    fn a_rotated_out_secret_signs_for_one_more_day() {
        let mut endpoint =
            WebhookEndpoint::new(WebhookId::new_random(), settings(None), sealed("first"), 0);
        assert_eq!(endpoint.status, EndpointStatus::Enabled);
        endpoint.rotate(sealed("second"), 1_000);
        assert_eq!(names(&endpoint, 1_000), ["second", "first"]);
        assert_eq!(
            names(&endpoint, 1_000 + ROTATION_OVERLAP_MS - 1),
            ["second", "first"]
        );
        assert_eq!(names(&endpoint, 1_000 + ROTATION_OVERLAP_MS), ["second"]);
        // Rotating again within the day does not extend the first secret's day.
        endpoint.rotate(sealed("third"), 5_000);
        assert_eq!(names(&endpoint, 5_000), ["third", "second", "first"]);
        assert_eq!(
            names(&endpoint, 1_000 + ROTATION_OVERLAP_MS),
            ["third", "second"]
        );
        // A rotation after the day drops what retired.
        endpoint.rotate(sealed("fourth"), 2 * ROTATION_OVERLAP_MS);
        assert_eq!(endpoint.secrets.len(), 2);
        assert_eq!(endpoint.version, 3);
    }
}
