//! The payments domain: validated types, the aggregates and their state machines, the use
//! cases (one plain async function per workflow, taking the ports it needs and the time of
//! its request or message), and the ports themselves. No AWS SDK, HTTP framework or Lambda
//! runtime here: adapters (`payments-aws`) implement the ports, edges (`payments-http`, the
//! worker runtime) call the use cases. What the API promises is docs/api.md.

mod aead;
pub mod auth;
pub mod bank;
pub mod clock;
pub mod country;
pub mod currency;
pub mod dispatch;
pub mod error;
pub mod forget;
pub mod idempotency;
pub mod identity;
pub mod ids;
pub mod mandates;
pub mod metadata;
pub mod notifications;
pub mod orders;
pub mod outbox;
pub mod paging;
pub mod payments;
pub mod providers;
pub mod refs;
pub mod rewards;
pub mod secret;
pub mod shredding;
pub mod standard_webhooks;
pub mod sweep;
mod text_form;
pub mod vault;
pub mod versioned;
pub mod work;

pub use clock::Now;
pub use error::{Error, ErrorCode, Violation};
pub use secret::Secret;

/// A boxed future, for the ports whose implementation is chosen at run time (payment apps,
/// mandate networks, key wrappers).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
