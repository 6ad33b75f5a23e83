//! The transactional outbox (docs/api.md §9): the events an aggregate's change reports are put
//! in the same DynamoDB transaction as the aggregate, each in an item of its own in the
//! customer's partition (`EVENT#{eventId}`, outside the range GET customer reads), with the
//! object as it was then. A write that reports nothing stays the single write it was.

use super::work::work_attributes;
use super::{from_item, keys, updated, Condition, Item, Store, Transacted};
use aws_sdk_dynamodb::types::TransactWriteItem;
use payments_domain::dispatch::WebhookWork;
use payments_domain::error::Error;
use payments_domain::ids::TenantScope;
use payments_domain::mandates::Mandate;
use payments_domain::notifications::TenantEvent;
use payments_domain::orders::Instruction;
use payments_domain::outbox::{EventSubject, RecordedEvent, RecordedEvents};
use payments_domain::refs::CustomerRef;
use payments_domain::rewards::RewardTransaction;
use payments_domain::vault::Transaction;
use payments_domain::work::send_all_after_commit;

/// An aggregate being written, whose change may report events.
#[derive(Clone, Copy)]
pub(crate) enum Changed<'a> {
    Instruction(&'a Instruction),
    Transaction(&'a Transaction),
    Mandate(&'a Mandate),
    Reward(&'a RewardTransaction),
}

impl Changed<'_> {
    fn events(&self) -> &[TenantEvent] {
        match self {
            Changed::Instruction(instruction) => instruction.events.as_slice(),
            Changed::Transaction(transaction) => transaction.events.as_slice(),
            Changed::Mandate(mandate) => mandate.events.as_slice(),
            Changed::Reward(reward) => reward.events.as_slice(),
        }
    }

    /// The object as it is written.
    fn snapshot(&self) -> EventSubject {
        match *self {
            Changed::Instruction(i) => EventSubject::Instruction(Box::new(i.clone())),
            Changed::Transaction(t) => EventSubject::Transaction(Box::new(t.clone())),
            Changed::Mandate(m) => EventSubject::Mandate(Box::new(m.clone())),
            Changed::Reward(r) => EventSubject::Reward(Box::new(r.clone())),
        }
    }
}

impl Store {
    /// The event's item in its customer's partition, the object's personal data sealed under
    /// the customer's key; in the work index until the dispatcher fans it out.
    async fn event_item(&self, event: &RecordedEvent) -> Result<Item, Error> {
        let customer = event
            .subject
            .customer_ref()
            .ok_or_else(|| Error::bug("an event about an object of no customer"))?;
        let scope = event.scope();
        let (pk, mut item) = self
            .customer_item(
                &scope,
                customer,
                event,
                &keys::tenant_event(&event.event.event_id),
                keys::TENANT_EVENT_TYPE,
            )
            .await?;
        let message = WebhookWork::Dispatch {
            scope: scope.into(),
            customer_ref: customer.clone(),
            event_id: event.event.event_id.clone(),
        };
        item.extend(work_attributes(&pk, event.event.created, &message)?);
        Ok(item)
    }

    /// The puts of the events `changed` reports (none when it reports none).
    pub(crate) async fn event_actions(
        &self,
        scope: &TenantScope,
        changed: Changed<'_>,
    ) -> Result<Vec<TransactWriteItem>, Error> {
        let events = changed.events();
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let subject = changed.snapshot();
        let mut actions = Vec::with_capacity(events.len());
        for event in events {
            let recorded = RecordedEvent {
                event: event.clone(),
                tenant_id: scope.tenant,
                account_id: scope.account,
                subject: subject.clone(),
            };
            actions.push(self.put_action(self.event_item(&recorded).await?, Condition::New)?);
        }
        Ok(actions)
    }

    /// Hands the events `changed` reported to the webhook dispatcher, now that the write that
    /// recorded them has committed. A lost send costs a delay: the sweep hands them on.
    pub(crate) async fn relay(&self, scope: &TenantScope, changed: Changed<'_>) {
        let amount = match changed {
            Changed::Instruction(instruction) => {
                use rust_decimal::prelude::ToPrimitive;
                instruction
                    .amount
                    .decimal()
                    .to_f64()
                    .map(|value| (instruction.amount.currency().as_str(), value))
            }
            _ => None,
        };
        for event in changed.events() {
            crate::metrics::outcome_recorded(event.event_type.as_str(), amount);
        }
        let Some(queue) = &self.events else {
            return;
        };
        let customer = match changed {
            Changed::Instruction(i) => Some(&i.customer_ref),
            Changed::Transaction(t) => Some(&t.customer_ref),
            Changed::Mandate(m) => m.terms.customer_ref.as_ref(),
            Changed::Reward(r) => Some(&r.customer_ref),
        };
        let Some(customer) = customer else {
            return;
        };
        let messages: Vec<WebhookWork> = changed
            .events()
            .iter()
            .map(|event| WebhookWork::Dispatch {
                scope: (*scope).into(),
                customer_ref: customer.clone(),
                event_id: event.event_id.clone(),
            })
            .collect();
        send_all_after_commit(queue, &messages).await;
    }

    /// Puts `item` (the item of `changed`) under `condition`, with the events `changed`
    /// reports and, when it carries personal data of `personal`, the check that they are not
    /// forgotten: one PutItem when there is neither, else one transaction. `false` when the
    /// condition failed; `CUSTOMER_FORGOTTEN` when the check did.
    pub(crate) async fn put_reporting(
        &self,
        scope: &TenantScope,
        item: Item,
        condition: Condition,
        changed: Changed<'_>,
        personal: Option<&CustomerRef>,
    ) -> Result<bool, Error> {
        let events = self.event_actions(scope, changed).await?;
        if events.is_empty() && personal.is_none() {
            return self.put(item, condition).await;
        }
        let mut actions = vec![self.put_action(item, condition)?];
        actions.extend(events);
        let guards = self.guard_personal_data(scope, personal, &mut actions)?;
        let transacted = self.transact(actions).await?;
        guards.check(&transacted)?;
        let committed = transacted == Transacted::Committed;
        if committed {
            self.relay(scope, changed).await;
        }
        Ok(committed)
    }
}

impl RecordedEvents for Store {
    async fn recorded_event(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        event_id: &str,
    ) -> Result<Option<RecordedEvent>, Error> {
        self.get(
            &keys::customer(scope, customer),
            &keys::tenant_event(event_id),
        )
        .await
    }

    async fn events_of(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<RecordedEvent>, Error> {
        self.query_prefix(&keys::customer(scope, customer), keys::EVENT_PREFIX)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Only the object changes: whether the event still waits to be fanned out stays as is.
    async fn save_forgotten_event(&self, event: &RecordedEvent) -> Result<(), Error> {
        let customer = event
            .subject
            .customer_ref()
            .ok_or_else(|| Error::bug("an event about an object of no customer"))?;
        let subject = serde_dynamo::to_attribute_value(&event.subject)
            .map_err(|e| Error::internal("serialising an event's object", e))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(
                &keys::customer(&event.scope(), customer),
                &keys::tenant_event(&event.event.event_id),
            )))
            .update_expression("SET #subject = :subject")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#subject", "subject")
            .expression_attribute_values(":subject", subject)
            .send()
            .await;
        updated(result)?;
        Ok(())
    }
}
