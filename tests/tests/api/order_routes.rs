//! Every order-management route through the router, against moto, with real instruments in
//! the vault and real schemes.

use http::Method;
use payments_aws::Store;
use payments_domain::auth::Role;
use payments_domain::currency::Currency;
use payments_domain::orders::{self, InstructionStatus, Orders};
use payments_domain::payments::{Direction, Scheme, SchemeId, Schemes};
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::vault::Customers;
use payments_domain::Now;
use serde_json::{json, Value};
use test_support::Client;

struct Setup {
    client: Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    table: Store,
    credit_scheme: String,
    debit_scheme: String,
    account: String,
}

async fn setup() -> Setup {
    let table = test_support::table().await;
    let queue = test_support::queues::throwaway_worker("instruction-worker", Default::default())
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&test_support::sdk_config().await);
    let client = Client::admin(
        test_support::payments::orders_router(
            &table,
            &queue.queue_url,
            &test_support::payments::unreachable_queue(),
            None,
        )
        .await,
    );
    let mut setup = Setup {
        client,
        sqs,
        queue_url: queue.queue_url,
        table,
        credit_scheme: String::new(),
        debit_scheme: String::new(),
        account: String::new(),
    };
    setup.credit_scheme = setup.scheme(Direction::Credit, &[]).await;
    setup.debit_scheme = setup.scheme(Direction::Debit, &[]).await;
    setup.account = setup.bank_account("customer1").await;
    setup
}

impl Setup {
    /// The execution requests queued so far (received, so each is seen once).
    async fn queued(&self) -> Vec<Value> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        received
            .messages()
            .iter()
            .filter_map(|m| m.body().and_then(|b| serde_json::from_str(b).ok()))
            .collect()
    }

    async fn scheme(&self, direction: Direction, currencies: &[&str]) -> String {
        let scheme = Scheme {
            scheme_id: SchemeId::new_random(),
            direction,
            app_id: "SANDBOX".into(),
            currencies: currencies
                .iter()
                .map(|c| Currency::parse(c).unwrap())
                .collect(),
            countries: vec![],
        };
        self.table
            .save_scheme(&self.client.scope, &scheme)
            .await
            .unwrap();
        scheme.scheme_id.to_string()
    }

    async fn bank_account(&self, customer: &str) -> String {
        test_support::payments::bank_account(&self.table, &self.client.scope, customer)
            .await
            .to_string()
    }

    /// A READY payout instruction to customer1's bank account.
    fn payout(&self, instruction_ref: &str) -> Value {
        json!({
            "instructionRef": instruction_ref,
            "customerRef": "customer1",
            "direction": "Credit",
            "financialInstrumentId": self.account,
            "amount": 20.01,
            "currency": "GBP",
            "country": "GB",
            "settledByDate": "2026-11-21",
            "schemeId": self.credit_scheme,
            "metadata": { "customKey1": "custom string 1" }
        })
    }

    async fn create(&self, body: Value) -> test_support::Reply {
        self.client
            .call(Method::POST, "/v2/order-management", Some(body))
            .await
    }

    async fn instruction(&self, order: &str, instruction: &str) -> Value {
        let reply = self
            .client
            .call(
                Method::GET,
                &format!("/v2/order-management/{order}/instruction/{instruction}"),
                None,
            )
            .await;
        reply.assert_status(200);
        reply.body
    }
}

fn with(mut body: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().cloned().unwrap_or_default() {
        if value.is_null() {
            body.as_object_mut().map(|o| o.remove(&key));
        } else {
            body[key] = value;
        }
    }
    body
}

#[tokio::test]
async fn an_order_alone_is_created_and_read_back() {
    let s = setup().await;
    let reply = s
        .create(json!({ "orderRef": "order1", "metadata": { "customKey1": "custom string 1" } }))
        .await;
    reply.assert_status(201);
    assert_eq!(reply.headers["location"], "/v1/order-management/order1");
    let order = s
        .client
        .call(Method::GET, "/v2/order-management/order1", None)
        .await;
    order.assert_status(200);
    assert!(order.body["created"].is_i64());
    assert_eq!(
        with(order.body.clone(), json!({ "created": null })),
        json!({
            "_links": { "self": { "href": "/v1/order-management/order1" }, "instructions": [] },
            "instructionRefs": [],
            "metadata": { "customKey1": "custom string 1" },
        })
    );
    let v1 = s
        .client
        .call(Method::GET, "/v1/order-management/order1", None)
        .await;
    assert_eq!(v1.body, order.body);
}

