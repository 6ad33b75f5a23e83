//! Rewards end to end, against moto: a payout instruction is authorized as a reward, the
//! customer claims one from the tenant's catalogue, the real pump delivers the settlement to the
//! reward worker (in process, behind the Lambda invoke API), and the `Location` the claim
//! answered shows the issued credentials. Also every refusal of seed 001, racing claims,
//! duplicate worker messages, a provider that refuses, one not deployed, one whose answer is in
//! doubt, and a due payout that waits for its reward instead of going out by bank.

use futures_util::future::join_all;
use http::Method;
use payments_domain::ids::{RewardId, TransactionId};
use payments_domain::payments::{
    Direction, PaymentApp, PaymentApps, PaymentOutcome, PaymentRequest, RefundRequest,
    RewardOutcome, RewardRequest,
};
use payments_domain::refs::CustomerRef;
use payments_domain::rewards::{settle_reward, RewardClaims, RewardStatus, SettleReward};
use payments_domain::work::Step;
use payments_domain::{BoxFuture, Now};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use test_support::queues::{pump_until_idle, send, throwaway_worker};
use test_support::rewards::{reward, reward_of, reward_worker_host};
use test_support::worker_host::WorkerHost;
use test_support::{payments, Client, Reply};

const CUSTOMER: &str = "rewarded-1";
const HOST: &str = "api.payments.test";

struct World {
    table: payments_aws::Store,
    orders: Client,
    vault: Client,
    host: WorkerHost,
    queue: local_stack::pump::Worker,
    instruction_host: WorkerHost,
    instruction_queue: local_stack::pump::Worker,
    gift_card: RewardId,
}

