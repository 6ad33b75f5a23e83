//! Round trips per call. Every route of every HTTP function (walked from the functions' route
//! tables, so a new route fails here until it has a budget and a call), each SQS worker and
//! the sweep are called, per case of `test_support::round_trips::BUDGETS`, on DynamoDB and SQS
//! clients that carry a counting SDK interceptor; the operations each call attempts must equal
//! its budget exactly (the counts are deterministic). The budgets and the measured counts are
//! written as a Markdown table to `$CARGO_TARGET_DIR/round-trips.md` (or
//! `$ROUND_TRIPS_REPORT`), which `make bench` prints.

use aws_lambda_events::sqs::SqsBatchResponse;
use axum::body::Body;
use axum::Router;
use http::Method;
use local_stack::template::{Expr, Template};
use payments_aws::config::{
    queue_variable, ALLOW_LOOPBACK_WEBHOOKS, API_KEY_KMS_KEY_ID, REQUEUE_AFTER_SECONDS,
    SANDBOX_WEBHOOK_SECRET, SANDBOX_WEBHOOK_SECRET_ARN, SANDBOX_WEBHOOK_URL, TOKEN_SIGNING_KEYS,
    TOKEN_SIGNING_SECRET_ARN,
};
use payments_aws::worker::Worker;
use payments_aws::{Clients, Settings, Store};
use payments_domain::auth::Role;
use payments_domain::ids::{MandateId, TransactionId};
use payments_domain::mandates::RegisterMandate;
use payments_domain::orders::ExecuteInstruction;
use payments_domain::payments::Direction;
use payments_domain::providers::{
    sandbox_event_body, ApplyProviderEvent, ProviderEvent, SendSandboxWebhook,
};
use payments_domain::refs::CustomerRef;
use payments_domain::rewards::SettleReward;
use payments_domain::sweep::Swept;
use payments_domain::vault::{Customers, ExecuteRefunds, TransactionPath};
use payments_domain::work::WorkKind;
use payments_domain::Now;
use payments_http::RouteSpec;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use test_support::iam::{Permission, Policies};
use test_support::identity as identity_fixtures;
use test_support::mandates as mandate_fixtures;
use test_support::queues::sqs_event;
use test_support::round_trips::{
    self, Measured, RoundTrips, IDEMPOTENT_FIRST, IDEMPOTENT_REPLAYED, SCHEDULE, SQS_MESSAGE,
};
use test_support::{payments, providers, rewards, Client, Reply};

/// An HTTP function of the template and its route table.
pub(crate) struct HttpFunction {
    pub(crate) name: &'static str,
    pub(crate) format: payments_http::ErrorFormat,
    pub(crate) routes: Vec<RouteSpec>,
}

/// Every HTTP function, as named by `Metadata.BuildProperties.Binary` in `infra/template.yaml`.
pub(crate) fn http_functions() -> Vec<HttpFunction> {
    let function = |name, format, routes: &[RouteSpec]| HttpFunction {
        name,
        format,
        routes: routes.to_vec(),
    };
    vec![
        function(
            "customer-vault",
            customer_vault::ERROR_FORMAT,
            customer_vault::api().table(),
        ),
        function(
            "customer-wallet",
            customer_wallet::ERROR_FORMAT,
            customer_wallet::api().table(),
        ),
        function(
            "order-management",
            order_management::ERROR_FORMAT,
            order_management::api().table(),
        ),
        function("mandates", mandates::ERROR_FORMAT, mandates::api().table()),
        function("identity", identity::ERROR_FORMAT, identity::api().table()),
        function(
            "provider-webhooks",
            provider_webhooks::ERROR_FORMAT,
            provider_webhooks::api().table(),
        ),
        function(
            "notifications",
            notifications::ERROR_FORMAT,
            notifications::api().table(),
        ),
    ]
}

fn route_name(route: &RouteSpec) -> String {
    format!("{} {}", route.method, route.path)
}

