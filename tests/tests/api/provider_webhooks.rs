//! Provider webhooks end to end against moto (docs/api.md §8): SANDBOX's signed deliveries
//! taken in by the webhook function as its main builds it, stored once, and applied by the
//! event worker to pending payments, refunds, chargebacks and mandates, in whatever order they
//! come, repeated, early, or never matched.

use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use http::Method;
use payments_aws::config::SANDBOX_WEBHOOK_QUEUE_URL;
use payments_bodies::orders::instruction_body;
use payments_domain::ids::{MandateId, RefundId};
use payments_domain::orders::{self, execute_instruction, ExecuteInstruction, Instruction};
use payments_domain::payments::Amount;
use payments_domain::providers::SANDBOX_PENDING_MS;
use payments_domain::providers::{
    apply_provider_event, ApplyProviderEvent, Inbox, InboxStatus, ProviderEvent, MAX_EVENT_ATTEMPTS,
};
use payments_domain::refs::{InstructionRef, OrderRef};
use payments_domain::vault::{settle_refunds, ExecuteRefunds, TransactionPath};
use payments_domain::work::Step;
use payments_domain::Now;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::providers::{self, Delivery};
use test_support::queues::{pump_until_idle, throwaway_worker};
use test_support::worker_host::WorkerHost;
use test_support::{mandates as mandate_fixtures, payments, Client, Reply};

struct World {
    table: payments_aws::Store,
    webhooks: Client,
    vault: Client,
    events: local_stack::pump::Worker,
    host: WorkerHost,
}

