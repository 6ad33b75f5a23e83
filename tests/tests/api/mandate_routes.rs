//! Every route of the mandates function against moto, in error format B.

use http::Method;
use serde_json::{json, Value};
use test_support::mandates::{
    create_mandate, create_profile, mandate_body, mandates_router, profile_body, seed_debtor,
};
use test_support::{payments, Client};

async fn client() -> Client {
    let table = test_support::table().await;
    Client::admin(mandates_router(&table, &payments::unreachable_queue()).await)
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn debtor_with(changes: Value) -> Value {
    let mut debtor = seed_debtor();
    if let (Some(target), Some(changes)) = (debtor.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            target.insert(key.clone(), value.clone());
        }
    }
    debtor
}

#[tokio::test]
async fn a_creditor_profile_is_created_and_read_back_as_the_seed_shows() {
    let client = client().await;
    let created = client
        .call(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            Some(profile_body("fb39d6eb3ac44d6597f0f7221da5e663")),
        )
        .await;
    created.assert_status(201);
    let read = client
        .call(
            Method::GET,
            "/v2/mandates/creditor-profiles/sepa/fb39d6eb3ac44d6597f0f7221da5e663",
            None,
        )
        .await;
    read.assert_status(200);
    assert_eq!(read.body, created.body);
    assert_eq!(
        read.body,
        json!({
            "creditorProfileRef": "fb39d6eb3ac44d6597f0f7221da5e663",
            "profileName": "Profile fb39d6eb3ac44d6597f0f7221da5e663",
            "network": "SEPA",
            "identifier": "DE98ZZZ09999999999",
            "name": "Insurer GmbH",
            "address": { "streetAddress": "street 1", "postcode": "8000", "city": "Zurich", "country": "CH" },
            "metadata": { "property1": "string" }
        })
    );
}

#[tokio::test]
async fn a_duplicate_profile_ref_changes_nothing() {
    let client = client().await;
    create_profile(&client, "p1").await;
    let mut other = profile_body("p1");
    other["name"] = json!("Someone Else");
    let reply = client
        .call(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            Some(other),
        )
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.format_b_errors(),
        owned(&[("CREDITOR_PROFILE_ALREADY_EXISTS", "CreditorProfileRef")])
    );
    let read = client
        .call(Method::GET, "/v2/mandates/creditor-profiles/sepa/p1", None)
        .await;
    assert_eq!(read.body["name"], "Insurer GmbH");
}

#[tokio::test]
async fn a_missing_ref_answers_exactly_the_seeds_error() {
    let client = client().await;
    let mut body = profile_body("p1");
    body["creditorProfileRef"] = Value::Null;
    let reply = client
        .call(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            Some(body),
        )
        .await;
    reply.assert_status(400);
    assert_eq!(reply.body["title"], "BAD_REQUEST");
    assert_eq!(reply.body["detail"], "See validation errors.");
    assert_eq!(reply.body["status"], 400);
    assert_eq!(reply.body["traceId"], reply.body["correlationId"]);
    assert_eq!(
        reply.body["errors"],
        json!([{
            "title": "REQUIRED_ATTRIBUTE",
            "detail": "The attribute CreditorProfileRef is required",
            "metadata": {
                "PropertyName": "CreditorProfileRef",
                "AttemptedValue": "null",
                "ErrorMessage": "The attribute CreditorProfileRef is required"
            }
        }])
    );
}

