//! Fixtures shared by the tests: the moto-backed table (created from `infra/template.yaml`),
//! each function's settings as the template gives them (so a test builds a function with the
//! constructor its `main` calls, never with wiring of its own), tokens signed by a key made for
//! the test run, fresh tenants, a way to send requests to a router in-process, and for workers
//! an in-process invoke endpoint ([`worker_host`]) fed by the local stack's real queue pump
//! ([`queues`]).
//!
//! The moto endpoint comes from `MOTO_ENDPOINT`, which `make test` sets after starting moto.

pub mod conformance;
pub mod iam;
pub mod identity;
pub mod mandates;
pub mod notifications;
pub mod payments;
pub mod providers;
pub mod queues;
pub mod rewards;
pub mod round_trips;
pub mod worker_host;

use axum::body::Body;
use axum::Router;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use local_stack::provision::Provisioned;
use local_stack::template::Template;
use payments_aws::config::{
    API_KEY_KEK_FILE, SANDBOX_WEBHOOK_SECRET, TABLE_NAME as TABLE_SETTING, TOKEN_SIGNING_KEYS,
};
use payments_aws::{Clients, Settings, Store};
use payments_domain::ids::{AccountId, TenantId, TenantScope};
use payments_http::{generate_signing_key, TokenSigner, TokenVerifier};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub const ISSUER: &str = "test-issuer";
pub const AUDIENCE: &str = "test-audience";
/// All tests share one table; each test works in tenants of its own.
pub const TABLE_NAME: &str = "PaymentsTable";

/// The emulator every DynamoDB and SQS test talks to.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("MOTO_ENDPOINT is not set: run the tests with `make test`, which starts moto")
    })
}

/// The AWS clients of a function built for a test: against this run's moto.
pub async fn clients() -> Clients {
    Clients::new(&sdk_config().await)
}

/// The SDK configuration of the tests: against this run's moto, through the functions' own HTTP
/// client, so every call the tests make exercises it.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(payments_aws::Http1Client::new().expect("the functions' HTTP client"))
        .endpoint_url(moto_endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await
}

/// `infra/template.yaml` and what it provisioned in moto.
pub(crate) struct RealStack {
    pub(crate) template: Template,
    pub(crate) provisioned: Provisioned,
}

static REAL_STACK: OnceCell<RealStack> = OnceCell::const_new();

/// The real template's tables and queues, created once per test binary as `make dev` creates
/// them (a failed attempt is tried again by the next caller).
pub(crate) async fn real_stack() -> Result<&'static RealStack, queues::QueueFixtureError> {
    REAL_STACK
        .get_or_try_init(|| async {
            let path = local_stack::template_path();
            let template = Template::load(&path)?;
            let provisioned =
                local_stack::provision::provision(&sdk_config().await, &template).await?;
            Ok(RealStack {
                template,
                provisioned,
            })
        })
        .await
}

/// The table, created once per test binary from `infra/template.yaml` as `make dev` creates it.
pub async fn table() -> Store {
    real_stack()
        .await
        .unwrap_or_else(|e| panic!("provisioning infra/template.yaml in moto: {e}"));
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    Store::new(client.clone(), TABLE_NAME).with_keyring(personal_data_keys(client).await)
}

/// A new KMS key in this run's moto, with a client for it: a deployment's `ApiKeyEncryptionKey`.
pub async fn kms_key() -> (aws_sdk_kms::Client, String) {
    let kms = aws_sdk_kms::Client::new(&sdk_config().await);
    let key_id = kms
        .create_key()
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating a KMS key: {e:?}"))
        .key_metadata
        .map(|m| m.key_id)
        .unwrap_or_default();
    (kms, key_id)
}

/// The table of personal data keys, created once per test binary from `infra/template.yaml`,
/// read through `client`.
pub async fn data_keys_table_on(
    client: aws_sdk_dynamodb::Client,
) -> payments_aws::data_keys::DataKeysTable {
    let stack = real_stack()
        .await
        .unwrap_or_else(|e| panic!("provisioning infra/template.yaml in moto: {e}"));
    let name = stack
        .provisioned
        .tables
        .get("DataKeysTable")
        .unwrap_or_else(|| panic!("the template has no DataKeysTable"));
    payments_aws::data_keys::DataKeysTable::new(client, name)
}

/// [`data_keys_table_on`] a client of its own.
pub async fn data_keys_table() -> payments_aws::data_keys::DataKeysTable {
    data_keys_table_on(aws_sdk_dynamodb::Client::new(&sdk_config().await)).await
}

/// The keys of personal data as the functions under test have them: in the template's
/// `DataKeysTable` (read through `client`), wrapped by the test run's local key.
pub async fn personal_data_keys(
    client: aws_sdk_dynamodb::Client,
) -> Arc<payments_aws::store::PersonalDataKeys> {
    let wrapper =
        payments_domain::identity::CachingKeyWrapper::new(Arc::new(crate::identity::key_wrapper()));
    Arc::new(payments_domain::shredding::Keyring::new(
        data_keys_table_on(client).await,
        Arc::new(wrapper),
    ))
}

