//! Forgetting a customer (docs/api.md §5): every piece of their personal data, in every area,
//! is erased; amounts, ids, dates and statuses stay so the books still add up. The profile is
//! marked FORGOTTEN first, so nothing personal can be written for the customer from then on
//! (those writes check it in the same DynamoDB transaction); then the keys their sealed data
//! needs (theirs, and those of the orders and mandates that concern them) are destroyed, so no
//! copy of it can be read (docs/decisions/0019); then each kind of item is erased.
//! Safe to repeat, and a failure anywhere is an error, never a partial success reported as done.

use crate::clock::Now;
use crate::error::Error;
use crate::ids::MandateId;
use crate::ids::TenantScope;
use crate::mandates::{MandateWrite, Mandates};
use crate::metadata::Metadata;
use crate::orders::{change_linked_instruction, Orders};
use crate::outbox::RecordedEvents;
use crate::refs::{CustomerRef, OrderRef};
use crate::rewards::RewardClaims;
use crate::shredding::Subject;
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
    let links = store.instruction_links(scope, customer).await?;
    let mut orders: Vec<&OrderRef> = links.iter().map(|link| &link.order_ref).collect();
    orders.sort();
    orders.dedup();
    let mandates = store.mandate_links(scope, customer).await?;
    let mut subjects = vec![Subject::Customer(customer)];
    subjects.extend(orders.iter().map(|order| Subject::Order(order)));
    subjects.extend(mandates.iter().map(|mandate| Subject::Mandate(*mandate)));
    // First: from here every copy of what was sealed for them is unreadable, whatever follows;
    // the reads below meet it as erased.
    destroy_keys(store, scope, &subjects).await?;
    store.erase_instrument_details(scope, customer).await?;
    forget_transactions(store, scope, customer, now).await?;
    for link in &links {
        change_linked_instruction(store, scope, link, |instruction| {
            instruction.forget_personal_data(now.epoch_ms());
            Some(())
        })
        .await?;
    }
    // An order's metadata may be about any customer of its instructions: it goes too.
    for order in orders {
        store
            .set_order_metadata(scope, order, &Metadata::default())
            .await?;
    }
    forget_mandates(store, scope, &mandates, now).await?;
    forget_rewards(store, scope, customer, now).await?;
    // Last: the changes above may have recorded events too.
    forget_events(store, scope, customer, now).await?;
    // And again: a write that raced the first destruction (a worker saving what it read
    // before) may have sealed under a fresh key; that key goes too.
    destroy_keys(store, scope, &subjects).await?;
    tracing::info!("customer forgotten");
    Ok(())
}

/// Destroys the keys of `subjects`: what they sealed, in every copy, reads as erased.
async fn destroy_keys(
    customers: &impl Customers,
    scope: &TenantScope,
    subjects: &[Subject<'_>],
) -> Result<(), Error> {
    for subject in subjects {
        customers.destroy_personal_data_key(scope, *subject).await?;
    }
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
async fn forget_mandates(
    store: &impl Mandates,
    scope: &TenantScope,
    mandates: &[MandateId],
    now: Now,
) -> Result<(), Error> {
    for &id in mandates {
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
