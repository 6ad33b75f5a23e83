//! Builds the customer-vault router against moto for the tests in this directory.

use customer_vault::AppState;
use payments_core::http::ErrorFormat;
use payments_core::vault::VaultStore;
use test_support::Client;

pub async fn admin() -> Client {
    let state = AppState {
        vault: VaultStore::new(test_support::table().await),
    };
    Client::admin(customer_vault::router(
        state,
        test_support::edge(ErrorFormat::A),
    ))
}
