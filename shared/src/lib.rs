//! The domain crate every function shares: validated types, the customer vault, auth, storage,
//! queues and the HTTP edge.

pub mod auth;
pub mod bank;
pub mod config;
pub mod country;
pub mod currency;
pub mod error;
pub mod http;
pub mod identity;
pub mod ids;
pub mod mandates;
pub mod metadata;
pub mod orders;
pub mod payments;
pub mod queue;
pub mod refs;
pub mod rewards;
pub mod store;
pub mod vault;
pub mod worker;

pub use error::{Error, ErrorCode, Violation};
