//! The Standard Webhooks scheme SANDBOX signs with (docs/api.md §8), and so do the service's
//! own webhooks to tenants (§9): headers `webhook-id`,
//! `webhook-timestamp` (epoch seconds) and `webhook-signature`, a space-separated list of
//! `v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`, any one of which may match; the
//! key is the app's secret, `whsec_` + base64 of its bytes.

use crate::error::Error;
use crate::secret::Secret;
use aws_lc_rs::hmac;
use base64::Engine;

/// How far a webhook's timestamp may be from now, either way.
pub const WEBHOOK_TOLERANCE_SECONDS: i64 = 300;
const SECRET_PREFIX: &str = "whsec_";

pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

fn engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The three headers, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Why a webhook was not accepted as its provider's. Which check failed is logged, not told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MissingHeader,
    StaleTimestamp,
    BadSignature,
}

/// An app's webhook secret.
#[derive(Debug)]
pub struct WebhookSecret(Secret<Vec<u8>>);

impl WebhookSecret {
    /// Base64 of at least 24 bytes, after `whsec_` (which may be left out).
    pub fn parse(text: &str) -> Result<WebhookSecret, Error> {
        let text = text.trim();
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let bytes = engine()
            .decode(encoded)
            .ok()
            .filter(|bytes| bytes.len() >= 24)
            .ok_or_else(|| {
                Error::bug("a webhook secret is not whsec_ and base64 of at least 24 bytes")
            })?;
        Ok(WebhookSecret(Secret::new(bytes)))
    }

    /// A fresh secret of 32 random bytes, in its text form.
    pub fn generate() -> Result<String, Error> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| Error::bug("no randomness for a webhook secret"))?;
        Ok(format!("{SECRET_PREFIX}{}", engine().encode(bytes)))
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.0.expose())
    }

    fn signed_content(id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        let mut content = format!("{id}.{timestamp}.").into_bytes();
        content.extend_from_slice(body);
        content
    }

    /// The `webhook-signature` header value for a body sent as `id` at `timestamp`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = hmac::sign(&self.key(), &Self::signed_content(id, timestamp, body));
        format!("v1,{}", engine().encode(tag))
    }

    /// Accepts a webhook signed with this secret within the tolerance of `now_seconds`; the
    /// comparison is constant-time.
    pub fn verify(
        &self,
        headers: &WebhookHeaders<'_>,
        body: &[u8],
        now_seconds: i64,
    ) -> Result<(), Refusal> {
        let (Some(id), Some(timestamp), Some(signatures)) =
            (headers.id, headers.timestamp, headers.signature)
        else {
            return Err(Refusal::MissingHeader);
        };
        let timestamp: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| Refusal::StaleTimestamp)?;
        if (now_seconds - timestamp).abs() > WEBHOOK_TOLERANCE_SECONDS {
            return Err(Refusal::StaleTimestamp);
        }
        let content = Self::signed_content(id, timestamp, body);
        let key = self.key();
        let matches = signatures
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| engine().decode(encoded).ok())
            .any(|tag| hmac::verify(&key, &content, &tag).is_ok());
        if matches {
            Ok(())
        } else {
            Err(Refusal::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example: this secret, id, timestamp and body
    /// sign to this signature.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1614265330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(id: &'a str, timestamp: &'a str, signature: &'a str) -> WebhookHeaders<'a> {
        WebhookHeaders {
            id: Some(id),
            timestamp: Some(timestamp),
            signature: Some(signature),
        }
    }

    #[test]
    fn the_specifications_example_signs_and_verifies() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        assert_eq!(
            secret.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.as_bytes()),
            SPEC_SIGNATURE
        );
        let timestamp = SPEC_TIMESTAMP.to_string();
        let received = headers(SPEC_ID, &timestamp, SPEC_SIGNATURE);
        assert_eq!(
            secret.verify(&received, SPEC_BODY.as_bytes(), SPEC_TIMESTAMP + 299),
            Ok(())
        );
        // One valid signature among several suffices.
        let several = format!("v1,bm90IGl0 {SPEC_SIGNATURE} v2,whatever");
        let received = headers(SPEC_ID, &timestamp, &several);
        assert_eq!(
            secret.verify(&received, SPEC_BODY.as_bytes(), SPEC_TIMESTAMP),
            Ok(())
        );
    }

    #[test]
    fn tampering_staleness_and_missing_headers_are_refused() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let timestamp = SPEC_TIMESTAMP.to_string();
        let body = SPEC_BODY.as_bytes();
        let now = SPEC_TIMESTAMP;
        let refused = |received: WebhookHeaders<'_>, body: &[u8], now| {
            secret.verify(&received, body, now).unwrap_err()
        };
        assert_eq!(
            refused(headers(SPEC_ID, &timestamp, SPEC_SIGNATURE), b"{}", now),
            Refusal::BadSignature
        );
        assert_eq!(
            refused(headers("msg_other", &timestamp, SPEC_SIGNATURE), body, now),
            Refusal::BadSignature
        );
        assert_eq!(
            refused(
                headers(SPEC_ID, &timestamp, SPEC_SIGNATURE),
                body,
                now + 301
            ),
            Refusal::StaleTimestamp
        );
        assert_eq!(
            refused(
                headers(SPEC_ID, &timestamp, SPEC_SIGNATURE),
                body,
                now - 301
            ),
            Refusal::StaleTimestamp
        );
        assert_eq!(
            refused(headers(SPEC_ID, "soon", SPEC_SIGNATURE), body, now),
            Refusal::StaleTimestamp
        );
        assert_eq!(
            refused(WebhookHeaders::default(), body, now),
            Refusal::MissingHeader
        );
        let other = WebhookSecret::parse(&WebhookSecret::generate().unwrap()).unwrap();
        let signature = other.sign(SPEC_ID, SPEC_TIMESTAMP, body);
        assert_eq!(
            refused(headers(SPEC_ID, &timestamp, &signature), body, now),
            Refusal::BadSignature
        );
        assert!(WebhookSecret::parse("whsec_c2hvcnQ=").is_err());
        assert!(WebhookSecret::parse("whsec_not base64!").is_err());
        // Without its prefix, as a generated AWS secret is.
        let bare = WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            bare.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.as_bytes()),
            SPEC_SIGNATURE
        );
    }

    #[test]
    fn a_secret_never_shows_in_debug() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        assert!(!format!("{secret:?}").contains("MfKQ"));
    }
}
