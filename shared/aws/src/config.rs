//! A function's configuration: the environment the template gives it (docs/deploy.md), read
//! once per cold start. Tests build the same settings from the template's environment for the
//! function, so a function is always configured one way.

use crate::http_client::Http1Client;
use aws_sdk_dynamodb::config::SharedCredentialsProvider;
use aws_types::SdkConfig;
use payments_domain::error::Error;
use payments_domain::work::WorkKind;
use std::collections::BTreeMap;

pub const TABLE_NAME: &str = "TABLE_NAME";
/// The table of personal data keys, which is never backed up (docs/decisions/0019).
pub const DATA_KEYS_TABLE: &str = "DATA_KEYS_TABLE";
pub const TOKEN_PUBLIC_KEY: &str = "TOKEN_PUBLIC_KEY";
pub const TOKEN_ISSUER: &str = "TOKEN_ISSUER";
pub const TOKEN_AUDIENCE: &str = "TOKEN_AUDIENCE";
/// Optional: the API's public base URL (`https://api.example.com`), for absolute `Location`s.
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
pub const REQUEUE_AFTER_SECONDS: &str = "REQUEUE_AFTER_SECONDS";
/// Comma-separated base64 PKCS#8 P-256 keys, newest first (local configuration).
pub const TOKEN_SIGNING_KEYS: &str = "TOKEN_SIGNING_KEYS";
/// The Secrets Manager secret holding the same list (AWS).
pub const TOKEN_SIGNING_SECRET_ARN: &str = "TOKEN_SIGNING_SECRET_ARN";
/// The KMS key that wraps API keys' data keys (AWS).
pub const API_KEY_KMS_KEY_ID: &str = "API_KEY_KMS_KEY_ID";
/// A file holding the local key-encryption key, base64 of 32 bytes (`make dev`).
pub const API_KEY_KEK_FILE: &str = "API_KEY_KEK_FILE";

/// SANDBOX's webhook secret itself (local configuration).
pub const SANDBOX_WEBHOOK_SECRET: &str = "SANDBOX_WEBHOOK_SECRET";
/// The Secrets Manager secret holding it (AWS).
pub const SANDBOX_WEBHOOK_SECRET_ARN: &str = "SANDBOX_WEBHOOK_SECRET_ARN";

/// SANDBOX's outbox: the queue its webhooks wait in until its sender posts them.
pub const SANDBOX_WEBHOOK_QUEUE_URL: &str = "SANDBOX_WEBHOOK_QUEUE_URL";
/// Where SANDBOX's sender posts: the service's own `/v1/providers/SANDBOX/webhooks`.
pub const SANDBOX_WEBHOOK_URL: &str = "SANDBOX_WEBHOOK_URL";

/// `true` where tenant webhooks may go to loopback addresses, over http too (`make dev`, and a
/// deployment whose `AllowLoopbackWebhooks` parameter says so); anything else is `false`.
pub const ALLOW_LOOPBACK_WEBHOOKS: &str = "ALLOW_LOOPBACK_WEBHOOKS";

/// The variable that names the queue of a kind of work.
pub fn queue_variable(kind: WorkKind) -> &'static str {
    match kind {
        WorkKind::Instruction => "INSTRUCTION_QUEUE_URL",
        WorkKind::Refund => "REFUND_QUEUE_URL",
        WorkKind::Mandate => "MANDATE_QUEUE_URL",
        WorkKind::Reward => "REWARD_QUEUE_URL",
        WorkKind::ProviderEvent => "PROVIDER_EVENT_QUEUE_URL",
        WorkKind::Webhook => "WEBHOOK_QUEUE_URL",
    }
}

/// Named settings; an empty value counts as unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    values: BTreeMap<String, String>,
}

impl Settings {
    /// The process environment, as Lambda gives it.
    pub fn from_env() -> Settings {
        Settings::from_map(std::env::vars().collect())
    }

    pub fn from_map(values: BTreeMap<String, String>) -> Settings {
        Settings { values }
    }

