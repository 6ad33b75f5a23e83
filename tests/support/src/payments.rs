//! Fixtures for payment flows: a tenant's SANDBOX scheme, a customer's bank account, the
//! instruction worker as the deployed function builds it, and a Lambda host that runs it.

use crate::worker_host::WorkerHost;
use payments_core::http::JsonObject;
use payments_core::ids::{FinancialInstrumentId, TenantScope};
use payments_core::orders::{
    parse_new_instruction, ExecuteInstruction, Executor, Instruction, Order, OrderStore, References,
};
use payments_core::payments::{Direction, PaymentApps, Sandbox, Scheme, SchemeId, SchemeStore};
use payments_core::refs::{CustomerRef, OrderRef};
use payments_core::rewards::{RewardCatalogue, RewardClaims, RewardStore};
use payments_core::store::Table;
use payments_core::vault::{now_ms, AccountDetails, FinancialInstrument, VaultStore};
use serde_json::Value;
use std::sync::Arc;

/// A scheme of `scope` for `direction`, paid through `app_id`, accepting every currency and
/// country.
pub async fn scheme(
    table: &Table,
    scope: &TenantScope,
    direction: Direction,
    app_id: &str,
) -> SchemeId {
    let scheme = Scheme {
        scheme_id: SchemeId::new_random(),
        direction,
        app_id: app_id.into(),
        currencies: vec![],
        countries: vec![],
    };
    SchemeStore::new(table.clone())
        .save(scope, &scheme)
        .await
        .unwrap_or_else(|e| panic!("saving a scheme: {e}"));
    scheme.scheme_id
}

/// A UK bank account (`JOHN DOE`, `99999911`, `111211`) in `customer`'s vault.
pub async fn bank_account(
    table: &Table,
    scope: &TenantScope,
    customer: &str,
) -> FinancialInstrumentId {
    let customer = CustomerRef::parse(customer).unwrap_or_else(|e| panic!("{e:?}"));
    let details = AccountDetails::Uk {
        holder_name: "JOHN DOE".into(),
        account_number: "99999911".into(),
        sort_code: "111211".into(),
    };
    let instrument = FinancialInstrument::new(customer, details, now_ms());
    VaultStore::new(table.clone())
        .add_instrument(scope, &instrument)
        .await
        .unwrap_or_else(|e| panic!("adding a bank account: {e}"));
    instrument.id
}

/// The executor as `instruction-worker`'s main builds it, with the SANDBOX app and `extra` apps.
pub fn executor(
    table: &Table,
    extra: Vec<Box<dyn payments_core::payments::PaymentApp>>,
) -> Executor {
    let schemes = SchemeStore::new(table.clone());
    let mut apps: Vec<Box<dyn payments_core::payments::PaymentApp>> = vec![Box::new(Sandbox)];
    apps.extend(extra);
    Executor::new(
        OrderStore::new(table.clone()),
        References::new(VaultStore::new(table.clone()), schemes.clone()),
        schemes,
        Arc::new(PaymentApps::new(apps)),
    )
}

/// A Lambda host running `instruction-worker` on `table`, as the pump would invoke it.
pub async fn instruction_worker_host(table: &Table) -> WorkerHost {
    let executor = executor(table, Vec::new());
    let host = WorkerHost::start()
        .await
        .unwrap_or_else(|e| panic!("starting the worker host: {e}"));
    host.register_fn("instruction-worker", move |event: Value| {
        let executor = executor.clone();
        async move {
            let event = serde_json::from_value(event).map_err(|e| e.to_string())?;
            let now = chrono::Utc::now();
            let answer = instruction_worker::handle_batch(
                &executor,
                event,
                now.date_naive(),
                now.timestamp_millis(),
            )
            .await;
            serde_json::to_value(answer).map_err(|e| e.to_string())
        }
    });
    host
}

/// The customer-vault router on `table`, sending refunds to `refunds` (a queue URL).
pub async fn vault_router(table: &Table, refunds: &str) -> axum::Router {
    let sqs = aws_sdk_sqs::Client::new(&crate::sdk_config().await);
    customer_vault::router(
        customer_vault::AppState {
            vault: VaultStore::new(table.clone()),
            refunds: payments_core::queue::SqsQueue::new(sqs, refunds),
            instructions: payments_core::orders::VaultChanges::new(
                OrderStore::new(table.clone()),
                VaultStore::new(table.clone()),
            ),
            mandates: payments_core::mandates::MandateStore::new(table.clone()),
            rewards: RewardStore::new(table.clone()),
        },
        crate::edge(payments_core::http::ErrorFormat::A),
    )
}

