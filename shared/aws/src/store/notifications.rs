//! A tenant's webhook endpoints: one partition of the tenant (`T#…#A#…#WEBHOOKS`), each
//! endpoint under its id, its secrets sealed.

use super::{from_item, keys, to_item, Condition, Store};
use payments_domain::error::Error;
use payments_domain::ids::{TenantScope, WebhookId};
use payments_domain::notifications::{WebhookEndpoint, WebhookEndpoints};

const WEBHOOK_ENDPOINT_TYPE: &str = "WebhookEndpoint";

fn endpoint_item(scope: &TenantScope, endpoint: &WebhookEndpoint) -> Result<super::Item, Error> {
    to_item(
        endpoint,
        &keys::webhook_endpoints(scope),
        &endpoint.webhook_id.to_string(),
        WEBHOOK_ENDPOINT_TYPE,
    )
}

impl WebhookEndpoints for Store {
    async fn insert_endpoint(
        &self,
        scope: &TenantScope,
        endpoint: &WebhookEndpoint,
    ) -> Result<(), Error> {
        if self
            .put(endpoint_item(scope, endpoint)?, Condition::New)
            .await?
        {
            Ok(())
        } else {
            Err(Error::bug("a new webhook id was already taken"))
        }
    }

    async fn endpoint(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
    ) -> Result<Option<WebhookEndpoint>, Error> {
        self.get(&keys::webhook_endpoints(scope), &webhook_id.to_string())
            .await
    }

    /// Sort keys are random ids: the list is put in creation order here.
    async fn endpoints(&self, scope: &TenantScope) -> Result<Vec<WebhookEndpoint>, Error> {
        let items = self
            .query_prefix(&keys::webhook_endpoints(scope), "")
            .await?;
        let mut endpoints: Vec<WebhookEndpoint> =
            items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        endpoints.sort_by_key(|e| (e.created, e.webhook_id));
        Ok(endpoints)
    }

    async fn save_endpoint(
        &self,
        scope: &TenantScope,
        endpoint: &WebhookEndpoint,
        read_version: u64,
    ) -> Result<bool, Error> {
        self.put(
            endpoint_item(scope, endpoint)?,
            Condition::Version(read_version),
        )
        .await
    }

    async fn delete_endpoint(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
    ) -> Result<bool, Error> {
        self.delete(&keys::webhook_endpoints(scope), &webhook_id.to_string())
            .await
    }
}