#[tokio::test]
async fn an_order_with_instructions_is_accepted_with_each_instruction_ready_or_incomplete() {
    let s = setup().await;
    let incomplete = with(
        s.payout("payout-2"),
        json!({ "financialInstrumentId": null, "schemeId": null }),
    );
    let reply = s
        .create(json!({ "orderRef": "o2", "instructions": [s.payout("payout-1"), incomplete] }))
        .await;
    reply.assert_status(202);

    let order = s
        .client
        .call(Method::GET, "/v2/order-management/o2", None)
        .await;
    assert_eq!(
        order.body["instructionRefs"],
        json!(["payout-1", "payout-2"])
    );
    assert_eq!(
        order.body["_links"]["instructions"][0],
        json!({ "href": "/v1/order-management/o2/instruction/payout-1", "name": "payout-1" })
    );

    let ready = s.instruction("o2", "payout-1").await;
    assert_eq!(ready["status"], "READY");
    assert_eq!(ready["direction"], "CREDIT");
    assert_eq!(ready["amount"].to_string(), "20.01");
    assert_eq!(ready["currency"], "GBP");
    assert_eq!(ready["country"], "GB");
    assert_eq!(ready["settledByDate"], "2026-11-21");
    assert_eq!(ready["customerRef"], "customer1");
    assert_eq!(
        ready["financialInstrument"],
        json!({ "financialInstrumentId": s.account, "source": "MANUALLY_SET", "canUpdate": true })
    );
    assert_eq!(
        ready["scheme"],
        json!({ "schemeId": s.credit_scheme, "source": "MANUALLY_SET", "canUpdate": true })
    );
    assert_eq!(
        ready["_links"]["financialInstruments"][0]["href"],
        format!(
            "/v1/customer-vault/customer1/financial-instrument/{}",
            s.account
        )
    );
    for field in [
        "forecastedSettlementDate",
        "actualSettlementDate",
        "executionTimestamp",
        "transaction",
        "failed",
        "cancelled",
    ] {
        assert_eq!(ready[field], Value::Null, "{field}");
    }
    let waiting = s.instruction("o2", "payout-2").await;
    assert_eq!(waiting["status"], "INCOMPLETE");
    assert_eq!(
        waiting["financialInstrument"],
        json!({ "financialInstrumentId": null, "source": "NONE", "canUpdate": true })
    );
    let v1 = s
        .client
        .call(
            Method::GET,
            "/v1/order-management/o2/instruction/payout-2",
            None,
        )
        .await;
    assert_eq!(v1.body, waiting);
}

