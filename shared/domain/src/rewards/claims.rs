//! Where a reward is decided: authorizing it on an instruction, claiming one for the
//! instruction (the checks in the order order management lists its errors), and settling the
//! claim with the provider. The provider is asked once per message, outside any retry of the
//! write that records its answer, and the transaction id is its idempotency key.

use super::{Reward, RewardClaims, RewardStatus, RewardTransaction, RewardWrite, SettleReward};
use crate::clock::Now;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, RewardId, TenantScope, TransactionId};
use crate::orders::{instruction_missing, Instruction, Orders};
use crate::payments::{PaymentApps, RewardOutcome, RewardRequest, MAX_PAYMENT_ATTEMPTS};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::vault::{
    customer_forgotten, transaction_not_found, AccountDetails, FinancialInstrument,
};
use crate::versioned::{self, Updated, Versioned};
use crate::work::{send_after_commit, Queue, Step};
use std::sync::atomic::{AtomicBool, Ordering};

/// POST authorize-reward: lets the customer take the instruction's payout as a reward;
/// harmless when repeated.
pub async fn authorize_reward(
    orders: &impl Orders,
    scope: &TenantScope,
    order: &OrderRef,
    instruction: &InstructionRef,
    now: Now,
) -> Result<(), Error> {
    let updated = versioned::update(
        "instruction",
        None,
        || orders.instruction(scope, order, instruction),
        |found| Ok(found.authorize_reward(now.epoch_ms())?.then_some(())),
        |found, read| async move { orders.save_instruction(scope, &found, read).await },
    )
    .await?;
    match updated {
        Updated::Saved(..) => {
            tracing::info!("reward authorized");
            Ok(())
        }
        Updated::Unchanged(_) => Ok(()),
        Updated::Missing => Err(instruction_missing(orders, scope, order, instruction).await),
    }
}

/// An instruction with the reward a claim names, and, once claimed, what the claim creates.
#[derive(Clone)]
struct Claim {
    instruction: Instruction,
    reward: Option<Reward>,
    created: Option<(FinancialInstrument, RewardTransaction)>,
}

impl Versioned for Claim {
    type Version = u64;

    fn version(&self) -> u64 {
        self.instruction.version
    }
}

impl Claim {
    /// Claims the reward on the instruction and builds the customer's `REWARD` instrument and
    /// the `SETTLING` transaction.
    fn make(&mut self, reward_id: RewardId, now: Now) -> Result<(), Error> {
        let instruction = &mut self.instruction;
        let claim = instruction.claim_reward(reward_id, now.epoch_ms())?;
        let reward = self.reward.as_ref().ok_or_else(|| {
            Error::invalid(
                Violation::new(ErrorCode::REWARD_ID_NOT_RECOGNISED)
                    .with("rewardId", reward_id.to_string()),
            )
        })?;
        let currency = instruction.amount.currency();
        if !reward.accepts_currency(currency) {
            return Err(Error::invalid(
                Violation::new(ErrorCode::REWARD_CURRENCY_NOT_SUPPORTED)
                    .with("rewardId", reward_id.to_string())
                    .with("currency", currency.code()),
            ));
        }
        let instrument = FinancialInstrument::with_id(
            claim.financial_instrument_id,
            instruction.customer_ref.clone(),
            AccountDetails::Reward {
                reward_id,
                name: reward.name.clone(),
                provider: reward.provider.clone(),
            },
            now.epoch_ms(),
        );
        let transaction = RewardTransaction {
            id: claim.transaction_id,
            customer_ref: instruction.customer_ref.clone(),
            financial_instrument_id: claim.financial_instrument_id,
            order_ref: instruction.order_ref.clone(),
            instruction_ref: instruction.instruction_ref.clone(),
            reward_id,
            reward_name: reward.name.clone(),
            provider: reward.provider.clone(),
            amount: instruction.amount,
            status: RewardStatus::Settling,
            data: None,
            failed_error_code: None,
            failed_reason: None,
            created: now.epoch_ms(),
            last_updated: now.epoch_ms(),
            version: 1,
            events: Default::default(),
            attempts: 0,
            waiting: false,
            checks: 0,
        };
        self.created = Some((instrument, transaction));
        Ok(())
    }
}