async fn world() -> World {
    let table = test_support::table().await;
    let queue = throwaway_worker("reward-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let instruction_queue = throwaway_worker("instruction-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let orders = Client::admin(
        payments::orders_router(&table, &instruction_queue.queue_url, &queue.queue_url, None).await,
    );
    let vault = Client {
        router: payments::vault_router(&table, &payments::unreachable_queue()).await,
        ..orders.clone()
    };
    let gift_card = reward(&table, &orders.scope, "Gift Card", &[]).await;
    World {
        host: reward_worker_host(&table).await,
        instruction_host: payments::instruction_worker_host(&table).await,
        table,
        orders,
        vault,
        queue,
        instruction_queue,
        gift_card,
    }
}

fn path(order: &str, action: &str) -> String {
    format!("/v2/order-management/{order}/instruction/payout{action}")
}

impl World {
    /// An order with one payout to `CUSTOMER` (no bank account: a reward needs none), due on
    /// `date`, in `currency`, `direction` as given.
    async fn payout(&self, order: &str, direction: &str, currency: &str, date: &str) {
        let body = json!({ "orderRef": order, "instructions": [{
            "instructionRef": "payout", "customerRef": CUSTOMER, "direction": direction,
            "amount": 25, "currency": currency, "country": "GB", "settledByDate": date,
        }]});
        let reply = self
            .orders
            .call(Method::POST, "/v2/order-management", Some(body))
            .await;
        reply.assert_status(202);
    }

    async fn authorize(&self, order: &str) -> Reply {
        self.orders
            .call(Method::POST, &path(order, "/authorize-reward"), None)
            .await
    }

    /// The claim as API Gateway would pass it: with the `Host` and `X-Forwarded-Proto` headers.
    async fn claim(&self, order: &str, reward_id: Value) -> Reply {
        let request = self
            .orders
            .request(Method::POST, &path(order, "/claim-reward"))
            .header("host", HOST)
            .header("x-forwarded-proto", "https")
            .body(axum::body::Body::from(
                json!({ "rewardId": reward_id }).to_string(),
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        self.orders.send(request).await
    }

    async fn instruction(&self, order: &str) -> Value {
        let reply = self.orders.call(Method::GET, &path(order, ""), None).await;
        reply.assert_status(200);
        reply.body
    }

    /// Follows a claim's `Location` as a client would: the absolute URL of this API.
    async fn follow(&self, location: &str) -> Reply {
        let prefix = format!("https://{HOST}");
        let path = location
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{location} is not an absolute URL of {prefix}"));
        self.vault.call(Method::GET, path, None).await
    }

    async fn pump(&self) {
        pump_until_idle(&self.queue, self.host.url(), Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// An authorized payout `order`, claimed for `reward_id`: the claim's `Location`.
    async fn claimed(&self, order: &str, reward_id: RewardId) -> String {
        self.payout(order, "Credit", "EUR", "2999-01-01").await;
        self.authorize(order).await.assert_status(201);
        let claim = self.claim(order, json!(reward_id.to_string())).await;
        claim.assert_status(202);
        location(&claim)
    }
}

fn location(reply: &Reply) -> String {
    reply
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn codes(reply: &Reply) -> Vec<String> {
    reply.error_codes()
}

#[tokio::test]
async fn a_claimed_reward_is_issued_and_read_at_its_location() {
    let w = world().await;
    w.payout("order-1", "Credit", "EUR", "2999-01-01").await;
    w.authorize("order-1").await.assert_status(201);
    let again = w.authorize("order-1").await;
    again.assert_status(201);
    assert_eq!(again.body, Value::Null, "201 without a body");

    let claim = w.claim("order-1", json!(w.gift_card.to_string())).await;
    claim.assert_status(202);
    let location = location(&claim);
    let instruction = w.instruction("order-1").await;
    assert_eq!(instruction["status"], "PROCESSING");
    let instrument = instruction["financialInstrument"]["financialInstrumentId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        location,
        format!(
            "https://{HOST}/v1/customer-vault/{CUSTOMER}/reward/{instrument}/transaction/{}",
            instruction["_links"]["transactions"][0]["name"]
                .as_str()
                .unwrap_or_default()
        )
    );
    assert_eq!(
        format!(
            "https://{HOST}{}",
            instruction["_links"]["transactions"][0]["href"]
                .as_str()
                .unwrap_or_default()
        ),
        location,
        "the instruction links to the same transaction"
    );

    let settling = w.follow(&location).await;
    settling.assert_status(200);
    assert_eq!(settling.body, json!({ "status": "SETTLING", "data": null }));

    w.pump().await;
    let settled = w.follow(&location).await;
    assert_eq!(settled.body["status"], "SETTLED");
    let credentials = settled.body["data"]["credentialList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(credentials.len(), 2);
    for credential in &credentials {
        let keys: Vec<&str> = credential
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, vec!["label", "value", "rewardType", "credentialType"]);
    }
    assert!(settled.body["data"]["redemptionInstructions"].is_string());
    let instruction = w.instruction("order-1").await;
    assert_eq!(instruction["status"], "COMPLETED");
    assert!(instruction["actualSettlementDate"].is_string());

    // The customer's vault holds the reward instrument.
    let fi = w
        .vault
        .call(
            Method::GET,
            &format!("/v2/customer-vault/{CUSTOMER}/financial-instrument/{instrument}"),
            None,
        )
        .await;
    fi.assert_status(200);
    assert_eq!(fi.body["type"], "REWARD");
    assert_eq!(fi.body["details"]["rewardId"], w.gift_card.to_string());
    assert_eq!(fi.body["capabilities"]["canCredit"], false);

    // Another instrument or transaction id at that path is a 404.
    let wrong = location.replace(
        &instrument,
        &payments_domain::ids::FinancialInstrumentId::new_random().to_string(),
    );
    w.follow(&wrong).await.assert_status(404);
}

#[tokio::test]
async fn the_configured_public_base_url_makes_the_location() {
    let w = world().await;
    let orders = Client {
        router: payments::orders_router(
            &w.table,
            &payments::unreachable_queue(),
            &payments::unreachable_queue(),
            Some("https://payments.example.com/"),
        )
        .await,
        ..w.orders.clone()
    };
    w.payout("order-base", "Credit", "EUR", "2999-01-01").await;
    w.authorize("order-base").await.assert_status(201);
    let claim = orders
        .call(
            Method::POST,
            &path("order-base", "/claim-reward"),
            Some(json!({ "rewardId": w.gift_card.to_string() })),
        )
        .await;
    claim.assert_status(202);
    assert!(location(&claim).starts_with(&format!(
        "https://payments.example.com/v1/customer-vault/{CUSTOMER}/reward/"
    )));
}

#[tokio::test]
async fn every_refusal_the_seed_lists() {
    let w = world().await;
    let gift = json!(w.gift_card.to_string());
    w.payout("ready", "Credit", "EUR", "2999-01-01").await;

    let cases: Vec<(Reply, &str)> = vec![
        (w.claim("nobody", gift.clone()).await, "ORDER_NOT_FOUND"),
        (w.authorize("nobody").await, "ORDER_NOT_FOUND"),
        (
            w.orders
                .call(
                    Method::POST,
                    "/v2/order-management/ready/instruction/other/authorize-reward",
                    None,
                )
                .await,
            "INSTRUCTION_NOT_FOUND",
        ),
        (
            w.claim("ready", gift.clone()).await,
            "REWARD_NOT_AUTHORIZED",
        ),
        (
            w.claim("ready", json!("not-a-uuid")).await,
            "REWARD_ID_IS_INVALID",
        ),
        (w.claim("ready", Value::Null).await, "REWARD_ID_IS_REQUIRED"),
    ];
    for (reply, code) in cases {
        reply.assert_status(400);
        assert_eq!(codes(&reply), vec![code.to_owned()]);
    }

    w.authorize("ready").await.assert_status(201);
    let unknown = w
        .claim("ready", json!(RewardId::new_random().to_string()))
        .await;
    unknown.assert_status(400);
    assert_eq!(codes(&unknown), vec!["REWARD_ID_NOT_RECOGNISED".to_owned()]);
    let pounds_only = reward(&w.table, &w.orders.scope, "Pound Voucher", &["GBP"]).await;
    let currency = w.claim("ready", json!(pounds_only.to_string())).await;
    currency.assert_status(400);
    assert_eq!(
        codes(&currency),
        vec!["REWARD_CURRENCY_NOT_SUPPORTED".to_owned()]
    );
    assert_eq!(
        w.instruction("ready").await["status"],
        "INCOMPLETE",
        "refusals change nothing"
    );

    // Claimed: PROCESSING, so a second claim finds its transaction.
    w.claim("ready", gift.clone()).await.assert_status(202);
    let second = w.claim("ready", gift.clone()).await;
    second.assert_status(400);
    assert_eq!(
        codes(&second),
        vec!["TRANSACTION_ALREADY_EXISTS".to_owned()]
    );
    let processing = w.authorize("ready").await;
    processing.assert_status(400);
    assert_eq!(
        codes(&processing),
        vec!["INSTRUCTION_PROCESSING".to_owned()]
    );

    w.payout("cancelled", "Credit", "EUR", "2999-01-01").await;
    w.authorize("cancelled").await.assert_status(201);
    w.orders
        .call(Method::POST, &path("cancelled", "/cancel"), None)
        .await
        .assert_status(204);
    for reply in [
        w.claim("cancelled", gift.clone()).await,
        w.authorize("cancelled").await,
    ] {
        reply.assert_status(400);
        assert_eq!(codes(&reply), vec!["INSTRUCTION_CANCELLED".to_owned()]);
    }

    w.payout("collect", "Debit", "EUR", "2999-01-01").await;
    let debit = w.authorize("collect").await;
    debit.assert_status(400);
    assert_eq!(
        codes(&debit),
        vec!["REWARD_DIRECTION_UNSUPPORTED".to_owned()]
    );
}

#[tokio::test]
async fn racing_claims_create_one_transaction() {
    let w = world().await;
    w.payout("race", "Credit", "EUR", "2999-01-01").await;
    w.authorize("race").await.assert_status(201);
    let gift = json!(w.gift_card.to_string());
    let replies = join_all((0..6).map(|_| w.claim("race", gift.clone()))).await;
    let accepted = replies.iter().filter(|r| r.status.as_u16() == 202).count();
    assert_eq!(accepted, 1);
    for reply in replies.iter().filter(|r| r.status.as_u16() != 202) {
        reply.assert_status(400);
        assert_eq!(codes(reply), vec!["TRANSACTION_ALREADY_EXISTS".to_owned()]);
    }
    let customer = w
        .vault
        .call(Method::GET, &format!("/v2/customer-vault/{CUSTOMER}"), None)
        .await;
    let rewards = customer.body["financialInstruments"]
        .as_array()
        .map(|all| all.iter().filter(|i| i["type"] == "REWARD").count());
    assert_eq!(rewards, Some(1), "one instrument");
}

#[tokio::test]
async fn duplicate_and_racing_settlements_issue_once() {
    let w = world().await;
    let location = w.claimed("dup", w.gift_card).await;
    let transaction_id = location.rsplit('/').next().unwrap_or_default();
    let message = SettleReward {
        scope: w.orders.scope.into(),
        customer_ref: CustomerRef::parse(CUSTOMER).unwrap_or_else(|e| panic!("{e:?}")),
        transaction_id: TransactionId::parse(transaction_id).unwrap_or_else(|e| panic!("{e:?}")),
    };
    let body = serde_json::to_string(&message).unwrap_or_default();
    for _ in 0..3 {
        send(&w.queue, &body)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let apps = payments::deployed_apps(&w.table).await;
    let racing = join_all((0..4).map(|_| settle_reward(&w.table, &apps, &message, Now::read())));
    let (results, ()) = tokio::join!(racing, w.pump());
    assert!(results.iter().all(Result::is_ok));

    let stored = w
        .table
        .reward_transaction(
            &w.orders.scope,
            &message.customer_ref,
            message.transaction_id,
        )
        .await
        .ok()
        .flatten();
    // Created at version 1; each counted attempt and the one settlement add one.
    assert_eq!(
        stored.map(|t| t.version - u64::from(t.attempts)),
        Some(2),
        "settled once"
    );
    assert_eq!(w.follow(&location).await.body["status"], "SETTLED");
    assert_eq!(w.instruction("dup").await["status"], "COMPLETED");
}

#[tokio::test]
async fn a_refused_reward_fails_the_claim_and_the_instruction() {
    let w = world().await;
    let failing = reward(&w.table, &w.orders.scope, "FAILING", &[]).await;
    let location = w.claimed("refused", failing).await;
    w.pump().await;
    assert_eq!(
        w.follow(&location).await.body,
        json!({ "status": "FAILED", "data": null })
    );
    let instruction = w.instruction("refused").await;
    assert_eq!(instruction["status"], "FAILED");
    assert_eq!(instruction["failed"]["errorCode"], "REWARD_UNAVAILABLE");
}

/// A reward whose provider is not deployed can never be issued: the claim ends FAILED at once
/// instead of being sent to the worker again for ever.
#[tokio::test]
async fn a_reward_of_a_provider_not_deployed_fails_at_once() {
    let w = world().await;
    let gone = reward_of(&w.table, &w.orders.scope, "GONE", "Gone Card", &[]).await;
    let location = w.claimed("gone", gone).await;
    w.pump().await;
    assert_eq!(w.follow(&location).await.body["status"], "FAILED");
    let instruction = w.instruction("gone").await;
    assert_eq!(instruction["status"], "FAILED");
    assert_eq!(
        instruction["failed"]["errorCode"],
        "REWARD_PROVIDER_UNAVAILABLE"
    );
}

/// A provider whose first answer to a claim is lost: the claim stays SETTLING, the next runs
/// ask the provider rather than claim again, and the reward settles once it answers.
struct Doubtful {
    claims: Arc<Mutex<u32>>,
    statuses: Arc<Mutex<Vec<RewardOutcome>>>,
}

impl PaymentApp for Doubtful {
    fn app_id(&self) -> &'static str {
        "DOUBTFUL"
    }

    fn execute<'a>(&'a self, _: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { unsupported() })
    }

    fn payment_status<'a>(&'a self, _: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { unsupported() })
    }

    fn refund<'a>(&'a self, _: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { unsupported() })
    }

    fn refund_status<'a>(&'a self, _: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        Box::pin(async { unsupported() })
    }

    fn claim_reward<'a>(&'a self, _: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        Box::pin(async {
            *self.claims.lock().unwrap_or_else(|e| panic!("{e}")) += 1;
            RewardOutcome::InDoubt {
                reason: "timed out".into(),
            }
        })
    }

    fn reward_status<'a>(&'a self, _: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        Box::pin(async {
            self.statuses
                .lock()
                .unwrap_or_else(|e| panic!("{e}"))
                .remove(0)
        })
    }
}

