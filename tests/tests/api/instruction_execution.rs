//! Executing instructions against moto: the SANDBOX outcomes, duplicate and racing deliveries
//! (one transaction, one final state), instruments closed after READY, and the transaction as
//! the vault and the instruction show it.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use http::Method;
use payments_bodies::orders::instruction_body;
use payments_domain::ids::{FinancialInstrumentId, TenantScope, TransactionId};
use payments_domain::orders::{
    self, execute_instruction, Claim, ExecuteInstruction, Instruction, InstructionStatus, Orders,
};
use payments_domain::outbox::RecordedEvents;
use payments_domain::payments::{
    Direction, LinkTarget, PaymentApp, PaymentApps, PaymentOutcome, PaymentRequest, ProviderLinks,
    RefundRequest,
};
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::vault::{Customers, Transaction, TransactionStatus};
use payments_domain::work::Step;
use payments_domain::{BoxFuture, Now};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use test_support::payments;

const TODAY: &str = "2026-11-21";

/// An app that refuses every call without acting (and has no record of anything).
struct Unreachable;

impl PaymentApp for Unreachable {
    fn app_id(&self) -> &'static str {
        "UNREACHABLE"
    }

    fn execute<'a>(&'a self, _request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }

    fn payment_status<'a>(&'a self, _: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }

    fn refund<'a>(&'a self, _request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }

    fn refund_status<'a>(&'a self, _: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }
}

fn down() -> PaymentOutcome {
    PaymentOutcome::Retryable {
        reason: "down".into(),
    }
}

/// A provider whose answers get lost: every call takes the payment (once per key), and the
/// first `lost` answers, of payments and status queries alike, time out.
#[derive(Clone, Default)]
struct LosesAnswers {
    lost: Arc<Mutex<u32>>,
    taken: Arc<Mutex<Vec<TransactionId>>>,
    calls: Arc<Mutex<Vec<&'static str>>>,
}

impl LosesAnswers {
    fn losing(lost: u32) -> Self {
        let app = LosesAnswers::default();
        *app.lost.lock().unwrap() = lost;
        app
    }

    fn answer(&self, call: &'static str, request: &PaymentRequest) -> PaymentOutcome {
        self.calls.lock().unwrap().push(call);
        if call == "execute" {
            let mut taken = self.taken.lock().unwrap();
            if !taken.contains(&request.transaction_id) {
                taken.push(request.transaction_id);
            }
        }
        let mut lost = self.lost.lock().unwrap();
        if *lost > 0 {
            *lost -= 1;
            return PaymentOutcome::InDoubt {
                reason: "timed out".into(),
            };
        }
        if self.taken.lock().unwrap().contains(&request.transaction_id) {
            PaymentOutcome::Succeeded {
                app_transaction_id: format!("lost_{}", request.transaction_id),
            }
        } else {
            down()
        }
    }
}

impl PaymentApp for LosesAnswers {
    fn app_id(&self) -> &'static str {
        "LOSES_ANSWERS"
    }

    fn execute<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async move { self.answer("execute", request) })
    }

    fn payment_status<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async move { self.answer("status", request) })
    }

    fn refund<'a>(&'a self, _request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }

    fn refund_status<'a>(&'a self, _: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { down() })
    }
}

#[derive(Clone)]
struct World {
    scope: TenantScope,
    table: payments_aws::Store,
    apps: Arc<PaymentApps>,
    instrument: FinancialInstrumentId,
    loses: LosesAnswers,
}

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

async fn world() -> World {
    world_with(LosesAnswers::default()).await
}