#[tokio::test]
async fn creditor_identifiers_are_checked_by_mod_97_10() {
    let client = client().await;
    // Valid identifiers of several SEPA countries, then the same with wrong check digits.
    let cases = [
        ("DE98ZZZ09999999999", None),
        ("FR72ZZZ123456", None),
        ("AT61ZZZ01234567890", None),
        ("IT66ZZZA1B2C3D4E5F6G7H8", None),
        ("BE69ZZZ050D000000008", None),
        (
            "DE97ZZZ09999999999",
            Some("IDENTIFIER_CHECK_DIGITS_ARE_INVALID"),
        ),
        ("FR73ZZZ123456", Some("IDENTIFIER_CHECK_DIGITS_ARE_INVALID")),
        (
            "AT62ZZZ01234567890",
            Some("IDENTIFIER_CHECK_DIGITS_ARE_INVALID"),
        ),
        ("US12ZZZ123456", Some("IDENTIFIER_COUNTRY_NOT_SEPA")),
        ("DE98", Some("IDENTIFIER_IS_INVALID")),
    ];
    for (index, (identifier, refused)) in cases.into_iter().enumerate() {
        let mut body = profile_body(&format!("profile-{index}"));
        body["identifier"] = json!(identifier);
        let reply = client
            .call(
                Method::POST,
                "/v2/mandates/creditor-profiles/sepa",
                Some(body),
            )
            .await;
        match refused {
            None => {
                reply.assert_status(201);
            }
            Some(code) => {
                reply.assert_status(400);
                assert_eq!(reply.format_b_errors(), owned(&[(code, "Identifier")]));
                assert_eq!(
                    reply.body["errors"][0]["metadata"]["AttemptedValue"],
                    identifier
                );
            }
        }
    }
}

#[tokio::test]
async fn every_problem_of_a_profile_is_listed() {
    let client = client().await;
    let reply = client
        .call(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            Some(json!({
                "creditorProfileRef": "bad ref!",
                "profileName": "",
                "identifier": 42,
                "address": { "country": "ZZ", "city": "c".repeat(36) },
                "metadata": { "": "x" }
            })),
        )
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.format_b_errors(),
        owned(&[
            ("CREDITOR_PROFILE_REF_IS_INVALID", "CreditorProfileRef"),
            ("ATTRIBUTE_LENGTH_OUT_OF_RANGE", "ProfileName"),
            ("ATTRIBUTE_IS_INVALID", "Identifier"),
            ("REQUIRED_ATTRIBUTE", "Name"),
            ("ATTRIBUTE_LENGTH_OUT_OF_RANGE", "Address.City"),
            ("COUNTRY_IS_INVALID", "Address.Country"),
            ("METADATA_KEY_SIZE_OUT_OF_RANGE", "Metadata"),
        ])
    );
}

#[tokio::test]
async fn unknown_profiles_and_mandates_are_404_in_format_b() {
    let client = client().await;
    let reply = client
        .call(
            Method::GET,
            "/v2/mandates/creditor-profiles/sepa/nobody",
            None,
        )
        .await;
    reply.assert_status(404);
    assert_eq!(reply.body["title"], "NOT_FOUND");
    assert_eq!(
        reply.format_b_errors(),
        owned(&[("CREDITOR_PROFILE_NOT_FOUND", "CreditorProfileRef")])
    );
    let reply = client
        .call(
            Method::GET,
            "/v2/mandates/sepa/d8c0e545-7d18-46b5-b807-aca31afc254f",
            None,
        )
        .await;
    reply.assert_status(404);
    assert_eq!(
        reply.format_b_errors(),
        owned(&[("MANDATE_NOT_FOUND", "MandateId")])
    );
    let reply = client
        .call(Method::GET, "/v2/mandates/sepa/not-a-uuid", None)
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.format_b_errors(),
        owned(&[("MANDATE_ID_IS_INVALID", "MandateId")])
    );
}

