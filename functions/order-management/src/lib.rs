//! Order management (seed 001): orders and their payment instructions.

mod rewards;

use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_core::auth::Role;
use payments_core::error::{Error, Violation, Violations};
use payments_core::http::{Api, Caller, Edge, JsonBody, PathParams};
use payments_core::orders::{self, ExecuteInstruction, Instruction, Order, OrderStore, References};
use payments_core::queue::{Queue, SqsQueue};
use payments_core::refs::{InstructionRef, OrderRef};
use payments_core::rewards::RewardClaims;
use payments_core::vault::now_ms;

const READ: &[Role] = &[Role::TransactionRead, Role::Admin];
const WRITE: &[Role] = &[Role::TransactionWrite, Role::Admin];

const ORDER: &str = "/v2/order-management/{orderRef}";
const METADATA: &str = "/v2/order-management/{orderRef}/metadata";
const INSTRUCTION: &str = "/v2/order-management/{orderRef}/instruction/{instructionRef}";

/// Attempts at a read-modify-write of one instruction before giving up on a busy item.
const MAX_WRITE_ATTEMPTS: usize = 3;

#[derive(Clone)]
pub struct AppState {
    pub orders: OrderStore,
    pub references: References,
    /// Where due READY instructions go to be executed.
    pub instructions: SqsQueue,
    pub rewards: RewardClaims,
    /// Where claimed rewards go to be settled.
    pub reward_settlements: SqsQueue,
    /// The API's public base URL for `Location`s, when configured.
    pub public_base_url: Option<String>,
}

/// Queues the instructions that are READY and due today. Sent after the write has committed;
/// a failed send is logged and the instruction stays READY, for the scheduled sweep to queue.
async fn queue_due(app: &AppState, caller: &Caller, instructions: &[Instruction]) {
    let today = chrono::Utc::now().date_naive();
    for instruction in instructions {
        if !instruction.awaits_execution_on(today) {
            continue;
        }
        let message = ExecuteInstruction::for_instruction(&caller.scope, instruction);
        if let Err(e) = app.instructions.send(&message).await {
            tracing::warn!(error = %e, "queueing a due instruction failed; the sweep will queue it");
        }
    }
}

/// Every route of the function, with its roles.
pub fn api() -> Api<AppState> {
    Api::new()
        .route(Method::POST, "/v2/order-management", WRITE, create_order)
        .route(Method::GET, ORDER, READ, get_order)
        .route(Method::PUT, METADATA, WRITE, replace_order_metadata)
        .route(Method::DELETE, METADATA, WRITE, delete_order_metadata)
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction",
            WRITE,
            create_instruction,
        )
        .route(Method::GET, INSTRUCTION, READ, get_instruction)
        .route(Method::PUT, INSTRUCTION, WRITE, update_instruction)
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction/{instructionRef}/cancel",
            WRITE,
            cancel_instruction,
        )
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction/{instructionRef}/authorize-reward",
            WRITE,
            rewards::authorize_reward,
        )
        .route(
            Method::POST,
            "/v2/order-management/{orderRef}/instruction/{instructionRef}/claim-reward",
            WRITE,
            rewards::claim_reward,
        )
        // The `/v1` link targets the bodies' `_links` point at.
        .route(
            Method::GET,
            "/v1/order-management/{orderRef}",
            READ,
            get_order,
        )
        .route(
            Method::GET,
            "/v1/order-management/{orderRef}/instruction/{instructionRef}",
            READ,
            get_instruction,
        )
}

pub fn router(state: AppState, edge: Edge) -> Router {
    api().into_router(state, edge)
}

fn order_ref(path: &PathParams) -> Result<OrderRef, Vec<Violation>> {
    OrderRef::parse(path.get("orderRef")).map_err(Vec::from)
}

pub(crate) fn instruction_path(
    path: &PathParams,
) -> Result<(OrderRef, InstructionRef), Vec<Violation>> {
    let mut found = Violations::new();
    let order = found.check(order_ref(path));
    let instruction = found.check(InstructionRef::parse(path.get("instructionRef")));
    found.collect(order.zip(instruction))
}

