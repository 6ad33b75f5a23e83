//! The local emulation of what AWS provides to the payments API, driven by
//! `infra/template.yaml` (see DESIGN.md, "Local runs"): tables and queues in moto, an API
//! Gateway HTTP API in front of the functions that `cargo lambda watch` runs, the SQS event
//! source mapping that feeds the workers, the schedules that invoke scheduled functions, the
//! dev signing key and identity, tenant payment schemes and rewards, tenant API keys, the API
//! reference viewer at `/docs`, and a receiver that prints the tenant webhooks the running stack delivers (`make listen`).

pub mod api_reference;
pub mod apigw;
pub mod apikey;
pub mod aws;
pub mod dev;
pub mod gateway;
pub mod invoke;
pub mod listen;
pub mod process;
pub mod provision;
pub mod pump;
pub mod reward;
pub mod routes;
pub mod schedule;
pub mod schedule_expression;
pub mod scheme;
pub mod state;
pub mod template;

use std::path::{Path, PathBuf};

/// The template every local piece is driven by, relative to the repository root.
pub const TEMPLATE: &str = "infra/template.yaml";

/// The checkout being run: the nearest folder at or above the working directory that holds
/// `infra/template.yaml`. Found at run time, not baked in at build time: builds are shared
/// between checkouts (one cargo target directory), and a binary built in one clone must not
/// read another's files. `make` runs from the root; cargo runs tests from their package folder.
pub fn repo_root() -> PathBuf {
    let start = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    start
        .ancestors()
        .find(|dir| dir.join(TEMPLATE).is_file())
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

/// `infra/template.yaml` of the checkout being run.
pub fn template_path() -> PathBuf {
    repo_root().join(TEMPLATE)
}