/// The order-management router on `table` as its main builds it, queueing due instructions to
/// `instructions` and claimed rewards to `reward_settlements` (queue URLs), answering
/// `Location`s under `public_base_url` when given.
pub async fn orders_router(
    table: &Table,
    instructions: &str,
    reward_settlements: &str,
    public_base_url: Option<&str>,
) -> axum::Router {
    let sqs = aws_sdk_sqs::Client::new(&crate::sdk_config().await);
    order_management::router(
        order_management::AppState {
            orders: OrderStore::new(table.clone()),
            references: References::new(
                VaultStore::new(table.clone()),
                SchemeStore::new(table.clone()),
            ),
            instructions: payments_core::queue::SqsQueue::new(sqs.clone(), instructions),
            rewards: RewardClaims::new(
                OrderStore::new(table.clone()),
                RewardCatalogue::new(table.clone()),
                RewardStore::new(table.clone()),
            ),
            reward_settlements: payments_core::queue::SqsQueue::new(sqs, reward_settlements),
            public_base_url: public_base_url.map(str::to_owned),
        },
        crate::edge(payments_core::http::ErrorFormat::A),
    )
}

/// A queue URL that does not exist: every send to it fails, as a lost message would.
pub fn unreachable_queue() -> String {
    format!("{}/123456789012/no-such-queue", crate::moto_endpoint())
}

/// A Lambda host running `refund-worker` on `table` with the SANDBOX app.
pub async fn refund_worker_host(table: &Table) -> WorkerHost {
    let executor = payments_core::vault::RefundExecutor::new(
        VaultStore::new(table.clone()),
        Arc::new(PaymentApps::new(vec![Box::new(Sandbox)])),
    );
    let host = WorkerHost::start()
        .await
        .unwrap_or_else(|e| panic!("starting the worker host: {e}"));
    host.register_fn("refund-worker", move |event: Value| {
        let executor = executor.clone();
        async move {
            let event = serde_json::from_value(event).map_err(|e| e.to_string())?;
            let answer = refund_worker::handle_batch(
                &executor,
                event,
                chrono::Utc::now().timestamp_millis(),
            )
            .await;
            serde_json::to_value(answer).map_err(|e| e.to_string())
        }
    });
    host
}

/// A payout instruction as a client sends it: `instructionRef: "payout"`, CREDIT to
/// `customer`'s `instrument` through `scheme`, settle-by `date` (`YYYY-MM-DD`).
pub fn payout_body(
    customer: &str,
    instrument: &impl std::fmt::Display,
    scheme: &impl std::fmt::Display,
    amount: Value,
    currency: &str,
    date: &str,
) -> Value {
    serde_json::json!({
        "instructionRef": "payout",
        "customerRef": customer,
        "direction": "Credit",
        "financialInstrumentId": instrument.to_string(),
        "amount": amount,
        "currency": currency,
        "country": "DE",
        "settledByDate": date,
        "schemeId": scheme.to_string(),
    })
}

/// Writes `body` (see `payout_body`) as the only instruction of a new order, straight to the
/// store, and returns the instruction as written.
pub async fn create_payout_order(
    table: &Table,
    scope: &TenantScope,
    order: &str,
    body: Value,
) -> Instruction {
    let object = JsonObject::from_value(body).unwrap_or_else(|e| panic!("{e:?}"));
    let request = parse_new_instruction(&object).unwrap_or_else(|e| panic!("{e:?}"));
    let order_ref = OrderRef::parse(order).unwrap_or_else(|e| panic!("{e:?}"));
    let instruction = Instruction::new(order_ref.clone(), request, now_ms());
    let order = Order {
        order_ref,
        created: now_ms(),
        metadata: Default::default(),
    };
    OrderStore::new(table.clone())
        .create_order(scope, &order, std::slice::from_ref(&instruction))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    instruction
}

/// A payout of `amount` `currency` to a new bank account of `customer`, executed by the SANDBOX
/// app: the COMPLETED (or, for `.51`, FAILED) instruction, with its transaction.
pub async fn completed_payout(
    table: &Table,
    scope: &TenantScope,
    customer: &str,
    order: &str,
    amount: Value,
    currency: &str,
    metadata: Value,
) -> Instruction {
    let instrument = bank_account(table, scope, customer).await;
    let scheme = scheme(table, scope, Direction::Credit, "SANDBOX").await;
    let today = chrono::Utc::now().date_naive();
    let mut body = payout_body(
        customer,
        &instrument,
        &scheme,
        amount,
        currency,
        &today.to_string(),
    );
    body["metadata"] = metadata;
    let instruction = create_payout_order(table, scope, order, body).await;
    let message = ExecuteInstruction::for_instruction(scope, &instruction);
    executor(table, Vec::new())
        .execute(&message, today, now_ms())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    OrderStore::new(table.clone())
        .load_instruction(scope, &message.order_ref, &message.instruction_ref)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}
