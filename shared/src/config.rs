//! Configuration read once per cold start from the environment the template sets.

use crate::auth::TokenVerifier;
use crate::error::Error;
use crate::queue::SqsQueue;
use crate::store::Table;

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const TOKEN_PUBLIC_KEY: &str = "TOKEN_PUBLIC_KEY";
pub const TOKEN_ISSUER: &str = "TOKEN_ISSUER";
pub const TOKEN_AUDIENCE: &str = "TOKEN_AUDIENCE";
pub const INSTRUCTION_QUEUE_URL: &str = "INSTRUCTION_QUEUE_URL";
pub const REFUND_QUEUE_URL: &str = "REFUND_QUEUE_URL";
pub const MANDATE_QUEUE_URL: &str = "MANDATE_QUEUE_URL";
pub const REWARD_QUEUE_URL: &str = "REWARD_QUEUE_URL";
/// Optional: the API's public base URL (`https://api.example.com`), for absolute `Location`s.
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
pub const REQUEUE_AFTER_SECONDS: &str = "REQUEUE_AFTER_SECONDS";

fn required(name: &str) -> Result<String, Error> {
    std::env::var(name)
        .map_err(|_| Error::Internal(format!("environment variable {name} is not set")))
}

/// An optional setting: `None` when unset or empty.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// A whole number of seconds from the environment, in milliseconds.
pub fn seconds_as_ms(name: &str) -> Result<i64, Error> {
    let value = required(name)?;
    value
        .parse::<i64>()
        .ok()
        .filter(|seconds| *seconds >= 0)
        .map(|seconds| seconds * 1000)
        .ok_or_else(|| {
            Error::Internal(format!(
                "{name} must be a whole number of seconds, not {value}"
            ))
        })
}

/// The token verifier configured by `TOKEN_PUBLIC_KEY`, `TOKEN_ISSUER` and `TOKEN_AUDIENCE`.
pub fn token_verifier() -> Result<TokenVerifier, Error> {
    TokenVerifier::new(
        &required(TOKEN_PUBLIC_KEY)?,
        &required(TOKEN_ISSUER)?,
        &required(TOKEN_AUDIENCE)?,
    )
}

/// The shared table named by `TABLE_NAME`, with a client built from the default AWS chain
/// (`AWS_ENDPOINT_URL` points it at the local emulator).
pub fn table(sdk: &aws_config::SdkConfig) -> Result<Table, Error> {
    Ok(Table::new(
        aws_sdk_dynamodb::Client::new(sdk),
        required(TABLE_NAME)?,
    ))
}

/// The queue named by the environment variable `variable` (one of the `*_QUEUE_URL` above).
pub fn queue(sdk: &aws_config::SdkConfig, variable: &str) -> Result<SqsQueue, Error> {
    Ok(SqsQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        required(variable)?,
    ))
}

/// Loads the AWS SDK configuration once, at cold start.
pub async fn aws() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// JSON logs (CloudWatch-friendly) filtered by `RUST_LOG`, default `info`.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .init();
}
