//! Every customer-vault route through the router, against moto.

use http::Method;
use serde_json::{json, Value};

const UK_ACCOUNT: &str = "/v2/customer-vault/{c}/uk-bank-account";
const IBAN_ACCOUNT: &str = "/v2/customer-vault/{c}/international-bank-account";

fn path(template: &str, customer: &str) -> String {
    template.replace("{c}", customer)
}

fn uk_account() -> Value {
    json!({ "accountHolderName": "JOHN DOE", "accountNumber": "99999911", "sortCode": "111211" })
}

#[tokio::test]
async fn an_unknown_customer_reads_as_empty_and_active() {
    let client = test_support::payments::vault_admin().await;
    let reply = client
        .call(Method::GET, "/v2/customer-vault/customer1", None)
        .await;
    reply.assert_status(200);
    assert_eq!(
        reply.body,
        json!({
            "_links": { "self": { "href": "/v1/customer-vault/customer1" }, "financialInstruments": [] },
            "status": "ACTIVE",
            "metadata": {},
            "financialInstruments": [],
        })
    );
}

#[tokio::test]
async fn metadata_is_replaced_by_put_and_cleared_by_null() {
    let client = test_support::payments::vault_admin().await;
    let put = |metadata: Value| {
        client.call(
            Method::PUT,
            "/v2/customer-vault/c1",
            Some(json!({ "metadata": metadata })),
        )
    };
    put(json!({"a": "1", "b": "2"})).await.assert_status(202);
    put(json!({"c": "3"})).await.assert_status(202);
    let reply = client
        .call(Method::GET, "/v2/customer-vault/c1", None)
        .await;
    assert_eq!(reply.body["metadata"], json!({"c": "3"}));
    put(Value::Null).await.assert_status(202);
    let reply = client
        .call(Method::GET, "/v2/customer-vault/c1", None)
        .await;
    assert_eq!(reply.body["metadata"], json!({}));
}

#[tokio::test]
async fn a_uk_bank_account_is_added_and_read_back_masked() {
    let client = test_support::payments::vault_admin().await;
    let created = client
        .call(
            Method::POST,
            &path(UK_ACCOUNT, "cust-1"),
            Some(uk_account()),
        )
        .await;
    created.assert_status(201);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let href = format!("/v1/customer-vault/cust-1/financial-instrument/{id}");
    assert_eq!(
        created.body["_links"]["self"],
        json!({ "href": href, "name": id })
    );
    assert_eq!(created.headers["location"], href.as_str());

    let instrument = client
        .call(
            Method::GET,
            &format!("/v2/customer-vault/cust-1/financial-instrument/{id}"),
            None,
        )
        .await;
    instrument.assert_status(200);
    let body = &instrument.body;
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["type"], "BANK_ACCOUNT:UK");
    assert_eq!(body["status"], "ACTIVE");
    assert_eq!(body["displayName"], "UK bank account ****9911");
    assert!(body["createdDate"].is_i64());
    assert_eq!(
        body["capabilities"],
        json!({ "valueType": "VARIABLE", "usageType": "MULTIPLE", "canCredit": true, "canDebit": false })
    );
    assert_eq!(body["wallet"], json!({ "enabled": false }));
    assert_eq!(
        body["details"],
        json!({
            "financialInstrumentType": "BANK_ACCOUNT:UK",
            "accountHolderName": "JOHN DOE",
            "accountNumber": "****9911",
            "sortCode": "111211",
        })
    );
    assert!(!instrument.body.to_string().contains("99999911"));

    // The same through the /v1 link target, and in the customer's list.
    let v1 = client.call(Method::GET, &href, None).await;
    assert_eq!(v1.body, instrument.body);
    let customer = client
        .call(Method::GET, "/v1/customer-vault/cust-1", None)
        .await;
    customer.assert_status(200);
    let listed = &customer.body["financialInstruments"][0];
    assert_eq!(listed["id"], id.as_str());
    assert!(listed["createdTimestamp"].is_i64());
    assert!(listed.get("createdDate").is_none());
    assert_eq!(
        customer.body["_links"]["financialInstruments"][0],
        json!({ "href": href, "name": id })
    );
}

