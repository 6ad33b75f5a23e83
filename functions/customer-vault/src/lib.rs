//! The customer vault (docs/api.md §3): a customer's profile, financial instruments,
//! transactions and refunds. Each handler parses, calls one use case, and renders.

use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_aws::{Clients, Settings, SqsQueue, Store};
use payments_bodies::{json, vault as bodies};
use payments_domain::auth::Role;
use payments_domain::error::{Error, Violation, Violations};
use payments_domain::forget::forget_customer;
use payments_domain::ids::{FinancialInstrumentId, RefundId, TransactionId};
use payments_domain::orders::close_instrument;
use payments_domain::refs::CustomerRef;
use payments_domain::rewards::reward_transaction;
use payments_domain::vault::{self, Customers, ExecuteRefunds, TransactionPath};
use payments_domain::Now;
use payments_http::{Api, ApiError, Caller, Edge, ErrorFormat, JsonBody, PathParams};

const READ: &[Role] = &[Role::TransactionRead, Role::Admin];
const READ_WITH_BRIDGE: &[Role] = &[Role::TransactionRead, Role::BridgeRead, Role::Admin];
const WRITE: &[Role] = &[Role::TransactionWrite, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];

const CUSTOMER: &str = "/v2/customer-vault/{customerRef}";
const INSTRUMENT: &str =
    "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}";
const TRANSACTION: &str =
    "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}";
const CLOSE: &str =
    "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/close";
/// The instrument a POST of a bank account made, for the routes it leads to.
const NEW_INSTRUMENT: &[(&str, &str)] = &[
    ("customerRef", "$request.path.customerRef"),
    ("financialInstrumentId", "$response.body#/id"),
];
const REFUNDS: &str = "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund";
const REFUND: &str = "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund/{refundId}";

#[derive(Clone)]
pub struct AppState {
    store: Store,
    /// Where accepted refunds go to be executed.
    refunds: SqsQueue<ExecuteRefunds>,
}

/// The body format of this group's errors (docs/api.md §2), for its edge and its OpenAPI
/// document.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat::A;

/// The function as deployed, from its settings: `main` and the tests both build it here.
pub async fn app(settings: &Settings, aws: &Clients) -> Result<Router, Error> {
    let state = AppState {
        store: Store::from_settings(aws, settings)?,
        refunds: SqsQueue::from_settings(aws, settings)?,
    };
    let edge = Edge::from_settings(ERROR_FORMAT, settings, &state.store)?;
    Ok(api().into_router(state, edge))
}

/// Every route of the function, with its roles.
pub fn api() -> Api<AppState> {
    Api::new()
        .route(Method::GET, CUSTOMER, READ_WITH_BRIDGE, get_customer)
        .answers::<bodies::Customer>(StatusCode::OK)
        .route(Method::PUT, CUSTOMER, WRITE, update_customer)
        .takes::<bodies::MetadataRequest>()
        .answers_empty(StatusCode::ACCEPTED)
        .route(
            Method::POST,
            "/v2/customer-vault/{customerRef}/forget",
            ADMIN,
            forget,
        )
        .answers_empty(StatusCode::OK)
        .route(
            Method::POST,
            "/v2/customer-vault/{customerRef}/international-bank-account",
            WRITE,
            add_international_bank_account,
        )
        .takes::<bodies::IbanAccountRequest>()
        .answers::<bodies::AddedInstrument>(StatusCode::CREATED)
        .leads_to("GET", INSTRUMENT, NEW_INSTRUMENT)
        .leads_to("PUT", CLOSE, NEW_INSTRUMENT)
        .route(
            Method::POST,
            "/v2/customer-vault/{customerRef}/uk-bank-account",
            WRITE,
            add_uk_bank_account,
        )
        .takes::<bodies::UkAccountRequest>()
        .answers::<bodies::AddedInstrument>(StatusCode::CREATED)
        .leads_to("GET", INSTRUMENT, NEW_INSTRUMENT)
        .leads_to("PUT", CLOSE, NEW_INSTRUMENT)
        .route(Method::GET, INSTRUMENT, READ, get_instrument)
        .answers::<bodies::Instrument>(StatusCode::OK)
        .route(Method::PUT, CLOSE, WRITE, close)
        .takes_optional::<json::ReasonRequest>()
        .answers_empty(StatusCode::OK)
        .route(Method::GET, TRANSACTION, READ, get_transaction)
        .answers::<bodies::TransactionBody>(StatusCode::OK)
        // Refunds move money: the published page names the read role, the contract requires write.
        .route(Method::POST, REFUNDS, WRITE, request_refund)
        .takes::<bodies::RefundRequestBody>()
        .answers::<bodies::RequestedRefund>(StatusCode::OK)
        .leads_to(
            "GET",
            REFUND,
            &[
                ("customerRef", "$request.path.customerRef"),
                ("financialInstrumentId", "$request.path.financialInstrumentId"),
                ("transactionId", "$request.path.transactionId"),
                ("refundId", "$response.body#/refundId"),
            ],
        )
        .route(Method::GET, REFUND, READ, get_refund)
        .answers::<bodies::RefundBody>(StatusCode::OK)
        // The `/v1` link targets the bodies' `_links` point at.
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}",
            READ,
            get_transaction,
        )
        .answers::<bodies::TransactionBody>(StatusCode::OK)
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}",
            READ,
            get_customer,
        )
        .answers::<bodies::Customer>(StatusCode::OK)
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}/reward/{financialInstrumentId}/transaction/{transactionId}",
            READ,
            get_reward_transaction,
        )
        .answers::<payments_bodies::rewards::RewardTransactionBody>(StatusCode::OK)
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}",
            READ,
            get_instrument,
        )
        .answers::<bodies::Instrument>(StatusCode::OK)
}

