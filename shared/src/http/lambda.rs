//! Starting an HTTP function on Lambda.

use super::{Edge, ErrorFormat};
use crate::config;
use crate::error::Error;
use axum::Router;
use std::future::Future;
use std::sync::Arc;

/// Sets up logging, loads the AWS configuration and the token verifier once per cold start,
/// builds the function's router from them, and serves API Gateway events with it.
pub async fn serve<Build, Built>(
    format: ErrorFormat,
    build: Build,
) -> Result<(), lambda_http::Error>
where
    Build: FnOnce(aws_config::SdkConfig, Edge) -> Built,
    Built: Future<Output = Result<Router, Error>>,
{
    config::init_logging();
    let sdk = config::aws().await;
    let edge = Edge {
        format,
        verifier: Arc::new(config::token_verifier()?),
    };
    lambda_http::run(build(sdk, edge).await?).await
}
