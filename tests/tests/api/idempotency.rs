//! Idempotency keys (docs/api.md §10) end to end against moto, on requests that do something:
//! a retried POST with the same key is done once (a bank account, a refund, an order), also
//! when the retries race; a key still held by a request in progress is a 409, and one whose
//! holder died can be taken over once its lock runs out; a request that failed with a server
//! error lets its key go, so its retry is done. `security.rs` checks the mechanism on
//! every guarded POST of the route tables.

use http::Method;
use payments_domain::idempotency::{self, Claim, IdempotencyKey, LOCK_MS};
use payments_domain::Now;
use serde_json::{json, Value};
use test_support::{payments, Client, Reply};

fn replayed(reply: &Reply) -> bool {
    reply
        .headers
        .get("idempotent-replayed")
        .is_some_and(|v| v.as_bytes() == b"true")
}

#[tokio::test]
async fn a_retried_post_is_done_once() {
    let table = test_support::table().await;
    let queue = payments::unreachable_queue();
    let vault = Client::admin(payments::vault_router(&table, &queue).await);
    let account = json!({ "accountHolderName": "JOHN DOE", "accountNumber": "99999911", "sortCode": "111211" });
    let path = "/v2/customer-vault/idem-1/uk-bank-account";
    let first = vault.post_keyed(path, "add-account-1", &account).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = vault.post_keyed(path, "add-account-1", &account).await;
    assert!(replayed(&again));
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    let customer = vault
        .call(Method::GET, "/v2/customer-vault/idem-1", None)
        .await;
    assert_eq!(
        customer.body["financialInstruments"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "one bank account: {}",
        customer.body
    );
    // Another key is another request.
    let other = vault.post_keyed(path, "add-account-2", &account).await;
    assert!(!replayed(&other));

    // An order, retried: one order, the same 202 and Location.
    let orders = Client {
        router: payments::orders_router(&table, &queue, &queue, None).await,
        ..vault.clone()
    };
    let order = json!({ "orderRef": "idem-order", "instructions": [{
        "instructionRef": "payout", "customerRef": "idem-1", "direction": "Credit",
        "amount": 5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
    }]});
    let created = orders
        .post_keyed("/v2/order-management", "order-1", &order)
        .await;
    let repeated = orders
        .post_keyed("/v2/order-management", "order-1", &order)
        .await;
    assert!(created.status.is_success(), "{}", created.body);
    assert!(replayed(&repeated));
    assert_eq!(repeated.status, created.status);
    assert_eq!(
        repeated.headers.get("location"),
        created.headers.get("location")
    );
    // Without a key, the same order is the clash it always was.
    let clash = orders
        .call(Method::POST, "/v2/order-management", Some(order))
        .await;
    assert_eq!(clash.status, 400, "{}", clash.body);
}

#[tokio::test]
async fn racing_retries_of_a_refund_make_one_refund() {
    let table = test_support::table().await;
    let queue = payments::unreachable_queue();
    let vault = Client::admin(payments::vault_router(&table, &queue).await);
    let paid = payments::completed_payout(
        &table,
        &vault.scope,
        "idem-refund",
        "paid",
        json!(30),
        "EUR",
        Value::Null,
    )
    .await;
    let transaction = paid
        .transaction
        .as_ref()
        .map(|t| payments_bodies::vault::transaction_link(t).replacen("/v1/", "/v2/", 1))
        .unwrap_or_default();
    let refund = format!("{transaction}/refund");
    let body = json!({ "amount": 5 });
    let replies = futures_util::future::join_all(
        (0..4).map(|_| vault.post_keyed(&refund, "refund-1", &body)),
    )
    .await;
    let done: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(
        !done.is_empty(),
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, &r.body))
            .collect::<Vec<_>>()
    );
    for reply in &replies {
        assert!(
            reply.status == 200 || reply.status == 409,
            "a racing retry is the answer or IDEMPOTENCY_KEY_IN_USE: {} {}",
            reply.status,
            reply.body
        );
        if reply.status == 409 {
            assert_eq!(
                reply.body["errors"][0]["errorCode"],
                "IDEMPOTENCY_KEY_IN_USE"
            );
        }
    }
    let refund_ids: std::collections::BTreeSet<String> = done
        .iter()
        .map(|r| r.body["refundId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(refund_ids.len(), 1, "{refund_ids:?}");
    // A later retry gets the same refund; the transaction holds one.
    let later = vault.post_keyed(&refund, "refund-1", &body).await;
    assert!(replayed(&later));
    assert_eq!(later.body, done[0].body);
    let shown = vault.call(Method::GET, &transaction, None).await;
    assert_eq!(
        shown.body["refunds"].as_array().map(Vec::len),
        Some(1),
        "{}",
        shown.body
    );
}

#[tokio::test]
async fn a_key_held_by_a_request_in_progress_is_a_409_until_its_lock_runs_out() {
    let table = test_support::table().await;
    let vault = Client::admin(payments::vault_router(&table, &payments::unreachable_queue()).await);
    let path = "/v2/customer-vault/idem-held/uk-bank-account";
    let account = json!({ "accountHolderName": "JANE DOE", "accountNumber": "99999911", "sortCode": "111211" });
    // Another request claimed the key a moment ago, for this very request.
    let key = IdempotencyKey::parse("held-1").unwrap_or_else(|e| panic!("{e:?}"));
    let fingerprint = idempotency::fingerprint("POST", path, account.to_string().as_bytes());
    let now = Now::read().epoch_ms();
    let claim = idempotency::claim(
        &table,
        &vault.scope,
        &key,
        &fingerprint,
        now - LOCK_MS + 5_000,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(claim, Claim::Granted { .. }));
    let busy = vault.post_keyed(path, "held-1", &account).await;
    assert_eq!(busy.status, 409, "{}", busy.body);
    assert_eq!(
        busy.body["errors"][0]["errorCode"],
        "IDEMPOTENCY_KEY_IN_USE"
    );
    // That request died: once its lock has run out, a retry takes the key over and is done.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let taken_over = vault.post_keyed(path, "held-1", &account).await;
    assert_eq!(taken_over.status, 201, "{}", taken_over.body);
    assert!(!replayed(&taken_over));
    let again = vault.post_keyed(path, "held-1", &account).await;
    assert!(replayed(&again));
    assert_eq!(again.body, taken_over.body);
}

#[tokio::test]
async fn a_post_that_failed_with_a_server_error_lets_its_key_go() {
    let table = test_support::table().await;
    // KMS cannot seal the endpoint's secret (its key does not exist): a 500 after the key
    // was claimed.
    let settings = test_support::settings_on("notifications", &table)
        .await
        .with(payments_aws::config::API_KEY_KMS_KEY_ID, "no-such-key");
    let broken = Client::admin(
        payments::built(notifications::app(
            &settings,
            &test_support::clients().await,
        ))
        .await,
    );
    let webhooks = "/v1/notifications/webhooks";
    let endpoint = json!({ "url": "https://hooks.example.com/payments", "events": ["*"] });
    let failed = broken.post_keyed(webhooks, "endpoint-1", &endpoint).await;
    assert_eq!(failed.status, 500, "{}", failed.body);

    // Retried once sealing works: done, neither refused as in use nor replayed as the 500.
    let working = Client {
        router: test_support::notifications::notifications_router(&table).await,
        ..broken.clone()
    };
    let retried = working.post_keyed(webhooks, "endpoint-1", &endpoint).await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert!(!replayed(&retried));
    let again = working.post_keyed(webhooks, "endpoint-1", &endpoint).await;
    assert!(replayed(&again));
    assert_eq!(again.body["webhookId"], retried.body["webhookId"]);
    let listed = working.call(Method::GET, webhooks, None).await;
    let count = listed.body["results"].as_array().map(Vec::len);
    assert_eq!(count, Some(1), "one endpoint: {}", listed.body);
}

/// A kept answer about a customer is sealed under their data key (docs/decisions/0019), since
/// it may quote their data: before forget it is given again; after, it is gone with their data
/// (also once a refused write has made the customer a new key), and a retry is refused with a
/// code of its own rather than done again.
#[tokio::test]
async fn after_forget_a_kept_answer_is_erased_and_its_request_not_done_again() {
    let table = test_support::table().await;
    let vault = Client::admin(payments::vault_router(&table, &payments::unreachable_queue()).await);
    let account = json!({ "accountHolderName": "JANE DOE", "accountNumber": "99999911", "sortCode": "111211" });
    let path = "/v2/customer-vault/idem-forget/uk-bank-account";
    let first = vault.post_keyed(path, "forget-1", &account).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = vault.post_keyed(path, "forget-1", &account).await;
    assert!(replayed(&again));
    assert_eq!(again.body, first.body);
    let answer_of = |text: &str| text.contains(first.body["id"].as_str().unwrap_or("?"));
    let kept = crate::forget_scan::kept_answers(&vault.scope).await;
    assert_eq!(kept.len(), 1);
    let (raw, readable) = &kept[0];
    assert!(
        answer_of(readable) && !answer_of(raw),
        "kept in clear: {raw}"
    );

    vault
        .call(Method::POST, "/v2/customer-vault/idem-forget/forget", None)
        .await
        .assert_status(200);

    // A write refused for the forgotten customer may make them a new key: what the old one
    // sealed stays erased.
    vault
        .call(Method::POST, path, Some(account.clone()))
        .await
        .assert_status(400);
    let retried = vault.post_keyed(path, "forget-1", &account).await;
    assert_eq!(retried.status, 409, "{}", retried.body);
    assert_eq!(retried.error_codes(), ["IDEMPOTENCY_KEY_ANSWER_ERASED"]);
    let customer = vault
        .call(Method::GET, "/v2/customer-vault/idem-forget", None)
        .await;
    assert_eq!(
        customer.body["financialInstruments"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "done once: {}",
        customer.body
    );
    let kept = crate::forget_scan::kept_answers(&vault.scope).await;
    assert!(!answer_of(&kept[0].1), "the kept answer outlived forget");
}
