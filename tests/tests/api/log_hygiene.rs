//! Log hygiene: every log line the code emits while end-to-end flows run through the in-process
//! routers and workers is captured (JSON lines, as `config::init_logging` writes them in
//! production), and none of the personal data or secrets those flows used may appear in it —
//! account holder names, IBANs, account numbers, debtor names, emails and addresses, metadata
//! values, reasons, reward credentials, bearer tokens, API private keys and their HMAC
//! signatures, providers' webhook signatures and free text — on success paths, validation failures, refused token exchanges, a tolerated
//! downstream failure (an unreachable queue) and a 500, through forget. The capture
//! must also hold what it should (each request's correlation id, the flows' own log lines), so
//! the test cannot pass by capturing nothing.

use axum::body::Body;
use http::Method;
use payments_aws::Store;
use payments_domain::payments::Direction;
use serde_json::{json, Value};
use std::sync::{Mutex, Once, PoisonError};
use std::time::Duration;
use test_support::mandates::{mandate_worker_host, mandates_router};
use test_support::queues::{pump_until_idle, throwaway_worker};
use test_support::rewards::{reward, reward_worker_host};
use test_support::worker_host::WorkerHost;
use test_support::{payments, Client, Reply};

// ---------------------------------------------------------------------------------------------
// The capture: one global subscriber for this test binary, writing JSON lines into memory.

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The crates of the service: everything they log, at any level, is captured. Other crates
/// (the AWS SDK, hyper) at `info`, as production's `RUST_LOG=info` has it.
const FILTER: &str = "info,payments_domain=trace,payments_aws=trace,payments_http=trace,\
                      payments_bodies=trace,customer_vault=trace,customer_wallet=trace,\
                      order_management=trace,mandates=trace,instruction_worker=trace,\
                      refund_worker=trace,mandate_worker=trace,reward_worker=trace,sweep=trace,\
                      identity=trace,provider_webhooks=trace,provider_event_worker=trace,\
                      notifications=trace";

/// Installs the capture once for the binary: production's log format
/// (`config::install_logging`), with a filter that ignores `RUST_LOG`.
fn capture_logs() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let filter = FILTER
            .parse()
            .unwrap_or_else(|e| panic!("the capture's filter: {e}"));
        payments_aws::config::install_logging(filter, || Capture)
            .unwrap_or_else(|e| panic!("installing the log capture: {e}"));
    });
}

fn captured() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Distinctive random personal data.

fn random_bytes(length: usize) -> Vec<u8> {
    std::iter::repeat_with(|| uuid::Uuid::new_v4().into_bytes())
        .flatten()
        .take(length)
        .collect()
}

