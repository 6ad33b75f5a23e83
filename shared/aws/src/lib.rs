//! The AWS adapters of the domain's ports, and the Lambda runtime of the workers: the
//! DynamoDB store (one table, docs/data-model.md), the SQS queues, Secrets Manager (feature
//! `secrets`) and KMS (feature `keys`), and the settings every function reads once per cold
//! start.

pub mod config;
pub mod data_keys;
pub mod http_client;
pub mod kms;
pub mod measured_apps;
pub mod metrics;
pub mod queue;
pub mod sandbox;
#[cfg(feature = "secrets")]
pub mod secrets;
pub mod store;
pub mod worker;

pub use config::{Clients, Settings};
pub use http_client::Http1Client;
pub use queue::{SqsQueue, SqsWorkQueues};
pub use store::Store;
