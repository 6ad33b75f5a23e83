//! The items more than one area writes: a transaction (written by order management's executor,
//! changed by the vault), an instruction (changed by order management, rewards and the vault's
//! forget), an instrument (added by the vault, mandates and rewards), the customer's links, and
//! the guards that refuse personal data for a forgotten customer.

use super::keys::{self, PROFILE, PROFILE_TYPE};
use super::work::{waiting_attribute, work_attributes};
use super::Transacted;
use super::{to_item, to_marked_item, Item, Store};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};
use payments_domain::clock::Now;
use payments_domain::error::Error;
use payments_domain::ids::{MandateId, TenantScope};
use payments_domain::orders::{ExecuteInstruction, Instruction};
use payments_domain::payments::ProviderLink;
use payments_domain::refs::CustomerRef;
use payments_domain::shredding::Subject;
use payments_domain::vault::{
    customer_forgotten, ExecuteRefunds, FinancialInstrument, InstructionLink, MandateLink,
    Transaction, TransactionPath,
};
use std::collections::HashMap;

/// Creates the profile on first write and keeps it ACTIVE; refuses once the customer is
/// forgotten, so nothing personal can be added after (or while) forget runs.
pub(crate) const ACTIVE_PROFILE_UPDATE: &str = "SET #status = if_not_exists(#status, :active), \
     createdTimestamp = if_not_exists(createdTimestamp, :now), itemType = :profileType";
pub(crate) const PROFILE_NOT_FORGOTTEN: &str = "attribute_not_exists(#status) OR #status = :active";

pub(crate) fn active_profile_values(now: Now) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (":active".to_owned(), AttributeValue::S("ACTIVE".to_owned())),
        (
            ":now".to_owned(),
            AttributeValue::N(now.epoch_ms().to_string()),
        ),
        (
            ":profileType".to_owned(),
            AttributeValue::S(PROFILE_TYPE.to_owned()),
        ),
    ])
}

impl Store {
    /// A transaction action that creates the customer's profile if need be and fails once the
    /// customer is forgotten: written beside anything that adds personal data to a customer.
    pub(crate) fn customer_not_forgotten(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        now: Now,
    ) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key(&keys::customer(scope, customer), PROFILE)))
            .update_expression(format!(
                "{ACTIVE_PROFILE_UPDATE}, metadata = if_not_exists(metadata, :noMetadata)"
            ))
            .condition_expression(PROFILE_NOT_FORGOTTEN)
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(active_profile_values(now)))
            .expression_attribute_values(":noMetadata", AttributeValue::M(HashMap::new()))
            .build()
            .map_err(|e| Error::internal("building the profile guard", e))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// The checks a transaction carrying customers' personal data ends with: that none of them is
/// forgotten (a customer without a profile was never forgotten). Appended after the
/// transaction's own actions, whose indexes stay as they were.
pub(crate) struct PersonalDataGuards {
    first: usize,
    customers: Vec<CustomerRef>,
}

impl PersonalDataGuards {
    /// `CUSTOMER_FORGOTTEN` when a guard refused the transaction.
    pub(crate) fn check(&self, transacted: &Transacted) -> Result<(), Error> {
        let Transacted::Refused(failed) = transacted else {
            return Ok(());
        };
        match self
            .customers
            .iter()
            .enumerate()
            .find(|(i, _)| failed.get(self.first + i) == Some(&true))
        {
            Some((_, customer)) => Err(customer_forgotten(customer)),
            None => Ok(()),
        }
    }
}

impl Store {
    /// Appends to `actions` a check that each of `customers` (once each) is not forgotten.
    pub(crate) fn guard_personal_data<'a>(
        &self,
        scope: &TenantScope,
        customers: impl IntoIterator<Item = &'a CustomerRef>,
        actions: &mut Vec<TransactWriteItem>,
    ) -> Result<PersonalDataGuards, Error> {
        let mut guarded: Vec<CustomerRef> = Vec::new();
        for customer in customers {
            if !guarded.contains(customer) {
                guarded.push(customer.clone());
            }
        }
        let first = actions.len();
        for customer in &guarded {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key(&keys::customer(scope, customer), PROFILE)))
                .condition_expression(PROFILE_NOT_FORGOTTEN)
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", AttributeValue::S("ACTIVE".to_owned()))
                .build()
                .map_err(|e| Error::internal("building the forgotten-customer check", e))?;
            actions.push(TransactWriteItem::builder().condition_check(check).build());
        }
        Ok(PersonalDataGuards {
            first,
            customers: guarded,
        })
    }
}

