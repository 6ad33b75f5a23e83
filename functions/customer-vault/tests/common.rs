//! Builds the customer-vault router against moto for the tests in this directory.

use test_support::{payments, Client};

pub async fn admin() -> Client {
    let table = test_support::table().await;
    Client::admin(payments::vault_router(&table, &payments::unreachable_queue()).await)
}
