//! What `make bench` runs, in order: the baselines, then every function on work the earlier
//! stages made. The HTTP functions seed what their GETs read through their own POST routes;
//! the orders, mandates and reward claims they create put real messages on the queues, which
//! feed the workers one message per invocation; the payouts the instruction worker completes
//! are refunded through the vault, which feeds the refund worker. So every worker invocation
//! does real work, not a duplicate delivery.

use crate::harness::{http_body, ColdRun, Expect, Harness, Route, Settings, WarmResult};
use crate::proxy::Proxy;
use crate::runtime::Tracing;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use local_stack::apigw::{build_event, EventInput};
use local_stack::dev::LocalKeys;
use local_stack::routes::RouteTable;
use local_stack::state::StateDir;
use local_stack::template::Template;
use payments_aws::Store;
use payments_domain::error::Chain;
use payments_domain::ids::TenantScope;
use payments_domain::payments::{Direction, Schemes};
use payments_domain::refs::CustomerRef;
use payments_domain::vault::{TransactionStatus, Transactions};
use payments_http::TokenSigner;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Harness(#[from] crate::harness::HarnessError),
    #[error(transparent)]
    Proxy(#[from] crate::proxy::ProxyError),
}

fn setup<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> BenchError {
    move |e| BenchError::Setup(format!("{what}: {e}"))
}

pub struct Options {
    /// Host release binaries: what is run.
    pub bin_dir: PathBuf,
    pub moto: String,
    pub work: PathBuf,
    pub settings: Settings,
    pub tls: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Baseline,
    Http,
    Worker,
    Scheduled,
}

/// Everything measured about one function.
#[derive(Debug, Clone)]
pub struct Measured {
    pub name: String,
    pub kind: Kind,
    /// What its cold starts' first invocation was.
    pub first_event: String,
    pub cold: Vec<ColdRun>,
    pub warm: WarmResult,
}

pub struct Figures {
    pub empty: Measured,
    pub sdk: Measured,
    pub functions: Vec<Measured>,
    /// Cold starts of [`TRACED`] with X-Ray tracing `PassThrough` and `Active`, taken in turns
    /// so that neither set runs on a warmer machine than the other.
    pub tracing_cold: TracingCold,
    pub tls: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TracingCold {
    pub untraced: Vec<ColdRun>,
    pub traced: Vec<ColdRun>,
}

/// The function whose cold start is measured traced too: tracing is set for every function
/// alike (`FunctionTracing`), so one shows its cost.
pub const TRACED: &str = "customer-vault";

const READER: &str = "bench-reader";
const WRITER: &str = "bench-writer";
const PAYEE: &str = "bench-payee";
const REWARDEE: &str = "bench-rewardee";
const DEBTOR: &str = "bench-debtor";
const PROFILE: &str = "bench-profile";

/// The calls `sdk-call-function` prices, in the order it is told to make them (writes before
/// the reads that find their items); each route of its warm run is named after its call.
pub const CALIBRATED_CALLS: [&str; 9] = [
    "PutItem",
    "TransactWriteItems",
    "UpdateItem",
    "GetItem",
    "Query",
    "BatchGetItem",
    "BatchWriteItem",
    "SendMessage",
    "SendMessageBatch",
];

/// `sdk-call-function`'s event: make this one call, or none.
fn call_event(call: Option<&str>) -> Bytes {
    Bytes::from(json!({ "call": call }).to_string())
}

/// API Gateway events for the API's routes, signed in as the bench tenant's admin.
struct Api {
    routes: RouteTable,
    scope: TenantScope,
    token: String,
}

impl Api {
    fn event(
        &self,
        function: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        authorization: Option<String>,
        tenant: bool,
    ) -> Result<Bytes, BenchError> {
        let selected = self
            .routes
            .select(method, path)
            .filter(|s| s.function == function)
            .ok_or_else(|| {
                BenchError::Setup(format!("{method} {path} is not a route of {function}"))
            })?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut headers = HeaderMap::new();
        let mut set = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set("host", "api.bench.local");
        set("accept", "application/json");
        set("user-agent", "payments-bench");
        if let Some(authorization) = &authorization {
            set("authorization", authorization);
        }
        if tenant {
            set("x-account-id", &self.scope.account.to_string());
            set("x-tenant-id", &self.scope.tenant.to_string());
        }
        if !body.is_empty() {
            set("content-type", "application/json");
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        let event = build_event(&EventInput {
            method,
            raw_path: path,
            raw_query: "",
            headers: &headers,
            body: body.as_bytes(),
            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            port: 443,
            protocol: "HTTP/1.1",
            route_key: selected.route_key,
            path_parameters: &selected.path_parameters,
            request_id: &request_id,
            time: chrono::Utc::now(),
        });
        Ok(Bytes::from(event.to_string()))
    }

    /// A request of the bench tenant with its bearer token.
    fn http(
        &self,
        function: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Bytes, BenchError> {
        let bearer = format!("Bearer {}", self.token);
        self.event(function, method, path, body, Some(bearer), true)
    }

    fn many(
        &self,
        count: usize,
        mut make: impl FnMut(usize) -> Result<Bytes, BenchError>,
    ) -> Result<Vec<Bytes>, BenchError> {
        (0..count).map(&mut make).collect()
    }
}

fn uk_account() -> Value {
    json!({"accountHolderName": "JOHN DOE", "accountNumber": "99999911", "sortCode": "111211"})
}

fn creditor_profile() -> Value {
    json!({"creditorProfileRef": PROFILE, "profileName": "Premiums", "identifier": "DE98ZZZ09999999999",
        "name": "Insurer GmbH", "address": {"streetAddress": "Hauptstr. 1", "postcode": "10115", "city": "Berlin", "country": "DE"}})
}

fn mandate() -> Value {
    json!({"customerRef": DEBTOR, "creditorProfileRef": PROFILE,
        "debtor": {"firstName": "Erika", "lastName": "Mustermann", "email": "erika@example.com",
            "address": {"streetAddress": "Heidestr. 17", "postcode": "51147", "city": "Cologne", "country": "DE"},
            "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "accountHolderName": "ERIKA MUSTERMANN"}})
}

fn text(value: &Value, field: &str, what: &str) -> Result<String, BenchError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| BenchError::Setup(format!("{what}: no {field} in {value}")))
}

/// The SQS event of each message on `queue_url` (up to `wanted`), one message per event, as
/// Lambda would deliver them with a batch size of one; received messages are deleted, so
/// they are not delivered again while the bench runs.
async fn drain(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    queue_arn: &str,
    wanted: usize,
) -> Result<Vec<Bytes>, BenchError> {
    let mut events = Vec::new();
    let mut empty = 0;
    while events.len() < wanted && empty < 3 {
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(3600)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| {
                BenchError::Setup(format!(
                    "receiving from {queue_url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                ))
            })?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            empty += 1;
            continue;
        }
        empty = 0;
        for message in &messages {
            let event = local_stack::pump::sqs_event(std::slice::from_ref(message), queue_arn);
            events.push(Bytes::from(event.to_string()));
        }
        let handles: Vec<String> = messages
            .iter()
            .filter_map(|m| m.receipt_handle.clone())
            .collect();
        local_stack::pump::delete_messages(sqs, queue_url, &handles)
            .await
            .map_err(setup("deleting received messages"))?;
    }
    if events.len() < wanted {
        return Err(BenchError::Setup(format!(
            "{queue_url} held {} messages, {wanted} were needed",
            events.len()
        )));
    }
    Ok(events)
}

/// Ids of the successful transactions in a customer's vault: `(financialInstrumentId, id)`.
async fn completed_transactions(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    scope: &TenantScope,
    customer: &str,
) -> Result<Vec<(String, String)>, BenchError> {
    let customer = CustomerRef::parse(customer)
        .map_err(|_| BenchError::Setup(format!("{customer} is not a customer ref")))?;
    let transactions = Store::new(dynamodb.clone(), table)
        .transactions_of(scope, &customer)
        .await
        .map_err(|e| BenchError::Setup(format!("reading transactions: {}", Chain(&e))))?;
    Ok(transactions
        .into_iter()
        .filter(|t| t.status == TransactionStatus::Success)
        .map(|t| (t.financial_instrument_id.to_string(), t.id.to_string()))
        .collect())
}

struct Bench<'a> {
    harness: &'a Harness,
    api: Api,
    environment: BTreeMap<String, String>,
    api_key: local_stack::state::DevApiKey,
}

impl Bench<'_> {
    async fn cold(
        &self,
        function: &str,
        environment: &BTreeMap<String, String>,
        events: Vec<Bytes>,
        expect: Expect,
    ) -> Result<Vec<ColdRun>, BenchError> {
        self.cold_traced(function, environment, events, expect, Tracing::PassThrough)
            .await
    }

    async fn cold_traced(
        &self,
        function: &str,
        environment: &BTreeMap<String, String>,
        events: Vec<Bytes>,
        expect: Expect,
        tracing: Tracing,
    ) -> Result<Vec<ColdRun>, BenchError> {
        if events.len() > 1 {
            eprintln!(
                "bench: {function}: {} cold starts, tracing {tracing:?}",
                events.len()
            );
        }
        Ok(self
            .harness
            .cold(function, environment, events, expect, tracing)
            .await?)
    }

    async fn warm(
        &self,
        function: &str,
        environment: &BTreeMap<String, String>,
        routes: Vec<Route>,
    ) -> Result<WarmResult, BenchError> {
        let labels: Vec<&str> = routes.iter().map(|r| r.label.as_str()).collect();
        eprintln!(
            "bench: {function}: warm, {} × {} invocations of {}",
            self.harness.settings.rounds,
            self.harness.settings.per_round,
            labels.join(", ")
        );
        Ok(self.harness.warm(function, environment, routes).await?)
    }

    /// Invocations whose answers the next stages need (ids), on a process of their own.
    async fn seed(
        &self,
        function: &str,
        events: Vec<(&str, Bytes)>,
    ) -> Result<Vec<Value>, BenchError> {
        let mut process = self
            .harness
            .spawn(function, &self.environment, Tracing::PassThrough)
            .await?;
        let mut answers = Vec::new();
        for (label, event) in events {
            match self
                .harness
                .call(&mut process, label, event, Expect::Http)
                .await
            {
                Ok(answer) => answers.push(http_body(&answer)),
                Err(e) => {
                    process.stop().await;
                    return Err(e.into());
                }
            }
        }
        process.stop().await;
        Ok(answers)
    }

    fn route(&self, label: &str, events: Vec<Bytes>, expect: Expect) -> Route {
        Route {
            label: label.to_owned(),
            per_round: None,
            events,
            after: Vec::new(),
            expect,
        }
    }

    /// An API key exchange with a fresh nonce.
    fn exchange(&self) -> Result<Bytes, BenchError> {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let public_key = &self.api_key.public_key;
        let message =
            payments_domain::identity::hmac::string_to_sign(public_key, &nonce, timestamp, b"");
        let signature = payments_domain::identity::hmac::sign(self.api_key.secret(), &message);
        self.api.event(
            "identity",
            "POST",
            "/v2/identity/hmac",
            None,
            Some(format!("Hmac {public_key}:{nonce}:{timestamp}:{signature}")),
            false,
        )
    }

    fn measured(
        &self,
        name: &str,
        kind: Kind,
        first_event: &str,
        cold: Vec<ColdRun>,
        warm: WarmResult,
    ) -> Measured {
        Measured {
            name: name.to_owned(),
            kind,
            first_event: first_event.to_owned(),
            cold,
            warm,
        }
    }
}

pub async fn run(options: &Options, proxy: Proxy) -> Result<Figures, BenchError> {
    let settings = options.settings.clone();
    let (k, warm_n) = (settings.cold_runs, settings.warm_events());
    let repo = local_stack::repo_root();
    let template = Template::load(&local_stack::template_path()).map_err(setup("template"))?;
    let routes = RouteTable::from_template(&template).map_err(setup("routes"))?;

    // 1. Tables and queues in moto, the bench tenant's schemes, rewards and API key.
    let state_dir = options.work.join("state");
    let _ = std::fs::remove_dir_all(&state_dir);
    let state = StateDir::new(&state_dir);
    let keys = LocalKeys::from_state(&state).map_err(setup("keys"))?;
    let signing = state.signing_key().map_err(setup("signing key"))?;
    let kek = state.api_key_kek().map_err(setup("key-encryption key"))?;
    let identity = state.dev_identity().map_err(setup("tenant"))?;
    let schemes = state.dev_schemes().map_err(setup("schemes"))?;
    let rewards = state.dev_rewards().map_err(setup("rewards"))?;
    let api_key = state.dev_api_key().map_err(setup("API key"))?;
    let scope = TenantScope {
        tenant: identity.tenant,
        account: identity.account,
    };
    let sdk = local_stack::aws::sdk_config(&options.moto).await;
    let provisioned = local_stack::provision::provision(&sdk, &template)
        .await
        .map_err(setup("provisioning"))?;
    let table = local_stack::scheme::table_name(&template).map_err(setup("table"))?;
    let store = local_stack::scheme::store(&sdk, table.clone());
    store
        .save_scheme(
            &scope,
            &local_stack::scheme::dev_scheme(schemes.credit.clone(), Direction::Credit),
        )
        .await
        .map_err(setup("saving the scheme"))?;
    local_stack::reward::seed_dev(&store, &scope, &rewards)
        .await
        .map_err(setup("saving the rewards"))?;
    local_stack::apikey::seed_dev(&store, &kek, scope, &api_key)
        .await
        .map_err(setup("saving the API key"))?;
    // The sweep reads the whole work index: on a table of its own, the other stages' items do
    // not change what it costs from run to run.
    let sweep_table = {
        let mut shape = template
            .tables
            .first()
            .cloned()
            .ok_or_else(|| BenchError::Setup("the template declares no table".into()))?;
        shape.logical_id = "BenchSweepTable".into();
        let only = Template {
            tables: vec![shape.clone()],
            ..Template::default()
        };
        local_stack::provision::provision(&sdk, &only)
            .await
            .map_err(setup("the sweep's table"))?;
        shape.logical_id
    };
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let calibration_queue = sqs
        .create_queue()
        .queue_name("BenchCalibrationQueue")
        .send()
        .await
        .map_err(|e| {
            BenchError::Setup(format!(
                "calibration queue: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            ))
        })?
        .queue_url
        .unwrap_or_default();
    let queue = |logical_id: &str| {
        provisioned
            .queues
            .get(logical_id)
            .cloned()
            .ok_or_else(|| BenchError::Setup(format!("no queue {logical_id} provisioned")))
    };
    let (instruction_queue, refund_queue, mandate_queue, reward_queue) = (
        queue("InstructionQueue")?,
        queue("RefundQueue")?,
        queue("MandateQueue")?,
        queue("RewardQueue")?,
    );

    // 2. The functions' environment, as `make dev` gives it, with AWS behind the proxy.
    let mut environment =
        // SANDBOX's sender is not measured: nothing serves its webhook URL here.
        local_stack::dev::functions_environment(
            &template,
            &provisioned,
            &keys,
            &proxy.url,
            "http://127.0.0.1:9",
            None,
        )
        .map_err(setup("environment"))?;
    if let Some(bundle) = &proxy.ca_bundle {
        environment.insert("SSL_CERT_FILE".into(), bundle.display().to_string());
    }
    let issuer = template
        .parameter("TokenIssuer", &BTreeMap::new())
        .map_err(setup("TokenIssuer"))?;
    let audience = template
        .parameter("TokenAudience", &BTreeMap::new())
        .map_err(setup("TokenAudience"))?;
    let token = TokenSigner::new(&signing.private_key_pem, &issuer, &audience)
        .and_then(|signer| signer.issue(scope, &["tenant-admin"], 12 * 3600))
        .map_err(setup("token"))?;
    let logs = options.work.join("logs");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).map_err(setup("logs directory"))?;
    let harness = Harness {
        bin_dir: options.bin_dir.clone(),
        logs,
        proxy,
        settings: settings.clone(),
    };
    let bench = Bench {
        harness: &harness,
        api: Api {
            routes,
            scope,
            token,
        },
        environment: environment.clone(),
        api_key,
    };
    let api = &bench.api;
    let env = &environment;
    let mut functions = Vec::new();
    let today = chrono::Utc::now().date_naive();
    let later = today + chrono::Days::new(30);

    // 3. The baselines.
    let get_reader = || {
        api.http(
            "customer-vault",
            "GET",
            &format!("/v2/customer-vault/{READER}"),
            None,
        )
    };
    let cold = bench
        .cold(
            "empty-function",
            env,
            api.many(k, |_| get_reader())?,
            Expect::Answer,
        )
        .await?;
    // The baselines cost little per invocation and most of their routes need no emulator: ten
    // times the invocations per round (twice for the calls), for steadier figures.
    let (cheap, calls_round) = (settings.per_round * 10, settings.per_round * 2);
    let scaled = |mut route: Route, per_round: usize| {
        route.per_round = Some(per_round);
        route
    };
    let reader_event = get_reader()?;
    let warm = bench
        .warm(
            "empty-function",
            env,
            vec![scaled(
                bench.route(
                    "API Gateway event (GET customer)",
                    vec![reader_event; settings.warm_events_of(cheap)],
                    Expect::Answer,
                ),
                cheap,
            )],
        )
        .await?;
    let empty = bench.measured(
        "empty-function",
        Kind::Baseline,
        "API Gateway event",
        cold,
        warm,
    );

    let mut sdk_env = env.clone();
    sdk_env.insert("BENCH_QUEUE_URL".into(), calibration_queue);
    let cold = bench
        .cold(
            "sdk-call-function",
            &sdk_env,
            api.many(k, |_| Ok(call_event(Some("GetItem"))))?,
            Expect::Answer,
        )
        .await?;
    let mut routes = vec![scaled(
        bench.route(
            "no call",
            vec![call_event(None); settings.warm_events_of(cheap)],
            Expect::Answer,
        ),
        cheap,
    )];
    for call in CALIBRATED_CALLS {
        let events = vec![call_event(Some(call)); settings.warm_events_of(calls_round)];
        routes.push(scaled(
            bench.route(call, events, Expect::Answer),
            calls_round,
        ));
    }
    let warm = bench.warm("sdk-call-function", &sdk_env, routes).await?;
    let sdk_calls = bench.measured("sdk-call-function", Kind::Baseline, "GetItem", cold, warm);

    // 4. What the HTTP functions' GETs read.
    eprintln!("bench: seeding through the functions");
    let added = bench
        .seed(
            "customer-vault",
            vec![
                (
                    "add account",
                    api.http(
                        "customer-vault",
                        "POST",
                        &format!("/v2/customer-vault/{READER}/uk-bank-account"),
                        Some(&uk_account()),
                    )?,
                ),
                (
                    "add account",
                    api.http(
                        "customer-vault",
                        "POST",
                        &format!("/v2/customer-vault/{PAYEE}/uk-bank-account"),
                        Some(&uk_account()),
                    )?,
                ),
            ],
        )
        .await?;
    let reader_fi = text(&added[0], "id", "adding an account")?;
    let payee_fi = text(&added[1], "id", "adding an account")?;
    let wallet_path =
        format!("/v1/customer-vault/{READER}/wallet/financial-instrument/{reader_fi}");
    let add_to_wallet = || {
        api.http(
            "customer-wallet",
            "POST",
            &wallet_path,
            Some(&json!({"reason": "Bench"})),
        )
    };
    bench
        .seed("customer-wallet", vec![("add to wallet", add_to_wallet()?)])
        .await?;
    let order = |order_ref: &str| {
        json!({"orderRef": order_ref, "metadata": {"source": "bench"}, "instructions": [
            {"instructionRef": "payout-1", "customerRef": PAYEE, "direction": "Credit",
             "financialInstrumentId": payee_fi, "amount": 100.25, "currency": "GBP", "country": "GB",
             "settledByDate": today.to_string(), "schemeId": schemes.credit.to_string()},
            {"instructionRef": "reward-1", "customerRef": REWARDEE, "direction": "Credit",
             "amount": 25, "currency": "EUR", "country": "DE", "settledByDate": later.to_string()}]})
    };
    let create_order = |order_ref: String| {
        api.http(
            "order-management",
            "POST",
            "/v2/order-management",
            Some(&order(&order_ref)),
        )
    };
    bench
        .seed(
            "order-management",
            vec![("create order", create_order("bench-seed".into())?)],
        )
        .await?;
    let created = bench
        .seed(
            "mandates",
            vec![
                (
                    "creditor profile",
                    api.http(
                        "mandates",
                        "POST",
                        "/v2/mandates/creditor-profiles/sepa",
                        Some(&creditor_profile()),
                    )?,
                ),
                (
                    "mandate",
                    api.http("mandates", "POST", "/v2/mandates/sepa", Some(&mandate()))?,
                ),
            ],
        )
        .await?;
    let mandate_id = text(&created[1], "mandateId", "creating a mandate")?;

    // 5. The HTTP functions that make the workers' work: orders (payouts and reward claims),
    // mandates; and the identity function.
    let get_order = || {
        api.http(
            "order-management",
            "GET",
            "/v2/order-management/bench-seed",
            None,
        )
    };
    let cold = bench
        .cold(
            "order-management",
            env,
            api.many(k, |_| get_order())?,
            Expect::Http,
        )
        .await?;
    let orders = warm_n + k;
    let order_ref = |i: usize| format!("bench-{i:06}");
    let mut create = bench.route(
        "POST order (2 instructions)",
        api.many(warm_n, |i| create_order(order_ref(i)))?,
        Expect::Http,
    );
    create.after = api.many(k, |i| create_order(order_ref(warm_n + i)))?;
    let reward_path = |i: usize, action: &str| {
        format!(
            "/v2/order-management/{}/instruction/reward-1/{action}",
            order_ref(i)
        )
    };
    let authorize = |i: usize| {
        api.http(
            "order-management",
            "POST",
            &reward_path(i, "authorize-reward"),
            None,
        )
    };
    let claim_body = json!({"rewardId": rewards.gift_card.to_string()});
    let claim = |i: usize| {
        api.http(
            "order-management",
            "POST",
            &reward_path(i, "claim-reward"),
            Some(&claim_body),
        )
    };
    let mut authorize_route = bench.route(
        "POST authorize-reward",
        api.many(warm_n, authorize)?,
        Expect::Http,
    );
    authorize_route.after = api.many(k, |i| authorize(warm_n + i))?;
    let mut claim_route = bench.route("POST claim-reward", api.many(warm_n, claim)?, Expect::Http);
    claim_route.after = api.many(k, |i| claim(warm_n + i))?;
    let warm = bench
        .warm(
            "order-management",
            env,
            vec![
                bench.route(
                    "GET order",
                    api.many(warm_n, |_| get_order())?,
                    Expect::Http,
                ),
                create,
                authorize_route,
                claim_route,
            ],
        )
        .await?;
    functions.push(bench.measured("order-management", Kind::Http, "GET order", cold, warm));

    let get_mandate = || {
        api.http(
            "mandates",
            "GET",
            &format!("/v2/mandates/sepa/{mandate_id}"),
            None,
        )
    };
    let create_mandate = || api.http("mandates", "POST", "/v2/mandates/sepa", Some(&mandate()));
    let cold = bench
        .cold(
            "mandates",
            env,
            api.many(k, |_| get_mandate())?,
            Expect::Http,
        )
        .await?;
    let mut create = bench.route(
        "POST mandate",
        api.many(warm_n, |_| create_mandate())?,
        Expect::Http,
    );
    create.after = api.many(k, |_| create_mandate())?;
    let warm = bench
        .warm(
            "mandates",
            env,
            vec![
                bench.route(
                    "GET mandate",
                    api.many(warm_n, |_| get_mandate())?,
                    Expect::Http,
                ),
                create,
            ],
        )
        .await?;
    functions.push(bench.measured("mandates", Kind::Http, "GET mandate", cold, warm));

    let jwks = || {
        api.event(
            "identity",
            "GET",
            "/.well-known/jwks.json",
            None,
            None,
            false,
        )
    };
    let cold = bench
        .cold(
            "identity",
            env,
            api.many(k, |_| bench.exchange())?,
            Expect::Http,
        )
        .await?;
    let warm = bench
        .warm(
            "identity",
            env,
            vec![
                bench.route(
                    "POST hmac (API key exchange)",
                    api.many(warm_n, |_| bench.exchange())?,
                    Expect::Http,
                ),
                bench.route("GET jwks", api.many(warm_n, |_| jwks())?, Expect::Http),
            ],
        )
        .await?;
    functions.push(bench.measured("identity", Kind::Http, "POST hmac", cold, warm));

    let get_wallet = || {
        api.http(
            "customer-wallet",
            "GET",
            &format!("/v1/customer-vault/{READER}/wallet"),
            None,
        )
    };
    let cold = bench
        .cold(
            "customer-wallet",
            env,
            api.many(k, |_| get_wallet())?,
            Expect::Http,
        )
        .await?;
    let warm = bench
        .warm(
            "customer-wallet",
            env,
            vec![
                bench.route(
                    "GET wallet",
                    api.many(warm_n, |_| get_wallet())?,
                    Expect::Http,
                ),
                bench.route(
                    "POST wallet instrument",
                    api.many(warm_n, |_| add_to_wallet())?,
                    Expect::Http,
                ),
            ],
        )
        .await?;
    functions.push(bench.measured("customer-wallet", Kind::Http, "GET wallet", cold, warm));

    // 6. The workers, one message per invocation, on the messages made above.
    let workers = [
        ("instruction-worker", &instruction_queue),
        ("mandate-worker", &mandate_queue),
        ("reward-worker", &reward_queue),
    ];
    for (worker, queue) in workers {
        eprintln!("bench: {worker}: receiving its messages");
        let mut events = drain(&sqs, &queue.url, &queue.arn, k + warm_n).await?;
        let warm_events = events.split_off(k);
        let cold = bench.cold(worker, env, events, Expect::Batch).await?;
        let warm = bench
            .warm(
                worker,
                env,
                vec![bench.route("one message", warm_events, Expect::Batch)],
            )
            .await?;
        functions.push(bench.measured(worker, Kind::Worker, "one message", cold, warm));
    }

    // 7. The vault, refunding the payouts the instruction worker completed; then the refund
    // worker on those refunds.
    let transactions = completed_transactions(&dynamodb, &table, &scope, PAYEE).await?;
    if transactions.len() < orders {
        return Err(BenchError::Setup(format!(
            "{} completed payouts, {orders} expected",
            transactions.len()
        )));
    }
    let refund = |i: usize| {
        let (instrument, transaction) = &transactions[i];
        api.http(
            "customer-vault",
            "POST",
            &format!(
                "/v2/customer-vault/{PAYEE}/financial-instrument/{instrument}/transaction/{transaction}/refund"
            ),
            Some(&json!({"amount": 1, "reason": "Bench refund"})),
        )
    };
    let add_account = || {
        api.http(
            "customer-vault",
            "POST",
            &format!("/v2/customer-vault/{WRITER}/uk-bank-account"),
            Some(&uk_account()),
        )
    };
    let cold = bench
        .cold(TRACED, env, api.many(k, |_| get_reader())?, Expect::Http)
        .await?;
    let mut tracing_cold = TracingCold::default();
    for _ in 0..k {
        for (tracing, runs) in [
            (Tracing::PassThrough, &mut tracing_cold.untraced),
            (Tracing::Active, &mut tracing_cold.traced),
        ] {
            let event = vec![get_reader()?];
            runs.extend(
                bench
                    .cold_traced(TRACED, env, event, Expect::Http, tracing)
                    .await?,
            );
        }
    }
    let mut refunds = bench.route("POST refund", api.many(warm_n, refund)?, Expect::Http);
    refunds.after = api.many(k, |i| refund(warm_n + i))?;
    let warm = bench
        .warm(
            "customer-vault",
            env,
            vec![
                bench.route(
                    "GET customer",
                    api.many(warm_n, |_| get_reader())?,
                    Expect::Http,
                ),
                bench.route(
                    "POST uk-bank-account",
                    api.many(warm_n, |_| add_account())?,
                    Expect::Http,
                ),
                refunds,
            ],
        )
        .await?;
    functions.insert(
        0,
        bench.measured("customer-vault", Kind::Http, "GET customer", cold, warm),
    );

    eprintln!("bench: refund-worker: receiving its messages");
    let mut events = drain(&sqs, &refund_queue.url, &refund_queue.arn, k + warm_n).await?;
    let warm_events = events.split_off(k);
    let cold = bench
        .cold("refund-worker", env, events, Expect::Batch)
        .await?;
    let warm = bench
        .warm(
            "refund-worker",
            env,
            vec![bench.route("one message", warm_events, Expect::Batch)],
        )
        .await?;
    functions.push(bench.measured("refund-worker", Kind::Worker, "one message", cold, warm));

    // 8. The sweep, on its own table.
    let scheduled = std::fs::read_to_string(repo.join("events/sweep/scheduled-event.json"))
        .map_err(setup("events/sweep/scheduled-event.json"))?;
    let mut sweep_env = env.clone();
    sweep_env.insert("TABLE_NAME".into(), sweep_table);
    let scheduled = Bytes::from(scheduled);
    let cold = bench
        .cold(
            "sweep",
            &sweep_env,
            vec![scheduled.clone(); k],
            Expect::Answer,
        )
        .await?;
    let warm = bench
        .warm(
            "sweep",
            &sweep_env,
            vec![bench.route(
                "scheduled event (nothing due)",
                vec![scheduled; warm_n],
                Expect::Answer,
            )],
        )
        .await?;
    functions.push(bench.measured("sweep", Kind::Scheduled, "scheduled event", cold, warm));

    Ok(Figures {
        empty,
        sdk: sdk_calls,
        functions,
        tracing_cold,
        tls: options.tls,
    })
}

/// `dir/<name>` when it exists.
pub fn existing(dir: &Path, name: &str) -> Option<PathBuf> {
    Some(dir.join(name)).filter(|p| p.exists())
}

pub const TIMEOUT: Duration = Duration::from_secs(30);
