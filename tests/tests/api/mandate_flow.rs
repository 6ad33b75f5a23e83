//! SEPA mandates end to end, against moto: the mandates function queues a registration, the
//! real pump delivers it to the mandate worker (in process, behind the Lambda invoke API), the
//! active mandate appears in the customer's vault as a `MANDATE:SEPA_DIRECT_DEBIT` instrument,
//! and a DEBIT instruction on it is executed by the instruction worker. Also: drafts, a refused
//! registration, amendments, duplicate and racing messages, a lost message, a network that
//! never answers, and forget.

use futures_util::future::join_all;
use futures_util::future::BoxFuture;
use http::Method;
use payments_aws::Store;
use payments_domain::ids::{MandateId, TenantScope};
use payments_domain::mandates::{
    register_mandate, Debtor, MandateNetwork, MandateStatus, Mandates, RegisterMandate,
    RegistrationOutcome, RegistrationRequest, SandboxNetwork, VerificationCheck,
    MAX_NETWORK_ATTEMPTS,
};
use payments_domain::payments::Direction;
use payments_domain::work::Step;
use payments_domain::work::WorkKind;
use payments_domain::Now;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::mandates::{
    create_mandate, create_profile, mandate_body, mandate_worker_host, mandates_router, seed_debtor,
};
use test_support::queues::{pump_until_idle, send, throwaway_worker};
use test_support::worker_host::WorkerHost;
use test_support::{payments, Client};

const CUSTOMER: &str = "debtor-1";

struct World {
    table: Store,
    mandates: Client,
    vault: Client,
    orders: Client,
    wallet: Client,
    mandate_host: WorkerHost,
    mandate_queue: local_stack::pump::Worker,
    instruction_host: WorkerHost,
    instruction_queue: local_stack::pump::Worker,
}