#[tokio::test]
async fn an_international_bank_account_is_normalised_and_masked() {
    let client = test_support::payments::vault_admin().await;
    let created = client
        .call(
            Method::POST,
            &path(IBAN_ACCOUNT, "c2"),
            Some(json!({ "name": "John Doe", "iban": "gb29 nwbk 6016 1331 9268 19", "bic": "nwbkgb2l" })),
        )
        .await;
    created.assert_status(201);
    let id = created.body["id"].as_str().unwrap_or_default();
    let read = client
        .call(
            Method::GET,
            &format!("/v2/customer-vault/c2/financial-instrument/{id}"),
            None,
        )
        .await;
    assert_eq!(read.body["type"], "BANK_ACCOUNT:IBAN");
    assert_eq!(read.body["displayName"], "Bank account ****6819");
    assert_eq!(
        read.body["details"],
        json!({
            "financialInstrumentType": "BANK_ACCOUNT:IBAN",
            "accountHolderName": "John Doe",
            "iban": "******************6819",
            "bic": "NWBKGB2L",
            "country": "GB",
        })
    );
    // Only the IBAN is required.
    client
        .call(
            Method::POST,
            &path(IBAN_ACCOUNT, "c2"),
            Some(json!({ "iban": "DE89370400440532013000" })),
        )
        .await
        .assert_status(201);
}

#[tokio::test]
async fn every_invalid_field_is_reported_in_one_answer() {
    let client = test_support::payments::vault_admin().await;
    let cases: Vec<(&str, Option<Value>, Vec<&str>)> = vec![
        (
            UK_ACCOUNT,
            Some(json!({})),
            vec![
                "ACCOUNT_HOLDER_NAME_IS_REQUIRED",
                "ACCOUNT_NUMBER_IS_REQUIRED",
                "SORT_CODE_IS_REQUIRED",
            ],
        ),
        (
            UK_ACCOUNT,
            Some(json!({ "accountHolderName": null, "accountNumber": null, "sortCode": null })),
            vec![
                "ACCOUNT_HOLDER_NAME_IS_REQUIRED",
                "ACCOUNT_NUMBER_IS_REQUIRED",
                "SORT_CODE_IS_REQUIRED",
            ],
        ),
        (
            UK_ACCOUNT,
            Some(
                json!({ "accountHolderName": "John Doe", "accountNumber": "1234567", "sortCode": "12345" }),
            ),
            vec![
                "ACCOUNT_HOLDER_NAME_IS_INVALID",
                "ACCOUNT_NUMBER_IS_INVALID",
                "SORT_CODE_IS_INVALID",
            ],
        ),
        (
            UK_ACCOUNT,
            Some(
                json!({ "accountHolderName": 7, "accountNumber": 99999911, "sortCode": ["111211"] }),
            ),
            vec![
                "ACCOUNT_HOLDER_NAME_IS_INVALID",
                "ACCOUNT_NUMBER_IS_INVALID",
                "SORT_CODE_IS_INVALID",
            ],
        ),
        (
            UK_ACCOUNT,
            Some(
                json!({ "accountHolderName": "JO", "accountNumber": "9999991a", "sortCode": "111211" }),
            ),
            vec![
                "ACCOUNT_HOLDER_NAME_LENGTH_OUT_OF_RANGE",
                "ACCOUNT_NUMBER_IS_INVALID",
            ],
        ),
        (
            UK_ACCOUNT,
            Some(
                json!({ "accountHolderName": "A".repeat(19), "accountNumber": "99999911", "sortCode": "111211" }),
            ),
            vec!["ACCOUNT_HOLDER_NAME_LENGTH_OUT_OF_RANGE"],
        ),
        (
            UK_ACCOUNT,
            Some(
                json!({ "accountHolderName": "JOHN_DOE", "accountNumber": "99999911", "sortCode": "11-12-1x" }),
            ),
            vec!["ACCOUNT_HOLDER_NAME_IS_INVALID", "SORT_CODE_IS_INVALID"],
        ),
        (UK_ACCOUNT, None, vec!["BODY_IS_REQUIRED"]),
        (UK_ACCOUNT, Some(json!([1, 2])), vec!["BODY_IS_INVALID"]),
        (IBAN_ACCOUNT, Some(json!({})), vec!["IBAN_IS_REQUIRED"]),
        (
            IBAN_ACCOUNT,
            Some(json!({ "iban": "GB29NWBK60161331926818" })),
            vec!["IBAN_IS_INVALID"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "iban": "GB29NWBK6016133192681" })),
            vec!["IBAN_LENGTH_OUT_OF_RANGE"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "iban": "ZZ29NWBK60161331926819" })),
            vec!["IBAN_COUNTRY_IS_INVALID"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "iban": "GB29NWBK6016133192681!" })),
            vec!["IBAN_IS_INVALID"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "iban": "GB29NWBK60161331926819", "bic": "DEUTDEFF" })),
            vec!["BIC_COUNTRY_MISMATCH"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "iban": "GB29NWBK60161331926819", "bic": "NWBKGB2" })),
            vec!["BIC_LENGTH_OUT_OF_RANGE"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "iban": "GB29NWBK60161331926819", "bic": "NWB1GB2L" })),
            vec!["BIC_IS_INVALID"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "name": "x".repeat(141), "iban": 12, "bic": false })),
            vec![
                "NAME_LENGTH_OUT_OF_RANGE",
                "IBAN_IS_INVALID",
                "BIC_IS_INVALID",
            ],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "name": "bad\u{0007}name", "iban": "GB29NWBK60161331926819" })),
            vec!["NAME_IS_INVALID"],
        ),
        (
            IBAN_ACCOUNT,
            Some(json!({ "name": "   ", "iban": "GB29NWBK60161331926819" })),
            vec!["NAME_LENGTH_OUT_OF_RANGE"],
        ),
    ];
    for (route, body, expected) in cases {
        let reply = client
            .call(Method::POST, &path(route, "c3"), body.clone())
            .await;
        assert_eq!(
            reply.status.as_u16(),
            400,
            "{route} {body:?}: {}",
            reply.body
        );
        assert_eq!(reply.error_codes(), expected, "{route} {body:?}");
        assert!(reply.body["timestamp"].is_i64() && reply.body["correlationId"].is_string());
    }
    // Nothing was written by any of them.
    let customer = client
        .call(Method::GET, "/v2/customer-vault/c3", None)
        .await;
    assert_eq!(customer.body["financialInstruments"], json!([]));
}

