//! Forget leaves no personal data anywhere in the table, nor in a copy of it taken before: the
//! raw items are scanned for every name, email, address, IBAN, account number, metadata value
//! and reward credential the test wrote, in the vault, the customer's orders and mandates and
//! their recorded events; each is sealed from the start, and after forget nothing of a copy
//! taken before opens with the keys that are left.

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

/// Every item of the table, raw.
async fn scan(
    client: &aws_sdk_dynamodb::Client,
) -> Vec<std::collections::HashMap<String, AttributeValue>> {
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
        .map(|item| item.unwrap_or_else(|e| panic!("scan failed: {e}")))
        .collect()
}

/// Whether `table_text` holds `value`: anywhere for a long one, as a whole attribute for a
/// short one (a four-digit PIN is in many ids and timestamps).
fn holds(table_text: &str, value: &str) -> bool {
    if value.len() >= 8 {
        table_text.contains(value)
    } else {
        table_text.lines().any(|line| line == value)
    }
}

/// Every string anywhere in the table, keys and values.
pub(crate) async fn table_text(client: &aws_sdk_dynamodb::Client) -> String {
    let mut strings = Vec::new();
    for item in scan(client).await {
        for (name, value) in item {
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
    let nowhere = test_support::payments::unreachable_queue();
    let orders = Client {
        router: test_support::payments::orders_router(&table, &nowhere, &nowhere, None).await,
        ..client.clone()
    };
    let gift = test_support::rewards::reward(&table, &client.scope, "Gift Card", &[]).await;
    let order_note = format!("Order note {}", random_upper(10));
    let instruction_note = format!("Holder {}", random_upper(10));
    orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(
                json!({ "orderRef": "forget-reward", "metadata": { "claim": order_note },
                "instructions": [{
                "instructionRef": "payout", "customerRef": customer, "direction": "Credit",
                "amount": 10, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
                "metadata": { "policyHolder": instruction_note } }] }),
            ),
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
    let settled =
        test_support::rewards::settle_claim(&table, &client.scope, &customer, &reward_path).await;
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
        order_note.as_str(),
        instruction_note.as_str(),
    ]
    .into_iter()
    .chain(metadata_values.iter().map(String::as_str))
    .chain(credentials.iter().map(String::as_str))
    .collect();
    // Every personal field is sealed under the key of its subject (docs/decisions/0019): not
    // even the table before forget shows one.
    let before = table_text(&table_client().await).await;
    for value in &personal {
        assert!(!holds(&before, value), "{value} is in the table in clear");
    }
    // A copy of the tenant's sealed items, as a backup or point-in-time recovery keeps them.
    let ours = format!("{}/{}/", client.scope.tenant, client.scope.account);
    let copy: Vec<_> = scan(&table_client().await)
        .await
        .into_iter()
        .filter_map(|item| {
            let subject = item.get("sealedFor")?.as_s().ok()?.clone();
            subject.starts_with(&ours).then_some((item, subject))
        })
        .collect();
    let mut sealed_types: Vec<&str> = copy
        .iter()
        .filter_map(|(item, _)| item.get("itemType")?.as_s().ok().map(String::as_str))
        .collect();
    sealed_types.sort();
    sealed_types.dedup();
    assert_eq!(
        sealed_types,
        [
            "CustomerProfile",
            "FinancialInstrument",
            "Instruction",
            "Mandate",
            "Order",
            "RewardTransaction",
            "TenantEvent"
        ],
        "every kind of item with personal data is sealed"
    );
    let keys = test_support::personal_data_keys(table_client().await).await;
    let opened = open_copy(&keys, &copy).await;
    for value in &personal {
        assert!(
            holds(&opened, value),
            "{value}: before forget the copy opens"
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
        assert!(!holds(&after, value), "personal data survived forget");
    }
    // The copy taken before forget: with the keys that are left, none of it opens.
    let opened = open_copy(&keys, &copy).await;
    for value in &personal {
        assert!(
            !holds(&opened, value),
            "{value} opens from the copy after forget"
        );
    }
    for (_, sealed_for) in &copy {
        let (subject, _) = payments_aws::store::sealing::sealed_by(sealed_for);
        let key = keys
            .opening_key(subject)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(key.is_none(), "the key of {subject} outlived forget");
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

/// Every raw item of `scope`'s tenant and account, with the subject it is sealed for (empty
/// when it is not sealed).
async fn tenant_items(
    scope: &payments_domain::ids::TenantScope,
) -> Vec<(std::collections::HashMap<String, AttributeValue>, String)> {
    let ours = format!("{}/{}/", scope.tenant, scope.account);
    let partition = format!("T#{}#A#{}#", scope.tenant, scope.account);
    scan(&table_client().await)
        .await
        .into_iter()
        .filter_map(|item| {
            let subject = match item.get("sealedFor") {
                Some(subject) => subject.as_s().ok()?.clone(),
                None => String::new(),
            };
            let pk = item.get("PK")?.as_s().ok()?;
            (subject.starts_with(&ours) || pk.starts_with(&partition)).then_some((item, subject))
        })
        .collect()
}

/// The kept answers of `scope`'s idempotency keys, each as the table holds it and as it reads
/// with the keys that are left.
pub(crate) async fn kept_answers(
    scope: &payments_domain::ids::TenantScope,
) -> Vec<(String, String)> {
    let keys = test_support::personal_data_keys(table_client().await).await;
    let mut answers = Vec::new();
    for (item, subject) in tenant_items(scope).await {
        if item
            .get("itemType")
            .and_then(|t| t.as_s().ok())
            .map(String::as_str)
            != Some("IdempotencyKey")
        {
            continue;
        }
        let raw = format!("{item:?}");
        let readable = open_copy(&keys, &[(item, subject)]).await;
        answers.push((raw, readable));
    }
    answers
}

/// The text of every item of `scope`'s tenant and account, as a copy of the table would show
/// it with the keys that are left: each sealed item opened with its subject's key, if any.
pub(crate) async fn readable_text(scope: &payments_domain::ids::TenantScope) -> String {
    let keys = test_support::personal_data_keys(table_client().await).await;
    open_copy(&keys, &tenant_items(scope).await).await
}

/// The text of `copy`, each item opened with the key its subject has now, if any.
async fn open_copy(
    keys: &payments_aws::store::PersonalDataKeys,
    copy: &[(std::collections::HashMap<String, AttributeValue>, String)],
) -> String {
    let mut strings = Vec::new();
    for (item, _) in copy {
        let mut opened = item.clone();
        payments_aws::store::open_sealed(keys, &mut opened)
            .await
            .unwrap_or_else(|e| panic!("a copy that does not open: {e}"));
        for (name, value) in opened {
            strings.push(name);
            all_strings(&value, &mut strings);
        }
    }
    strings.join("\n")
}

async fn table_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await)
}
