//! The security suite: one table of every HTTP function ([`functions`]), and for every guarded
//! route of each the same checks — it lists the roles docs/api.md gives it, those pass the role
//! check and every other role gets 403; a missing, expired, tampered, foreign-signed, unsigned
//! (`alg: none`), malformed, wrong-issuer or wrong-audience token gets 401 in format C; missing
//! or malformed tenant and account headers get 400 with the documented codes; headers naming
//! another tenant or account than the token get 403. Unguarded routes are skipped by those
//! checks, but each must be named in [`UNGUARDED`]; and every function of the SAM template with
//! HttpApi routes must be in the table, so neither a new route nor a new function can escape
//! the suite unnoticed.

use axum::body::Body;
use axum::Router;
use futures_util::future::BoxFuture;
use http::Method;
use local_stack::template::{RouteKey, Template};
use payments_aws::Store;
use payments_domain::auth::Role;
use payments_domain::ids::TenantScope;
use payments_http::{generate_signing_key, AccessClaims, RouteSpec, TokenSigner};
use serde_json::json;
use std::collections::BTreeSet;
use test_support::mandates::mandates_router;
use test_support::{payments, Client, Reply};

/// Builds a function's router on the shared moto table, as its `main` would.
type RouterFn = fn(Store) -> BoxFuture<'static, Router>;

/// An HTTP function of the SAM template: its `Binary` name, its route table and its router.
struct HttpFunction {
    name: &'static str,
    routes: Vec<RouteSpec>,
    /// `None` only for a function whose routes are all unguarded: the checks never call it.
    router: Option<RouterFn>,
}

impl HttpFunction {
    fn new(name: &'static str, routes: &[RouteSpec], router: RouterFn) -> Self {
        HttpFunction {
            name,
            routes: routes.to_vec(),
            router: Some(router),
        }
    }

    /// A function whose every route is unguarded (see [`UNGUARDED`]); the suite fails if it
    /// ever gains a guarded route, until it is listed with [`HttpFunction::new`] and a router.
    fn unguarded_only(name: &'static str, routes: &[RouteSpec]) -> Self {
        HttpFunction {
            name,
            routes: routes.to_vec(),
            router: None,
        }
    }

    fn guarded(&self) -> impl Iterator<Item = &RouteSpec> {
        self.routes.iter().filter(|route| route.guarded)
    }

    /// The router, or `None` when the function has no guarded route to check.
    async fn router(&self, table: &Store) -> Option<Router> {
        self.guarded().next()?;
        let build = self.router.unwrap_or_else(|| {
            panic!(
                "{} has guarded routes: list it with HttpFunction::new and a router",
                self.name
            )
        });
        Some(build(table.clone()).await)
    }
}

/// Every HTTP function, as named by `Metadata.BuildProperties.Binary` in `infra/template.yaml`.
fn functions() -> Vec<HttpFunction> {
    vec![
        HttpFunction::new("customer-vault", customer_vault::api().table(), |table| {
            Box::pin(
                async move { payments::vault_router(&table, &payments::unreachable_queue()).await },
            )
        }),
        HttpFunction::new("customer-wallet", customer_wallet::api().table(), |table| {
            Box::pin(async move { payments::wallet_router(&table).await })
        }),
        HttpFunction::new(
            "order-management",
            order_management::api().table(),
            |table| {
                Box::pin(async move {
                    let queue = payments::unreachable_queue();
                    payments::orders_router(&table, &queue, &queue, None).await
                })
            },
        ),
        HttpFunction::new("mandates", mandates::api().table(), |table| {
            Box::pin(async move { mandates_router(&table, &payments::unreachable_queue()).await })
        }),
        HttpFunction::new("notifications", notifications::api().table(), |table| {
            Box::pin(async move { test_support::notifications::notifications_router(&table).await })
        }),
        // Identity: API-key exchange, JWKS and OpenID discovery, all unguarded (see UNGUARDED).
        // A function that gains a guarded route must be listed with `HttpFunction::new` and a
        // router instead.
        HttpFunction::unguarded_only("identity", identity::api().table()),
        // Provider webhooks: signed by the provider instead (see UNGUARDED).
        HttpFunction::unguarded_only("provider-webhooks", provider_webhooks::api().table()),
    ]
}