/// Refuses an instruction whose instrument or scheme is unusable, listing every problem. The
/// instruments and schemes of all the instructions are read in one round trip.
async fn check_references(
    app: &AppState,
    caller: &Caller,
    instructions: &[Instruction],
) -> Result<(), Error> {
    let mut problems = Vec::new();
    let checked = app
        .references
        .problems_of(&caller.scope, instructions)
        .await?;
    for (index, found) in checked.into_iter().enumerate() {
        problems.extend(found.into_iter().map(|p| match instructions.len() {
            1 => p,
            _ => p.with("instructionIndex", index),
        }));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// 201 for an order alone, 202 when it carries instructions (their execution is queued).
async fn create_order(
    caller: Caller,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let request = orders::parse_create_order(body).map_err(Error::Invalid)?;
    let now = now_ms();
    let order = Order {
        order_ref: request.order_ref,
        created: now,
        metadata: request.metadata,
    };
    let instructions: Vec<Instruction> = request
        .instructions
        .into_iter()
        .map(|new| Instruction::new(order.order_ref.clone(), new, now))
        .collect();
    check_references(&app, &caller, &instructions).await?;
    app.orders
        .create_order(&caller.scope, &order, &instructions)
        .await?;
    queue_due(&app, &caller, &instructions).await;
    tracing::info!(instructions = instructions.len(), "order created");
    let status = if instructions.is_empty() {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    let location = format!("/v1/order-management/{}", order.order_ref);
    Ok((status, [(header::LOCATION, location)]).into_response())
}

async fn get_order(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let order_ref = order_ref(&path).map_err(Error::Invalid)?;
    let (order, instructions) = app.orders.load_order(&caller.scope, &order_ref).await?;
    Ok(Json(orders::order_body(&order, &instructions)).into_response())
}

async fn replace_order_metadata(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    let mut found = Violations::new();
    let order_ref = found.check(order_ref(&path));
    let metadata = found.check(orders::parse_order_metadata(body));
    let (order_ref, metadata) = found.finish(order_ref.zip(metadata))?;
    app.orders
        .set_order_metadata(&caller.scope, &order_ref, &metadata)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_order_metadata(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<StatusCode, Error> {
    let order_ref = order_ref(&path).map_err(Error::Invalid)?;
    app.orders
        .set_order_metadata(&caller.scope, &order_ref, &Default::default())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    let mut found = Violations::new();
    let order_ref = found.check(order_ref(&path));
    let request = found.check(
        body.required_object()
            .map_err(Vec::from)
            .and_then(|object| orders::parse_new_instruction(&object)),
    );
    let (order_ref, request) = found.finish(order_ref.zip(request))?;
    let instruction = Instruction::new(order_ref, request, now_ms());
    check_references(&app, &caller, std::slice::from_ref(&instruction)).await?;
    app.orders
        .add_instruction(&caller.scope, &instruction)
        .await?;
    queue_due(&app, &caller, std::slice::from_ref(&instruction)).await;
    tracing::info!(status = ?instruction.status, "instruction created");
    Ok(StatusCode::NO_CONTENT)
}

async fn get_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let (order_ref, instruction_ref) = instruction_path(&path).map_err(Error::Invalid)?;
    let instruction = app
        .orders
        .load_instruction(&caller.scope, &order_ref, &instruction_ref)
        .await?;
    Ok(Json(orders::instruction_body(&instruction)).into_response())
}

/// Reads the instruction, changes it, checks what it now points at, and writes it back only if
/// nobody changed it meanwhile; a lost race starts over from a fresh read.
/// Whether a change must find the instruction's instrument and scheme usable afterwards: an
/// update may have set them; a cancel names neither, so a closed instrument cannot stop it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReferenceCheck {
    Check,
    Ignore,
}

async fn change_instruction(
    app: &AppState,
    caller: &Caller,
    order_ref: &OrderRef,
    instruction_ref: &InstructionRef,
    references: ReferenceCheck,
    change: impl Fn(&mut Instruction) -> Result<(), Error>,
) -> Result<(), Error> {
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut instruction = app
            .orders
            .load_instruction(&caller.scope, order_ref, instruction_ref)
            .await?;
        let read_version = instruction.version;
        change(&mut instruction)?;
        if references == ReferenceCheck::Check {
            check_references(app, caller, std::slice::from_ref(&instruction)).await?;
        }
        app.orders.link(&caller.scope, &instruction).await?;
        if app
            .orders
            .save_instruction(&caller.scope, &instruction, read_version)
            .await?
        {
            tracing::info!(status = ?instruction.status, "instruction changed");
            queue_due(app, caller, std::slice::from_ref(&instruction)).await;
            return Ok(());
        }
    }
    Err(Error::Internal(
        "instruction changed concurrently on every attempt".into(),
    ))
}

async fn update_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    let mut found = Violations::new();
    let target = found.check(instruction_path(&path));
    let update = found.check(orders::parse_update(body));
    let ((order_ref, instruction_ref), update) = found.finish(target.zip(update))?;
    change_instruction(
        &app,
        &caller,
        &order_ref,
        &instruction_ref,
        ReferenceCheck::Check,
        |instruction| instruction.apply(update.clone(), now_ms()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel_instruction(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    let mut found = Violations::new();
    let target = found.check(instruction_path(&path));
    let reason = found.check(orders::parse_cancel(body));
    let ((order_ref, instruction_ref), reason) = found.finish(target.zip(reason))?;
    let identity = caller.scope.account.to_string();
    change_instruction(
        &app,
        &caller,
        &order_ref,
        &instruction_ref,
        ReferenceCheck::Ignore,
        |instruction| instruction.cancel(identity.clone(), reason.clone(), now_ms()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
