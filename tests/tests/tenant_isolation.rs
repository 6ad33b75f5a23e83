//! Nothing created under one tenant can be read, changed, closed, wallet-toggled or forgotten
//! from another, whether the other tenant uses its own headers or the victim's.

use http::Method;
use payments_core::http::ErrorFormat;
use payments_core::vault::VaultStore;
use serde_json::json;
use test_support::Client;

#[tokio::test]
async fn another_tenant_cannot_reach_a_customer() {
    let table = test_support::table().await;
    let vault_router =
        test_support::payments::vault_router(&table, &test_support::payments::unreachable_queue())
            .await;
    let wallet_router = customer_wallet::router(
        customer_wallet::AppState {
            vault: VaultStore::new(table),
        },
        test_support::edge(ErrorFormat::A),
    );
    let owner = Client::admin(vault_router.clone());
    let intruder = Client::admin(vault_router);
    let owner_wallet = Client {
        router: wallet_router.clone(),
        ..owner.clone()
    };
    let intruder_wallet = Client {
        router: wallet_router,
        ..intruder.clone()
    };

    owner
        .call(
            Method::PUT,
            "/v2/customer-vault/shared-ref",
            Some(json!({ "metadata": { "k": "secret" } })),
        )
        .await
        .assert_status(202);
    let created = owner
        .call(
            Method::POST,
            "/v2/customer-vault/shared-ref/uk-bank-account",
            Some(json!({ "accountHolderName": "OWNER", "accountNumber": "11112222", "sortCode": "123456" })),
        )
        .await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    owner_wallet
        .call(
            Method::POST,
            &format!("/v1/customer-vault/shared-ref/wallet/financial-instrument/{id}"),
            None,
        )
        .await
        .assert_status(202);
    let instrument = format!("/v2/customer-vault/shared-ref/financial-instrument/{id}");

    // With its own headers the intruder sees an empty customer of its own and no instrument.
    let seen = intruder
        .call(Method::GET, "/v2/customer-vault/shared-ref", None)
        .await;
    assert_eq!(seen.body["metadata"], json!({}));
    assert_eq!(seen.body["financialInstruments"], json!([]));
    intruder
        .call(Method::GET, &instrument, None)
        .await
        .assert_status(404);
    intruder
        .call(Method::PUT, &format!("{instrument}/close"), None)
        .await
        .assert_status(404);
    let toggle = format!("/v1/customer-vault/shared-ref/wallet/financial-instrument/{id}");
    intruder_wallet
        .call(Method::DELETE, &toggle, None)
        .await
        .assert_status(404);
    intruder_wallet
        .call(Method::POST, &toggle, None)
        .await
        .assert_status(404);
    let wallet = intruder_wallet
        .call(Method::GET, "/v1/customer-vault/shared-ref/wallet", None)
        .await;
    assert_eq!(wallet.body["financialInstruments"], json!([]));
    intruder
        .call(
            Method::PUT,
            "/v2/customer-vault/shared-ref",
            Some(json!({ "metadata": { "k": "overwritten" } })),
        )
        .await
        .assert_status(202);
    intruder
        .call(Method::POST, "/v2/customer-vault/shared-ref/forget", None)
        .await
        .assert_status(200);

    // With the owner's headers and its own token it is refused outright.
    let spoofing = Client {
        scope: owner.scope,
        ..intruder.clone()
    };
    for (method, path) in [
        (Method::GET, "/v2/customer-vault/shared-ref".to_owned()),
        (Method::GET, instrument.clone()),
        (Method::PUT, format!("{instrument}/close")),
        (
            Method::POST,
            "/v2/customer-vault/shared-ref/forget".to_owned(),
        ),
    ] {
        let reply = spoofing.call(method, &path, None).await;
        reply.assert_status(403);
    }
    let spoofing_wallet = Client {
        scope: owner.scope,
        ..intruder_wallet.clone()
    };
    spoofing_wallet
        .call(Method::DELETE, &toggle, None)
        .await
        .assert_status(403);

    // The owner's customer is untouched.
    let mine = owner
        .call(Method::GET, "/v2/customer-vault/shared-ref", None)
        .await;
    assert_eq!(mine.body["status"], "ACTIVE");
    assert_eq!(mine.body["metadata"], json!({ "k": "secret" }));
    assert_eq!(mine.body["financialInstruments"][0]["status"], "ACTIVE");
    assert_eq!(
        mine.body["financialInstruments"][0]["wallet"],
        json!({ "enabled": true })
    );
    assert_eq!(
        mine.body["financialInstruments"][0]["details"]["accountHolderName"],
        "OWNER"
    );
}
