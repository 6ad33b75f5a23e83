//! Fixtures for SEPA mandate flows: the mandates router and the mandate worker as the deployed
//! functions build them, a creditor profile, and the seed's debtor.

use crate::worker_host::WorkerHost;
use crate::Client;
use http::Method;
use payments_core::mandates::{MandateRegistration, MandateStore, SandboxNetwork};
use payments_core::store::Table;
use serde_json::{json, Value};
use std::sync::Arc;

/// The mandates router on `table`, queueing registrations to `registrations` (a queue URL).
pub async fn mandates_router(table: &Table, registrations: &str) -> axum::Router {
    let sqs = aws_sdk_sqs::Client::new(&crate::sdk_config().await);
    mandates::router(
        mandates::AppState {
            mandates: MandateStore::new(table.clone()),
            network: Arc::new(SandboxNetwork),
            registrations: payments_core::queue::SqsQueue::new(sqs, registrations),
        },
        crate::edge(payments_core::http::ErrorFormat::B),
    )
}

/// The registration as `mandate-worker`'s main builds it.
pub fn registration(table: &Table) -> MandateRegistration {
    MandateRegistration::new(MandateStore::new(table.clone()), Arc::new(SandboxNetwork))
}

/// A Lambda host running `mandate-worker` on `table`, as the pump would invoke it.
pub async fn mandate_worker_host(table: &Table) -> WorkerHost {
    let registration = registration(table);
    let host = WorkerHost::start()
        .await
        .unwrap_or_else(|e| panic!("starting the worker host: {e}"));
    host.register_fn("mandate-worker", move |event: Value| {
        let registration = registration.clone();
        async move {
            let event = serde_json::from_value(event).map_err(|e| e.to_string())?;
            let answer = mandate_worker::handle_batch(
                &registration,
                event,
                chrono::Utc::now().timestamp_millis(),
            )
            .await;
            serde_json::to_value(answer).map_err(|e| e.to_string())
        }
    });
    host
}

/// The debtor of seed 004 (a GB IBAN: the UK is in the SEPA scheme).
pub fn seed_debtor() -> Value {
    json!({
        "firstName": "John",
        "lastName": "Smith",
        "email": "JohnDangerSmith@imbursepayments.com",
        "address": {
            "houseNumberOrName": "221b",
            "streetAddress": "Baker Street",
            "extendedAddress": "string",
            "postcode": "NW1 6XE",
            "city": "London",
            "country": "GB"
        },
        "iban": "GB29 NWBK 6016 1331 9268 19",
        "bic": "BKENGB2L123",
        "accountHolderName": "MR J D SMITH"
    })
}

/// A creditor profile body with the Bundesbank's example creditor identifier.
pub fn profile_body(reference: &str) -> Value {
    json!({
        "creditorProfileRef": reference,
        "profileName": format!("Profile {reference}"),
        "identifier": "DE98ZZZ09999999999",
        "name": "Insurer GmbH",
        "address": { "streetAddress": "street 1", "postcode": "8000", "city": "Zurich", "country": "CH" },
        "metadata": { "property1": "string" }
    })
}

/// Creates the creditor profile `reference` through the API.
pub async fn create_profile(client: &Client, reference: &str) {
    client
        .call(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            Some(profile_body(reference)),
        )
        .await
        .assert_status(201);
}

/// A create-mandate body for `customer` under `profile`, with `debtor`.
pub fn mandate_body(customer: &str, profile: &str, debtor: Value) -> Value {
    json!({
        "customerRef": customer,
        "creditorProfileRef": profile,
        "debtor": debtor,
        "metadata": { "policy": "P-1" }
    })
}

/// Creates a mandate through the API and returns its answer
/// (`{financialInstrumentId, mandateId, verificationCheck}`).
pub async fn create_mandate(
    client: &Client,
    customer: &str,
    profile: &str,
    debtor: Value,
) -> Value {
    let reply = client
        .call(
            Method::POST,
            "/v2/mandates/sepa",
            Some(mandate_body(customer, profile, debtor)),
        )
        .await;
    reply.assert_status(201);
    reply.body.clone()
}
