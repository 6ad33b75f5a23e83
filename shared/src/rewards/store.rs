//! Where reward claims are written: a claim is one DynamoDB transaction that moves the
//! instruction to PROCESSING (conditional on its `version`, so of two racing claims one wins),
//! and creates the customer's `REWARD` instrument and the `SETTLING` transaction; settling is
//! one transaction that writes the reward transaction and its instruction together.

use super::RewardTransaction;
use crate::error::Error;
use crate::ids::{TenantScope, TransactionId};
use crate::orders::{instruction_item, Instruction};
use crate::refs::CustomerRef;
use crate::store::{self, cancelled_by_condition, sdk_failure, Item, Table, WorkKind};
use crate::vault::{
    customer_forgotten, customer_not_forgotten, customer_partition, instrument_item,
    FinancialInstrument,
};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

const REWARD_PREFIX: &str = "REWARD#";
const REWARD_TYPE: &str = "RewardTransaction";

/// Attempts at one read-modify-write before giving up on a busy item.
pub const MAX_WRITE_ATTEMPTS: usize = 20;

#[derive(Clone)]
pub struct RewardStore {
    table: Table,
}

fn reward_key(id: TransactionId) -> String {
    format!("{REWARD_PREFIX}{id}")
}

/// A put of `item`, conditional on `condition` (with `read` as `:read` when given).
fn put(
    table: &Table,
    item: Item,
    condition: &str,
    read: Option<u64>,
) -> Result<TransactWriteItem, Error> {
    let put = Put::builder()
        .table_name(&table.name)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_values(read.map(|version| {
            std::collections::HashMap::from([(
                ":read".to_owned(),
                AttributeValue::N(version.to_string()),
            )])
        }))
        .build()
        .map_err(|e| Error::Internal(format!("building put: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl RewardStore {
    pub fn new(table: Table) -> Self {
        RewardStore { table }
    }

    /// The reward transaction's item, in the work index while it is settling.
    fn transaction_item(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
    ) -> Result<Item, Error> {
        let pk = customer_partition(scope, &transaction.customer_ref);
        let mut item = store::to_item(transaction, &pk, &reward_key(transaction.id), REWARD_TYPE)?;
        if transaction.status == super::RewardStatus::Settling {
            let message = serde_json::to_string(&transaction.message(scope))
                .map_err(|e| Error::Internal(format!("serialising work message: {e}")))?;
            item.extend(store::work_attributes(
                WorkKind::Reward,
                &pk,
                transaction.last_updated,
                message,
            ));
        }
        Ok(item)
    }

    /// Writes a claim: the claimed instruction (read at `read_version`), the customer's reward
    /// instrument and the settling transaction. `Ok(false)` when the instruction changed since
    /// it was read (reload and decide again); CUSTOMER_FORGOTTEN when the customer is.
    pub async fn claim(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
        instrument: &FinancialInstrument,
        transaction: &RewardTransaction,
    ) -> Result<bool, Error> {
        let customer = &instruction.customer_ref;
        let guard = customer_not_forgotten(&self.table, scope, customer, transaction.created)?;
        let actions = vec![
            put(
                &self.table,
                instruction_item(scope, instruction)?,
                "version = :read",
                Some(read_version),
            )?,
            TransactWriteItem::builder().update(guard).build(),
            put(
                &self.table,
                instrument_item(scope, instrument)?,
                "attribute_not_exists(PK)",
                None,
            )?,
            put(
                &self.table,
                self.transaction_item(scope, transaction)?,
                "attribute_not_exists(PK)",
                None,
            )?,
        ];
        match self.commit(actions).await? {
            None => Ok(true),
            Some(0) => Ok(false),
            Some(_) => Err(customer_forgotten(customer)),
        }
    }

    pub async fn load(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: TransactionId,
    ) -> Result<Option<RewardTransaction>, Error> {
        self.table
            .get(&customer_partition(scope, customer), &reward_key(id))
            .await
    }

    /// Writes a settled transaction and its finished instruction, each conditional on the
    /// version it was read at, and, while the transaction carries credentials, on the customer
    /// not being forgotten.
    pub async fn settle(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
        transaction_read: u64,
        instruction: &Instruction,
        instruction_read: u64,
    ) -> Result<Settled, Error> {
        let mut actions = vec![
            put(
                &self.table,
                self.transaction_item(scope, transaction)?,
                "version = :read",
                Some(transaction_read),
            )?,
            put(
                &self.table,
                instruction_item(scope, instruction)?,
                "version = :read",
                Some(instruction_read),
            )?,
        ];
        if transaction.data.is_some() {
            let guard = customer_not_forgotten(
                &self.table,
                scope,
                &transaction.customer_ref,
                transaction.last_updated,
            )?;
            actions.push(TransactWriteItem::builder().update(guard).build());
        }
        Ok(match self.commit(actions).await? {
            None => Settled::Written,
            Some(2) => Settled::CustomerForgotten,
            Some(_) => Settled::Stale,
        })
    }

    /// Saves a reward transaction alone, conditional on the version it was read at.
    async fn save(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
        read: u64,
    ) -> Result<bool, Error> {
        let actions = vec![put(
            &self.table,
            self.transaction_item(scope, transaction)?,
            "version = :read",
            Some(read),
        )?];
        Ok(self.commit(actions).await?.is_none())
    }

    /// Runs a transaction: `None` when it committed, else the index of the first action whose
    /// condition failed.
    async fn commit(&self, actions: Vec<TransactWriteItem>) -> Result<Option<usize>, Error> {
        let result = self
            .table
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(e) => match cancelled_by_condition(&e)
                .and_then(|failed| failed.iter().position(|refused| *refused))
            {
                Some(index) => Ok(Some(index)),
                None => Err(sdk_failure("TransactWriteItems")(e)),
            },
        }
    }

    /// Forget: every reward transaction of the customer loses its credentials.
    pub async fn forget_customer(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        now_ms: i64,
    ) -> Result<(), Error> {
        let items: Vec<Result<Item, _>> = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(customer_partition(scope, customer)),
            )
            .expression_attribute_values(":prefix", AttributeValue::S(REWARD_PREFIX.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        for item in items {
            let found: RewardTransaction = store::from_item(item.map_err(sdk_failure("Query"))?)?;
            self.forget_transaction(scope, customer, found.id, now_ms)
                .await?;
        }
        Ok(())
    }

    async fn forget_transaction(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: TransactionId,
        now_ms: i64,
    ) -> Result<(), Error> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(mut transaction) = self.load(scope, customer, id).await? else {
                return Ok(());
            };
            let read = transaction.version;
            transaction.forget_personal_data(now_ms);
            if self.save(scope, &transaction, read).await? {
                return Ok(());
            }
        }
        Err(Error::Internal(
            "the reward transaction changed on every attempt".into(),
        ))
    }
}

/// What became of a settlement write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Written,
    /// The transaction or its instruction changed since they were read.
    Stale,
    /// The customer was forgotten: credentials may not be stored for them.
    CustomerForgotten,
}
