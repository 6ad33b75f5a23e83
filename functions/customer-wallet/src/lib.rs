//! The customer wallet (docs/api.md §3): which of a customer's instruments are offered for
//! reuse. Each handler parses, calls one use case, and renders.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_aws::{Clients, Settings, Store};
use payments_bodies::{json, vault as bodies};
use payments_domain::auth::Role;
use payments_domain::error::{Error, Violations};
use payments_domain::ids::FinancialInstrumentId;
use payments_domain::refs::CustomerRef;
use payments_domain::vault::{self, Customers, WALLET_REASON_MAX_LENGTH};
use payments_http::{Api, ApiError, Caller, Edge, ErrorFormat, JsonBody, PathParams};

const READ: &[Role] = &[Role::BridgeRead, Role::TransactionRead, Role::Admin];
const WRITE: &[Role] = &[Role::BridgeWrite, Role::TransactionWrite, Role::Admin];

const WALLET_INSTRUMENT: &str =
    "/v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}";

#[derive(Clone)]
pub struct AppState {
    store: Store,
}

/// The body format of this group's errors (docs/api.md §2), for its edge and its OpenAPI
/// document.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat::A;

/// The function as deployed, from its settings: `main` and the tests both build it here.
pub async fn app(settings: &Settings, aws: &Clients) -> Result<Router, Error> {
    let state = AppState {
        store: Store::from_settings(aws, settings)?,
    };
    let edge = Edge::from_settings(ERROR_FORMAT, settings, &state.store)?;
    Ok(api().into_router(state, edge))
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
        .answers::<bodies::Customer>(StatusCode::OK)
        .route(Method::POST, WALLET_INSTRUMENT, WRITE, add_to_wallet)
        .takes_optional::<json::ReasonRequest>()
        .answers_empty(StatusCode::ACCEPTED)
        .route(Method::DELETE, WALLET_INSTRUMENT, WRITE, remove_from_wallet)
        .takes_optional::<json::ReasonRequest>()
        .answers_empty(StatusCode::ACCEPTED)
}

async fn get_wallet(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let customer = CustomerRef::parse(path.get("customerRef"))?;
    let stored = app.store.customer(&caller.scope, &customer).await?;
    Ok(Json(bodies::wallet_body(&customer, &stored)).into_response())
}

async fn add_to_wallet(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, ApiError> {
    change_wallet(caller, path, app, body, true).await
}

async fn remove_from_wallet(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, ApiError> {
    change_wallet(caller, path, app, body, false).await
}

/// 202 whether or not the instrument was already in (or out of) the wallet.
async fn change_wallet(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
    enabled: bool,
) -> Result<StatusCode, ApiError> {
    let mut found = Violations::new();
    let customer = found.check(CustomerRef::parse(path.get("customerRef")));
    let id = found.check(FinancialInstrumentId::parse(
        path.get("financialInstrumentId"),
    ));
    // Validated, not stored: no response shows it and free text may hold personal data.
    let reason = found.check(json::reason_body(body, WALLET_REASON_MAX_LENGTH));
    let ((customer, id), _reason) = found.finish(customer.zip(id).zip(reason))?;
    vault::set_in_wallet(&app.store, &caller.scope, &customer, id, enabled).await?;
    Ok(StatusCode::ACCEPTED)
}