/// Every route allowed to go without the bearer-token guard, and why: (function, method, path).
/// A route added with `Api::unguarded_route` fails the suite until it is named here on purpose.
const UNGUARDED: &[(&str, &str, &str)] = &[
    // Exchanges an API key's HMAC-signed request for an access token: the caller has no token yet.
    ("identity", "POST", "/v2/identity/hmac"),
    // The public keys that verify access tokens: public by design.
    ("identity", "GET", "/.well-known/jwks.json"),
    // OpenID discovery (issuer and JWKS URL) for API Gateway's JWT authorizer: public by design.
    ("identity", "GET", "/.well-known/openid-configuration"),
    // The OpenAPI document: what a client reads to learn the API, before it has a token.
    ("identity", "GET", "/openapi.json"),
    // A payment provider's webhooks: they carry its signature, checked against its secret.
    (
        "provider-webhooks",
        "POST",
        "/v1/providers/{appId}/webhooks",
    ),
];

/// The functions with guarded routes, each with its router and a fresh tenant-admin caller.
async fn callers() -> Vec<(HttpFunction, Client)> {
    let table = test_support::table().await;
    let mut built = Vec::new();
    for function in functions() {
        if let Some(router) = function.router(&table).await {
            built.push((function, Client::admin(router)));
        }
    }
    assert!(
        built.len() >= 4,
        "the suite must check the guarded routes of every function"
    );
    built
}

/// A concrete path for a route template: ids (`…Id`) become fresh UUIDs, refs (`…Ref`) a
/// valid reference.
fn concrete(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|offset| start + offset)
            .unwrap_or_else(|| panic!("unclosed parameter in {template}"));
        let name = &rest[start + 1..end];
        if name.ends_with("Id") {
            path.push_str(&uuid::Uuid::new_v4().to_string());
        } else if name.ends_with("Ref") {
            path.push_str("security-ref-1");
        } else {
            panic!("{template}: say in `concrete` how to fill the parameter {{{name}}}");
        }
        rest = &rest[end + 1..];
    }
    path.push_str(rest);
    path
}

fn describe(function: &HttpFunction, route: &RouteSpec) -> String {
    format!("{}: {} {}", function.name, route.method, route.path)
}

