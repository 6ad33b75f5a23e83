//! Nothing one tenant writes can be read or changed by another, in any group: customers and
//! their instruments and wallet, orders and instructions, transactions and refunds, creditor
//! profiles and mandates, reward claims, and the references between them (schemes, rewards,
//! instruments, profiles). The other tenant's reads answer the group's not-found (404 in the
//! vault, wallet and mandates; 400 `ORDER_NOT_FOUND` in order management), its writes fail or
//! land in its own tenant, and the owner reads back exactly what it had. With the owner's
//! headers and its own token, the other tenant is refused outright (403).

use axum::Router;
use http::Method;
use payments_domain::payments::Direction;
use payments_http::ErrorFormat;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::mandates::{
    create_mandate, create_profile, mandate_body, mandate_worker_host, mandates_router,
    profile_body, seed_debtor,
};
use test_support::queues::{pump_until_idle, throwaway_worker};
use test_support::rewards::{reward, reward_worker_host};
use test_support::worker_host::WorkerHost;
use test_support::{payments, Client, Reply};

const CUSTOMER: &str = "shared-ref";

/// One tenant, calling every HTTP function with its own token and headers.
#[derive(Clone)]
struct Tenant {
    vault: Client,
    wallet: Client,
    orders: Client,
    mandates: Client,
}

impl Tenant {
    /// The same caller with `victim`'s tenant and account headers but its own token.
    fn spoofing(&self, victim: &Tenant) -> Tenant {
        let spoof = |client: &Client| Client {
            scope: victim.vault.scope,
            ..client.clone()
        };
        Tenant {
            vault: spoof(&self.vault),
            wallet: spoof(&self.wallet),
            orders: spoof(&self.orders),
            mandates: spoof(&self.mandates),
        }
    }
}

struct World {
    table: payments_aws::Store,
    owner: Tenant,
    intruder: Tenant,
    mandate_queue: local_stack::pump::Worker,
    mandate_host: WorkerHost,
    reward_queue: local_stack::pump::Worker,
    reward_host: WorkerHost,
}

