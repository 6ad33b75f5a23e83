//! Concurrent requests leave the vault correct: forget racing account additions leaves no
//! account details behind, and close racing wallet additions never leaves a closed instrument in
//! the wallet.

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