#[tokio::test]
async fn duplicates_are_refused_and_never_overwrite() {
    let s = setup().await;
    s.create(json!({ "orderRef": "dup", "metadata": { "k": "first" } }))
        .await
        .assert_status(201);
    let again = s
        .create(json!({ "orderRef": "dup", "metadata": { "k": "second" } }))
        .await;
    again.assert_status(400);
    assert_eq!(again.body["errors"][0]["errorCode"], "ORDER_ALREADY_EXISTS");
    assert_eq!(
        again.body["errors"][0]["message"],
        "Order [dup] already exists."
    );
    let order = s
        .client
        .call(Method::GET, "/v2/order-management/dup", None)
        .await;
    assert_eq!(order.body["metadata"], json!({ "k": "first" }));

    let twice = s
        .create(json!({ "orderRef": "dup2", "instructions": [s.payout("same"), s.payout("same")] }))
        .await;
    assert_eq!(twice.error_codes(), vec!["INSTRUCTION_ALREADY_EXISTS"]);

    let path = "/v2/order-management/dup/instruction";
    s.client
        .call(Method::POST, path, Some(s.payout("i1")))
        .await
        .assert_status(204);
    let again = s
        .client
        .call(
            Method::POST,
            path,
            Some(with(s.payout("i1"), json!({ "amount": 99 }))),
        )
        .await;
    assert_eq!(again.error_codes(), vec!["INSTRUCTION_ALREADY_EXISTS"]);
    assert_eq!(s.instruction("dup", "i1").await["amount"], json!(20.01));
    let missing = s
        .client
        .call(
            Method::POST,
            "/v2/order-management/nope/instruction",
            Some(s.payout("i1")),
        )
        .await;
    assert_eq!(missing.error_codes(), vec!["ORDER_NOT_FOUND"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_identical_creates_make_exactly_one_order() {
    let s = setup().await;
    let body = json!({ "orderRef": "race", "instructions": [s.payout("p1")] });
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = s.client.clone();
            let body = body.clone();
            tokio::spawn(async move {
                client
                    .call(Method::POST, "/v2/order-management", Some(body))
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status.as_u16() {
            202 => accepted += 1,
            400 => assert_eq!(reply.error_codes(), vec!["ORDER_ALREADY_EXISTS"]),
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn an_order_with_one_bad_instruction_writes_nothing() {
    let s = setup().await;
    let unknown = payments_domain::ids::FinancialInstrumentId::new_random().to_string();
    let bad = with(s.payout("bad"), json!({ "financialInstrumentId": unknown }));
    let reply = s
        .create(json!({ "orderRef": "atomic", "instructions": [s.payout("good"), bad] }))
        .await;
    reply.assert_status(400);
    assert_eq!(reply.error_codes(), vec!["FINANCIAL_INSTRUMENT_NOT_FOUND"]);
    assert_eq!(reply.body["errors"][0]["metadata"]["instructionIndex"], 1);
    let order = s
        .client
        .call(Method::GET, "/v2/order-management/atomic", None)
        .await;
    assert_eq!(order.error_codes(), vec!["ORDER_NOT_FOUND"]);
    assert_eq!(
        order.body["errors"][0]["message"],
        "Order [atomic] does not exist."
    );
}

#[tokio::test]
async fn instruments_and_schemes_must_be_usable() {
    let s = setup().await;
    let closed = s.bank_account("customer1").await;
    let fi = payments_domain::ids::FinancialInstrumentId::parse(&closed).unwrap();
    s.table
        .close_instrument(
            &s.client.scope,
            &CustomerRef::parse("customer1").unwrap(),
            fi,
            Now::read(),
        )
        .await
        .unwrap();
    let someone_elses = s.bank_account("customer2").await;
    let euro_only = s.scheme(Direction::Credit, &["EUR"]).await;
    let cases = [
        (
            json!({ "direction": "DEBIT", "schemeId": s.debit_scheme }),
            "FINANCIAL_INSTRUMENT_DIRECTION_UNSUPPORTED",
        ),
        (
            json!({ "financialInstrumentId": closed }),
            "FINANCIAL_INSTRUMENT_INACTIVE",
        ),
        (
            json!({ "financialInstrumentId": someone_elses }),
            "FINANCIAL_INSTRUMENT_NOT_FOUND",
        ),
        (
            json!({ "schemeId": "0000AAAA" }),
            "SCHEME_ID_NOT_RECOGNISED",
        ),
        (
            json!({ "schemeId": s.debit_scheme }),
            "SCHEME_ID_NOT_RECOGNISED",
        ),
        (
            json!({ "schemeId": euro_only }),
            "SCHEME_CURRENCY_NOT_SUPPORTED",
        ),
    ];
    for (index, (changes, code)) in cases.into_iter().enumerate() {
        let body = json!({ "orderRef": format!("refs-{index}"), "instructions": [with(s.payout("p"), changes.clone())] });
        let reply = s.create(body).await;
        assert_eq!(reply.error_codes(), vec![code], "{changes}");
    }
    // A scheme of another tenant is not recognised either.
    let other = test_support::new_scope();
    let foreign = Scheme {
        scheme_id: SchemeId::new_random(),
        direction: Direction::Credit,
        app_id: "SANDBOX".into(),
        currencies: vec![],
        countries: vec![],
    };
    s.table.save_scheme(&other, &foreign).await.unwrap();
    let body = json!({ "orderRef": "foreign", "instructions": [with(s.payout("p"), json!({ "schemeId": foreign.scheme_id }))] });
    assert_eq!(
        s.create(body).await.error_codes(),
        vec!["SCHEME_ID_NOT_RECOGNISED"]
    );
}

#[tokio::test]
async fn bodies_and_paths_are_validated_field_by_field() {
    let s = setup().await;
    let hundred: Vec<Value> = (0..100).map(|i| s.payout(&format!("p{i}"))).collect();
    let cases: Vec<(Option<Value>, Vec<&str>)> = vec![
        (None, vec!["BODY_IS_REQUIRED"]),
        (Some(json!({})), vec!["ORDER_REF_IS_REQUIRED"]),
        (
            Some(json!({ "orderRef": "bad ref" })),
            vec!["ORDER_REF_IS_INVALID"],
        ),
        (
            Some(json!({ "orderRef": "o".repeat(51) })),
            vec!["ORDER_REF_LENGTH_OUT_OF_RANGE"],
        ),
        (
            Some(json!({ "orderRef": "o", "instructions": {} })),
            vec!["INSTRUCTIONS_IS_INVALID"],
        ),
        (
            Some(json!({ "orderRef": "o", "instructions": hundred })),
            vec!["INSTRUCTIONS_COUNT_OUT_OF_RANGE"],
        ),
        (
            Some(json!({ "orderRef": "o", "instructions": [1] })),
            vec!["BODY_IS_INVALID"],
        ),
        (
            Some(json!({ "orderRef": "o", "metadata": { "k": 5 } })),
            vec!["METADATA_VALUE_IS_INVALID"],
        ),
        (
            Some(
                json!({ "orderRef": "o", "instructions": [with(s.payout("p"), json!({ "amount": 1.234, "currency": "EUR" }))] }),
            ),
            vec!["AMOUNT_IS_INVALID"],
        ),
        (
            Some(
                json!({ "orderRef": "o", "instructions": [with(s.payout("p"), json!({ "amount": 100.5, "currency": "JPY" }))] }),
            ),
            vec!["AMOUNT_IS_INVALID"],
        ),
        (
            Some(
                json!({ "orderRef": "o", "instructions": [with(s.payout("p"), json!({ "customerRef": null, "settledByDate": "2026-13-01" }))] }),
            ),
            vec!["CUSTOMER_REF_IS_REQUIRED", "SETTLED_BY_DATE_IS_INVALID"],
        ),
    ];
    for (body, expected) in cases {
        let reply = s
            .client
            .call(Method::POST, "/v2/order-management", body)
            .await;
        assert_eq!(reply.status.as_u16(), 400, "{}", reply.body);
        assert_eq!(reply.error_codes(), expected);
    }
    let reply = s
        .client
        .call(
            Method::GET,
            "/v2/order-management/o/instruction/bad%20ref",
            None,
        )
        .await;
    assert_eq!(reply.error_codes(), vec!["INSTRUCTION_REF_IS_INVALID"]);
    let reply = s
        .client
        .call(
            Method::GET,
            "/v2/order-management/b%21d/instruction/x%20y",
            None,
        )
        .await;
    assert_eq!(
        reply.error_codes(),
        vec!["ORDER_REF_IS_INVALID", "INSTRUCTION_REF_IS_INVALID"]
    );
}

#[tokio::test]
async fn order_metadata_is_replaced_and_deleted() {
    let s = setup().await;
    s.create(json!({ "orderRef": "meta", "metadata": { "a": "1" } }))
        .await
        .assert_status(201);
    let path = "/v2/order-management/meta/metadata";
    s.client
        .call(
            Method::PUT,
            path,
            Some(json!({ "customKey2": "custom string 2" })),
        )
        .await
        .assert_status(204);
    let order = s
        .client
        .call(Method::GET, "/v2/order-management/meta", None)
        .await;
    assert_eq!(
        order.body["metadata"],
        json!({ "customKey2": "custom string 2" })
    );
    // A body that is JSON null is not an object: refused, and the metadata stays.
    let reply = s.client.call(Method::PUT, path, Some(json!(null))).await;
    assert_eq!(reply.error_codes(), vec!["BODY_IS_INVALID"]);
    let order = s
        .client
        .call(Method::GET, "/v2/order-management/meta", None)
        .await;
    assert_eq!(
        order.body["metadata"],
        json!({ "customKey2": "custom string 2" })
    );
    s.client
        .call(Method::DELETE, path, None)
        .await
        .assert_status(204);
    let order = s
        .client
        .call(Method::GET, "/v2/order-management/meta", None)
        .await;
    assert_eq!(order.body["metadata"], json!({}));
    let reply = s
        .client
        .call(Method::PUT, path, Some(json!({ "k": "v".repeat(257) })))
        .await;
    assert_eq!(
        reply.error_codes(),
        vec!["METADATA_VALUE_SIZE_OUT_OF_RANGE"]
    );
    let reply = s.client.call(Method::PUT, path, None).await;
    assert_eq!(reply.error_codes(), vec!["BODY_IS_REQUIRED"]);
    for method in [Method::PUT, Method::DELETE] {
        let reply = s
            .client
            .call(
                method,
                "/v2/order-management/none/metadata",
                Some(json!({})),
            )
            .await;
        assert_eq!(reply.error_codes(), vec!["ORDER_NOT_FOUND"]);
    }
}

#[tokio::test]
async fn updates_complete_an_instruction_and_are_checked() {
    let s = setup().await;
    let bare = with(
        s.payout("u1"),
        json!({ "financialInstrumentId": null, "schemeId": null }),
    );
    s.create(json!({ "orderRef": "upd", "instructions": [bare] }))
        .await
        .assert_status(202);
    let path = "/v2/order-management/upd/instruction/u1";
    assert_eq!(s.instruction("upd", "u1").await["status"], "INCOMPLETE");

    s.client
        .call(
            Method::PUT,
            path,
            Some(json!({ "financialInstrumentId": s.account })),
        )
        .await
        .assert_status(204);
    assert_eq!(s.instruction("upd", "u1").await["status"], "INCOMPLETE");
    s.client
        .call(
            Method::PUT,
            path,
            Some(json!({ "schemeId": s.credit_scheme, "amount": 5, "metadata": null })),
        )
        .await
        .assert_status(204);
    let read = s.instruction("upd", "u1").await;
    assert_eq!(read["status"], "READY");
    assert_eq!(read["amount"], json!(5));
    assert_eq!(read["metadata"], json!({}));

    let cases = [
        (
            json!({ "currency": "JPY", "amount": 5.5 }),
            "AMOUNT_IS_INVALID",
        ),
        (json!({ "amount": 0 }), "AMOUNT_OUT_OF_RANGE"),
        (
            json!({ "schemeId": s.debit_scheme }),
            "SCHEME_ID_NOT_RECOGNISED",
        ),
        (
            json!({ "settledByDate": "tomorrow" }),
            "SETTLED_BY_DATE_IS_INVALID",
        ),
        (json!({ "country": "XX" }), "COUNTRY_IS_INVALID"),
    ];
    for (body, code) in cases {
        let reply = s.client.call(Method::PUT, path, Some(body.clone())).await;
        assert_eq!(reply.error_codes(), vec![code], "{body}");
    }
    // A JPY update of a whole amount is fine.
    s.client
        .call(Method::PUT, path, Some(json!({ "currency": "JPY" })))
        .await
        .assert_status(204);
    assert_eq!(s.instruction("upd", "u1").await["currency"], "JPY");

    let missing = s
        .client
        .call(
            Method::PUT,
            "/v2/order-management/upd/instruction/nope",
            Some(json!({})),
        )
        .await;
    assert_eq!(missing.error_codes(), vec!["INSTRUCTION_NOT_FOUND"]);
    assert_eq!(
        missing.body["errors"][0]["message"],
        "Instruction [nope] does not exist."
    );
    let missing = s
        .client
        .call(
            Method::GET,
            "/v2/order-management/none/instruction/u1",
            None,
        )
        .await;
    assert_eq!(missing.error_codes(), vec!["ORDER_NOT_FOUND"]);
}

#[tokio::test]
async fn cancel_and_update_are_refused_in_every_non_editable_state() {
    let s = setup().await;
    let instructions: Vec<Value> = ["c1", "c2", "c3", "c4"]
        .iter()
        .map(|r| s.payout(r))
        .collect();
    s.create(json!({ "orderRef": "states", "instructions": instructions }))
        .await
        .assert_status(202);

    let cancel = |r: &str| format!("/v2/order-management/states/instruction/{r}/cancel");
    s.client
        .call(
            Method::POST,
            &cancel("c1"),
            Some(json!({ "reason": "Subscription cancelled." })),
        )
        .await
        .assert_status(204);
    let cancelled = s.instruction("states", "c1").await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["cancelled"]["reason"], "Subscription cancelled.");
    assert_eq!(
        cancelled["cancelled"]["identity"],
        s.client.scope.account.to_string()
    );
    assert!(cancelled["cancelled"]["cancelledTimestamp"].is_i64());
    assert_eq!(cancelled["financialInstrument"]["canUpdate"], false);

    // States only the workers reach, set directly in the store.
    let order = OrderRef::parse("states").unwrap();
    for (instruction, status) in [
        ("c2", InstructionStatus::Processing),
        ("c3", InstructionStatus::Completed),
        ("c4", InstructionStatus::Failed),
    ] {
        let reference = InstructionRef::parse(instruction).unwrap();
        let mut stored = orders::instruction(&s.table, &s.client.scope, &order, &reference)
            .await
            .unwrap();
        let version = stored.version;
        stored.status = status;
        stored.version += 1;
        assert!(s
            .table
            .save_instruction(&s.client.scope, &stored, version)
            .await
            .unwrap());
    }
    for (instruction, code) in [
        ("c1", "INSTRUCTION_CANCELLED"),
        ("c2", "INSTRUCTION_PROCESSING"),
        ("c3", "INSTRUCTION_COMPLETED"),
        ("c4", "INSTRUCTION_FAILED"),
    ] {
        let reply = s
            .client
            .call(Method::POST, &cancel(instruction), None)
            .await;
        assert_eq!(reply.error_codes(), vec![code], "cancel {instruction}");
        let path = format!("/v2/order-management/states/instruction/{instruction}");
        let reply = s
            .client
            .call(Method::PUT, &path, Some(json!({ "amount": 1 })))
            .await;
        assert_eq!(reply.error_codes(), vec![code], "update {instruction}");
    }
    let reply = s
        .client
        .call(
            Method::POST,
            &cancel("c1"),
            Some(json!({ "reason": "r".repeat(257) })),
        )
        .await;
    assert_eq!(reply.error_codes(), vec!["REASON_LENGTH_OUT_OF_RANGE"]);
}

#[tokio::test]
async fn each_route_admits_exactly_its_roles() {
    let s = setup().await;
    s.create(json!({ "orderRef": "roles", "instructions": [s.payout("r1")] }))
        .await
        .assert_status(202);
    for route in order_management::api().table() {
        let path = route
            .path
            .replace("{orderRef}", "roles")
            .replace("{instructionRef}", "r1");
        for role in Role::ALL {
            let reply = s
                .client
                .with_roles(&[role.as_str()])
                .call(route.method.clone(), &path, Some(json!({})))
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
        s.client
            .with_token(None)
            .call(route.method.clone(), &path, None)
            .await
            .assert_status(401);
    }
}

#[tokio::test]
async fn due_ready_instructions_are_queued_and_others_are_not() {
    let s = setup().await;
    let today = chrono::Utc::now().date_naive().to_string();
    let due = with(s.payout("due"), json!({ "settledByDate": today }));
    let later = with(s.payout("later"), json!({ "settledByDate": "2999-01-01" }));
    let incomplete = with(
        s.payout("incomplete"),
        json!({ "settledByDate": today, "schemeId": null }),
    );
    s.create(json!({ "orderRef": "queued", "instructions": [due, later, incomplete] }))
        .await
        .assert_status(202);
    assert_eq!(
        s.queued().await,
        vec![json!({
            "tenantId": s.client.scope.tenant,
            "accountId": s.client.scope.account,
            "orderRef": "queued",
            "instructionRef": "due",
        })]
    );
    // Completing the incomplete one queues it too.
    let path = "/v2/order-management/queued/instruction/incomplete";
    s.client
        .call(
            Method::PUT,
            path,
            Some(json!({ "schemeId": s.credit_scheme })),
        )
        .await
        .assert_status(204);
    let queued = s.queued().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["instructionRef"], "incomplete");
}

/// An order of the most instructions a request may carry, all due: every instruction is linked
/// to its customer (the links are written in batches of 25) and queued exactly once (in batches
/// of 10).
#[tokio::test]
async fn a_full_order_links_and_queues_every_instruction() {
    let s = setup().await;
    let today = chrono::Utc::now().date_naive().to_string();
    let refs: Vec<String> = (0..orders::MAX_INSTRUCTIONS_PER_ORDER)
        .map(|n| format!("payout-{n}"))
        .collect();
    let instructions: Vec<Value> = refs
        .iter()
        .map(|r| with(s.payout(r), json!({ "settledByDate": today })))
        .collect();
    s.create(json!({ "orderRef": "full", "instructions": instructions }))
        .await
        .assert_status(202);

    let customer = CustomerRef::parse("customer1").unwrap();
    let mut linked: Vec<String> = s
        .table
        .instruction_links(&s.client.scope, &customer)
        .await
        .unwrap()
        .into_iter()
        .filter(|link| link.order_ref.as_str() == "full")
        .map(|link| link.instruction_ref.as_str().to_owned())
        .collect();
    linked.sort();
    let mut expected = refs.clone();
    expected.sort();
    assert_eq!(linked, expected);

    let mut queued: Vec<String> = Vec::new();
    for _ in 0..30 {
        if queued.len() >= refs.len() {
            break;
        }
        for message in s.queued().await {
            assert_eq!(message["orderRef"], "full");
            queued.push(message["instructionRef"].as_str().unwrap().to_owned());
        }
    }
    queued.sort();
    assert_eq!(queued, expected, "each instruction queued once");
    assert!(s.queued().await.is_empty(), "nothing queued twice");
}
