//! Authentication, tenant headers, roles and protocol errors, on every customer-vault route.

mod common;

use http::Method;
use payments_core::auth::{AccessClaims, Role};
use serde_json::json;

/// A concrete path for a route template.
fn concrete(template: &str) -> String {
    template.replace("{customerRef}", "role-test").replace(
        "{financialInstrumentId}",
        "1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c",
    )
}

#[tokio::test]
async fn each_route_admits_exactly_its_roles() {
    let client = common::admin().await;
    for route in customer_vault::api().table() {
        for role in Role::ALL {
            let reply = client
                .with_roles(&[role.as_str()])
                .call(route.method.clone(), &concrete(route.path), Some(json!({})))
                .await;
            let refused = reply.status.as_u16() == 403;
            assert_eq!(
                refused,
                !route.roles.contains(&role),
                "{} {} as {}: {}",
                route.method,
                route.path,
                role.as_str(),
                reply.body
            );
            assert_ne!(reply.status.as_u16(), 401);
        }
    }
}

#[tokio::test]
async fn missing_expired_and_badly_signed_tokens_are_401_in_format_c() {
    let client = common::admin().await;
    let stranger = payments_core::auth::generate_signing_key().unwrap();
    let foreign = payments_core::auth::TokenSigner::new(
        &stranger.private_key_pem,
        test_support::ISSUER,
        test_support::AUDIENCE,
    )
    .unwrap()
    .issue(client.scope, &["tenant-admin"], 600)
    .unwrap();
    let expired = test_support::keys()
        .signer
        .issue(client.scope, &["tenant-admin"], -600)
        .unwrap();
    let wrong_audience = test_support::keys()
        .signer
        .sign(&AccessClaims {
            account: client.scope.account.to_string(),
            tenant: client.scope.tenant.to_string(),
            role: vec!["tenant-admin".into()],
            iss: test_support::ISSUER.into(),
            aud: "someone-else".into(),
            exp: 4_000_000_000,
        })
        .unwrap();
    for route in customer_vault::api().table() {
        for (token, detail) in [
            (None, "Missing bearer token"),
            (Some(expired.clone()), "Token expired"),
            (Some(foreign.clone()), "Invalid token"),
            (Some(wrong_audience.clone()), "Invalid token"),
            (Some("garbage".to_owned()), "Invalid token"),
        ] {
            let path = concrete(route.path);
            let reply = client
                .with_token(token)
                .call(route.method.clone(), &path, None)
                .await;
            reply.assert_status(401);
            assert_eq!(reply.body["title"], "Unauthorized");
            assert_eq!(reply.body["detail"], detail);
            assert_eq!(reply.body["instance"], path.as_str());
        }
    }
}

#[tokio::test]
async fn tenant_headers_must_be_present_well_formed_and_match_the_token() {
    let client = common::admin().await;
    let other = test_support::new_scope();
    let send = |account: Option<String>, tenant: Option<String>| {
        let mut request = http::Request::builder()
            .method(Method::GET)
            .uri("/v2/customer-vault/c1")
            .header(
                "authorization",
                format!("Bearer {}", client.token.clone().unwrap_or_default()),
            );
        if let Some(account) = account {
            request = request.header("x-account-id", account);
        }
        if let Some(tenant) = tenant {
            request = request.header("x-tenant-id", tenant);
        }
        client.send(request.body(axum::body::Body::empty()).unwrap())
    };
    let account = || Some(client.scope.account.to_string());
    let tenant = || Some(client.scope.tenant.to_string());

    let reply = send(None, None).await;
    reply.assert_status(400);
    assert_eq!(
        reply.error_codes(),
        vec!["ACCOUNT_ID_IS_REQUIRED", "TENANT_ID_IS_REQUIRED"]
    );
    let reply = send(
        Some("nope".into()),
        Some(client.scope.tenant.to_string().to_uppercase()),
    )
    .await;
    assert_eq!(
        reply.error_codes(),
        vec!["ACCOUNT_ID_IS_INVALID", "TENANT_ID_IS_INVALID"]
    );
    let reply = send(account(), None).await;
    assert_eq!(reply.error_codes(), vec!["TENANT_ID_IS_REQUIRED"]);

    let reply = send(Some(other.account.to_string()), tenant()).await;
    reply.assert_status(403);
    assert_eq!(
        reply.body["detail"],
        "The x-tenant-id and x-account-id headers do not match the token"
    );
    send(account(), Some(other.tenant.to_string()))
        .await
        .assert_status(403);
    send(account(), tenant()).await.assert_status(200);
}

#[tokio::test]
async fn correlation_ids_are_echoed_or_generated() {
    let client = common::admin().await;
    let request = client
        .request(Method::GET, "/v2/customer-vault/bad%20ref")
        .header("x-correlation-id", "corr-123")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = client.send(request).await;
    assert_eq!(reply.headers["x-correlation-id"], "corr-123");
    assert_eq!(reply.body["correlationId"], "corr-123");

    let reply = client
        .with_token(None)
        .call(Method::GET, "/v2/customer-vault/c1", None)
        .await;
    let generated = reply.headers["x-correlation-id"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(generated.len(), 36);
    assert_eq!(reply.body["trace"]["requestId"], generated.as_str());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_format_c() {
    let client = common::admin().await;
    let reply = client
        .call(Method::GET, "/v2/customer-vault/c1/nothing-here", None)
        .await;
    reply.assert_status(404);
    assert_eq!(reply.body["title"], "Not Found");
    assert_eq!(reply.body["instance"], "/v2/customer-vault/c1/nothing-here");
    let reply = client
        .call(Method::DELETE, "/v2/customer-vault/c1", None)
        .await;
    reply.assert_status(405);
    assert_eq!(reply.body["title"], "Method Not Allowed");
}