    /// The same settings with `name` set to `value`.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Settings {
        self.values.insert(name.to_owned(), value.into());
        self
    }

    /// An optional setting: `None` when unset or empty.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str, Error> {
        self.optional(name)
            .ok_or_else(|| Error::bug(format!("the setting {name} is not set")))
    }

    /// A yes-or-no setting: `true` only when set to `true`.
    pub fn flag(&self, name: &str) -> bool {
        self.optional(name) == Some("true")
    }

    /// A whole number of seconds, in milliseconds.
    pub fn seconds_as_ms(&self, name: &str) -> Result<i64, Error> {
        let value = self.required(name)?;
        value
            .parse::<i64>()
            .ok()
            .filter(|seconds| *seconds >= 0)
            .map(|seconds| seconds * 1000)
            .ok_or_else(|| {
                Error::bug(format!(
                    "{name} must be a whole number of seconds, not {value}"
                ))
            })
    }
}

/// The AWS clients of a function, built once per cold start from one SDK configuration. Tests
/// build them with interceptors of their own (the round-trip counter).
#[derive(Clone)]
pub struct Clients {
    pub sdk: SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    pub fn new(sdk: &SdkConfig) -> Clients {
        Clients {
            sdk: sdk.clone(),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }
}

/// The SDK configuration of a function, from the environment Lambda gives it: `AWS_REGION`, the
/// execution role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`), and `AWS_ENDPOINT_URL` where one is set (the local emulator).
///
/// Built by hand rather than by aws-config's default chain: a function only ever finds its
/// credentials in the environment, and the chain's other sources (profiles, SSO, STS, IMDS)
/// are code every package carried for nothing (docs/performance.md). The HTTP client is ours,
/// HTTP/1.1 only ([`Http1Client`], docs/decisions/0022); retries, timeouts and the clock are
/// the SDK's defaults for the behaviour version.
pub fn sdk_config(settings: &Settings) -> Result<SdkConfig, Error> {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let region = settings
        .optional("AWS_REGION")
        .or_else(|| settings.optional("AWS_DEFAULT_REGION"))
        .ok_or_else(|| Error::bug("neither AWS_REGION nor AWS_DEFAULT_REGION is set"))?;
    let credentials = Credentials::new(
        settings.required("AWS_ACCESS_KEY_ID")?,
        settings.required("AWS_SECRET_ACCESS_KEY")?,
        settings.optional("AWS_SESSION_TOKEN").map(str::to_owned),
        None,
        "environment",
    );
    let mut sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(Http1Client::new()?);
    if let Some(endpoint) = settings.optional("AWS_ENDPOINT_URL") {
        sdk = sdk.endpoint_url(endpoint);
    }
    Ok(sdk.build())
}

/// [`sdk_config`], or, when the environment lacks a setting (Lambda always has them), a
/// configuration without region or credentials, logged once: the function starts, and each
/// AWS call fails saying what is missing.
fn sdk_config_or_unconfigured(settings: &Settings) -> SdkConfig {
    sdk_config(settings).unwrap_or_else(|error| {
        tracing::error!(error = %payments_domain::error::Chain(&error), "no AWS configuration");
        SdkConfig::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .build()
    })
}

/// What every function starts from, once per cold start: its settings (the environment) and
/// AWS clients configured from it ([`sdk_config`]), with JSON logging set up.
pub struct ColdStart {
    pub settings: Settings,
    pub aws: Clients,
}

impl ColdStart {
    pub async fn load() -> ColdStart {
        init_logging();
        // Lambda names the function; a local run is `local`.
        let function =
            std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".to_owned());
        if let Err(error) =
            crate::metrics::install_metrics(&function, Box::new(|| Box::new(std::io::stdout())))
        {
            tracing::warn!(error = %payments_domain::error::Chain(&error), "metrics are off");
        }
        let settings = Settings::from_env();
        let sdk = sdk_config_or_unconfigured(&settings);
        ColdStart {
            settings,
            aws: Clients::new(&sdk),
        }
    }
}

/// Which lines are logged: `target=level` directives, as `RUST_LOG` writes them (`info`,
/// `info,payments_domain=debug`). A filter of targets rather than tracing-subscriber's
/// `EnvFilter`, whose span and field matching needs the regex engines in every package
/// (docs/performance.md).
pub type LogFilter = tracing_subscriber::filter::Targets;

/// The level to log at: `RUST_LOG` when set and valid, else the template's `LoggingConfig`
/// (`AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from `ApplicationLogLevel`; its `FATAL` is our
/// `error`), else `info`.
fn log_filter(rust_log: Option<&str>, lambda_level: Option<&str>) -> LogFilter {
    if let Some(filter) = rust_log.and_then(|directives| directives.parse().ok()) {
        return filter;
    }
    use tracing_subscriber::filter::LevelFilter;
    let level = match lambda_level.map(str::to_ascii_lowercase).as_deref() {
        Some("fatal") => LevelFilter::ERROR,
        Some(level) => level.parse().unwrap_or(LevelFilter::INFO),
        None => LevelFilter::INFO,
    };
    LogFilter::new().with_default(level)
}

/// Installs the production log format, writing to `writer`: one JSON object per line, with
/// the fields of every span the line is in (the correlation id, Lambda's and API Gateway's
/// request ids, the message or delivery being handled), no timestamp (CloudWatch adds it).
/// The log-hygiene suite installs exactly this, with its own filter and writer.
pub fn install_logging<W>(
    filter: LogFilter,
    writer: W,
) -> Result<(), tracing_subscriber::util::TryInitError>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .without_time()
        .with_writer(writer)
        .finish()
        .with(filter)
        .try_init()
}

