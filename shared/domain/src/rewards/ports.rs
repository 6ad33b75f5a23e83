//! What the reward use cases need from storage: a claim is one write that moves the
//! instruction to PROCESSING and creates the customer's `REWARD` instrument and the `SETTLING`
//! transaction; a settlement is one write of the transaction and its instruction.

use super::{Reward, RewardTransaction};
use crate::error::Error;
use crate::ids::{RewardId, TenantScope, TransactionId};
use crate::orders::Instruction;
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::vault::FinancialInstrument;
use std::future::Future;

/// What a claim or settlement write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardWrite {
    Written,
    /// A record changed since it was read.
    Stale,
    /// The customer was forgotten: nothing personal may be stored for them.
    CustomerForgotten,
}

pub trait RewardClaims: Sync {
    /// The instruction and the reward, read together (one round trip).
    fn instruction_and_reward(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
        instruction: &InstructionRef,
        reward: RewardId,
    ) -> impl Future<Output = Result<(Option<Instruction>, Option<Reward>), Error>> + Send;

    /// Writes a claim: the claimed instruction (if it still has `read_version`), the
    /// customer's reward instrument and the settling transaction.
    fn claim(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
        instrument: &FinancialInstrument,
        transaction: &RewardTransaction,
    ) -> impl Future<Output = Result<RewardWrite, Error>> + Send;

    fn reward_transaction(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: TransactionId,
    ) -> impl Future<Output = Result<Option<RewardTransaction>, Error>> + Send;

    /// Writes a settled transaction and its finished instruction, each if it still has the
    /// version it was read at, and, while the transaction carries credentials, if the customer
    /// is not forgotten.
    fn settle(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
        transaction_read: u64,
        instruction: &Instruction,
        instruction_read: u64,
    ) -> impl Future<Output = Result<RewardWrite, Error>> + Send;

    /// Saves a reward transaction alone if it still has `read_version`.
    fn save_reward_transaction(
        &self,
        scope: &TenantScope,
        transaction: &RewardTransaction,
        read_version: u64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Every reward transaction of the customer.
    fn reward_transactions_of(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> impl Future<Output = Result<Vec<RewardTransaction>, Error>> + Send;
}