/// The settings `binary` gets from `infra/template.yaml`, resolved as `make dev` resolves them
/// against this run's moto, with the test run's token keys (and, for the identity function,
/// its signing key and local key-encryption key). A test changes what it must with
/// [`Settings::with`] and builds the function with the constructor its `main` calls.
pub async fn settings(binary: &str) -> Settings {
    let stack = real_stack()
        .await
        .unwrap_or_else(|e| panic!("provisioning infra/template.yaml in moto: {e}"));
    let function = stack
        .template
        .functions
        .iter()
        .find(|function| function.binary == binary)
        .unwrap_or_else(|| panic!("the template has no function {binary}"));
    let keys = keys();
    let parameters = BTreeMap::from([
        ("TokenPublicKey".to_owned(), keys.public_key.clone()),
        ("TokenIssuer".to_owned(), ISSUER.to_owned()),
        ("TokenAudience".to_owned(), AUDIENCE.to_owned()),
    ]);
    let environment = stack
        .template
        .environment(function, &stack.provisioned.locals(parameters))
        .unwrap_or_else(|e| panic!("the environment of {binary}: {e}"));
    Settings::from_map(environment)
        .with(TOKEN_SIGNING_KEYS, keys.signing_key.clone())
        .with(API_KEY_KEK_FILE, crate::identity::key_file())
        .with(SANDBOX_WEBHOOK_SECRET, crate::providers::WEBHOOK_SECRET)
}

/// [`settings`] on another table than the shared one.
pub async fn settings_on(binary: &str, table: &Store) -> Settings {
    settings(binary)
        .await
        .with(TABLE_SETTING, table.table_name())
}

/// A table of its own, shaped as the template declares the real one: for tests that read the
/// whole table or its work index (the sweep), which other tests' items would disturb.
pub async fn isolated_table() -> Store {
    let stack = real_stack()
        .await
        .unwrap_or_else(|e| panic!("provisioning infra/template.yaml in moto: {e}"));
    let mut table = stack
        .template
        .tables
        .iter()
        .find(|table| table.logical_id == TABLE_NAME)
        .cloned()
        .unwrap_or_else(|| panic!("the template declares no {TABLE_NAME}"));
    table.logical_id = format!("{TABLE_NAME}-{}", uuid::Uuid::new_v4().simple());
    let template = Template {
        tables: vec![table.clone()],
        ..Template::default()
    };
    let sdk = sdk_config().await;
    local_stack::provision::provision(&sdk, &template)
        .await
        .unwrap_or_else(|e| panic!("creating an isolated table: {e}"));
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    Store::new(client.clone(), table.logical_id).with_keyring(personal_data_keys(client).await)
}

/// A signing key pair for this test binary, and tokens made with it.
pub struct Keys {
    pub signer: TokenSigner,
    pub verifier: Arc<TokenVerifier>,
    /// The public half as `TOKEN_PUBLIC_KEY` holds it.
    pub public_key: String,
    /// The private half as `TOKEN_SIGNING_KEYS` holds it (base64 PKCS#8).
    pub signing_key: String,
}

static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();

pub fn keys() -> &'static Keys {
    KEYS.get_or_init(|| {
        let pair = generate_signing_key().unwrap_or_else(|e| panic!("generating a test key: {e}"));
        Keys {
            signer: TokenSigner::new(&pair.private_key_pem, ISSUER, AUDIENCE)
                .unwrap_or_else(|e| panic!("{e}")),
            verifier: Arc::new(
                TokenVerifier::new(&pair.public_key_base64, ISSUER, AUDIENCE)
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
            signing_key: pair
                .private_key_pem
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .collect(),
            public_key: pair.public_key_base64,
        }
    })
}

pub fn new_scope() -> TenantScope {
    TenantScope {
        tenant: TenantId::new_random(),
        account: AccountId::new_random(),
    }
}

/// A token for `scope` holding `roles`, valid for an hour.
pub fn token(scope: TenantScope, roles: &[&str]) -> String {
    keys()
        .signer
        .issue(scope, roles, 3600)
        .unwrap_or_else(|e| panic!("signing a test token: {e}"))
}

/// A caller of one router: a tenant, its token, and the headers that go with them.
#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub scope: TenantScope,
    pub token: Option<String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Value,
}

impl Client {
    /// A fresh tenant calling `router` with a tenant-admin token.
    pub fn admin(router: Router) -> Client {
        let scope = new_scope();
        Client {
            router,
            scope,
            token: Some(token(scope, &["tenant-admin"])),
        }
    }

    /// The same tenant with a token holding only `roles`.
    pub fn with_roles(&self, roles: &[&str]) -> Client {
        Client {
            token: Some(token(self.scope, roles)),
            ..self.clone()
        }
    }

    pub fn with_token(&self, token: Option<String>) -> Client {
        Client {
            token,
            ..self.clone()
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.send(
            self.request(method, path)
                .body(Body::from(body))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
    }

    /// A POST of `body` with an `Idempotency-Key` (any bytes, so malformed keys can be sent).
    pub async fn post_keyed(&self, path: &str, key: &str, body: &Value) -> Reply {
        let key = http::HeaderValue::from_bytes(key.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let request = self
            .request(Method::POST, path)
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(request).await
    }

    /// A request with the caller's headers, for tests that need to change them.
    pub fn request(&self, method: Method, path: &str) -> http::request::Builder {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .header("x-account-id", self.scope.account.to_string())
            .header("x-tenant-id", self.scope.tenant.to_string());
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder
    }

    /// Sends `request` and checks the exchange against the OpenAPI document
    /// (`conformance::check`).
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let (parts, body) = request.into_parts();
        let sent = body
            .collect()
            .await
            .unwrap_or_else(|e| panic!("reading the request body: {e}"))
            .to_bytes();
        let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
        let request = Request::from_parts(parts, Body::from(sent.clone()));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("router failed: {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("reading body: {e}"))
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("body is not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        conformance::check(&conformance::Exchange {
            method: &method,
            path: &path,
            request: &sent,
            status,
            response: &body,
        });
        Reply {
            status,
            headers,
            body,
        }
    }
}

impl Reply {
    /// The `errorCode`s of a format A error body, in order.
    pub fn error_codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["errorCode"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `(title, PropertyName)` of each error of a format B body, in order.
    pub fn format_b_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                        (text(&e["title"]), text(&e["metadata"]["PropertyName"]))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
}
