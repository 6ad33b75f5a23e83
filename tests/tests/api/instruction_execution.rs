//! Executing instructions against moto: the SANDBOX outcomes, duplicate and racing deliveries
//! (one transaction, one final state), instruments closed after READY, and the transaction as
//! the vault and the instruction show it.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use http::Method;
use payments_bodies::orders::instruction_body;
use payments_domain::ids::{FinancialInstrumentId, TenantScope};
use payments_domain::orders::{
    self, execute_instruction, Claim, ExecuteInstruction, Instruction, InstructionStatus, Orders,
};
use payments_domain::payments::{
    Direction, PaymentApp, PaymentApps, PaymentOutcome, PaymentRequest, RefundRequest,
};
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::vault::Customers;
use payments_domain::work::Step;
use payments_domain::{BoxFuture, Now};
use serde_json::json;
use std::sync::Arc;
use test_support::payments;

const TODAY: &str = "2026-11-21";

/// An app that always asks to be tried again.
struct Unreachable;

impl PaymentApp for Unreachable {
    fn app_id(&self) -> &'static str {
        "UNREACHABLE"
    }

    fn execute<'a>(&'a self, _request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }

    fn refund<'a>(&'a self, _request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }
}

fn down() -> PaymentOutcome {
    PaymentOutcome::Retryable {
        reason: "down".into(),
    }
}

#[derive(Clone)]
struct World {
    scope: TenantScope,
    table: payments_aws::Store,
    apps: Arc<PaymentApps>,
    instrument: FinancialInstrumentId,
}

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

async fn world() -> World {
    let table = test_support::table().await;
    let scope = test_support::new_scope();
    World {
        scope,
        apps: Arc::new(payments::apps(vec![Box::new(Unreachable)])),
        instrument: payments::bank_account(&table, &scope, "customer1").await,
        table,
    }
}

impl World {
    /// A READY payout of `amount` GBP due on `date`, paid through `app`.
    async fn payout(
        &self,
        order: &str,
        amount: serde_json::Value,
        date: &str,
        app: &str,
    ) -> ExecuteInstruction {
        let scheme = payments::scheme(&self.table, &self.scope, Direction::Credit, app).await;
        let body =
            payments::payout_body("customer1", &self.instrument, &scheme, amount, "GBP", date);
        let instruction =
            payments::create_payout_order(&self.table, &self.scope, order, body).await;
        assert_eq!(instruction.status, InstructionStatus::Ready);
        ExecuteInstruction::for_instruction(&self.scope, &instruction)
    }

    /// Runs the instruction worker's use case on `TODAY`.
    async fn run(&self, message: &ExecuteInstruction) -> Step {
        let now = Now::at(
            today()
                .and_time(chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap())
                .and_utc()
                .timestamp_millis(),
        );
        execute_instruction(&self.table, &self.apps, message, now)
            .await
            .unwrap()
    }

    async fn instruction(&self, message: &ExecuteInstruction) -> Instruction {
        orders::instruction(
            &self.table,
            &self.scope,
            &message.order_ref,
            &message.instruction_ref,
        )
        .await
        .unwrap()
    }

    /// Every transaction item in customer1's vault partition.
    async fn transactions(&self) -> usize {
        let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
        let pk = format!(
            "T#{}#A#{}#CUSTOMER#customer1",
            self.scope.tenant, self.scope.account
        );
        let output = client
            .query()
            .table_name(test_support::TABLE_NAME)
            .key_condition_expression("PK = :pk AND begins_with(SK, :tx)")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":tx", AttributeValue::S("TX#".into()))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        output.items().len()
    }
}

