//! Order items. One partition per order holds the order (`SK = ORDER`) and each instruction
//! (`SK = INSTRUCTION#{instructionRef}`): GET order is one Query, GET instruction one GetItem.

use super::items::{instruction_link_item, provider_link_item};
use super::keys::{self, INSTRUCTION_PREFIX, ORDER, ORDER_TYPE};
use super::outbox::Changed;
use super::{from_item, updated, Condition, Store, Transacted, SEALED_FOR};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};
use payments_domain::error::Error;
use payments_domain::ids::TenantScope;
use payments_domain::metadata::Metadata;
use payments_domain::orders::{
    Claim, Instruction, InstructionWrite, Order, OrderWrite, Orders, Referenced, References,
};
use payments_domain::payments::ProviderLink;
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::shredding::Subject;
use payments_domain::vault::Transaction;

impl Orders for Store {
    async fn order(
        &self,
        scope: &TenantScope,
        order_ref: &OrderRef,
    ) -> Result<Option<(Order, Vec<InstructionRef>)>, Error> {
        let mut order = None;
        let mut instructions = Vec::new();
        for item in self
            .query_prefix(&keys::order(scope, order_ref), "")
            .await?
        {
            match keys::sort_of(&item) {
                Some(ORDER) => order = Some(from_item::<Order>(item)?),
                Some(sk) if sk.starts_with(INSTRUCTION_PREFIX) => {
                    instructions.push(from_item::<Instruction>(item)?.instruction_ref)
                }
                _ => {}
            }
        }
        instructions.sort();
        Ok(order.map(|order| (order, instructions)))
    }

    async fn order_exists(&self, scope: &TenantScope, order_ref: &OrderRef) -> Result<bool, Error> {
        Ok(self
            .get_item(&keys::order(scope, order_ref), ORDER)
            .await?
            .is_some())
    }

    async fn instruction(
        &self,
        scope: &TenantScope,
        order_ref: &OrderRef,
        instruction_ref: &InstructionRef,
    ) -> Result<Option<Instruction>, Error> {
        self.get(
            &keys::order(scope, order_ref),
            &keys::instruction(instruction_ref),
        )
        .await
    }

    async fn create_order(
        &self,
        scope: &TenantScope,
        order: &Order,
        instructions: &[Instruction],
    ) -> Result<OrderWrite, Error> {
        // Links first (docs: `Orders::link_instruction`), in as few calls as DynamoDB allows: the
        // transaction below is full with the order and 99 instructions.
        self.put_many(
            instructions
                .iter()
                .map(|instruction| instruction_link_item(scope, instruction))
                .collect::<Result<_, _>>()?,
        )
        .await?;
        let order_item = self
            .sealed_item(
                scope,
                Subject::Order(&order.order_ref),
                order,
                &keys::order(scope, &order.order_ref),
                ORDER,
                ORDER_TYPE,
            )
            .await?;
        let mut actions = vec![self.put_action(order_item, Condition::New)?];
        for instruction in instructions {
            actions.push(self.put_action(
                self.instruction_item(scope, instruction).await?,
                Condition::New,
            )?);
        }
        // The order's metadata concerns every customer of its instructions.
        let personal = instructions
            .iter()
            .filter(|i| !order.metadata.is_empty() || i.carries_personal_data())
            .map(|i| &i.customer_ref);
        let guards = self.guard_personal_data(scope, personal, &mut actions)?;
        let transacted = self.transact(actions).await?;
        guards.check(&transacted)?;
        Ok(match transacted {
            Transacted::Committed => OrderWrite::Written,
            Transacted::Refused(_) => OrderWrite::AlreadyExists,
        })
    }

