//! Forgetting a customer (docs/api.md §5): every piece of their personal data, in every area,
//! is erased; amounts, ids, dates and statuses stay so the books still add up. The profile is
//! marked FORGOTTEN first, so nothing personal can be written for the customer from then on
//! (those writes check it in the same DynamoDB transaction); then the key their sealed data
//! needs is destroyed, so no copy of it can be read (docs/decisions/0019); then each kind of
//! item is erased.
//! Safe to repeat, and a failure anywhere is an error, never a partial success reported as done.

use crate::clock::Now;
use crate::error::Error;
use crate::ids::TenantScope;
use crate::mandates::{MandateWrite, Mandates};
use crate::metadata::Metadata;
use crate::orders::{change_linked_instruction, Orders};
use crate::outbox::RecordedEvents;
use crate::refs::{CustomerRef, OrderRef};
use crate::rewards::RewardClaims;
use crate::vault::{Customers, Transactions};
use crate::versioned;

pub async fn forget_customer<S>(
    store: &S,
    scope: &TenantScope,
    customer: &CustomerRef,
    now: Now,
) -> Result<(), Error>
where
    S: Customers + Transactions + Orders + Mandates + RewardClaims + RecordedEvents,
{
    store.mark_forgotten(scope, customer, now).await?;
    // First: from here every copy of what was sealed for them is unreadable, whatever follows.
    store.destroy_personal_data_key(scope, customer).await?;
    store.erase_instrument_details(scope, customer).await?;
    forget_transactions(store, scope, customer, now).await?;
    let links = store.instruction_links(scope, customer).await?;
    for link in &links {
        change_linked_instruction(store, scope, link, |instruction| {
            instruction.forget_personal_data(now.epoch_ms());
            Some(())
        })
        .await?;
    }
    // An order's metadata may be about any customer of its instructions: it goes too.
    let mut orders: Vec<&OrderRef> = links.iter().map(|link| &link.order_ref).collect();
    orders.sort();
    orders.dedup();
    for order in orders {
        store
            .set_order_metadata(scope, order, &Metadata::default())
            .await?;
    }
    forget_mandates(store, scope, customer, now).await?;
    forget_rewards(store, scope, customer, now).await?;
    // Last: the changes above may have recorded events too.
    forget_events(store, scope, customer, now).await?;
    tracing::info!("customer forgotten");
    Ok(())
}

/// Refund reasons (and, through the mirror, their copies in the instructions).
async fn forget_transactions(
    transactions: &impl Transactions,
    scope: &TenantScope,
    customer: &CustomerRef,
    now: Now,
) -> Result<(), Error> {
    for transaction in transactions.transactions_of(scope, customer).await? {
        let id = transaction.id;
        versioned::update(
            "transaction",
            Some(transaction),
            || transactions.transaction(scope, customer, id),
            |transaction| {
                transaction.forget_personal_data(now.epoch_ms());
                Ok(Some(()))
            },
            |transaction, read| async move {
                transactions
                    .save_transaction(scope, &transaction, read)
                    .await
            },
        )
        .await?;
    }
    Ok(())
}

/// Debtors, amendments and metadata of every mandate that named the customer, whether or not
/// its terms still do (a debtor entered for them may have stayed when the terms changed); one
/// still registering can never be registered now.
async fn forget_mandates<S: Customers + Mandates>(
    store: &S,
    scope: &TenantScope,
    customer: &CustomerRef,
    now: Now,
) -> Result<(), Error> {
    for id in store.mandate_links(scope, customer).await? {
        versioned::update(
            "mandate",
            None,
            || store.mandate(scope, id),
            |mandate| Ok((!mandate.forgotten).then(|| mandate.forget_personal_data(now.epoch_ms()))),
            |mandate, read| async move {
                let written = store.save_mandate(scope, &mandate, read, now).await?;
                Ok(written == MandateWrite::Written)
            },
        )
        .await?;
    }
    Ok(())
}

/// The credentials of every claimed reward.
async fn forget_rewards(
    claims: &impl RewardClaims,
    scope: &TenantScope,
    customer: &CustomerRef,
    now: Now,
) -> Result<(), Error> {
    for transaction in claims.reward_transactions_of(scope, customer).await? {
        let id = transaction.id;
        versioned::update(
            "reward transaction",
            Some(transaction),
            || claims.reward_transaction(scope, customer, id),
            |transaction| {
                transaction.forget_personal_data(now.epoch_ms());
                Ok(Some(()))
            },
            |transaction, read| async move {
                claims
                    .save_reward_transaction(scope, &transaction, read)
                    .await
            },
        )
        .await?;
    }
    Ok(())
}

/// The objects recorded in the customer's tenant events, as the live ones are.
async fn forget_events(
    events: &impl RecordedEvents,
    scope: &TenantScope,
    customer: &CustomerRef,
    now: Now,
) -> Result<(), Error> {
    for mut event in events.events_of(scope, customer).await? {
        event.subject.forget_personal_data(now.epoch_ms());
        events.save_forgotten_event(&event).await?;
    }
    Ok(())
}