#[tokio::test]
async fn profiles_are_paged_in_ref_order() {
    let client = client().await;
    for reference in ["c", "a", "b"] {
        create_profile(&client, reference).await;
    }
    let page = |query: &'static str| {
        let client = client.clone();
        async move {
            client
                .call(
                    Method::GET,
                    &format!("/v2/mandates/creditor-profiles{query}"),
                    None,
                )
                .await
        }
    };
    let refs = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|p| p["creditorProfileRef"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };

    let all = page("").await;
    all.assert_status(200);
    assert_eq!(refs(&all.body), vec!["a", "b", "c"]);
    assert_eq!(
        (
            all.body["currentPage"].clone(),
            all.body["pageCount"].clone(),
            all.body["pageSize"].clone(),
            all.body["rowCount"].clone(),
            all.body["totalCount"].clone()
        ),
        (json!(1), json!(1), json!(100), json!(3), json!(3))
    );

    let second = page("?from=1&take=1").await;
    assert_eq!(refs(&second.body), vec!["b"]);
    assert_eq!(second.body["currentPage"], 2);
    assert_eq!(second.body["pageCount"], 3);
    assert_eq!(second.body["pageSize"], 1);
    assert_eq!(second.body["rowCount"], 1);
    assert_eq!(second.body["totalCount"], 3);

    let widest = page("?take=1000").await;
    assert_eq!(refs(&widest.body), vec!["a", "b", "c"]);
    assert_eq!(widest.body["pageSize"], 1000);
    assert_eq!(widest.body["pageCount"], 1);

    let past_the_end = page("?from=10&take=5").await;
    past_the_end.assert_status(200);
    assert_eq!(past_the_end.body["results"], json!([]));
    assert_eq!(past_the_end.body["rowCount"], 0);
    assert_eq!(past_the_end.body["totalCount"], 3);
    assert_eq!(past_the_end.body["currentPage"], 3);

    for (query, code, property) in [
        ("?take=0", "TAKE_OUT_OF_RANGE", "Take"),
        ("?take=1001", "TAKE_OUT_OF_RANGE", "Take"),
        ("?from=-1", "FROM_IS_INVALID", "From"),
    ] {
        let reply = page(query).await;
        reply.assert_status(400);
        assert_eq!(reply.format_b_errors(), owned(&[(code, property)]));
    }

    let empty = Client::admin(client.router.clone());
    let none = empty
        .call(Method::GET, "/v2/mandates/creditor-profiles", None)
        .await;
    assert_eq!(none.body["totalCount"], 0);
    assert_eq!(none.body["pageCount"], 0);
}