async fn world_with(loses: LosesAnswers) -> World {
    let table = test_support::table().await;
    let scope = test_support::new_scope();
    let extra: Vec<Box<dyn PaymentApp>> = vec![Box::new(Unreachable), Box::new(loses.clone())];
    World {
        scope,
        apps: Arc::new(payments::apps(&table, extra).await),
        instrument: payments::bank_account(&table, &scope, "customer1").await,
        table,
        loses,
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

    /// The transaction as GET transaction shows it.
    async fn transaction_body(&self, transaction: &Transaction) -> serde_json::Value {
        let vault = test_support::Client {
            router: payments::vault_router(&self.table, &payments::unreachable_queue()).await,
            scope: self.scope,
            token: Some(test_support::token(self.scope, &["tenant-admin"])),
        };
        let reply = vault
            .call(
                Method::GET,
                &payments_bodies::vault::transaction_link(transaction),
                None,
            )
            .await;
        reply.assert_status(200);
        reply.body
    }

    /// SANDBOX's book entries under `key`.
    async fn sandbox_entries(&self, key: &str) -> usize {
        let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
        let output = client
            .query()
            .table_name(test_support::TABLE_NAME)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("SANDBOX#{key}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        output.items().len()
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

/// `runs` runs of the worker's use case at once, each of which must finish the message.
async fn race(w: &Arc<World>, message: &ExecuteInstruction, runs: usize) {
    let runs: Vec<_> = (0..runs)
        .map(|_| {
            let (w, message) = (w.clone(), message.clone());
            tokio::spawn(async move { w.run(&message).await })
        })
        .collect();
    for run in runs {
        assert_eq!(run.await.unwrap(), Step::Done);
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

    let body = serde_json::json!(instruction_body(&done));
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
    race(&w, &message, 6).await;
    let done = w.instruction(&message).await;
    assert_eq!(done.status, InstructionStatus::Completed);
    assert_eq!(done.attempts, 1, "the payment app was called once");
    assert_eq!(w.transactions().await, 1);
    let customer = payments_domain::refs::CustomerRef::parse("customer1").unwrap();
    let events = w.table.events_of(&w.scope, &customer).await.unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["instruction.completed"],
        "one event for the one completion"
    );
}

#[tokio::test]
async fn sandbox_declines_and_retries_by_the_amount() {
    let w = world().await;
    let declined = w.payout("declined", json!(20.51), TODAY, "SANDBOX").await;
    assert_eq!(w.run(&declined).await, Step::Done);
    let failed = w.instruction(&declined).await;
    assert_eq!(failed.status, InstructionStatus::Failed);
    let body = serde_json::json!(instruction_body(&failed));
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

/// A provider that takes the payment and then times out five times (the payment, then four
/// status queries): the payment is never FAILED on the way, and ends SUCCESS, paid once.
#[tokio::test]
async fn a_payment_whose_answers_time_out_ends_paid_once() {
    let w = world_with(LosesAnswers::losing(5)).await;
    let message = w.payout("lost", json!(10), TODAY, "LOSES_ANSWERS").await;
    for _ in 0..5 {
        assert_eq!(w.run(&message).await, Step::Done);
        let waiting = w.instruction(&message).await;
        assert_eq!(waiting.status, InstructionStatus::Processing);
        let transaction = waiting.transaction.map(|t| t.status);
        assert_eq!(transaction, Some(TransactionStatus::Processing));
    }
    assert_eq!(w.run(&message).await, Step::Done);
    let paid = w.instruction(&message).await;
    assert_eq!(paid.status, InstructionStatus::Completed);
    assert_eq!(paid.attempts, 1);
    let transaction = paid.transaction.unwrap();
    assert_eq!(transaction.status, TransactionStatus::Success);
    assert_eq!(
        transaction.app_transaction_id,
        Some(format!("lost_{}", transaction.id))
    );
    assert_eq!(
        w.loses.taken.lock().unwrap().len(),
        1,
        "one payment at the provider"
    );
    assert_eq!(
        *w.loses.calls.lock().unwrap(),
        ["execute", "status", "status", "status", "status", "status"]
    );
    assert_eq!(w.transactions().await, 1);
    // Asked again, nothing moves.
    assert_eq!(w.run(&message).await, Step::Done);
    assert_eq!(w.loses.calls.lock().unwrap().len(), 6);
}

/// A call that never reached the provider: its status query finds no record, so the payment is
/// made again under the same key, as attempt 2, with the app of the first attempt although
/// the scheme names another app since.
#[tokio::test]
async fn a_payment_the_provider_never_saw_is_made_again_with_the_same_app() {
    let w = world_with(LosesAnswers::losing(1)).await;
    let message = w.payout("unseen", json!(10), TODAY, "LOSES_ANSWERS").await;
    assert_eq!(w.run(&message).await, Step::Done);
    // The call never reached the provider after all: it has no record of it.
    w.loses.taken.lock().unwrap().clear();
    let scheme = w.instruction(&message).await.scheme_id.unwrap();
    // The scheme now names another app.
    let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
    client
        .update_item()
        .table_name(test_support::TABLE_NAME)
        .key(
            "PK",
            AttributeValue::S(format!(
                "T#{}#A#{}#SCHEMES",
                w.scope.tenant, w.scope.account
            )),
        )
        .key("SK", AttributeValue::S(scheme.to_string()))
        .update_expression("SET appId = :other")
        .expression_attribute_values(":other", AttributeValue::S("UNREACHABLE".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(w.run(&message).await, Step::Done);
    let paid = w.instruction(&message).await;
    assert_eq!(paid.status, InstructionStatus::Completed);
    assert_eq!(paid.attempts, 2);
    assert_eq!(paid.payment_app_id.as_deref(), Some("LOSES_ANSWERS"));
    assert_eq!(
        *w.loses.calls.lock().unwrap(),
        ["execute", "status", "execute"]
    );
    assert_eq!(w.loses.taken.lock().unwrap().len(), 1);
    assert_eq!(w.transactions().await, 1);
}

/// SANDBOX `.57`: the payment is taken but the answer lost, so the payment is in doubt; the
/// next run asks SANDBOX, which finds it taken: SUCCESS, and SANDBOX's books hold it once.
#[tokio::test]
async fn sandbox_57_is_in_doubt_until_its_status_shows_it_paid_once() {
    let w = world().await;
    let message = w.payout("lost57", json!(10.57), TODAY, "SANDBOX").await;
    assert_eq!(w.run(&message).await, Step::Done);
    let waiting = w.instruction(&message).await;
    assert_eq!(waiting.status, InstructionStatus::Processing);
    let transaction = waiting.transaction.clone().unwrap();
    assert_eq!(transaction.status, TransactionStatus::Processing);
    assert_eq!(transaction.app_transaction_id, None);
    let vault = w.transaction_body(&transaction).await;
    assert_eq!(vault["status"], "PROCESSING");

    assert_eq!(w.run(&message).await, Step::Done);
    let paid = w.instruction(&message).await;
    assert_eq!(paid.status, InstructionStatus::Completed);
    assert_eq!((paid.attempts, paid.checks), (1, 1));
    let transaction = paid.transaction.unwrap();
    assert_eq!(transaction.status, TransactionStatus::Success);
    assert_eq!(w.sandbox_entries(&transaction.id.to_string()).await, 1);
    let app_reference = transaction.app_transaction_id.clone().unwrap();
    let linked = w.table.linked("SANDBOX", &app_reference).await.unwrap();
    assert_eq!(
        linked,
        Some(LinkTarget::Transaction {
            scope: w.scope.into(),
            customer_ref: transaction.customer_ref.clone(),
            transaction_id: transaction.id,
        })
    );
}

/// SANDBOX `.54`: pending, with the app's id (and the link to it) recorded at once; still
/// pending when asked early, SUCCESS once SANDBOX settles it.
#[tokio::test]
async fn sandbox_54_is_pending_until_sandbox_settles_it() {
    let w = world().await;
    let message = w.payout("pending54", json!(10.54), TODAY, "SANDBOX").await;
    assert_eq!(w.run(&message).await, Step::Done);
    let pending = w.instruction(&message).await;
    let transaction = pending.transaction.unwrap();
    assert_eq!(transaction.status, TransactionStatus::Processing);
    let app_reference = transaction.app_transaction_id.clone().unwrap();
    assert!(w
        .table
        .linked("SANDBOX", &app_reference)
        .await
        .unwrap()
        .is_some());

    assert_eq!(w.run(&message).await, Step::Done);
    let asked = w.instruction(&message).await;
    assert_eq!(
        (asked.status, asked.checks),
        (InstructionStatus::Processing, 1)
    );
    tokio::time::sleep(Duration::from_millis(
        payments_domain::providers::SANDBOX_PENDING_MS as u64,
    ))
    .await;
    assert_eq!(w.run(&message).await, Step::Done);
    let paid = w.instruction(&message).await;
    assert_eq!(paid.status, InstructionStatus::Completed);
    assert_eq!(
        paid.transaction.map(|t| (t.status, t.app_transaction_id)),
        Some((TransactionStatus::Success, Some(app_reference)))
    );
    assert_eq!(w.transactions().await, 1);
}

/// Two reconcilers at once (a sweep's message and a worker's retry, say) on a payment in doubt:
/// both ask, one applies the answer, and SANDBOX holds one payment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconcilers_racing_on_a_payment_in_doubt_settle_it_once() {
    let w = Arc::new(world().await);
    let message = w.payout("race57", json!(10.57), TODAY, "SANDBOX").await;
    assert_eq!(w.run(&message).await, Step::Done);
    race(&w, &message, 4).await;
    let paid = w.instruction(&message).await;
    assert_eq!(paid.status, InstructionStatus::Completed);
    assert_eq!(paid.attempts, 1, "the payment was made once");
    let transaction = paid.transaction.unwrap();
    assert_eq!(transaction.status, TransactionStatus::Success);
    assert_eq!(w.sandbox_entries(&transaction.id.to_string()).await, 1);
    assert_eq!(w.transactions().await, 1);
}

/// Reconcilers racing on a payment the provider never saw: each finds no record, and only one
/// of them makes the payment again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconcilers_racing_on_a_payment_never_seen_make_it_once() {
    let w = Arc::new(world_with(LosesAnswers::losing(1)).await);
    let message = w
        .payout("race-unseen", json!(10), TODAY, "LOSES_ANSWERS")
        .await;
    assert_eq!(w.run(&message).await, Step::Done);
    w.loses.taken.lock().unwrap().clear();
    race(&w, &message, 4).await;
    let paid = w.instruction(&message).await;
    assert_eq!(paid.status, InstructionStatus::Completed);
    assert_eq!(paid.attempts, 2);
    assert_eq!(w.loses.taken.lock().unwrap().len(), 1, "paid once");
    let executed = w
        .loses
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| **c == "execute")
        .count();
    assert_eq!(executed, 2, "the first call and one retry");
    assert_eq!(w.transactions().await, 1);
}
