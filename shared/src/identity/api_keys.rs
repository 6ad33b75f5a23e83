//! Tenant API keys: `{publicKey, privateKey, accountId, tenantId, roles[]}`. The private key is
//! shown once, at creation, and stored only sealed (see `envelope`). Keys are read by public
//! key before any tenant is known, so their items are the one kind whose partition key does
//! not start with a tenant: `APIKEY#{publicKey}`; the item names its tenant and account.

use super::envelope::{self, KeyWrapper, Sealed};
use crate::auth::Role;
use crate::error::Error;
use crate::ids::{AccountId, TenantId, TenantScope};
use crate::store::{self, sdk_failure, Table};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde::{Deserialize, Serialize};

const API_KEY: &str = "APIKEY";
const API_KEY_TYPE: &str = "ApiKey";
const NONCE: &str = "NONCE";
const NONCE_TYPE: &str = "Nonce";
/// How long a used nonce is remembered: past the skew window either way, so a replay is
/// refused for as long as its timestamp would be accepted.
const NONCE_MEMORY_SECONDS: i64 = 2 * super::hmac::MAX_CLOCK_SKEW_SECONDS + 60;

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
pub struct NewApiKey {
    pub key: ApiKey,
    /// Base64 of 32 random bytes.
    pub private_key: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("public_key", &self.key.public_key)
            .finish_non_exhaustive()
    }
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
        .map_err(|_| Error::Internal("no randomness for an API key".into()))?;
    let public_key = uuid::Uuid::new_v4().simple().to_string();
    let sealed = envelope::seal(wrapper, &secret, &public_key).await?;
    Ok(NewApiKey {
        private_key: base64::engine::general_purpose::STANDARD.encode(secret),
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

#[derive(Clone)]
pub struct ApiKeyStore {
    table: Table,
}

fn key_partition(public_key: &str) -> String {
    format!("{API_KEY}#{public_key}")
}

impl ApiKeyStore {
    pub fn new(table: Table) -> Self {
        ApiKeyStore { table }
    }

    /// Stores a new key; never overwrites one.
    pub async fn save(&self, key: &ApiKey) -> Result<(), Error> {
        let item = store::to_item(key, &key_partition(&key.public_key), API_KEY, API_KEY_TYPE)?;
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(sdk_failure("PutItem"))?;
        Ok(())
    }

    pub async fn load(&self, public_key: &str) -> Result<Option<ApiKey>, Error> {
        self.table.get(&key_partition(public_key), API_KEY).await
    }

    /// Disables a key for good: tokens are no longer issued for it. `false` when there is no
    /// such key.
    pub async fn disable(&self, public_key: &str) -> Result<bool, Error> {
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(store::key(&key_partition(public_key), API_KEY)))
            .update_expression("SET enabled = :false")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if store::is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_failure("UpdateItem")(e)),
        }
    }

    /// Records a nonce as used, once: `false` when it already was (a replay, or the loser of
    /// two racing requests). Remembered under the key's tenant, with a TTL.
    pub async fn use_nonce(
        &self,
        key: &ApiKey,
        nonce: &str,
        now_seconds: i64,
    ) -> Result<bool, Error> {
        let partition =
            store::partition(&key.scope(), NONCE, &format!("{}#{nonce}", key.public_key));
        let mut item = store::key(&partition, NONCE);
        item.insert(
            store::ITEM_TYPE.to_owned(),
            AttributeValue::S(NONCE_TYPE.to_owned()),
        );
        item.insert(
            store::EXPIRES_AT.to_owned(),
            AttributeValue::N((now_seconds + NONCE_MEMORY_SECONDS).to_string()),
        );
        let result = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        store::put_applied(result)
    }
}
