//! The SDK calibration of `make bench`: clients built once, as the functions build theirs, and
//! per invocation exactly the calls its event asks for (`{"get": 1}`, `{"put": 1}`,
//! `{"send": 1}`, or none). The difference in CPU between one call and none is what a call
//! costs the function, which the CPU budget allows on top of the empty function.
//!
//! Reads `TABLE_NAME` and `BENCH_QUEUE_URL`; the item it reads and writes is its own
//! (`PK = BENCH#calibration`).

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Calls {
    /// `GetItem`s of the calibration item (about the size of a stored instrument).
    get: u32,
    /// `PutItem`s of that item.
    put: u32,
    /// `SendMessage`s of a body the size of a work message.
    send: u32,
}

const PARTITION: &str = "BENCH#calibration";
const SORT: &str = "ITEM";
const MESSAGE: &str = r#"{"tenantId":"ef848af6-4d8f-4b62-88c4-4856dd2aec02","accountId":"1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c","orderRef":"bench-order-000001","instructionRef":"payout-1"}"#;

struct Clients {
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    table: String,
    queue_url: String,
}

fn key() -> std::collections::HashMap<String, AttributeValue> {
    std::collections::HashMap::from([
        ("PK".to_owned(), AttributeValue::S(PARTITION.to_owned())),
        ("SK".to_owned(), AttributeValue::S(SORT.to_owned())),
    ])
}

fn item() -> std::collections::HashMap<String, AttributeValue> {
    let mut item = key();
    for (name, value) in [
        ("itemType", "FinancialInstrument"),
        ("id", "5b0a0f7e-3d5c-4a8e-9a43-2f1c6f0b9d11"),
        ("customerRef", "bench-customer"),
        ("type", "BANK_ACCOUNT:UK"),
        ("status", "ACTIVE"),
        ("createdTimestamp", "2026-01-01T00:00:00.000Z"),
        ("accountHolderName", "JOHN DOE"),
        ("accountNumber", "99999911"),
        ("sortCode", "111211"),
    ] {
        item.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
    }
    item
}

async fn handle(clients: &Clients, calls: Calls) -> Result<serde_json::Value, Error> {
    for _ in 0..calls.get {
        clients
            .dynamodb
            .get_item()
            .table_name(&clients.table)
            .set_key(Some(key()))
            .consistent_read(true)
            .send()
            .await?;
    }
    for _ in 0..calls.put {
        clients
            .dynamodb
            .put_item()
            .table_name(&clients.table)
            .set_item(Some(item()))
            .send()
            .await?;
    }
    for _ in 0..calls.send {
        clients
            .sqs
            .send_message()
            .queue_url(&clients.queue_url)
            .message_body(MESSAGE)
            .send()
            .await?;
    }
    Ok(serde_json::json!({ "statusCode": 200 }))
}

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clients = Clients {
        dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
        sqs: aws_sdk_sqs::Client::new(&sdk),
        table: std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?,
        queue_url: std::env::var("BENCH_QUEUE_URL").unwrap_or_default(),
    };
    let clients = &clients;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let calls = serde_json::from_value(event.payload).unwrap_or_default();
            handle(clients, calls).await
        },
    ))
    .await
}
