//! Reward claims' items: a reward transaction lives in its customer's partition
//! (`SK = REWARD#{transactionId}`) beside the `REWARD` instrument its claim created, and is in
//! the work index while it is settling.

use super::keys::{self, REWARD_PREFIX, REWARD_TRANSACTION_TYPE};
use super::outbox::Changed;
use super::work::{waiting_attribute, work_attributes};
use super::{from_item, Condition, Item, Store, Transacted};
use payments_domain::clock::Now;
use payments_domain::error::Error;
use payments_domain::ids::{RewardId, TenantScope, TransactionId};
use payments_domain::orders::Instruction;
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::rewards::{Reward, RewardClaims, RewardTransaction, RewardWrite};
use payments_domain::vault::FinancialInstrument;

impl Store {
    /// A reward transaction's item, its credentials sealed under its customer's key.
    async fn reward_transaction_item(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
    ) -> Result<Item, Error> {
        let (pk, mut item) = self
            .customer_item(
                scope,
                &transaction.customer_ref,
                transaction,
                &keys::reward_transaction(transaction.id),
                REWARD_TRANSACTION_TYPE,
            )
            .await?;
        if let Some(from) = transaction.needs_worker_from() {
            item.extend(work_attributes(&pk, from, &transaction.message(scope))?);
            item.extend(waiting_attribute(transaction.waiting_on_provider_since()));
        }
        Ok(item)
    }
}

/// What a reward transaction whose first action is the versioned record found.
fn written(transacted: Transacted, forgotten_guard: Option<usize>) -> RewardWrite {
    match transacted.first_refused() {
        None => RewardWrite::Written,
        Some(index) if Some(index) == forgotten_guard => RewardWrite::CustomerForgotten,
        Some(_) => RewardWrite::Stale,
    }
}

impl RewardClaims for Store {
    async fn instruction_and_reward(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
        instruction: &InstructionRef,
        reward: RewardId,
    ) -> Result<(Option<Instruction>, Option<Reward>), Error> {
        let wanted = [
            (keys::order(scope, order), keys::instruction(instruction)),
            (keys::rewards(scope), reward.to_string()),
        ];
        let mut items = self.get_many(&wanted).await?.into_iter();
        let instruction = items.next().flatten().map(from_item).transpose()?;
        let reward = items.next().flatten().map(from_item).transpose()?;
        Ok((instruction, reward))
    }

    async fn claim(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
        instrument: &FinancialInstrument,
        transaction: &RewardTransaction,
    ) -> Result<RewardWrite, Error> {
        let actions = vec![
            self.put_action(
                self.instruction_item(scope, instruction).await?,
                Condition::Version(read_version),
            )?,
            self.customer_not_forgotten(
                scope,
                &instruction.customer_ref,
                Now::at(transaction.created),
            )?,
            self.put_action(
                self.instrument_item(scope, instrument).await?,
                Condition::New,
            )?,
            self.put_action(
                self.reward_transaction_item(scope, transaction).await?,
                Condition::New,
            )?,
        ];
        Ok(written(self.transact(actions).await?, Some(1)))
    }

    async fn reward_transaction(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: TransactionId,
    ) -> Result<Option<RewardTransaction>, Error> {
        self.get(
            &keys::customer(scope, customer),
            &keys::reward_transaction(id),
        )
        .await
    }

    async fn settle(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
        transaction_read: u64,
        instruction: &Instruction,
        instruction_read: u64,
    ) -> Result<RewardWrite, Error> {
        let mut actions = vec![
            self.put_action(
                self.reward_transaction_item(scope, transaction).await?,
                Condition::Version(transaction_read),
            )?,
            self.put_action(
                self.instruction_item(scope, instruction).await?,
                Condition::Version(instruction_read),
            )?,
        ];
        let guard = transaction.data.is_some().then_some(actions.len());
        if guard.is_some() {
            actions.push(self.customer_not_forgotten(
                scope,
                &transaction.customer_ref,
                Now::at(transaction.last_updated),
            )?);
        }
        actions.extend(
            self.event_actions(scope, Changed::Reward(transaction))
                .await?,
        );
        actions.extend(
            self.event_actions(scope, Changed::Instruction(instruction))
                .await?,
        );
        let written = written(self.transact(actions).await?, guard);
        if written == RewardWrite::Written {
            self.relay(scope, Changed::Reward(transaction)).await;
            self.relay(scope, Changed::Instruction(instruction)).await;
        }
        Ok(written)
    }

    async fn save_reward_transaction(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
        read_version: u64,
    ) -> Result<bool, Error> {
        self.put_reporting(
            scope,
            self.reward_transaction_item(scope, transaction).await?,
            Condition::Version(read_version),
            Changed::Reward(transaction),
            // Only a settlement stores credentials, through `settle`, which checks the customer.
            None,
        )
        .await
    }

    async fn reward_transactions_of(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<RewardTransaction>, Error> {
        self.query_prefix(&keys::customer(scope, customer), REWARD_PREFIX)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }
}
