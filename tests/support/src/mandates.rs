//! Fixtures for SEPA mandate flows: the mandates router and the mandate worker as their
//! `main` builds them (on the test's table and queue), a creditor profile, and the published
//! sample debtor.

use crate::payments::{built, worker_host};
use crate::worker_host::WorkerHost;
use crate::Client;
use http::Method;
use payments_aws::config::queue_variable;
use payments_aws::Store;
use payments_domain::work::WorkKind;
use serde_json::{json, Value};

/// The mandates router on `table`, queueing registrations to `registrations` (a queue URL).
pub async fn mandates_router(table: &Store, registrations: &str) -> axum::Router {
    let settings = crate::settings_on("mandates", table)
        .await
        .with(queue_variable(WorkKind::Mandate), registrations);
    let aws = crate::clients().await;
    built(mandates::app(&settings, &aws, mandates::deployed_network())).await
}

/// `mandate-worker` on `table`, as its main builds it.
pub async fn mandate_worker(table: &Store) -> mandate_worker::MandateWorker {
    let settings = crate::settings_on("mandate-worker", table).await;
    mandate_worker::MandateWorker::new(
        &settings,
        &crate::clients().await,
        mandates::deployed_network(),
    )
    .unwrap_or_else(|e| panic!("building the mandate worker: {e}"))
}

/// A Lambda host running `mandate-worker` on `table`, as the pump would invoke it.
pub async fn mandate_worker_host(table: &Store) -> WorkerHost {
    worker_host("mandate-worker", mandate_worker(table).await).await
}

/// The published sample debtor (a GB IBAN: the UK is in the SEPA scheme).
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
