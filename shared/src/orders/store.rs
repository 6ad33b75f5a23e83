//! Order items. One partition per order holds the order (`SK = ORDER`) and each instruction
//! (`SK = INSTRUCTION#{instructionRef}`): GET order is one Query, GET instruction one GetItem.

use super::{instruction_not_found, order_not_found, ExecuteInstruction, Instruction, Order};
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::TenantScope;
use crate::metadata::Metadata;
use crate::refs::{InstructionRef, OrderRef};
use crate::store::{self, cancelled_by_condition, sdk_failure, Item, Table, WorkKind};
use crate::vault::{instruction_link_item, transaction_item, InstructionLink, Transaction};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};

const ORDER: &str = "ORDER";
const INSTRUCTION_PREFIX: &str = "INSTRUCTION#";
const ORDER_TYPE: &str = "Order";
const INSTRUCTION_TYPE: &str = "Instruction";

#[derive(Clone)]
pub struct OrderStore {
    table: Table,
}

fn partition(scope: &TenantScope, order: &OrderRef) -> String {
    store::partition(scope, "ORDER", order.as_str())
}

pub(super) fn instruction_key_of(
    scope: &TenantScope,
    order: &OrderRef,
    instruction: &InstructionRef,
) -> (String, String) {
    (partition(scope, order), instruction_key(instruction))
}

fn instruction_key(instruction: &InstructionRef) -> String {
    format!("{INSTRUCTION_PREFIX}{instruction}")
}

fn build_failed(what: &str) -> impl FnOnce(aws_sdk_dynamodb::error::BuildError) -> Error + '_ {
    move |e| Error::Internal(format!("building {what}: {e}"))
}

/// The instruction's item, in the work index while it needs a worker.
pub(crate) fn instruction_item(
    scope: &TenantScope,
    instruction: &Instruction,
) -> Result<Item, Error> {
    let pk = partition(scope, &instruction.order_ref);
    let mut item = store::to_item(
        instruction,
        &pk,
        &instruction_key(&instruction.instruction_ref),
        INSTRUCTION_TYPE,
    )?;
    if let Some(from) = instruction.needs_worker_from() {
        let message =
            serde_json::to_string(&ExecuteInstruction::for_instruction(scope, instruction))
                .map_err(|e| Error::Internal(format!("serialising work message: {e}")))?;
        item.extend(store::work_attributes(
            WorkKind::Instruction,
            &pk,
            from,
            message,
        ));
    }
    Ok(item)
}

impl OrderStore {
    pub fn new(table: Table) -> Self {
        OrderStore { table }
    }

