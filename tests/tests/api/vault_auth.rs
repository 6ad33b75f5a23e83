//! Protocol behaviour of the customer vault's edge: correlation ids, and format C answers for
//! unknown routes and methods. Roles, bad tokens and tenant headers are checked on every route
//! of every function by the security suite (`security`).

use http::Method;

#[tokio::test]
async fn correlation_ids_are_echoed_or_generated() {
    let client = test_support::payments::vault_admin().await;
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
    let client = test_support::payments::vault_admin().await;
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
