//! Every customer-wallet route through the router, against moto. Instruments are added with
//! the vault's store, as the customer-vault function would.

use http::Method;
use payments_aws::Store;
use payments_domain::auth::Role;
use payments_domain::bank::{AccountHolderName, SortCode, UkAccountNumber};
use payments_domain::refs::CustomerRef;
use payments_domain::vault::{AccountDetails, Customers, FinancialInstrument};
use payments_domain::{Now, Secret};
use serde_json::json;
use test_support::Client;

async fn setup() -> (Client, Store) {
    let vault = test_support::table().await;
    let client = Client::admin(test_support::payments::wallet_router(&vault).await);
    (client, vault)
}

async fn add_account(client: &Client, vault: &Store, customer: &str) -> String {
    let details = AccountDetails::Uk {
        holder_name: Secret::new(AccountHolderName::parse("JANE ROE").unwrap()),
        account_number: Secret::new(UkAccountNumber::parse("12345678").unwrap()),
        sort_code: SortCode::parse("400515").unwrap(),
    };
    let customer = CustomerRef::parse(customer).unwrap();
    let instrument = FinancialInstrument::new(customer, details, Now::read().epoch_ms());
    vault
        .add_instrument(&client.scope, &instrument)
        .await
        .unwrap();
    instrument.id.to_string()
}

fn wallet_path(customer: &str, id: &str) -> String {
    format!("/v1/customer-vault/{customer}/wallet/financial-instrument/{id}")
}

#[tokio::test]
async fn instruments_enter_and_leave_the_wallet() {
    let (client, vault) = setup().await;
    let id = add_account(&client, &vault, "w1").await;
    let other = add_account(&client, &vault, "w1").await;

    let empty = client
        .call(Method::GET, "/v1/customer-vault/w1/wallet", None)
        .await;
    empty.assert_status(200);
    assert_eq!(empty.body["financialInstruments"], json!([]));
    assert_eq!(empty.body["status"], "ACTIVE");

    let add = Some(json!({ "reason": "Adding financial instrument to wallet." }));
    client
        .call(Method::POST, &wallet_path("w1", &id), add.clone())
        .await
        .assert_status(202);
    client
        .call(Method::POST, &wallet_path("w1", &id), add)
        .await
        .assert_status(202);

    let wallet = client
        .call(Method::GET, "/v1/customer-vault/w1/wallet", None)
        .await;
    let href = format!("/v1/customer-vault/w1/financial-instrument/{id}");
    assert_eq!(
        wallet.body["_links"],
        json!({ "self": { "href": "/v1/customer-vault/w1" }, "financialInstruments": [{ "href": href, "name": id }] })
    );
    let listed = wallet.body["financialInstruments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        listed.len(),
        1,
        "only wallet instruments are listed, not {other}"
    );
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["wallet"], json!({ "enabled": true }));
    assert!(listed[0]["createdDate"].is_i64());
    assert_eq!(listed[0]["details"]["accountNumber"], "****5678");

    client
        .call(Method::DELETE, &wallet_path("w1", &id), None)
        .await
        .assert_status(202);
    client
        .call(Method::DELETE, &wallet_path("w1", &id), None)
        .await
        .assert_status(202);
    let wallet = client
        .call(Method::GET, "/v1/customer-vault/w1/wallet", None)
        .await;
    assert_eq!(wallet.body["financialInstruments"], json!([]));
}

#[tokio::test]
async fn unknown_closed_and_invalid_requests_are_refused() {
    let (client, vault) = setup().await;
    let id = add_account(&client, &vault, "w2").await;
    let unknown = payments_domain::ids::FinancialInstrumentId::new_random().to_string();

    let reply = client
        .call(Method::POST, &wallet_path("w2", &unknown), None)
        .await;
    reply.assert_status(404);
    assert_eq!(reply.error_codes(), vec!["FINANCIAL_INSTRUMENT_NOT_FOUND"]);
    client
        .call(Method::DELETE, &wallet_path("w2", &unknown), None)
        .await
        .assert_status(404);

    let reply = client
        .call(
            Method::POST,
            &wallet_path("w2", &id),
            Some(json!({ "reason": "r".repeat(101) })),
        )
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.body["errors"][0],
        json!({
            "errorCode": "REASON_LENGTH_OUT_OF_RANGE",
            "message": "Reason exceeds the maximum length 100.",
            "messageTemplate": "Reason exceeds the maximum length {MaxLength}.",
            "metadata": { "maxLength": 100 },
        })
    );
    client
        .call(
            Method::POST,
            &wallet_path("w2", &id),
            Some(json!({ "reason": "r".repeat(100) })),
        )
        .await
        .assert_status(202);
    client
        .call(
            Method::POST,
            &wallet_path("w2", &id),
            Some(json!({ "reason": null })),
        )
        .await
        .assert_status(202);

    let reply = client
        .call(
            Method::POST,
            &wallet_path("bad%20ref!", "nope"),
            Some(json!({ "reason": 1 })),
        )
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.error_codes(),
        vec![
            "CUSTOMER_REF_IS_INVALID",
            "FINANCIAL_INSTRUMENT_ID_IS_INVALID",
            "REASON_IS_INVALID"
        ]
    );

    // Closing takes it out of the wallet, and a closed instrument cannot come back.
    let customer = CustomerRef::parse("w2").unwrap();
    let fi = payments_domain::ids::FinancialInstrumentId::parse(&id).unwrap();
    vault
        .close_instrument(&client.scope, &customer, fi, Now::read())
        .await
        .unwrap();
    let wallet = client
        .call(Method::GET, "/v1/customer-vault/w2/wallet", None)
        .await;
    assert_eq!(wallet.body["financialInstruments"], json!([]));
    let reply = client
        .call(Method::POST, &wallet_path("w2", &id), None)
        .await;
    reply.assert_status(400);
    assert_eq!(reply.error_codes(), vec!["FINANCIAL_INSTRUMENT_INACTIVE"]);
    client
        .call(Method::DELETE, &wallet_path("w2", &id), None)
        .await
        .assert_status(202);
}

#[tokio::test]
async fn each_route_admits_exactly_its_roles() {
    let (client, vault) = setup().await;
    let id = add_account(&client, &vault, "w3").await;
    for route in customer_wallet::api().table() {
        let path = route
            .path
            .replace("{customerRef}", "w3")
            .replace("{financialInstrumentId}", &id);
        for role in Role::ALL {
            let reply = client
                .with_roles(&[role.as_str()])
                .call(route.method.clone(), &path, None)
                .await;
            assert_eq!(
                reply.status.as_u16() == 403,
                !route.roles.contains(&role),
                "{} {} as {}",
                route.method,
                route.path,
                role.as_str()
            );
        }
        let reply = client
            .with_token(None)
            .call(route.method.clone(), &path, None)
            .await;
        reply.assert_status(401);
    }
}