    fn put_new(&self, item: Item) -> Result<TransactWriteItem, Error> {
        let put = Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build_failed("put"))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Records the instruction in its customer's vault (see `VaultChanges`). Written before the
    /// instruction itself: a link to an instruction that was never written is ignored by its
    /// users, while an instruction without a link would escape forget.
    pub async fn link(&self, scope: &TenantScope, instruction: &Instruction) -> Result<(), Error> {
        let link = InstructionLink {
            customer_ref: instruction.customer_ref.clone(),
            order_ref: instruction.order_ref.clone(),
            instruction_ref: instruction.instruction_ref.clone(),
            financial_instrument_id: instruction.financial_instrument_id,
        };
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(instruction_link_item(scope, &link)?))
            .send()
            .await
            .map_err(sdk_failure("PutItem"))?;
        Ok(())
    }

    /// Writes the order and all its instructions in one transaction, or nothing: an existing
    /// order (also one created by a racing identical request) is never overwritten.
    pub async fn create_order(
        &self,
        scope: &TenantScope,
        order: &Order,
        instructions: &[Instruction],
    ) -> Result<(), Error> {
        for instruction in instructions {
            self.link(scope, instruction).await?;
        }
        let mut writes = vec![self.put_new(store::to_item(
            order,
            &partition(scope, &order.order_ref),
            ORDER,
            ORDER_TYPE,
        )?)?];
        for instruction in instructions {
            writes.push(self.put_new(instruction_item(scope, instruction)?)?);
        }
        let result = self
            .table
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match cancelled_by_condition(&e) {
                Some(failed) if failed.iter().any(|f| *f) => Err(Error::invalid(
                    Violation::new(ErrorCode::ORDER_ALREADY_EXISTS)
                        .with("orderRef", order.order_ref.as_str()),
                )),
                _ => Err(sdk_failure("TransactWriteItems")(e)),
            },
        }
    }

    /// Adds an instruction to an existing order; an existing instruction is never overwritten.
    pub async fn add_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> Result<(), Error> {
        self.link(scope, instruction).await?;
        let order_exists = ConditionCheck::builder()
            .table_name(&self.table.name)
            .set_key(Some(store::key(
                &partition(scope, &instruction.order_ref),
                ORDER,
            )))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(build_failed("order check"))?;
        let result = self
            .table
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(order_exists)
                    .build(),
            )
            .transact_items(self.put_new(instruction_item(scope, instruction)?)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match cancelled_by_condition(&e).as_deref() {
                Some([true, _]) => Err(order_not_found(&instruction.order_ref)),
                Some([false, true]) => Err(Error::invalid(
                    Violation::new(ErrorCode::INSTRUCTION_ALREADY_EXISTS)
                        .with("instructionRef", instruction.instruction_ref.as_str()),
                )),
                _ => Err(sdk_failure("TransactWriteItems")(e)),
            },
        }
    }

    /// The order and the refs of its instructions, in one Query.
    pub async fn load_order(
        &self,
        scope: &TenantScope,
        order_ref: &OrderRef,
    ) -> Result<(Order, Vec<InstructionRef>), Error> {
        let pages: Vec<Result<Item, _>> = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition(scope, order_ref)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        let mut order = None;
        let mut instructions = Vec::new();
        for item in pages {
            let item = item.map_err(sdk_failure("Query"))?;
            match store::sort_key_of(&item) {
                Some(ORDER) => order = Some(store::from_item::<Order>(item)?),
                Some(sk) if sk.starts_with(INSTRUCTION_PREFIX) => {
                    instructions.push(store::from_item::<Instruction>(item)?.instruction_ref)
                }
                _ => {}
            }
        }
        let order = order.ok_or_else(|| order_not_found(order_ref))?;
        instructions.sort();
        Ok((order, instructions))
    }

    /// Replaces the order's metadata (an empty map clears it).
    pub async fn set_order_metadata(
        &self,
        scope: &TenantScope,
        order_ref: &OrderRef,
        metadata: &Metadata,
    ) -> Result<(), Error> {
        let metadata = serde_dynamo::to_attribute_value(metadata)
            .map_err(|e| Error::Internal(format!("serialising metadata: {e}")))?;
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(store::key(&partition(scope, order_ref), ORDER)))
            .update_expression("SET metadata = :metadata")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":metadata", metadata)
            .send()
            .await;
        store::updated(result, || order_not_found(order_ref))
    }

    /// The instruction; when it is missing, says whether its order is missing too.
    pub async fn load_instruction(
        &self,
        scope: &TenantScope,
        order_ref: &OrderRef,
        instruction_ref: &InstructionRef,
    ) -> Result<Instruction, Error> {
        let pk = partition(scope, order_ref);
        if let Some(item) = self
            .table
            .get_raw(&pk, &instruction_key(instruction_ref))
            .await?
        {
            return store::from_item(item);
        }
        Err(self.missing(scope, order_ref, instruction_ref).await)
    }

    /// The error for an instruction that was not found: ORDER_NOT_FOUND when its order is
    /// missing too, else INSTRUCTION_NOT_FOUND. One GetItem, of the order.
    pub(crate) async fn missing(
        &self,
        scope: &TenantScope,
        order_ref: &OrderRef,
        instruction_ref: &InstructionRef,
    ) -> Error {
        match self
            .table
            .get_raw(&partition(scope, order_ref), ORDER)
            .await
        {
            Ok(None) => order_not_found(order_ref),
            Ok(Some(_)) => instruction_not_found(instruction_ref),
            Err(e) => e,
        }
    }

    /// The table, for reads that batch an instruction with other items.
    pub(crate) fn table(&self) -> &Table {
        &self.table
    }

    /// Finishes an execution in one transaction: the transaction enters the customer's vault
    /// (never twice) and the instruction takes its final state, if nobody changed the
    /// instruction since `read_version`. `Ok(false)` when either condition failed: another
    /// worker finished it first.
    pub async fn finish_execution(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
        transaction: &Transaction,
    ) -> Result<bool, Error> {
        let instruction_put = Put::builder()
            .table_name(&self.table.name)
            .set_item(Some(instruction_item(scope, instruction)?))
            .condition_expression("version = :read")
            .expression_attribute_values(":read", AttributeValue::N(read_version.to_string()))
            .build()
            .map_err(build_failed("instruction put"))?;
        let result = self
            .table
            .client
            .transact_write_items()
            .transact_items(self.put_new(transaction_item(scope, transaction)?)?)
            .transact_items(TransactWriteItem::builder().put(instruction_put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match cancelled_by_condition(&e) {
                Some(failed) if failed.iter().any(|f| *f) => Ok(false),
                _ => Err(sdk_failure("TransactWriteItems")(e)),
            },
        }
    }

    /// Stores a changed instruction if nobody changed it since it was read at
    /// `read_version`; `Ok(false)` when someone did (reload and try again).
    pub async fn save_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
    ) -> Result<bool, Error> {
        let result = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(instruction_item(scope, instruction)?))
            .condition_expression("version = :read")
            .expression_attribute_values(":read", AttributeValue::N(read_version.to_string()))
            .send()
            .await;
        store::put_applied(result)
    }
}
