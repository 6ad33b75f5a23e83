//! The sample events under `events/` are real API Gateway v2 HTTP events for the functions'
//! routes: each parses with `lambda_http`, reaches the route its `routeKey` names, and every
//! route has one.

use payments_aws::worker::Worker;
use payments_http::RouteSpec;
use serde_json::Value;
use std::collections::BTreeSet;
use test_support::Client;

fn route_key(route: &RouteSpec) -> String {
    format!("{} {}", route.method, route.path)
}

/// How a sample is made to authenticate: a bearer token of the client's tenant, or (for the
/// identity function's events) a real API key signature in place of the `REPLACE_WITH_…`
/// placeholders of an `Hmac` header.
enum Credentials<'a> {
    Bearer,
    ApiKey(&'a dyn Fn() -> String),
    /// SANDBOX's webhook headers, signed now over the sample's own id and body.
    Webhook,
}

async fn check_function(function: &str, client: Client, table: &[RouteSpec]) {
    check_function_with(function, client, table, Credentials::Bearer).await;
}

async fn check_function_with(
    function: &str,
    client: Client,
    table: &[RouteSpec],
    credentials: Credentials<'_>,
) {
    let dir = local_stack::repo_root().join("events").join(function);
    let mut covered = BTreeSet::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let file = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap_or_default())
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let headers = &mut event["headers"];
        match &credentials {
            Credentials::Bearer => {
                headers["authorization"] = Value::from(format!(
                    "Bearer {}",
                    client.token.clone().unwrap_or_default()
                ));
                headers["x-account-id"] = Value::from(client.scope.account.to_string());
                headers["x-tenant-id"] = Value::from(client.scope.tenant.to_string());
            }
            Credentials::ApiKey(key) => {
                if headers.get("authorization").is_some() {
                    headers["authorization"] = Value::from(key());
                }
            }
            Credentials::Webhook => {
                let secret = payments_domain::providers::WebhookSecret::parse(
                    test_support::providers::WEBHOOK_SECRET,
                )
                .unwrap_or_else(|e| panic!("{e}"));
                let id = headers["webhook-id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let body = event["body"].as_str().unwrap_or_default().to_owned();
                let now = chrono::Utc::now().timestamp();
                let headers = &mut event["headers"];
                headers["webhook-timestamp"] = Value::from(now.to_string());
                headers["webhook-signature"] = Value::from(secret.sign(&id, now, body.as_bytes()));
            }
        }
        let route = event["routeKey"].as_str().unwrap_or_default().to_owned();
        assert!(
            table.iter().any(|r| route_key(r) == route),
            "{}: routeKey {route} is not a route of {function}",
            file.display()
        );
        covered.insert(route);

        let request = lambda_http::request::from_str(&event.to_string())
            .unwrap_or_else(|e| panic!("{}: lambda_http cannot read it: {e}", file.display()))
            .map(|body| axum::body::Body::from(body.to_vec()));
        let reply = client.send(request).await;
        let status = reply.status.as_u16();
        assert!(
            !matches!(status, 401 | 403 | 405) && reply.body.get("instance").is_none(),
            "{}: answered {status} {}",
            file.display(),
            reply.body
        );
    }
    let expected: BTreeSet<String> = table.iter().map(route_key).collect();
    assert_eq!(
        covered, expected,
        "every route of {function} needs a sample event"
    );
}

