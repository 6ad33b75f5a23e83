//! A function's configuration: the environment the template gives it (docs/deploy.md), read
//! once per cold start. Tests build the same settings from the template's environment for the
//! function, so a function is always configured one way.

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
    pub sdk: aws_config::SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Clients {
        Clients {
            sdk: sdk.clone(),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }
}

/// What every function starts from, once per cold start: its settings (the environment) and
/// AWS clients from the default chain (`AWS_ENDPOINT_URL` points them at the local emulator),
/// with JSON logging set up.
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
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        ColdStart {
            settings: Settings::from_env(),
            aws: Clients::new(&sdk),
        }
    }
}

/// The level to log at: `RUST_LOG` when set, else the template's `LoggingConfig`
/// (`AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from `ApplicationLogLevel`), else `info`.
fn log_filter() -> tracing_subscriber::EnvFilter {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        return filter;
    }
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|level| match level.to_ascii_lowercase().as_str() {
            "fatal" => "error".to_owned(),
            other => other.to_owned(),
        })
        .unwrap_or_else(|_| "info".to_owned());
    tracing_subscriber::EnvFilter::try_new(&level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

/// Installs the production log format, writing to `writer`: one JSON object per line, with
/// the fields of every span the line is in (the correlation id, Lambda's and API Gateway's
/// request ids, the message or delivery being handled), no timestamp (CloudWatch adds it).
/// The log-hygiene suite installs exactly this, with its own filter and writer.
pub fn install_logging<W>(
    filter: tracing_subscriber::EnvFilter,
    writer: W,
) -> Result<(), tracing_subscriber::util::TryInitError>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        .without_time()
        .with_writer(writer)
        .finish()
        .try_init()
}

fn init_logging() {
    // A second cold start in one process (tests) keeps the first subscriber.
    let _ = install_logging(log_filter(), std::io::stdout);
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
}
