//! The notifications routes (docs/api.md §9) in-process against moto, built as the function's
//! main builds them: an endpoint created with its secret shown once and stored sealed, read,
//! listed, replaced, deleted, its secret rotated (racing rotations too), every validation in
//! format A, and the URL rules for a deployment and for `make dev`.

use http::Method;
use payments_domain::identity::{open, LocalKeyWrapper};
use payments_domain::ids::WebhookId;
use payments_domain::notifications::{secret_context, WebhookEndpoints};
use payments_domain::providers::WebhookSecret;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use test_support::notifications::{dev_notifications_router, notifications_router};
use test_support::{Client, Reply};

const WEBHOOKS: &str = "/v1/notifications/webhooks";

struct World {
    client: Client,
    table: payments_aws::Store,
}

async fn world() -> World {
    let table = test_support::table().await;
    World {
        client: Client::admin(notifications_router(&table).await),
        table,
    }
}

fn endpoint_body(url: &str) -> Value {
    json!({ "url": url, "events": ["instruction.completed", "refund.failed"], "description": "Back office" })
}

impl World {
    async fn create(&self, body: Value) -> Reply {
        self.client.call(Method::POST, WEBHOOKS, Some(body)).await
    }

    async fn created(&self) -> (String, String) {
        let reply = self
            .create(endpoint_body("https://hooks.example.com/p"))
            .await;
        reply.assert_status(201);
        let text = |name: &str| reply.body[name].as_str().unwrap_or_default().to_owned();
        (text("webhookId"), text("secret"))
    }

    /// The secrets stored for the endpoint, opened with the test run's local key.
    async fn stored_secrets(&self, id: &str) -> Vec<String> {
        let id = WebhookId::parse(id).unwrap_or_else(|e| panic!("{e:?}"));
        let endpoint = self
            .table
            .endpoint(&self.client.scope, id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the endpoint is stored"));
        let wrapper = LocalKeyWrapper::from_file(&test_support::identity::key_file())
            .unwrap_or_else(|e| panic!("{e}"));
        let context = secret_context(&self.client.scope, id);
        let mut secrets = Vec::new();
        for secret in endpoint.signing_secrets(chrono::Utc::now().timestamp_millis()) {
            let bytes = open(&wrapper, &secret.sealed, &context)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            secrets.push(String::from_utf8(bytes).unwrap_or_default());
        }
        secrets
    }
}

#[tokio::test]
async fn an_endpoint_is_created_with_its_secret_shown_once_and_stored_sealed() {
    let w = world().await;
    let reply = w.create(endpoint_body("https://hooks.example.com/p")).await;
    reply.assert_status(201);
    let body = &reply.body;
    let id = body["webhookId"].as_str().unwrap_or_default();
    assert!(WebhookId::parse(id).is_ok(), "{body}");
    assert_eq!(body["url"], "https://hooks.example.com/p");
    assert_eq!(
        body["events"],
        json!(["instruction.completed", "refund.failed"])
    );
    assert_eq!(body["description"], "Back office");
    assert_eq!(body["status"], "ENABLED");
    assert!(body["created"]
        .as_i64()
        .is_some_and(|ms| ms > 1_700_000_000_000));
    let secret = body["secret"].as_str().unwrap_or_default();
    assert!(secret.starts_with("whsec_"), "{body}");
    assert!(WebhookSecret::parse(secret).is_ok());

    let read = w
        .client
        .call(Method::GET, &format!("{WEBHOOKS}/{id}"), None)
        .await;
    read.assert_status(200);
    let mut without_secret = body.clone();
    without_secret.as_object_mut().map(|o| o.remove("secret"));
    assert_eq!(read.body, without_secret, "GET shows all but the secret");
    let listed = w.client.call(Method::GET, WEBHOOKS, None).await;
    listed.assert_status(200);
    assert_eq!(listed.body, json!({ "results": [without_secret] }));

    // Stored sealed: the item does not hold the secret, which opens with the key only.
    let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
    let scope = w.client.scope;
    let item = client
        .get_item()
        .table_name(test_support::TABLE_NAME)
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "T#{}#A#{}#WEBHOOKS",
                scope.tenant, scope.account
            )),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S(id.to_owned()),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let raw = format!("{:?}", item.item());
    assert!(raw.contains("WebhookEndpoint"), "{raw}");
    assert!(
        !raw.contains(secret.trim_start_matches("whsec_")),
        "the secret is sealed"
    );
    assert_eq!(w.stored_secrets(id).await, [secret]);

    // Another tenant sees none of it.
    let stranger = Client::admin(w.client.router.clone());
    let hidden = stranger
        .call(Method::GET, &format!("{WEBHOOKS}/{id}"), None)
        .await;
    hidden.assert_status(404);
    assert_eq!(hidden.error_codes(), ["WEBHOOK_NOT_FOUND"]);
    let none = stranger.call(Method::GET, WEBHOOKS, None).await;
    assert_eq!(none.body, json!({ "results": [] }));
}