    async fn add_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> Result<InstructionWrite, Error> {
        self.link_instruction(scope, instruction).await?;
        let order_exists = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key(
                &keys::order(scope, &instruction.order_ref),
                ORDER,
            )))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(|e| Error::internal("building the order check", e))?;
        let mut actions = vec![
            TransactWriteItem::builder()
                .condition_check(order_exists)
                .build(),
            self.put_action(
                self.instruction_item(scope, instruction).await?,
                Condition::New,
            )?,
        ];
        let personal = instruction
            .carries_personal_data()
            .then_some(&instruction.customer_ref);
        let guards = self.guard_personal_data(scope, personal, &mut actions)?;
        let transacted = self.transact(actions).await?;
        guards.check(&transacted)?;
        Ok(match transacted.first_refused() {
            None => InstructionWrite::Written,
            Some(0) => InstructionWrite::NoSuchOrder,
            Some(_) => InstructionWrite::AlreadyExists,
        })
    }

    async fn link_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> Result<(), Error> {
        self.put(
            instruction_link_item(scope, instruction)?,
            Condition::Always,
        )
        .await?;
        Ok(())
    }

    async fn save_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
    ) -> Result<bool, Error> {
        self.put_reporting(
            scope,
            self.instruction_item(scope, instruction).await?,
            Condition::Version(read_version),
            Changed::Instruction(instruction),
            instruction
                .carries_personal_data()
                .then_some(&instruction.customer_ref),
        )
        .await
    }

    async fn claim_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
    ) -> Result<Claim, Error> {
        let save = self.put_action(
            self.instruction_item(scope, instruction).await?,
            Condition::Version(read_version),
        )?;
        let Some(instrument) = instruction.financial_instrument_id else {
            return Ok(match self.transact(vec![save]).await? {
                Transacted::Committed => Claim::Claimed,
                Transacted::Refused(_) => Claim::InstructionChanged,
            });
        };
        let active = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key(
                &keys::customer(scope, &instruction.customer_ref),
                &keys::instrument(instrument),
            )))
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", AttributeValue::S("ACTIVE".to_owned()))
            .build()
            .map_err(|e| Error::internal("building the instrument check", e))?;
        let actions = vec![
            save,
            TransactWriteItem::builder().condition_check(active).build(),
        ];
        Ok(match self.transact(actions).await?.first_refused() {
            None => Claim::Claimed,
            Some(0) => Claim::InstructionChanged,
            Some(_) => Claim::InstrumentInactive,
        })
    }

    /// Metadata concerns every customer of the order's instructions: they are read first, and
    /// the write checks that none is forgotten. It is sealed under the order's key. Erasing it
    /// (empty metadata, nothing to seal or check) is one UpdateItem.
    async fn set_order_metadata(
        &self,
        scope: &TenantScope,
        order_ref: &OrderRef,
        metadata: &Metadata,
    ) -> Result<bool, Error> {
        const ORDER_EXISTS: &str = "attribute_exists(PK)";
        let partition = keys::order(scope, order_ref);
        let (value, sealed_for) = self
            .sealed_attribute(scope, Subject::Order(order_ref), "metadata", metadata)
            .await?;
        let Some(sealed_for) = sealed_for else {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::key(&partition, ORDER)))
                .update_expression("SET metadata = :metadata REMOVE #sealedFor")
                .condition_expression(ORDER_EXISTS)
                .expression_attribute_names("#sealedFor", SEALED_FOR)
                .expression_attribute_values(":metadata", value)
                .send()
                .await;
            return updated(result);
        };
        let customers: Vec<CustomerRef> = self
            .query_prefix(&partition, INSTRUCTION_PREFIX)
            .await?
            .into_iter()
            .map(|item| from_item::<Instruction>(item).map(|i| i.customer_ref))
            .collect::<Result<_, _>>()?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key(&partition, ORDER)))
            .update_expression("SET metadata = :metadata, #sealedFor = :sealedFor")
            .condition_expression(ORDER_EXISTS)
            .expression_attribute_names("#sealedFor", SEALED_FOR)
            .expression_attribute_values(":metadata", value)
            .expression_attribute_values(":sealedFor", sealed_for)
            .build()
            .map_err(|e| Error::internal("building the metadata update", e))?;
        let mut actions = vec![TransactWriteItem::builder().update(update).build()];
        let guards = self.guard_personal_data(scope, &customers, &mut actions)?;
        let transacted = self.transact(actions).await?;
        guards.check(&transacted)?;
        Ok(transacted == Transacted::Committed)
    }

    async fn record_payment(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        instruction_read: u64,
        transaction: &Transaction,
        transaction_read: Option<u64>,
        link: Option<&ProviderLink>,
    ) -> Result<bool, Error> {
        let transaction_condition = match transaction_read {
            Some(read) => Condition::Version(read),
            None => Condition::New,
        };
        let mut actions = vec![
            self.put_action(
                self.transaction_item(scope, transaction).await?,
                transaction_condition,
            )?,
            self.put_action(
                self.instruction_item(scope, instruction).await?,
                Condition::Version(instruction_read),
            )?,
        ];
        if let Some(link) = link {
            actions.push(self.put_action(provider_link_item(link)?, Condition::Always)?);
        }
        actions.extend(
            self.event_actions(scope, Changed::Instruction(instruction))
                .await?,
        );
        actions.extend(
            self.event_actions(scope, Changed::Transaction(transaction))
                .await?,
        );
        let committed = self.transact(actions).await? == Transacted::Committed;
        if committed {
            self.relay(scope, Changed::Instruction(instruction)).await;
            self.relay(scope, Changed::Transaction(transaction)).await;
        }
        Ok(committed)
    }
}

impl References for Store {
    /// Every instrument and scheme the instructions name in one BatchGetItem (an order's at
    /// most 99 instructions name at most 198 items, so at most two), however many there are.
    async fn referenced(
        &self,
        scope: &TenantScope,
        instructions: &[Instruction],
    ) -> Result<Vec<Referenced>, Error> {
        let mut wanted = Vec::new();
        for instruction in instructions {
            if let Some(id) = instruction.financial_instrument_id {
                wanted.push((
                    keys::customer(scope, &instruction.customer_ref),
                    keys::instrument(id),
                ));
            }
            if let Some(id) = &instruction.scheme_id {
                wanted.push((keys::schemes(scope), id.as_str().to_owned()));
            }
        }
        let mut items = self.get_many(&wanted).await?.into_iter();
        let mut referenced = Vec::with_capacity(instructions.len());
        for instruction in instructions {
            let instrument = match instruction.financial_instrument_id {
                Some(_) => items.next().flatten().map(from_item).transpose()?,
                None => None,
            };
            let scheme = match instruction.scheme_id {
                Some(_) => items.next().flatten().map(from_item).transpose()?,
                None => None,
            };
            referenced.push(Referenced { instrument, scheme });
        }
        Ok(referenced)
    }
}