/// POST claim-reward: the instruction turns PROCESSING and the customer's vault gains a
/// `REWARD` instrument and a `SETTLING` transaction, whose settlement is queued for the reward
/// worker. Of two racing claims one wins and the other gets TRANSACTION_ALREADY_EXISTS.
pub async fn claim_reward<S: RewardClaims + Orders>(
    store: &S,
    queue: &impl Queue<SettleReward>,
    scope: &TenantScope,
    order: &OrderRef,
    instruction: &InstructionRef,
    reward_id: RewardId,
    now: Now,
) -> Result<RewardTransaction, Error> {
    let updated = versioned::update(
        "instruction",
        None,
        || async {
            let (found, reward) = store
                .instruction_and_reward(scope, order, instruction, reward_id)
                .await?;
            Ok(found.map(|instruction| Claim {
                instruction,
                reward,
                created: None,
            }))
        },
        |claim| claim.make(reward_id, now).map(Some),
        |claim, read| async move {
            let Some((instrument, transaction)) = &claim.created else {
                return Err(Error::bug("a claim saved before it was made"));
            };
            match store
                .claim(scope, &claim.instruction, read, instrument, transaction)
                .await?
            {
                RewardWrite::Written => Ok(true),
                RewardWrite::Stale => Ok(false),
                RewardWrite::CustomerForgotten => {
                    Err(customer_forgotten(&claim.instruction.customer_ref))
                }
            }
        },
    )
    .await?;
    match updated.record().and_then(|claim| claim.created) {
        Some((_, transaction)) => {
            send_after_commit(queue, &transaction.message(scope)).await;
            tracing::info!(transaction_id = %transaction.id, "reward claimed");
            Ok(transaction)
        }
        None => Err(instruction_missing(store, scope, order, instruction).await),
    }
}

/// GET reward transaction (the claim's `Location`): 404 unless the customer has it, on the
/// reward instrument of the path.
pub async fn reward_transaction(
    claims: &impl RewardClaims,
    scope: &TenantScope,
    customer: &CustomerRef,
    instrument: FinancialInstrumentId,
    id: TransactionId,
) -> Result<RewardTransaction, Error> {
    claims
        .reward_transaction(scope, customer, id)
        .await?
        .filter(|t| t.financial_instrument_id == instrument)
        .ok_or_else(|| transaction_not_found(id))
}

/// A settling transaction and its instruction, saved together.
#[derive(Clone)]
struct Settlement {
    transaction: RewardTransaction,
    instruction: Instruction,
}

impl Versioned for Settlement {
    type Version = (u64, u64);

    fn version(&self) -> (u64, u64) {
        (self.transaction.version, self.instruction.version)
    }
}

async fn instruction_of(
    orders: &impl Orders,
    scope: &TenantScope,
    transaction: &RewardTransaction,
) -> Result<Option<Instruction>, Error> {
    orders
        .instruction(scope, &transaction.order_ref, &transaction.instruction_ref)
        .await
}