/// Failures collected over the whole table, reported together.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    #[track_caller]
    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} failure(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// Why a format C answer is not the expected one, if it is not.
fn format_c_problem(
    reply: &Reply,
    status: u16,
    path: &str,
    detail: Option<&str>,
) -> Option<String> {
    let body = &reply.body;
    let correlation = reply
        .headers
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let keys: BTreeSet<&str> = body
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let trace_keys: BTreeSet<&str> = body["trace"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let timestamp_ok = body["trace"]["timestamp"]
        .as_str()
        .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok());
    let ok = reply.status.as_u16() == status
        && keys == BTreeSet::from(["status", "title", "detail", "instance", "trace"])
        && trace_keys == BTreeSet::from(["timestamp", "requestId"])
        && body["status"] == status
        && body["title"].as_str().is_some_and(|t| !t.is_empty())
        && detail.is_none_or(|d| body["detail"] == d)
        && body["detail"].is_string()
        && body["instance"] == path
        && timestamp_ok
        && !correlation.is_empty()
        && body["trace"]["requestId"] == correlation;
    (!ok).then(|| {
        format!(
            "expected {status} in format C, got {}: {body}",
            reply.status
        )
    })
}

const MISSING_ROLE: &str = "The token holds none of the roles this route requires";
const SCOPE_MISMATCH: &str = "The x-tenant-id and x-account-id headers do not match the token";

/// POST routes that take no body, and why: every other POST and PUT expects a JSON object,
/// and the suite sends it `null`, an array and scalars, which must be 400s.
const BODYLESS: &[(&str, &str, &str)] = &[
    // Forget names its customer in the path; there is nothing more to say.
    (
        "customer-vault",
        "POST",
        "/v2/customer-vault/{customerRef}/forget",
    ),
    // Authorizing a payout as a reward: the path names it.
    (
        "order-management",
        "POST",
        "/v2/order-management/{orderRef}/instruction/{instructionRef}/authorize-reward",
    ),
    // A new secret, a test event, a redelivery: actions on what the path names.
    (
        "notifications",
        "POST",
        "/v1/notifications/webhooks/{webhookId}/rotate-secret",
    ),
    (
        "notifications",
        "POST",
        "/v1/notifications/webhooks/{webhookId}/test",
    ),
    (
        "notifications",
        "POST",
        "/v1/notifications/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
    ),
];

#[tokio::test]
async fn a_body_that_is_not_an_object_is_a_400_where_one_is_expected() {
    let mut findings = Findings::default();
    for (function, client) in callers().await {
        for route in function.guarded() {
            let takes_body = matches!(route.method, Method::POST | Method::PUT)
                && !BODYLESS.contains(&(function.name, route.method.as_str(), route.path));
            if !takes_body {
                continue;
            }
            let route_name = describe(&function, route);
            for body in [
                json!(null),
                json!([]),
                json!([{}]),
                json!(1),
                json!("text"),
                json!(true),
            ] {
                let reply = client
                    .call(
                        route.method.clone(),
                        &concrete(route.path),
                        Some(body.clone()),
                    )
                    .await;
                // Some groups answer an unknown resource with a 400 too (…_NOT_FOUND): the
                // body must be refused before anything is looked up.
                let refused =
                    reply.status.as_u16() == 400 && !reply.body.to_string().contains("NOT_FOUND");
                findings.check(refused, || {
                    format!(
                        "{route_name} with the body {body}: {} {}",
                        reply.status, reply.body
                    )
                });
            }
        }
    }
    findings.assert_none();
}

/// docs/api.md §10 on every guarded POST of every route table, so a new POST route cannot
/// skip it: a malformed key is refused; a repeat gets the first answer again, byte for byte
/// (its correlation id included) and marked replayed; the key on another body is refused.
#[tokio::test]
async fn every_guarded_post_takes_an_idempotency_key() {
    let mut findings = Findings::default();
    for (function, client) in callers().await {
        for route in function.guarded().filter(|r| r.method == Method::POST) {
            let route_name = describe(&function, route);
            let path = concrete(route.path);
            let key = uuid::Uuid::new_v4().to_string();
            for bad in ["", &"k".repeat(256), "caf\u{e9}", "tab\there"] {
                let reply = client.post_keyed(&path, bad, &json!({})).await;
                findings.check(
                    reply.status == 400
                        && reply
                            .body
                            .to_string()
                            .contains("IDEMPOTENCY_KEY_IS_INVALID"),
                    || {
                        format!(
                            "{route_name} with the key {bad:?}: {} {}",
                            reply.status, reply.body
                        )
                    },
                );
            }
            let first = client.post_keyed(&path, &key, &json!({})).await;
            let again = client.post_keyed(&path, &key, &json!({})).await;
            findings.check(
                first.headers.get("idempotent-replayed").is_none()
                    && again.headers.get("idempotent-replayed").map(|v| v.as_bytes())
                        == Some(b"true".as_slice())
                    && again.status == first.status
                    && again.body == first.body
                    && again.headers.get("location") == first.headers.get("location"),
                || {
                    format!(
                        "{route_name}: a repeat is not the first answer again: {} {} then {} {} {:?}",
                        first.status, first.body, again.status, again.body, again.headers
                    )
                },
            );
            let other = client
                .post_keyed(&path, &key, &json!({ "other": true }))
                .await;
            findings.check(
                other.status == 422 && other.body.to_string().contains("IDEMPOTENCY_KEY_REUSED"),
                || {
                    format!(
                        "{route_name}: the key on another body: {} {}",
                        other.status, other.body
                    )
                },
            );
        }
    }
    findings.assert_none();
}

#[tokio::test]
async fn each_guarded_route_admits_exactly_its_roles() {
    let mut findings = Findings::default();
    for (function, client) in callers().await {
        for route in function.guarded() {
            let route_name = describe(&function, route);
            findings.check(!route.roles.is_empty(), || {
                format!("{route_name}: a guarded route must name at least one role")
            });
            for role in Role::ALL {
                let path = concrete(route.path);
                let reply = client
                    .with_roles(&[role.as_str()])
                    .call(route.method.clone(), &path, Some(json!({})))
                    .await;
                let status = reply.status.as_u16();
                if route.roles.contains(&role) {
                    findings.check(status != 401 && status != 403 && status < 500, || {
                        format!(
                            "{route_name} as {}: listed, so it must pass the role check: {status} {}",
                            role.as_str(),
                            reply.body
                        )
                    });
                } else if let Some(problem) =
                    format_c_problem(&reply, 403, &path, Some(MISSING_ROLE))
                {
                    findings
                        .0
                        .push(format!("{route_name} as {}: {problem}", role.as_str()));
                }
            }
            // No role at all, or only names that are not roles.
            for roles in [&[][..], &["tenant-superuser", "admin", "TENANT-ADMIN"][..]] {
                let path = concrete(route.path);
                let reply = client
                    .with_roles(roles)
                    .call(route.method.clone(), &path, Some(json!({})))
                    .await;
                if let Some(problem) = format_c_problem(&reply, 403, &path, Some(MISSING_ROLE)) {
                    findings
                        .0
                        .push(format!("{route_name} with roles {roles:?}: {problem}"));
                }
            }
        }
    }
    findings.assert_none();
}

/// The roles docs/api.md §3 gives each route (R/W transaction, BR/BW bridge, MR/MW mandate,
/// A admin), so the suite also notices a route table that drifts from the contract.
fn documented_roles(function: &str, method: &Method, path: &str) -> Option<Vec<Role>> {
    use Role::{
        Admin as A, BridgeRead as BR, BridgeWrite as BW, MandateRead as MR, MandateWrite as MW,
        TransactionRead as R, TransactionWrite as W,
    };
    let read = method == Method::GET;
    Some(match function {
        "customer-vault" if path == "/v2/customer-vault/{customerRef}" && read => vec![R, BR, A],
        "customer-vault" if path.ends_with("/forget") => vec![A],
        "customer-vault" | "order-management" if read => vec![R, A],
        "customer-vault" | "order-management" => vec![W, A],
        "customer-wallet" if read => vec![BR, R, A],
        "customer-wallet" => vec![BW, W, A],
        "mandates" if read => vec![MR, A],
        "mandates" => vec![MW, A],
        "notifications" => vec![A],
        _ => return None,
    })
}

#[test]
fn each_guarded_route_names_the_roles_the_contract_gives_it() {
    let mut findings = Findings::default();
    for function in functions() {
        for route in function.guarded() {
            let listed: BTreeSet<&str> = route.roles.iter().map(|r| r.as_str()).collect();
            let documented = documented_roles(function.name, &route.method, route.path);
            let documented: Option<BTreeSet<&str>> =
                documented.map(|roles| roles.iter().map(|r| r.as_str()).collect());
            findings.check(documented.as_ref() == Some(&listed), || {
                format!(
                    "{}: the table lists {listed:?}, docs/api.md {documented:?}; say in \
                     `documented_roles` which roles the contract gives it",
                    describe(&function, route)
                )
            });
        }
    }
    findings.assert_none();
}

/// URL-safe base64 without padding, as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn claims(scope: TenantScope, roles: &[&str]) -> AccessClaims {
    AccessClaims {
        account: scope.account.to_string(),
        tenant: scope.tenant.to_string(),
        role: roles.iter().map(|r| (*r).to_owned()).collect(),
        iss: test_support::ISSUER.into(),
        aud: test_support::AUDIENCE.into(),
        exp: chrono::Utc::now().timestamp() + 3600,
    }
}