#[tokio::test]
async fn bad_path_parameters_and_bodies_are_400s_never_500s() {
    let client = test_support::payments::vault_admin().await;
    let long = "a".repeat(51);
    let cases = [
        (
            Method::GET,
            "/v2/customer-vault/bad%20ref".to_owned(),
            None,
            vec!["CUSTOMER_REF_IS_INVALID"],
        ),
        (
            Method::GET,
            format!("/v2/customer-vault/{long}"),
            None,
            vec!["CUSTOMER_REF_LENGTH_OUT_OF_RANGE"],
        ),
        (
            Method::GET,
            "/v2/customer-vault/c1/financial-instrument/not-a-uuid".to_owned(),
            None,
            vec!["FINANCIAL_INSTRUMENT_ID_IS_INVALID"],
        ),
        (
            Method::GET,
            "/v2/customer-vault/b%21d/financial-instrument/1AA81E1E-B072-4E64-B1EC-FDCC54F2D08C"
                .to_owned(),
            None,
            vec![
                "CUSTOMER_REF_IS_INVALID",
                "FINANCIAL_INSTRUMENT_ID_IS_INVALID",
            ],
        ),
        (
            Method::GET,
            "/v2/customer-vault/%FF".to_owned(),
            None,
            vec!["PATH_PARAMETER_IS_INVALID"],
        ),
        (
            Method::PUT,
            "/v2/customer-vault/c1".to_owned(),
            None,
            vec!["BODY_IS_REQUIRED"],
        ),
        (
            Method::PUT,
            "/v2/customer-vault/c1".to_owned(),
            Some(json!({ "metadata": "x" })),
            vec!["METADATA_IS_INVALID"],
        ),
        (
            Method::PUT,
            "/v2/customer-vault/c1".to_owned(),
            Some(json!({ "metadata": { "": "v", "k": 1 } })),
            vec![
                "METADATA_KEY_SIZE_OUT_OF_RANGE",
                "METADATA_VALUE_IS_INVALID",
            ],
        ),
        (
            Method::PUT,
            format!("/v2/customer-vault/{long}"),
            Some(json!({ "metadata": { "k": "v".repeat(257) } })),
            vec![
                "CUSTOMER_REF_LENGTH_OUT_OF_RANGE",
                "METADATA_VALUE_SIZE_OUT_OF_RANGE",
            ],
        ),
        (
            Method::PUT,
            "/v2/customer-vault/c1/financial-instrument/1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c/close"
                .to_owned(),
            Some(json!({ "reason": "r".repeat(257) })),
            vec!["REASON_LENGTH_OUT_OF_RANGE"],
        ),
        (
            Method::PUT,
            "/v2/customer-vault/c1/financial-instrument/1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c/close"
                .to_owned(),
            Some(json!({ "reason": 5 })),
            vec!["REASON_IS_INVALID"],
        ),
    ];
    for (method, uri, body, expected) in cases {
        let reply = client.call(method.clone(), &uri, body).await;
        assert_eq!(reply.status.as_u16(), 400, "{method} {uri}: {}", reply.body);
        assert_eq!(reply.error_codes(), expected, "{method} {uri}");
    }

    let sixteen: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("k{i}"), json!("v"))).collect();
    let reply = client
        .call(
            Method::PUT,
            "/v2/customer-vault/c1",
            Some(json!({ "metadata": sixteen })),
        )
        .await;
    assert_eq!(reply.error_codes(), vec!["METADATA_KEY_COUNT_OUT_OF_RANGE"]);
    assert_eq!(
        reply.body["errors"][0]["metadata"],
        json!({ "maxCount": 15 })
    );

    let malformed = client
        .send(
            client
                .request(Method::PUT, "/v2/customer-vault/c1")
                .body("{\"metadata\": ".into())
                .unwrap(),
        )
        .await;
    malformed.assert_status(400);
    assert_eq!(malformed.error_codes(), vec!["BODY_IS_INVALID"]);
}