fn init_logging() {
    // A second cold start in one process (tests) keeps the first subscriber.
    let filter = log_filter(
        std::env::var("RUST_LOG").ok().as_deref(),
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
    );
    let _ = install_logging(filter, std::io::stdout);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset_and_seconds_become_milliseconds() {
        let settings = Settings::default()
            .with("EMPTY", "")
            .with(REQUEUE_AFTER_SECONDS, "300")
            .with("NEGATIVE", "-1");
        assert_eq!(settings.optional("EMPTY"), None);
        assert!(settings.required("EMPTY").is_err());
        assert_eq!(
            settings.seconds_as_ms(REQUEUE_AFTER_SECONDS).ok(),
            Some(300_000)
        );
        assert!(settings.seconds_as_ms("NEGATIVE").is_err());
    }

    #[test]
    fn rust_log_wins_then_lambdas_level_then_info() {
        use tracing::Level;
        use tracing_subscriber::filter::LevelFilter;
        let level = |filter: LogFilter, target: &str| {
            [
                Level::TRACE,
                Level::DEBUG,
                Level::INFO,
                Level::WARN,
                Level::ERROR,
            ]
            .into_iter()
            .find(|level| filter.would_enable(target, level))
        };
        let filter = log_filter(Some("warn,payments_domain=debug"), Some("ERROR"));
        assert_eq!(
            level(filter.clone(), "payments_domain::orders"),
            Some(Level::DEBUG)
        );
        assert_eq!(level(filter, "hyper"), Some(Level::WARN));
        // An unreadable RUST_LOG falls back to Lambda's level; FATAL is error.
        assert_eq!(
            level(log_filter(Some("=!"), Some("FATAL")), "x"),
            Some(Level::ERROR)
        );
        assert_eq!(
            level(log_filter(None, Some("DEBUG")), "x"),
            Some(Level::DEBUG)
        );
        assert_eq!(level(log_filter(None, None), "x"), Some(Level::INFO));
        assert_eq!(
            log_filter(None, Some("nonsense")).default_level(),
            Some(LevelFilter::INFO)
        );
    }

    #[tokio::test]
    async fn the_sdk_is_configured_from_lambdas_environment() {
        use aws_sdk_dynamodb::config::ProvideCredentials;
        let lambda = Settings::default()
            .with("AWS_REGION", "eu-west-1")
            .with("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .with("AWS_SECRET_ACCESS_KEY", "secret")
            .with("AWS_SESSION_TOKEN", "token");
        let sdk = sdk_config(&lambda).expect("configured");
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.endpoint_url(), None);
        let provider = sdk.credentials_provider().expect("credentials");
        let credentials = provider.provide_credentials().await.expect("credentials");
        assert_eq!(credentials.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(credentials.secret_access_key(), "secret");
        assert_eq!(credentials.session_token(), Some("token"));

        let local = lambda
            .clone()
            .with("AWS_REGION", "")
            .with("AWS_DEFAULT_REGION", "us-east-1")
            .with("AWS_ENDPOINT_URL", "http://127.0.0.1:5050");
        let sdk = sdk_config(&local).expect("configured");
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-east-1"));
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:5050"));

        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            assert!(
                sdk_config(&lambda.clone().with(missing, "")).is_err(),
                "{missing}"
            );
        }
    }

    #[tokio::test]
    async fn without_aws_settings_the_clients_are_built_and_their_calls_fail() {
        let clients = Clients::new(&sdk_config_or_unconfigured(&Settings::default()));
        let call = clients.dynamodb.get_item().table_name("t").send().await;
        assert!(call.is_err());
    }
}