/// `length` random uppercase letters.
fn letters(length: usize) -> String {
    random_bytes(length)
        .into_iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

fn digits(length: usize) -> String {
    random_bytes(length)
        .into_iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// A German IBAN (18-digit BBAN) with correct check digits, compact.
fn de_iban() -> String {
    let bban = digits(18);
    let remainder = format!("{bban}DE00").chars().fold(0u32, |acc, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    });
    format!("DE{:02}{bban}", 98 - remainder)
}

/// The IBAN in groups of four, as people write it.
fn spaced(iban: &str) -> String {
    iban.as_bytes()
        .chunks(4)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a flow must never log, and what it saw (correlation ids) that the logs must hold.
#[derive(Default)]
struct Recorder {
    secrets: Vec<String>,
    correlation_ids: Vec<String>,
}

impl Recorder {
    /// Remembers `value` as personal data and returns it.
    fn secret(&mut self, value: impl Into<String>) -> String {
        let value = value.into();
        self.secrets.push(value.clone());
        value
    }

    /// A random word of `length` letters, remembered as personal data.
    fn word(&mut self, length: usize) -> String {
        self.secret(letters(length))
    }

    /// A random IBAN: remembered compact, spaced, and its BBAN.
    fn iban(&mut self) -> String {
        let iban = self.secret(de_iban());
        self.secret(spaced(&iban));
        self.secret(&iban[4..]);
        iban
    }

    /// A random email, remembered whole and by its local part.
    fn email(&mut self) -> String {
        let local = self.secret(letters(10).to_lowercase());
        self.secret(format!("{local}@{}.example", letters(8).to_lowercase()))
    }

    /// A caller whose bearer token (and its signature) must never be logged.
    fn client(&mut self, client: Client) -> Client {
        if let Some(token) = &client.token {
            self.secret(token.clone());
            self.secret(token.rsplit('.').next().unwrap_or_default());
        }
        client
    }

    fn seen(&mut self, reply: Reply) -> Reply {
        if let Some(id) = reply
            .headers
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
        {
            self.correlation_ids.push(id.to_owned());
        }
        reply
    }

    async fn call(
        &mut self,
        client: &Client,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let reply = client.call(method, path, body).await;
        self.seen(reply)
    }

    /// Sends a raw body (for malformed JSON).
    async fn call_raw(
        &mut self,
        client: &Client,
        method: Method,
        path: &str,
        body: String,
    ) -> Reply {
        let request = client
            .request(method, path)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"));
        let reply = client.send(request).await;
        self.seen(reply)
    }

    /// None of the secrets appears in the captured logs (whatever the case); every correlation
    /// id seen does, and so does each of `expected` (log messages of the flow).
    fn assert_logs_clean(&self, expected: &[&str]) {
        assert!(self.secrets.len() >= 5, "the flow recorded too few secrets");
        let logs = captured();
        assert!(!logs.trim().is_empty(), "nothing was captured");
        for line in logs.lines() {
            assert!(
                serde_json::from_str::<Value>(line).is_ok(),
                "a log line is not JSON: {line}"
            );
        }
        let lowercase = logs.to_lowercase();
        let leaked: Vec<(&String, Vec<&str>)> = self
            .secrets
            .iter()
            .filter(|secret| !secret.is_empty())
            .filter(|secret| lowercase.contains(&secret.to_lowercase()))
            .map(|secret| {
                let needle = secret.to_lowercase();
                let lines = logs
                    .lines()
                    .filter(|line| line.to_lowercase().contains(&needle))
                    .take(3)
                    .collect();
                (secret, lines)
            })
            .collect();
        assert!(leaked.is_empty(), "personal data in the logs: {leaked:#?}");
        let missing: Vec<&String> = self
            .correlation_ids
            .iter()
            .filter(|id| !logs.contains(id.as_str()))
            .collect();
        assert!(
            !self.correlation_ids.is_empty() && missing.is_empty(),
            "requests whose correlation id is in no log line: {missing:?}"
        );
        for message in expected {
            assert!(
                logs.contains(&format!("\"message\":\"{message}")),
                "no log line says {message:?}"
            );
        }
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

async fn pump(queue: &local_stack::pump::Worker, host: &WorkerHost) {
    pump_until_idle(queue, host.url(), Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A valid UK account body with a random holder name and account number.
fn uk_account(r: &mut Recorder) -> Value {
    let holder = format!("{} {}", r.word(8), r.word(8));
    json!({
        "accountHolderName": r.secret(holder),
        "accountNumber": r.secret(digits(8)),
        "sortCode": "112233",
    })
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn vault_and_wallet_flows_log_no_personal_data() {
    capture_logs();
    let table = test_support::table().await;
    let mut r = Recorder::default();
    let vault = r.client(Client::admin(
        payments::vault_router(&table, &payments::unreachable_queue()).await,
    ));
    let wallet = Client {
        router: payments::wallet_router(&table).await,
        ..vault.clone()
    };
    let customer = "/v2/customer-vault/hygiene-vault";

    let metadata = json!({ "note": r.word(12), "contact": r.email() });
    r.call(
        &vault,
        Method::PUT,
        customer,
        Some(json!({ "metadata": metadata })),
    )
    .await
    .assert_status(202);
    let body = uk_account(&mut r);
    let uk = r
        .call(
            &vault,
            Method::POST,
            &format!("{customer}/uk-bank-account"),
            Some(body),
        )
        .await;
    uk.assert_status(201);
    let holder = format!("{} {}", r.word(9), r.word(9));
    let iban = r.iban();
    let international = r
        .call(
            &vault,
            Method::POST,
            &format!("{customer}/international-bank-account"),
            Some(json!({ "name": holder, "iban": spaced(&iban), "bic": "DEUTDEFF" })),
        )
        .await;
    international.assert_status(201);
    let (uk_id, iban_id) = (text(&uk.body["id"]), text(&international.body["id"]));
    r.call(&vault, Method::GET, customer, None)
        .await
        .assert_status(200);
    for id in [&uk_id, &iban_id] {
        r.call(
            &vault,
            Method::GET,
            &format!("{customer}/financial-instrument/{id}"),
            None,
        )
        .await
        .assert_status(200);
    }
    let toggle = format!("/v1/customer-vault/hygiene-vault/wallet/financial-instrument/{uk_id}");
    let reason = json!({ "reason": r.word(14) });
    r.call(&wallet, Method::POST, &toggle, Some(reason.clone()))
        .await
        .assert_status(202);
    r.call(
        &wallet,
        Method::GET,
        "/v1/customer-vault/hygiene-vault/wallet",
        None,
    )
    .await
    .assert_status(200);
    r.call(&wallet, Method::DELETE, &toggle, Some(reason))
        .await
        .assert_status(202);
    let close = json!({ "reason": r.word(14) });
    r.call(
        &vault,
        Method::PUT,
        &format!("{customer}/financial-instrument/{iban_id}/close"),
        Some(close),
    )
    .await
    .assert_status(200);

    // Validation failures with personal data in the refused fields.
    let lowercase_holder = format!("{} {}", r.word(7), r.word(7)).to_lowercase();
    let bad = json!({ "accountHolderName": lowercase_holder, "accountNumber": r.secret(digits(7)), "sortCode": "1122" });
    r.call(
        &vault,
        Method::POST,
        &format!("{customer}/uk-bank-account"),
        Some(bad),
    )
    .await
    .assert_status(400);
    let number = r.secret(digits(8));
    let wrong_type = json!({ "accountHolderName": r.word(8), "accountNumber": number.parse::<u64>().unwrap_or(12_345_678), "sortCode": 112233 });
    r.call(
        &vault,
        Method::POST,
        &format!("{customer}/uk-bank-account"),
        Some(wrong_type),
    )
    .await
    .assert_status(400);
    let bad_iban = json!({ "name": r.word(10), "iban": format!("DE00{}", &r.iban()[4..]) });
    r.call(
        &vault,
        Method::POST,
        &format!("{customer}/international-bank-account"),
        Some(bad_iban),
    )
    .await
    .assert_status(400);
    let malformed = format!(
        "{{\"accountHolderName\": \"{}\", \"accountNumber\": \"{}",
        r.word(10),
        r.secret(digits(8))
    );
    r.call_raw(
        &vault,
        Method::POST,
        &format!("{customer}/uk-bank-account"),
        malformed,
    )
    .await
    .assert_status(400);
    let mut too_long = serde_json::Map::new();
    too_long.insert("k".into(), json!(r.secret(letters(300))));
    too_long.insert(r.secret(letters(70)), json!(r.word(10)));
    r.call(
        &vault,
        Method::PUT,
        customer,
        Some(json!({ "metadata": too_long })),
    )
    .await
    .assert_status(400);
    let forged = vault.with_token(Some(r.secret(format!(
        "{}.{}.{}",
        letters(20),
        letters(40),
        letters(30)
    ))));
    r.call(&forged, Method::GET, customer, None)
        .await
        .assert_status(401);

    // A 500: the store is unreachable (a table that does not exist) while personal data is written.
    let broken_table = Store::new(
        aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await),
        format!("missing-{}", uuid::Uuid::new_v4().simple()),
    );
    let broken = Client {
        router: payments::vault_router(&broken_table, &payments::unreachable_queue()).await,
        ..vault.clone()
    };
    let body = uk_account(&mut r);
    let failed = r
        .call(
            &broken,
            Method::POST,
            &format!("{customer}/uk-bank-account"),
            Some(body),
        )
        .await;
    failed.assert_status(500);
    let metadata = json!({ "metadata": { "note": r.word(12) } });
    r.call(&broken, Method::PUT, customer, Some(metadata))
        .await
        .assert_status(500);

    r.call(&vault, Method::POST, &format!("{customer}/forget"), None)
        .await
        .assert_status(200);
    let forgotten = r.call(&vault, Method::GET, customer, None).await;
    assert_eq!(forgotten.body["status"], "FORGOTTEN");

    r.assert_logs_clean(&[
        "authorised",
        "request handled",
        "wallet changed",
        "request failed",
        "customer forgotten",
    ]);
}

#[tokio::test]
async fn order_execution_and_refund_flows_log_no_personal_data() {
    capture_logs();
    let table = test_support::table().await;
    let mut r = Recorder::default();
    let instruction_queue = throwaway_worker("instruction-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refund_queue = throwaway_worker("refund-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let unreachable = payments::unreachable_queue();
    let orders = r.client(Client::admin(
        payments::orders_router(&table, &instruction_queue.queue_url, &unreachable, None).await,
    ));
    let vault = Client {
        router: payments::vault_router(&table, &refund_queue.queue_url).await,
        ..orders.clone()
    };
    let instruction_host = payments::instruction_worker_host(&table).await;
    let refund_host = payments::refund_worker_host(&table).await;
    let customer = "hygiene-payer";

    let body = uk_account(&mut r);
    let account = r
        .call(
            &vault,
            Method::POST,
            &format!("/v2/customer-vault/{customer}/uk-bank-account"),
            Some(body),
        )
        .await;
    account.assert_status(201);
    let account = text(&account.body["id"]);
    let scheme = payments::scheme(&table, &orders.scope, Direction::Credit, "SANDBOX").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let mut payout = payments::payout_body(customer, &account, &scheme, json!(40), "EUR", &today);
    payout["metadata"] = json!({ "invoice": r.word(12), "payee": r.email() });
    let order = json!({ "orderRef": "hygiene-order", "metadata": { "buyer": r.word(12) }, "instructions": [payout] });
    r.call(&orders, Method::POST, "/v2/order-management", Some(order))
        .await
        .assert_status(202);
    pump(&instruction_queue, &instruction_host).await;
    let instruction_path = "/v2/order-management/hygiene-order/instruction/payout";
    let instruction = r.call(&orders, Method::GET, instruction_path, None).await;
    assert_eq!(
        instruction.body["status"], "COMPLETED",
        "{}",
        instruction.body
    );
    r.call(
        &orders,
        Method::GET,
        "/v2/order-management/hygiene-order",
        None,
    )
    .await
    .assert_status(200);
    let metadata = json!({ "buyer": r.word(12) });
    r.call(
        &orders,
        Method::PUT,
        "/v2/order-management/hygiene-order/metadata",
        Some(metadata),
    )
    .await
    .assert_status(204);

    // Refused writes carrying personal data.
    let again = json!({ "orderRef": "hygiene-order", "metadata": { "buyer": r.word(12) } });
    r.call(&orders, Method::POST, "/v2/order-management", Some(again))
        .await
        .assert_status(400);
    let update = json!({ "amount": "not a number", "metadata": { "payee": r.word(12) } });
    r.call(&orders, Method::PUT, instruction_path, Some(update))
        .await
        .assert_status(400);
    let update = json!({ "metadata": { "payee": r.word(12) } });
    r.call(&orders, Method::PUT, instruction_path, Some(update))
        .await
        .assert_status(400);
    let mut later =
        payments::payout_body(customer, &account, &scheme, json!(5), "EUR", "2999-01-01");
    later["metadata"] = json!({ "invoice": r.word(12) });
    r.call(
        &orders,
        Method::POST,
        "/v2/order-management",
        Some(json!({ "orderRef": "hygiene-later", "instructions": [later] })),
    )
    .await
    .assert_status(202);
    let cancel = json!({ "reason": r.word(14) });
    r.call(
        &orders,
        Method::POST,
        "/v2/order-management/hygiene-later/instruction/payout/cancel",
        Some(cancel),
    )
    .await
    .assert_status(204);

    // Refunds through the refund worker, and one refused.
    let transaction =
        text(&instruction.body["_links"]["transactions"][0]["href"]).replacen("/v1/", "/v2/", 1);
    assert!(
        transaction.contains("/transaction/"),
        "{}",
        instruction.body
    );
    let refund = json!({ "amount": 10, "reason": r.word(14) });
    let refund = r
        .call(
            &vault,
            Method::POST,
            &format!("{transaction}/refund"),
            Some(refund),
        )
        .await;
    refund.assert_status(200);
    pump(&refund_queue, &refund_host).await;
    let refund = r
        .call(
            &vault,
            Method::GET,
            &format!("{transaction}/refund/{}", text(&refund.body["refundId"])),
            None,
        )
        .await;
    assert_eq!(refund.body["status"], "COMPLETED", "{}", refund.body);
    let too_much = json!({ "amount": 1000, "reason": r.word(14) });
    r.call(
        &vault,
        Method::POST,
        &format!("{transaction}/refund"),
        Some(too_much),
    )
    .await
    .assert_status(400);
    r.call(&vault, Method::GET, &transaction, None)
        .await
        .assert_status(200);

    // Tolerated failures: due work that cannot be queued is logged and left for the sweep.
    let lossy_orders = Client {
        router: payments::orders_router(&table, &unreachable, &unreachable, None).await,
        ..orders.clone()
    };
    let mut due = payments::payout_body(customer, &account, &scheme, json!(7), "EUR", &today);
    due["metadata"] = json!({ "invoice": r.word(12) });
    let lost = json!({ "orderRef": "hygiene-lost", "metadata": { "buyer": r.word(12) }, "instructions": [due] });
    r.call(
        &lossy_orders,
        Method::POST,
        "/v2/order-management",
        Some(lost),
    )
    .await
    .assert_status(202);
    let lossy_vault = Client {
        router: payments::vault_router(&table, &unreachable).await,
        ..orders.clone()
    };
    let refund = json!({ "amount": 1, "reason": r.word(14) });
    r.call(
        &lossy_vault,
        Method::POST,
        &format!("{transaction}/refund"),
        Some(refund),
    )
    .await
    .assert_status(200);

    r.call(
        &vault,
        Method::POST,
        &format!("/v2/customer-vault/{customer}/forget"),
        None,
    )
    .await
    .assert_status(200);

    r.assert_logs_clean(&[
        "order created",
        "instruction executed",
        "refund requested",
        "refund settled",
        "queueing work failed; the sweep will queue it",
        "customer forgotten",
    ]);
}

/// A complete SEPA debtor of random personal data.
fn debtor(r: &mut Recorder, account_holder: String) -> Value {
    json!({
        "firstName": r.word(9),
        "lastName": r.word(11),
        "email": r.email(),
        "address": {
            "houseNumberOrName": r.word(8),
            "streetAddress": format!("{} Strasse", r.word(10)),
            "extendedAddress": r.word(10),
            "postcode": r.secret(digits(10)),
            "city": r.word(10),
            "country": "DE"
        },
        "iban": spaced(&r.iban()),
        "bic": "DEUTDEFF",
        "accountHolderName": r.secret(account_holder),
    })
}

#[tokio::test]
async fn mandate_flows_log_no_personal_data() {
    capture_logs();
    let table = test_support::table().await;
    let mut r = Recorder::default();
    let queue = throwaway_worker("mandate-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let host = mandate_worker_host(&table).await;
    let mandates = r.client(Client::admin(
        mandates_router(&table, &queue.queue_url).await,
    ));
    let vault = Client {
        router: payments::vault_router(&table, &payments::unreachable_queue()).await,
        ..mandates.clone()
    };
    let customer = "hygiene-debtor";

    let profile = json!({
        "creditorProfileRef": "hygiene-profile",
        "profileName": r.word(10),
        "identifier": "DE98ZZZ09999999999",
        "name": format!("{} GmbH", r.word(10)),
        "address": { "streetAddress": r.word(12), "postcode": "8000", "city": r.word(10), "country": "CH" },
        "metadata": { "contact": r.email() }
    });
    r.call(
        &mandates,
        Method::POST,
        "/v2/mandates/creditor-profiles/sepa",
        Some(profile),
    )
    .await
    .assert_status(201);
    r.call(
        &mandates,
        Method::GET,
        "/v2/mandates/creditor-profiles/sepa/hygiene-profile",
        None,
    )
    .await
    .assert_status(200);
    r.call(
        &mandates,
        Method::GET,
        "/v2/mandates/creditor-profiles",
        None,
    )
    .await
    .assert_status(200);

    let holder = r.word(12);
    let first = debtor(&mut r, holder);
    let body = json!({ "customerRef": customer, "creditorProfileRef": "hygiene-profile",
                       "debtor": first, "metadata": { "policy": r.word(12) } });
    let created = r
        .call(&mandates, Method::POST, "/v2/mandates/sepa", Some(body))
        .await;
    created.assert_status(201);
    pump(&queue, &host).await;
    let mandate = format!("/v2/mandates/sepa/{}", text(&created.body["mandateId"]));
    let active = r.call(&mandates, Method::GET, &mandate, None).await;
    assert_eq!(active.body["status"], "Active", "{}", active.body);
    let holder = r.word(12);
    let amended = debtor(&mut r, holder);
    r.call(
        &mandates,
        Method::PUT,
        &format!("{mandate}/amend"),
        Some(json!({ "debtor": amended })),
    )
    .await
    .assert_status(202);
    pump(&queue, &host).await;
    r.call(&mandates, Method::GET, &mandate, None)
        .await
        .assert_status(200);

    // A draft, completed in steps, with refused fields on the way.
    let partial = json!({ "customerRef": customer, "debtor": { "firstName": r.word(9), "email": r.email() } });
    let draft = r
        .call(
            &mandates,
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(partial),
        )
        .await;
    draft.assert_status(201);
    let draft = format!("/v2/mandates/sepa/{}", text(&draft.body["mandateId"]));
    let bad_email = format!("{}@@{}", r.word(10), r.word(8));
    let bad =
        json!({ "debtor": { "email": r.secret(bad_email), "lastName": r.secret(letters(80)) } });
    r.call(&mandates, Method::PUT, &draft, Some(bad))
        .await
        .assert_status(400);
    let bad_iban = json!({ "debtor": { "iban": format!("DE00{}", &r.iban()[4..]), "accountHolderName": r.word(10) } });
    r.call(&mandates, Method::PUT, &draft, Some(bad_iban))
        .await
        .assert_status(400);
    let holder = r.word(12);
    let complete = json!({ "customerRef": customer, "creditorProfileRef": "hygiene-profile", "debtor": debtor(&mut r, holder) });
    r.call(&mandates, Method::PUT, &draft, Some(complete))
        .await
        .assert_status(202);

    // A registration the network refuses (the sandbox closes accounts named CLOSED).
    let holder = format!("CLOSED {}", r.word(10));
    let closed = json!({ "customerRef": customer, "creditorProfileRef": "hygiene-profile", "debtor": debtor(&mut r, holder) });
    let refused = r
        .call(&mandates, Method::POST, "/v2/mandates/sepa", Some(closed))
        .await;
    refused.assert_status(201);
    pump(&queue, &host).await;
    let refused = r
        .call(
            &mandates,
            Method::GET,
            &format!("/v2/mandates/sepa/{}", text(&refused.body["mandateId"])),
            None,
        )
        .await;
    assert_eq!(refused.body["status"], "Failed", "{}", refused.body);

    // Tolerated failure: the registration cannot be queued.
    let lossy = Client {
        router: mandates_router(&table, &payments::unreachable_queue()).await,
        ..mandates.clone()
    };
    let holder = r.word(12);
    let lost = json!({ "customerRef": customer, "creditorProfileRef": "hygiene-profile", "debtor": debtor(&mut r, holder) });
    r.call(&lossy, Method::POST, "/v2/mandates/sepa", Some(lost))
        .await
        .assert_status(201);

    r.call(
        &vault,
        Method::GET,
        &format!("/v2/customer-vault/{customer}"),
        None,
    )
    .await
    .assert_status(200);
    r.call(
        &vault,
        Method::POST,
        &format!("/v2/customer-vault/{customer}/forget"),
        None,
    )
    .await
    .assert_status(200);
    r.call(&mandates, Method::GET, &mandate, None)
        .await
        .assert_status(200);

    r.assert_logs_clean(&[
        "creditor profile created",
        "mandate created",
        "mandate registration recorded",
        "mandate amendment queued",
        "mandate draft created",
        "mandate draft submitted",
        "queueing work failed; the sweep will queue it",
        "customer forgotten",
    ]);
}

#[tokio::test]
async fn reward_flows_log_no_credentials() {
    capture_logs();
    let table = test_support::table().await;
    let mut r = Recorder::default();
    let queue = throwaway_worker("reward-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let host = reward_worker_host(&table).await;
    let orders = r.client(Client::admin(
        payments::orders_router(
            &table,
            &payments::unreachable_queue(),
            &queue.queue_url,
            Some("https://api.hygiene.test"),
        )
        .await,
    ));
    let vault = Client {
        router: payments::vault_router(&table, &payments::unreachable_queue()).await,
        ..orders.clone()
    };
    let customer = "hygiene-rewarded";
    let gift = reward(&table, &orders.scope, "Gift Card", &[]).await;
    let order = json!({ "orderRef": "hygiene-reward", "metadata": { "buyer": r.word(12) }, "instructions": [{
        "instructionRef": "payout", "customerRef": customer, "direction": "Credit",
        "amount": 25, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
        "metadata": { "recipient": r.email() },
    }]});
    r.call(&orders, Method::POST, "/v2/order-management", Some(order))
        .await
        .assert_status(202);
    let instruction = "/v2/order-management/hygiene-reward/instruction/payout";
    r.call(
        &orders,
        Method::POST,
        &format!("{instruction}/authorize-reward"),
        None,
    )
    .await
    .assert_status(201);
    let claim = json!({ "rewardId": gift.to_string() });
    let claimed = r
        .call(
            &orders,
            Method::POST,
            &format!("{instruction}/claim-reward"),
            Some(claim.clone()),
        )
        .await;
    claimed.assert_status(202);
    pump(&queue, &host).await;
    let location = claimed
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.strip_prefix("https://api.hygiene.test"))
        .unwrap_or_else(|| panic!("no Location: {:?}", claimed.headers))
        .to_owned();
    let settled = r.call(&vault, Method::GET, &location, None).await;
    assert_eq!(settled.body["status"], "SETTLED", "{}", settled.body);
    let credentials = settled.body["data"]["credentialList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(credentials.len(), 2, "{}", settled.body);
    for credential in &credentials {
        let value = text(&credential["value"]);
        if value.len() >= 8 {
            r.secret(value);
        } else {
            // A short value (the PIN) would match unrelated digits: look for it as a value.
            r.secret(format!("\"{value}\""));
            r.secret(format!("\\\"{value}\\\""));
        }
    }
    r.call(
        &orders,
        Method::POST,
        &format!("{instruction}/claim-reward"),
        Some(claim),
    )
    .await
    .assert_status(400);
    r.call(&orders, Method::GET, instruction, None)
        .await
        .assert_status(200);
    r.call(
        &vault,
        Method::POST,
        &format!("/v2/customer-vault/{customer}/forget"),
        None,
    )
    .await
    .assert_status(200);
    let erased = r.call(&vault, Method::GET, &location, None).await;
    assert_eq!(erased.body["status"], "SETTLED");

    r.assert_logs_clean(&[
        "reward authorized",
        "reward claimed",
        "reward settled",
        "customer forgotten",
    ]);
}

#[tokio::test]
async fn api_key_exchanges_log_no_keys_signatures_or_tokens() {
    use test_support::identity::{api_key, identity_router, python_signature, signing_key};
    capture_logs();
    let table = test_support::table().await;
    let mut r = Recorder::default();
    let (signing, _public) = signing_key();
    r.secret(signing.as_str());
    let identity = Client::admin(identity_router(&table, &signing).await).with_token(None);
    let created = api_key(
        &table,
        test_support::new_scope(),
        &[payments_domain::auth::Role::Admin],
    )
    .await;
    let private_key = r.secret(created.private_key.expose().as_str());
    let public_key = created.key.public_key.clone();
    let now = chrono::Utc::now().timestamp();
    let body = json!({ "note": r.word(12) }).to_string();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let signature = r.secret(python_signature(
        &public_key,
        &nonce,
        now,
        &private_key,
        &body,
    ));
    let exchange = |authorization: String, body: String| {
        http::Request::builder()
            .method(Method::POST)
            .uri("/v2/identity/hmac")
            .header("authorization", authorization)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let header = format!("Hmac {public_key}:{nonce}:{now}:{signature}");
    let issued = identity.send(exchange(header.clone(), body.clone())).await;
    let issued = r.seen(issued);
    issued.assert_status(201);
    let token = r.secret(text(&issued.body["accessToken"]));
    r.secret(token.rsplit('.').next().unwrap_or_default());

    // Refusals: the same nonce again, a signature over another body, a wrong private key.
    let replayed = identity.send(exchange(header, body.clone())).await;
    r.seen(replayed).assert_status(401);
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let other_body = json!({ "note": r.word(12) }).to_string();
    let forged = python_signature(&public_key, &nonce, now, &private_key, &other_body);
    let reply = identity
        .send(exchange(
            format!("Hmac {public_key}:{nonce}:{now}:{}", r.secret(forged)),
            body.clone(),
        ))
        .await;
    r.seen(reply).assert_status(401);
    let wrong_key = r.secret("c2VjcmV0LWtleS1ub2JvZHktc2hvdWxkLWV2ZXItbG9nLTEyMzQ=");
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let wrong = python_signature(&public_key, &nonce, now, &wrong_key, &body);
    let reply = identity
        .send(exchange(
            format!("Hmac {public_key}:{nonce}:{now}:{}", r.secret(wrong)),
            body,
        ))
        .await;
    r.seen(reply).assert_status(401);

    r.assert_logs_clean(&["access token issued", "API key exchange refused"]);
}

/// A provider's webhooks: accepted, refused for a forged signature, refused for a body that is
/// no event, and applied by the event worker. Neither the signatures nor the provider's free
/// text (a failure reason naming the payer, an unknown body's contents) reach the logs.
#[tokio::test]
async fn provider_webhooks_log_no_signatures_or_provider_text() {
    use payments_domain::payments::Amount;
    use payments_domain::providers::{ProviderEvent, WebhookSecret};
    use test_support::providers::{delivery, delivery_signed_with, Delivery, WEBHOOK_SECRET};
    capture_logs();
    let table = test_support::table().await;
    let mut r = Recorder::default();
    let events = throwaway_worker("provider-event-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let host = test_support::providers::event_worker_host(&table).await;
    let webhooks = Client {
        router: test_support::providers::webhooks_router(&table, &events.queue_url).await,
        scope: test_support::new_scope(),
        token: None,
    };
    let scope = webhooks.scope;
    let paid = |order: &'static str, amount: Value| {
        let table = table.clone();
        async move {
            let instruction = payments::completed_payout(
                &table,
                &scope,
                "hygiene-payee",
                order,
                amount,
                "EUR",
                Value::Null,
            )
            .await;
            instruction
                .transaction
                .and_then(|t| t.app_transaction_id)
                .unwrap_or_else(|| panic!("the payment has its app's id"))
        }
    };
    let pending = paid("hygiene-pending", json!(10.54)).await;
    let settled = paid("hygiene-settled", json!(20)).await;
    let post = async |r: &mut Recorder, delivery: Delivery| {
        let mut request = webhooks.request(Method::POST, "/v1/providers/SANDBOX/webhooks");
        for (name, value) in &delivery.headers {
            if *name == payments_domain::providers::SIGNATURE_HEADER {
                r.secret(value.trim_start_matches("v1,"));
            }
            request = request.header(*name, value);
        }
        let request = request
            .body(Body::from(delivery.body))
            .unwrap_or_else(|e| panic!("{e}"));
        let reply = webhooks.send(request).await;
        r.seen(reply)
    };
    let id = |name: &str| format!("msg_hygiene_{name}_{}", letters(8));
    let reason = format!("Declined for {} {}", r.word(10), r.word(12));
    let failed = ProviderEvent::PaymentFailed {
        app_transaction_id: pending.clone(),
        reason,
    };
    post(&mut r, delivery(&failed, &id("failed")))
        .await
        .assert_status(202);
    let opened = ProviderEvent::ChargebackOpened {
        app_transaction_id: settled.clone(),
        chargeback_id: "cb-hygiene".into(),
        amount: Some(Amount::from_json(&json!(5)).unwrap_or_else(|e| panic!("{e:?}"))),
        claimed: 0,
    };
    post(&mut r, delivery(&opened, &id("opened")))
        .await
        .assert_status(202);
    let forged_secret = "whsec_Zm9yZ2VkLWtleS1mb3ItbG9nLWh5Z2llbmUtdGVzdHM=";
    let now = chrono::Utc::now().timestamp();
    post(
        &mut r,
        delivery_signed_with(forged_secret, &opened, &id("forged"), now),
    )
    .await
    .assert_status(401);
    let note = r.word(14);
    let body = json!({ "type": "payment.noted", "data": { "note": note } }).to_string();
    let unknown_id = id("unknown");
    let secret = WebhookSecret::parse(WEBHOOK_SECRET).unwrap_or_else(|e| panic!("{e}"));
    let signature = secret.sign(&unknown_id, now, body.as_bytes());
    let unknown = Delivery {
        headers: vec![
            (payments_domain::providers::ID_HEADER, unknown_id),
            (
                payments_domain::providers::TIMESTAMP_HEADER,
                now.to_string(),
            ),
            (payments_domain::providers::SIGNATURE_HEADER, signature),
        ],
        body,
    };
    post(&mut r, unknown).await.assert_status(400);
    pump(&events, &host).await;

    r.assert_logs_clean(&["webhook refused", "event applied"]);
}

/// Tenant webhook endpoints: their secrets, shown in the answers that create and rotate them,
/// never reach the logs, nor does a description.
#[tokio::test]
async fn webhook_endpoints_log_no_secrets() {
    capture_logs();
    let table = test_support::table().await;
    let mut r = Recorder::default();
    let client = r.client(Client::admin(
        test_support::notifications::notifications_router(&table).await,
    ));
    let body =
        json!({ "url": "https://hooks.example.com/p", "events": ["*"], "description": r.word(16) });
    let created = r
        .call(
            &client,
            Method::POST,
            "/v1/notifications/webhooks",
            Some(body),
        )
        .await;
    created.assert_status(201);
    let id = text(&created.body["webhookId"]);
    r.secret(text(&created.body["secret"]));
    r.secret(text(&created.body["secret"]).trim_start_matches("whsec_"));
    let rotated = r
        .call(
            &client,
            Method::POST,
            &format!("/v1/notifications/webhooks/{id}/rotate-secret"),
            None,
        )
        .await;
    rotated.assert_status(200);
    r.secret(text(&rotated.body["secret"]));
    r.secret(text(&rotated.body["secret"]).trim_start_matches("whsec_"));
    let refused = json!({ "url": "https://10.0.0.1/", "events": [r.word(12)] });
    r.call(
        &client,
        Method::POST,
        "/v1/notifications/webhooks",
        Some(refused),
    )
    .await
    .assert_status(400);

    r.assert_logs_clean(&["webhook endpoint created", "webhook secret rotated"]);
}

/// Every line a request logs carries Lambda's request id, API Gateway's and the correlation id,
/// which is API Gateway's when the client sends none: what an operator searches CloudWatch by.
#[tokio::test]
async fn every_line_of_a_request_carries_its_lambda_and_gateway_request_ids() {
    capture_logs();
    let table = test_support::table().await;
    let client =
        Client::admin(payments::vault_router(&table, &payments::unreachable_queue()).await);
    let lambda_id = uuid::Uuid::new_v4().to_string();
    let gateway_id = format!("gw-{}", uuid::Uuid::new_v4().simple());
    let mut lambda = lambda_http::Context::default();
    lambda.request_id = lambda_id.clone();
    let mut gateway = aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    gateway.request_id = Some(gateway_id.clone());
    let mut request = client
        .request(Method::GET, "/v2/customer-vault/logged-ids")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    request.extensions_mut().insert(lambda);
    request
        .extensions_mut()
        .insert(lambda_http::request::RequestContext::ApiGatewayV2(gateway));
    let reply = client.send(request).await;
    assert_eq!(
        reply.headers.get("x-correlation-id").map(|v| v.as_bytes()),
        Some(gateway_id.as_bytes()),
        "the correlation id defaults to API Gateway's request id"
    );
    let logs = captured();
    let lines: Vec<Value> = logs
        .lines()
        .filter(|line| line.contains(&lambda_id) || line.contains(&gateway_id))
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(lines.len() >= 2, "{logs}");
    for line in &lines {
        let spans = line["spans"].as_array().cloned().unwrap_or_default();
        let field = |name: &str| {
            spans
                .iter()
                .find_map(|s| s[name].as_str().map(str::to_owned))
        };
        assert_eq!(
            field("lambda_request_id").as_deref(),
            Some(lambda_id.as_str()),
            "{line}"
        );
        assert_eq!(
            field("api_request_id").as_deref(),
            Some(gateway_id.as_str()),
            "{line}"
        );
        assert_eq!(
            field("correlation_id").as_deref(),
            Some(gateway_id.as_str()),
            "{line}"
        );
    }
}
