//! Fixtures for tenant webhooks: the notifications router as its main builds it.

use crate::payments::built;
use payments_aws::config::ALLOW_LOOPBACK_WEBHOOKS;
use payments_aws::Store;

/// The notifications router on `table`, as deployed: loopback endpoints refused.
pub async fn notifications_router(table: &Store) -> axum::Router {
    let settings = crate::settings_on("notifications", table).await;
    built(notifications::app(&settings, &crate::clients().await)).await
}

/// The notifications router on `table` as `make dev` configures it: loopback allowed.
pub async fn dev_notifications_router(table: &Store) -> axum::Router {
    let settings = crate::settings_on("notifications", table)
        .await
        .with(ALLOW_LOOPBACK_WEBHOOKS, "true");
    built(notifications::app(&settings, &crate::clients().await)).await
}