fn sign(signer: &TokenSigner, claims: &AccessClaims) -> String {
    signer
        .sign(claims)
        .unwrap_or_else(|e| panic!("signing a test token: {e}"))
}

fn encoded(claims: &AccessClaims) -> String {
    base64url(&serde_json::to_vec(claims).unwrap_or_else(|e| panic!("{e}")))
}

/// `Authorization` values that must all get 401, each with the `detail` expected (`None`: any).
fn bad_authorizations(
    scope: TenantScope,
) -> Vec<(&'static str, Option<String>, Option<&'static str>)> {
    let keys = test_support::keys();
    let admin = claims(scope, &["tenant-admin"]);
    let bearer = |token: String| Some(format!("Bearer {token}"));

    // Tampered: a read-only token whose payload is swapped for one granting tenant-admin,
    // keeping the original header and signature.
    let read_only = sign(&keys.signer, &claims(scope, &["tenant-transaction-read"]));
    let parts: Vec<&str> = read_only.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], encoded(&admin), parts[2]);
    // Unsigned: `alg: none`, no signature.
    let unsigned = format!(
        "{}.{}.",
        base64url(br#"{"alg":"none","typ":"JWT"}"#),
        encoded(&admin)
    );
    let stranger = generate_signing_key().unwrap_or_else(|e| panic!("{e}"));
    let foreign = TokenSigner::new(
        &stranger.private_key_pem,
        test_support::ISSUER,
        test_support::AUDIENCE,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let expired = AccessClaims {
        exp: chrono::Utc::now().timestamp() - 600,
        ..admin.clone()
    };
    let wrong_issuer = AccessClaims {
        iss: "someone-else".into(),
        ..admin.clone()
    };
    let wrong_audience = AccessClaims {
        aud: "someone-else".into(),
        ..admin.clone()
    };
    let bad_tenant_claim = AccessClaims {
        tenant: scope.tenant.to_string().to_uppercase(),
        ..admin.clone()
    };
    let valid = sign(&keys.signer, &admin);
    // Another key's token under this service's header, whose `kid` names the service's key.
    let foreign_token = sign(&foreign, &admin);
    let foreign_parts: Vec<&str> = foreign_token.split('.').collect();
    let kid_swapped = format!(
        "{}.{}.{}",
        valid.split('.').next().unwrap_or_default(),
        foreign_parts[1],
        foreign_parts[2]
    );
    // A valid token whose header claims HMAC-SHA256 (algorithm confusion), signature kept.
    let relabelled = format!(
        "{}.{}",
        base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        valid
            .split_once('.')
            .map(|(_, rest)| rest)
            .unwrap_or_default()
    );
    vec![
        ("no token", None, Some("Missing bearer token")),
        ("an empty bearer token", Some("Bearer ".into()), None),
        ("another scheme", Some(format!("Basic {valid}")), None),
        (
            "a malformed token",
            bearer("garbage".into()),
            Some("Invalid token"),
        ),
        (
            "an expired token",
            bearer(sign(&keys.signer, &expired)),
            Some("Token expired"),
        ),
        (
            "a tampered payload",
            bearer(tampered),
            Some("Invalid token"),
        ),
        (
            "another key's signature",
            bearer(foreign_token.clone()),
            Some("Invalid token"),
        ),
        (
            "another key's signature under the service's kid",
            bearer(kid_swapped),
            Some("Invalid token"),
        ),
        ("alg none", bearer(unsigned), Some("Invalid token")),
        (
            "a valid token relabelled alg HS256",
            bearer(relabelled),
            Some("Invalid token"),
        ),
        (
            "a valid token with an extra segment",
            bearer(format!("{valid}.{}", parts[1])),
            Some("Invalid token"),
        ),
        (
            "a wrong issuer",
            bearer(sign(&keys.signer, &wrong_issuer)),
            Some("Invalid token"),
        ),
        (
            "a wrong audience",
            bearer(sign(&keys.signer, &wrong_audience)),
            Some("Invalid token"),
        ),
        (
            "a malformed tenant claim",
            bearer(sign(&keys.signer, &bad_tenant_claim)),
            Some("Invalid token"),
        ),
    ]
}

#[tokio::test]
async fn bad_tokens_get_401_in_format_c_on_every_guarded_route() {
    let mut findings = Findings::default();
    for (function, client) in callers().await {
        let anonymous = client.with_token(None);
        for route in function.guarded() {
            for (what, authorization, detail) in bad_authorizations(client.scope) {
                let path = concrete(route.path);
                let mut request = anonymous.request(route.method.clone(), &path);
                if let Some(value) = authorization {
                    request = request.header("authorization", value);
                }
                let reply = anonymous
                    .send(
                        request
                            .body(Body::from(json!({}).to_string()))
                            .unwrap_or_else(|e| panic!("{e}")),
                    )
                    .await;
                if let Some(problem) = format_c_problem(&reply, 401, &path, detail) {
                    findings.0.push(format!(
                        "{} with {what}: {problem}",
                        describe(&function, route)
                    ));
                }
            }
            // 401 comes first: without a token, bad headers are not even looked at.
            let path = concrete(route.path);
            let request = http::Request::builder()
                .method(route.method.clone())
                .uri(&path)
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}"));
            let reply = anonymous.send(request).await;
            if let Some(problem) =
                format_c_problem(&reply, 401, &path, Some("Missing bearer token"))
            {
                findings.0.push(format!(
                    "{} with neither token nor headers: {problem}",
                    describe(&function, route)
                ));
            }
        }
    }
    findings.assert_none();
}