fn unsupported() -> PaymentOutcome {
    PaymentOutcome::Declined {
        error_code: "UNSUPPORTED".into(),
        reason: "rewards only".into(),
    }
}

#[tokio::test]
async fn a_reward_in_doubt_is_asked_about_not_claimed_again() {
    let w = world().await;
    let doubtful = reward_of(&w.table, &w.orders.scope, "DOUBTFUL", "Doubtful Card", &[]).await;
    let location = w.claimed("doubt", doubtful).await;
    let issued = RewardOutcome::Issued {
        credentials: Vec::new(),
        redemption_instructions: "Show it at the till.".into(),
    };
    let claims = Arc::new(Mutex::new(0));
    let lost = RewardOutcome::InDoubt {
        reason: "timed out again".into(),
    };
    let apps = PaymentApps::new(vec![Box::new(Doubtful {
        claims: claims.clone(),
        statuses: Arc::new(Mutex::new(vec![lost, issued])),
    })]);
    let id = location.rsplit('/').next().unwrap_or_default();
    let message = SettleReward {
        scope: w.orders.scope.into(),
        customer_ref: CustomerRef::parse(CUSTOMER).unwrap_or_else(|e| panic!("{e:?}")),
        transaction_id: TransactionId::parse(id).unwrap_or_else(|e| panic!("{e:?}")),
    };
    let stored = || async {
        w.table
            .reward_transaction(
                &w.orders.scope,
                &message.customer_ref,
                message.transaction_id,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the claim is stored"))
    };
    for (attempts, checks) in [(1, 0), (1, 1)] {
        let step = settle_reward(&w.table, &apps, &message, Now::read()).await;
        assert_eq!(step.unwrap_or_else(|e| panic!("{e}")), Step::Done);
        let waiting = stored().await;
        assert_eq!(waiting.status, RewardStatus::Settling);
        assert_eq!((waiting.attempts, waiting.checks), (attempts, checks));
        assert!(waiting.waiting);
        assert_eq!(waiting.waiting_on_provider_since(), Some(waiting.created));
    }
    settle_reward(&w.table, &apps, &message, Now::read())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let settled = stored().await;
    assert_eq!(settled.status, RewardStatus::Settled);
    assert_eq!(settled.waiting_on_provider_since(), None);
    assert_eq!(*claims.lock().unwrap_or_else(|e| panic!("{e}")), 1);
    assert_eq!(w.instruction("doubt").await["status"], "COMPLETED");
}

#[tokio::test]
async fn a_due_payout_authorized_as_a_reward_is_not_paid_by_bank() {
    let w = world().await;
    let scope = w.orders.scope;
    let account = payments::bank_account(&w.table, &scope, CUSTOMER).await;
    let scheme = payments::scheme(&w.table, &scope, Direction::Credit, "SANDBOX").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let body = payments::payout_body(CUSTOMER, &account, &scheme, json!(25), "EUR", &today);
    // Created without instructions first, so nothing is queued before the authorization.
    w.orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "due" })),
        )
        .await
        .assert_status(201);
    w.orders
        .call(
            Method::POST,
            "/v2/order-management/due/instruction",
            Some(json!({ "instructionRef": "payout", "customerRef": CUSTOMER, "direction": "Credit",
                          "amount": 25, "currency": "EUR", "country": "GB", "settledByDate": today })),
        )
        .await
        .assert_status(204);
    w.authorize("due").await.assert_status(201);
    // Now it gets its bank account and scheme: READY and due, but waiting for the reward.
    let mut update = body;
    update.as_object_mut().map(|o| o.remove("instructionRef"));
    w.orders
        .call(Method::PUT, &path("due", ""), Some(update))
        .await
        .assert_status(204);
    pump_until_idle(
        &w.instruction_queue,
        w.instruction_host.url(),
        Duration::from_secs(60),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let instruction = w.instruction("due").await;
    assert_eq!(instruction["status"], "READY");
    assert_eq!(instruction["transaction"], Value::Null);
}

#[tokio::test]
async fn a_claim_settled_after_its_customer_is_forgotten_keeps_no_credentials() {
    let w = world().await;
    let location = w.claimed("forgotten", w.gift_card).await;
    w.vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/forget"),
            None,
        )
        .await
        .assert_status(200);
    // The worker settles the claim after forget: SANDBOX issues the card, its code is not kept.
    let id = location.rsplit('/').next().unwrap_or_default();
    let message = SettleReward {
        scope: w.orders.scope.into(),
        customer_ref: CustomerRef::parse(CUSTOMER).unwrap_or_else(|e| panic!("{e:?}")),
        transaction_id: TransactionId::parse(id).unwrap_or_else(|e| panic!("{e:?}")),
    };
    let apps = payments::deployed_apps(&w.table).await;
    let step = settle_reward(&w.table, &apps, &message, Now::read()).await;
    assert_eq!(step.unwrap_or_else(|e| panic!("{e}")), Step::Done);
    let settled = w
        .table
        .reward_transaction(
            &w.orders.scope,
            &message.customer_ref,
            message.transaction_id,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the claim is stored"));
    assert_eq!(settled.status, RewardStatus::Settled);
    assert_eq!(settled.data, None, "credentials kept after forget");
}
