//! What vault changes do to a customer's instructions: closing an instrument sends the READY
//! instructions that use it back to INCOMPLETE at once, and forget leaves no personal data in
//! them (metadata, cancellation reasons, refund reasons), as a raw scan of the table shows.

use http::Method;
use payments_domain::orders::{self, Instruction, InstructionStatus, Orders};
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::vault::Transactions;
use payments_domain::{Now, Secret};
use serde_json::json;
use test_support::{payments, Client};

/// A READY payout due in the future (so nothing executes it) to a new account of `customer`.
async fn ready_payout(
    table: &payments_aws::Store,
    client: &Client,
    customer: &str,
    order: &str,
) -> (Instruction, String) {
    let instrument = payments::bank_account(table, &client.scope, customer).await;
    let scheme = payments::scheme(
        table,
        &client.scope,
        payments_domain::payments::Direction::Credit,
        "SANDBOX",
    )
    .await;
    let body = payments::payout_body(
        customer,
        &instrument,
        &scheme,
        json!(10),
        "EUR",
        "2999-01-01",
    );
    let instruction = payments::create_payout_order(table, &client.scope, order, body).await;
    (instruction, instrument.to_string())
}

async fn status(table: &payments_aws::Store, client: &Client, order: &str) -> InstructionStatus {
    orders::instruction(
        table,
        &client.scope,
        &OrderRef::parse(order).unwrap(),
        &InstructionRef::parse("payout").unwrap(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .status
}

#[tokio::test]
async fn closing_an_instrument_sends_its_ready_instructions_back_to_incomplete() {
    let table = test_support::table().await;
    let vault = Client::admin(payments::vault_router(&table, &payments::unreachable_queue()).await);
    let (_, closing) = ready_payout(&table, &vault, "customer1", "uses-closed").await;
    let (_, other) = ready_payout(&table, &vault, "customer1", "uses-other").await;
    assert_ne!(closing, other);
    assert_eq!(
        status(&table, &vault, "uses-closed").await,
        InstructionStatus::Ready
    );

    let close = format!("/v2/customer-vault/customer1/financial-instrument/{closing}/close");
    vault
        .call(Method::PUT, &close, None)
        .await
        .assert_status(200);
    assert_eq!(
        status(&table, &vault, "uses-closed").await,
        InstructionStatus::Incomplete
    );
    assert_eq!(
        status(&table, &vault, "uses-other").await,
        InstructionStatus::Ready
    );

    // The instruction that lost its instrument can still be cancelled: a cancel names no
    // instrument, so it must not be refused for one.
    let orders = Client {
        router: payments::orders_router(
            &table,
            &payments::unreachable_queue(),
            &payments::unreachable_queue(),
            None,
        )
        .await,
        ..vault.clone()
    };
    let order = orders
        .call(Method::GET, "/v2/order-management/uses-closed", None)
        .await;
    let instruction = order.body["instructionRefs"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    orders
        .call(
            Method::POST,
            &format!("/v2/order-management/uses-closed/instruction/{instruction}/cancel"),
            Some(json!({ "reason": "no account" })),
        )
        .await
        .assert_status(204);
    assert_eq!(
        status(&table, &vault, "uses-closed").await,
        InstructionStatus::Cancelled
    );
}

fn all_text(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> String {
    format!("{item:?}")
}

#[tokio::test]
async fn forget_reaches_the_customers_instructions_and_refunds() {
    let table = test_support::table().await;
    let vault = Client::admin(payments::vault_router(&table, &payments::unreachable_queue()).await);
    let secret = |what: &str| format!("{what}-{}", uuid::Uuid::new_v4().simple());
    let (metadata_value, cancel_reason, refund_reason, order_note) = (
        secret("meta"),
        secret("cancel"),
        secret("refund"),
        secret("order"),
    );

    // A paid instruction with metadata, and a refund of it with a reason.
    let paid = payments::completed_payout(
        &table,
        &vault.scope,
        "forgettable",
        "paid",
        json!(30),
        "EUR",
        json!({ "note": metadata_value }),
    )
    .await;
    let transaction = paid
        .transaction
        .as_ref()
        .map(|t| payments_bodies::vault::transaction_link(t).replacen("/v1/", "/v2/", 1))
        .unwrap_or_default();
    vault
        .call(
            Method::POST,
            &format!("{transaction}/refund"),
            Some(json!({ "amount": 5, "reason": refund_reason })),
        )
        .await
        .assert_status(200);
    // Metadata on the order that holds the paid instruction.
    let order_metadata: payments_domain::metadata::Metadata =
        serde_json::from_value(json!({ "note": order_note })).unwrap_or_else(|e| panic!("{e}"));
    let paid_order = OrderRef::parse("paid").unwrap_or_else(|e| panic!("{e:?}"));
    assert!(table
        .set_order_metadata(&vault.scope, &paid_order, &order_metadata)
        .await
        .unwrap_or_else(|e| panic!("{e}")));
    // A cancelled instruction with a reason.
    let (mut cancelled, _) = ready_payout(&table, &vault, "forgettable", "cancelled").await;
    let read = cancelled.version;
    cancelled
        .cancel(
            vault.scope.account.to_string(),
            Some(Secret::new(cancel_reason.clone())),
            Now::read().epoch_ms(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(table
        .save_instruction(&vault.scope, &cancelled, read)
        .await
        .unwrap_or(false));

    let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
    let scan = || async {
        let pages: Vec<_> = client
            .scan()
            .table_name(test_support::TABLE_NAME)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        pages
            .into_iter()
            .map(|item| all_text(&item.unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Sealed (docs/decisions/0019): read back through the store, never in the table in clear.
    let read_back = || async {
        let customer = CustomerRef::parse("forgettable").unwrap_or_else(|e| panic!("{e:?}"));
        let transactions = table
            .transactions_of(&vault.scope, &customer)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut read = serde_json::to_string(&transactions).unwrap_or_default();
        for order in ["paid", "cancelled"] {
            let order = OrderRef::parse(order).unwrap_or_else(|e| panic!("{e:?}"));
            let (header, instructions) = table
                .order(&vault.scope, &order)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("no order {order:?}"));
            read.push_str(&serde_json::to_string(&header).unwrap_or_default());
            for instruction in instructions {
                let instruction = table
                    .instruction(&vault.scope, &order, &instruction)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                read.push_str(&serde_json::to_string(&instruction).unwrap_or_default());
            }
        }
        read
    };
    let before = scan().await;
    let read = read_back().await;
    for value in [&metadata_value, &cancel_reason, &refund_reason, &order_note] {
        assert!(!before.contains(value.as_str()), "{value} in clear");
        assert!(read.contains(value.as_str()), "{value} does not read back");
    }

    vault
        .call(Method::POST, "/v2/customer-vault/forgettable/forget", None)
        .await
        .assert_status(200);

    let after = read_back().await;
    for value in [&metadata_value, &cancel_reason, &refund_reason, &order_note] {
        assert!(
            !after.contains(value.as_str()),
            "personal data survived forget"
        );
    }
    // The books still add up.
    // Money still moves for a forgotten customer, without personal data: a refund without a
    // reason is taken, one with a reason refused.
    vault
        .call(
            Method::POST,
            &format!("{transaction}/refund"),
            Some(json!({ "amount": 5 })),
        )
        .await
        .assert_status(200);
    let refused = vault
        .call(
            Method::POST,
            &format!("{transaction}/refund"),
            Some(json!({ "amount": 5, "reason": "a reason" })),
        )
        .await;
    refused.assert_status(400);
    assert_eq!(refused.error_codes(), vec!["CUSTOMER_FORGOTTEN"]);
    let transaction = vault.call(Method::GET, &transaction, None).await.body;
    assert_eq!(transaction["amount"], json!(30));
    assert_eq!(transaction["refunds"][0]["status"], "PENDING");
    assert_eq!(transaction["refunds"].as_array().map(Vec::len), Some(2));
}
