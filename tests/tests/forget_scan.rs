//! Forget leaves no personal data anywhere in the table: the raw items are scanned for every
//! name, IBAN, account number and metadata value the test wrote.

use aws_sdk_dynamodb::types::AttributeValue;
use http::Method;
use serde_json::json;
use test_support::Client;

/// A random string of `length` uppercase letters and digits.
fn random_upper(length: usize) -> String {
    uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_uppercase()
        .chars()
        .take(length)
        .collect()
}

fn random_digits(length: usize) -> String {
    uuid::Uuid::new_v4()
        .as_u128()
        .to_string()
        .chars()
        .rev()
        .take(length)
        .collect()
}

/// A GB IBAN for `bank_and_account` (4 letters + 14 digits) with correct check digits.
fn gb_iban(bank_and_account: &str) -> String {
    let rearranged = format!("{bank_and_account}GB00");
    let remainder = rearranged.chars().fold(0u32, |acc, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    });
    format!("GB{:02}{bank_and_account}", 98 - remainder)
}

fn all_strings(value: &AttributeValue, into: &mut Vec<String>) {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => into.push(s.clone()),
        AttributeValue::Ss(list) | AttributeValue::Ns(list) => into.extend(list.iter().cloned()),
        AttributeValue::L(list) => list.iter().for_each(|v| all_strings(v, into)),
        AttributeValue::M(map) => map.iter().for_each(|(k, v)| {
            into.push(k.clone());
            all_strings(v, into)
        }),
        AttributeValue::B(bytes) => into.push(String::from_utf8_lossy(bytes.as_ref()).into_owned()),
        _ => {}
    }
}

/// Every string anywhere in the table, keys and values.
async fn table_text(client: &aws_sdk_dynamodb::Client) -> String {
    let pages: Vec<_> = client
        .scan()
        .table_name(test_support::TABLE_NAME)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    let mut strings = Vec::new();
    for item in pages {
        for (name, value) in item.unwrap_or_else(|e| panic!("scan failed: {e}")) {
            strings.push(name);
            all_strings(&value, &mut strings);
        }
    }
    strings.join("\n")
}

#[tokio::test]
async fn forget_leaves_no_personal_data_in_the_table() {
    let table = test_support::table().await;
    let client = Client::admin(
        test_support::payments::vault_router(&table, &test_support::payments::unreachable_queue())
            .await,
    );
    let customer = format!("forget-{}", random_upper(8));

    let uk_holder = format!("UK {}", random_upper(12));
    let uk_account = random_digits(8);
    let iban_holder = format!("Iban Holder {}", random_upper(10));
    let iban = gb_iban(&format!("NWBK{}", random_digits(14)));
    let metadata_values = [
        format!("email-{}@example.com", random_upper(6)),
        random_upper(20),
    ];

    client
        .call(
            Method::PUT,
            &format!("/v2/customer-vault/{customer}"),
            Some(
                json!({ "metadata": { "email": metadata_values[0], "note": metadata_values[1] } }),
            ),
        )
        .await
        .assert_status(202);
    client
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{customer}/uk-bank-account"),
            Some(json!({ "accountHolderName": uk_holder, "accountNumber": uk_account, "sortCode": "400515" })),
        )
        .await
        .assert_status(201);
    client
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{customer}/international-bank-account"),
            Some(json!({ "name": iban_holder, "iban": iban, "bic": "NWBKGB2L" })),
        )
        .await
        .assert_status(201);

    let personal: Vec<&str> = [
        uk_holder.as_str(),
        uk_account.as_str(),
        iban_holder.as_str(),
        iban.as_str(),
    ]
    .into_iter()
    .chain(metadata_values.iter().map(String::as_str))
    .collect();
    let before = table_text(&table_client().await).await;
    for value in &personal {
        assert!(
            before.contains(value),
            "the test's data should be in the table before forget"
        );
    }

    client
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{customer}/forget"),
            None,
        )
        .await
        .assert_status(200);

    let after = table_text(&table_client().await).await;
    for value in &personal {
        assert!(!after.contains(value), "personal data survived forget");
    }
    // The books still add up: the instruments are still there, by id.
    let read = client
        .call(Method::GET, &format!("/v2/customer-vault/{customer}"), None)
        .await;
    assert_eq!(
        read.body["financialInstruments"].as_array().map(Vec::len),
        Some(2)
    );
}

async fn table_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await)
}
