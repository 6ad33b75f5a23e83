//! The HMAC scheme of docs/api.md §4. A client signs
//! `"{publicKey}:{nonce}:{epochSeconds}:{base64(SHA-256(body))}"` (an empty hash part when
//! there is no body) with HMAC-SHA256 keyed by its base64-decoded private key, and sends
//! `Authorization: Hmac {publicKey}:{nonce}:{epochSeconds}:{base64(signature)}`.

use crate::secret::Secret;
use aws_lc_rs::{digest, hmac};
use base64::Engine;

/// How far a request's timestamp may be from now, either way.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;
/// Longest nonce accepted.
pub const MAX_NONCE_LENGTH: usize = 64;

fn engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// A parsed `Authorization: Hmac …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacAuthorization {
    pub public_key: String,
    pub nonce: String,
    pub timestamp: i64,
    pub signature: Secret<Vec<u8>>,
}

fn is_token_text(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl HmacAuthorization {
    /// `None` for anything that is not exactly the documented header.
    pub fn parse(header: &str) -> Option<HmacAuthorization> {
        let (scheme, credentials) = header.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("hmac") {
            return None;
        }
        let mut parts = credentials.trim().split(':');
        let (public_key, nonce, timestamp, signature) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some()
            || !is_token_text(public_key, 64)
            || !is_token_text(nonce, MAX_NONCE_LENGTH)
        {
            return None;
        }
        Some(HmacAuthorization {
            public_key: public_key.to_owned(),
            nonce: nonce.to_owned(),
            timestamp: timestamp.parse().ok()?,
            signature: Secret::new(engine().decode(signature).ok()?),
        })
    }

    /// Whether the timestamp is within the allowed skew of `now` (epoch seconds).
    pub fn is_fresh(&self, now_seconds: i64) -> bool {
        (now_seconds - self.timestamp).abs() <= MAX_CLOCK_SKEW_SECONDS
    }
}

/// The text a client signs.
pub fn string_to_sign(public_key: &str, nonce: &str, timestamp: i64, body: &[u8]) -> String {
    let body_hash = if body.is_empty() {
        String::new()
    } else {
        engine().encode(digest::digest(&digest::SHA256, body))
    };
    format!("{public_key}:{nonce}:{timestamp}:{body_hash}")
}

/// The base64 signature of `message` under the raw private key.
pub fn sign(private_key: &[u8], message: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, private_key);
    engine().encode(hmac::sign(&key, message.as_bytes()))
}

/// Constant-time check of a signature.
pub fn verify(private_key: &[u8], message: &str, signature: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, private_key);
    hmac::verify(&key, message.as_bytes(), signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_read_exactly() {
        let parsed = HmacAuthorization::parse("Hmac pk1:n-1:1700000000:c2ln").unwrap();
        assert_eq!(parsed.public_key, "pk1");
        assert_eq!(parsed.nonce, "n-1");
        assert_eq!(parsed.timestamp, 1_700_000_000);
        assert_eq!(parsed.signature.expose(), b"sig");
        for bad in [
            "Bearer pk1:n:1:c2ln",
            "Hmac pk1:n:1",
            "Hmac pk1:n:1:c2ln:extra",
            "Hmac pk1:n:soon:c2ln",
            "Hmac pk1:n:1:not base64!",
            "Hmac :n:1:c2ln",
            "Hmac pk1:n n:1:c2ln",
        ] {
            assert!(HmacAuthorization::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn freshness_allows_five_minutes_either_way() {
        let at = |timestamp| HmacAuthorization {
            public_key: "pk".into(),
            nonce: "n".into(),
            timestamp,
            signature: Secret::new(vec![]),
        };
        assert!(at(1000).is_fresh(1300));
        assert!(at(1300).is_fresh(1000));
        assert!(!at(1000).is_fresh(1301));
        assert!(!at(1301).is_fresh(1000));
    }

    #[test]
    fn signatures_verify_only_for_their_key_and_message() {
        let message = string_to_sign("pk", "n", 1, b"{}");
        let signature = sign(b"key", &message);
        let bytes = engine().decode(&signature).unwrap();
        assert!(verify(b"key", &message, &bytes));
        assert!(!verify(b"other", &message, &bytes));
        assert!(!verify(
            b"key",
            &string_to_sign("pk", "n", 2, b"{}"),
            &bytes
        ));
        assert_eq!(string_to_sign("pk", "n", 1, b""), "pk:n:1:");
    }
}
