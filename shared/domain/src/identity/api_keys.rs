//! Tenant API keys: `{publicKey, privateKey, accountId, tenantId, roles[]}`. The private key is
//! shown once, at creation, and stored only sealed (see `envelope`). Keys are read by public
//! key before any tenant is known; the stored key names its tenant and account.

use super::envelope::{self, KeyWrapper, Sealed};
use crate::auth::Role;
use crate::error::Error;
use crate::ids::{AccountId, TenantId, TenantScope};
use crate::secret::Secret;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// How long a used nonce is remembered: past the skew window either way, so a replay is
/// refused for as long as its timestamp would be accepted.
pub const NONCE_MEMORY_SECONDS: i64 = 2 * super::hmac::MAX_CLOCK_SKEW_SECONDS + 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub public_key: String,
    pub account_id: AccountId,
    pub tenant_id: TenantId,
    pub roles: Vec<String>,
    pub private_key: Sealed,
    pub enabled: bool,
    pub created: i64,
}

impl ApiKey {
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant_id,
            account: self.account_id,
        }
    }
}

/// A key just created: the record to store and the private key to show once.
#[derive(Debug)]
pub struct NewApiKey {
    pub key: ApiKey,
    /// Base64 of 32 random bytes.
    pub private_key: Secret<String>,
}

/// A new key for `scope` with `roles`, its private half sealed by `wrapper`.
pub async fn create_api_key(
    wrapper: &dyn KeyWrapper,
    scope: TenantScope,
    roles: &[Role],
    now_ms: i64,
) -> Result<NewApiKey, Error> {
    let mut secret = [0u8; 32];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| Error::bug("no randomness for an API key"))?;
    let public_key = uuid::Uuid::new_v4().simple().to_string();
    let sealed = envelope::seal(wrapper, &secret, &public_key).await?;
    Ok(NewApiKey {
        private_key: Secret::new(base64::engine::general_purpose::STANDARD.encode(secret)),
        key: ApiKey {
            public_key,
            account_id: scope.account,
            tenant_id: scope.tenant,
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            private_key: sealed,
            enabled: true,
            created: now_ms,
        },
    })
}

/// Where API keys are kept.
pub trait ApiKeys: Sync {
    /// Stores a new key; never overwrites one.
    fn save_api_key(&self, key: &ApiKey) -> impl Future<Output = Result<(), Error>> + Send;

    fn api_key(
        &self,
        public_key: &str,
    ) -> impl Future<Output = Result<Option<ApiKey>, Error>> + Send;

    /// Disables a key for good: tokens are no longer issued for it. `false` when there is no
    /// such key.
    fn disable_api_key(&self, public_key: &str)
        -> impl Future<Output = Result<bool, Error>> + Send;

    /// Records a nonce of the key as used until `until_seconds`, once: `false` when it already
    /// was (a replay, or the loser of two racing requests).
    fn use_nonce(
        &self,
        key: &ApiKey,
        nonce: &str,
        until_seconds: i64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}
