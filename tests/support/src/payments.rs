//! Fixtures for payment flows: a tenant's SANDBOX scheme, a customer's bank account, the vault,
//! wallet and order-management routers and the instruction and refund workers as their `main`
//! builds them (on the test's table and queues), and Lambda hosts that run the workers.

use crate::worker_host::WorkerHost;
use aws_lambda_events::sqs::SqsEvent;
use payments_aws::config::{queue_variable, PUBLIC_BASE_URL};
use payments_aws::worker::Worker;
use payments_aws::Store;
use payments_domain::bank::{AccountHolderName, SortCode, UkAccountNumber};
use payments_domain::ids::{FinancialInstrumentId, TenantScope};
use payments_domain::orders::{
    self, execute_instruction, ExecuteInstruction, Instruction, Order, OrderWrite, Orders,
};
use payments_domain::payments::{Direction, PaymentApp, PaymentApps, Scheme, SchemeId, Schemes};
use payments_domain::refs::{CustomerRef, OrderRef};
use payments_domain::vault::{AccountDetails, Customers, FinancialInstrument, PersonalWrite};
use payments_domain::work::WorkKind;
use payments_domain::{Now, Secret};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// A scheme of `scope` for `direction`, paid through `app_id`, accepting every currency and
/// country.
pub async fn scheme(
    table: &Store,
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
    table
        .save_scheme(scope, &scheme)
        .await
        .unwrap_or_else(|e| panic!("saving a scheme: {e}"));
    scheme.scheme_id
}

/// A UK bank account (`JOHN DOE`, `99999911`, `111211`) in `customer`'s vault.
pub async fn bank_account(
    table: &Store,
    scope: &TenantScope,
    customer: &str,
) -> FinancialInstrumentId {
    let customer = CustomerRef::parse(customer).unwrap_or_else(|e| panic!("{e:?}"));
    let details = AccountDetails::Uk {
        holder_name: Secret::new(
            AccountHolderName::parse("JOHN DOE").unwrap_or_else(|e| panic!("{e}")),
        ),
        account_number: Secret::new(
            UkAccountNumber::parse("99999911").unwrap_or_else(|e| panic!("{e}")),
        ),
        sort_code: SortCode::parse("111211").unwrap_or_else(|e| panic!("{e}")),
    };
    let instrument = FinancialInstrument::new(customer, details, Now::read().epoch_ms());
    let written = table
        .add_instrument(scope, &instrument)
        .await
        .unwrap_or_else(|e| panic!("adding a bank account: {e}"));
    assert_eq!(written, PersonalWrite::Written, "the customer is forgotten");
    instrument.id
}

/// The payment apps as a worker's main builds them on `table` (SANDBOX, its books in the
/// table, its outbox the template's queue), and `extra` ones, all measured.
pub async fn apps(table: &Store, extra: Vec<Box<dyn PaymentApp>>) -> PaymentApps {
    let settings = crate::settings_on("instruction-worker", table).await;
    let sandbox = payments_aws::sandbox::sandbox(&settings, &crate::clients().await)
        .unwrap_or_else(|e| panic!("building SANDBOX: {e}"));
    let mut apps: Vec<Box<dyn PaymentApp>> = vec![Box::new(sandbox)];
    apps.extend(extra);
    payments_aws::measured_apps::measured_apps(apps)
}

/// The payment apps as a worker's main builds them on `table`.
pub async fn deployed_apps(table: &Store) -> PaymentApps {
    apps(table, Vec::new()).await
}

/// A Lambda host running `worker` under the name `binary`, as the pump would invoke it.
pub async fn worker_host<W: Worker + Send + 'static>(binary: &str, worker: W) -> WorkerHost {
    let worker = Arc::new(worker);
    let host = WorkerHost::start()
        .await
        .unwrap_or_else(|e| panic!("starting the worker host: {e}"));
    host.register_fn(binary, move |event: Value| {
        let worker = Arc::clone(&worker);
        async move {
            let event: SqsEvent = serde_json::from_value(event).map_err(|e| e.to_string())?;
            let answer = worker.handle(event).await;
            serde_json::to_value(answer).map_err(|e| e.to_string())
        }
    });
    host
}

/// Builds a function's worker with its constructor, failing the test if it cannot.
pub async fn built<T, E: std::fmt::Display>(constructor: impl Future<Output = Result<T, E>>) -> T {
    constructor
        .await
        .unwrap_or_else(|e| panic!("building the function: {e}"))
}

/// `instruction-worker` on `table`, as its main builds it, with the SANDBOX app and `extra`.
pub async fn instruction_worker(
    table: &Store,
    extra: Vec<Box<dyn PaymentApp>>,
) -> instruction_worker::InstructionWorker {
    let settings = crate::settings_on("instruction-worker", table).await;
    instruction_worker::InstructionWorker::new(
        &settings,
        &crate::clients().await,
        apps(table, extra).await,
    )
    .unwrap_or_else(|e| panic!("building the instruction worker: {e}"))
}