async fn world_on(table: Store, registrations: Option<&str>) -> World {
    let mandate_queue = throwaway_worker("mandate-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let instruction_queue = throwaway_worker("instruction-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let registrations = registrations.unwrap_or(&mandate_queue.queue_url).to_owned();
    let mandates = Client::admin(mandates_router(&table, &registrations).await);
    let same_tenant = |router| Client {
        router,
        ..mandates.clone()
    };
    let orders = same_tenant(
        payments::orders_router(
            &table,
            &instruction_queue.queue_url,
            &payments::unreachable_queue(),
            None,
        )
        .await,
    );
    let vault = same_tenant(payments::vault_router(&table, &payments::unreachable_queue()).await);
    let wallet = same_tenant(payments::wallet_router(&table).await);
    create_profile(&mandates, "insurer").await;
    World {
        mandate_host: mandate_worker_host(&table).await,
        instruction_host: payments::instruction_worker_host(&table).await,
        table,
        mandates,
        vault,
        orders,
        wallet,
        mandate_queue,
        instruction_queue,
    }
}

async fn world() -> World {
    world_on(test_support::table().await, None).await
}

/// Delivers what `queue` holds to the worker on `host` until the queue is idle.
async fn pump(queue: &local_stack::pump::Worker, host: &WorkerHost) {
    pump_until_idle(queue, host.url(), Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

fn id_of(created: &Value, field: &str) -> String {
    created[field].as_str().unwrap_or_default().to_owned()
}

impl World {
    fn scope(&self) -> TenantScope {
        self.mandates.scope
    }

    async fn pump_mandates(&self) {
        pump(&self.mandate_queue, &self.mandate_host).await;
    }

    async fn pump_instructions(&self) {
        pump(&self.instruction_queue, &self.instruction_host).await;
    }

    async fn mandate(&self, id: &str) -> Value {
        let reply = self
            .mandates
            .call(Method::GET, &format!("/v2/mandates/sepa/{id}"), None)
            .await;
        reply.assert_status(200);
        reply.body
    }

    async fn instrument(&self, id: &str) -> (u16, Value) {
        let reply = self
            .vault
            .call(
                Method::GET,
                &format!("/v2/customer-vault/{CUSTOMER}/financial-instrument/{id}"),
                None,
            )
            .await;
        (reply.status.as_u16(), reply.body)
    }

    /// An active mandate of `CUSTOMER` with the seed's debtor: (mandateId, financialInstrumentId).
    async fn active_mandate(&self) -> (String, String) {
        let created = create_mandate(&self.mandates, CUSTOMER, "insurer", seed_debtor()).await;
        self.pump_mandates().await;
        let id = id_of(&created, "mandateId");
        assert_eq!(self.mandate(&id).await["status"], "Active");
        (id, id_of(&created, "financialInstrumentId"))
    }

    /// Creates an order with one instruction due today on `instrument`; the answer's status.
    async fn debit(&self, order: &str, instrument: &str, currency: &str, direction: &str) -> u16 {
        let scheme_direction = if direction == "Debit" {
            Direction::Debit
        } else {
            Direction::Credit
        };
        let scheme =
            payments::scheme(&self.table, &self.scope(), scheme_direction, "SANDBOX").await;
        let today = chrono::Utc::now().date_naive().to_string();
        let instruction = json!({
            "instructionRef": "premium",
            "customerRef": CUSTOMER,
            "direction": direction,
            "financialInstrumentId": instrument,
            "amount": 42.5,
            "currency": currency,
            "country": "DE",
            "settledByDate": today,
            "schemeId": scheme.to_string(),
        });
        let reply = self
            .orders
            .call(
                Method::POST,
                "/v2/order-management",
                Some(json!({ "orderRef": order, "instructions": [instruction] })),
            )
            .await;
        reply.status.as_u16()
    }
}

#[tokio::test]
async fn an_active_mandate_is_an_instrument_that_collects_a_debit() {
    let w = world().await;
    let (mandate_id, instrument) = w.active_mandate().await;
    let mandate = w.mandate(&mandate_id).await;
    assert_eq!(mandate["financialInstrumentId"], instrument.as_str());
    assert_eq!(mandate["inactiveReason"], Value::Null);

    let (status, fi) = w.instrument(&instrument).await;
    assert_eq!(status, 200, "{fi}");
    assert_eq!(fi["type"], "MANDATE:SEPA_DIRECT_DEBIT");
    assert_eq!(fi["status"], "ACTIVE");
    assert_eq!(fi["capabilities"]["canDebit"], true);
    assert_eq!(fi["capabilities"]["canCredit"], false);
    assert_eq!(
        fi["details"],
        json!({
            "financialInstrumentType": "MANDATE:SEPA_DIRECT_DEBIT",
            "mandateRef": mandate["mandateRef"],
            "creditorName": "Insurer GmbH",
            "creditorIdentifier": "DE98ZZZ09999999999",
            "accountHolderName": "MR J D SMITH",
            "iban": "******************6819",
            "country": "GB",
        })
    );
    assert!(fi["displayName"]
        .as_str()
        .is_some_and(|n| n.ends_with("****6819")));

    // It shows in the customer and can go into the wallet.
    let customer = w
        .vault
        .call(Method::GET, &format!("/v2/customer-vault/{CUSTOMER}"), None)
        .await;
    assert!(customer.body["financialInstruments"]
        .as_array()
        .is_some_and(|all| all.iter().any(|i| i["id"] == instrument.as_str())));
    w.wallet
        .call(
            Method::POST,
            &format!("/v1/customer-vault/{CUSTOMER}/wallet/financial-instrument/{instrument}"),
            None,
        )
        .await
        .assert_status(202);
    let wallet = w
        .wallet
        .call(
            Method::GET,
            &format!("/v1/customer-vault/{CUSTOMER}/wallet"),
            None,
        )
        .await;
    assert_eq!(
        wallet.body["financialInstruments"][0]["id"],
        instrument.as_str()
    );

    // A DEBIT in EUR executes; other currencies and payouts are refused.
    assert_eq!(
        w.debit("premium-gbp", &instrument, "GBP", "Debit").await,
        400
    );
    assert_eq!(w.debit("payout", &instrument, "EUR", "Credit").await, 400);
    assert_eq!(w.debit("premium", &instrument, "EUR", "Debit").await, 202);
    w.pump_instructions().await;
    let executed = w
        .orders
        .call(
            Method::GET,
            "/v2/order-management/premium/instruction/premium",
            None,
        )
        .await;
    assert_eq!(executed.body["status"], "COMPLETED", "{}", executed.body);
    let link = executed.body["_links"]["transactions"][0]["href"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let transaction = w.vault.call(Method::GET, &link, None).await;
    assert_eq!(transaction.body["status"], "SUCCESS");
    assert!(link.contains(&format!("/financial-instrument/{instrument}/")));
}

#[tokio::test]
async fn instructions_name_why_a_mandate_cannot_be_used() {
    let w = world().await;
    let (_, instrument) = w.active_mandate().await;
    for (currency, direction, code) in [
        ("GBP", "Debit", "FINANCIAL_INSTRUMENT_CURRENCY_UNSUPPORTED"),
        (
            "EUR",
            "Credit",
            "FINANCIAL_INSTRUMENT_DIRECTION_UNSUPPORTED",
        ),
    ] {
        let scheme_direction = if direction == "Debit" {
            Direction::Debit
        } else {
            Direction::Credit
        };
        let scheme = payments::scheme(&w.table, &w.scope(), scheme_direction, "SANDBOX").await;
        let order = format!("o-{currency}-{direction}");
        w.orders
            .call(
                Method::POST,
                "/v2/order-management",
                Some(json!({ "orderRef": order })),
            )
            .await
            .assert_status(201);
        let reply = w
            .orders
            .call(
                Method::POST,
                &format!("/v2/order-management/{order}/instruction"),
                Some(json!({
                    "instructionRef": "i1", "customerRef": CUSTOMER, "direction": direction,
                    "financialInstrumentId": instrument, "amount": 10, "currency": currency,
                    "country": "DE", "settledByDate": "2999-01-01", "schemeId": scheme.to_string(),
                })),
            )
            .await;
        reply.assert_status(400);
        assert_eq!(reply.error_codes(), vec![code.to_owned()]);
    }
}

#[tokio::test]
async fn a_completed_draft_is_registered() {
    let w = world().await;
    let draft = w
        .mandates
        .call(
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(json!({ "creditorProfileRef": "insurer" })),
        )
        .await;
    draft.assert_status(201);
    let id = id_of(&draft.body, "mandateId");
    w.mandates
        .call(
            Method::PUT,
            &format!("/v2/mandates/sepa/{id}"),
            Some(json!({ "customerRef": CUSTOMER, "creditorProfileRef": "insurer" })),
        )
        .await
        .assert_status(200);
    w.pump_mandates().await;
    assert_eq!(
        w.mandate(&id).await["status"],
        "Draft",
        "a draft is not registered"
    );
    let complete = w
        .mandates
        .call(
            Method::PUT,
            &format!("/v2/mandates/sepa/{id}"),
            Some(mandate_body(CUSTOMER, "insurer", seed_debtor())),
        )
        .await;
    complete.assert_status(202);
    w.pump_mandates().await;
    assert_eq!(w.mandate(&id).await["status"], "Active");
    let (status, fi) = w
        .instrument(&id_of(&complete.body, "financialInstrumentId"))
        .await;
    assert_eq!((status, fi["status"].clone()), (200, json!("ACTIVE")));
}

#[tokio::test]
async fn a_closed_account_fails_registration_and_no_instrument_appears() {
    let w = world().await;
    let mut debtor = seed_debtor();
    debtor["accountHolderName"] = json!("MR J D SMITH CLOSED");
    let created = create_mandate(&w.mandates, CUSTOMER, "insurer", debtor).await;
    w.pump_mandates().await;
    let mandate = w.mandate(&id_of(&created, "mandateId")).await;
    assert_eq!(mandate["status"], "Failed");
    assert_eq!(mandate["inactiveReason"]["reasonCode"], "AccountClosed");
    assert!(mandate["inactiveReason"]["description"].is_string());
    let (status, _) = w
        .instrument(&id_of(&created, "financialInstrumentId"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_amendment_updates_the_mandate_and_its_instrument() {
    let w = world().await;
    let (id, instrument) = w.active_mandate().await;
    let mut debtor = seed_debtor();
    debtor["iban"] = json!("DE89370400440532013000");
    debtor["bic"] = Value::Null;
    debtor["accountHolderName"] = json!("JOHN SMITH");
    let amended = w
        .mandates
        .call(
            Method::PUT,
            &format!("/v2/mandates/sepa/{id}/amend"),
            Some(json!({ "debtor": debtor })),
        )
        .await;
    amended.assert_status(202);
    assert_eq!(amended.body["financialInstrumentId"], instrument.as_str());
    assert_eq!(amended.body["verificationCheck"]["status"], "VERIFIED");
    let amending = w.mandate(&id).await;
    assert_eq!(amending["status"], "Amending");
    assert_eq!(
        amending["debtor"]["iban"], "GB29NWBK60161331926819",
        "not yet"
    );
    w.pump_mandates().await;
    let active = w.mandate(&id).await;
    assert_eq!(active["status"], "Active");
    assert_eq!(active["debtor"]["iban"], "DE89370400440532013000");
    let (_, fi) = w.instrument(&instrument).await;
    assert_eq!(fi["status"], "ACTIVE");
    assert_eq!(fi["details"]["accountHolderName"], "JOHN SMITH");
    assert_eq!(fi["details"]["iban"], "******************3000");
    assert_eq!(fi["details"]["country"], "DE");
}

#[tokio::test]
async fn a_refused_amendment_keeps_the_mandate_as_it_was() {
    let w = world().await;
    let (id, instrument) = w.active_mandate().await;
    let mut debtor = seed_debtor();
    debtor["accountHolderName"] = json!("MR J D SMITH CLOSED");
    w.mandates
        .call(
            Method::PUT,
            &format!("/v2/mandates/sepa/{id}/amend"),
            Some(json!({ "debtor": debtor })),
        )
        .await
        .assert_status(202);
    w.pump_mandates().await;
    let mandate = w.mandate(&id).await;
    assert_eq!(mandate["status"], "Active");
    assert_eq!(mandate["debtor"]["accountHolderName"], "MR J D SMITH");
    let (_, fi) = w.instrument(&instrument).await;
    assert_eq!(fi["details"]["accountHolderName"], "MR J D SMITH");
}

#[tokio::test]
async fn duplicate_and_racing_registrations_activate_once() {
    let w = world().await;
    let created = create_mandate(&w.mandates, CUSTOMER, "insurer", seed_debtor()).await;
    let id = id_of(&created, "mandateId");
    let mandate_id = MandateId::parse(&id).unwrap_or_else(|e| panic!("{e:?}"));
    let store = &w.table;
    let submitted = store
        .mandate(&w.scope(), mandate_id)
        .await
        .ok()
        .flatten()
        .map(|m| m.version);
    let message = RegisterMandate {
        scope: w.scope().into(),
        mandate_id,
    };
    let body = serde_json::to_string(&message).unwrap_or_default();
    for _ in 0..3 {
        send(&w.mandate_queue, &body)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Four workers racing on the message while the pump delivers the queued copies.
    let network = mandates::deployed_network();
    let racing =
        join_all((0..4).map(|_| register_mandate(store, network.as_ref(), &message, Now::read())));
    let (results, ()) = tokio::join!(racing, w.pump_mandates());
    assert!(results.iter().all(Result::is_ok));

    let stored = store.mandate(&w.scope(), mandate_id).await.ok().flatten();
    assert_eq!(
        stored.as_ref().map(|m| (m.status, m.version)),
        submitted.map(|v| (MandateStatus::Active, v + 1)),
        "one activation"
    );
    let customer = w
        .vault
        .call(Method::GET, &format!("/v2/customer-vault/{CUSTOMER}"), None)
        .await;
    let mandates: Vec<&Value> = customer.body["financialInstruments"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|i| i["type"] == "MANDATE:SEPA_DIRECT_DEBIT")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(mandates.len(), 1, "one instrument");
}

#[tokio::test]
async fn a_lost_registration_message_is_sent_again_by_the_sweep() {
    let table = test_support::isolated_table().await;
    let w = world_on(table.clone(), Some(&payments::unreachable_queue())).await;
    let created = create_mandate(&w.mandates, CUSTOMER, "insurer", seed_debtor()).await;
    let id = id_of(&created, "mandateId");
    w.pump_mandates().await;
    assert_eq!(
        w.mandate(&id).await["status"],
        "Registering",
        "the send failed"
    );
    let queues = [(WorkKind::Mandate, w.mandate_queue.queue_url.as_str())];
    let sweep = payments::sweep(&table, 0, &queues).await;
    let swept = sweep
        .run(Now::at(Now::read().epoch_ms() + 1_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swept.queued, 1);
    w.pump_mandates().await;
    assert_eq!(w.mandate(&id).await["status"], "Active");
    let again = sweep
        .run(Now::at(Now::read().epoch_ms() + 60_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.queued, 0, "an active mandate has left the work index");
}

/// A network that keeps asking to try again later.
struct Unavailable;

impl MandateNetwork for Unavailable {
    fn verify<'a>(&'a self, debtor: &'a Debtor) -> BoxFuture<'a, VerificationCheck> {
        SandboxNetwork.verify(debtor)
    }

    fn register<'a>(
        &'a self,
        _: &'a RegistrationRequest<'a>,
    ) -> BoxFuture<'a, RegistrationOutcome> {
        Box::pin(async {
            RegistrationOutcome::Retryable {
                reason: "down".into(),
            }
        })
    }
}

/// Work that can never succeed ends: after the last "try again later" the registration is
/// refused with a reason, no instrument appears, and the mandate leaves the work index.
#[tokio::test]
async fn a_registration_the_network_never_answers_fails_after_the_last_attempt() {
    let table = test_support::isolated_table().await;
    let w = world_on(table.clone(), Some(&payments::unreachable_queue())).await;
    let created = create_mandate(&w.mandates, CUSTOMER, "insurer", seed_debtor()).await;
    let id = id_of(&created, "mandateId");
    let message = RegisterMandate {
        scope: w.scope().into(),
        mandate_id: MandateId::parse(&id).unwrap_or_else(|e| panic!("{e:?}")),
    };
    for _ in 1..MAX_NETWORK_ATTEMPTS {
        let step = register_mandate(&table, &Unavailable, &message, Now::read()).await;
        assert_eq!(step.ok(), Some(Step::RetryLater));
        assert_eq!(w.mandate(&id).await["status"], "Registering");
    }
    let step = register_mandate(&table, &Unavailable, &message, Now::read()).await;
    assert_eq!(step.ok(), Some(Step::Done));
    let mandate = w.mandate(&id).await;
    assert_eq!(mandate["status"], "Failed");
    assert_eq!(
        mandate["inactiveReason"]["reasonCode"],
        "NetworkUnavailable"
    );
    let (status, _) = w
        .instrument(&id_of(&created, "financialInstrumentId"))
        .await;
    assert_eq!(status, 404);
    let queues = [(WorkKind::Mandate, w.mandate_queue.queue_url.as_str())];
    let swept = payments::sweep(&table, 0, &queues)
        .await
        .run(Now::at(Now::read().epoch_ms() + 60_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swept.queued, 0, "a failed mandate is not sent again");
}

#[tokio::test]
async fn forget_stops_a_registration_and_erases_the_debtor() {
    let w = world().await;
    let created = create_mandate(&w.mandates, CUSTOMER, "insurer", seed_debtor()).await;
    let id = id_of(&created, "mandateId");
    w.vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/forget"),
            None,
        )
        .await
        .assert_status(200);
    w.pump_mandates().await;
    let mandate = w.mandate(&id).await;
    assert_eq!(mandate["status"], "Failed");
    assert_eq!(mandate["inactiveReason"]["reasonCode"], "CustomerForgotten");
    assert_eq!(mandate["debtor"], Value::Null);
    assert_eq!(mandate["metadata"], json!({}));
    let (status, _) = w
        .instrument(&id_of(&created, "financialInstrumentId"))
        .await;
    assert_eq!(status, 404);
    let again = w
        .mandates
        .call(
            Method::POST,
            "/v2/mandates/sepa",
            Some(mandate_body(CUSTOMER, "insurer", seed_debtor())),
        )
        .await;
    again.assert_status(400);
    assert_eq!(
        again.format_b_errors(),
        vec![("CUSTOMER_FORGOTTEN".to_owned(), String::new())]
    );
}

#[tokio::test]
async fn forget_reaches_a_mandate_whose_terms_no_longer_name_the_customer() {
    let w = world().await;
    // A draft entered for the customer, then moved to another customer with the same debtor.
    let draft = w
        .mandates
        .call(
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(json!({ "customerRef": CUSTOMER, "debtor": { "firstName": "Jane" } })),
        )
        .await;
    draft.assert_status(201);
    let id = id_of(&draft.body, "mandateId");
    w.mandates
        .call(
            Method::PUT,
            &format!("/v2/mandates/sepa/{id}"),
            Some(json!({ "customerRef": "someone-else", "debtor": { "firstName": "Jane" } })),
        )
        .await
        .assert_status(200);
    w.vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/forget"),
            None,
        )
        .await
        .assert_status(200);
    let mandate = w.mandate(&id).await;
    assert_eq!(mandate["debtor"], Value::Null, "{mandate}");
}