/// The reward worker: has the provider issue the claimed reward and records its answer on the
/// transaction and its instruction. A duplicate or racing message settles once. The attempt is
/// counted before the provider is called; an answer in doubt leaves the claim SETTLING and the
/// next run asks the provider instead of claiming again; a provider that is not deployed, or
/// keeps refusing, ends the claim FAILED rather than leaving it to be sent again for ever.
pub async fn settle_reward<S: RewardClaims + Orders>(
    store: &S,
    apps: &PaymentApps,
    message: &SettleReward,
    now: Now,
) -> Result<Step, Error> {
    let scope: TenantScope = message.scope.into();
    let load_transaction =
        || store.reward_transaction(&scope, &message.customer_ref, message.transaction_id);
    let Some(mut transaction) = load_transaction().await? else {
        tracing::warn!("message names a reward transaction that does not exist");
        return Ok(Step::Done);
    };
    if transaction.status != RewardStatus::Settling {
        return Ok(Step::Done);
    }
    let Some(app) = apps.find(&transaction.provider) else {
        if transaction.waiting {
            return Err(Error::bug(format!(
                "the reward provider {} a claim waits on is not deployed",
                transaction.provider
            )));
        }
        let unavailable = RewardOutcome::Failed {
            error_code: "REWARD_PROVIDER_UNAVAILABLE".into(),
            reason: format!(
                "The reward provider {} is not available",
                transaction.provider
            ),
        };
        return finish_reward(store, &scope, transaction, unavailable, now).await;
    };
    let request = RewardRequest {
        transaction_id: transaction.id,
        reward_id: transaction.reward_id,
        reward_name: transaction.reward_name.clone(),
        amount: transaction.amount,
    };
    if transaction.waiting {
        match app.reward_status(&request).await {
            RewardOutcome::Retryable { reason } => {
                tracing::info!(%reason, "reward unknown to its provider");
            }
            RewardOutcome::InDoubt { reason } => {
                tracing::warn!(%reason, "reward still in doubt");
                let read = transaction.version;
                transaction.await_provider(true, now.epoch_ms());
                store
                    .save_reward_transaction(&scope, &transaction, read)
                    .await?;
                return Ok(Step::Done);
            }
            outcome => return finish_reward(store, &scope, transaction, outcome, now).await,
        }
    }
    if transaction.attempts >= MAX_PAYMENT_ATTEMPTS {
        let unreachable = RewardOutcome::Failed {
            error_code: "PROVIDER_UNAVAILABLE".into(),
            reason: "The reward provider could not be reached".into(),
        };
        return finish_reward(store, &scope, transaction, unreachable, now).await;
    }
    let read = transaction.version;
    transaction.record_attempt(now.epoch_ms());
    if !store
        .save_reward_transaction(&scope, &transaction, read)
        .await?
    {
        return Ok(Step::Done);
    }
    match app.claim_reward(&request).await {
        RewardOutcome::Retryable { reason } => {
            tracing::warn!(attempt = transaction.attempts, %reason, "reward provider asked to retry");
            Ok(Step::RetryLater)
        }
        RewardOutcome::InDoubt { reason } => {
            tracing::warn!(%reason, "reward in doubt");
            let read = transaction.version;
            transaction.await_provider(false, now.epoch_ms());
            store
                .save_reward_transaction(&scope, &transaction, read)
                .await?;
            Ok(Step::Done)
        }
        outcome => finish_reward(store, &scope, transaction, outcome, now).await,
    }
}

/// Records the provider's final answer on the transaction and its instruction, together.
async fn finish_reward<S: RewardClaims + Orders>(
    store: &S,
    scope: &TenantScope,
    transaction: RewardTransaction,
    outcome: RewardOutcome,
    now: Now,
) -> Result<Step, Error> {
    let scope = *scope;
    let (customer_ref, id) = (transaction.customer_ref.clone(), transaction.id);
    let load_transaction = || store.reward_transaction(&scope, &customer_ref, id);
    let Some(instruction) = instruction_of(store, &scope, &transaction).await? else {
        return Err(Error::bug("a reward transaction without its instruction"));
    };
    // Set when the customer turns out to be forgotten: the credentials are then not stored.
    let forgotten = AtomicBool::new(false);
    let forgotten = &forgotten;
    let settled = versioned::update(
        "reward settlement",
        Some(Settlement {
            transaction,
            instruction,
        }),
        || async {
            let Some(transaction) = load_transaction().await? else {
                return Ok(None);
            };
            Ok(instruction_of(store, &scope, &transaction)
                .await?
                .map(|instruction| Settlement {
                    transaction,
                    instruction,
                }))
        },
        |settlement| {
            if !settlement
                .transaction
                .settle(outcome.clone(), now.epoch_ms())
            {
                return Ok(None);
            }
            if forgotten.load(Ordering::Relaxed) {
                settlement.transaction.forget_personal_data(now.epoch_ms());
            }
            let transaction = &settlement.transaction;
            let failure = transaction
                .failed_error_code
                .clone()
                .zip(transaction.failed_reason.clone());
            settlement
                .instruction
                .finish_reward(failure, now.today(), now.epoch_ms());
            Ok(Some(()))
        },
        |settlement, (transaction_read, instruction_read)| async move {
            let written = store
                .settle(
                    &scope,
                    &settlement.transaction,
                    transaction_read,
                    &settlement.instruction,
                    instruction_read,
                )
                .await?;
            if written == RewardWrite::CustomerForgotten {
                forgotten.store(true, Ordering::Relaxed);
            }
            Ok(written == RewardWrite::Written)
        },
    )
    .await?;
    if let Updated::Saved(settlement, ()) = settled {
        tracing::info!(
            transaction_id = %settlement.transaction.id,
            status = ?settlement.transaction.status,
            "reward settled"
        );
    }
    Ok(Step::Done)
}