impl Store {
    /// `record`'s item with its personal data sealed under `subject`'s key.
    pub(crate) async fn sealed_item<T: serde::Serialize>(
        &self,
        scope: &TenantScope,
        subject: Subject<'_>,
        record: &T,
        partition: &str,
        sort: &str,
        item_type: &'static str,
    ) -> Result<Item, Error> {
        let item = to_marked_item(record, partition, sort, item_type)?;
        self.sealed(scope, subject, item).await
    }

    /// `record`'s item in `customer`'s partition under `sort`, its personal data sealed under
    /// the customer's key; with the partition key, for the work attributes.
    pub(crate) async fn customer_item<T: serde::Serialize>(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        record: &T,
        sort: &str,
        item_type: &'static str,
    ) -> Result<(String, Item), Error> {
        let pk = keys::customer(scope, customer);
        let item = self
            .sealed_item(
                scope,
                Subject::Customer(customer),
                record,
                &pk,
                sort,
                item_type,
            )
            .await?;
        Ok((pk, item))
    }

    /// A transaction's item in its customer's partition, in the work index while refunds are
    /// pending; its refund reasons sealed under the customer's key.
    pub(crate) async fn transaction_item(
        &self,
        scope: &TenantScope,
        transaction: &Transaction,
    ) -> Result<Item, Error> {
        let (pk, mut item) = self
            .customer_item(
                scope,
                &transaction.customer_ref,
                transaction,
                &keys::transaction(transaction.id),
                keys::TRANSACTION_TYPE,
            )
            .await?;
        if let Some(from) = transaction.refunds_need_worker_from() {
            let message = ExecuteRefunds {
                scope: (*scope).into(),
                transaction: TransactionPath {
                    customer_ref: transaction.customer_ref.clone(),
                    financial_instrument_id: transaction.financial_instrument_id,
                    transaction_id: transaction.id,
                },
            };
            item.extend(work_attributes(&pk, from, &message)?);
            item.extend(waiting_attribute(
                transaction.refunds_waiting_on_provider_since(),
            ));
        }
        Ok(item)
    }

    /// The instruction's item, in the work index while it needs a worker; its metadata and
    /// reasons sealed under its customer's key.
    pub(crate) async fn instruction_item(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> Result<Item, Error> {
        let pk = keys::order(scope, &instruction.order_ref);
        let mut item = self
            .sealed_item(
                scope,
                Subject::Customer(&instruction.customer_ref),
                instruction,
                &pk,
                &keys::instruction(&instruction.instruction_ref),
                keys::INSTRUCTION_TYPE,
            )
            .await?;
        if let Some(from) = instruction.needs_worker_from() {
            let message = ExecuteInstruction::for_instruction(scope, instruction);
            item.extend(work_attributes(&pk, from, &message)?);
            item.extend(waiting_attribute(instruction.waiting_on_provider_since()));
        }
        Ok(item)
    }

    /// An instrument's item, its account details sealed under its customer's key.
    pub(crate) async fn instrument_item(
        &self,
        scope: &TenantScope,
        instrument: &FinancialInstrument,
    ) -> Result<Item, Error> {
        let (_, item) = self
            .customer_item(
                scope,
                &instrument.customer_ref,
                instrument,
                &keys::instrument(instrument.id),
                keys::INSTRUMENT_TYPE,
            )
            .await?;
        Ok(item)
    }
}

/// The link from a provider's id to what it stands for. Written beside the first write that
/// knows the id, unconditionally: the same id always links to the same object.
pub(crate) fn provider_link_item(link: &ProviderLink) -> Result<Item, Error> {
    to_item(
        &link.target,
        &keys::provider_link(&link.app_id, &link.app_reference),
        keys::LINK,
        keys::PROVIDER_LINK_TYPE,
    )
}

/// The item that records that an instruction belongs to a customer and which instrument it
/// uses.
pub(crate) fn instruction_link_item(
    scope: &TenantScope,
    instruction: &Instruction,
) -> Result<Item, Error> {
    let link = InstructionLink {
        customer_ref: instruction.customer_ref.clone(),
        order_ref: instruction.order_ref.clone(),
        instruction_ref: instruction.instruction_ref.clone(),
        financial_instrument_id: instruction.financial_instrument_id,
    };
    to_item(
        &link,
        &keys::customer(scope, &link.customer_ref),
        &keys::instruction_link(&link.order_ref, &link.instruction_ref),
        keys::INSTRUCTION_LINK_TYPE,
    )
}

/// The item that records that a mandate names the customer.
pub(crate) fn mandate_link_item(
    scope: &TenantScope,
    customer: &CustomerRef,
    mandate: MandateId,
) -> Result<Item, Error> {
    let link = MandateLink {
        customer_ref: customer.clone(),
        mandate_id: mandate,
    };
    to_item(
        &link,
        &keys::customer(scope, customer),
        &keys::mandate_link(mandate),
        keys::MANDATE_LINK_TYPE,
    )
}
