//! Order management (docs/api.md §3): orders, their payment instructions, and rewards taken in
//! place of a payout. Each handler parses, calls one use case, and renders.

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_aws::config::PUBLIC_BASE_URL;
use payments_aws::{Clients, Settings, SqsQueue, Store};
use payments_bodies::json::ReasonRequest;
use payments_bodies::{orders as bodies, rewards as reward_bodies};
use payments_domain::auth::Role;
use payments_domain::error::{Error, Violation, Violations};
use payments_domain::metadata::Metadata;
use payments_domain::orders::{self, ExecuteInstruction};
use payments_domain::refs::{InstructionRef, OrderRef};
use payments_domain::rewards::{self, SettleReward};
use payments_domain::Now;
use payments_http::{absolute_url, Api, ApiError, Caller, Edge, ErrorFormat, JsonBody, PathParams};

const READ: &[Role] = &[Role::TransactionRead, Role::Admin];
const WRITE: &[Role] = &[Role::TransactionWrite, Role::Admin];

const ORDER: &str = "/v2/order-management/{orderRef}";
const METADATA: &str = "/v2/order-management/{orderRef}/metadata";
const INSTRUCTION: &str = "/v2/order-management/{orderRef}/instruction/{instructionRef}";
/// The order a POST order made, for the routes it leads to.
const NEW_ORDER: &[(&str, &str)] = &[("orderRef", "$request.body#/orderRef")];
/// The instruction a POST instruction made, for the routes it leads to.
const NEW_INSTRUCTION: &[(&str, &str)] = &[
    ("orderRef", "$request.path.orderRef"),
    ("instructionRef", "$request.body#/instructionRef"),
];

#[derive(Clone)]
pub struct AppState {
    store: Store,
    /// Where due READY instructions go to be executed.
    instructions: SqsQueue<ExecuteInstruction>,
    /// Where claimed rewards go to be settled.
    rewards: SqsQueue<SettleReward>,
    /// The API's public base URL for `Location`s, when configured.
    public_base_url: Option<String>,
}

/// The body format of this group's errors (docs/api.md §2), for its edge and its OpenAPI
/// document.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat::A;

/// The function as deployed, from its settings: `main` and the tests both build it here.
pub async fn app(settings: &Settings, aws: &Clients) -> Result<Router, Error> {
    let state = AppState {
        store: Store::from_settings(aws, settings)?,
        instructions: SqsQueue::from_settings(aws, settings)?,
        rewards: SqsQueue::from_settings(aws, settings)?,
        public_base_url: settings.optional(PUBLIC_BASE_URL).map(str::to_owned),
    };
    let edge = Edge::from_settings(ERROR_FORMAT, settings, &state.store)?;
    Ok(api().into_router(state, edge))
}

/// Every route of the function, with its roles.
pub fn api() -> Api<AppState> {
    Api::new()
        .route(Method::POST, "/v2/order-management", WRITE, create_order)
        .takes::<bodies::CreateOrderRequest>()
        .answers_empty(StatusCode::CREATED)
        .leads_to("GET", ORDER, NEW_ORDER)
        .answers_empty(StatusCode::ACCEPTED)
        .leads_to("GET", ORDER, NEW_ORDER)
        .route(Method::GET, ORDER, READ, get_order)
        .answers::<bodies::OrderBody>(StatusCode::OK)
        .route(Method::PUT, METADATA, WRITE, replace_order_metadata)
        .takes::<Metadata>()
        .answers_empty(StatusCode::NO_CONTENT)
        .route(Method::DELETE, METADATA, WRITE, delete_order_metadata)
        .answers_empty(StatusCode::NO_CONTENT)
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction",
            WRITE,
            create_instruction,
        )
        .takes::<bodies::NewInstructionRequest>()
        .answers_empty(StatusCode::NO_CONTENT)
        .leads_to("GET", INSTRUCTION, NEW_INSTRUCTION)
        .leads_to("PUT", INSTRUCTION, NEW_INSTRUCTION)
        .route(Method::GET, INSTRUCTION, READ, get_instruction)
        .answers::<bodies::InstructionBody>(StatusCode::OK)
        .route(Method::PUT, INSTRUCTION, WRITE, update_instruction)
        .takes::<bodies::InstructionUpdateRequest>()
        .answers_empty(StatusCode::NO_CONTENT)
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction/{instructionRef}/cancel",
            WRITE,
            cancel_instruction,
        )
        .takes_optional::<ReasonRequest>()
        .answers_empty(StatusCode::NO_CONTENT)
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction/{instructionRef}/authorize-reward",
            WRITE,
            authorize_reward,
        )
        .answers_empty(StatusCode::CREATED)
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction/{instructionRef}/claim-reward",
            WRITE,
            claim_reward,
        )
        .takes::<reward_bodies::ClaimRequest>()
        .answers_empty(StatusCode::ACCEPTED)
        // The `/v1` link targets the bodies' `_links` point at.
        .route(
            Method::GET,
            "/v1/order-management/{orderRef}",
            READ,
            get_order,
        )
        .answers::<bodies::OrderBody>(StatusCode::OK)
        .route(
            Method::GET,
            "/v1/order-management/{orderRef}/instruction/{instructionRef}",
            READ,
            get_instruction,
        )
        .answers::<bodies::InstructionBody>(StatusCode::OK)
}

