//! The outbox of tenant events (docs/api.md §9) against moto, on a table of its own: every
//! event type of the list is recorded by its flow (routes, workers through the real queue
//! pump, provider webhooks), in the same DynamoDB transaction as its change, and its payload's
//! `data` is the object's GET body at that moment. A change that loses its race records
//! nothing; racing workers record one event.

use http::Method;
use payments_bodies::notifications::event_payload;
use payments_domain::ids::TenantScope;
use payments_domain::notifications::EventType;
use payments_domain::orders::{self, Orders};
use payments_domain::outbox::{RecordedEvent, RecordedEvents};
use payments_domain::providers::ProviderEvent;
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::Now;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::mandates::{create_mandate, create_profile, mandates_router, seed_debtor};
use test_support::queues::{pump_until_idle, throwaway_worker};
use test_support::worker_host::WorkerHost;
use test_support::{payments, providers, rewards, Client};

/// Every event recorded about the objects of `customers`, oldest first, read back as the
/// dispatcher will read them.
async fn recorded_events(
    table: &payments_aws::Store,
    scope: &TenantScope,
    customers: &[&str],
) -> Vec<RecordedEvent> {
    let mut events = Vec::new();
    for customer in customers {
        let customer = CustomerRef::parse(customer).unwrap_or_else(|e| panic!("{e:?}"));
        for event in table
            .events_of(scope, &customer)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        {
            let read = table
                .recorded_event(scope, &customer, &event.event.event_id)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(read.as_ref(), Some(&event));
            events.push(event);
        }
    }
    events.sort_by_key(|e| e.event.created);
    events
}