/// The error codes of a 400 in format A (`errorCode`) or B (`title`), sorted.
fn sorted_codes(reply: &Reply) -> Vec<String> {
    let mut codes: Vec<String> = reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["errorCode"].as_str().or_else(|| e["title"].as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    codes.sort();
    codes
}

/// `x-account-id` and `x-tenant-id` (absent: `None`) sent with the caller's valid token, the
/// status expected, and for a 400 its codes.
type HeaderCase = (Option<String>, Option<String>, u16, Vec<&'static str>);

/// Header values that are not a lowercase hyphenated UUID.
fn malformed_ids(valid: &str) -> Vec<String> {
    vec![
        "nope".into(),
        String::new(),
        valid.to_uppercase(),
        valid.replace('-', ""),
        format!("{{{valid}}}"),
        format!("urn:uuid:{valid}"),
        format!("{valid}0"),
        valid[..35].to_owned(),
    ]
}

#[tokio::test]
async fn tenant_headers_are_required_well_formed_and_must_match_the_token() {
    let mut findings = Findings::default();
    for (function, client) in callers().await {
        let account = client.scope.account.to_string();
        let tenant = client.scope.tenant.to_string();
        let other = test_support::new_scope();
        let (other_account, other_tenant) = (other.account.to_string(), other.tenant.to_string());

        let mut cases: Vec<HeaderCase> = vec![
            (
                None,
                None,
                400,
                vec!["ACCOUNT_ID_IS_REQUIRED", "TENANT_ID_IS_REQUIRED"],
            ),
            (
                None,
                Some(tenant.clone()),
                400,
                vec!["ACCOUNT_ID_IS_REQUIRED"],
            ),
            (
                Some(account.clone()),
                None,
                400,
                vec!["TENANT_ID_IS_REQUIRED"],
            ),
            (
                Some("nope".into()),
                None,
                400,
                vec!["ACCOUNT_ID_IS_INVALID", "TENANT_ID_IS_REQUIRED"],
            ),
            (
                Some("nope".into()),
                Some("nope".into()),
                400,
                vec!["ACCOUNT_ID_IS_INVALID", "TENANT_ID_IS_INVALID"],
            ),
            (
                Some(other_account.clone()),
                Some(tenant.clone()),
                403,
                vec![],
            ),
            (
                Some(account.clone()),
                Some(other_tenant.clone()),
                403,
                vec![],
            ),
            (
                Some(other_account.clone()),
                Some(other_tenant.clone()),
                403,
                vec![],
            ),
            (Some(tenant.clone()), Some(account.clone()), 403, vec![]),
        ];
        for bad in malformed_ids(&account) {
            cases.push((
                Some(bad),
                Some(tenant.clone()),
                400,
                vec!["ACCOUNT_ID_IS_INVALID"],
            ));
        }
        for bad in malformed_ids(&tenant) {
            cases.push((
                Some(account.clone()),
                Some(bad),
                400,
                vec!["TENANT_ID_IS_INVALID"],
            ));
        }

        for route in function.guarded() {
            for (account_header, tenant_header, status, codes) in &cases {
                let path = concrete(route.path);
                let mut request = http::Request::builder()
                    .method(route.method.clone())
                    .uri(&path)
                    .header("content-type", "application/json")
                    .header(
                        "authorization",
                        format!("Bearer {}", client.token.clone().unwrap_or_default()),
                    );
                if let Some(value) = account_header {
                    request = request.header("x-account-id", value);
                }
                if let Some(value) = tenant_header {
                    request = request.header("x-tenant-id", value);
                }
                let reply = client
                    .send(
                        request
                            .body(Body::from(json!({}).to_string()))
                            .unwrap_or_else(|e| panic!("{e}")),
                    )
                    .await;
                let case = format!(
                    "{} with x-account-id {account_header:?}, x-tenant-id {tenant_header:?}",
                    describe(&function, route)
                );
                if *status == 403 {
                    if let Some(problem) =
                        format_c_problem(&reply, 403, &path, Some(SCOPE_MISMATCH))
                    {
                        findings.0.push(format!("{case}: {problem}"));
                    }
                    continue;
                }
                let correlation = reply
                    .headers
                    .get("x-correlation-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let mut expected: Vec<String> = codes.iter().map(|c| (*c).to_owned()).collect();
                expected.sort();
                findings.check(
                    reply.status.as_u16() == 400
                        && sorted_codes(&reply) == expected
                        && !correlation.is_empty()
                        && reply.body["correlationId"] == correlation.as_str(),
                    || {
                        format!(
                            "{case}: expected 400 {expected:?}, got {} {}",
                            reply.status, reply.body
                        )
                    },
                );
            }
        }
    }
    findings.assert_none();
}

#[test]
fn unguarded_routes_are_exactly_the_allowed_ones() {
    let mut findings = Findings::default();
    for function in functions() {
        for route in function.routes.iter().filter(|r| !r.guarded) {
            let key = (function.name, route.method.as_str(), route.path);
            findings.check(UNGUARDED.contains(&key), || {
                format!(
                    "{}: unguarded (no bearer-token check) but not in UNGUARDED; add it there \
                     only if it must be reachable without a token",
                    describe(&function, route)
                )
            });
            findings.check(route.roles.is_empty(), || {
                format!(
                    "{}: unguarded, yet names roles nobody checks",
                    describe(&function, route)
                )
            });
        }
        for route in function.guarded() {
            let key = (function.name, route.method.as_str(), route.path);
            findings.check(!UNGUARDED.contains(&key), || {
                format!(
                    "{}: listed in UNGUARDED but guarded; remove it from the list",
                    describe(&function, route)
                )
            });
        }
        if function.router.is_none() {
            findings.check(function.guarded().next().is_none(), || {
                format!(
                    "{}: has guarded routes, so the suite needs its router",
                    function.name
                )
            });
        }
    }
    findings.assert_none();
}

#[test]
fn the_suite_lists_every_http_function_of_the_template() {
    let path = local_stack::template_path();
    let template = Template::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let suite = functions();
    let listed: BTreeSet<&str> = suite.iter().map(|f| f.name).collect();
    assert_eq!(listed.len(), suite.len(), "a function is listed twice");
    let deployed: BTreeSet<&str> = template
        .functions
        .iter()
        .filter(|f| !f.routes.is_empty())
        .map(|f| f.binary.as_str())
        .collect();
    assert_eq!(
        deployed, listed,
        "every function with HttpApi routes in the template must be in `functions()` of this \
         suite, and only those"
    );
    // What the template routes to a function is in the table the suite checks.
    for function in &suite {
        let Some(deployed) = template
            .functions
            .iter()
            .find(|f| f.binary == function.name)
        else {
            continue;
        };
        let table: BTreeSet<String> = function
            .routes
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        for route in deployed.routes.iter().filter(|route| !route.is_catch_all()) {
            if let RouteKey::Route { .. } = route {
                assert!(
                    table.contains(&route.to_string()),
                    "{}: the template routes {route} to it, but its route table lacks it",
                    function.name
                );
            }
        }
    }
}

#[test]
fn concrete_paths_fill_every_parameter() {
    let path = concrete("/v2/x/{customerRef}/fi/{financialInstrumentId}");
    assert!(path.starts_with("/v2/x/security-ref-1/fi/"));
    assert!(uuid::Uuid::parse_str(path.rsplit('/').next().unwrap_or_default()).is_ok());
    assert!(!path.contains('{'));
    for function in functions() {
        for route in &function.routes {
            assert!(!concrete(route.path).contains(['{', '}']), "{}", route.path);
        }
    }
    assert_eq!(base64url(b"f"), "Zg");
    assert_eq!(base64url(b"fo"), "Zm8");
    assert_eq!(base64url(b"foo"), "Zm9v");
    assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
}
