//! Forget leaves no personal data anywhere in the table: the raw items are scanned for every
//! name, email, address, IBAN, account number and metadata value the test wrote, in the vault
//! and in the customer's mandates.

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
pub(crate) async fn table_text(client: &aws_sdk_dynamodb::Client) -> String {
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

    // Mandates: an active one (its instrument carries the debtor's name and IBAN), and a draft.
    let mandates = Client {
        router: test_support::mandates::mandates_router(
            &table,
            &test_support::payments::unreachable_queue(),
        )
        .await,
        ..client.clone()
    };
    test_support::mandates::create_profile(&mandates, "forget-profile").await;
    let debtor_first = format!("First{}", random_upper(8).to_lowercase());
    let debtor_last = format!("Last{}", random_upper(8).to_lowercase());
    let debtor_holder = format!("HOLDER {}", random_upper(10));
    let debtor_email = format!("debtor.{}@example.com", random_upper(8).to_lowercase());
    let debtor_street = format!("Street {}", random_upper(8));
    let debtor_iban = gb_iban(&format!("NWBK{}", random_digits(14)));
    let debtor = json!({
        "firstName": debtor_first, "lastName": debtor_last, "email": debtor_email,
        "address": { "streetAddress": debtor_street, "city": "London", "country": "GB" },
        "iban": debtor_iban, "accountHolderName": debtor_holder,
    });
    let active = test_support::mandates::create_mandate(
        &mandates,
        &customer,
        "forget-profile",
        debtor.clone(),
    )
    .await;
    let mandate_id = active["mandateId"].as_str().unwrap_or_default().to_owned();
    let registered = payments_domain::mandates::register_mandate(
        &table,
        &payments_domain::mandates::SandboxNetwork,
        &payments_domain::mandates::RegisterMandate {
            scope: client.scope.into(),
            mandate_id: payments_domain::ids::MandateId::parse(&mandate_id)
                .unwrap_or_else(|e| panic!("{e:?}")),
        },
        payments_domain::Now::read(),
    )
    .await;
    assert!(registered.is_ok());
    mandates
        .call(
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(json!({ "customerRef": customer, "debtor": debtor, "metadata": { "note": debtor_street } })),
        )
        .await
        .assert_status(201);

    // A reward claimed and settled: its credentials are secrets of the customer.
    let orders = Client {
        router: test_support::payments::orders_router(
            &table,
            &test_support::payments::unreachable_queue(),
            &test_support::payments::unreachable_queue(),
            None,
        )
        .await,
        ..client.clone()
    };
    let gift = test_support::rewards::reward(&table, &client.scope, "Gift Card", &[]).await;
    orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "forget-reward", "instructions": [{
                "instructionRef": "payout", "customerRef": customer, "direction": "Credit",
                "amount": 10, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01" }] })),
        )
        .await
        .assert_status(202);
    let instruction_path = "/v2/order-management/forget-reward/instruction/payout";
    orders
        .call(
            Method::POST,
            &format!("{instruction_path}/authorize-reward"),
            None,
        )
        .await
        .assert_status(201);
    let claim = orders
        .call(
            Method::POST,
            &format!("{instruction_path}/claim-reward"),
            Some(json!({ "rewardId": gift.to_string() })),
        )
        .await;
    claim.assert_status(202);
    let reward_path = claim
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let transaction_id = reward_path.rsplit('/').next().unwrap_or_default();
    let settled = payments_domain::rewards::settle_reward(
        &table,
        &test_support::payments::deployed_apps(&table).await,
        &payments_domain::rewards::SettleReward {
            scope: client.scope.into(),
            customer_ref: payments_domain::refs::CustomerRef::parse(&customer)
                .unwrap_or_else(|e| panic!("{e:?}")),
            transaction_id: payments_domain::ids::TransactionId::parse(transaction_id)
                .unwrap_or_else(|e| panic!("{e:?}")),
        },
        payments_domain::Now::read(),
    )
    .await;
    assert!(settled.is_ok());
    let issued = client.call(Method::GET, &reward_path, None).await;
    let credentials: Vec<String> = issued.body["data"]["credentialList"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|c| c["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(credentials.len(), 2);

    let personal: Vec<&str> = [
        uk_holder.as_str(),
        uk_account.as_str(),
        iban_holder.as_str(),
        iban.as_str(),
        debtor_first.as_str(),
        debtor_last.as_str(),
        debtor_holder.as_str(),
        debtor_email.as_str(),
        debtor_street.as_str(),
        debtor_iban.as_str(),
    ]
    .into_iter()
    .chain(metadata_values.iter().map(String::as_str))
    .chain(credentials.iter().map(String::as_str))
    .collect();
    // Account details and the profile's metadata are sealed under the customer's key
    // (docs/decisions/0019): not even the table before forget shows them; the rest is erased
    // in place by forget.
    let sealed = [
        &uk_holder,
        &uk_account,
        &iban_holder,
        &iban,
        &metadata_values[0],
        &metadata_values[1],
    ];
    let before = table_text(&table_client().await).await;
    for value in &personal {
        let sealed = sealed.iter().any(|s| s.as_str() == *value);
        assert_eq!(
            before.contains(value),
            !sealed,
            "{value}: sealed values are never in the table, the others are until forget"
        );
    }
    // A copy of the customer's items, as a backup or point-in-time recovery keeps them.
    let copy = table_client()
        .await
        .query()
        .table_name(test_support::TABLE_NAME)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!(
                "T#{}#A#{}#CUSTOMER#{customer}",
                client.scope.tenant, client.scope.account
            )),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .items
        .unwrap_or_default();
    let keys = test_support::personal_data_keys(table_client().await).await;
    let sealed_copies: Vec<_> = copy
        .into_iter()
        .filter_map(|item| {
            let subject = item.get("sealedFor")?.as_s().ok()?.clone();
            Some((item, subject))
        })
        .collect();
    assert!(
        sealed_copies.len() >= 3,
        "the accounts and the profile are sealed: {} sealed items",
        sealed_copies.len()
    );
    for (item, subject) in &sealed_copies {
        let key = keys
            .opening_key(subject)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut opened = item.clone();
        payments_aws::store::sealing::open(&mut opened, key.as_ref(), subject)
            .unwrap_or_else(|e| panic!("before forget the copy opens: {e}"));
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
    // The copy taken before forget: with what is left, none of it opens.
    for (item, subject) in &sealed_copies {
        let key = keys
            .opening_key(subject)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(key.is_none(), "the customer's key outlived forget");
        let mut opened = item.clone();
        assert!(payments_aws::store::sealing::open(&mut opened, None, subject).is_err());
        let text = format!("{item:?}");
        for value in &sealed {
            assert!(
                !text.contains(value.as_str()),
                "the copy holds {value} in clear"
            );
        }
    }
    // The books still add up: the instruments are still there, by id.
    let read = client
        .call(Method::GET, &format!("/v2/customer-vault/{customer}"), None)
        .await;
    assert_eq!(
        read.body["financialInstruments"].as_array().map(Vec::len),
        Some(4)
    );
    // The reward claim keeps its status, without the credentials.
    let forgotten_reward = client.call(Method::GET, &reward_path, None).await;
    assert_eq!(
        forgotten_reward.body,
        json!({ "status": "SETTLED", "data": null })
    );
    // The mandate keeps its id, ref and status, without the debtor.
    let mandate = mandates
        .call(
            Method::GET,
            &format!("/v2/mandates/sepa/{mandate_id}"),
            None,
        )
        .await;
    assert_eq!(mandate.body["status"], "Active");
    assert_eq!(mandate.body["debtor"], serde_json::Value::Null);
}

async fn table_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await)
}
