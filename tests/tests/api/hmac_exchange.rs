//! The API key exchange against moto, with every signature computed by Python's `hmac` module
//! (not by the code under test); the JWKS and key rotation; KMS and Secrets Manager (moto's)
//! as the AWS deployment uses them.

use base64::Engine;
use futures_util::future::join_all;
use http::Method;
use payments_aws::config::TOKEN_SIGNING_SECRET_ARN;
use payments_aws::{secrets, Settings};
use payments_domain::auth::Role;
use payments_domain::identity::{open, seal, ApiKeys, KeyWrapper};
use payments_domain::ids::TenantScope;
use payments_http::{key_id, TokenVerifier};
use serde_json::Value;
use test_support::identity::{api_key, identity_router, python_signature, signing_key};
use test_support::{Client, Reply, AUDIENCE, ISSUER};

struct Fixture {
    client: Client,
    scope: TenantScope,
    public_key: String,
    private_key: String,
    verifier_keys: String,
    table: payments_aws::Store,
}

async fn fixture(roles: &[Role]) -> Fixture {
    let table = test_support::table().await;
    let (signing, public) = signing_key();
    let client = Client::admin(identity_router(&table, &signing).await).with_token(None);
    let scope = test_support::new_scope();
    let created = api_key(&table, scope, roles).await;
    Fixture {
        client,
        scope,
        public_key: created.key.public_key,
        private_key: created.private_key.into_exposed(),
        verifier_keys: public,
        table,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Fixture {
    /// A request signed by Python for `nonce` at `timestamp` over `body`.
    fn signed(&self, nonce: &str, timestamp: i64, body: &str) -> http::Request<axum::body::Body> {
        let signature =
            python_signature(&self.public_key, nonce, timestamp, &self.private_key, body);
        self.request(
            &format!("Hmac {}:{nonce}:{timestamp}:{signature}", self.public_key),
            body,
        )
    }

    fn request(&self, authorization: &str, body: &str) -> http::Request<axum::body::Body> {
        http::Request::builder()
            .method(Method::POST)
            .uri("/v2/identity/hmac")
            .header("authorization", authorization)
            .body(axum::body::Body::from(body.to_owned()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn send(&self, request: http::Request<axum::body::Body>) -> Reply {
        self.client.send(request).await
    }
}

#[track_caller]
fn assert_refused(reply: &Reply) {
    reply.assert_status(401);
    assert_eq!(reply.body["detail"], "Invalid API key signature");
    assert_eq!(reply.body["instance"], "/v2/identity/hmac");
}

#[tokio::test]
async fn a_signed_request_gets_a_token_for_the_keys_tenant_and_roles() {
    let f = fixture(&[Role::TransactionRead, Role::MandateRead]).await;
    for body in ["", "{\"any\": \"body\"}"] {
        let before = now();
        let reply = f.send(f.signed(&nonce(), now(), body)).await;
        reply.assert_status(201);
        let token = reply.body["accessToken"].as_str().unwrap_or_default();
        let verifier = TokenVerifier::new(&f.verifier_keys, ISSUER, AUDIENCE)
            .unwrap_or_else(|e| panic!("{e}"));
        let identity = verifier.verify(token).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(identity.scope, f.scope);
        assert_eq!(
            identity.roles,
            vec![Role::TransactionRead, Role::MandateRead]
        );
        let expires = reply.body["expires"].as_i64().unwrap_or_default();
        assert!((before + 3600) * 1000 <= expires && expires <= (now() + 3600) * 1000);
        // The token's exp is the answer's expires, in seconds.
        let claims: Value = token
            .split('.')
            .nth(1)
            .and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        assert_eq!(claims["exp"].as_i64().map(|s| s * 1000), Some(expires));
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], AUDIENCE);
    }
}

#[tokio::test]
async fn timestamps_outside_five_minutes_are_refused() {
    let f = fixture(&[Role::Admin]).await;
    for (offset, accepted) in [(-290, true), (290, true), (-310, false), (310, false)] {
        let reply = f.send(f.signed(&nonce(), now() + offset, "")).await;
        if accepted {
            reply.assert_status(201);
        } else {
            assert_refused(&reply);
        }
    }
}

#[tokio::test]
async fn a_nonce_is_accepted_once() {
    let f = fixture(&[Role::Admin]).await;
    let nonce = nonce();
    let at = now();
    f.send(f.signed(&nonce, at, "")).await.assert_status(201);
    assert_refused(&f.send(f.signed(&nonce, at, "")).await);
    assert_refused(&f.send(f.signed(&nonce, at + 1, "")).await);
}

#[tokio::test]
async fn of_racing_requests_with_one_nonce_exactly_one_passes() {
    let f = fixture(&[Role::Admin]).await;
    let nonce = nonce();
    let at = now();
    let signature = python_signature(&f.public_key, &nonce, at, &f.private_key, "");
    let header = format!("Hmac {}:{nonce}:{at}:{signature}", f.public_key);
    let replies = join_all((0..8).map(|_| f.send(f.request(&header, "")))).await;
    let passed = replies.iter().filter(|r| r.status.as_u16() == 201).count();
    assert_eq!(passed, 1);
    replies
        .iter()
        .filter(|r| r.status.as_u16() != 201)
        .for_each(assert_refused);
}

#[tokio::test]
async fn bad_signatures_unknown_and_disabled_keys_are_refused() {
    let f = fixture(&[Role::Admin]).await;
    let at = now();
    // Signed over one body, sent with another.
    let n = nonce();
    let signature = python_signature(&f.public_key, &n, at, &f.private_key, "{\"a\":1}");
    let header = format!("Hmac {}:{n}:{at}:{signature}", f.public_key);
    assert_refused(&f.send(f.request(&header, "{\"a\":2}")).await);
    // Signed with another key.
    let stranger = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let n = nonce();
    let signature = python_signature(&f.public_key, &n, at, &stranger, "");
    assert_refused(
        &f.send(f.request(&format!("Hmac {}:{n}:{at}:{signature}", f.public_key), ""))
            .await,
    );
    // Unknown key, malformed and missing headers.
    let n = nonce();
    let signature = python_signature("nobody", &n, at, &f.private_key, "");
    assert_refused(
        &f.send(f.request(&format!("Hmac nobody:{n}:{at}:{signature}"), ""))
            .await,
    );
    assert_refused(&f.send(f.request("Hmac nonsense", "")).await);
    assert_refused(
        &f.send(f.request(&format!("Bearer {}", f.public_key), ""))
            .await,
    );
    let no_header = http::Request::builder()
        .method(Method::POST)
        .uri("/v2/identity/hmac")
        .body(axum::body::Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_refused(&f.send(no_header).await);
    // A disabled key: refused from then on.
    f.send(f.signed(&nonce(), now(), ""))
        .await
        .assert_status(201);
    assert!(f
        .table
        .disable_api_key(&f.public_key)
        .await
        .unwrap_or(false));
    assert!(!f.table.disable_api_key("nobody").await.unwrap_or(true));
    assert_refused(&f.send(f.signed(&nonce(), now(), "")).await);
}

#[tokio::test]
async fn the_private_key_is_stored_sealed() {
    let f = fixture(&[Role::Admin]).await;
    let stored = f.table.api_key(&f.public_key).await.ok().flatten();
    let stored = serde_json::to_string(&stored.map(|k| k.private_key)).unwrap_or_default();
    assert!(!stored.contains(&f.private_key));
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&f.private_key)
        .unwrap_or_default();
    assert!(!stored.contains(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(&raw[..12])));
}

#[tokio::test]
async fn after_a_rotation_the_jwks_lists_both_keys_and_old_tokens_stay_valid() {
    let table = test_support::table().await;
    let (old, old_public) = signing_key();
    let (new, new_public) = signing_key();
    let scope = test_support::new_scope();
    let key = api_key(&table, scope, &[Role::Admin]).await;
    let exchange = |signing: String| {
        let table = table.clone();
        let key = &key;
        async move {
            let client = Client::admin(identity_router(&table, &signing).await).with_token(None);
            let (n, at) = (nonce(), now());
            let private_key = key.private_key.expose();
            let signature = python_signature(&key.key.public_key, &n, at, private_key, "");
            let request = http::Request::builder()
                .method(Method::POST)
                .uri("/v2/identity/hmac")
                .header(
                    "authorization",
                    format!("Hmac {}:{n}:{at}:{signature}", key.key.public_key),
                )
                .body(axum::body::Body::empty())
                .unwrap_or_else(|e| panic!("{e}"));
            let reply = client.send(request).await;
            reply.assert_status(201);
            let jwks = client
                .call(Method::GET, "/.well-known/jwks.json", None)
                .await;
            (
                reply.body["accessToken"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                jwks.body,
            )
        }
    };
    let (before, _) = exchange(old.clone()).await;
    let (after, jwks) = exchange(format!("{new},{old}")).await;
    let kid = |public: &str| {
        key_id(
            &base64::engine::general_purpose::STANDARD
                .decode(public)
                .unwrap_or_default(),
        )
    };
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|k| k["kid"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(kids, vec![kid(&new_public), kid(&old_public)]);
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    let header = |token: &str| {
        jsonwebtoken::decode_header(token)
            .ok()
            .and_then(|h| h.kid)
            .unwrap_or_default()
    };
    assert_eq!(header(&after), kid(&new_public), "the newest key signs");
    let verifier = TokenVerifier::new(&format!("{new_public},{old_public}"), ISSUER, AUDIENCE)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        verifier.verify(&before).is_ok(),
        "tokens of the old key stay valid"
    );
    assert!(verifier.verify(&after).is_ok());
}

#[tokio::test]
async fn the_openid_configuration_points_at_the_jwks() {
    let f = fixture(&[Role::Admin]).await;
    let request = http::Request::builder()
        .uri("/.well-known/openid-configuration")
        .header("host", "api.example.com")
        .body(axum::body::Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = f.send(request).await;
    reply.assert_status(200);
    assert_eq!(reply.body["issuer"], ISSUER);
    assert_eq!(
        reply.body["jwks_uri"],
        "https://api.example.com/.well-known/jwks.json"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_token() {
    let f = fixture(&[Role::Admin]).await;
    let request = http::Request::builder()
        .uri("/openapi.json")
        .body(axum::body::Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = f.send(request).await;
    reply.assert_status(200);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.body, crate::openapi::generated());
}

#[tokio::test]
async fn kms_wraps_the_data_keys_in_aws() {
    let (kms, key) = test_support::kms_key().await;
    let wrapper = payments_aws::kms::KmsKeyWrapper::new(kms, key);
    let sealed = seal(&wrapper as &dyn KeyWrapper, b"private key bytes", "pk-1")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let opened = open(&wrapper, &sealed, "pk-1").await.unwrap_or_default();
    assert_eq!(opened, b"private key bytes");
    assert!(
        open(&wrapper, &sealed, "pk-2").await.is_err(),
        "bound to its public key"
    );
}

#[tokio::test]
async fn signing_keys_come_from_secrets_manager_in_aws() {
    let sdk = test_support::sdk_config().await;
    let (keys, public) = signing_key();
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(format!("signing-{}", nonce()))
        .secret_string(&keys)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .arn
        .unwrap_or_default();
    let settings = Settings::default().with(TOKEN_SIGNING_SECRET_ARN, secret);
    let aws = payments_aws::Clients::new(&sdk);
    let configured = secrets::signing_keys(&aws, &settings)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let loaded = payments_http::SigningKeys::parse(&configured, ISSUER, AUDIENCE)
        .unwrap_or_else(|e| panic!("{e}"));
    let token = loaded
        .signer()
        .issue(test_support::new_scope(), &["tenant-admin"], 60)
        .unwrap_or_else(|e| panic!("{e}"));
    let verifier = TokenVerifier::new(&public, ISSUER, AUDIENCE).unwrap_or_else(|e| panic!("{e}"));
    assert!(verifier.verify(&token).is_ok());
}

/// The deploy instructions make the keys with openssl: those keys sign and verify.
#[tokio::test]
async fn signing_keys_made_with_openssl_as_the_readme_says_work() {
    let dir = std::env::temp_dir().join(format!("signing-{}", nonce()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let pem = dir.join("signing.pem");
    let run = |script: String| {
        let output = std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let pem = pem.display();
    run(format!(
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {pem}"
    ));
    let private = run(format!(
        "openssl pkcs8 -topk8 -nocrypt -in {pem} -outform DER | base64 -w0"
    ));
    let public = run(format!(
        "openssl pkey -in {pem} -pubout -outform DER | base64 -w0"
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let keys = payments_http::SigningKeys::parse(&private, ISSUER, AUDIENCE)
        .unwrap_or_else(|e| panic!("{e}"));
    let token = keys
        .signer()
        .issue(test_support::new_scope(), &["tenant-admin"], 60)
        .unwrap_or_else(|e| panic!("{e}"));
    let verifier = TokenVerifier::new(&public, ISSUER, AUDIENCE).unwrap_or_else(|e| panic!("{e}"));
    assert!(verifier.verify(&token).is_ok());
}
