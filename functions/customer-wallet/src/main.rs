//! Lambda entry point: clients and keys are built once per cold start, then the router serves
//! every API Gateway event.

use payments_core::http::ErrorFormat;
use payments_core::vault::VaultStore;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    payments_core::http::serve(ErrorFormat::A, |sdk, edge| async move {
        let vault = VaultStore::new(payments_core::config::table(&sdk)?);
        Ok(customer_wallet::router(
            customer_wallet::AppState { vault },
            edge,
        ))
    })
    .await
}
