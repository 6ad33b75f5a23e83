//! End to end through the queue pump, against moto: an order created through order management
//! queues its due instruction, the pump delivers the message to the instruction worker (in
//! process, behind the Lambda invoke API), and the transaction appears in the vault. Also: the
//! same message delivered twice, a retryable sandbox outcome redelivered by SQS, and a batch in
//! which one message fails.

use http::Method;
use payments_domain::ids::TenantScope;
use payments_domain::payments::Direction;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::queues::{pump_until_idle, queue_counts, send, throwaway_worker, QueueSettings};
use test_support::worker_host::WorkerHost;
use test_support::{payments, Client};

struct Flow {
    orders: Client,
    vault: Client,
    host: WorkerHost,
    queue: local_stack::pump::Worker,
    scheme: String,
    instrument: String,
}

async fn flow(visibility_timeout_seconds: u32) -> Flow {
    let table = test_support::table().await;
    let queue = throwaway_worker(
        "instruction-worker",
        QueueSettings {
            visibility_timeout_seconds,
            ..QueueSettings::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let orders = Client::admin(
        payments::orders_router(
            &table,
            &queue.queue_url,
            &payments::unreachable_queue(),
            None,
        )
        .await,
    );
    let vault = Client {
        router: payments::vault_router(&table, &test_support::payments::unreachable_queue()).await,
        ..orders.clone()
    };
    let scope = orders.scope;
    Flow {
        host: payments::instruction_worker_host(&table).await,
        queue,
        scheme: payments::scheme(&table, &scope, Direction::Credit, "SANDBOX")
            .await
            .to_string(),
        instrument: payments::bank_account(&table, &scope, "customer1")
            .await
            .to_string(),
        orders,
        vault,
    }
}

impl Flow {
    async fn order_payout(&self, order: &str, amount: Value) {
        let today = chrono::Utc::now().date_naive().to_string();
        let payout = payments::payout_body(
            "customer1",
            &self.instrument,
            &self.scheme,
            amount,
            "EUR",
            &today,
        );
        let body = json!({ "orderRef": order, "instructions": [payout] });
        self.orders
            .call(Method::POST, "/v2/order-management", Some(body))
            .await
            .assert_status(202);
    }

    async fn pump(&self) {
        pump_until_idle(&self.queue, self.host.url(), Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    async fn instruction(&self, order: &str) -> Value {
        let reply = self
            .orders
            .call(
                Method::GET,
                &format!("/v2/order-management/{order}/instruction/payout"),
                None,
            )
            .await;
        reply.assert_status(200);
        reply.body
    }

    fn scope(&self) -> TenantScope {
        self.orders.scope
    }
}

#[tokio::test]
async fn an_order_is_executed_through_the_queue_and_its_transaction_served() {
    let f = flow(30).await;
    f.order_payout("flow", json!(120.5)).await;
    f.pump().await;
    let instruction = f.instruction("flow").await;
    assert_eq!(instruction["status"], "COMPLETED", "{instruction}");
    assert_eq!(instruction["transaction"]["status"], "SUCCESS");
    let link = instruction["_links"]["transactions"][0]["href"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let transaction = f.vault.call(Method::GET, &link, None).await;
    transaction.assert_status(200);
    assert_eq!(transaction.body["amount"].to_string(), "120.5");
    assert_eq!(transaction.body["currency"], "EUR");
    assert_eq!(transaction.body["netAmount"].to_string(), "120.5");
    assert_eq!(
        queue_counts(&f.queue)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        Default::default()
    );
    assert_eq!(f.scope(), f.vault.scope);
}

#[tokio::test]
async fn the_same_message_delivered_twice_makes_one_transaction() {
    let f = flow(30).await;
    f.order_payout("twice", json!(10)).await;
    let message = json!({
        "tenantId": f.scope().tenant,
        "accountId": f.scope().account,
        "orderRef": "twice",
        "instructionRef": "payout",
    });
    send(&f.queue, &message.to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    f.pump().await;
    let instruction = f.instruction("twice").await;
    assert_eq!(instruction["status"], "COMPLETED");
    assert_eq!(
        instruction["_links"]["transactions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let invocations = f.host.invocations();
    let delivered: usize = invocations
        .iter()
        .map(|i| i.payload["Records"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(delivered, 2, "both copies reached the worker");
}

#[tokio::test]
async fn a_retryable_outcome_is_redelivered_and_then_succeeds() {
    let f = flow(1).await;
    f.order_payout("retry", json!(20.52)).await;
    f.pump().await;
    let instruction = f.instruction("retry").await;
    assert_eq!(instruction["status"], "COMPLETED", "{instruction}");
    assert!(
        f.host.invocations().len() >= 2,
        "the first attempt was retried"
    );
}

#[tokio::test]
async fn one_bad_message_is_retried_alone() {
    let f = flow(30).await;
    send(&f.queue, "this is not an execution request")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    f.order_payout("batch-a", json!(10)).await;
    f.order_payout("batch-b", json!(11)).await;
    f.pump().await;
    assert_eq!(f.instruction("batch-a").await["status"], "COMPLETED");
    assert_eq!(f.instruction("batch-b").await["status"], "COMPLETED");
    let counts = queue_counts(&f.queue)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (counts.visible, counts.in_flight),
        (0, 1),
        "only the bad message waits to be retried"
    );
}
