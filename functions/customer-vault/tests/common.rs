//! Builds the customer-vault router against moto for the tests in this directory.

use customer_vault::AppState;
use payments_core::http::ErrorFormat;
use payments_core::orders::{OrderStore, VaultChanges};
use payments_core::queue::SqsQueue;
use payments_core::vault::VaultStore;
use test_support::Client;

pub async fn admin() -> Client {
    let sqs = aws_sdk_sqs::Client::new(&test_support::sdk_config().await);
    let table = test_support::table().await;
    let state = AppState {
        vault: VaultStore::new(table.clone()),
        refunds: SqsQueue::new(sqs, test_support::payments::unreachable_queue()),
        instructions: VaultChanges::new(OrderStore::new(table.clone()), VaultStore::new(table)),
    };
    Client::admin(customer_vault::router(
        state,
        test_support::edge(ErrorFormat::A),
    ))
}
