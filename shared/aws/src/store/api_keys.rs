//! API keys (`PK = APIKEY#{publicKey}`) and their used nonces (under the key's tenant, with a
//! TTL, `expiresAt`).

use super::keys::{self, API_KEY, API_KEY_TYPE, EXPIRES_AT, NONCE, NONCE_TYPE};
use super::{to_item, updated, Condition, Store};
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::error::Error;
use payments_domain::identity::{ApiKey, ApiKeys};

impl ApiKeys for Store {
    async fn save_api_key(&self, key: &ApiKey) -> Result<(), Error> {
        let item = to_item(key, &keys::api_key(&key.public_key), API_KEY, API_KEY_TYPE)?;
        if self.put(item, Condition::New).await? {
            Ok(())
        } else {
            Err(Error::bug("a new API key's public key was taken"))
        }
    }

    async fn api_key(&self, public_key: &str) -> Result<Option<ApiKey>, Error> {
        self.get(&keys::api_key(public_key), API_KEY).await
    }

    async fn disable_api_key(&self, public_key: &str) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(&keys::api_key(public_key), API_KEY)))
            .update_expression("SET enabled = :false")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        updated(result)
    }

    async fn use_nonce(
        &self,
        key: &ApiKey,
        nonce: &str,
        until_seconds: i64,
    ) -> Result<bool, Error> {
        let mut item = keys::key(&keys::nonce(&key.scope(), &key.public_key, nonce), NONCE);
        item.insert(
            keys::ITEM_TYPE.to_owned(),
            AttributeValue::S(NONCE_TYPE.to_owned()),
        );
        item.insert(
            EXPIRES_AT.to_owned(),
            AttributeValue::N(until_seconds.to_string()),
        );
        self.put(item, Condition::New).await
    }
}
