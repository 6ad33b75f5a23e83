//! Serving an HTTP function on Lambda.

use axum::Router;
use payments_domain::error::{Chain, Error};

/// Serves API Gateway events with the function's router, built once per cold start; a
/// function that could not be built logs why, with its causes, and stops.
pub async fn serve(router: Result<Router, Error>) -> Result<(), lambda_http::Error> {
    match router {
        Ok(router) => lambda_http::run(router).await,
        Err(error) => {
            tracing::error!(error = %Chain(&error), "the function could not start");
            Err(error.into())
        }
    }
}
