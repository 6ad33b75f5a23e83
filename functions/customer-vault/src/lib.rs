//! The customer vault (seed 000): a customer's profile and financial instruments.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_core::auth::Role;
use payments_core::error::{Error, ErrorCode, Violation, Violations};
use payments_core::http::{parse_reason, Api, Caller, Edge, JsonBody, PathParams};
use payments_core::ids::{FinancialInstrumentId, RefundId, TransactionId};
use payments_core::mandates::MandateStore;
use payments_core::orders::VaultChanges;
use payments_core::queue::{Queue, SqsQueue};
use payments_core::refs::CustomerRef;
use payments_core::rewards::RewardStore;
use payments_core::vault::{
    self, now_ms, AccountDetails, ExecuteRefunds, FinancialInstrument, VaultStore,
};
use serde_json::json;

const READ: &[Role] = &[Role::TransactionRead, Role::Admin];
const READ_WITH_BRIDGE: &[Role] = &[Role::TransactionRead, Role::BridgeRead, Role::Admin];
const WRITE: &[Role] = &[Role::TransactionWrite, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];

const CUSTOMER: &str = "/v2/customer-vault/{customerRef}";
const INSTRUMENT: &str =
    "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}";

const TRANSACTION: &str =
    "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}";

const REFUNDS: &str = "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund";
const REFUND: &str = "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund/{refundId}";

/// Attempts at reserving a refund before giving up on a transaction under heavy contention.
const MAX_REFUND_WRITE_ATTEMPTS: usize = 20;

#[derive(Clone)]
pub struct AppState {
    pub vault: VaultStore,
    /// Where accepted refunds go to be executed.
    pub refunds: SqsQueue,
    /// What closing an instrument or forgetting a customer does to their instructions.
    pub instructions: VaultChanges,
    /// Forgetting a customer also erases the debtor details of their mandates.
    pub mandates: MandateStore,
    /// Reward claims: read here, and their credentials erased by forget.
    pub rewards: RewardStore,
}

/// Every route of the function, with its roles.
pub fn api() -> Api<AppState> {
    use axum::http::Method;
    Api::new()
        .route(Method::GET, CUSTOMER, READ_WITH_BRIDGE, get_customer)
        .route(Method::PUT, CUSTOMER, WRITE, update_customer)
        .route(
            Method::POST,
            "/v2/customer-vault/{customerRef}/forget",
            ADMIN,
            forget_customer,
        )
        .route(
            Method::POST,
            "/v2/customer-vault/{customerRef}/international-bank-account",
            WRITE,
            add_international_bank_account,
        )
        .route(
            Method::POST,
            "/v2/customer-vault/{customerRef}/uk-bank-account",
            WRITE,
            add_uk_bank_account,
        )
        .route(Method::GET, INSTRUMENT, READ, get_instrument)
        .route(
            Method::PUT,
            "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/close",
            WRITE,
            close_instrument,
        )
        .route(Method::GET, TRANSACTION, READ, get_transaction)
        // Refunds move money: the seed names the read role, the contract requires write.
        .route(Method::POST, REFUNDS, WRITE, request_refund)
        .route(Method::GET, REFUND, READ, get_refund)
        // The `/v1` link targets the bodies' `_links` point at.
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}",
            READ,
            get_transaction,
        )
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}",
            READ,
            get_customer,
        )
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}/reward/{financialInstrumentId}/transaction/{transactionId}",
            READ,
            get_reward_transaction,
        )
        .route(
            Method::GET,
            "/v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}",
            READ,
            get_instrument,
        )
}

pub fn router(state: AppState, edge: Edge) -> Router {
    api().into_router(state, edge)
}

fn customer_ref(path: &PathParams) -> Result<CustomerRef, Error> {
    CustomerRef::parse(path.get("customerRef")).map_err(Error::invalid)
}

/// The customer and instrument named by the path, both checked so one 400 lists both.
fn instrument_path(
    path: &PathParams,
) -> Result<(CustomerRef, FinancialInstrumentId), Vec<Violation>> {
    let mut found = Violations::new();
    let customer = found.check(CustomerRef::parse(path.get("customerRef")));
    let id = found.check(FinancialInstrumentId::parse(
        path.get("financialInstrumentId"),
    ));
    found.collect(customer.zip(id))
}

async fn get_customer(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let customer = customer_ref(&path)?;
    let stored = app.vault.load_customer(&caller.scope, &customer).await?;
    Ok(Json(vault::customer_body(&customer, &stored)).into_response())
}

async fn update_customer(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    let mut found = Violations::new();
    let customer = found.check(CustomerRef::parse(path.get("customerRef")));
    let metadata = found.check(vault::parse_metadata_update(body));
    let (customer, metadata) = found.finish(customer.zip(metadata))?;
    app.vault
        .replace_metadata(&caller.scope, &customer, &metadata, now_ms())
        .await?;
    Ok(StatusCode::ACCEPTED)
}

