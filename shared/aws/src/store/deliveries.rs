//! Tenant webhook deliveries: one item per event and endpoint, in the endpoint's partition
//! (`T#…#A#…#WEBHOOK#{webhookId}`, `DELIVERY#{deliveryId}`), in the work index while an attempt
//! is due, and expiring [`LOG_RETENTION_SECONDS`] after it ends; the `webhook.test` events sent
//! to the endpoint beside them (`EVENT#{eventId}`, expiring as long after they are made); and
//! events taken out of the work index once fanned out.
//!
//! Delivery ids carry their event's UUIDv7, so the sort key orders a partition by time.

use super::keys::{DELIVERY_PREFIX, EXPIRES_AT};
use super::work::{work_attributes, NEXT_ATTEMPT_AT, WORK_KIND, WORK_MESSAGE};
use super::{failed, from_item, keys, to_item, updated, Condition, Item, Store, Transacted};
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::dispatch::{Delivery, DeliveryStatus, WebhookDeliveries, WebhookWork};
use payments_domain::error::Error;
use payments_domain::ids::{TenantScope, WebhookId};
use payments_domain::outbox::RecordedEvent;
use payments_domain::paging::Paging;
use payments_domain::refs::CustomerRef;

const DELIVERY_TYPE: &str = "WebhookDelivery";
const TEST_EVENT_TYPE: &str = "WebhookTestEvent";

/// How long the delivery log keeps a finished delivery, and a test event: 30 days.
pub const LOG_RETENTION_SECONDS: i64 = 30 * 24 * 3600;

fn expiring(item: &mut Item, from_ms: i64) {
    let at = from_ms / 1000 + LOG_RETENTION_SECONDS;
    item.insert(EXPIRES_AT.to_owned(), AttributeValue::N(at.to_string()));
}

fn delivery_item(scope: &TenantScope, delivery: &Delivery) -> Result<Item, Error> {
    let pk = keys::webhook_deliveries(scope, delivery.webhook_id);
    let mut item = to_item(
        delivery,
        &pk,
        &keys::delivery(&delivery.delivery_id),
        DELIVERY_TYPE,
    )?;
    match delivery.next_attempt {
        Some(due) => item.extend(work_attributes(
            &pk,
            due,
            &WebhookWork::deliver(scope, delivery),
        )?),
        None if delivery.status != DeliveryStatus::Pending => {
            let ended = delivery
                .last_attempt
                .as_ref()
                .map_or(delivery.created, |attempt| attempt.timestamp);
            expiring(&mut item, ended);
        }
        None => {}
    }
    Ok(item)
}

impl WebhookDeliveries for Store {
    async fn insert_delivery(
        &self,
        scope: &TenantScope,
        delivery: &Delivery,
    ) -> Result<bool, Error> {
        self.put(delivery_item(scope, delivery)?, Condition::New)
            .await
    }

    async fn delivery(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
        delivery_id: &str,
    ) -> Result<Option<Delivery>, Error> {
        self.get(
            &keys::webhook_deliveries(scope, webhook_id),
            &keys::delivery(delivery_id),
        )
        .await
    }

    async fn save_delivery(
        &self,
        scope: &TenantScope,
        delivery: &Delivery,
        read_version: u64,
    ) -> Result<bool, Error> {
        self.put(
            delivery_item(scope, delivery)?,
            Condition::Version(read_version),
        )
        .await
    }

    /// DynamoDB has no offsets: the partition is read newest first until the page is full.
    async fn deliveries(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
        paging: Paging,
    ) -> Result<Vec<Delivery>, Error> {
        let wanted = paging.from.saturating_add(paging.take);
        let page_size = i32::try_from(wanted.min(1000)).unwrap_or(1000);
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(keys::webhook_deliveries(scope, webhook_id)),
            )
            .expression_attribute_values(":prefix", AttributeValue::S(DELIVERY_PREFIX.to_owned()))
            .scan_index_forward(false)
            .limit(page_size)
            .into_paginator()
            .items()
            .send();
        let mut items = Vec::new();
        while items.len() < wanted {
            match pages.next().await {
                Some(item) => items.push(item.map_err(failed("Query"))?),
                None => break,
            }
        }
        items.into_iter().skip(paging.from).map(from_item).collect()
    }

    async fn insert_test_delivery(
        &self,
        scope: &TenantScope,
        event: &RecordedEvent,
        delivery: &Delivery,
    ) -> Result<(), Error> {
        let pk = keys::webhook_deliveries(scope, delivery.webhook_id);
        let mut event_item = to_item(
            event,
            &pk,
            &keys::tenant_event(&event.event.event_id),
            TEST_EVENT_TYPE,
        )?;
        expiring(&mut event_item, event.event.created);
        let actions = vec![
            self.put_action(event_item, Condition::New)?,
            self.put_action(delivery_item(scope, delivery)?, Condition::New)?,
        ];
        match self.transact(actions).await? {
            Transacted::Committed => Ok(()),
            Transacted::Refused(_) => Err(Error::bug("a test event's id was used before")),
        }
    }

    async fn test_event(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
        event_id: &str,
    ) -> Result<Option<RecordedEvent>, Error> {
        self.get(
            &keys::webhook_deliveries(scope, webhook_id),
            &keys::tenant_event(event_id),
        )
        .await
    }

    async fn mark_dispatched(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        event_id: &str,
    ) -> Result<(), Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(
                &keys::customer(scope, customer),
                &keys::tenant_event(event_id),
            )))
            .update_expression("REMOVE #kind, #next, #message")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#kind", WORK_KIND)
            .expression_attribute_names("#next", NEXT_ATTEMPT_AT)
            .expression_attribute_names("#message", WORK_MESSAGE)
            .send()
            .await;
        updated(result)?;
        Ok(())
    }
}
