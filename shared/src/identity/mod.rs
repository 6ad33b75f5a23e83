//! Identity: tenant API keys, the HMAC exchange of an API key for an access token, and the
//! keys that sign and verify access tokens.

mod api_keys;
mod envelope;
mod exchange;
pub mod hmac;
mod signing;

pub use api_keys::{create_api_key, ApiKey, ApiKeyStore, NewApiKey};
pub use envelope::{open, seal, KeyWrapper, LocalKeyWrapper, Sealed};
pub use exchange::{IssuedToken, TokenExchange, TOKEN_TTL_SECONDS};
pub use signing::SigningKeys;