#[tokio::test]
async fn a_due_payout_completes_once_however_often_its_message_arrives() {
    let w = world().await;
    let message = w.payout("ok", json!(50.01), TODAY, "SANDBOX").await;
    assert_eq!(w.run(&message).await, Step::Done);
    let done = w.instruction(&message).await;
    assert_eq!(done.status, InstructionStatus::Completed);
    let version = done.version;
    assert_eq!(w.run(&message).await, Step::Done);
    assert_eq!(
        w.instruction(&message).await.version,
        version,
        "a duplicate message changed nothing"
    );
    assert_eq!(w.transactions().await, 1);

    let body = instruction_body(&done);
    assert_eq!(body["status"], "COMPLETED");
    assert_eq!(body["actualSettlementDate"], TODAY);
    assert_eq!(body["financialInstrument"]["source"], "TRANSACTION");
    assert_eq!(body["financialInstrument"]["canUpdate"], false);
    assert_eq!(body["scheme"]["source"], "TRANSACTION");
    assert_eq!(body["forecastedSettlementDate"], TODAY);
    assert!(body["executionTimestamp"].is_i64());
    let summary = &body["transaction"];
    assert_eq!(summary["status"], "SUCCESS");
    assert_eq!(summary["amount"].to_string(), "50.01");
    assert_eq!(summary["netAmount"].to_string(), "50.01");
    assert_eq!(summary["app"]["appId"], "SANDBOX");
    let tx = summary["transactionId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let href = format!(
        "/v1/customer-vault/customer1/financial-instrument/{}/transaction/{tx}",
        w.instrument
    );
    assert_eq!(
        body["_links"]["transactions"],
        json!([{ "href": href, "name": tx }])
    );

    // The vault serves the same transaction at that link.
    let router =
        payments::vault_router(&w.table, &test_support::payments::unreachable_queue()).await;
    let client = test_support::Client {
        router,
        scope: w.scope,
        token: Some(test_support::token(w.scope, &["tenant-transaction-read"])),
    };
    let reply = client.call(Method::GET, &href, None).await;
    reply.assert_status(200);
    assert_eq!(reply.body["id"], tx.as_str());
    assert_eq!(reply.body["type"], "SANDBOX");
    assert_eq!(reply.body["status"], "SUCCESS");
    assert_eq!(reply.body["orderRef"], "ok");
    assert_eq!(reply.body["settlementDate"], TODAY);
    assert_eq!(reply.body["capabilities"], json!({ "isRefundable": true }));
    assert_eq!(reply.body["refunds"], json!([]));
    assert!(reply.body["app"]["appTransactionId"]
        .as_str()
        .is_some_and(|id| id.starts_with("sandbox_")));
    let v2 = href.replacen("/v1/", "/v2/", 1);
    assert_eq!(client.call(Method::GET, &v2, None).await.body, reply.body);
    let other_instrument = href.replace(
        &w.instrument.to_string(),
        &FinancialInstrumentId::new_random().to_string(),
    );
    let missing = client.call(Method::GET, &other_instrument, None).await;
    missing.assert_status(404);
    assert_eq!(missing.error_codes(), vec!["TRANSACTION_NOT_FOUND"]);
    let bad = client
        .call(Method::GET, &href.replace(&tx, "nope"), None)
        .await;
    assert_eq!(bad.error_codes(), vec!["TRANSACTION_ID_IS_INVALID"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_workers_execute_an_instruction_once() {
    let w = Arc::new(world().await);
    let message = w.payout("race", json!(10), TODAY, "SANDBOX").await;
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let (w, message) = (w.clone(), message.clone());
            tokio::spawn(async move { w.run(&message).await })
        })
        .collect();
    for run in runs {
        assert_eq!(run.await.unwrap(), Step::Done);
    }
    let done = w.instruction(&message).await;
    assert_eq!(done.status, InstructionStatus::Completed);
    assert_eq!(done.attempts, 1, "the payment app was called once");
    assert_eq!(w.transactions().await, 1);
}

#[tokio::test]
async fn sandbox_declines_and_retries_by_the_amount() {
    let w = world().await;
    let declined = w.payout("declined", json!(20.51), TODAY, "SANDBOX").await;
    assert_eq!(w.run(&declined).await, Step::Done);
    let failed = w.instruction(&declined).await;
    assert_eq!(failed.status, InstructionStatus::Failed);
    let body = instruction_body(&failed);
    assert_eq!(body["failed"]["errorCode"], "DECLINED");
    assert!(body["failed"]["failedTimestamp"].is_i64());
    assert_eq!(body["transaction"]["status"], "FAILED");
    assert_eq!(
        failed
            .transaction
            .as_ref()
            .and_then(|t| t.failed_error_code.clone())
            .as_deref(),
        Some("DECLINED")
    );
    assert_eq!(body["actualSettlementDate"], serde_json::Value::Null);

    let flaky = w.payout("retried", json!(20.52), TODAY, "SANDBOX").await;
    assert_eq!(w.run(&flaky).await, Step::RetryLater);
    let waiting = w.instruction(&flaky).await;
    assert_eq!(
        (waiting.status, waiting.attempts),
        (InstructionStatus::Processing, 1)
    );
    assert_eq!(w.run(&flaky).await, Step::Done);
    let done = w.instruction(&flaky).await;
    assert_eq!(
        (done.status, done.attempts),
        (InstructionStatus::Completed, 2)
    );
}

#[tokio::test]
async fn an_app_that_never_answers_fails_the_instruction_after_the_last_attempt() {
    let w = world().await;
    let message = w.payout("down", json!(10), TODAY, "UNREACHABLE").await;
    for _ in 0..payments_domain::payments::MAX_PAYMENT_ATTEMPTS {
        assert_eq!(w.run(&message).await, Step::RetryLater);
    }
    assert_eq!(w.run(&message).await, Step::Done);
    let failed = w.instruction(&message).await;
    assert_eq!(failed.status, InstructionStatus::Failed);
    assert_eq!(
        failed.failed.map(|f| f.error_code).as_deref(),
        Some("PROVIDER_UNAVAILABLE")
    );

    let nowhere = w.payout("no-app", json!(10), TODAY, "NO_SUCH_APP").await;
    assert_eq!(w.run(&nowhere).await, Step::Done);
    let failed = w.instruction(&nowhere).await;
    assert_eq!(
        failed.failed.map(|f| f.error_code).as_deref(),
        Some("APP_UNAVAILABLE")
    );
}

#[tokio::test]
async fn nothing_happens_before_the_settle_date_or_for_an_unusable_instrument() {
    let w = world().await;
    let later = w.payout("later", json!(10), "2026-11-22", "SANDBOX").await;
    assert_eq!(w.run(&later).await, Step::Done);
    assert_eq!(w.instruction(&later).await.status, InstructionStatus::Ready);

    let orphan = ExecuteInstruction {
        order_ref: OrderRef::parse("no-such-order").unwrap(),
        instruction_ref: InstructionRef::parse("x").unwrap(),
        ..later.clone()
    };
    assert_eq!(w.run(&orphan).await, Step::Done);

    let closing = w.payout("closing", json!(10), TODAY, "SANDBOX").await;
    let customer = CustomerRef::parse("customer1").unwrap();
    w.table
        .close_instrument(&w.scope, &customer, w.instrument, Now::read())
        .await
        .unwrap();
    assert_eq!(w.run(&closing).await, Step::Done);
    assert_eq!(
        w.instruction(&closing).await.status,
        InstructionStatus::Incomplete
    );
    assert_eq!(w.transactions().await, 0);
}

/// The worker checks the instrument, then claims the instruction: a close that lands between
/// the two wins, because the claim is one write with the instrument's status check.
#[tokio::test]
async fn a_close_between_the_check_and_the_claim_wins() {
    let w = world().await;
    let open = w.payout("open", json!(10), TODAY, "SANDBOX").await;
    let raced = w.payout("raced", json!(10), TODAY, "SANDBOX").await;
    // With the instrument active a claim goes through; a second from the same read does not.
    let ready = w.instruction(&open).await;
    let mut processing = ready.clone();
    processing.start_processing(Now::read().epoch_ms()).unwrap();
    let save = || {
        w.table
            .claim_instruction(&w.scope, &processing, ready.version)
    };
    assert_eq!(save().await.unwrap(), Claim::Claimed);
    assert_eq!(save().await.unwrap(), Claim::InstructionChanged);

    let ready = w.instruction(&raced).await;
    let mut processing = ready.clone();
    processing.start_processing(Now::read().epoch_ms()).unwrap();
    let customer = CustomerRef::parse("customer1").unwrap();
    w.table
        .close_instrument(&w.scope, &customer, w.instrument, Now::read())
        .await
        .unwrap();
    let claimed = w
        .table
        .claim_instruction(&w.scope, &processing, ready.version)
        .await
        .unwrap();
    assert_eq!(claimed, Claim::InstrumentInactive);
    assert_eq!(w.instruction(&raced).await.status, InstructionStatus::Ready);
    // And the worker, asked again, takes it back to INCOMPLETE without paying.
    assert_eq!(w.run(&raced).await, Step::Done);
    assert_eq!(
        w.instruction(&raced).await.status,
        InstructionStatus::Incomplete
    );
}