#[tokio::test]
async fn every_route_has_a_sample_event_that_reaches_it() {
    let table = test_support::table().await;
    let vault =
        test_support::payments::vault_router(&table, &test_support::payments::unreachable_queue())
            .await;
    check_function(
        "customer-vault",
        Client::admin(vault),
        customer_vault::api().table(),
    )
    .await;
    let wallet = test_support::payments::wallet_router(&table).await;
    let instructions =
        test_support::queues::throwaway_worker("instruction-worker", Default::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let orders = test_support::payments::orders_router(
        &table,
        &instructions.queue_url,
        &test_support::payments::unreachable_queue(),
        None,
    )
    .await;
    check_function(
        "order-management",
        Client::admin(orders),
        order_management::api().table(),
    )
    .await;
    check_function(
        "customer-wallet",
        Client::admin(wallet),
        customer_wallet::api().table(),
    )
    .await;
    let mandates = test_support::mandates::mandates_router(
        &table,
        &test_support::payments::unreachable_queue(),
    )
    .await;
    check_function("mandates", Client::admin(mandates), mandates::api().table()).await;
    check_function(
        "notifications",
        Client::admin(test_support::notifications::notifications_router(&table).await),
        notifications::api().table(),
    )
    .await;
    check_identity(&table).await;
    let events =
        test_support::queues::throwaway_worker("provider-event-worker", Default::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    check_function_with(
        "provider-webhooks",
        Client::admin(test_support::providers::webhooks_router(&table, &events.queue_url).await)
            .with_token(None),
        provider_webhooks::api().table(),
        Credentials::Webhook,
    )
    .await;
}

/// The identity samples, the exchange signed with a real API key (the sample has no body).
async fn check_identity(table: &payments_aws::Store) {
    use test_support::identity::{api_key, identity_router, python_signature, signing_key};
    let (signing, _) = signing_key();
    let key = api_key(
        table,
        test_support::new_scope(),
        &[payments_domain::auth::Role::Admin],
    )
    .await;
    let sign = || {
        let (nonce, at) = (
            uuid::Uuid::new_v4().simple().to_string(),
            chrono::Utc::now().timestamp(),
        );
        let private_key = key.private_key.expose();
        let signature = python_signature(&key.key.public_key, &nonce, at, private_key, "");
        format!("Hmac {}:{nonce}:{at}:{signature}", key.key.public_key)
    };
    check_function_with(
        "identity",
        Client::admin(identity_router(table, &signing).await).with_token(None),
        identity::api().table(),
        Credentials::ApiKey(&sign),
    )
    .await;
}

fn sqs_sample(worker: &str) -> aws_lambda_events::sqs::SqsEvent {
    let path = local_stack::repo_root().join(format!("events/{worker}/sqs-event.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each worker's sample is an SQS batch it handles; they name work that does not exist here,
/// which is done with, not retried.
#[tokio::test]
async fn the_worker_sample_events_are_sqs_batches_they_handle() {
    let table = test_support::table().await;
    let instructions = test_support::payments::instruction_worker(&table, Vec::new()).await;
    let answer = instructions.handle(sqs_sample("instruction-worker")).await;
    assert!(answer.batch_item_failures.is_empty());
    let refunds = test_support::payments::refund_worker(&table).await;
    let answer = refunds.handle(sqs_sample("refund-worker")).await;
    assert!(answer.batch_item_failures.is_empty());
    let rewards = test_support::rewards::reward_worker(&table).await;
    let answer = rewards.handle(sqs_sample("reward-worker")).await;
    assert!(answer.batch_item_failures.is_empty());
    let mandates = test_support::mandates::mandate_worker(&table).await;
    let answer = mandates.handle(sqs_sample("mandate-worker")).await;
    assert!(answer.batch_item_failures.is_empty());
    let events = test_support::providers::event_worker(&table).await;
    let answer = events.handle(sqs_sample("provider-event-worker")).await;
    assert!(answer.batch_item_failures.is_empty());
    let dispatcher = test_support::notifications::dispatcher(
        &table,
        &test_support::payments::unreachable_queue(),
        false,
    )
    .await;
    let answer = dispatcher.handle(sqs_sample("webhook-dispatcher")).await;
    assert!(answer.batch_item_failures.is_empty());
    // The sender posts its sample to the webhook function served over HTTP.
    let served = test_support::providers::webhooks_router(
        &table,
        &test_support::payments::unreachable_queue(),
    )
    .await;
    let base = test_support::providers::serve(served).await;
    let sender =
        test_support::providers::sender(&format!("{base}/v1/providers/SANDBOX/webhooks")).await;
    let answer = sender.handle(sqs_sample("sandbox-webhook-sender")).await;
    assert!(answer.batch_item_failures.is_empty());
}

#[test]
fn the_sweep_sample_event_is_what_local_schedules_send() {
    let path = local_stack::repo_root().join("events/sweep/scheduled-event.json");
    let sample: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let local = local_stack::schedule::scheduled_event(chrono::Utc::now());
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&sample), keys(&local));
    assert_eq!(sample["detail-type"], local["detail-type"]);
}
