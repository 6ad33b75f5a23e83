//! Identity: tenant API keys, and the HMAC exchange of an API key for an access token
//! (docs/api.md §4). Signing and verifying the tokens is the HTTP edge's (`payments-http`).

mod api_keys;
mod envelope;
mod exchange;
pub mod hmac;
mod key_cache;

pub use api_keys::{create_api_key, ApiKey, ApiKeys, NewApiKey, NONCE_MEMORY_SECONDS};
pub use envelope::{open, seal, KeyWrapper, LocalKeyWrapper, Sealed};
pub use exchange::{exchange_api_key, IssuedToken, TokenIssuer, TOKEN_TTL_SECONDS};
pub use key_cache::{CachingKeyWrapper, KEY_CACHE_CAPACITY, KEY_CACHE_TTL};