async fn forget_customer(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<StatusCode, Error> {
    let customer = customer_ref(&path)?;
    app.vault.forget(&caller.scope, &customer, now_ms()).await?;
    app.instructions
        .customer_forgotten(&caller.scope, &customer, now_ms())
        .await?;
    let mandates = app.vault.mandate_links(&caller.scope, &customer).await?;
    app.mandates
        .forget_customer(&caller.scope, &customer, &mandates, now_ms())
        .await?;
    app.rewards
        .forget_customer(&caller.scope, &customer, now_ms())
        .await?;
    tracing::info!("customer forgotten");
    Ok(StatusCode::OK)
}

async fn add_international_bank_account(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    add_instrument(caller, path, app, body, vault::parse_iban_account).await
}

async fn add_uk_bank_account(
    caller: Caller,
    path: PathParams,
    app: State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    add_instrument(caller, path, app, body, vault::parse_uk_account).await
}

/// Adds the account the body describes, parsed by `parse_account`. 201 `{_links, id}` with a
/// `Location` header naming the new instrument.
async fn add_instrument(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
    parse_account: fn(JsonBody) -> Result<AccountDetails, Vec<Violation>>,
) -> Result<Response, Error> {
    let mut found = Violations::new();
    let customer = found.check(CustomerRef::parse(path.get("customerRef")));
    let details = found.check(parse_account(body));
    let (customer, details) = found.finish(customer.zip(details))?;
    let instrument = FinancialInstrument::new(customer, details, now_ms());
    app.vault.add_instrument(&caller.scope, &instrument).await?;
    let links = vault::instrument_links(&instrument);
    let location = vault::instrument_href(&instrument);
    let body = json!({ "_links": links, "id": instrument.id.to_string() });
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

async fn get_instrument(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let (customer, id) = instrument_path(&path).map_err(Error::Invalid)?;
    match app
        .vault
        .load_instrument(&caller.scope, &customer, id)
        .await?
    {
        Some(instrument) => Ok(Json(vault::instrument_body(&instrument)).into_response()),
        None => Err(vault::instrument_not_found(id)),
    }
}

async fn close_instrument(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    let mut found = Violations::new();
    let target = found.check(instrument_path(&path));
    let reason = found.check(parse_reason(body, vault::CLOSE_REASON_MAX_LENGTH));
    let (customer, id) = found.finish(target.zip(reason).map(|(target, _reason)| target))?;
    app.vault
        .close_instrument(&caller.scope, &customer, id, now_ms())
        .await?;
    app.instructions
        .instrument_closed(&caller.scope, &customer, id, now_ms())
        .await?;
    Ok(StatusCode::OK)
}

async fn get_transaction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let (customer, instrument, id) = transaction_path(&path).map_err(Error::Invalid)?;
    let transaction = app
        .vault
        .load_transaction(&caller.scope, &customer, instrument, id)
        .await?;
    Ok(Json(transaction.body()).into_response())
}

/// `{status, data}` of a reward claim: the claim-reward `Location`.
async fn get_reward_transaction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let (customer, instrument, id) = transaction_path(&path).map_err(Error::Invalid)?;
    let transaction = app
        .rewards
        .load(&caller.scope, &customer, id)
        .await?
        .filter(|t| t.financial_instrument_id == instrument)
        .ok_or_else(|| vault::transaction_not_found(id))?;
    Ok(Json(transaction.body()).into_response())
}

/// The customer, instrument and transaction named by the path.
fn transaction_path(
    path: &PathParams,
) -> Result<(CustomerRef, FinancialInstrumentId, TransactionId), Vec<Violation>> {
    let mut found = Violations::new();
    let instrument = found.check(instrument_path(path));
    let id = found.check(TransactionId::parse(path.get("transactionId")));
    found.collect(
        instrument
            .zip(id)
            .map(|((customer, instrument), id)| (customer, instrument, id)),
    )
}

/// 200 `{refundId, status: "PENDING"}`: the refund is reserved against the transaction (pending
/// and completed refunds never exceed its amount, also when requests race) and queued.
async fn request_refund(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let mut found = Violations::new();
    let target = found.check(transaction_path(&path));
    let request = found.check(vault::parse_refund_request(body));
    let ((customer, instrument, id), (amount, reason)) = found.finish(target.zip(request))?;
    for _ in 0..MAX_REFUND_WRITE_ATTEMPTS {
        let mut transaction = app
            .vault
            .load_transaction(&caller.scope, &customer, instrument, id)
            .await?;
        let currency = transaction.amount.currency();
        let money = amount
            .in_currency(currency)
            .map_err(|e| Error::invalid(e.violation(Some(currency))))?;
        let read = transaction.version;
        let refund_id = transaction.request_refund(money, reason.clone(), now_ms())?;
        if app
            .vault
            .save_transaction(&caller.scope, &transaction, read)
            .await?
        {
            let message = ExecuteRefunds {
                tenant_id: caller.scope.tenant,
                account_id: caller.scope.account,
                customer_ref: customer,
                financial_instrument_id: instrument,
                transaction_id: id,
            };
            if let Err(e) = app.refunds.send(&message).await {
                tracing::warn!(error = %e, "queueing a refund failed; the sweep will queue it");
            }
            tracing::info!(%refund_id, "refund requested");
            return Ok(Json(json!({ "refundId": refund_id, "status": "PENDING" })).into_response());
        }
    }
    Err(Error::Internal(
        "the transaction changed on every attempt".into(),
    ))
}

async fn get_refund(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let mut found = Violations::new();
    let target = found.check(transaction_path(&path));
    let refund_id = found.check(RefundId::parse(path.get("refundId")));
    let ((customer, instrument, id), refund_id) = found.finish(target.zip(refund_id))?;
    let transaction = app
        .vault
        .load_transaction(&caller.scope, &customer, instrument, id)
        .await?;
    let refund = transaction.refund(refund_id).ok_or_else(|| {
        Error::NotFound(
            Violation::new(ErrorCode::REFUND_NOT_FOUND).with("refundId", refund_id.to_string()),
        )
    })?;
    Ok(Json(transaction.refund_body(refund)).into_response())
}