fn order_ref(path: &PathParams) -> Result<OrderRef, Violation> {
    OrderRef::parse(path.get("orderRef"))
}

fn instruction_path(path: &PathParams) -> Result<(OrderRef, InstructionRef), Vec<Violation>> {
    let mut found = Violations::new();
    let order = found.check(order_ref(path));
    let instruction = found.check(InstructionRef::parse(path.get("instructionRef")));
    found.collect(order.zip(instruction))
}

/// 201 for an order alone, 202 when it carries instructions (their execution is queued).
async fn create_order(
    caller: Caller,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request = bodies::create_order(body)?;
    let (order, instructions) = orders::create_order(
        &app.store,
        &app.instructions,
        &caller.scope,
        request,
        Now::read(),
    )
    .await?;
    let status = match instructions.is_empty() {
        true => StatusCode::CREATED,
        false => StatusCode::ACCEPTED,
    };
    Ok((status, [(header::LOCATION, bodies::order_location(&order))]).into_response())
}

async fn get_order(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let order_ref = order_ref(&path)?;
    let (order, instructions) = orders::order(&app.store, &caller.scope, &order_ref).await?;
    Ok(Json(bodies::order_body(&order, &instructions)).into_response())
}

async fn replace_order_metadata(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut found = Violations::new();
    let order_ref = found.check(order_ref(&path));
    let metadata = found.check(bodies::order_metadata(body));
    let (order_ref, metadata) = found.finish(order_ref.zip(metadata))?;
    orders::replace_order_metadata(&app.store, &caller.scope, &order_ref, &metadata).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_order_metadata(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<StatusCode, ApiError> {
    let order_ref = order_ref(&path)?;
    orders::replace_order_metadata(&app.store, &caller.scope, &order_ref, &Metadata::default())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut found = Violations::new();
    let order_ref = found.check(order_ref(&path));
    let request = found.check(bodies::instruction_request(body));
    let (order_ref, request) = found.finish(order_ref.zip(request))?;
    orders::add_instruction(
        &app.store,
        &app.instructions,
        &caller.scope,
        order_ref,
        request,
        Now::read(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let (order_ref, instruction_ref) = instruction_path(&path)?;
    let instruction =
        orders::instruction(&app.store, &caller.scope, &order_ref, &instruction_ref).await?;
    Ok(Json(bodies::instruction_body(&instruction)).into_response())
}

async fn update_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut found = Violations::new();
    let target = found.check(instruction_path(&path));
    let update = found.check(bodies::instruction_update(body));
    let ((order_ref, instruction_ref), update) = found.finish(target.zip(update))?;
    orders::update_instruction(
        &app.store,
        &app.instructions,
        &caller.scope,
        &order_ref,
        &instruction_ref,
        update,
        Now::read(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut found = Violations::new();
    let target = found.check(instruction_path(&path));
    let reason = found.check(bodies::cancel(body));
    let ((order_ref, instruction_ref), reason) = found.finish(target.zip(reason))?;
    orders::cancel_instruction(
        &app.store,
        &caller.scope,
        &order_ref,
        &instruction_ref,
        reason,
        Now::read(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 201, no body; authorizing twice is harmless.
async fn authorize_reward(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<StatusCode, ApiError> {
    let (order, instruction) = instruction_path(&path)?;
    rewards::authorize_reward(&app.store, &caller.scope, &order, &instruction, Now::read()).await?;
    Ok(StatusCode::CREATED)
}

/// 202 with the reward transaction's absolute URL in `Location`; the settlement is queued.
async fn claim_reward(
    caller: Caller,
    path: PathParams,
    headers: HeaderMap,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut found = Violations::new();
    let refs = found.check(instruction_path(&path));
    let reward_id = found.check(reward_bodies::claim(body));
    let ((order, instruction), reward_id) = found.finish(refs.zip(reward_id))?;
    let transaction = rewards::claim_reward(
        &app.store,
        &app.rewards,
        &caller.scope,
        &order,
        &instruction,
        reward_id,
        Now::read(),
    )
    .await?;
    let location = absolute_url(
        app.public_base_url.as_deref(),
        &headers,
        &reward_bodies::reward_transaction_location(&transaction),
    );
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)]).into_response())
}
