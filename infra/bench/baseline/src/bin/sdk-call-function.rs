//! The SDK calibration of `make bench`: clients built once, as the functions build theirs, and
//! per invocation exactly the one call its event names (`{"call": "Query"}`), or none (`{}`).
//! The difference in CPU between one call and none is what that kind of call costs the
//! function, which the CPU budget allows on top of the empty function.
//!
//! Reads `TABLE_NAME` and `BENCH_QUEUE_URL`; the items it reads and writes are its own
//! (`PK = BENCH#calibration`), each about the size of a stored instrument.

use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, PutRequest, TransactWriteItem, WriteRequest,
};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::collections::HashMap;

/// The calls the functions make, each calibrated with the smallest request of its kind that
/// does what the functions' requests do. `make bench` runs them in this order, so the writes
/// come before the reads that find their items.
#[derive(serde::Deserialize, Clone, Copy)]
enum Call {
    /// One item.
    PutItem,
    /// Two puts, as the functions' transactions write a record and its index entry.
    TransactWriteItems,
    /// One attribute of one item.
    UpdateItem,
    /// One item, consistently.
    GetItem,
    /// A partition of two items.
    Query,
    /// Two items.
    BatchGetItem,
    /// Two items, as an order of two instructions writes their links.
    BatchWriteItem,
    /// A body the size of a work message.
    SendMessage,
    /// Two such bodies, as an order queues its due instructions.
    SendMessageBatch,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Event {
    call: Option<Call>,
}

type Item = HashMap<String, AttributeValue>;

const PARTITION: &str = "BENCH#calibration";
const SORTS: [&str; 2] = ["ITEM#1", "ITEM#2"];
const MESSAGE: &str = r#"{"tenantId":"ef848af6-4d8f-4b62-88c4-4856dd2aec02","accountId":"1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c","orderRef":"bench-order-000001","instructionRef":"payout-1"}"#;

struct Clients {
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    table: String,
    queue_url: String,
}

fn key(sort: &str) -> Item {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(PARTITION.to_owned())),
        ("SK".to_owned(), AttributeValue::S(sort.to_owned())),
    ])
}

fn item(sort: &str) -> Item {
    let mut item = key(sort);
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

async fn handle(clients: &Clients, call: Call) -> Result<(), Error> {
    let (dynamodb, table) = (&clients.dynamodb, &clients.table);
    match call {
        Call::PutItem => {
            let put = dynamodb.put_item().table_name(table);
            put.set_item(Some(item(SORTS[0]))).send().await?;
        }
        Call::TransactWriteItems => {
            let mut transaction = dynamodb.transact_write_items();
            for sort in SORTS {
                let put = Put::builder()
                    .table_name(table)
                    .set_item(Some(item(sort)))
                    .build()?;
                transaction =
                    transaction.transact_items(TransactWriteItem::builder().put(put).build());
            }
            transaction.send().await?;
        }
        Call::UpdateItem => {
            dynamodb
                .update_item()
                .table_name(table)
                .set_key(Some(key(SORTS[0])))
                .update_expression("SET #status = :status")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", AttributeValue::S("ACTIVE".into()))
                .send()
                .await?;
        }
        Call::GetItem => {
            let get = dynamodb.get_item().table_name(table).consistent_read(true);
            get.set_key(Some(key(SORTS[0]))).send().await?;
        }
        Call::Query => {
            dynamodb
                .query()
                .table_name(table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(PARTITION.into()))
                .send()
                .await?;
        }
        Call::BatchGetItem => {
            let keys = KeysAndAttributes::builder()
                .set_keys(Some(SORTS.map(key).to_vec()))
                .build()?;
            dynamodb
                .batch_get_item()
                .request_items(table, keys)
                .send()
                .await?;
        }
        Call::BatchWriteItem => {
            let mut writes = Vec::new();
            for sort in SORTS {
                let put = PutRequest::builder().set_item(Some(item(sort))).build()?;
                writes.push(WriteRequest::builder().put_request(put).build());
            }
            dynamodb
                .batch_write_item()
                .request_items(table, writes)
                .send()
                .await?;
        }
        Call::SendMessage => {
            let send = clients.sqs.send_message().queue_url(&clients.queue_url);
            send.message_body(MESSAGE).send().await?;
        }
        Call::SendMessageBatch => {
            let mut batch = clients
                .sqs
                .send_message_batch()
                .queue_url(&clients.queue_url);
            for id in ["0", "1"] {
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(id)
                    .message_body(MESSAGE)
                    .build()?;
                batch = batch.entries(entry);
            }
            batch.send().await?;
        }
    }
    Ok(())
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
            let event: Event = serde_json::from_value(event.payload)?;
            if let Some(call) = event.call {
                handle(clients, call).await?;
            }
            Ok::<_, Error>(serde_json::json!({ "statusCode": 200 }))
        },
    ))
    .await
}
