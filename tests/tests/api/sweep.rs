//! The scheduled sweep against moto, on a table of its own: a message lost between the write
//! and the send is recovered, an instruction dated in the future is queued once due, a worker
//! that stopped midway is resumed, two sweeps at once send once, finished work leaves the
//! index, 10,000 due items are paged through, each queued once, and work waiting on its
//! provider is measured each time it is handed back.

use http::Method;
use payments_aws::Store;
use payments_domain::orders::{self, InstructionStatus, Orders};
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
    // Finished work has left the index; what is left is the completion's tenant event, for
    // the webhook dispatcher, whose queue this world does not have.
    let after = w.sweep_at(now_ms() + 10 * DAY_MS).await;
    assert_eq!((after.queued, after.skipped, after.failed), (0, 0, 1));
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

/// Queues that record what they are sent, and refuse refunds as a queue that is gone does.
#[derive(Default)]
struct RecordingQueues {
    sent: std::sync::Mutex<Vec<String>>,
}

impl payments_domain::sweep::WorkQueues for RecordingQueues {
    async fn send_body(&self, kind: WorkKind, body: String) -> Result<(), payments_domain::Error> {
        if kind == WorkKind::Refund {
            return Err(payments_domain::Error::internal(
                "sending",
                "the queue is gone",
            ));
        }
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(body);
        Ok(())
    }
}

/// 10,000 due instructions and one due refund whose queue is gone, in moto's work index: the
/// sweep reads them a page at a time, takes at most `MAX_PER_KIND` of a kind per run and
/// leaves the rest for the next, queues each once, and the refund that fails stops nothing.
/// (The queues record what they are sent: moto's SQS slows down quadratically with 10,000
/// messages in a queue, and the SQS adapter has its own tests.)
#[tokio::test]
async fn a_sweep_over_ten_thousand_due_items_queues_each_once() {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    use payments_domain::sweep::{sweep, MAX_PER_KIND};
    const ITEMS: usize = 10_000;
    let table = test_support::isolated_table().await;
    let overdue = now_ms() - 2 * REQUEUE_AFTER_MS;
    let item = |i: usize, kind: &str| {
        let text = |value: String| AttributeValue::S(value);
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .item("PK", text(format!("T#sweep#A#load#ORDER#o{i}")))
                    .item("SK", text("INSTRUCTION#payout".into()))
                    .item("workKind", text(format!("{kind}#{}", i % 4)))
                    .item(
                        "nextAttemptAt",
                        AttributeValue::N((overdue + i as i64).to_string()),
                    )
                    .item("workMessage", text(format!("{{\"item\":{i}}}")))
                    .build()
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .build()
    };
    let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
    let requests: Vec<WriteRequest> = (0..ITEMS)
        .map(|i| item(i, "INSTRUCTION"))
        .chain(std::iter::once(item(ITEMS, "REFUND")))
        .collect();
    for batch in requests.chunks(25) {
        client
            .batch_write_item()
            .request_items(table.table_name(), batch.to_vec())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    let queues = RecordingQueues::default();
    let mut total = Swept::default();
    let mut runs = 0;
    loop {
        let swept = sweep(&table, &queues, REQUEUE_AFTER_MS, Now::read())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        runs += 1;
        assert!(swept.queued <= MAX_PER_KIND, "{swept:?}");
        total.queued += swept.queued;
        total.skipped += swept.skipped;
        total.failed += swept.failed;
        if swept.left_for_next_run == 0 {
            break;
        }
        assert!(runs < 20, "the sweep never finished: {total:?}");
    }
    assert_eq!(runs, ITEMS / MAX_PER_KIND);
    assert_eq!((total.queued, total.skipped), (ITEMS, 0));
    // The refund's queue is gone: it failed once, and is due again after the re-queue delay.
    assert_eq!(total.failed, 1);
    let mut sent = queues.sent.into_inner().unwrap_or_else(|e| e.into_inner());
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), ITEMS, "each item queued once");
    // Nothing is due any more; the next run sends nothing.
    let queues = RecordingQueues::default();
    let again = sweep(&table, &queues, REQUEUE_AFTER_MS, Now::read())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, Swept::default());
}

#[tokio::test]
async fn work_waiting_on_its_provider_is_measured_when_handed_back() {
    let w = world().await;
    let started = now_ms();
    // SANDBOX takes a payout of .54 and settles it later: meanwhile it waits on SANDBOX.
    let waiting = payments::completed_payout(
        &w.store,
        &w.orders.scope,
        "customer1",
        "pending",
        json!(42.54),
        "EUR",
        json!({}),
    )
    .await;
    assert_eq!(waiting.status, InstructionStatus::Processing);
    let swept = w.sweep_at(started + 2 * DAY_MS).await;
    assert_eq!(swept.queued, 1, "handed back for a status query");
    match swept.longest_provider_waits.as_slice() {
        [(WorkKind::Instruction, waited)] => assert!(
            (2 * DAY_MS - 60_000..=2 * DAY_MS).contains(waited),
            "waited {waited} ms"
        ),
        other => panic!("{other:?}"),
    }
    // Work that waits on nothing is not measured.
    w.order_payout("ready", &today()).await;
    let swept = w.sweep_at(started + 3 * DAY_MS).await;
    assert_eq!(swept.queued, 2);
    assert_eq!(swept.longest_provider_waits.len(), 1, "{swept:?}");
}
