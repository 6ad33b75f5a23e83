//! The local emulation of what AWS provides to the payments API, driven by
//! `infra/template.yaml` (see DESIGN.md, "Local runs"): tables and queues in moto, an API
//! Gateway HTTP API in front of the functions that `cargo lambda watch` runs, the SQS event
//! source mapping that feeds the workers, the schedules that invoke scheduled functions, the
//! dev signing key and identity, and tenant payment schemes.

pub mod apigw;
pub mod aws;
pub mod dev;
pub mod gateway;
pub mod invoke;
pub mod process;
pub mod provision;
pub mod pump;
pub mod routes;
pub mod schedule;
pub mod schedule_expression;
pub mod scheme;
pub mod state;
pub mod template;
