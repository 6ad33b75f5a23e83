//! The HTTP edge every HTTP function shares: the route table and its guard (bearer token,
//! tenant headers, roles), the correlation id and body limit, reading path parameters and JSON
//! bodies, rendering errors in the three formats of docs/api.md §2, absolute URLs, the access
//! tokens themselves (ES256: verified here, signed by the identity function), and serving on
//! Lambda. Workers do not link it.

mod body_schema;
mod edge;
mod idempotent;
mod lambda;
mod location;
mod openapi;
mod problem;
mod request;
mod routes;
mod signing;
mod tokens;

pub use edge::{CorrelationId, Edge, CORRELATION_HEADER, MAX_BODY_BYTES};
pub use lambda::serve;
pub use location::absolute_url;
pub use openapi::{document as openapi_document, ApiGroup};
pub use problem::{ApiError, ErrorFormat};
pub use request::{JsonBody, PathParams};
pub use routes::{Api, Caller, RouteSpec, ACCOUNT_HEADER, TENANT_HEADER};
pub use signing::{Jwk, Jwks, SigningKeys};
pub use tokens::{
    generate_signing_key, key_id, pem_block, AccessClaims, SigningKeyPair, TokenSigner,
    TokenVerifier,
};