async fn world() -> World {
    let table = test_support::table().await;
    let events = throwaway_worker("provider-event-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let scope = test_support::new_scope();
    World {
        webhooks: Client {
            router: providers::webhooks_router(&table, &events.queue_url).await,
            scope,
            token: None,
        },
        vault: Client {
            router: payments::vault_router(&table, &payments::unreachable_queue()).await,
            scope,
            token: Some(test_support::token(scope, &["tenant-admin"])),
        },
        host: providers::event_worker_host(&table).await,
        table,
        events,
    }
}

fn fresh_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

impl World {
    async fn post_to(&self, app: &str, delivery: &Delivery) -> Reply {
        let mut request = self
            .webhooks
            .request(Method::POST, &format!("/v1/providers/{app}/webhooks"));
        for (name, value) in &delivery.headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Body::from(delivery.body.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        self.webhooks.send(request).await
    }

    /// Posts `event` as SANDBOX would, under a fresh delivery id; answers that id.
    async fn deliver(&self, event: &ProviderEvent) -> String {
        let id = fresh_id();
        let reply = self
            .post_to("SANDBOX", &providers::delivery(event, &id))
            .await;
        reply.assert_status(202);
        assert_eq!(reply.body, json!({}));
        id
    }

    /// The event worker's use case on the stored event `id`.
    async fn apply(&self, id: &str) -> Step {
        let sources = payments_aws::secrets::webhook_sources(
            &test_support::clients().await,
            &test_support::settings("provider-event-worker").await,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let message = ApplyProviderEvent {
            app_id: "SANDBOX".into(),
            event_id: id.to_owned(),
        };
        apply_provider_event(&self.table, &sources, &message, Now::read())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn stored(&self, id: &str) -> Option<payments_domain::providers::InboxEvent> {
        self.table
            .inbox_event("SANDBOX", id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn pump(&self) {
        pump_until_idle(&self.events, self.host.url(), Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A payout of `amount` EUR executed once by the instruction worker: SUCCESS, or for
    /// SANDBOX's `.54` pending, with the app's id known.
    async fn payout(&self, order: &str, amount: Value) -> Instruction {
        payments::completed_payout(
            &self.table,
            &self.vault.scope,
            "customer1",
            order,
            amount,
            "EUR",
            Value::Null,
        )
        .await
    }

    async fn instruction(&self, order: &str) -> Instruction {
        let order = OrderRef::parse(order).unwrap_or_else(|e| panic!("{e:?}"));
        let payout = InstructionRef::parse("payout").unwrap_or_else(|e| panic!("{e:?}"));
        orders::instruction(&self.table, &self.vault.scope, &order, &payout)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn transaction_body(&self, instruction: &Instruction) -> Value {
        let transaction = instruction
            .transaction
            .as_ref()
            .unwrap_or_else(|| panic!("the payout has its transaction"));
        let link = payments_bodies::vault::transaction_link(transaction);
        let reply = self.vault.call(Method::GET, &link, None).await;
        reply.assert_status(200);
        reply.body
    }
}

fn app_transaction_id(instruction: &Instruction) -> String {
    instruction
        .transaction
        .as_ref()
        .and_then(|t| t.app_transaction_id.clone())
        .unwrap_or_else(|| panic!("the payment has its app's id"))
}

/// A pending payment's `payment.settled`, delivered twice under one id: stored once, one
/// message, and applied through the real queue by the worker as its main builds it.
#[tokio::test]
async fn a_signed_event_is_stored_once_and_applied() {
    let w = world().await;
    let pending = w.payout("pending", json!(20.54)).await;
    assert_eq!(
        pending.status,
        payments_domain::orders::InstructionStatus::Processing
    );
    let event = ProviderEvent::PaymentSettled {
        app_transaction_id: app_transaction_id(&pending),
    };
    let id = fresh_id();
    for _ in 0..2 {
        let reply = w
            .post_to("SANDBOX", &providers::delivery(&event, &id))
            .await;
        reply.assert_status(202);
        assert_eq!(reply.body, json!({}));
    }
    w.pump().await;
    let stored = w.stored(&id).await.unwrap_or_else(|| panic!("stored"));
    assert_eq!((stored.status, stored.attempts), (InboxStatus::Applied, 1));
    let paid = w.instruction("pending").await;
    assert_eq!(
        paid.status,
        payments_domain::orders::InstructionStatus::Completed
    );
    let transaction = w.transaction_body(&paid).await;
    assert_eq!(transaction["status"], "SUCCESS");
    assert_eq!(
        serde_json::json!(instruction_body(&paid))["transaction"]["status"],
        "SUCCESS",
        "the instruction's view is in step"
    );
}

/// Nothing is stored for a webhook that is not SANDBOX's, not now, not for a known app, or
/// not a known event.
#[tokio::test]
async fn refused_webhooks_store_nothing() {
    let w = world().await;
    let event = ProviderEvent::PaymentSettled {
        app_transaction_id: "sandbox_x".into(),
    };
    let now = chrono::Utc::now().timestamp();
    let id = fresh_id();
    let unsigned = Delivery {
        headers: Vec::new(),
        body: providers::delivery(&event, &id).body,
    };
    let forged = providers::delivery_signed_with(
        "whsec_Zm9yZ2VkLWZvcmdlZC1mb3JnZWQtZm9yZ2VkIQ==",
        &event,
        &id,
        now,
    );
    let stale = providers::delivery_signed_with(providers::WEBHOOK_SECRET, &event, &id, now - 301);
    let mut tampered = providers::delivery(&event, &id);
    tampered.body = tampered.body.replace("sandbox_x", "sandbox_y");
    for (case, delivery) in [
        ("unsigned", unsigned),
        ("signed with another secret", forged),
        ("over five minutes old", stale),
        ("a body changed after signing", tampered),
    ] {
        let reply = w.post_to("SANDBOX", &delivery).await;
        assert_eq!(reply.status.as_u16(), 401, "{case}: {}", reply.body);
        assert_eq!(
            reply.body["detail"], "Invalid webhook signature or timestamp",
            "{case}"
        );
        assert_eq!(reply.body["instance"], "/v1/providers/SANDBOX/webhooks");
    }
    let unknown_app = w.post_to("ACME", &providers::delivery(&event, &id)).await;
    assert_eq!(unknown_app.status.as_u16(), 404, "{}", unknown_app.body);
    assert_eq!(unknown_app.body["detail"], "No route matches this path");

    let signed_body = |body: Value| {
        let body = body.to_string();
        let secret = payments_domain::providers::WebhookSecret::parse(providers::WEBHOOK_SECRET)
            .unwrap_or_else(|e| panic!("{e}"));
        Delivery {
            headers: vec![
                ("webhook-id", id.clone()),
                ("webhook-timestamp", now.to_string()),
                ("webhook-signature", secret.sign(&id, now, body.as_bytes())),
            ],
            body,
        }
    };
    let at = "2026-12-07T10:00:00Z";
    for (body, codes) in [
        (
            json!({ "type": "payment.lost", "occurredAt": at, "data": { "appTransactionId": "x" } }),
            vec!["EVENT_TYPE_NOT_RECOGNISED"],
        ),
        (
            json!({ "type": "refund.settled", "occurredAt": at, "data": {} }),
            vec![
                "APP_TRANSACTION_ID_IS_REQUIRED",
                "APP_REFUND_ID_IS_REQUIRED",
            ],
        ),
    ] {
        let reply = w.post_to("SANDBOX", &signed_body(body.clone())).await;
        assert_eq!(reply.status.as_u16(), 400, "{body}: {}", reply.body);
        assert_eq!(reply.error_codes(), codes, "{body}");
    }
    assert!(w.stored(&id).await.is_none(), "nothing was stored");
}

/// An event only moves its object forward: once SUCCESS, a late `payment.failed` changes
/// nothing, and the event is done with.
#[tokio::test]
async fn events_only_move_payments_forward() {
    let w = world().await;
    let pending = w.payout("forward", json!(20.54)).await;
    let app_transaction_id = app_transaction_id(&pending);
    let settled = w
        .deliver(&ProviderEvent::PaymentSettled {
            app_transaction_id: app_transaction_id.clone(),
        })
        .await;
    let failed = w
        .deliver(&ProviderEvent::PaymentFailed {
            app_transaction_id,
            reason: "too late".into(),
        })
        .await;
    assert_eq!(w.apply(&settled).await, Step::Done);
    assert_eq!(w.apply(&failed).await, Step::Done);
    let paid = w.instruction("forward").await;
    assert_eq!(
        paid.status,
        payments_domain::orders::InstructionStatus::Completed
    );
    assert_eq!(w.transaction_body(&paid).await["status"], "SUCCESS");
    let failed = w.stored(&failed).await.unwrap_or_else(|| panic!("stored"));
    assert_eq!(failed.status, InboxStatus::Applied);
}

/// An event that arrives before its payment is recorded is tried again, and applies once the
/// payment is known; one whose payment never appears is parked after its last try.
#[tokio::test]
async fn an_early_event_waits_and_one_never_matched_is_parked() {
    let w = world().await;
    let pending = w.payout("early", json!(20.54)).await;
    let app_transaction_id = app_transaction_id(&pending);
    // As if the payment were not recorded yet: its link is not there.
    let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
    let key = |name: &str, value: String| (name.to_owned(), AttributeValue::S(value));
    let link_key = std::collections::HashMap::from([
        key("PK", format!("PROVIDER#SANDBOX#{app_transaction_id}")),
        key("SK", "LINK".into()),
    ]);
    let link = client
        .get_item()
        .table_name(test_support::TABLE_NAME)
        .set_key(Some(link_key.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .item
        .unwrap_or_else(|| panic!("the pending payment is linked"));
    client
        .delete_item()
        .table_name(test_support::TABLE_NAME)
        .set_key(Some(link_key))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let early = w
        .deliver(&ProviderEvent::PaymentSettled {
            app_transaction_id: app_transaction_id.clone(),
        })
        .await;
    assert_eq!(w.apply(&early).await, Step::RetryLater);
    let waiting = w.stored(&early).await.unwrap_or_else(|| panic!("stored"));
    assert_eq!(
        (waiting.status, waiting.attempts),
        (InboxStatus::Received, 1)
    );
    client
        .put_item()
        .table_name(test_support::TABLE_NAME)
        .set_item(Some(link))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.apply(&early).await, Step::Done);
    assert_eq!(
        w.instruction("early").await.status,
        payments_domain::orders::InstructionStatus::Completed
    );

    let never = w
        .deliver(&ProviderEvent::PaymentSettled {
            app_transaction_id: "sandbox_never_made".into(),
        })
        .await;
    for _ in 0..MAX_EVENT_ATTEMPTS {
        assert_eq!(w.apply(&never).await, Step::RetryLater);
    }
    let parked = w.stored(&never).await.unwrap_or_else(|| panic!("stored"));
    assert_eq!(
        (parked.status, parked.attempts),
        (InboxStatus::Parked, MAX_EVENT_ATTEMPTS)
    );
    // Its message keeps failing into the dead-letter queue; the event itself stays as it is.
    assert_eq!(w.apply(&never).await, Step::RetryLater);
    assert_eq!(w.stored(&never).await, Some(parked));
}

/// Chargebacks in any order: an outcome before its opening waits for it; a pending one
/// reserves its amount; a succeeded one is deducted; a late one changes nothing; one opened
/// without an amount takes what is left.
#[tokio::test]
async fn chargebacks_open_and_settle_in_any_order() {
    let w = world().await;
    let paid = w.payout("disputed", json!(30)).await;
    let app_transaction_id = app_transaction_id(&paid);
    let cb = |id: &str| id.to_owned();
    let succeeded = w
        .deliver(&ProviderEvent::ChargebackSucceeded {
            app_transaction_id: app_transaction_id.clone(),
            chargeback_id: cb("cb_1"),
        })
        .await;
    assert_eq!(w.apply(&succeeded).await, Step::RetryLater);
    let opened = w
        .deliver(&ProviderEvent::ChargebackOpened {
            app_transaction_id: app_transaction_id.clone(),
            chargeback_id: cb("cb_1"),
            amount: Some(Amount::from_json(&json!(10)).unwrap_or_else(|e| panic!("{e:?}"))),
            claimed: 1_764_000_000_000,
        })
        .await;
    assert_eq!(w.apply(&opened).await, Step::Done);
    let body = w.transaction_body(&paid).await;
    assert_eq!(body["chargebacks"][0]["status"], "PENDING");
    assert_eq!(body["netAmount"], json!(30));
    let refund = format!(
        "{}/refund",
        payments_bodies::vault::transaction_link(
            paid.transaction.as_ref().unwrap_or_else(|| panic!("paid"))
        )
        .replacen("/v1/", "/v2/", 1)
    );
    let over = w
        .vault
        .call(Method::POST, &refund, Some(json!({ "amount": 20.01 })))
        .await;
    assert_eq!(over.error_codes(), vec!["REFUND_AMOUNT_EXCEEDS_REFUNDABLE"]);

    assert_eq!(w.apply(&succeeded).await, Step::Done);
    let body = w.transaction_body(&paid).await;
    let chargeback = &body["chargebacks"][0];
    assert_eq!(
        (
            &chargeback["id"],
            &chargeback["network"],
            &chargeback["status"],
            &chargeback["amount"],
            &chargeback["claimed"]
        ),
        (
            &json!("cb_1"),
            &json!("SANDBOX"),
            &json!("SUCCEEDED"),
            &json!(10),
            &json!("2025-11-24T16:00:00Z")
        )
    );
    assert!(chargeback["created"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(body["netAmount"], json!(20));
    let view = serde_json::json!(instruction_body(&w.instruction("disputed").await));
    assert_eq!(view["transaction"]["chargebacks"][0]["status"], "SUCCEEDED");
    assert_eq!(view["transaction"]["netAmount"], json!(20));

    let late = w
        .deliver(&ProviderEvent::ChargebackFailed {
            app_transaction_id: app_transaction_id.clone(),
            chargeback_id: cb("cb_1"),
        })
        .await;
    assert_eq!(w.apply(&late).await, Step::Done);
    assert_eq!(
        w.transaction_body(&paid).await["chargebacks"][0]["status"],
        "SUCCEEDED"
    );

    let whole = w
        .deliver(&ProviderEvent::ChargebackOpened {
            app_transaction_id: app_transaction_id.clone(),
            chargeback_id: cb("cb_2"),
            amount: None,
            claimed: 1_764_000_000_000,
        })
        .await;
    assert_eq!(w.apply(&whole).await, Step::Done);
    let rejected = w
        .deliver(&ProviderEvent::ChargebackFailed {
            app_transaction_id,
            chargeback_id: cb("cb_2"),
        })
        .await;
    assert_eq!(w.apply(&rejected).await, Step::Done);
    let body = w.transaction_body(&paid).await;
    assert_eq!(body["chargebacks"][1]["amount"], json!(20), "what was left");
    assert_eq!(body["chargebacks"][1]["status"], "FAILED");
    assert_eq!(body["netAmount"], json!(20));
}

/// A refund of a `.54` payment is pending at SANDBOX; its `refund.settled` completes it.
#[tokio::test]
async fn refund_events_settle_pending_refunds() {
    let w = world().await;
    let pending = w.payout("refunded", json!(20.54)).await;
    let app_transaction_id = app_transaction_id(&pending);
    let settled = w
        .deliver(&ProviderEvent::PaymentSettled {
            app_transaction_id: app_transaction_id.clone(),
        })
        .await;
    assert_eq!(w.apply(&settled).await, Step::Done);
    let paid = w.instruction("refunded").await;
    let transaction = paid.transaction.clone().unwrap_or_else(|| panic!("paid"));
    let link = payments_bodies::vault::transaction_link(&transaction).replacen("/v1/", "/v2/", 1);
    let reply = w
        .vault
        .call(
            Method::POST,
            &format!("{link}/refund"),
            Some(json!({ "amount": 5 })),
        )
        .await;
    reply.assert_status(200);
    let refund_id: RefundId =
        serde_json::from_value(reply.body["refundId"].clone()).unwrap_or_else(|e| panic!("{e}"));
    let message = ExecuteRefunds {
        scope: w.vault.scope.into(),
        transaction: TransactionPath {
            customer_ref: transaction.customer_ref.clone(),
            financial_instrument_id: transaction.financial_instrument_id,
            transaction_id: transaction.id,
        },
    };
    settle_refunds(
        &w.table,
        &payments::deployed_apps(&w.table).await,
        &message,
        Now::read(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let refund_url = format!("{link}/refund/{refund_id}");
    assert_eq!(
        w.vault.call(Method::GET, &refund_url, None).await.body["status"],
        "PENDING"
    );
    let unknown = w
        .deliver(&ProviderEvent::RefundSettled {
            app_transaction_id: app_transaction_id.clone(),
            refund_id: RefundId::new_random(),
        })
        .await;
    assert_eq!(w.apply(&unknown).await, Step::RetryLater);
    let done = w
        .deliver(&ProviderEvent::RefundSettled {
            app_transaction_id,
            refund_id,
        })
        .await;
    assert_eq!(w.apply(&done).await, Step::Done);
    assert_eq!(
        w.vault.call(Method::GET, &refund_url, None).await.body["status"],
        "COMPLETED"
    );
    assert_eq!(
        w.transaction_body(&paid).await["netAmount"].to_string(),
        "15.54"
    );
}

/// The network's `mandate.active` activates a mandate waiting for registration, with its
/// instrument; the worker's own registration then finds nothing to do, and a late
/// `mandate.failed` changes nothing.
#[tokio::test]
async fn mandate_events_activate_a_registering_mandate() {
    let w = world().await;
    let mandates = Client {
        router: mandate_fixtures::mandates_router(&w.table, &payments::unreachable_queue()).await,
        ..w.vault.clone()
    };
    mandate_fixtures::create_profile(&mandates, "insurer").await;
    let created = mandate_fixtures::create_mandate(
        &mandates,
        "debtor-1",
        "insurer",
        mandate_fixtures::seed_debtor(),
    )
    .await;
    let mandate_id: MandateId =
        serde_json::from_value(created["mandateId"].clone()).unwrap_or_else(|e| panic!("{e}"));
    let mandate_url = format!("/v2/mandates/sepa/{mandate_id}");
    assert_eq!(
        mandates.call(Method::GET, &mandate_url, None).await.body["status"],
        "Registering"
    );
    let active = w
        .deliver(&ProviderEvent::MandateActive { mandate_id })
        .await;
    assert_eq!(w.apply(&active).await, Step::Done);
    assert_eq!(
        mandates.call(Method::GET, &mandate_url, None).await.body["status"],
        "Active"
    );
    let instrument = format!(
        "/v2/customer-vault/debtor-1/financial-instrument/{}",
        created["financialInstrumentId"]
            .as_str()
            .unwrap_or_default()
    );
    assert_eq!(
        w.vault.call(Method::GET, &instrument, None).await.body["type"],
        "MANDATE:SEPA_DIRECT_DEBIT"
    );
    let late = w
        .deliver(&ProviderEvent::MandateFailed {
            mandate_id,
            reason: "too late".into(),
        })
        .await;
    assert_eq!(w.apply(&late).await, Step::Done);
    assert_eq!(
        mandates.call(Method::GET, &mandate_url, None).await.body["status"],
        "Active"
    );
}

/// A webhook and the worker's own status query settle the same pending payment at once: it is
/// settled once, and both find it done.
#[tokio::test]
async fn a_webhook_racing_a_status_query_settles_once() {
    let w = world().await;
    let pending = w.payout("raced", json!(20.54)).await;
    let settled = w
        .deliver(&ProviderEvent::PaymentSettled {
            app_transaction_id: app_transaction_id(&pending),
        })
        .await;
    tokio::time::sleep(Duration::from_millis(SANDBOX_PENDING_MS as u64)).await;
    let message = ExecuteInstruction::for_instruction(&w.vault.scope, &pending);
    let apps = payments::deployed_apps(&w.table).await;
    let (webhook, query) = tokio::join!(
        w.apply(&settled),
        execute_instruction(&w.table, &apps, &message, Now::read())
    );
    assert_eq!(webhook, Step::Done);
    assert_eq!(query.unwrap_or_else(|e| panic!("{e}")), Step::Done);
    let paid = w.instruction("raced").await;
    assert_eq!(
        paid.status,
        payments_domain::orders::InstructionStatus::Completed
    );
    let transaction = paid.transaction.unwrap_or_else(|| panic!("paid"));
    assert_eq!(
        transaction.status,
        payments_domain::vault::TransactionStatus::Success
    );
    // Created, then settled once: the version says one write after the pending one.
    assert_eq!(transaction.version, 2);
}

/// SANDBOX's webhooks travel as real signed HTTP requests: what SANDBOX will report waits out
/// its delay in SANDBOX's outbox, its sender (as its main builds it) posts it to the webhook
/// function served over HTTP, and the event worker applies it. `.54` settles a pending
/// payment; `.55` charges a payment back, the claim standing.
#[tokio::test]
async fn sandbox_webhooks_travel_as_signed_http_requests() {
    let w = world().await;
    let outbox = throwaway_worker("sandbox-webhook-sender", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = providers::serve(w.webhooks.router.clone()).await;
    let sender = providers::sender_host(&format!("{base}/v1/providers/SANDBOX/webhooks")).await;
    let settings = test_support::settings_on("instruction-worker", &w.table)
        .await
        .with(SANDBOX_WEBHOOK_QUEUE_URL, &outbox.queue_url);
    let apps = payments_aws::sandbox::deployed_apps(&settings, &test_support::clients().await)
        .unwrap_or_else(|e| panic!("{e}"));
    let scope = w.vault.scope;
    let instrument = payments::bank_account(&w.table, &scope, "customer1").await;
    let scheme = payments::scheme(
        &w.table,
        &scope,
        payments_domain::payments::Direction::Credit,
        "SANDBOX",
    )
    .await;
    let today = chrono::Utc::now().date_naive().to_string();
    for (order, amount) in [("pending", json!(20.54)), ("charged-back", json!(20.55))] {
        let body = payments::payout_body("customer1", &instrument, &scheme, amount, "EUR", &today);
        let instruction = payments::create_payout_order(&w.table, &scope, order, body).await;
        let message = ExecuteInstruction::for_instruction(&scope, &instruction);
        execute_instruction(&w.table, &apps, &message, Now::read())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let settled = || async {
        let pending = w.instruction("pending").await;
        let charged = w.instruction("charged-back").await;
        pending.status == payments_domain::orders::InstructionStatus::Completed
            && w.transaction_body(&charged).await["chargebacks"][0]["status"] == "SUCCEEDED"
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    while !settled().await {
        assert!(
            std::time::Instant::now() < deadline,
            "SANDBOX's webhooks were not all applied"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        pump_until_idle(&outbox, sender.url(), Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        w.pump().await;
    }
    let paid = w.instruction("pending").await;
    assert_eq!(w.transaction_body(&paid).await["status"], "SUCCESS");
    let charged = w
        .transaction_body(&w.instruction("charged-back").await)
        .await;
    assert_eq!(charged["netAmount"], json!(0));
    assert_eq!(charged["chargebacks"][0]["amount"].to_string(), "20.55");
    assert_eq!(charged["capabilities"]["isRefundable"], false);
}
