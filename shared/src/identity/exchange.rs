//! `POST /v2/identity/hmac`: an API key's signed request exchanged for an access token. Every
//! refusal is the same 401 so a caller cannot probe which check failed; the log says which.
//! The checks run cheapest first, and the nonce is spent only once the signature is good, so
//! nobody can burn another client's nonces.

use super::api_keys::ApiKeyStore;
use super::envelope::{self, KeyWrapper};
use super::hmac::{self, HmacAuthorization};
use super::signing::SigningKeys;
use crate::error::{AuthFailure, Error};
use std::sync::Arc;

/// Lifetime of an issued access token.
pub const TOKEN_TTL_SECONDS: i64 = 3600;

/// `{accessToken, expires}` (`expires` = the token's `exp` in epoch milliseconds).
#[derive(Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires: i64,
}

#[derive(Clone)]
pub struct TokenExchange {
    keys: ApiKeyStore,
    wrapper: Arc<dyn KeyWrapper>,
    signing: Arc<SigningKeys>,
}

fn refused(reason: &'static str) -> Error {
    tracing::info!(reason, "API key exchange refused");
    Error::Unauthenticated(AuthFailure::InvalidApiKey)
}

impl TokenExchange {
    pub fn new(keys: ApiKeyStore, wrapper: Arc<dyn KeyWrapper>, signing: Arc<SigningKeys>) -> Self {
        TokenExchange {
            keys,
            wrapper,
            signing,
        }
    }

    pub async fn exchange(
        &self,
        authorization: Option<&str>,
        body: &[u8],
        now_seconds: i64,
    ) -> Result<IssuedToken, Error> {
        let request = authorization
            .and_then(HmacAuthorization::parse)
            .ok_or_else(|| refused("no well-formed Hmac authorization"))?;
        if !request.is_fresh(now_seconds) {
            return Err(refused("timestamp outside the allowed skew"));
        }
        let key = self
            .keys
            .load(&request.public_key)
            .await?
            .ok_or_else(|| refused("unknown key"))?;
        if !key.enabled {
            return Err(refused("disabled key"));
        }
        let secret =
            envelope::open(self.wrapper.as_ref(), &key.private_key, &key.public_key).await?;
        let message =
            hmac::string_to_sign(&request.public_key, &request.nonce, request.timestamp, body);
        if !hmac::verify(&secret, &message, &request.signature) {
            return Err(refused("bad signature"));
        }
        if !self
            .keys
            .use_nonce(&key, &request.nonce, now_seconds)
            .await?
        {
            return Err(refused("nonce already used"));
        }
        let roles: Vec<&str> = key.roles.iter().map(String::as_str).collect();
        let expires_seconds = now_seconds + TOKEN_TTL_SECONDS;
        let access_token =
            self.signing
                .signer()
                .issue_until(key.scope(), &roles, expires_seconds)?;
        tracing::info!(public_key = %key.public_key, "access token issued");
        Ok(IssuedToken {
            access_token,
            expires: expires_seconds * 1000,
        })
    }
}