fn customer_ref(path: &PathParams) -> Result<CustomerRef, Violation> {
    CustomerRef::parse(path.get("customerRef"))
}

/// The customer and instrument named by the path, both checked so one 400 lists both.
fn instrument_path(
    path: &PathParams,
) -> Result<(CustomerRef, FinancialInstrumentId), Vec<Violation>> {
    let mut found = Violations::new();
    let customer = found.check(customer_ref(path));
    let id = found.check(FinancialInstrumentId::parse(
        path.get("financialInstrumentId"),
    ));
    found.collect(customer.zip(id))
}

/// The transaction named by the path.
fn transaction_path(path: &PathParams) -> Result<TransactionPath, Vec<Violation>> {
    let mut found = Violations::new();
    let instrument = found.check(instrument_path(path));
    let id = found.check(TransactionId::parse(path.get("transactionId")));
    found.collect(
        instrument
            .zip(id)
            .map(|((customer, instrument), id)| TransactionPath {
                customer_ref: customer,
                financial_instrument_id: instrument,
                transaction_id: id,
            }),
    )
}

async fn get_customer(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let customer = customer_ref(&path)?;
    let stored = app.store.customer(&caller.scope, &customer).await?;
    Ok(Json(bodies::customer_body(&customer, &stored)).into_response())
}

async fn update_customer(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut found = Violations::new();
    let customer = found.check(customer_ref(&path));
    let metadata = found.check(bodies::metadata_update(body));
    let (customer, metadata) = found.finish(customer.zip(metadata))?;
    vault::replace_metadata(&app.store, &caller.scope, &customer, &metadata, Now::read()).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn forget(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<StatusCode, ApiError> {
    let customer = customer_ref(&path)?;
    forget_customer(&app.store, &caller.scope, &customer, Now::read()).await?;
    Ok(StatusCode::OK)
}

async fn add_international_bank_account(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    add_instrument(caller, path, app, body, bodies::iban_account).await
}

async fn add_uk_bank_account(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    add_instrument(caller, path, app, body, bodies::uk_account).await
}

/// Adds the account the body describes, read by `account`. 201 `{_links, id}` with a
/// `Location` header naming the new instrument.
async fn add_instrument(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
    account: fn(Option<serde_json::Value>) -> Result<vault::AccountDetails, Vec<Violation>>,
) -> Result<Response, ApiError> {
    let mut found = Violations::new();
    let customer = found.check(customer_ref(&path));
    let details = found.check(account(body));
    let (customer, details) = found.finish(customer.zip(details))?;
    let instrument =
        vault::add_instrument(&app.store, &caller.scope, customer, details, Now::read()).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, bodies::instrument_location(&instrument))],
        Json(bodies::added_instrument_body(&instrument)),
    )
        .into_response())
}

async fn get_instrument(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let (customer, id) = instrument_path(&path)?;
    let instrument = vault::instrument(&app.store, &caller.scope, &customer, id).await?;
    Ok(Json(bodies::instrument_body(&instrument)).into_response())
}

async fn close(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut found = Violations::new();
    let target = found.check(instrument_path(&path));
    // Validated, not stored: no response shows it and free text may hold personal data.
    let reason = found.check(json::reason_body(body, vault::CLOSE_REASON_MAX_LENGTH));
    let (customer, id) = found.finish(target.zip(reason).map(|(target, _reason)| target))?;
    close_instrument(&app.store, &caller.scope, &customer, id, Now::read()).await?;
    Ok(StatusCode::OK)
}

async fn get_transaction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let target = transaction_path(&path)?;
    let transaction = vault::transaction(&app.store, &caller.scope, &target).await?;
    Ok(Json(bodies::transaction_body(&transaction)).into_response())
}

/// `{status, data}` of a reward claim: the claim-reward `Location`.
async fn get_reward_transaction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let target = transaction_path(&path)?;
    let transaction = reward_transaction(
        &app.store,
        &caller.scope,
        &target.customer_ref,
        target.financial_instrument_id,
        target.transaction_id,
    )
    .await?;
    Ok(Json(payments_bodies::rewards::reward_transaction_body(
        &transaction,
    ))
    .into_response())
}

/// 200 `{refundId, status: "PENDING"}`: the refund is reserved and queued.
async fn request_refund(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut found = Violations::new();
    let target = found.check(transaction_path(&path));
    let request = found.check(bodies::refund_request(body));
    let (target, request) = found.finish(target.zip(request))?;
    let refund_id = vault::request_refund(
        &app.store,
        &app.refunds,
        &caller.scope,
        &target,
        &request,
        Now::read(),
    )
    .await?;
    Ok(Json(bodies::requested_refund_body(refund_id)).into_response())
}

async fn get_refund(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let mut found = Violations::new();
    let target = found.check(transaction_path(&path));
    let refund_id = found.check(RefundId::parse(path.get("refundId")));
    let (target, refund_id) = found.finish(target.zip(refund_id))?;
    let (transaction, refund) =
        vault::refund(&app.store, &caller.scope, &target, refund_id).await?;
    Ok(Json(bodies::refund_body(&transaction, &refund)).into_response())
}