async fn world() -> World {
    let table = test_support::table().await;
    let mandate_queue = throwaway_worker("mandate-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let reward_queue = throwaway_worker("reward-worker", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let unreachable = payments::unreachable_queue();
    let vault = payments::vault_router(&table, &unreachable).await;
    let wallet = payments::wallet_router(&table).await;
    let orders = payments::orders_router(&table, &unreachable, &reward_queue.queue_url, None).await;
    let mandates = mandates_router(&table, &mandate_queue.queue_url).await;
    let tenant = || {
        let vault = Client::admin(vault.clone());
        let on = |router: &Router| Client {
            router: router.clone(),
            ..vault.clone()
        };
        Tenant {
            wallet: on(&wallet),
            orders: on(&orders),
            mandates: on(&mandates),
            vault,
        }
    };
    World {
        owner: tenant(),
        intruder: tenant(),
        mandate_host: mandate_worker_host(&table).await,
        reward_host: reward_worker_host(&table).await,
        table,
        mandate_queue,
        reward_queue,
    }
}

async fn pump(queue: &local_stack::pump::Worker, host: &WorkerHost) {
    pump_until_idle(queue, host.url(), Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The codes of an error body in format A (`errorCode`) or B (`title`).
fn codes(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["errorCode"].as_str().or_else(|| e["title"].as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `status` in the group's error `format`, with exactly the error `code`.
#[track_caller]
fn assert_refused(reply: &Reply, format: ErrorFormat, status: u16, code: &str, what: &str) {
    let (code_field, format_field) = match format {
        ErrorFormat::A => ("errorCode", "correlationId"),
        ErrorFormat::B => ("title", "traceId"),
    };
    let found: Vec<&str> = reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e[code_field].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        (
            reply.status.as_u16(),
            found,
            reply.body[format_field].is_string()
        ),
        (status, vec![code], true),
        "{what}: {}",
        reply.body
    );
}

/// What `client` reads at each of `paths`: status and body.
async fn read_all(client: &Client, paths: &[String]) -> Vec<(String, u16, Value)> {
    let mut seen = Vec::new();
    for path in paths {
        let reply = client.call(Method::GET, path, None).await;
        seen.push((path.clone(), reply.status.as_u16(), reply.body));
    }
    seen
}

/// Every `(method, path)` answered 403 to a caller using another tenant's headers.
async fn all_forbidden(client: &Client, calls: &[(Method, String)]) {
    for (method, path) in calls {
        let reply = client.call(method.clone(), path, Some(json!({}))).await;
        assert_eq!(
            reply.status.as_u16(),
            403,
            "{method} {path} with the owner's headers: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn another_tenant_cannot_reach_a_customer_its_instruments_or_wallet() {
    let w = world().await;
    let (owner, intruder) = (&w.owner, &w.intruder);
    owner
        .vault
        .call(
            Method::PUT,
            &format!("/v2/customer-vault/{CUSTOMER}"),
            Some(json!({ "metadata": { "k": "secret" } })),
        )
        .await
        .assert_status(202);
    let uk = owner
        .vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/uk-bank-account"),
            Some(json!({ "accountHolderName": "OWNER", "accountNumber": "11112222", "sortCode": "123456" })),
        )
        .await;
    uk.assert_status(201);
    let iban = owner
        .vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/international-bank-account"),
            Some(
                json!({ "name": "Owner", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX" }),
            ),
        )
        .await;
    iban.assert_status(201);
    let (id, iban_id) = (text(&uk.body["id"]), text(&iban.body["id"]));
    let toggle = format!("/v1/customer-vault/{CUSTOMER}/wallet/financial-instrument/{id}");
    owner
        .wallet
        .call(Method::POST, &toggle, None)
        .await
        .assert_status(202);
    let instrument = |id: &str| format!("/v2/customer-vault/{CUSTOMER}/financial-instrument/{id}");
    let owner_reads = [
        format!("/v2/customer-vault/{CUSTOMER}"),
        format!("/v1/customer-vault/{CUSTOMER}"),
        instrument(&id),
        instrument(&iban_id),
        format!("/v1/customer-vault/{CUSTOMER}/financial-instrument/{id}"),
        format!("/v1/customer-vault/{CUSTOMER}/wallet"),
    ];
    let before = [
        read_all(&owner.vault, &owner_reads[..5]).await,
        read_all(&owner.wallet, &owner_reads[5..]).await,
    ]
    .concat();

    // With its own headers the intruder sees an empty customer of its own and no instrument.
    for path in [
        format!("/v2/customer-vault/{CUSTOMER}"),
        format!("/v1/customer-vault/{CUSTOMER}"),
    ] {
        let seen = intruder.vault.call(Method::GET, &path, None).await;
        seen.assert_status(200);
        assert_eq!(seen.body["metadata"], json!({}), "{path}");
        assert_eq!(seen.body["financialInstruments"], json!([]), "{path}");
    }
    for fi in [&id, &iban_id] {
        for path in [
            instrument(fi),
            format!("/v1/customer-vault/{CUSTOMER}/financial-instrument/{fi}"),
        ] {
            let reply = intruder.vault.call(Method::GET, &path, None).await;
            assert_refused(
                &reply,
                ErrorFormat::A,
                404,
                "FINANCIAL_INSTRUMENT_NOT_FOUND",
                &path,
            );
        }
        let close = format!("{}/close", instrument(fi));
        let reply = intruder.vault.call(Method::PUT, &close, None).await;
        assert_refused(
            &reply,
            ErrorFormat::A,
            404,
            "FINANCIAL_INSTRUMENT_NOT_FOUND",
            &close,
        );
    }
    for method in [Method::DELETE, Method::POST] {
        let reply = intruder.wallet.call(method.clone(), &toggle, None).await;
        assert_refused(
            &reply,
            ErrorFormat::A,
            404,
            "FINANCIAL_INSTRUMENT_NOT_FOUND",
            &format!("{method} {toggle}"),
        );
    }
    let wallet = intruder
        .wallet
        .call(
            Method::GET,
            &format!("/v1/customer-vault/{CUSTOMER}/wallet"),
            None,
        )
        .await;
    wallet.assert_status(200);
    assert_eq!(wallet.body["financialInstruments"], json!([]));
    // Its writes to the same ref land in its own tenant.
    intruder
        .vault
        .call(
            Method::PUT,
            &format!("/v2/customer-vault/{CUSTOMER}"),
            Some(json!({ "metadata": { "k": "overwritten" } })),
        )
        .await
        .assert_status(202);
    intruder
        .vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/uk-bank-account"),
            Some(json!({ "accountHolderName": "INTRUDER", "accountNumber": "33334444", "sortCode": "654321" })),
        )
        .await
        .assert_status(201);
    intruder
        .vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/forget"),
            None,
        )
        .await
        .assert_status(200);

    // With the owner's headers and its own token it is refused outright.
    let spoofing = intruder.spoofing(owner);
    all_forbidden(
        &spoofing.vault,
        &[
            (Method::GET, format!("/v2/customer-vault/{CUSTOMER}")),
            (Method::PUT, format!("/v2/customer-vault/{CUSTOMER}")),
            (Method::GET, instrument(&id)),
            (Method::PUT, format!("{}/close", instrument(&id))),
            (
                Method::POST,
                format!("/v2/customer-vault/{CUSTOMER}/forget"),
            ),
            (
                Method::POST,
                format!("/v2/customer-vault/{CUSTOMER}/uk-bank-account"),
            ),
        ],
    )
    .await;
    all_forbidden(
        &spoofing.wallet,
        &[
            (Method::GET, format!("/v1/customer-vault/{CUSTOMER}/wallet")),
            (Method::DELETE, toggle.clone()),
        ],
    )
    .await;

    // The owner's customer is untouched.
    let after = [
        read_all(&owner.vault, &owner_reads[..5]).await,
        read_all(&owner.wallet, &owner_reads[5..]).await,
    ]
    .concat();
    assert_eq!(after, before);
    let mine = &after[0].2;
    assert_eq!(mine["status"], "ACTIVE");
    assert_eq!(mine["metadata"], json!({ "k": "secret" }));
    assert_eq!(mine["financialInstruments"][0]["status"], "ACTIVE");
    assert_eq!(
        mine["financialInstruments"][0]["details"]["accountHolderName"],
        "OWNER"
    );
    assert_eq!(after[5].2["financialInstruments"][0]["id"], id.as_str());
}

#[tokio::test]
async fn another_tenant_cannot_reach_orders_or_instructions() {
    let w = world().await;
    let (owner, intruder) = (&w.owner, &w.intruder);
    let scope = owner.vault.scope;
    let account = payments::bank_account(&w.table, &scope, CUSTOMER).await;
    let scheme = payments::scheme(&w.table, &scope, Direction::Credit, "SANDBOX").await;
    let payout = payments::payout_body(CUSTOMER, &account, &scheme, json!(25), "EUR", "2999-01-01");
    owner
        .orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "iso-order", "metadata": { "k": "owner" }, "instructions": [payout] })),
        )
        .await
        .assert_status(202);
    let order = "/v2/order-management/iso-order";
    let instruction = format!("{order}/instruction/payout");
    let owner_reads = vec![
        order.to_owned(),
        "/v1/order-management/iso-order".to_owned(),
        instruction.clone(),
        "/v1/order-management/iso-order/instruction/payout".to_owned(),
    ];
    let before = read_all(&owner.orders, &owner_reads).await;
    assert!(
        before.iter().all(|(_, status, _)| *status == 200),
        "{before:?}"
    );

    for path in &owner_reads {
        let reply = intruder.orders.call(Method::GET, path, None).await;
        assert_refused(&reply, ErrorFormat::A, 400, "ORDER_NOT_FOUND", path);
    }
    let incomplete = json!({ "instructionRef": "extra", "customerRef": CUSTOMER, "direction": "Credit",
                             "amount": 5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01" });
    let writes = [
        (
            Method::PUT,
            format!("{order}/metadata"),
            Some(json!({ "k": "overwritten" })),
        ),
        (Method::DELETE, format!("{order}/metadata"), None),
        (
            Method::POST,
            format!("{order}/instruction"),
            Some(incomplete),
        ),
        (
            Method::PUT,
            instruction.clone(),
            Some(json!({ "amount": 99 })),
        ),
        (Method::POST, format!("{instruction}/cancel"), None),
        (
            Method::POST,
            format!("{instruction}/authorize-reward"),
            None,
        ),
        (
            Method::POST,
            format!("{instruction}/claim-reward"),
            Some(json!({ "rewardId": uuid::Uuid::new_v4().to_string() })),
        ),
    ];
    for (method, path, body) in writes.clone() {
        let reply = intruder.orders.call(method.clone(), &path, body).await;
        assert_refused(
            &reply,
            ErrorFormat::A,
            400,
            "ORDER_NOT_FOUND",
            &format!("{method} {path}"),
        );
    }

    // The owner's instrument and scheme do not exist for the intruder.
    let mut borrowed =
        payments::payout_body(CUSTOMER, &account, &scheme, json!(5), "EUR", "2999-01-01");
    let reply = intruder
        .orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "borrowing", "instructions": [borrowed.clone()] })),
        )
        .await;
    reply.assert_status(400);
    let found = codes(&reply);
    assert!(
        found.contains(&"FINANCIAL_INSTRUMENT_NOT_FOUND".to_owned())
            && found.contains(&"SCHEME_ID_NOT_RECOGNISED".to_owned()),
        "{}",
        reply.body
    );
    // The same order ref is free in the intruder's own tenant, and stays its own.
    intruder
        .orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "iso-order", "metadata": { "k": "intruder" } })),
        )
        .await
        .assert_status(201);
    borrowed.as_object_mut().map(|o| o.remove("instructionRef"));
    intruder
        .orders
        .call(
            Method::POST,
            &format!("{order}/instruction"),
            Some(json!({ "instructionRef": "payout", "customerRef": CUSTOMER, "direction": "Credit",
                         "amount": 5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01" })),
        )
        .await
        .assert_status(204);
    let reply = intruder
        .orders
        .call(Method::PUT, &instruction, Some(borrowed))
        .await;
    reply.assert_status(400);
    assert!(
        codes(&reply).contains(&"FINANCIAL_INSTRUMENT_NOT_FOUND".to_owned()),
        "{}",
        reply.body
    );
    let own = intruder.orders.call(Method::GET, order, None).await;
    assert_eq!(own.body["metadata"], json!({ "k": "intruder" }));

    all_forbidden(
        &intruder.spoofing(owner).orders,
        &[
            (Method::GET, order.to_owned()),
            (Method::GET, instruction.clone()),
            (Method::PUT, format!("{order}/metadata")),
            (Method::PUT, instruction.clone()),
            (Method::POST, format!("{instruction}/cancel")),
            (Method::POST, "/v2/order-management".to_owned()),
        ],
    )
    .await;

    assert_eq!(read_all(&owner.orders, &owner_reads).await, before);
    assert_eq!(before[0].2["metadata"], json!({ "k": "owner" }));
    assert_eq!(before[2].2["status"], "READY");
}

#[tokio::test]
async fn another_tenant_cannot_reach_transactions_or_refunds() {
    let w = world().await;
    let (owner, intruder) = (&w.owner, &w.intruder);
    let paid = payments::completed_payout(
        &w.table,
        &owner.vault.scope,
        CUSTOMER,
        "paid",
        json!(50),
        "EUR",
        Value::Null,
    )
    .await;
    let v1 = paid
        .transaction
        .as_ref()
        .map(payments_bodies::vault::transaction_link)
        .unwrap_or_else(|| panic!("the payout has no transaction"));
    let transaction = v1.replacen("/v1/", "/v2/", 1);
    let refund = owner
        .vault
        .call(
            Method::POST,
            &format!("{transaction}/refund"),
            Some(json!({ "amount": 10, "reason": "owner's refund" })),
        )
        .await;
    refund.assert_status(200);
    let refund = format!("{transaction}/refund/{}", text(&refund.body["refundId"]));
    let instrument = transaction
        .split("/transaction/")
        .next()
        .unwrap_or_default()
        .to_owned();
    let owner_reads = vec![transaction.clone(), v1.clone(), refund.clone(), instrument];
    let before = read_all(&owner.vault, &owner_reads).await;
    assert!(
        before.iter().all(|(_, status, _)| *status == 200),
        "{before:?}"
    );

    for path in [&transaction, &v1, &refund] {
        let reply = intruder.vault.call(Method::GET, path, None).await;
        assert_refused(&reply, ErrorFormat::A, 404, "TRANSACTION_NOT_FOUND", path);
    }
    let reply = intruder
        .vault
        .call(
            Method::POST,
            &format!("{transaction}/refund"),
            Some(json!({ "amount": 40 })),
        )
        .await;
    assert_refused(
        &reply,
        ErrorFormat::A,
        404,
        "TRANSACTION_NOT_FOUND",
        "refund",
    );
    let orders = intruder
        .orders
        .call(
            Method::GET,
            "/v2/order-management/paid/instruction/payout",
            None,
        )
        .await;
    assert_refused(
        &orders,
        ErrorFormat::A,
        400,
        "ORDER_NOT_FOUND",
        "the paid instruction",
    );

    all_forbidden(
        &intruder.spoofing(owner).vault,
        &[
            (Method::GET, transaction.clone()),
            (Method::POST, format!("{transaction}/refund")),
            (Method::GET, refund.clone()),
        ],
    )
    .await;

    let after = read_all(&owner.vault, &owner_reads).await;
    assert_eq!(after, before);
    assert_eq!(after[0].2["netAmount"], json!(50));
    assert_eq!(after[0].2["refunds"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn another_tenant_cannot_reach_creditor_profiles_or_mandates() {
    let w = world().await;
    let (owner, intruder) = (&w.owner, &w.intruder);
    create_profile(&owner.mandates, "iso-profile").await;
    create_profile(&owner.mandates, "owner-only").await;
    let created = create_mandate(&owner.mandates, CUSTOMER, "iso-profile", seed_debtor()).await;
    pump(&w.mandate_queue, &w.mandate_host).await;
    let mandate = format!("/v2/mandates/sepa/{}", text(&created["mandateId"]));
    let draft = owner
        .mandates
        .call(
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(json!({ "customerRef": CUSTOMER, "debtor": { "firstName": "Jane" } })),
        )
        .await;
    draft.assert_status(201);
    let draft = format!("/v2/mandates/sepa/{}", text(&draft.body["mandateId"]));
    let instrument = format!(
        "/v2/customer-vault/{CUSTOMER}/financial-instrument/{}",
        text(&created["financialInstrumentId"])
    );
    let owner_reads = vec![
        "/v2/mandates/creditor-profiles/sepa/iso-profile".to_owned(),
        "/v2/mandates/creditor-profiles".to_owned(),
        mandate.clone(),
        draft.clone(),
    ];
    let before = (
        read_all(&owner.mandates, &owner_reads).await,
        read_all(&owner.vault, std::slice::from_ref(&instrument)).await,
    );
    assert_eq!(before.0[2].2["status"], "Active", "{:?}", before.0[2]);
    assert_eq!(before.1[0].1, 200);

    let reply = intruder
        .mandates
        .call(Method::GET, &owner_reads[0], None)
        .await;
    assert_refused(
        &reply,
        ErrorFormat::B,
        404,
        "CREDITOR_PROFILE_NOT_FOUND",
        "profile",
    );
    let list = intruder
        .mandates
        .call(Method::GET, &owner_reads[1], None)
        .await;
    list.assert_status(200);
    assert_eq!(
        (
            list.body["totalCount"].clone(),
            list.body["results"].clone()
        ),
        (json!(0), json!([]))
    );
    for path in [&mandate, &draft] {
        let reply = intruder.mandates.call(Method::GET, path, None).await;
        assert_refused(&reply, ErrorFormat::B, 404, "MANDATE_NOT_FOUND", path);
        for body in [
            json!({ "customerRef": "taken-over" }),
            mandate_body(CUSTOMER, "iso-profile", seed_debtor()),
        ] {
            let reply = intruder.mandates.call(Method::PUT, path, Some(body)).await;
            assert_refused(
                &reply,
                ErrorFormat::B,
                404,
                "MANDATE_NOT_FOUND",
                &format!("PUT {path}"),
            );
        }
        let amend = format!("{path}/amend");
        let reply = intruder
            .mandates
            .call(
                Method::PUT,
                &amend,
                Some(json!({ "debtor": seed_debtor() })),
            )
            .await;
        assert_refused(&reply, ErrorFormat::B, 404, "MANDATE_NOT_FOUND", &amend);
    }
    // The owner's profile cannot be used, and its ref is free in the intruder's tenant.
    let reply = intruder
        .mandates
        .call(
            Method::POST,
            "/v2/mandates/sepa",
            Some(mandate_body(CUSTOMER, "owner-only", seed_debtor())),
        )
        .await;
    assert_refused(
        &reply,
        ErrorFormat::B,
        400,
        "CREDITOR_PROFILE_NOT_FOUND",
        "a mandate on the owner's profile",
    );
    let mut own_profile = profile_body("iso-profile");
    own_profile["name"] = json!("Intruder Ltd");
    intruder
        .mandates
        .call(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            Some(own_profile),
        )
        .await
        .assert_status(201);
    // The mandate's instrument is not in the intruder's vault, nor usable by its instructions.
    let reply = intruder.vault.call(Method::GET, &instrument, None).await;
    assert_refused(
        &reply,
        ErrorFormat::A,
        404,
        "FINANCIAL_INSTRUMENT_NOT_FOUND",
        &instrument,
    );
    let scheme =
        payments::scheme(&w.table, &intruder.vault.scope, Direction::Debit, "SANDBOX").await;
    let mut debit = payments::payout_body(
        CUSTOMER,
        &text(&created["financialInstrumentId"]),
        &scheme,
        json!(5),
        "EUR",
        "2999-01-01",
    );
    debit["direction"] = json!("Debit");
    let reply = intruder
        .orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "collect", "instructions": [debit] })),
        )
        .await;
    assert_refused(
        &reply,
        ErrorFormat::A,
        400,
        "FINANCIAL_INSTRUMENT_NOT_FOUND",
        "a debit on the owner's mandate",
    );

    all_forbidden(
        &intruder.spoofing(owner).mandates,
        &[
            (Method::GET, owner_reads[0].clone()),
            (Method::GET, owner_reads[1].clone()),
            (Method::GET, mandate.clone()),
            (Method::PUT, draft.clone()),
            (Method::PUT, format!("{mandate}/amend")),
            (Method::POST, "/v2/mandates/sepa/draft".to_owned()),
        ],
    )
    .await;

    pump(&w.mandate_queue, &w.mandate_host).await;
    let after = (
        read_all(&owner.mandates, &owner_reads).await,
        read_all(&owner.vault, std::slice::from_ref(&instrument)).await,
    );
    assert_eq!(after, before);
    assert_eq!(after.0[0].2["name"], "Insurer GmbH");
    assert_eq!(after.0[1].2["totalCount"], 2);
}

#[tokio::test]
async fn another_tenant_cannot_reach_reward_claims() {
    let w = world().await;
    let (owner, intruder) = (&w.owner, &w.intruder);
    let gift = reward(&w.table, &owner.vault.scope, "Gift Card", &[]).await;
    let order = json!({ "orderRef": "rewarded", "instructions": [{
        "instructionRef": "payout", "customerRef": CUSTOMER, "direction": "Credit",
        "amount": 25, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
    }]});
    let instruction = "/v2/order-management/rewarded/instruction/payout";
    owner
        .orders
        .call(Method::POST, "/v2/order-management", Some(order.clone()))
        .await
        .assert_status(202);
    owner
        .orders
        .call(
            Method::POST,
            &format!("{instruction}/authorize-reward"),
            None,
        )
        .await
        .assert_status(201);
    let claim = owner
        .orders
        .call(
            Method::POST,
            &format!("{instruction}/claim-reward"),
            Some(json!({ "rewardId": gift.to_string() })),
        )
        .await;
    claim.assert_status(202);
    pump(&w.reward_queue, &w.reward_host).await;
    let location = claim
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let transaction = location
        .find("/v1/")
        .map(|start| location[start..].to_owned())
        .unwrap_or_else(|| panic!("no path in {location}"));
    let reward_instrument = transaction
        .replace("/reward/", "/financial-instrument/")
        .split("/transaction/")
        .next()
        .unwrap_or_default()
        .replacen("/v1/", "/v2/", 1);
    let owner_reads = vec![transaction.clone(), reward_instrument.clone()];
    let before = (
        read_all(&owner.vault, &owner_reads).await,
        read_all(&owner.orders, &[instruction.to_owned()]).await,
    );
    assert_eq!(before.0[0].2["status"], "SETTLED", "{:?}", before.0[0]);
    assert_eq!(before.0[1].1, 200);

    let reply = intruder.vault.call(Method::GET, &transaction, None).await;
    assert_refused(
        &reply,
        ErrorFormat::A,
        404,
        "TRANSACTION_NOT_FOUND",
        &transaction,
    );
    let reply = intruder
        .vault
        .call(Method::GET, &reward_instrument, None)
        .await;
    assert_refused(
        &reply,
        ErrorFormat::A,
        404,
        "FINANCIAL_INSTRUMENT_NOT_FOUND",
        &reward_instrument,
    );
    for action in ["authorize-reward", "claim-reward"] {
        let path = format!("{instruction}/{action}");
        let reply = intruder
            .orders
            .call(
                Method::POST,
                &path,
                Some(json!({ "rewardId": gift.to_string() })),
            )
            .await;
        assert_refused(&reply, ErrorFormat::A, 400, "ORDER_NOT_FOUND", &path);
    }
    // The owner's catalogue is not the intruder's: its own authorized payout cannot claim it.
    intruder
        .orders
        .call(Method::POST, "/v2/order-management", Some(order))
        .await
        .assert_status(202);
    intruder
        .orders
        .call(
            Method::POST,
            &format!("{instruction}/authorize-reward"),
            None,
        )
        .await
        .assert_status(201);
    let reply = intruder
        .orders
        .call(
            Method::POST,
            &format!("{instruction}/claim-reward"),
            Some(json!({ "rewardId": gift.to_string() })),
        )
        .await;
    assert_refused(
        &reply,
        ErrorFormat::A,
        400,
        "REWARD_ID_NOT_RECOGNISED",
        "the owner's reward",
    );
    // Forgetting the same customer ref in its own tenant leaves the owner's credentials.
    intruder
        .vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{CUSTOMER}/forget"),
            None,
        )
        .await
        .assert_status(200);

    all_forbidden(
        &intruder.spoofing(owner).vault,
        &[
            (Method::GET, transaction.clone()),
            (Method::GET, reward_instrument.clone()),
        ],
    )
    .await;
    all_forbidden(
        &intruder.spoofing(owner).orders,
        &[(Method::POST, format!("{instruction}/claim-reward"))],
    )
    .await;

    let after = (
        read_all(&owner.vault, &owner_reads).await,
        read_all(&owner.orders, &[instruction.to_owned()]).await,
    );
    assert_eq!(after, before);
    assert_eq!(
        after.0[0].2["data"]["credentialList"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
