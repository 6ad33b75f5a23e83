//! Refunds end to end against moto: requested through the vault, executed by the refund worker
//! through the queue pump, and seen in the transaction, the refund and the instruction. Also:
//! every refusal, racing requests adding up to more than the amount, a declined refund, and the
//! same message delivered twice.

use http::Method;
use payments_bodies::orders::instruction_body;
use payments_domain::orders;
use payments_domain::payments::{
    PaymentApp, PaymentApps, PaymentOutcome, PaymentRequest, RefundRequest as AppRefund,
    MAX_PAYMENT_ATTEMPTS,
};
use payments_domain::refs::{InstructionRef, OrderRef};
use payments_domain::vault::{settle_refunds, ExecuteRefunds, TransactionPath};
use payments_domain::work::Step;
use payments_domain::{BoxFuture, Now};
use serde_json::{json, Value};
use std::time::Duration;
use test_support::queues::{pump_until_idle, send, throwaway_worker};
use test_support::{payments, Client};

struct Refunds {
    table: payments_aws::Store,
    vault: Client,
    host: test_support::worker_host::WorkerHost,
    queue: local_stack::pump::Worker,
    /// The paid transaction's URL.
    transaction: String,
}

/// A payout of `amount` EUR, paid, with the vault and the refund worker ready.
async fn paid(amount: Value) -> Refunds {
    let table = test_support::table().await;
    let queue = throwaway_worker("refund-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let vault = Client::admin(payments::vault_router(&table, &queue.queue_url).await);
    let instruction = payments::completed_payout(
        &table,
        &vault.scope,
        "customer1",
        "paid",
        amount,
        "EUR",
        Value::Null,
    )
    .await;
    let transaction = instruction
        .transaction
        .as_ref()
        .map(|t| payments_bodies::vault::transaction_link(t).replacen("/v1/", "/v2/", 1))
        .unwrap_or_default();
    Refunds {
        host: payments::refund_worker_host(&table).await,
        table,
        vault,
        queue,
        transaction,
    }
}

impl Refunds {
    async fn refund(&self, body: Value) -> test_support::Reply {
        self.vault
            .call(
                Method::POST,
                &format!("{}/refund", self.transaction),
                Some(body),
            )
            .await
    }

    async fn transaction(&self) -> Value {
        self.vault
            .call(Method::GET, &self.transaction, None)
            .await
            .body
    }

    async fn pump(&self) {
        pump_until_idle(&self.queue, self.host.url(), Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    async fn instruction_view(&self) -> Value {
        let order = OrderRef::parse("paid").unwrap_or_else(|e| panic!("{e:?}"));
        let instruction = InstructionRef::parse("payout").unwrap_or_else(|e| panic!("{e:?}"));
        let stored =
            orders::instruction(&self.table, &self.vault.scope, &order, &instruction).await;
        serde_json::json!(instruction_body(&stored.unwrap_or_else(|e| panic!("{e}"))))
    }
}

#[tokio::test]
async fn a_refund_is_executed_and_reduces_the_net_amount() {
    let r = paid(json!(50.01)).await;
    let reply = r
        .refund(json!({ "amount": 10, "reason": "Customer returned purchased item nr 123." }))
        .await;
    reply.assert_status(200);
    assert_eq!(reply.body["status"], "PENDING");
    let refund_id = reply.body["refundId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refund_url = format!("{}/refund/{refund_id}", r.transaction);

    let pending = r.vault.call(Method::GET, &refund_url, None).await;
    pending.assert_status(200);
    assert_eq!(pending.body["status"], "PENDING");
    assert_eq!(r.transaction().await["refunds"][0]["status"], "PENDING");
    assert_eq!(r.transaction().await["netAmount"].to_string(), "50.01");

    r.pump().await;
    let refund = r.vault.call(Method::GET, &refund_url, None).await.body;
    assert_eq!(refund["status"], "COMPLETED");
    assert_eq!(refund["amount"], json!(10));
    assert_eq!(refund["currency"], "EUR");
    assert_eq!(refund["reason"], "Customer returned purchased item nr 123.");
    assert!(refund["app"]["appTransactionId"]
        .as_str()
        .is_some_and(|id| id.starts_with("sandbox_refund_")));
    assert_eq!(refund["failedResponse"], Value::Null);
    assert!(refund["createdTimestamp"].is_string());

    let transaction = r.transaction().await;
    assert_eq!(transaction["netAmount"].to_string(), "40.01");
    assert_eq!(transaction["capabilities"], json!({ "isRefundable": true }));
    assert_eq!(transaction["refunds"][0]["refundId"], refund_id.as_str());
    assert_eq!(transaction["refunds"][0]["status"], "COMPLETED");

    let view = r.instruction_view().await;
    assert_eq!(view["transaction"]["netAmount"].to_string(), "40.01");
    assert_eq!(view["transaction"]["refunds"][0]["status"], "COMPLETED");
    assert_eq!(
        view["transaction"]["refunds"][0]["refundReason"],
        "Customer returned purchased item nr 123."
    );

    // The rest can still be refunded, and then nothing more.
    r.refund(json!({ "amount": 40.01 }))
        .await
        .assert_status(200);
    let over = r.refund(json!({ "amount": 0.01 })).await;
    assert_eq!(over.error_codes(), vec!["REFUND_AMOUNT_EXCEEDS_REFUNDABLE"]);
    r.pump().await;
    let transaction = r.transaction().await;
    assert_eq!(transaction["netAmount"], json!(0));
    assert_eq!(
        transaction["capabilities"],
        json!({ "isRefundable": false })
    );
}

/// The instruction keeps a copy of its transaction: a save of the instruction read before a
/// refund changed that copy must fail, not bring the old copy back.
#[tokio::test]
async fn a_stale_instruction_cannot_overwrite_its_transaction_copy() {
    use payments_domain::orders::Orders;
    let r = paid(json!(30)).await;
    let order = OrderRef::parse("paid").unwrap_or_else(|e| panic!("{e:?}"));
    let payout = InstructionRef::parse("payout").unwrap_or_else(|e| panic!("{e:?}"));
    let stale = r
        .table
        .instruction(&r.vault.scope, &order, &payout)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the payout is stored"));
    r.refund(json!({ "amount": 5 })).await.assert_status(200);
    r.pump().await;
    let saved = r
        .table
        .save_instruction(&r.vault.scope, &stale, stale.version)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !saved,
        "a save from before the refund overwrote the instruction"
    );
    let view = r.instruction_view().await;
    assert_eq!(view["transaction"]["refunds"][0]["status"], "COMPLETED");
    assert_eq!(view["transaction"]["netAmount"], json!(25));
}

#[tokio::test]
async fn refund_requests_are_validated() {
    let r = paid(json!(20)).await;
    let cases = [
        (json!({}), vec!["AMOUNT_IS_REQUIRED"]),
        (json!({ "amount": "5" }), vec!["AMOUNT_IS_INVALID"]),
        (json!({ "amount": 0 }), vec!["AMOUNT_OUT_OF_RANGE"]),
        (json!({ "amount": 1.001 }), vec!["AMOUNT_IS_INVALID"]),
        // 29 decimals: rounding it would refund 10.
        (
            serde_json::from_str(r#"{ "amount": 10.00000000000000000000000000001 }"#)
                .expect("JSON"),
            vec!["AMOUNT_IS_INVALID"],
        ),
        (
            json!({ "amount": 20.01 }),
            vec!["REFUND_AMOUNT_EXCEEDS_REFUNDABLE"],
        ),
        (
            json!({ "amount": 1, "reason": "r".repeat(101) }),
            vec!["REASON_LENGTH_OUT_OF_RANGE"],
        ),
        (
            json!({ "amount": -1, "reason": 5 }),
            vec!["AMOUNT_OUT_OF_RANGE", "REASON_IS_INVALID"],
        ),
    ];
    for (body, codes) in cases {
        let reply = r.refund(body.clone()).await;
        assert_eq!(reply.status.as_u16(), 400, "{body}: {}", reply.body);
        assert_eq!(reply.error_codes(), codes, "{body}");
    }
    let none = r
        .vault
        .call(Method::POST, &format!("{}/refund", r.transaction), None)
        .await;
    assert_eq!(none.error_codes(), vec!["BODY_IS_REQUIRED"]);
    let unknown = payments_domain::ids::RefundId::new_random();
    let missing = r
        .vault
        .call(
            Method::GET,
            &format!("{}/refund/{unknown}", r.transaction),
            None,
        )
        .await;
    missing.assert_status(404);
    assert_eq!(missing.error_codes(), vec!["REFUND_NOT_FOUND"]);
    let bad = r
        .vault
        .call(Method::GET, &format!("{}/refund/nope", r.transaction), None)
        .await;
    assert_eq!(bad.error_codes(), vec!["REFUND_ID_IS_INVALID"]);
    let reader = r.vault.with_roles(&["tenant-transaction-read"]);
    reader
        .call(
            Method::POST,
            &format!("{}/refund", r.transaction),
            Some(json!({ "amount": 1 })),
        )
        .await
        .assert_status(403);

    // A declined payment has nothing to refund.
    let declined = payments::completed_payout(
        &r.table,
        &r.vault.scope,
        "customer2",
        "declined",
        json!(7.51),
        "EUR",
        Value::Null,
    )
    .await;
    let url = declined
        .transaction
        .map(|t| payments_bodies::vault::transaction_link(&t).replacen("/v1/", "/v2/", 1))
        .unwrap_or_default();
    let reply = r
        .vault
        .call(
            Method::POST,
            &format!("{url}/refund"),
            Some(json!({ "amount": 1 })),
        )
        .await;
    assert_eq!(reply.error_codes(), vec!["TRANSACTION_NOT_REFUNDABLE"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_refunds_never_exceed_the_amount() {
    let r = std::sync::Arc::new(paid(json!(5)).await);
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { r.refund(json!({ "amount": 1 })).await })
        })
        .collect();
    let mut accepted = 0;
    for request in requests {
        let reply = request.await.unwrap_or_else(|e| panic!("{e}"));
        match reply.status.as_u16() {
            200 => accepted += 1,
            400 => assert_eq!(
                reply.error_codes(),
                vec!["REFUND_AMOUNT_EXCEEDS_REFUNDABLE"]
            ),
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(accepted, 5, "exactly the refunds that fit were accepted");
    r.pump().await;
    let transaction = r.transaction().await;
    assert_eq!(transaction["netAmount"], json!(0));
    assert_eq!(transaction["refunds"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn a_declined_refund_fails_and_frees_its_amount() {
    let r = paid(json!(30.53)).await;
    let reply = r.refund(json!({ "amount": 30.53 })).await;
    let refund_id = reply.body["refundId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    r.pump().await;
    let refund = r
        .vault
        .call(
            Method::GET,
            &format!("{}/refund/{refund_id}", r.transaction),
            None,
        )
        .await
        .body;
    assert_eq!(refund["status"], "FAILED");
    assert_eq!(refund["failedResponse"]["errorCode"], "REFUND_DECLINED");
    assert_eq!(r.transaction().await["netAmount"].to_string(), "30.53");
    // Its amount can be asked for again.
    r.refund(json!({ "amount": 30.53 }))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn the_same_message_twice_refunds_once() {
    let r = paid(json!(12)).await;
    r.refund(json!({ "amount": 2 })).await.assert_status(200);
    // The vault queued one message; send a copy of it.
    let transaction = r.transaction().await;
    let copy = json!({
        "tenantId": r.vault.scope.tenant,
        "accountId": r.vault.scope.account,
        "customerRef": "customer1",
        "financialInstrumentId": transaction["_links"]["self"]["href"].as_str().unwrap_or_default().split('/').nth(5),
        "transactionId": transaction["id"],
    });
    send(&r.queue, &copy.to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    r.pump().await;
    let transaction = r.transaction().await;
    assert_eq!(transaction["netAmount"], json!(10));
    assert_eq!(transaction["refunds"].as_array().map(Vec::len), Some(1));
    let delivered: usize = r
        .host
        .invocations()
        .iter()
        .map(|i| i.payload["Records"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(delivered, 2, "both copies reached the worker");
}

/// A SANDBOX whose refund answers are lost until `answer` is set: refunds are in doubt, and a
/// status query says what `answer` says.
struct LostRefundAnswers {
    answer: std::sync::Arc<std::sync::Mutex<Option<PaymentOutcome>>>,
}

impl PaymentApp for LostRefundAnswers {
    fn app_id(&self) -> &'static str {
        "SANDBOX"
    }

    fn execute<'a>(&'a self, _: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { self.lost() })
    }

    fn payment_status<'a>(&'a self, _: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { self.lost() })
    }

    fn refund<'a>(&'a self, _: &'a AppRefund) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { self.lost() })
    }

    fn refund_status<'a>(&'a self, _: &'a AppRefund) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async {
            let answer = self.answer.lock().map(|a| a.clone()).ok().flatten();
            answer.unwrap_or_else(|| self.lost())
        })
    }
}

impl LostRefundAnswers {
    fn lost(&self) -> PaymentOutcome {
        PaymentOutcome::InDoubt {
            reason: "timed out".into(),
        }
    }
}

/// A refund whose answer is lost stays PENDING, its amount reserved, however often it is asked
/// about and for however long; it settles when the app finally answers.
#[tokio::test]
async fn a_refund_in_doubt_keeps_its_amount_until_its_app_answers() {
    let r = paid(json!(20)).await;
    let reply = r.refund(json!({ "amount": 15 })).await;
    reply.assert_status(200);
    let answer = std::sync::Arc::new(std::sync::Mutex::new(None));
    let apps = PaymentApps::new(vec![Box::new(LostRefundAnswers {
        answer: answer.clone(),
    })]);
    let order = OrderRef::parse("paid").unwrap_or_else(|e| panic!("{e:?}"));
    let payout = InstructionRef::parse("payout").unwrap_or_else(|e| panic!("{e:?}"));
    let paid = orders::instruction(&r.table, &r.vault.scope, &order, &payout)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .transaction
        .unwrap_or_else(|| panic!("the payout has its transaction"));
    let message = ExecuteRefunds {
        scope: r.vault.scope.into(),
        transaction: TransactionPath {
            customer_ref: paid.customer_ref.clone(),
            financial_instrument_id: paid.financial_instrument_id,
            transaction_id: paid.id,
        },
    };
    for _ in 0..(MAX_PAYMENT_ATTEMPTS + 2) {
        let step = settle_refunds(&r.table, &apps, &message, Now::read())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(step, Step::Done);
        let transaction = r.transaction().await;
        assert_eq!(transaction["refunds"][0]["status"], "PENDING");
        let more = r.refund(json!({ "amount": 5.01 })).await;
        assert_eq!(more.error_codes(), vec!["REFUND_AMOUNT_EXCEEDS_REFUNDABLE"]);
    }
    *answer.lock().unwrap_or_else(|e| panic!("{e}")) = Some(PaymentOutcome::Succeeded {
        app_transaction_id: "refunded_at_last".into(),
    });
    settle_refunds(&r.table, &apps, &message, Now::read())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let transaction = r.transaction().await;
    assert_eq!(transaction["refunds"][0]["status"], "COMPLETED");
    assert_eq!(transaction["netAmount"], json!(5));
}
