//! What belongs to the providers' side: the links from their ids back to the tenant's objects,
//! the inbox of their webhooks, and the SANDBOX app's books.

use super::keys::{self, ENTRY, EVENT, INBOX_EVENT_TYPE, LINK, SANDBOX_ENTRY_TYPE};
use super::work::work_attributes;
use super::{failed, from_item, to_item, Condition, Item, Store};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use payments_domain::error::Error;
use payments_domain::payments::{LinkTarget, ProviderLinks};
use payments_domain::providers::{Inbox, InboxEvent, SandboxBook, SandboxEntry};
use payments_domain::BoxFuture;

impl ProviderLinks for Store {
    async fn linked(&self, app_id: &str, app_reference: &str) -> Result<Option<LinkTarget>, Error> {
        self.get(&keys::provider_link(app_id, app_reference), LINK)
            .await
    }
}

/// An inbox event's item, in the work index while it waits to be applied.
fn inbox_item(event: &InboxEvent) -> Result<Item, Error> {
    let pk = keys::inbox_event(&event.app_id, &event.event_id);
    let mut item = to_item(event, &pk, EVENT, INBOX_EVENT_TYPE)?;
    if let Some(from) = event.needs_worker_from() {
        item.extend(work_attributes(&pk, from, &event.message())?);
    }
    Ok(item)
}

impl Inbox for Store {
    async fn store_event(&self, event: &InboxEvent) -> Result<bool, Error> {
        self.put(inbox_item(event)?, Condition::New).await
    }

    async fn inbox_event(&self, app_id: &str, event_id: &str) -> Result<Option<InboxEvent>, Error> {
        self.get(&keys::inbox_event(app_id, event_id), EVENT).await
    }

    async fn save_inbox_event(&self, event: &InboxEvent, read_version: u64) -> Result<bool, Error> {
        self.put(inbox_item(event)?, Condition::Version(read_version))
            .await
    }
}

impl SandboxBook for Store {
    /// One conditional put: a key already in the books answers with the entry kept, which the
    /// refused put returns.
    fn record<'a>(
        &'a self,
        entry: &'a SandboxEntry,
    ) -> BoxFuture<'a, Result<(SandboxEntry, bool), Error>> {
        Box::pin(async move {
            let item = to_item(
                entry,
                &keys::sandbox_entry(&entry.key),
                ENTRY,
                SANDBOX_ENTRY_TYPE,
            )?;
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            match result {
                Ok(_) => Ok((entry.clone(), true)),
                Err(error) => {
                    let kept = match error.as_service_error() {
                        Some(PutItemError::ConditionalCheckFailedException(refused)) => {
                            refused.item.clone()
                        }
                        _ => None,
                    };
                    match kept {
                        Some(item) => Ok((from_item(item)?, false)),
                        None => Err(failed("PutItem")(error)),
                    }
                }
            }
        })
    }

    fn find<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<SandboxEntry>, Error>> {
        Box::pin(async move { self.get(&keys::sandbox_entry(key), ENTRY).await })
    }
}