#[tokio::test]
async fn a_mandate_is_created_verified_and_queued() {
    let client = client().await;
    create_profile(&client, "p1").await;
    let created = create_mandate(&client, "customer1", "p1", seed_debtor()).await;
    assert_eq!(
        created["verificationCheck"],
        json!({ "status": "VERIFIED", "reason": "Verification Successful" })
    );
    let id = created["mandateId"].as_str().unwrap_or_default();
    let read = client
        .call(Method::GET, &format!("/v2/mandates/sepa/{id}"), None)
        .await;
    read.assert_status(200);
    let body = &read.body;
    assert_eq!(body["status"], "Registering");
    assert_eq!(body["network"], "SEPA");
    assert_eq!(body["customerRef"], "customer1");
    assert_eq!(body["creditorProfileRef"], "p1");
    assert_eq!(
        body["financialInstrumentId"],
        created["financialInstrumentId"]
    );
    assert_eq!(body["inactiveReason"], Value::Null);
    assert_eq!(body["debtor"]["iban"], "GB29NWBK60161331926819");
    assert_eq!(body["debtor"]["address"]["city"], "London");
    assert_eq!(body["metadata"], json!({ "policy": "P-1" }));
    let mandate_ref = body["mandateRef"].as_str().unwrap_or_default();
    assert!(mandate_ref.len() == 10 && mandate_ref.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(body["created"]
        .as_str()
        .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z')));
}

#[tokio::test]
async fn mandate_refs_are_unique_within_the_tenant() {
    let client = client().await;
    create_profile(&client, "p1").await;
    let mut refs = std::collections::BTreeSet::new();
    for n in 0..10 {
        let created = create_mandate(&client, &format!("c{n}"), "p1", seed_debtor()).await;
        let id = created["mandateId"].as_str().unwrap_or_default();
        let read = client
            .call(Method::GET, &format!("/v2/mandates/sepa/{id}"), None)
            .await;
        refs.insert(
            read.body["mandateRef"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(refs.len(), 10);
}

#[tokio::test]
async fn a_holder_who_is_not_the_debtor_is_not_verified() {
    let client = client().await;
    create_profile(&client, "p1").await;
    let created = create_mandate(
        &client,
        "customer1",
        "p1",
        debtor_with(json!({ "accountHolderName": "MRS A JONES" })),
    )
    .await;
    assert_eq!(created["verificationCheck"]["status"], "NOT_VERIFIED");
}

#[tokio::test]
async fn a_create_lists_every_missing_and_invalid_attribute() {
    let client = client().await;
    let missing = client
        .call(
            Method::POST,
            "/v2/mandates/sepa",
            Some(json!({ "debtor": {} })),
        )
        .await;
    missing.assert_status(400);
    assert_eq!(
        missing.format_b_errors(),
        owned(&[
            ("REQUIRED_ATTRIBUTE", "CustomerRef"),
            ("REQUIRED_ATTRIBUTE", "CreditorProfileRef"),
            ("REQUIRED_ATTRIBUTE", "Debtor.FirstName"),
            ("REQUIRED_ATTRIBUTE", "Debtor.LastName"),
            ("REQUIRED_ATTRIBUTE", "Debtor.Iban"),
            ("REQUIRED_ATTRIBUTE", "Debtor.AccountHolderName"),
            ("REQUIRED_ATTRIBUTE", "Debtor.Address"),
        ])
    );
    let invalid = client
        .call(
            Method::POST,
            "/v2/mandates/sepa",
            Some(mandate_body(
                "customer 1",
                "p1",
                debtor_with(json!({
                    "email": "john at example.com",
                    "iban": "GB29 NWBK 6016 1331 9268 18",
                    "address": { "country": "GBR" }
                })),
            )),
        )
        .await;
    invalid.assert_status(400);
    assert_eq!(
        invalid.format_b_errors(),
        owned(&[
            ("CUSTOMER_REF_IS_INVALID", "CustomerRef"),
            ("EMAIL_IS_INVALID", "Debtor.Email"),
            ("COUNTRY_LENGTH_OUT_OF_RANGE", "Debtor.Address.Country"),
            ("IBAN_IS_INVALID", "Debtor.Iban"),
        ])
    );
    assert!(invalid.body["errors"]
        .as_array()
        .is_some_and(|all| all.iter().all(|e| !e.to_string().contains("GB29"))));
}

#[tokio::test]
async fn ibans_must_be_valid_and_inside_sepa() {
    let client = client().await;
    create_profile(&client, "p1").await;
    let cases = [
        ("DE89370400440532013000", None),
        ("FR1420041010050500013M02606", None),
        ("NL91ABNA0417164300", None),
        ("ES9121000418450200051332", None),
        ("DE89370400440532013001", Some("IBAN_IS_INVALID")),
        ("NL92ABNA0417164300", Some("IBAN_IS_INVALID")),
        (
            "BR1800360305000010009795493C1",
            Some("IBAN_COUNTRY_NOT_SEPA"),
        ),
        ("TR330006100519786457841326", Some("IBAN_COUNTRY_NOT_SEPA")),
    ];
    for (iban, refused) in cases {
        let body = mandate_body(
            "customer1",
            "p1",
            debtor_with(json!({ "iban": iban, "bic": null })),
        );
        let reply = client
            .call(Method::POST, "/v2/mandates/sepa", Some(body))
            .await;
        match refused {
            None => assert_eq!(reply.status.as_u16(), 201, "{iban}: {}", reply.body),
            Some(code) => {
                reply.assert_status(400);
                assert_eq!(
                    reply.format_b_errors(),
                    owned(&[(code, "Debtor.Iban")]),
                    "{iban}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_mandate_needs_an_existing_creditor_profile() {
    let client = client().await;
    let reply = client
        .call(
            Method::POST,
            "/v2/mandates/sepa",
            Some(mandate_body("customer1", "nobody", seed_debtor())),
        )
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.format_b_errors(),
        owned(&[("CREDITOR_PROFILE_NOT_FOUND", "CreditorProfileRef")])
    );
}

#[tokio::test]
async fn a_draft_is_completed_by_put() {
    let client = client().await;
    create_profile(&client, "p1").await;
    let draft = client
        .call(
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(json!({ "customerRef": "customer1", "debtor": { "firstName": "John" } })),
        )
        .await;
    draft.assert_status(201);
    let id = draft.body["mandateId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        draft.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/v2/mandates/sepa/{id}").as_str())
    );
    assert_eq!(draft.body["financialInstrumentId"], Value::Null);
    assert_eq!(draft.body["verificationCheck"], Value::Null);
    assert!(draft.body["mandateRef"].is_string());
    let path = format!("/v2/mandates/sepa/{id}");
    let read = client.call(Method::GET, &path, None).await;
    assert_eq!(read.body["status"], "Draft");
    assert_eq!(read.body["debtor"]["firstName"], "John");

    // Still incomplete: 200, and the draft holds the new terms.
    let partial = client
        .call(
            Method::PUT,
            &path,
            Some(json!({ "customerRef": "customer1", "creditorProfileRef": "p1" })),
        )
        .await;
    partial.assert_status(200);
    assert_eq!(partial.body["financialInstrumentId"], Value::Null);
    let read = client.call(Method::GET, &path, None).await;
    assert_eq!(read.body["status"], "Draft");
    assert_eq!(read.body["creditorProfileRef"], "p1");
    assert_eq!(read.body["debtor"], Value::Null);

    // Invalid fields are refused even in a draft.
    let bad = client
        .call(
            Method::PUT,
            &path,
            Some(json!({ "debtor": { "email": "nope" } })),
        )
        .await;
    bad.assert_status(400);
    assert_eq!(
        bad.format_b_errors(),
        owned(&[("EMAIL_IS_INVALID", "Debtor.Email")])
    );

    // Complete: 202 and registration queued.
    let complete = client
        .call(
            Method::PUT,
            &path,
            Some(mandate_body("customer1", "p1", seed_debtor())),
        )
        .await;
    complete.assert_status(202);
    assert!(complete.body["financialInstrumentId"].is_string());
    assert_eq!(complete.body["verificationCheck"]["status"], "VERIFIED");
    let read = client.call(Method::GET, &path, None).await;
    assert_eq!(read.body["status"], "Registering");

    let again = client
        .call(
            Method::PUT,
            &path,
            Some(mandate_body("customer1", "p1", seed_debtor())),
        )
        .await;
    again.assert_status(400);
    assert_eq!(
        again.format_b_errors(),
        owned(&[("MANDATE_NOT_DRAFT", "MandateId")])
    );
}

#[tokio::test]
async fn completing_a_draft_with_an_unknown_profile_is_refused_and_keeps_the_draft() {
    let client = client().await;
    let draft = client
        .call(Method::POST, "/v2/mandates/sepa/draft", Some(json!({})))
        .await;
    draft.assert_status(201);
    let path = format!(
        "/v2/mandates/sepa/{}",
        draft.body["mandateId"].as_str().unwrap_or_default()
    );
    let reply = client
        .call(
            Method::PUT,
            &path,
            Some(mandate_body("customer1", "nobody", seed_debtor())),
        )
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.format_b_errors(),
        owned(&[("CREDITOR_PROFILE_NOT_FOUND", "CreditorProfileRef")])
    );
    let read = client.call(Method::GET, &path, None).await;
    assert_eq!(read.body["status"], "Draft");
    assert_eq!(read.body["customerRef"], Value::Null);
}

#[tokio::test]
async fn only_an_active_mandate_can_be_amended() {
    let client = client().await;
    create_profile(&client, "p1").await;
    let created = create_mandate(&client, "customer1", "p1", seed_debtor()).await;
    let path = format!(
        "/v2/mandates/sepa/{}/amend",
        created["mandateId"].as_str().unwrap_or_default()
    );
    let reply = client
        .call(Method::PUT, &path, Some(json!({ "debtor": seed_debtor() })))
        .await;
    reply.assert_status(400);
    assert_eq!(
        reply.format_b_errors(),
        owned(&[("MANDATE_NOT_ACTIVE", "MandateId")])
    );
    let incomplete = client
        .call(
            Method::PUT,
            &path,
            Some(json!({ "debtor": { "firstName": "J" } })),
        )
        .await;
    incomplete.assert_status(400);
    assert!(incomplete
        .format_b_errors()
        .contains(&("REQUIRED_ATTRIBUTE".to_owned(), "Debtor.Iban".to_owned())));
    let nobody = client
        .call(
            Method::PUT,
            "/v2/mandates/sepa/d8c0e545-7d18-46b5-b807-aca31afc254f/amend",
            Some(json!({ "debtor": seed_debtor() })),
        )
        .await;
    nobody.assert_status(404);
}
