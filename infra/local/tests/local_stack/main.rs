//! The local stack's tests: provisioning from the template, the gateway, the queue pump, the
//! schedules, and the `scheme`, `reward`, `apikey` and `seal-stored` commands, against the moto server
//! `make test` starts. One binary.

mod apikey;
mod common;
mod gateway;
mod provision;
mod pump;
mod reward;
mod schedule;
mod seal_stored;