#[tokio::test]
async fn every_problem_of_an_endpoint_is_named_in_format_a() {
    let w = world().await;
    let cases: Vec<(Option<Value>, Vec<&str>)> = vec![
        (None, vec!["BODY_IS_REQUIRED"]),
        (Some(json!([])), vec!["BODY_IS_INVALID"]),
        (
            Some(json!({})),
            vec!["URL_IS_REQUIRED", "EVENTS_IS_REQUIRED"],
        ),
        (
            Some(json!({ "url": 7, "events": "*" })),
            vec!["URL_IS_INVALID", "EVENTS_IS_REQUIRED"],
        ),
        (
            Some(json!({ "url": "hooks.example.com", "events": [] })),
            vec!["URL_IS_INVALID", "EVENTS_IS_REQUIRED"],
        ),
        (
            Some(json!({ "url": "https://hooks.example.com", "events": ["refund.done"] })),
            vec!["EVENT_TYPE_NOT_RECOGNISED"],
        ),
        (
            Some(json!({ "url": "https://hooks.example.com", "events": [3] })),
            vec!["EVENTS_IS_REQUIRED"],
        ),
        (
            Some(
                json!({ "url": "https://hooks.example.com", "events": ["*"], "description": "a\nb" }),
            ),
            vec!["DESCRIPTION_IS_INVALID"],
        ),
        (
            Some(
                json!({ "url": "https://hooks.example.com", "events": ["*"], "description": "d".repeat(501) }),
            ),
            vec!["DESCRIPTION_LENGTH_OUT_OF_RANGE"],
        ),
        (
            Some(json!({ "url": "https://user:pw@hooks.example.com", "events": ["*"] })),
            vec!["URL_IS_INVALID"],
        ),
    ];
    for (body, codes) in cases {
        let reply = match &body {
            None => w.client.call(Method::POST, WEBHOOKS, None).await,
            Some(body) => w.create(body.clone()).await,
        };
        reply.assert_status(400);
        assert_eq!(reply.error_codes(), codes, "{body:?}");
    }
    let unknown = w
        .create(json!({ "url": "https://hooks.example.com", "events": ["refund.done"] }))
        .await;
    assert_eq!(unknown.body["errors"][0]["metadata"]["type"], "refund.done");
}

#[tokio::test]
async fn private_metadata_and_loopback_addresses_are_refused_where_not_allowed() {
    let w = world().await;
    let dev = Client {
        router: dev_notifications_router(&w.table, &test_support::payments::unreachable_queue())
            .await,
        ..w.client.clone()
    };
    for url in [
        "https://10.0.0.1/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://metadata.google.internal/",
        "http://hooks.example.com/hook",
    ] {
        for client in [&w.client, &dev] {
            let reply = client
                .call(Method::POST, WEBHOOKS, Some(endpoint_body(url)))
                .await;
            reply.assert_status(400);
            assert_eq!(reply.error_codes(), ["WEBHOOK_URL_NOT_ALLOWED"], "{url}");
        }
    }
    for url in ["http://127.0.0.1:8080/hook", "http://localhost:8080/hook"] {
        let refused = w.create(endpoint_body(url)).await;
        refused.assert_status(400);
        assert_eq!(refused.error_codes(), ["WEBHOOK_URL_NOT_ALLOWED"], "{url}");
        dev.call(Method::POST, WEBHOOKS, Some(endpoint_body(url)))
            .await
            .assert_status(201);
    }
}

