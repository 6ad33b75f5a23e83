//! The end-to-end tests: every flow across functions, each function's routes in-process, the
//! security, isolation and log-hygiene suites, the round-trip budgets, against the moto server
//! `make test` starts (`MOTO_ENDPOINT`). One binary: the SDK and every function are linked
//! once, not once per suite. Fixtures are in `test-support`.

mod concurrency;
mod data_keys;
mod execution_flow;
mod forget_scan;
mod forgotten_writes;
mod hmac_exchange;
mod idempotency;
mod instruction_execution;
mod log_hygiene;
mod mandate_flow;
mod mandate_routes;
mod metrics;
mod notification_routes;
mod openapi;
mod order_routes;
mod provider_webhooks;
mod refunds;
mod reward_flow;
mod round_trips;
mod sample_events;
mod schemes;
mod security;
mod sqs_queue;
mod sweep;
mod template_limits;
mod template_routes;
mod tenant_events;
mod tenant_isolation;
mod vault_auth;
mod vault_changes;
mod vault_routes;
mod wallet_routes;
mod webhook_delivery;
mod worker_host_pump;
mod workspace_shape;
