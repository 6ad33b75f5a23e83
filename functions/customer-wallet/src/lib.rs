//! The customer wallet (seed 002): which of a customer's instruments are offered for reuse.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_core::auth::Role;
use payments_core::error::{Error, Violations};
use payments_core::http::{parse_reason, Api, Caller, Edge, JsonBody, PathParams};
use payments_core::ids::FinancialInstrumentId;
use payments_core::refs::CustomerRef;
use payments_core::vault::{self, VaultStore};

const READ: &[Role] = &[Role::BridgeRead, Role::TransactionRead, Role::Admin];
const WRITE: &[Role] = &[Role::BridgeWrite, Role::TransactionWrite, Role::Admin];

const WALLET_INSTRUMENT: &str =
    "/v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}";

#[derive(Clone)]
pub struct AppState {
    pub vault: VaultStore,
}

/// Every route of the function, with its roles.
pub fn api() -> Api<AppState> {
    Api::new()
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}/wallet",
            READ,
            get_wallet,
        )
        .route(Method::POST, WALLET_INSTRUMENT, WRITE, add_to_wallet)
        .route(Method::DELETE, WALLET_INSTRUMENT, WRITE, remove_from_wallet)
}

pub fn router(state: AppState, edge: Edge) -> Router {
    api().into_router(state, edge)
}

async fn get_wallet(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let customer = CustomerRef::parse(path.get("customerRef")).map_err(Error::invalid)?;
    let stored = app.vault.load_customer(&caller.scope, &customer).await?;
    Ok(Json(vault::wallet_body(&customer, &stored)).into_response())
}

async fn add_to_wallet(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    change_wallet(caller, path, app, body, true).await
}

async fn remove_from_wallet(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    change_wallet(caller, path, app, body, false).await
}

/// 202 whether or not the instrument was already in (or out of) the wallet.
async fn change_wallet(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
    enabled: bool,
) -> Result<StatusCode, Error> {
    let mut found = Violations::new();
    let customer = found.check(CustomerRef::parse(path.get("customerRef")));
    let id = found.check(FinancialInstrumentId::parse(
        path.get("financialInstrumentId"),
    ));
    let reason = found.check(parse_reason(body, vault::WALLET_REASON_MAX_LENGTH));
    let ((customer, id), _reason) = found.finish(customer.zip(id).zip(reason))?;
    app.vault
        .set_in_wallet(&caller.scope, &customer, id, enabled)
        .await?;
    tracing::info!(%id, enabled, "wallet changed");
    Ok(StatusCode::ACCEPTED)
}
