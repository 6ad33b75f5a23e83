//! `POST /v2/identity/hmac`: an API key's signed request exchanged for an access token. Every
//! refusal is the same 401 so a caller cannot probe which check failed; the log says which.
//! The checks run cheapest first, and the nonce is spent only once the signature is good, so
//! nobody can burn another client's nonces.

use super::api_keys::{ApiKeys, NONCE_MEMORY_SECONDS};
use super::envelope::{self, KeyWrapper};
use super::hmac::{self, HmacAuthorization};
use crate::clock::Now;
use crate::error::{AuthFailure, Error};
use crate::ids::TenantScope;

/// Lifetime of an issued access token.
pub const TOKEN_TTL_SECONDS: i64 = 3600;

/// `{accessToken, expires}` (`expires` = the token's `exp` in epoch milliseconds).
#[derive(Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires: i64,
}

/// Signs access tokens (the HTTP edge's signing keys).
pub trait TokenIssuer: Sync {
    /// A token for `scope` with `roles`, valid until `expires_seconds` (epoch seconds).
    fn issue(
        &self,
        scope: TenantScope,
        roles: &[&str],
        expires_seconds: i64,
    ) -> Result<String, Error>;
}

fn refused(reason: &'static str) -> Error {
    tracing::info!(reason, "API key exchange refused");
    Error::Unauthenticated(AuthFailure::InvalidApiKey)
}

/// The exchange: the `Authorization` header and the raw body of the request.
pub async fn exchange_api_key(
    keys: &impl ApiKeys,
    wrapper: &dyn KeyWrapper,
    issuer: &impl TokenIssuer,
    authorization: Option<&str>,
    body: &[u8],
    now: Now,
) -> Result<IssuedToken, Error> {
    let now_seconds = now.epoch_seconds();
    let request = authorization
        .and_then(HmacAuthorization::parse)
        .ok_or_else(|| refused("no well-formed Hmac authorization"))?;
    if !request.is_fresh(now_seconds) {
        return Err(refused("timestamp outside the allowed skew"));
    }
    let key = keys
        .api_key(&request.public_key)
        .await?
        .ok_or_else(|| refused("unknown key"))?;
    if !key.enabled {
        return Err(refused("disabled key"));
    }
    let secret = envelope::open(wrapper, &key.private_key, &key.public_key).await?;
    let message =
        hmac::string_to_sign(&request.public_key, &request.nonce, request.timestamp, body);
    if !hmac::verify(&secret, &message, request.signature.expose()) {
        return Err(refused("bad signature"));
    }
    if !keys
        .use_nonce(&key, &request.nonce, now_seconds + NONCE_MEMORY_SECONDS)
        .await?
    {
        return Err(refused("nonce already used"));
    }
    let roles: Vec<&str> = key.roles.iter().map(String::as_str).collect();
    let expires_seconds = now_seconds + TOKEN_TTL_SECONDS;
    let access_token = issuer.issue(key.scope(), &roles, expires_seconds)?;
    tracing::info!(public_key = %key.public_key, "access token issued");
    Ok(IssuedToken {
        access_token,
        expires: expires_seconds * 1000,
    })
}
