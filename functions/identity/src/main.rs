//! Lambda entry point: the signing keys, the key wrapper and the table are loaded once per
//! cold start.

use payments_core::config;
use payments_core::http::ErrorFormat;
use payments_core::identity::{ApiKeyStore, TokenExchange};
use std::sync::Arc;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    payments_core::http::serve(ErrorFormat::A, |sdk, edge| async move {
        let issuer = std::env::var(config::TOKEN_ISSUER)
            .map_err(|_| payments_core::Error::Internal("TOKEN_ISSUER is not set".into()))?;
        let audience = std::env::var(config::TOKEN_AUDIENCE)
            .map_err(|_| payments_core::Error::Internal("TOKEN_AUDIENCE is not set".into()))?;
        let signing = Arc::new(identity::signing_keys(&sdk, &issuer, &audience).await?);
        let state = identity::AppState {
            exchange: TokenExchange::new(
                ApiKeyStore::new(config::table(&sdk)?),
                identity::key_wrapper(&sdk)?,
                signing.clone(),
            ),
            signing,
            issuer,
            public_base_url: config::optional(config::PUBLIC_BASE_URL),
        };
        Ok(identity::router(state, edge))
    })
    .await
}