#[tokio::test]
async fn a_body_over_256_kib_is_refused_with_413_in_format_c() {
    let client = test_support::payments::vault_admin().await;
    let huge = json!({ "metadata": { "k": "v".repeat(300 * 1024) } });
    let reply = client
        .call(Method::PUT, "/v2/customer-vault/c1", Some(huge))
        .await;
    reply.assert_status(413);
    assert_eq!(reply.body["status"], 413);
    assert_eq!(reply.body["instance"], "/v2/customer-vault/c1");
}

#[tokio::test]
async fn closing_an_instrument_makes_it_inactive_and_is_idempotent() {
    let client = test_support::payments::vault_admin().await;
    let created = client
        .call(Method::POST, &path(UK_ACCOUNT, "c4"), Some(uk_account()))
        .await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let close = format!("/v2/customer-vault/c4/financial-instrument/{id}/close");
    client
        .call(
            Method::PUT,
            &close,
            Some(json!({ "reason": "Customer request" })),
        )
        .await
        .assert_status(200);
    client
        .call(Method::PUT, &close, None)
        .await
        .assert_status(200);
    let read = client
        .call(
            Method::GET,
            &format!("/v2/customer-vault/c4/financial-instrument/{id}"),
            None,
        )
        .await;
    assert_eq!(read.body["status"], "INACTIVE");

    let unknown = uuid_like();
    let reply = client
        .call(
            Method::PUT,
            &format!("/v2/customer-vault/c4/financial-instrument/{unknown}/close"),
            None,
        )
        .await;
    reply.assert_status(404);
    assert_eq!(reply.error_codes(), vec!["FINANCIAL_INSTRUMENT_NOT_FOUND"]);
    let reply = client
        .call(
            Method::GET,
            &format!("/v2/customer-vault/c4/financial-instrument/{unknown}"),
            None,
        )
        .await;
    reply.assert_status(404);
    assert_eq!(
        reply.body["errors"][0]["message"],
        format!("Financial instrument [{unknown}] does not exist.")
    );
    // An instrument of another customer of the same tenant is not found under this one.
    let reply = client
        .call(
            Method::GET,
            &format!("/v2/customer-vault/other/financial-instrument/{id}"),
            None,
        )
        .await;
    reply.assert_status(404);
}

fn uuid_like() -> String {
    payments_domain::ids::FinancialInstrumentId::new_random().to_string()
}

#[tokio::test]
async fn forget_erases_personal_data_and_blocks_new_personal_data() {
    let client = test_support::payments::vault_admin().await;
    client
        .call(
            Method::PUT,
            "/v2/customer-vault/c5",
            Some(json!({ "metadata": { "email": "jane@example.com" } })),
        )
        .await
        .assert_status(202);
    let created = client
        .call(Method::POST, &path(UK_ACCOUNT, "c5"), Some(uk_account()))
        .await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();

    client
        .with_roles(&["tenant-transaction-write"])
        .call(Method::POST, "/v2/customer-vault/c5/forget", None)
        .await
        .assert_status(403);
    client
        .call(Method::POST, "/v2/customer-vault/c5/forget", None)
        .await
        .assert_status(200);
    client
        .call(Method::POST, "/v2/customer-vault/c5/forget", None)
        .await
        .assert_status(200);
    client
        .call(Method::POST, "/v2/customer-vault/never-seen/forget", None)
        .await
        .assert_status(200);

    let customer = client
        .call(Method::GET, "/v2/customer-vault/c5", None)
        .await;
    assert_eq!(customer.body["status"], "FORGOTTEN");
    assert_eq!(customer.body["metadata"], json!({}));
    let instrument = &customer.body["financialInstruments"][0];
    assert_eq!(instrument["id"], id.as_str());
    assert_eq!(instrument["type"], "BANK_ACCOUNT:UK");
    assert_eq!(instrument["status"], "ACTIVE");
    assert_eq!(instrument["displayName"], Value::Null);
    assert_eq!(instrument["details"], Value::Null);
    assert!(!customer.body.to_string().contains("JOHN DOE"));

    for (method, uri, body) in [
        (Method::POST, path(UK_ACCOUNT, "c5"), uk_account()),
        (
            Method::PUT,
            "/v2/customer-vault/c5".to_owned(),
            json!({ "metadata": { "a": "b" } }),
        ),
    ] {
        let reply = client.call(method, &uri, Some(body)).await;
        reply.assert_status(400);
        assert_eq!(reply.error_codes(), vec!["CUSTOMER_FORGOTTEN"]);
    }
}