/// The counting clients, and what was measured with them.
struct Run {
    counter: RoundTrips,
    table: payments_aws::Store,
    clients: Clients,
    /// Queues of this run's own, one per queue of the template, by the template's queue
    /// variables (`INSTRUCTION_QUEUE_URL`): every message a call sends goes there, and stays.
    queues: BTreeMap<String, String>,
    /// The template resource each queue URL, KMS key id and secret ARN of this run stands for
    /// (`InstructionQueue`, `ApiKeyEncryptionKey`, `SandboxWebhookSecret`).
    logical_ids: BTreeMap<String, String>,
    /// This run's KMS key and secrets, as the template hands them to its functions:
    /// every function runs as deployed, unwrapping keys with KMS and reading Secrets Manager.
    deployed_secrets: Vec<(&'static str, String)>,
    measured: Vec<Measured>,
    /// What each function's cold start needed (the secrets it reads), by function.
    cold_starts: Vec<(String, BTreeSet<Permission>)>,
    /// The personal data keys of the run's own writes, wrapped by the run's KMS key.
    keyring: Arc<payments_aws::store::PersonalDataKeys>,
    problems: Vec<String>,
}

impl Run {
    async fn start() -> Run {
        let counter = RoundTrips::new();
        let template = Template::load(&local_stack::template_path())
            .unwrap_or_else(|e| panic!("infra/template.yaml: {e}"));
        let queue_ids: BTreeSet<&str> = template
            .queues
            .iter()
            .map(|queue| queue.logical_id.as_str())
            .collect();
        let sqs = aws_sdk_sqs::Client::new(&test_support::sdk_config().await);
        let run = uuid::Uuid::new_v4().simple().to_string();
        let mut queues = BTreeMap::new();
        let mut urls = BTreeMap::new();
        for function in &template.functions {
            for (variable, value) in &function.environment {
                let Expr::Ref(logical_id) = value else {
                    continue;
                };
                if !queue_ids.contains(logical_id.as_str()) || queues.contains_key(variable) {
                    continue;
                }
                let url = match urls.iter().find(|(_, id)| *id == logical_id) {
                    Some((url, _)) => String::clone(url),
                    None => {
                        let created = sqs
                            .create_queue()
                            .queue_name(format!("rt-{logical_id}-{run}"))
                            .send()
                            .await
                            .unwrap_or_else(|e| panic!("creating a queue: {e:?}"));
                        let url = created.queue_url().unwrap_or_default().to_owned();
                        urls.insert(url.clone(), logical_id.clone());
                        url
                    }
                };
                queues.insert(variable.clone(), url);
            }
        }
        let (_, key_id) = test_support::kms_key().await;
        urls.insert(key_id.clone(), "ApiKeyEncryptionKey".to_owned());
        let secrets = aws_sdk_secretsmanager::Client::new(&test_support::sdk_config().await);
        let secret = |name: &'static str, value: String| {
            let secrets = secrets.clone();
            async move {
                secrets
                    .create_secret()
                    .name(format!("rt-{name}-{}", uuid::Uuid::new_v4().simple()))
                    .secret_string(value)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("creating a secret: {e:?}"))
                    .arn
                    .unwrap_or_default()
            }
        };
        let signing = secret("signing", identity_fixtures::signing_key().0).await;
        let webhooks = secret("webhooks", providers::WEBHOOK_SECRET.to_owned()).await;
        urls.insert(signing.clone(), "TokenSigningSecretArn".to_owned());
        urls.insert(webhooks.clone(), "SandboxWebhookSecret".to_owned());
        let clients = counter.clients().await;
        // The run's own writes seal personal data as its functions do: under KMS.
        let wrapper = payments_aws::kms::key_wrapper(
            &clients,
            &Settings::default().with(API_KEY_KMS_KEY_ID, key_id.clone()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let keyring = Arc::new(payments_domain::shredding::Keyring::new(
            test_support::data_keys_table_on(counter.dynamodb().await).await,
            wrapper,
        ));
        Run {
            table: counter.table().await.with_keyring(Arc::clone(&keyring)),
            keyring,
            clients,
            counter,
            queues,
            logical_ids: urls,
            deployed_secrets: vec![
                (API_KEY_KMS_KEY_ID, key_id),
                (TOKEN_SIGNING_SECRET_ARN, signing),
                (SANDBOX_WEBHOOK_SECRET_ARN, webhooks),
                // Set, the local stand-ins would win over the deployed secrets.
                (TOKEN_SIGNING_KEYS, String::new()),
                (SANDBOX_WEBHOOK_SECRET, String::new()),
            ],
            measured: Vec::new(),
            cold_starts: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Builds `function` as its main does (`constructor`), keeping the permissions its cold
    /// start needed for the policy check; its round trips are no call's.
    async fn cold_start<T, E: std::fmt::Display>(
        &mut self,
        function: &str,
        constructor: impl Future<Output = Result<T, E>>,
    ) -> T {
        self.counter.reset();
        let built = payments::built(constructor).await;
        self.counter.take();
        let needed = self.counter.take_permissions();
        self.cold_starts.push((function.to_owned(), needed));
        built
    }

    /// Runs `work` alone and records what it attempted as `function`'s `call` in `case`.
    async fn measure<T>(
        &mut self,
        function: &str,
        call: &str,
        case: &str,
        work: impl Future<Output = T>,
    ) -> T {
        self.counter.reset();
        let output = work.await;
        let counts = self.counter.take();
        let permissions = self.counter.take_permissions();
        self.measured.push(Measured {
            function: function.into(),
            call: call.into(),
            case: case.into(),
            counts,
            permissions,
        });
        output
    }

    /// Every permission a measured call needed that its function's template policy does not
    /// grant: the calls AWS would deny and moto lets through.
    fn denied(&self, policies: &Policies) -> Vec<String> {
        let calls = self.measured.iter().map(|m| {
            let by = format!("{} ({})", m.call, m.case);
            (&m.function, &m.permissions, by)
        });
        let cold_starts = self
            .cold_starts
            .iter()
            .map(|(function, needed)| (function, needed, "its cold start".to_owned()));
        let mut denied = BTreeSet::new();
        for (function, permissions, by) in calls.chain(cold_starts) {
            for needed in permissions {
                let needed = Permission {
                    resource: self
                        .logical_ids
                        .get(&needed.resource)
                        .cloned()
                        .unwrap_or_else(|| needed.resource.clone()),
                    ..needed.clone()
                };
                if !policies.allows(function, &needed) {
                    denied.insert(format!(
                        "{function}: {} on {} is not in its policy in infra/template.yaml \
                         (needed by {by})",
                        needed.action, needed.resource,
                    ));
                }
            }
        }
        denied.into_iter().collect()
    }

    /// Calls `route` (`METHOD /template` as the route table lists it) at `path` as `client`;
    /// the answer must be `status`.
    #[allow(clippy::too_many_arguments)]
    async fn http(
        &mut self,
        function: &str,
        client: &Client,
        route: &str,
        case: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Reply {
        let method = route
            .split_once(' ')
            .and_then(|(method, _)| Method::from_bytes(method.as_bytes()).ok())
            .unwrap_or_else(|| panic!("{route}: not METHOD /path"));
        let reply = self
            .measure(function, route, case, client.call(method, path, body))
            .await;
        self.expect_status(function, route, case, &reply, status);
        reply
    }

    /// [`Run::http`] for a POST with an `Idempotency-Key`.
    #[allow(clippy::too_many_arguments)]
    async fn keyed_post(
        &mut self,
        function: &str,
        client: &Client,
        route: &str,
        case: &str,
        path: &str,
        body: Value,
        key: &str,
        status: u16,
    ) {
        let reply = self
            .measure(function, route, case, client.post_keyed(path, key, &body))
            .await;
        self.expect_status(function, route, case, &reply, status);
    }

    fn expect_status(
        &mut self,
        function: &str,
        call: &str,
        case: &str,
        reply: &Reply,
        status: u16,
    ) {
        if reply.status.as_u16() != status {
            self.problems.push(format!(
                "{function}: {call} ({case}): expected {status}, got {} {}",
                reply.status, reply.body
            ));
        }
    }

    /// Hands one message to a worker; it must ask for no redelivery.
    async fn worker<F>(&mut self, function: &str, case: &str, handle: F)
    where
        F: Future<Output = SqsBatchResponse>,
    {
        let answer = self.measure(function, SQS_MESSAGE, case, handle).await;
        if !answer.batch_item_failures.is_empty() {
            self.problems.push(format!(
                "{function} ({case}): the message was kept for redelivery"
            ));
        }
    }

    // Each function as its main builds it, on the counting clients; every queue is this run's.

    async fn settings(&self, binary: &str, table: &Store) -> Settings {
        let mut settings = test_support::settings_on(binary, table).await;
        for (variable, value) in self.queues.iter().map(|(v, url)| (v.as_str(), url)) {
            settings = settings.with(variable, value);
        }
        for (variable, value) in &self.deployed_secrets {
            settings = settings.with(variable, value);
        }
        settings
    }

    /// `binary` as its main builds it with `app`, on the run's table, queues and deployed
    /// secrets, its cold start recorded.
    async fn router<Built, E>(
        &mut self,
        binary: &str,
        app: impl FnOnce(Settings, Clients) -> Built,
    ) -> Router
    where
        Built: Future<Output = Result<Router, E>>,
        E: std::fmt::Display,
    {
        let settings = self.settings(binary, &self.table).await;
        let built = app(settings, self.clients.clone());
        self.cold_start(binary, built).await
    }

    async fn vault_router(&mut self) -> Router {
        self.router("customer-vault", |s, c| async move {
            customer_vault::app(&s, &c).await
        })
        .await
    }

    async fn wallet_router(&mut self) -> Router {
        self.router("customer-wallet", |s, c| async move {
            customer_wallet::app(&s, &c).await
        })
        .await
    }

    async fn orders_router(&mut self) -> Router {
        self.router("order-management", |s, c| async move {
            order_management::app(&s, &c).await
        })
        .await
    }

    async fn mandates_router(&mut self) -> Router {
        self.router("mandates", |s, c| async move {
            mandates::app(&s, &c, mandates::deployed_network()).await
        })
        .await
    }

    async fn webhooks_router(&mut self) -> Router {
        self.router("provider-webhooks", |s, c| async move {
            provider_webhooks::app(&s, &c).await
        })
        .await
    }

    async fn notifications_router(&mut self) -> Router {
        self.router("notifications", |s, c| async move {
            notifications::app(&s, &c).await
        })
        .await
    }

    /// Identity as deployed: its signing keys from Secrets Manager, API keys wrapped by KMS.
    async fn identity_router(&mut self) -> Router {
        self.router(
            "identity",
            |s, c| async move { identity::app(&s, &c).await },
        )
        .await
    }
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn customer(text: &str) -> CustomerRef {
    CustomerRef::parse(text).unwrap_or_else(|e| panic!("{e:?}"))
}

/// A payout instruction named `reference` to `customer`'s `instrument` through `scheme`,
/// settled by `date`.
fn payout(reference: &str, customer: &str, instrument: &str, scheme: &str, date: &str) -> Value {
    let mut body = payments::payout_body(customer, &instrument, &scheme, json!(42), "EUR", date);
    body["instructionRef"] = json!(reference);
    body
}

/// A payout to `customer` taken as a reward: an order `order` with one instruction `payout`
/// without instrument or scheme, authorized and claimed for `reward`. The claim's `Location`.
async fn claimed_reward(orders: &Client, order: &str, customer: &str, reward: &str) -> String {
    let body = json!({ "orderRef": order, "instructions": [{
        "instructionRef": "payout", "customerRef": customer, "direction": "Credit",
        "amount": 25, "currency": "EUR", "country": "GB", "settledByDate": today(),
    }]});
    orders
        .call(Method::POST, "/v2/order-management", Some(body))
        .await
        .assert_status(202);
    let path = format!("/v2/order-management/{order}/instruction/payout");
    orders
        .call(Method::POST, &format!("{path}/authorize-reward"), None)
        .await
        .assert_status(201);
    let claim = orders
        .call(
            Method::POST,
            &format!("{path}/claim-reward"),
            Some(json!({ "rewardId": reward })),
        )
        .await;
    claim.assert_status(202);
    location(&claim)
}

fn location(reply: &Reply) -> String {
    reply
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location: {}", reply.body))
        .to_owned()
}

const VAULT: &str = "customer-vault";
const CUSTOMER: &str = "/v2/customer-vault/{customerRef}";
const INSTRUMENT: &str =
    "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}";

async fn vault_calls(run: &mut Run) {
    let vault = Client::admin(run.vault_router().await);
    let orders = Client {
        router: run.orders_router().await,
        ..vault.clone()
    };
    let scope = vault.scope;
    let table = run.table.clone();

    // A customer with a bank account, a paid payout (its transaction and instruction link)
    // and a reward claim (its instrument and transaction): GET customer still reads one page.
    let paid = payments::completed_payout(
        &table,
        &scope,
        "rich",
        "paid",
        json!(50.01),
        "EUR",
        Value::Null,
    )
    .await;
    let transaction = paid
        .transaction
        .clone()
        .unwrap_or_else(|| panic!("the payout has no transaction"));
    let instrument = transaction.financial_instrument_id.to_string();
    let gift = rewards::reward(&table, &scope, "Gift Card", &[]).await;
    let reward_location = claimed_reward(&orders, "gifted", "rich", &gift.to_string()).await;

    let get = format!("GET {CUSTOMER}");
    let reply = run
        .http(
            VAULT,
            &vault,
            &get,
            "a customer with an account, a paid payout and a reward claim",
            "/v2/customer-vault/rich",
            None,
            200,
        )
        .await;
    let instruments = reply.body["financialInstruments"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default();
    if instruments != 2 {
        run.problems.push(format!(
            "GET customer shows {instruments} instruments, not the bank account and the reward: {}",
            reply.body
        ));
    }
    run.http(
        VAULT,
        &vault,
        &format!("PUT {CUSTOMER}"),
        "success",
        "/v2/customer-vault/rich",
        Some(json!({ "metadata": { "tier": "gold" } })),
        202,
    )
    .await;

    payments::bank_account(&table, &scope, "forgettable").await;
    run.http(
        VAULT,
        &vault,
        "POST /v2/customer-vault/{customerRef}/forget",
        "a customer with one bank account",
        "/v2/customer-vault/forgettable/forget",
        None,
        200,
    )
    .await;
    run.http(
        VAULT,
        &vault,
        "POST /v2/customer-vault/{customerRef}/international-bank-account",
        "success",
        "/v2/customer-vault/newcomer/international-bank-account",
        Some(json!({ "name": "John Doe", "iban": "GB29NWBK60161331926819" })),
        201,
    )
    .await;
    run.http(
        VAULT,
        &vault,
        "POST /v2/customer-vault/{customerRef}/uk-bank-account",
        "success",
        "/v2/customer-vault/newcomer/uk-bank-account",
        Some(json!({ "accountHolderName": "JOHN DOE", "accountNumber": "99999911", "sortCode": "111211" })),
        201,
    )
    .await;

    let get_instrument = format!("GET {INSTRUMENT}");
    run.http(
        VAULT,
        &vault,
        &get_instrument,
        "success",
        &format!("/v2/customer-vault/rich/financial-instrument/{instrument}"),
        None,
        200,
    )
    .await;
    run.http(
        VAULT,
        &vault,
        &get_instrument,
        "an unknown instrument (404)",
        &format!(
            "/v2/customer-vault/rich/financial-instrument/{}",
            uuid::Uuid::new_v4()
        ),
        None,
        404,
    )
    .await;

    let close = format!("PUT {INSTRUMENT}/close");
    let unused = payments::bank_account(&table, &scope, "closing").await;
    run.http(
        VAULT,
        &vault,
        &close,
        "an account no instruction uses",
        &format!("/v2/customer-vault/closing/financial-instrument/{unused}/close"),
        Some(json!({ "reason": "Closed by the customer." })),
        200,
    )
    .await;
    let used = payments::bank_account(&table, &scope, "closing").await;
    let scheme = payments::scheme(&table, &scope, Direction::Credit, "SANDBOX").await;
    let later = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    payments::create_payout_order(
        &table,
        &scope,
        "later",
        payout(
            "payout",
            "closing",
            &used.to_string(),
            &scheme.to_string(),
            &later,
        ),
    )
    .await;
    run.http(
        VAULT,
        &vault,
        &close,
        "an account a READY instruction uses",
        &format!("/v2/customer-vault/closing/financial-instrument/{used}/close"),
        Some(json!({ "reason": "Closed by the customer." })),
        200,
    )
    .await;

    let v2_transaction =
        payments_bodies::vault::transaction_link(&transaction).replacen("/v1/", "/v2/", 1);
    run.http(
        VAULT,
        &vault,
        &format!("GET {INSTRUMENT}/transaction/{{transactionId}}"),
        "success",
        &v2_transaction,
        None,
        200,
    )
    .await;
    let refunds = format!("POST {INSTRUMENT}/transaction/{{transactionId}}/refund");
    let refund = run
        .http(
            VAULT,
            &vault,
            &refunds,
            "success",
            &format!("{v2_transaction}/refund"),
            Some(json!({ "amount": 10 })),
            200,
        )
        .await;
    run.http(
        VAULT,
        &vault,
        &refunds,
        "more than the amount left (400)",
        &format!("{v2_transaction}/refund"),
        Some(json!({ "amount": 45 })),
        400,
    )
    .await;
    let refund_id = refund.body["refundId"].as_str().unwrap_or_default();
    run.http(
        VAULT,
        &vault,
        &format!("GET {INSTRUMENT}/transaction/{{transactionId}}/refund/{{refundId}}"),
        "success",
        &format!("{v2_transaction}/refund/{refund_id}"),
        None,
        200,
    )
    .await;

    run.http(
        VAULT,
        &vault,
        "GET /v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}",
        "success",
        &payments_bodies::vault::transaction_link(&transaction),
        None,
        200,
    )
    .await;
    run.http(
        VAULT,
        &vault,
        "GET /v1/customer-vault/{customerRef}",
        "success",
        "/v1/customer-vault/rich",
        None,
        200,
    )
    .await;
    run.http(
        VAULT,
        &vault,
        "GET /v1/customer-vault/{customerRef}/reward/{financialInstrumentId}/transaction/{transactionId}",
        "success",
        &reward_location,
        None,
        200,
    )
    .await;
    run.http(
        VAULT,
        &vault,
        "GET /v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}",
        "success",
        &format!("/v1/customer-vault/rich/financial-instrument/{instrument}"),
        None,
        200,
    )
    .await;
}

const WALLET: &str = "customer-wallet";
const WALLET_INSTRUMENT: &str =
    "/v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}";

async fn wallet_calls(run: &mut Run) {
    let wallet = Client::admin(run.wallet_router().await);
    let scope = wallet.scope;
    let account = payments::bank_account(&run.table, &scope, "walleted").await;
    let closed = payments::bank_account(&run.table, &scope, "walleted").await;
    run.table
        .close_instrument(&scope, &customer("walleted"), closed, Now::read())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let reason = Some(json!({ "reason": "Customer asked." }));
    let path = |id: &dyn std::fmt::Display| {
        format!("/v1/customer-vault/walleted/wallet/financial-instrument/{id}")
    };

    run.http(
        WALLET,
        &wallet,
        "GET /v1/customer-vault/{customerRef}/wallet",
        "success",
        "/v1/customer-vault/walleted/wallet",
        None,
        200,
    )
    .await;
    let add = format!("POST {WALLET_INSTRUMENT}");
    run.http(
        WALLET,
        &wallet,
        &add,
        "success",
        &path(&account),
        reason.clone(),
        202,
    )
    .await;
    run.http(
        WALLET,
        &wallet,
        &add,
        "a closed instrument (400)",
        &path(&closed),
        reason.clone(),
        400,
    )
    .await;
    run.http(
        WALLET,
        &wallet,
        &format!("DELETE {WALLET_INSTRUMENT}"),
        "success",
        &path(&account),
        reason,
        202,
    )
    .await;
}

const ORDERS: &str = "order-management";
const INSTRUCTION: &str = "/v2/order-management/{orderRef}/instruction/{instructionRef}";

async fn order_calls(run: &mut Run) {
    let orders = Client::admin(run.orders_router().await);
    let scope = orders.scope;
    let table = run.table.clone();
    let scheme = payments::scheme(&table, &scope, Direction::Credit, "SANDBOX")
        .await
        .to_string();
    let account = payments::bank_account(&table, &scope, "payee")
        .await
        .to_string();
    let due = |reference: &str| payout(reference, "payee", &account, &scheme, &today());

    let create = "POST /v2/order-management";
    let order = |reference: &str, instructions: Vec<Value>| {
        Some(json!({ "orderRef": reference, "instructions": instructions }))
    };
    run.http(
        ORDERS,
        &orders,
        create,
        "an order alone (201)",
        "/v2/order-management",
        Some(json!({ "orderRef": "alone" })),
        201,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        create,
        "one payout due today",
        "/v2/order-management",
        order("one", vec![due("p1")]),
        202,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        create,
        "three payouts due today",
        "/v2/order-management",
        order("three", vec![due("p1"), due("p2"), due("p3")]),
        202,
    )
    .await;
    let mut unknown = due("p1");
    unknown["financialInstrumentId"] = json!(uuid::Uuid::new_v4().to_string());
    run.http(
        ORDERS,
        &orders,
        create,
        "an unknown instrument (400)",
        "/v2/order-management",
        order("refused", vec![unknown]),
        400,
    )
    .await;

    run.http(
        ORDERS,
        &orders,
        "GET /v2/order-management/{orderRef}",
        "success",
        "/v2/order-management/one",
        None,
        200,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        "PUT /v2/order-management/{orderRef}/metadata",
        "success",
        "/v2/order-management/one/metadata",
        Some(json!({ "policy": "P-1" })),
        204,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        "DELETE /v2/order-management/{orderRef}/metadata",
        "success",
        "/v2/order-management/one/metadata",
        None,
        204,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        "POST /v2/order-management/{orderRef}/instruction",
        "a payout due today",
        "/v2/order-management/alone/instruction",
        Some(due("added")),
        204,
    )
    .await;

    let get = format!("GET {INSTRUCTION}");
    run.http(
        ORDERS,
        &orders,
        &get,
        "success",
        "/v2/order-management/one/instruction/p1",
        None,
        200,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        &get,
        "an unknown instruction of an existing order (400)",
        "/v2/order-management/one/instruction/nope",
        None,
        400,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        &format!("PUT {INSTRUCTION}"),
        "a new amount for a READY payout due today",
        "/v2/order-management/one/instruction/p1",
        Some(json!({ "amount": 43 })),
        204,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        &format!("POST {INSTRUCTION}/cancel"),
        "success",
        "/v2/order-management/three/instruction/p2/cancel",
        Some(json!({ "reason": "No longer needed." })),
        204,
    )
    .await;

    // A payout to be taken as a reward: no instrument or scheme to check.
    let body = json!({ "orderRef": "gift", "instructions": [{
        "instructionRef": "payout", "customerRef": "payee", "direction": "Credit",
        "amount": 25, "currency": "EUR", "country": "GB", "settledByDate": today(),
    }]});
    orders
        .call(Method::POST, "/v2/order-management", Some(body))
        .await
        .assert_status(202);
    run.http(
        ORDERS,
        &orders,
        &format!("POST {INSTRUCTION}/authorize-reward"),
        "success",
        "/v2/order-management/gift/instruction/payout/authorize-reward",
        None,
        201,
    )
    .await;
    let claim = format!("POST {INSTRUCTION}/claim-reward");
    let claim_path = "/v2/order-management/gift/instruction/payout/claim-reward";
    run.http(
        ORDERS,
        &orders,
        &claim,
        "a reward not in the catalogue (400)",
        claim_path,
        Some(json!({ "rewardId": uuid::Uuid::new_v4().to_string() })),
        400,
    )
    .await;
    let gift = rewards::reward(&table, &scope, "Gift Card", &[]).await;
    let claimed = run
        .http(
            ORDERS,
            &orders,
            &claim,
            "success",
            claim_path,
            Some(json!({ "rewardId": gift.to_string() })),
            202,
        )
        .await;

    run.http(
        ORDERS,
        &orders,
        "GET /v1/order-management/{orderRef}",
        "success",
        "/v1/order-management/one",
        None,
        200,
    )
    .await;
    run.http(
        ORDERS,
        &orders,
        "GET /v1/order-management/{orderRef}/instruction/{instructionRef}",
        "success",
        "/v1/order-management/one/instruction/p1",
        None,
        200,
    )
    .await;

    // The reward worker settles the claim.
    let transaction_id = location(&claimed)
        .rsplit('/')
        .next()
        .and_then(|id| TransactionId::parse(id).ok())
        .unwrap_or_else(|| panic!("no transaction id in the claim's Location"));
    let event = sqs_event(&SettleReward {
        scope: scope.into(),
        customer_ref: customer("payee"),
        transaction_id,
    });
    let settings = run.settings("reward-worker", &table).await;
    let clients = run.clients.clone();
    let worker = run
        .cold_start("reward-worker", async {
            let apps = payments_aws::sandbox::deployed_apps(&settings, &clients)?;
            reward_worker::RewardWorker::new(&settings, &clients, apps)
        })
        .await;
    run.worker(
        "reward-worker",
        "a claimed gift card, settled",
        worker.handle(event),
    )
    .await;
}

const MANDATES: &str = "mandates";
const MANDATE: &str = "/v2/mandates/sepa/{mandateId}";

async fn mandate_calls(run: &mut Run) {
    let client = Client::admin(run.mandates_router().await);
    let scope = client.scope;
    let profiles = "POST /v2/mandates/creditor-profiles/sepa";
    run.http(
        MANDATES,
        &client,
        profiles,
        "success",
        "/v2/mandates/creditor-profiles/sepa",
        Some(mandate_fixtures::profile_body("prof-1")),
        201,
    )
    .await;
    run.http(
        MANDATES,
        &client,
        profiles,
        "a ref already in use (400)",
        "/v2/mandates/creditor-profiles/sepa",
        Some(mandate_fixtures::profile_body("prof-1")),
        400,
    )
    .await;
    run.http(
        MANDATES,
        &client,
        "GET /v2/mandates/creditor-profiles",
        "success",
        "/v2/mandates/creditor-profiles?from=0&take=10",
        None,
        200,
    )
    .await;
    run.http(
        MANDATES,
        &client,
        "GET /v2/mandates/creditor-profiles/sepa/{creditorProfileRef}",
        "success",
        "/v2/mandates/creditor-profiles/sepa/prof-1",
        None,
        200,
    )
    .await;

    let create = "POST /v2/mandates/sepa";
    let created = run
        .http(
            MANDATES,
            &client,
            create,
            "success",
            "/v2/mandates/sepa",
            Some(mandate_fixtures::mandate_body(
                "debtor-1",
                "prof-1",
                mandate_fixtures::seed_debtor(),
            )),
            201,
        )
        .await;
    run.http(
        MANDATES,
        &client,
        create,
        "an unknown creditor profile (400)",
        "/v2/mandates/sepa",
        Some(mandate_fixtures::mandate_body(
            "debtor-1",
            "nope",
            mandate_fixtures::seed_debtor(),
        )),
        400,
    )
    .await;
    let draft = run
        .http(
            MANDATES,
            &client,
            "POST /v2/mandates/sepa/draft",
            "success",
            "/v2/mandates/sepa/draft",
            Some(json!({ "customerRef": "debtor-2" })),
            201,
        )
        .await;
    let draft_id = draft.body["mandateId"].as_str().unwrap_or_default();
    let draft_path = format!("/v2/mandates/sepa/{draft_id}");
    let update = format!("PUT {MANDATE}");
    run.http(
        MANDATES,
        &client,
        &update,
        "a draft still incomplete (200)",
        &draft_path,
        Some(json!({ "customerRef": "debtor-2", "creditorProfileRef": "prof-1" })),
        200,
    )
    .await;
    run.http(
        MANDATES,
        &client,
        &update,
        "a draft completed and submitted (202)",
        &draft_path,
        Some(mandate_fixtures::mandate_body(
            "debtor-2",
            "prof-1",
            mandate_fixtures::seed_debtor(),
        )),
        202,
    )
    .await;
    run.http(
        MANDATES,
        &client,
        &format!("GET {MANDATE}"),
        "success",
        &draft_path,
        None,
        200,
    )
    .await;

    // The mandate worker registers the first mandate, which can then be amended.
    let mandate_id = created.body["mandateId"]
        .as_str()
        .and_then(|id| MandateId::parse(id).ok())
        .unwrap_or_else(|| panic!("no mandateId: {}", created.body));
    let settings = run.settings("mandate-worker", &run.table).await;
    let clients = run.clients.clone();
    let worker = run
        .cold_start("mandate-worker", async {
            mandate_worker::MandateWorker::new(&settings, &clients, mandates::deployed_network())
        })
        .await;
    let event = sqs_event(&RegisterMandate {
        scope: scope.into(),
        mandate_id,
    });
    run.worker(
        "mandate-worker",
        "a submitted mandate, registered",
        worker.handle(event),
    )
    .await;
    let amend = format!("PUT {MANDATE}/amend");
    let amendment = Some(json!({ "debtor": mandate_fixtures::seed_debtor() }));
    run.http(
        MANDATES,
        &client,
        &amend,
        "an active mandate (202)",
        &format!("/v2/mandates/sepa/{mandate_id}/amend"),
        amendment.clone(),
        202,
    )
    .await;
    let other = client
        .call(
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(json!({ "customerRef": "debtor-3" })),
        )
        .await;
    other.assert_status(201);
    let other_id = other.body["mandateId"].as_str().unwrap_or_default();
    run.http(
        MANDATES,
        &client,
        &amend,
        "a draft (400)",
        &format!("/v2/mandates/sepa/{other_id}/amend"),
        amendment,
        400,
    )
    .await;
}

const IDENTITY: &str = "identity";

async fn identity_calls(run: &mut Run) {
    let client = Client {
        router: run.identity_router().await,
        scope: test_support::new_scope(),
        token: None,
    };
    // Wrapped by the run's KMS key, as `make apikey` wraps a deployed stack's keys.
    let settings = run.settings(IDENTITY, &run.table).await;
    let wrapper =
        payments_aws::kms::key_wrapper(&run.clients, &settings).unwrap_or_else(|e| panic!("{e}"));
    let key =
        identity_fixtures::api_key_wrapped_by(&*wrapper, &run.table, client.scope, &[Role::Admin])
            .await;
    let public_key = key.key.public_key.clone();
    let signed = |body: &str, signed_body: &str| {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let at = chrono::Utc::now().timestamp();
        let signature = identity_fixtures::python_signature(
            &public_key,
            &nonce,
            at,
            key.private_key.expose(),
            signed_body,
        );
        client
            .request(Method::POST, "/v2/identity/hmac")
            .header(
                "authorization",
                format!("Hmac {public_key}:{nonce}:{at}:{signature}"),
            )
            .body(Body::from(body.to_owned()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let exchange = "POST /v2/identity/hmac";
    for (case, request, status) in [
        ("a signed request (201)", signed("", ""), 201),
        ("a wrong signature (401)", signed("{}", ""), 401),
    ] {
        let reply = run
            .measure(IDENTITY, exchange, case, client.send(request))
            .await;
        run.expect_status(IDENTITY, exchange, case, &reply, status);
    }
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
        "/openapi.json",
    ] {
        run.http(
            IDENTITY,
            &client,
            &format!("GET {path}"),
            "success",
            path,
            None,
            200,
        )
        .await;
    }
}

const WEBHOOKS: &str = "provider-webhooks";

/// SANDBOX's webhooks: taken in, then applied to a pending payment.
const NOTIFICATIONS: &str = "notifications";

async fn notification_calls(run: &mut Run) {
    let client = Client::admin(run.notifications_router().await);
    let webhooks = "/v1/notifications/webhooks";
    let create = "POST /v1/notifications/webhooks";
    let endpoint = json!({ "url": "https://hooks.example.com/payments", "events": ["*"] });
    let created = run
        .http(
            NOTIFICATIONS,
            &client,
            create,
            "success (201)",
            webhooks,
            Some(endpoint.clone()),
            201,
        )
        .await;
    let private = json!({ "url": "https://10.0.0.1/hook", "events": ["*"] });
    run.http(
        NOTIFICATIONS,
        &client,
        create,
        "a private address (400)",
        webhooks,
        Some(private),
        400,
    )
    .await;
    run.http(
        NOTIFICATIONS,
        &client,
        "GET /v1/notifications/webhooks",
        "success",
        webhooks,
        None,
        200,
    )
    .await;
    let id = created.body["webhookId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let one = format!("{webhooks}/{id}");
    let route = "/v1/notifications/webhooks/{webhookId}";
    run.http(
        NOTIFICATIONS,
        &client,
        &format!("GET {route}"),
        "success",
        &one,
        None,
        200,
    )
    .await;
    run.http(
        NOTIFICATIONS,
        &client,
        &format!("PUT {route}"),
        "success",
        &one,
        Some(endpoint),
        200,
    )
    .await;
    run.http(
        NOTIFICATIONS,
        &client,
        &format!("POST {route}/rotate-secret"),
        "success",
        &format!("{one}/rotate-secret"),
        None,
        200,
    )
    .await;
    run.http(
        NOTIFICATIONS,
        &client,
        &format!("POST {route}/test"),
        "success (202)",
        &format!("{one}/test"),
        None,
        202,
    )
    .await;
    let log = run
        .http(
            NOTIFICATIONS,
            &client,
            &format!("GET {route}/deliveries"),
            "success",
            &format!("{one}/deliveries"),
            None,
            200,
        )
        .await;
    let delivery_id = log.body["results"][0]["deliveryId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let redeliver = format!("POST {route}/deliveries/{{deliveryId}}/redeliver");
    for (case, delivery, status) in [
        ("success (202)", delivery_id.as_str(), 202),
        (
            "an unknown delivery (404)",
            "dlv_0123456789abcdef0123456789abcdef",
            404,
        ),
    ] {
        run.http(
            NOTIFICATIONS,
            &client,
            &redeliver,
            case,
            &format!("{one}/deliveries/{delivery}/redeliver"),
            None,
            status,
        )
        .await;
    }
    let delete = format!("DELETE {route}");
    run.http(NOTIFICATIONS, &client, &delete, "success", &one, None, 204)
        .await;
    run.http(
        NOTIFICATIONS,
        &client,
        &delete,
        "an unknown webhook (404)",
        &one,
        None,
        404,
    )
    .await;
}

/// The webhook dispatcher on an event of an instruction cancelled, for an endpoint whose
/// name does not resolve here (so the attempt gets no answer and is retried).
async fn dispatcher_calls(run: &mut Run) {
    use payments_domain::dispatch::WebhookWork;
    use payments_domain::outbox::RecordedEvents;
    let admin = Client::admin(run.notifications_router().await);
    let created = admin
        .call(
            Method::POST,
            "/v1/notifications/webhooks",
            Some(json!({ "url": "https://hooks.invalid/payments", "events": ["*"] })),
        )
        .await;
    created.assert_status(201);
    let webhook_id = payments_domain::ids::WebhookId::parse(
        created.body["webhookId"].as_str().unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let orders = Client {
        router: run.orders_router().await,
        ..admin.clone()
    };
    let order = json!({ "orderRef": "dispatched", "instructions": [{
        "instructionRef": "payout", "customerRef": "dispatched", "direction": "Credit",
        "amount": 5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
    }]});
    orders
        .call(Method::POST, "/v2/order-management", Some(order))
        .await
        .assert_status(202);
    orders
        .call(
            Method::POST,
            "/v2/order-management/dispatched/instruction/payout/cancel",
            None,
        )
        .await;
    let customer = customer("dispatched");
    let events = run
        .table
        .events_of(&admin.scope, &customer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let event_id = events
        .first()
        .map(|e| e.event.event_id.clone())
        .unwrap_or_else(|| panic!("the cancellation recorded its event"));
    let settings = run.settings("webhook-dispatcher", &run.table).await;
    let clients = run.clients.clone();
    let dispatcher = run
        .cold_start("webhook-dispatcher", async {
            webhook_dispatcher::WebhookDispatcher::new(&settings, &clients)
        })
        .await;
    let dispatch = WebhookWork::Dispatch {
        scope: admin.scope.into(),
        customer_ref: customer,
        event_id: event_id.clone(),
    };
    run.worker(
        "webhook-dispatcher",
        "an event fanned out to one endpoint",
        dispatcher.handle(sqs_event(&dispatch)),
    )
    .await;
    let deliver = WebhookWork::Deliver {
        scope: admin.scope.into(),
        webhook_id,
        delivery_id: format!("dlv_{}", event_id.trim_start_matches("evt_")),
    };
    run.worker(
        "webhook-dispatcher",
        "an attempt that gets no answer, retried in 5 s",
        dispatcher.handle(sqs_event(&deliver)),
    )
    .await;
}

/// An `Idempotency-Key` on one POST of each function: claimed and the answer kept, then the
/// answer replayed. A body that is not an object keeps the handler's own calls out of it.
async fn idempotency_calls(run: &mut Run) {
    let routes = [
        (
            VAULT,
            run.vault_router().await,
            "POST /v2/customer-vault/{customerRef}/uk-bank-account",
            "/v2/customer-vault/keyed/uk-bank-account".to_owned(),
        ),
        (
            WALLET,
            run.wallet_router().await,
            &*format!("POST {WALLET_INSTRUMENT}"),
            format!(
                "/v1/customer-vault/keyed/wallet/financial-instrument/{}",
                uuid::Uuid::new_v4()
            ),
        ),
        (
            ORDERS,
            run.orders_router().await,
            "POST /v2/order-management",
            "/v2/order-management".to_owned(),
        ),
        (
            MANDATES,
            run.mandates_router().await,
            "POST /v2/mandates/creditor-profiles/sepa",
            "/v2/mandates/creditor-profiles/sepa".to_owned(),
        ),
        (
            NOTIFICATIONS,
            run.notifications_router().await,
            "POST /v1/notifications/webhooks",
            "/v1/notifications/webhooks".to_owned(),
        ),
    ];
    for (function, router, route, path) in routes {
        let client = Client::admin(router);
        let route = route.to_owned();
        for case in [IDEMPOTENT_FIRST, IDEMPOTENT_REPLAYED] {
            run.keyed_post(
                function,
                &client,
                &route,
                case,
                &path,
                json!([]),
                "key-1",
                400,
            )
            .await;
        }
    }
}

async fn provider_calls(run: &mut Run) {
    let table = run.table.clone();
    let scope = test_support::new_scope();
    let pending = payments::completed_payout(
        &table,
        &scope,
        "webhooked",
        "webhooked",
        json!(42.54),
        "EUR",
        Value::Null,
    )
    .await;
    let app_transaction_id = pending
        .transaction
        .and_then(|t| t.app_transaction_id)
        .unwrap_or_else(|| panic!("a pending payment has its app's id"));
    let event = ProviderEvent::PaymentSettled { app_transaction_id };
    let client = Client {
        router: run.webhooks_router().await,
        scope,
        token: None,
    };
    let route = "POST /v1/providers/{appId}/webhooks";
    let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let post = |delivery: providers::Delivery| {
        let mut request = client.request(Method::POST, "/v1/providers/SANDBOX/webhooks");
        for (name, value) in &delivery.headers {
            request = request.header(*name, value);
        }
        request
            .body(Body::from(delivery.body))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let forged = providers::delivery_signed_with(
        "whsec_Zm9yZ2VkLWZvcmdlZC1mb3JnZWQtZm9yZ2VkIQ==",
        &event,
        &id,
        chrono::Utc::now().timestamp(),
    );
    for (case, request, status) in [
        (
            "a new event (202)",
            post(providers::delivery(&event, &id)),
            202,
        ),
        (
            "the same event again (202)",
            post(providers::delivery(&event, &id)),
            202,
        ),
        ("a wrong signature (401)", post(forged), 401),
    ] {
        let reply = run
            .measure(WEBHOOKS, route, case, client.send(request))
            .await;
        run.expect_status(WEBHOOKS, route, case, &reply, status);
    }
    let settings = run.settings("provider-event-worker", &table).await;
    let clients = run.clients.clone();
    let worker = run
        .cold_start(
            "provider-event-worker",
            provider_event_worker::ProviderEventWorker::new(&settings, &clients),
        )
        .await;
    let message = ApplyProviderEvent {
        app_id: "SANDBOX".into(),
        event_id: id,
    };
    for case in [
        "payment.settled for a pending payment, applied",
        "a duplicate message (already applied)",
    ] {
        run.worker(
            "provider-event-worker",
            case,
            worker.handle(sqs_event(&message)),
        )
        .await;
    }

    // sandbox-webhook-sender: posting to the webhook function served over HTTP (whose own
    // calls are not this function's, so it runs on uncounted clients).
    let served =
        providers::webhooks_router(&table, &run.queues[queue_variable(WorkKind::ProviderEvent)])
            .await;
    let base = providers::serve(served).await;
    let settings = run
        .settings("sandbox-webhook-sender", &table)
        .await
        .with(
            SANDBOX_WEBHOOK_URL,
            format!("{base}/v1/providers/SANDBOX/webhooks"),
        )
        .with(ALLOW_LOOPBACK_WEBHOOKS, "true");
    let clients = run.clients.clone();
    let sender = run
        .cold_start(
            "sandbox-webhook-sender",
            sandbox_webhook_sender::SandboxWebhookSender::new(&settings, &clients),
        )
        .await;
    let webhook = SendSandboxWebhook {
        event_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
        body: sandbox_event_body(&event, Now::read().epoch_ms()),
    };
    run.worker(
        "sandbox-webhook-sender",
        "a webhook posted (202)",
        sender.handle(sqs_event(&webhook)),
    )
    .await;
}

async fn worker_calls(run: &mut Run) {
    let table = run.table.clone();
    let scope = test_support::new_scope();

    // instruction-worker: a payout due today.
    let instrument = payments::bank_account(&table, &scope, "worker-payee").await;
    let scheme = payments::scheme(&table, &scope, Direction::Credit, "SANDBOX").await;
    let instruction = payments::create_payout_order(
        &table,
        &scope,
        "due",
        payout(
            "payout",
            "worker-payee",
            &instrument.to_string(),
            &scheme.to_string(),
            &today(),
        ),
    )
    .await;
    let settings = run.settings("instruction-worker", &table).await;
    let clients = run.clients.clone();
    let worker = run
        .cold_start("instruction-worker", async {
            let apps = payments_aws::sandbox::deployed_apps(&settings, &clients)?;
            instruction_worker::InstructionWorker::new(&settings, &clients, apps)
        })
        .await;
    let message = ExecuteInstruction::for_instruction(&scope, &instruction);
    for case in [
        "a payout due today, paid",
        "a duplicate message for a paid instruction",
    ] {
        run.worker(
            "instruction-worker",
            case,
            worker.handle(sqs_event(&message)),
        )
        .await;
    }

    // refund-worker: one pending refund of a paid payout.
    let paid = payments::completed_payout(
        &table,
        &scope,
        "refunded",
        "refunded",
        json!(30),
        "EUR",
        Value::Null,
    )
    .await;
    let transaction = paid
        .transaction
        .unwrap_or_else(|| panic!("the payout has no transaction"));
    let vault = Client {
        router: run.vault_router().await,
        scope,
        token: Some(test_support::token(scope, &["tenant-admin"])),
    };
    vault
        .call(
            Method::POST,
            &format!(
                "{}/refund",
                payments_bodies::vault::transaction_link(&transaction).replacen("/v1/", "/v2/", 1)
            ),
            Some(json!({ "amount": 5 })),
        )
        .await
        .assert_status(200);
    let settings = run.settings("refund-worker", &table).await;
    let clients = run.clients.clone();
    let worker = run
        .cold_start("refund-worker", async {
            let apps = payments_aws::sandbox::deployed_apps(&settings, &clients)?;
            refund_worker::RefundWorker::new(&settings, &clients, apps)
        })
        .await;
    let message = ExecuteRefunds {
        scope: scope.into(),
        transaction: TransactionPath {
            customer_ref: customer("refunded"),
            financial_instrument_id: transaction.financial_instrument_id,
            transaction_id: transaction.id,
        },
    };
    for case in [
        "one pending refund, completed",
        "a duplicate message (nothing pending)",
    ] {
        run.worker("refund-worker", case, worker.handle(sqs_event(&message)))
            .await;
    }
}

/// The sweep on a table of its own, so the work index holds only what this test put there.
async fn sweep_calls(run: &mut Run) {
    let table = run
        .counter
        .isolated_table()
        .await
        .with_keyring(Arc::clone(&run.keyring));
    let settings = run
        .settings("sweep", &table)
        .await
        .with(REQUEUE_AFTER_SECONDS, "0");
    let clients = run.clients.clone();
    let sweep = run
        .cold_start("sweep", async { sweep::Sweep::new(&settings, &clients) })
        .await;
    let swept = run
        .measure("sweep", SCHEDULE, "nothing overdue", sweep.run(Now::read()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swept, Swept::default());

    let scope = test_support::new_scope();
    let instrument = payments::bank_account(&table, &scope, "swept").await;
    let scheme = payments::scheme(&table, &scope, Direction::Credit, "SANDBOX").await;
    payments::create_payout_order(
        &table,
        &scope,
        "overdue",
        payout(
            "payout",
            "swept",
            &instrument.to_string(),
            &scheme.to_string(),
            &today(),
        ),
    )
    .await;
    let swept = run
        .measure(
            "sweep",
            SCHEDULE,
            "one overdue instruction",
            sweep.run(Now::read()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swept.queued, 1, "{swept:?}");
}

#[tokio::test]
async fn every_route_worker_and_the_sweep_keep_their_round_trip_budgets() {
    let mut run = Run::start().await;
    vault_calls(&mut run).await;
    wallet_calls(&mut run).await;
    order_calls(&mut run).await;
    mandate_calls(&mut run).await;
    identity_calls(&mut run).await;
    notification_calls(&mut run).await;
    idempotency_calls(&mut run).await;
    dispatcher_calls(&mut run).await;
    provider_calls(&mut run).await;
    worker_calls(&mut run).await;
    sweep_calls(&mut run).await;

    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or_else(|| panic!("CARGO_TARGET_TMPDIR has no parent"));
    let report = round_trips::report_path(target_dir);
    if let Some(dir) = report.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(&report, round_trips::report(&run.measured))
        .unwrap_or_else(|e| panic!("writing {}: {e}", report.display()));

    let mut problems = std::mem::take(&mut run.problems);
    for function in http_functions() {
        for route in &function.routes {
            let call = route_name(route);
            if !run
                .measured
                .iter()
                .any(|m| m.function == function.name && m.call == call)
            {
                problems.push(format!(
                    "{}: {call}: no call measured; give it a budget in BUDGETS \
                     (tests/support/src/round_trips.rs) and make the call in \
                     tests/tests/round_trips.rs",
                    function.name
                ));
            }
        }
    }
    problems.extend(round_trips::differences(&run.measured));
    problems.extend(run.denied(&Policies::load()));
    assert!(
        problems.is_empty(),
        "{} problem(s) (report: {}):\n{}",
        problems.len(),
        report.display(),
        problems.join("\n")
    );
}

/// Every function of the template has budgets: an HTTP function for each route (checked by
/// the test above), a worker for its SQS message, a scheduled function for its run.
#[test]
fn every_function_of_the_template_has_budgets() {
    let path = local_stack::template_path();
    let template = Template::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let listed: BTreeSet<&str> = http_functions().iter().map(|f| f.name).collect();
    let routed: BTreeSet<&str> = template
        .functions
        .iter()
        .filter(|f| !f.routes.is_empty())
        .map(|f| f.binary.as_str())
        .collect();
    assert_eq!(
        routed, listed,
        "every function with HttpApi routes must be in http_functions()"
    );
    let budgeted = |function: &str, call: &str| {
        round_trips::BUDGETS
            .iter()
            .any(|b| b.function == function && b.call == call)
    };
    for function in &template.functions {
        if !function.sqs_events.is_empty() {
            assert!(
                budgeted(&function.binary, SQS_MESSAGE),
                "{}: an SQS worker without a budget for its message",
                function.binary
            );
        }
        if !function.schedules.is_empty() {
            assert!(
                budgeted(&function.binary, SCHEDULE),
                "{}: a scheduled function without a budget for its run",
                function.binary
            );
        }
    }
    for function in http_functions() {
        let routes: BTreeSet<String> = function.routes.iter().map(route_name).collect();
        for budget in round_trips::BUDGETS
            .iter()
            .filter(|b| b.function == function.name)
        {
            assert!(
                routes.contains(budget.call),
                "{}: {}: budgeted, but not in the function's route table",
                function.name,
                budget.call
            );
        }
    }
}
