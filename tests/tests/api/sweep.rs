//! The scheduled sweep against moto, on a table of its own: a message lost between the write
//! and the send is recovered, an instruction dated in the future is queued once due, a worker
//! that stopped midway is resumed, two sweeps at once send once, and finished work leaves the
//! index.

use http::Method;
use payments_aws::Store;
use payments_domain::orders::{self, Orders};
use payments_domain::payments::Direction;
use payments_domain::refs::{InstructionRef, OrderRef};
use payments_domain::sweep::Swept;
use payments_domain::work::WorkKind;
use payments_domain::Now;
use serde_json::{json, Value};
use std::time::Duration;
use sweep::Sweep;
use test_support::queues::{pump_until_idle, throwaway_worker};
use test_support::worker_host::WorkerHost;
use test_support::{payments, Client};

fn now_ms() -> i64 {
    Now::read().epoch_ms()
}

const REQUEUE_AFTER_SECONDS: u32 = 300;
const REQUEUE_AFTER_MS: i64 = REQUEUE_AFTER_SECONDS as i64 * 1000;
const DAY_MS: i64 = 86_400_000;

struct World {
    orders: Client,
    store: Store,
    sweep: Sweep,
    host: WorkerHost,
    queue: local_stack::pump::Worker,
    scheme: String,
    instrument: String,
}

async fn world() -> World {
    let table = test_support::isolated_table().await;
    let queue = throwaway_worker("instruction-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Order management's own sends all fail: only the sweep can get the work queued.
    let orders = Client::admin(
        payments::orders_router(
            &table,
            &payments::unreachable_queue(),
            &payments::unreachable_queue(),
            None,
        )
        .await,
    );
    let scope = orders.scope;
    World {
        sweep: payments::sweep(
            &table,
            REQUEUE_AFTER_SECONDS,
            &[(WorkKind::Instruction, queue.queue_url.as_str())],
        )
        .await,
        store: table.clone(),
        host: payments::instruction_worker_host(&table).await,
        queue,
        scheme: payments::scheme(&table, &scope, Direction::Credit, "SANDBOX")
            .await
            .to_string(),
        instrument: payments::bank_account(&table, &scope, "customer1")
            .await
            .to_string(),
        orders,
    }
}

impl World {
    async fn order_payout(&self, order: &str, date: &str) {
        let payout = payments::payout_body(
            "customer1",
            &self.instrument,
            &self.scheme,
            json!(42),
            "EUR",
            date,
        );
        let body = json!({ "orderRef": order, "instructions": [payout] });
        self.orders
            .call(Method::POST, "/v2/order-management", Some(body))
            .await
            .assert_status(202);
    }

    async fn status(&self, order: &str) -> Value {
        let path = format!("/v2/order-management/{order}/instruction/payout");
        self.orders.call(Method::GET, &path, None).await.body["status"].clone()
    }

    async fn sweep_at(&self, now: i64) -> Swept {
        self.sweep
            .run(Now::at(now))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn pump(&self) {
        pump_until_idle(&self.queue, self.host.url(), Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

#[tokio::test]
async fn a_lost_message_is_queued_again_once_overdue() {
    let w = world().await;
    w.order_payout("lost", &today()).await;
    assert_eq!(
        w.status("lost").await,
        "READY",
        "the send failed, the write stands"
    );
    assert_eq!(w.sweep_at(now_ms()).await.queued, 0, "not overdue yet");
    assert_eq!(
        w.sweep_at(now_ms() + REQUEUE_AFTER_MS + 1_000).await.queued,
        1
    );
    w.pump().await;
    assert_eq!(w.status("lost").await, "COMPLETED");
    // Finished work has left the index.
    assert_eq!(w.sweep_at(now_ms() + 10 * DAY_MS).await, Swept::default());
}

#[tokio::test]
async fn a_future_instruction_is_queued_when_its_day_comes() {
    let w = world().await;
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    w.order_payout("later", &tomorrow.to_string()).await;
    assert_eq!(
        w.sweep_at(now_ms() + REQUEUE_AFTER_MS + 1_000).await.queued,
        0
    );
    let midnight = tomorrow
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis();
    assert_eq!(
        w.sweep_at(midnight + REQUEUE_AFTER_MS + 1_000).await.queued,
        1
    );
}

#[tokio::test]
async fn a_worker_that_stopped_midway_is_resumed() {
    let w = world().await;
    w.order_payout("stuck", &today()).await;
    // A worker claims the instruction, then dies before paying.
    let (order, instruction) = (
        OrderRef::parse("stuck").unwrap(),
        InstructionRef::parse("payout").unwrap(),
    );
    let mut claimed = orders::instruction(&w.store, &w.orders.scope, &order, &instruction)
        .await
        .unwrap();
    let read = claimed.version;
    claimed.start_processing(now_ms()).unwrap();
    assert!(w
        .store
        .save_instruction(&w.orders.scope, &claimed, read)
        .await
        .unwrap());
    assert_eq!(w.status("stuck").await, "PROCESSING");

    assert_eq!(
        w.sweep_at(now_ms() + REQUEUE_AFTER_MS + 1_000).await.queued,
        1
    );
    w.pump().await;
    assert_eq!(w.status("stuck").await, "COMPLETED");
}

#[tokio::test]
async fn two_sweeps_at_once_queue_the_work_once() {
    let w = world().await;
    w.order_payout("once", &today()).await;
    let at = now_ms() + REQUEUE_AFTER_MS + 1_000;
    let (first, second) = tokio::join!(w.sweep_at(at), w.sweep_at(at));
    assert_eq!(first.queued + second.queued, 1, "{first:?} {second:?}");
    // And not again until it has waited another delay.
    assert_eq!(w.sweep_at(at + 1_000).await.queued, 0);
    assert_eq!(w.sweep_at(at + REQUEUE_AFTER_MS + 1_000).await.queued, 1);
}