async fn pump(queue: &local_stack::pump::Worker, host: &WorkerHost) {
    pump_until_idle(queue, host.url(), Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

struct Flows {
    table: payments_aws::Store,
    orders: Client,
    vault: Client,
    mandates: Client,
    /// (event type, the object's GET body right after the change that reports it).
    expected: Vec<(&'static str, Value)>,
}

impl Flows {
    async fn get(&self, client: &Client, path: &str) -> Value {
        let reply = client.call(Method::GET, path, None).await;
        reply.assert_status(200);
        reply.body
    }

    async fn expect(&mut self, event_type: EventType, client: &Client, path: &str) {
        let body = self.get(client, path).await;
        self.expected.push((event_type.as_str(), body));
    }

    /// A payout of `amount` EUR executed by SANDBOX, which reports `outcome`: its instruction
    /// path and its transaction's path.
    async fn payout(&mut self, order: &str, amount: Value, outcome: EventType) -> (String, String) {
        let instruction = payments::completed_payout(
            &self.table,
            &self.vault.scope,
            "events-customer",
            order,
            amount,
            "EUR",
            Value::Null,
        )
        .await;
        let transaction = instruction
            .transaction
            .as_ref()
            .map(payments_bodies::vault::transaction_link)
            .unwrap_or_default();
        let path = format!("/v2/order-management/{order}/instruction/payout");
        let orders = self.orders.clone();
        self.expect(outcome, &orders, &path).await;
        (path, transaction)
    }
}

#[tokio::test]
async fn every_event_type_is_recorded_with_its_change_and_the_object_as_it_was() {
    let table = test_support::isolated_table().await;
    let refunds = throwaway_worker("refund-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let claims = throwaway_worker("reward-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let registrations = throwaway_worker("mandate-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let vault = Client::admin(payments::vault_router(&table, &refunds.queue_url).await);
    let same_tenant = |router| Client {
        router,
        ..vault.clone()
    };
    let mut flows = Flows {
        orders: same_tenant(
            payments::orders_router(
                &table,
                &payments::unreachable_queue(),
                &claims.queue_url,
                None,
            )
            .await,
        ),
        mandates: same_tenant(mandates_router(&table, &registrations.queue_url).await),
        vault,
        table: table.clone(),
        expected: Vec::new(),
    };
    let scope = flows.vault.scope;

    // Instructions: completed, failed (SANDBOX declines .51), cancelled.
    let completed = EventType::InstructionCompleted;
    let (_, paid_transaction) = flows.payout("paid", json!(20), completed).await;
    let orders = flows.orders.clone();
    let declined = EventType::InstructionFailed;
    flows.payout("declined", json!(10.51), declined).await;
    let later = json!({ "orderRef": "later", "instructions": [{
        "instructionRef": "payout", "customerRef": "events-customer", "direction": "Credit",
        "amount": 5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
    }]});
    orders
        .call(Method::POST, "/v2/order-management", Some(later))
        .await
        .assert_status(202);
    let cancel = "/v2/order-management/later/instruction/payout/cancel";
    let cancelled = orders.call(Method::POST, cancel, None).await;
    assert!(cancelled.status.is_success(), "{:?}", cancelled.body);
    let later = "/v2/order-management/later/instruction/payout";
    flows
        .expect(EventType::InstructionCancelled, &orders, later)
        .await;

    // Refunds: completed, and failed (SANDBOX declines refunds of .53), through the worker.
    let refund_host = payments::refund_worker_host(&table).await;
    let vault = flows.vault.clone();
    let refund = |transaction: &str, amount: Value| {
        let path = format!("{}/refund", transaction.replacen("/v1/", "/v2/", 1));
        let vault = vault.clone();
        async move {
            vault
                .call(Method::POST, &path, Some(json!({ "amount": amount })))
                .await
                .assert_status(200);
        }
    };
    refund(&paid_transaction, json!(5)).await;
    pump(&refunds, &refund_host).await;
    flows
        .expect(EventType::RefundCompleted, &vault, &paid_transaction)
        .await;
    let (_, refused_transaction) = flows.payout("refused", json!(10.53), completed).await;
    refund(&refused_transaction, json!(1)).await;
    pump(&refunds, &refund_host).await;
    flows
        .expect(EventType::RefundFailed, &vault, &refused_transaction)
        .await;

    // Chargebacks, from SANDBOX's webhooks through the webhook function and the event worker.
    let events = throwaway_worker("provider-event-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let webhooks = Client {
        router: providers::webhooks_router(&table, &events.queue_url).await,
        token: None,
        ..vault.clone()
    };
    let event_host = providers::event_worker_host(&table).await;
    let order = OrderRef::parse("paid").unwrap_or_else(|e| panic!("{e:?}"));
    let payout = InstructionRef::parse("payout").unwrap_or_else(|e| panic!("{e:?}"));
    let app_transaction_id = orders::instruction(&table, &scope, &order, &payout)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .transaction
        .and_then(|t| t.app_transaction_id)
        .unwrap_or_else(|| panic!("the payment has its app's id"));
    let amount = |value: Value| {
        payments_domain::payments::Amount::from_json(&value).unwrap_or_else(|e| panic!("{e:?}"))
    };
    let chargebacks = [
        (
            ProviderEvent::ChargebackOpened {
                app_transaction_id: app_transaction_id.clone(),
                chargeback_id: "cb-1".into(),
                amount: Some(amount(json!(2))),
                claimed: 0,
            },
            EventType::ChargebackOpened,
        ),
        (
            ProviderEvent::ChargebackSucceeded {
                app_transaction_id: app_transaction_id.clone(),
                chargeback_id: "cb-1".into(),
            },
            EventType::ChargebackSucceeded,
        ),
        (
            ProviderEvent::ChargebackOpened {
                app_transaction_id: app_transaction_id.clone(),
                chargeback_id: "cb-2".into(),
                amount: Some(amount(json!(1))),
                claimed: 0,
            },
            EventType::ChargebackOpened,
        ),
        (
            ProviderEvent::ChargebackFailed {
                app_transaction_id,
                chargeback_id: "cb-2".into(),
            },
            EventType::ChargebackFailed,
        ),
    ];
    for (event, event_type) in chargebacks {
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let delivery = providers::delivery(&event, &id);
        let mut request = webhooks.request(Method::POST, "/v1/providers/SANDBOX/webhooks");
        for (name, value) in &delivery.headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(axum::body::Body::from(delivery.body))
            .unwrap_or_else(|e| panic!("{e}"));
        webhooks.send(request).await.assert_status(202);
        pump(&events, &event_host).await;
        flows.expect(event_type, &vault, &paid_transaction).await;
    }

    // Mandates: registered, and refused (SANDBOX refuses a holder name with CLOSED).
    let mandates = flows.mandates.clone();
    create_profile(&mandates, "events-profile").await;
    let mandate_host = test_support::mandates::mandate_worker_host(&table).await;
    let active = create_mandate(
        &mandates,
        "events-customer",
        "events-profile",
        seed_debtor(),
    )
    .await;
    pump(&registrations, &mandate_host).await;
    let active = format!(
        "/v2/mandates/sepa/{}",
        active["mandateId"].as_str().unwrap_or_default()
    );
    flows
        .expect(EventType::MandateActive, &mandates, &active)
        .await;
    let mut closed = seed_debtor();
    closed["accountHolderName"] = json!("CLOSED ACCOUNT");
    let failed = create_mandate(&mandates, "events-customer", "events-profile", closed).await;
    pump(&registrations, &mandate_host).await;
    let failed = format!(
        "/v2/mandates/sepa/{}",
        failed["mandateId"].as_str().unwrap_or_default()
    );
    flows
        .expect(EventType::MandateFailed, &mandates, &failed)
        .await;

    // Rewards: settled, and failed (SANDBOX's FAILING reward); each finishes its instruction.
    let reward_host = rewards::reward_worker_host(&table).await;
    for (name, reward_event, instruction_event) in [
        (
            "Gift Card",
            EventType::RewardSettled,
            EventType::InstructionCompleted,
        ),
        (
            payments_domain::providers::FAILING_REWARD_NAME,
            EventType::RewardFailed,
            EventType::InstructionFailed,
        ),
    ] {
        let reward = rewards::reward(&table, &scope, name, &[]).await;
        let order = format!("reward-{}", reward_event.as_str().replace('.', "-"));
        let body = json!({ "orderRef": order, "instructions": [{
            "instructionRef": "payout", "customerRef": "events-rewarded", "direction": "Credit",
            "amount": 25, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
        }]});
        orders
            .call(Method::POST, "/v2/order-management", Some(body))
            .await
            .assert_status(202);
        let instruction = format!("/v2/order-management/{order}/instruction/payout");
        orders
            .call(
                Method::POST,
                &format!("{instruction}/authorize-reward"),
                None,
            )
            .await
            .assert_status(201);
        let claimed = orders
            .call(
                Method::POST,
                &format!("{instruction}/claim-reward"),
                Some(json!({ "rewardId": reward.to_string() })),
            )
            .await;
        claimed.assert_status(202);
        let location = claimed
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.find("/v1/").map(|at| l[at..].to_owned()))
            .unwrap_or_else(|| panic!("no Location: {:?}", claimed.headers));
        pump(&claims, &reward_host).await;
        flows.expect(reward_event, &vault, &location).await;
        flows.expect(instruction_event, &orders, &instruction).await;
    }

    let recorded = recorded_events(&table, &scope, &["events-customer", "events-rewarded"]).await;
    let mut expected = flows.expected;
    for event in &recorded {
        assert_eq!(event.scope(), scope);
        let payload = serde_json::json!(event_payload(event));
        assert_eq!(payload["id"], event.event.event_id);
        assert!(
            payload["createdAt"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{payload}"
        );
        assert_eq!(payload["tenantId"], scope.tenant.to_string());
        assert_eq!(payload["accountId"], scope.account.to_string());
        let event_type = payload["type"].as_str().unwrap_or_default();
        let found = expected
            .iter()
            .position(|(t, body)| *t == event_type && *body == payload["data"]);
        match found {
            Some(at) => {
                expected.remove(at);
            }
            None => panic!(
                "{event_type}: no change showed this object: {}\nstill expected: {expected:#?}",
                payload["data"]
            ),
        }
    }
    assert!(
        expected.is_empty(),
        "changes without their event: {expected:#?}"
    );
    let types: std::collections::BTreeSet<&str> = recorded
        .iter()
        .map(|e| e.event.event_type.as_str())
        .collect();
    let all: std::collections::BTreeSet<&str> = EventType::ALL
        .iter()
        .filter(|t| **t != EventType::WebhookTest)
        .map(|t| t.as_str())
        .collect();
    assert_eq!(types, all, "every event type of the list");
}

/// A change that loses its race records no event; the one that wins records one.
#[tokio::test]
async fn a_stale_change_records_nothing() {
    let table = test_support::isolated_table().await;
    let scope = test_support::new_scope();
    let body = payments::payout_body(
        "stale-customer",
        &payments::bank_account(&table, &scope, "stale-customer").await,
        &payments::scheme(
            &table,
            &scope,
            payments_domain::payments::Direction::Credit,
            "SANDBOX",
        )
        .await,
        json!(5),
        "EUR",
        "2999-01-01",
    );
    let written = payments::create_payout_order(&table, &scope, "stale", body).await;
    let mut first = written.clone();
    let mut second = written.clone();
    first
        .cancel("first".into(), None, Now::read().epoch_ms())
        .unwrap_or_else(|e| panic!("{e}"));
    second
        .cancel("second".into(), None, Now::read().epoch_ms())
        .unwrap_or_else(|e| panic!("{e}"));
    let read = written.version;
    assert!(table
        .save_instruction(&scope, &first, read)
        .await
        .unwrap_or_else(|e| panic!("{e}")));
    assert!(!table
        .save_instruction(&scope, &second, read)
        .await
        .unwrap_or_else(|e| panic!("{e}")));
    let recorded = recorded_events(&table, &scope, &["stale-customer"]).await;
    assert_eq!(recorded.len(), 1, "{recorded:#?}");
    assert_eq!(recorded[0].event, first.events.as_slice()[0]);
}