/// A Lambda host running `instruction-worker` on `table`, as the pump would invoke it.
pub async fn instruction_worker_host(table: &Store) -> WorkerHost {
    worker_host(
        "instruction-worker",
        instruction_worker(table, Vec::new()).await,
    )
    .await
}

/// `refund-worker` on `table`, as its main builds it.
pub async fn refund_worker(table: &Store) -> refund_worker::RefundWorker {
    let settings = crate::settings_on("refund-worker", table).await;
    refund_worker::RefundWorker::new(
        &settings,
        &crate::clients().await,
        deployed_apps(table).await,
    )
    .unwrap_or_else(|e| panic!("building the refund worker: {e}"))
}

/// A Lambda host running `refund-worker` on `table` with the SANDBOX app.
pub async fn refund_worker_host(table: &Store) -> WorkerHost {
    worker_host("refund-worker", refund_worker(table).await).await
}

/// The customer-vault router on `table`, sending refunds to `refunds` (a queue URL).
pub async fn vault_router(table: &Store, refunds: &str) -> axum::Router {
    let settings = crate::settings_on("customer-vault", table)
        .await
        .with(queue_variable(WorkKind::Refund), refunds);
    built(customer_vault::app(&settings, &crate::clients().await)).await
}

/// The customer-wallet router on `table`.
pub async fn wallet_router(table: &Store) -> axum::Router {
    let settings = crate::settings_on("customer-wallet", table).await;
    built(customer_wallet::app(&settings, &crate::clients().await)).await
}

/// The order-management router on `table`, queueing due instructions to `instructions` and
/// claimed rewards to `reward_settlements` (queue URLs), answering `Location`s under
/// `public_base_url` when given.
pub async fn orders_router(
    table: &Store,
    instructions: &str,
    reward_settlements: &str,
    public_base_url: Option<&str>,
) -> axum::Router {
    let settings = crate::settings_on("order-management", table)
        .await
        .with(queue_variable(WorkKind::Instruction), instructions)
        .with(queue_variable(WorkKind::Reward), reward_settlements)
        .with(PUBLIC_BASE_URL, public_base_url.unwrap_or_default());
    built(order_management::app(&settings, &crate::clients().await)).await
}

/// A queue URL that does not exist: every send to it fails, as a lost message would.
pub fn unreachable_queue() -> String {
    format!("{}/123456789012/no-such-queue", crate::moto_endpoint())
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
    table: &Store,
    scope: &TenantScope,
    order: &str,
    body: Value,
) -> Instruction {
    let request = payments_bodies::orders::instruction_request(Some(body))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let order_ref = OrderRef::parse(order).unwrap_or_else(|e| panic!("{e:?}"));
    let now = Now::read().epoch_ms();
    let instruction = Instruction::new(order_ref.clone(), request, now);
    let order = Order {
        order_ref,
        created: now,
        metadata: Default::default(),
    };
    let written = table
        .create_order(scope, &order, std::slice::from_ref(&instruction))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written, OrderWrite::Written, "the order exists");
    instruction
}

/// A payout of `amount` `currency` to a new bank account of `customer`, executed by the SANDBOX
/// app: the COMPLETED (or, for `.51`, FAILED) instruction, with its transaction.
pub async fn completed_payout(
    table: &Store,
    scope: &TenantScope,
    customer: &str,
    order: &str,
    amount: Value,
    currency: &str,
    metadata: Value,
) -> Instruction {
    let instrument = bank_account(table, scope, customer).await;
    let scheme = scheme(table, scope, Direction::Credit, "SANDBOX").await;
    let now = Now::read();
    let mut body = payout_body(
        customer,
        &instrument,
        &scheme,
        amount,
        currency,
        &now.today().to_string(),
    );
    body["metadata"] = metadata;
    let instruction = create_payout_order(table, scope, order, body).await;
    let message = ExecuteInstruction::for_instruction(scope, &instruction);
    execute_instruction(table, &deployed_apps(table).await, &message, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    orders::instruction(table, scope, &message.order_ref, &message.instruction_ref)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh tenant-admin caller of the customer-vault router on the shared table, whose refunds
/// go nowhere.
pub async fn vault_admin() -> crate::Client {
    let table = crate::table().await;
    crate::Client::admin(vault_router(&table, &unreachable_queue()).await)
}

/// The sweep on `table`, as its main builds it, re-queueing work older than
/// `requeue_after_seconds`, sending each kind of work of `queues` to its queue URL and every
/// other kind nowhere.
pub async fn sweep(
    table: &Store,
    requeue_after_seconds: u32,
    queues: &[(WorkKind, &str)],
) -> sweep::Sweep {
    let mut settings = crate::settings_on("sweep", table).await.with(
        payments_aws::config::REQUEUE_AFTER_SECONDS,
        requeue_after_seconds.to_string(),
    );
    for kind in WorkKind::ALL {
        let url = queues
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or_else(unreachable_queue, |(_, url)| (*url).to_owned());
        settings = settings.with(queue_variable(kind), url);
    }
    sweep::Sweep::new(&settings, &crate::clients().await)
        .unwrap_or_else(|e| panic!("building the sweep: {e}"))
}
