//! After forget, every write that would carry the customer's personal data is refused with 400
//! `CUSTOMER_FORGOTTEN` and stores nothing (docs/api.md §5.9). The writes are listed from the
//! route tables of the functions: a new POST, PUT or DELETE fails here until it says what it
//! does for a forgotten customer.

use http::Method;
use payments_domain::ids::MandateId;
use payments_domain::mandates::RegisterMandate;
use payments_domain::payments::Direction;
use payments_http::RouteSpec;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use test_support::mandates::{create_mandate, create_profile, mandate_body, seed_debtor};
use test_support::queues::sqs_event;
use test_support::{payments, Client};

const GONE: &str = "gone";

/// What a write does for a forgotten customer.
enum AfterForget {
    /// Sent with personal data of the customer (each value holds the test's marker): refused.
    Refused {
        client: Client,
        path: String,
        body: Option<Value>,
    },
    /// It carries no personal data of a customer: why.
    NoPersonalData(&'static str),
}

/// The guarded writing routes of every HTTP function of the template, by function.
fn writing_routes() -> Vec<(&'static str, Vec<RouteSpec>)> {
    crate::round_trips::http_functions()
        .into_iter()
        .map(|function| {
            let writes = function
                .routes
                .into_iter()
                .filter(|r| r.guarded && r.method != Method::GET)
                .collect();
            (function.name, writes)
        })
        .collect()
}

/// The error codes of an answer in format A (`errorCode`) or B (`title`).
fn codes(reply: &test_support::Reply) -> Vec<String> {
    match reply.error_codes() {
        codes if !codes.is_empty() => codes,
        _ => reply
            .format_b_errors()
            .into_iter()
            .map(|(title, _)| title)
            .collect(),
    }
}

fn id(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {value}"))
        .to_owned()
}

#[tokio::test]
async fn every_write_that_carries_a_forgotten_customers_personal_data_is_refused() {
    let table = test_support::table().await;
    let queue = payments::unreachable_queue();
    let vault = Client::admin(payments::vault_router(&table, &queue).await);
    let scope = vault.scope;
    let tenant = |router| Client {
        router,
        ..vault.clone()
    };
    let orders = tenant(payments::orders_router(&table, &queue, &queue, None).await);
    let mandates = tenant(test_support::mandates::mandates_router(&table, &queue).await);

    // Before forget: an account, a payment made to it, an open order, a reward authorized, a
    // draft mandate and an active one, all the customer's.
    let account = vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{GONE}/uk-bank-account"),
            Some(json!({ "accountHolderName": "JOHN DOE", "accountNumber": "99999911", "sortCode": "111211" })),
        )
        .await;
    account.assert_status(201);
    let instrument = id(&account.body, "id");
    let paid =
        payments::completed_payout(&table, &scope, GONE, "paid", json!(10), "EUR", json!({})).await;
    let (paid_with, transaction) = paid
        .transaction
        .as_ref()
        .map(|t| (t.financial_instrument_id.to_string(), t.id.to_string()))
        .unwrap_or_else(|| panic!("the payout has no transaction"));
    let scheme = payments::scheme(&table, &scope, Direction::Credit, "SANDBOX").await;
    let payout = |reference: &str| {
        let mut body = payments::payout_body(
            GONE,
            &instrument,
            &scheme.to_string(),
            json!(5),
            "EUR",
            "2999-01-01",
        );
        body["instructionRef"] = json!(reference);
        body
    };
    // An instruction naming no account yet: after forget the customer's accounts are unusable,
    // which an instruction naming one is refused for first.
    let bare = |reference: &str| {
        json!({
            "instructionRef": reference, "customerRef": GONE, "direction": "Credit",
            "amount": 5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
        })
    };
    orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "open", "instructions": [payout("later"), bare("bare")] })),
        )
        .await
        .assert_status(202);
    let reward = test_support::rewards::reward(&table, &scope, "Gift Card", &[]).await;
    orders
        .call(
            Method::POST,
            "/v2/order-management",
            Some(json!({ "orderRef": "rewarded", "instructions": [{
                "instructionRef": "payout", "customerRef": GONE, "direction": "Credit",
                "amount": 25, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
            }]})),
        )
        .await
        .assert_status(202);
    orders
        .call(
            Method::POST,
            "/v2/order-management/rewarded/instruction/payout/authorize-reward",
            None,
        )
        .await
        .assert_status(201);
    create_profile(&mandates, "insurer").await;
    let draft = mandates
        .call(
            Method::POST,
            "/v2/mandates/sepa/draft",
            Some(json!({ "customerRef": GONE, "debtor": { "firstName": "John" } })),
        )
        .await;
    draft.assert_status(201);
    let draft = id(&draft.body, "mandateId");
    let active = id(
        &create_mandate(&mandates, GONE, "insurer", seed_debtor()).await,
        "mandateId",
    );
    let registration = RegisterMandate {
        scope: scope.into(),
        mandate_id: MandateId::parse(&active).unwrap_or_else(|e| panic!("{e:?}")),
    };
    let worker = test_support::mandates::mandate_worker(&table).await;
    let answer = payments_aws::worker::Worker::handle(&worker, sqs_event(&registration)).await;
    assert!(answer.batch_item_failures.is_empty(), "registration failed");

    vault
        .call(
            Method::POST,
            &format!("/v2/customer-vault/{GONE}/forget"),
            None,
        )
        .await
        .assert_status(200);

    // Short enough for every field it goes into (a UK account holder's name takes 18).
    let marker = format!("FGT{}", &uuid::Uuid::new_v4().simple().to_string()[..12]).to_uppercase();
    let note = json!({ "note": marker });
    let debtor = {
        let mut debtor = seed_debtor();
        debtor["lastName"] = json!(marker);
        debtor
    };
    let refused = |client: &Client, path: &str, body: Value| AfterForget::Refused {
        client: client.clone(),
        path: path.to_owned(),
        body: Some(body),
    };
    let customer = format!("/v2/customer-vault/{GONE}");
    let with_metadata = |reference: &str| {
        let mut body = bare(reference);
        body["metadata"] = note.clone();
        body
    };
    let cases: BTreeMap<(&str, &str, &str), AfterForget> = BTreeMap::from([
        (
            ("customer-vault", "PUT", "/v2/customer-vault/{customerRef}"),
            refused(&vault, &customer, json!({ "metadata": note })),
        ),
        (
            ("customer-vault", "POST", "/v2/customer-vault/{customerRef}/forget"),
            AfterForget::NoPersonalData("forget itself, which takes no body"),
        ),
        (
            ("customer-vault", "POST", "/v2/customer-vault/{customerRef}/international-bank-account"),
            refused(
                &vault,
                &format!("{customer}/international-bank-account"),
                json!({ "name": marker, "iban": "GB29NWBK60161331926819" }),
            ),
        ),
        (
            ("customer-vault", "POST", "/v2/customer-vault/{customerRef}/uk-bank-account"),
            refused(
                &vault,
                &format!("{customer}/uk-bank-account"),
                json!({ "accountHolderName": marker, "accountNumber": "99999911", "sortCode": "111211" }),
            ),
        ),
        (
            ("customer-vault", "PUT", "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/close"),
            AfterForget::NoPersonalData("its reason is checked, never stored"),
        ),
        (
            ("customer-vault", "POST", "/v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund"),
            refused(
                &vault,
                &format!("{customer}/financial-instrument/{paid_with}/transaction/{transaction}/refund"),
                json!({ "amount": 1, "reason": marker }),
            ),
        ),
        (
            ("customer-wallet", "POST", "/v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}"),
            AfterForget::NoPersonalData("puts an instrument in the wallet; its reason is not stored"),
        ),
        (
            ("customer-wallet", "DELETE", "/v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}"),
            AfterForget::NoPersonalData("takes an instrument out of the wallet; its reason is not stored"),
        ),
        (
            ("order-management", "POST", "/v2/order-management"),
            refused(
                &orders,
                "/v2/order-management",
                json!({ "orderRef": "after", "instructions": [with_metadata("payout")] }),
            ),
        ),
        (
            ("order-management", "PUT", "/v2/order-management/{orderRef}/metadata"),
            refused(&orders, "/v2/order-management/open/metadata", note.clone()),
        ),
        (
            ("order-management", "DELETE", "/v2/order-management/{orderRef}/metadata"),
            AfterForget::NoPersonalData("erases the order's metadata"),
        ),
        (
            ("order-management", "POST", "/v2/order-management/{orderRef}/instruction"),
            refused(
                &orders,
                "/v2/order-management/open/instruction",
                with_metadata("added"),
            ),
        ),
        (
            ("order-management", "PUT", "/v2/order-management/{orderRef}/instruction/{instructionRef}"),
            refused(
                &orders,
                "/v2/order-management/open/instruction/bare",
                json!({ "metadata": note }),
            ),
        ),
        (
            ("order-management", "POST", "/v2/order-management/{orderRef}/instruction/{instructionRef}/cancel"),
            refused(
                &orders,
                "/v2/order-management/open/instruction/bare/cancel",
                json!({ "reason": marker }),
            ),
        ),
        (
            ("order-management", "POST", "/v2/order-management/{orderRef}/instruction/{instructionRef}/authorize-reward"),
            AfterForget::NoPersonalData("marks an instruction to be paid as a reward"),
        ),
        (
            ("order-management", "POST", "/v2/order-management/{orderRef}/instruction/{instructionRef}/claim-reward"),
            refused(
                &orders,
                "/v2/order-management/rewarded/instruction/payout/claim-reward",
                json!({ "rewardId": reward.to_string() }),
            ),
        ),
        (
            ("mandates", "POST", "/v2/mandates/creditor-profiles/sepa"),
            AfterForget::NoPersonalData("the tenant's own creditor profile"),
        ),
        (
            ("mandates", "POST", "/v2/mandates/sepa"),
            refused(&mandates, "/v2/mandates/sepa", mandate_body(GONE, "insurer", debtor.clone())),
        ),
        (
            ("mandates", "POST", "/v2/mandates/sepa/draft"),
            refused(
                &mandates,
                "/v2/mandates/sepa/draft",
                json!({ "customerRef": GONE, "debtor": debtor }),
            ),
        ),
        (
            ("mandates", "PUT", "/v2/mandates/sepa/{mandateId}"),
            refused(
                &mandates,
                &format!("/v2/mandates/sepa/{draft}"),
                mandate_body(GONE, "insurer", debtor.clone()),
            ),
        ),
        (
            ("mandates", "PUT", "/v2/mandates/sepa/{mandateId}/amend"),
            refused(
                &mandates,
                &format!("/v2/mandates/sepa/{active}/amend"),
                json!({ "debtor": debtor }),
            ),
        ),
        (
            ("notifications", "POST", "/v1/notifications/webhooks"),
            AfterForget::NoPersonalData("a tenant's webhook endpoint, no customer's"),
        ),
        (
            ("notifications", "PUT", "/v1/notifications/webhooks/{webhookId}"),
            AfterForget::NoPersonalData("a tenant's webhook endpoint, no customer's"),
        ),
        (
            ("notifications", "DELETE", "/v1/notifications/webhooks/{webhookId}"),
            AfterForget::NoPersonalData("a tenant's webhook endpoint, no customer's"),
        ),
        (
            ("notifications", "POST", "/v1/notifications/webhooks/{webhookId}/rotate-secret"),
            AfterForget::NoPersonalData("a tenant's webhook secret"),
        ),
        (
            ("notifications", "POST", "/v1/notifications/webhooks/{webhookId}/test"),
            AfterForget::NoPersonalData("a test event about the endpoint itself"),
        ),
        (
            ("notifications", "POST", "/v1/notifications/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver"),
            AfterForget::NoPersonalData("sends an event already recorded (forget erased its object)"),
        ),
    ]);

    let mut problems = Vec::new();
    let mut listed = Vec::new();
    for (function, routes) in writing_routes() {
        for route in routes {
            let method = route.method.as_str().to_owned();
            listed.push((function, method.clone(), route.path));
            match cases.get(&(function, method.as_str(), route.path)) {
                None => problems.push(format!(
                    "{function}: {} {}: say in forgotten_writes.rs what it does for a forgotten customer",
                    route.method, route.path
                )),
                Some(AfterForget::NoPersonalData(why)) if why.trim().is_empty() => problems.push(
                    format!("{function}: {} {}: say why it carries no personal data", route.method, route.path),
                ),
                Some(AfterForget::NoPersonalData(_)) => {}
                Some(AfterForget::Refused { client, path, body }) => {
                    let reply = client.call(route.method.clone(), path, body.clone()).await;
                    if reply.status != 400 || codes(&reply) != vec!["CUSTOMER_FORGOTTEN"] {
                        problems.push(format!(
                            "{function}: {} {path}: expected 400 CUSTOMER_FORGOTTEN, got {} {}",
                            route.method, reply.status, reply.body
                        ));
                    }
                }
            }
        }
    }
    let is_listed = |(f, m, p): &(&str, &str, &str)| {
        listed
            .iter()
            .any(|(function, method, path)| (function, method.as_str(), path) == (f, *m, p))
    };
    for key in cases.keys().filter(|key| !is_listed(key)) {
        problems.push(format!("{key:?} is no writing route of its function"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // And none of what was refused was stored anywhere.
    let text = crate::forget_scan::table_text(table.client()).await;
    assert!(
        !text.contains(&marker),
        "the refused personal data was stored"
    );
}