#[tokio::test]
async fn an_endpoint_is_replaced_disabled_and_deleted() {
    let w = world().await;
    let (id, _) = w.created().await;
    let path = format!("{WEBHOOKS}/{id}");
    let replaced = w
        .client
        .call(
            Method::PUT,
            &path,
            Some(json!({ "url": "https://other.example.com/h", "events": ["*"], "status": "DISABLED" })),
        )
        .await;
    replaced.assert_status(200);
    assert_eq!(replaced.body["url"], "https://other.example.com/h");
    assert_eq!(replaced.body["events"], json!(["*"]));
    assert_eq!(replaced.body["description"], Value::Null);
    assert_eq!(replaced.body["status"], "DISABLED");
    assert!(replaced.body.get("secret").is_none());
    let read = w.client.call(Method::GET, &path, None).await;
    assert_eq!(read.body, replaced.body);

    let bad = w
        .client
        .call(
            Method::PUT,
            &path,
            Some(json!({ "url": "https://a.example.com", "events": ["*"], "status": "PAUSED" })),
        )
        .await;
    bad.assert_status(400);
    assert_eq!(bad.error_codes(), ["STATUS_IS_INVALID"]);

    let unknown = format!("{WEBHOOKS}/{}", WebhookId::new_random());
    let body = Some(endpoint_body("https://a.example.com"));
    for (method, path) in [
        (Method::GET, unknown.clone()),
        (Method::PUT, unknown.clone()),
        (Method::DELETE, unknown.clone()),
        (Method::POST, format!("{unknown}/rotate-secret")),
    ] {
        let reply = w.client.call(method.clone(), &path, body.clone()).await;
        reply.assert_status(404);
        assert_eq!(
            reply.error_codes(),
            ["WEBHOOK_NOT_FOUND"],
            "{method} {path}"
        );
    }
    let malformed = w
        .client
        .call(Method::GET, &format!("{WEBHOOKS}/not-a-uuid"), None)
        .await;
    malformed.assert_status(400);
    assert_eq!(malformed.error_codes(), ["WEBHOOK_ID_IS_INVALID"]);

    let deleted = w.client.call(Method::DELETE, &path, None).await;
    deleted.assert_status(204);
    w.client
        .call(Method::GET, &path, None)
        .await
        .assert_status(404);
    w.client
        .call(Method::DELETE, &path, None)
        .await
        .assert_status(404);
}

/// Rotations, one after another and racing: each answers a new secret, and every secret handed
/// out is one the endpoint signs with (for a day, the old ones too).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotated_secret_signs_beside_the_old_one() {
    let w = world().await;
    let (id, first) = w.created().await;
    let rotate = format!("{WEBHOOKS}/{id}/rotate-secret");
    let rotated = w.client.call(Method::POST, &rotate, None).await;
    rotated.assert_status(200);
    let second = rotated.body["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(second, first);
    assert_eq!(
        rotated.body.as_object().map(|o| o.len()),
        Some(1),
        "{}",
        rotated.body
    );
    assert_eq!(w.stored_secrets(&id).await, [second.clone(), first.clone()]);

    let racing =
        futures_util::future::join_all((0..4).map(|_| w.client.call(Method::POST, &rotate, None)))
            .await;
    let mut handed_out: BTreeSet<String> = racing
        .iter()
        .map(|reply| {
            reply.assert_status(200);
            reply.body["secret"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(handed_out.len(), 4);
    handed_out.extend([first, second]);
    let stored: BTreeSet<String> = w.stored_secrets(&id).await.into_iter().collect();
    assert_eq!(stored, handed_out, "no rotation lost");
}
