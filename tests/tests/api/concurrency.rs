//! Concurrent requests leave the vault correct: forget racing account additions leaves no
//! account details behind, forget racing refunds, orders and reward claims leaves none of their
//! personal data readable, and close racing wallet additions never leaves a closed instrument
//! in the wallet.

use http::Method;
use serde_json::{json, Value};
use test_support::payments::wallet_router;
use test_support::Client;

async fn vault_and_wallet() -> (Client, Client) {
    let table = test_support::table().await;
    let vault = Client::admin(
        test_support::payments::vault_router(&table, &test_support::payments::unreachable_queue())
            .await,
    );
    let wallet = Client {
        router: wallet_router(&table).await,
        ..vault.clone()
    };
    (vault, wallet)
}

fn account() -> Value {
    json!({ "accountHolderName": "RACE TEST", "accountNumber": "55556666", "sortCode": "123456" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forget_racing_additions_leaves_no_account_details() {
    let (vault, _) = vault_and_wallet().await;
    let mut adds = Vec::new();
    for _ in 0..8 {
        let client = vault.clone();
        adds.push(tokio::spawn(async move {
            client
                .call(
                    Method::POST,
                    "/v2/customer-vault/racer/uk-bank-account",
                    Some(account()),
                )
                .await
                .status
                .as_u16()
        }));
    }
    let forget = vault
        .call(Method::POST, "/v2/customer-vault/racer/forget", None)
        .await;
    forget.assert_status(200);
    for add in adds {
        let status = add.await.unwrap_or_default();
        assert!(
            status == 201 || status == 400,
            "an addition answered {status}"
        );
    }
    let customer = vault
        .call(Method::GET, "/v2/customer-vault/racer", None)
        .await;
    assert_eq!(customer.body["status"], "FORGOTTEN");
    for instrument in customer.body["financialInstruments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        assert_eq!(
            instrument["details"],
            Value::Null,
            "an account added during forget kept its details"
        );
    }
}

/// Forget racing the writes that carry a customer's personal data: refund reasons, instruction
/// metadata, a reward claim and its credentials. Each write is done before forget (and then
/// erased with its key) or refused with `CUSTOMER_FORGOTTEN`; afterwards none of the data can be
/// read from the table with the keys that are left.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forget_racing_refunds_orders_and_claims_leaves_nothing_readable() {
    let table = test_support::table().await;
    let vault = Client::admin(
        test_support::payments::vault_router(&table, &test_support::payments::unreachable_queue())
            .await,
    );
    let nowhere = test_support::payments::unreachable_queue();
    let orders = Client {
        router: test_support::payments::orders_router(&table, &nowhere, &nowhere, None).await,
        ..vault.clone()
    };
    let customer = "forget-racer";
    let secret = |what: &str| format!("{what}-{}", uuid::Uuid::new_v4().simple());

    let paid = test_support::payments::completed_payout(
        &table,
        &vault.scope,
        customer,
        "race-paid",
        json!(50),
        "EUR",
        json!({}),
    )
    .await;
    let transaction = paid
        .transaction
        .as_ref()
        .map(|t| payments_bodies::vault::transaction_link(t).replacen("/v1/", "/v2/", 1))
        .unwrap_or_default();
    let gift = test_support::rewards::reward(&table, &vault.scope, "Gift Card", &[]).await;
    orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "race-reward", "instructions": [{
                "instructionRef": "payout", "customerRef": customer, "direction": "Credit",
                "amount": 10, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01" }] })),
        )
        .await
        .assert_status(202);
    let reward_instruction = "/v2/order-management/race-reward/instruction/payout";
    orders
        .call(
            Method::POST,
            &format!("{reward_instruction}/authorize-reward"),
            None,
        )
        .await
        .assert_status(201);

    // (the personal value it carries, its request, the statuses it may answer)
    let mut writes = Vec::new();
    for _ in 0..4 {
        let reason = secret("reason");
        let body = json!({ "amount": 1, "reason": reason });
        writes.push((
            reason,
            (vault.clone(), format!("{transaction}/refund"), body),
            200,
        ));
    }
    for i in 0..4 {
        let note = secret("note");
        let body = json!({ "orderRef": format!("race-order-{i}"), "instructions": [{
            "instructionRef": "payout", "customerRef": customer, "direction": "Credit",
            "amount": 10, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
            "metadata": { "note": note } }] });
        writes.push((
            note,
            (orders.clone(), "/v2/order-management".to_owned(), body),
            202,
        ));
    }
    let mut running = Vec::new();
    for (_, (client, path, body), done) in &writes {
        let (client, path, body, done) = (client.clone(), path.clone(), body.clone(), *done);
        running.push(tokio::spawn(async move {
            let reply = client.call(Method::POST, &path, Some(body)).await;
            (reply.status.as_u16(), reply.error_codes(), done)
        }));
    }
    let claim = {
        let orders = orders.clone();
        let body = json!({ "rewardId": gift.to_string() });
        tokio::spawn(async move {
            orders
                .call(
                    Method::POST,
                    &format!("{reward_instruction}/claim-reward"),
                    Some(body),
                )
                .await
        })
    };
    vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{customer}/forget"),
            None,
        )
        .await
        .assert_status(200);
    for write in running {
        let (status, codes, done) = write.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            status == done || (status == 400 && codes == ["CUSTOMER_FORGOTTEN"]),
            "a write racing forget answered {status} {codes:?}"
        );
    }
    let claim = claim.await.unwrap_or_else(|e| panic!("{e}"));
    if claim.status.as_u16() == 202 {
        // Claimed before forget: the provider's credentials arrive after it.
        let location = claim
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let settled =
            test_support::rewards::settle_claim(&table, &vault.scope, customer, &location).await;
        assert!(settled.is_ok(), "{settled:?}");
        let read = vault.call(Method::GET, &location, None).await;
        assert_eq!(
            read.body["data"],
            Value::Null,
            "credentials issued to a forgotten customer"
        );
    } else {
        claim.assert_status(400);
        assert_eq!(claim.error_codes(), ["CUSTOMER_FORGOTTEN"]);
    }

    let readable = crate::forget_scan::readable_text(&vault.scope).await;
    for (value, _, _) in &writes {
        assert!(
            !readable.contains(value.as_str()),
            "{value} readable after forget"
        );
    }
    let customer = vault
        .call(Method::GET, &format!("/v2/customer-vault/{customer}"), None)
        .await;
    assert_eq!(customer.body["status"], "FORGOTTEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_closed_instrument_never_stays_in_the_wallet() {
    let (vault, wallet) = vault_and_wallet().await;
    for round in 0..5 {
        let customer = format!("close-race-{round}");
        let created = vault
            .call(
                Method::POST,
                &format!("/v2/customer-vault/{customer}/uk-bank-account"),
                Some(account()),
            )
            .await;
        let id = created.body["id"].as_str().unwrap_or_default().to_owned();
        let add = {
            let wallet = wallet.clone();
            let path = format!("/v1/customer-vault/{customer}/wallet/financial-instrument/{id}");
            tokio::spawn(
                async move { wallet.call(Method::POST, &path, None).await.status.as_u16() },
            )
        };
        vault
            .call(
                Method::PUT,
                &format!("/v2/customer-vault/{customer}/financial-instrument/{id}/close"),
                None,
            )
            .await
            .assert_status(200);
        let added = add.await.unwrap_or_default();
        assert!(added == 202 || added == 400, "wallet add answered {added}");
        let read = vault
            .call(
                Method::GET,
                &format!("/v2/customer-vault/{customer}/financial-instrument/{id}"),
                None,
            )
            .await;
        assert_eq!(read.body["status"], "INACTIVE");
        assert_eq!(
            read.body["wallet"],
            json!({ "enabled": false }),
            "round {round}"
        );
    }
}
