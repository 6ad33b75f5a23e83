//! `local-stack apikey` and `apikey-disable` against moto: the key it prints is saved sealed with
//! the state dir's key-encryption key and exchanges for a token with the roles asked for
//! (docs/api.md §4); its standard output is exactly the `PUBLIC_KEY=` and `PRIVATE_KEY=` lines;
//! bad arguments are refused before anything is touched; the moto is found through the state
//! dir as `make apikey` finds it; a disabled key no longer exchanges. Also the dev API key that
//! `local-stack dev` saves on every start, and the one-liner its banner prints, run by bash
//! against an endpoint that exchanges as the identity function does.

use super::common::{self, closed_port, moto_endpoint};
use local_stack::state::{DevEndpoints, StateDir};
use payments_aws::Store;
use payments_domain::auth::Role;
use payments_domain::error::Error;
use payments_domain::identity::{
    exchange_api_key, hmac, ApiKeys, IssuedToken, LocalKeyWrapper, TOKEN_TTL_SECONDS,
};
use payments_domain::ids::{AccountId, TenantId, TenantScope};
use payments_domain::Now;
use payments_http::{SigningKeys, TokenVerifier};
use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ISSUER: &str = "payments-identity";
const AUDIENCE: &str = "payments-api";

fn new_scope() -> TenantScope {
    TenantScope {
        tenant: TenantId::new_random(),
        account: AccountId::new_random(),
    }
}

/// The identity function's exchange, on the local stack's keys.
struct TokenExchange {
    store: Store,
    wrapper: LocalKeyWrapper,
    signing: SigningKeys,
}

impl TokenExchange {
    async fn exchange(
        &self,
        authorization: Option<&str>,
        body: &[u8],
        now_seconds: i64,
    ) -> Result<IssuedToken, Error> {
        let now = Now::at(now_seconds * 1000);
        exchange_api_key(
            &self.store,
            &self.wrapper,
            &self.signing,
            authorization,
            body,
            now,
        )
        .await
    }
}

/// The exchange as the identity function runs it under `make dev`: the state dir's signing key
/// (`TOKEN_SIGNING_KEYS`) and key-encryption key file (`API_KEY_KEK_FILE`).
fn exchange(store: &Store, state: &PathBuf) -> (Arc<TokenExchange>, TokenVerifier) {
    let dir = StateDir::new(state);
    let keys = local_stack::dev::LocalKeys::from_state(&dir).expect("local keys");
    let wrapper = LocalKeyWrapper::from_file(&keys.api_key_kek_file.display().to_string())
        .expect("the KEK file");
    let signing = SigningKeys::parse(keys.token_signing_keys.expose(), ISSUER, AUDIENCE)
        .expect("signing keys");
    let verifier = TokenVerifier::new(&keys.token_public_key, ISSUER, AUDIENCE).expect("verifier");
    let exchange = TokenExchange {
        store: store.clone(),
        wrapper,
        signing,
    };
    (Arc::new(exchange), verifier)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh `Authorization: Hmac …` header for a request without a body.
fn signed(public_key: &str, private_key: &str) -> String {
    use base64::Engine;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(private_key)
        .expect("base64 private key");
    let nonce = common::unique();
    let timestamp = now();
    let message = hmac::string_to_sign(public_key, &nonce, timestamp, b"");
    format!(
        "Hmac {public_key}:{nonce}:{timestamp}:{}",
        hmac::sign(&secret, &message)
    )
}

/// Runs `local-stack <command>` with the state dir `state` and `args`.
async fn local_stack(command: &str, state: &PathBuf, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_local-stack"))
        .arg(command)
        .arg("--state-dir")
        .arg(state)
        .args(args)
        .env("LOCAL_STACK_LOG", "error")
        .output()
        .await
        .expect("local-stack runs")
}

async fn apikey(state: &PathBuf, scope: &TenantScope, args: &[&str]) -> Output {
    let mut full = vec![
        "--account".to_owned(),
        scope.account.to_string(),
        "--tenant".to_owned(),
        scope.tenant.to_string(),
    ];
    full.extend(args.iter().map(|a| (*a).to_owned()));
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    local_stack("apikey", state, &full).await
}

/// The public and private key of the exactly two lines a successful run prints.
fn printed_key(output: &Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}: {stdout} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let [public, private] = lines.as_slice() else {
        panic!("expected two lines, got {stdout:?}");
    };
    let public = public
        .strip_prefix("PUBLIC_KEY=")
        .unwrap_or_else(|| panic!("not a PUBLIC_KEY= line: {public}"));
    let private = private
        .strip_prefix("PRIVATE_KEY=")
        .unwrap_or_else(|| panic!("not a PRIVATE_KEY= line"));
    assert!(local_stack::state::is_public_key(public), "{public}");
    (public.to_owned(), private.to_owned())
}

fn failed(output: &Output, code: i32, says: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{says}: {stderr}");
    assert!(output.stdout.is_empty(), "{says}");
    assert!(stderr.contains(says), "expected {says:?} in: {stderr}");
}

#[tokio::test]
async fn creates_a_sealed_key_that_exchanges_for_its_roles() {
    let store = common::provisioned_store().await;
    let scope = new_scope();
    let state = common::temp_state_dir("apikey");
    let endpoint = moto_endpoint();

    let output = apikey(
        &state,
        &scope,
        &[
            "--endpoint",
            &endpoint,
            "--roles",
            "tenant-transaction-read, tenant-bridge-read,tenant-transaction-read",
        ],
    )
    .await;
    let (public_key, private_key) = printed_key(&output);
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains(&private_key),
        "the private key is printed once, on standard output only"
    );
    let saved = store
        .api_key(&public_key)
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(saved.scope(), scope);
    assert_eq!(
        saved.roles,
        [Role::TransactionRead.as_str(), Role::BridgeRead.as_str()]
    );
    assert!(saved.enabled);
    let stored = serde_json::to_string(&saved).expect("json");
    assert!(!stored.contains(&private_key), "stored sealed only");

    // The identity function, configured as `make dev` configures it, accepts it.
    let (exchange, verifier) = exchange(&store, &state);
    let header = signed(&public_key, &private_key);
    let issued = exchange
        .exchange(Some(&header), b"", now())
        .await
        .expect("exchanged");
    let expected_expiry = (now() + TOKEN_TTL_SECONDS) * 1000;
    assert!(
        (issued.expires - expected_expiry).abs() < 5_000,
        "{}",
        issued.expires
    );
    let identity = verifier.verify(&issued.access_token).expect("valid token");
    assert_eq!(identity.scope, scope);
    assert_eq!(identity.roles, [Role::TransactionRead, Role::BridgeRead]);
    // The same request again is a replay.
    assert!(exchange.exchange(Some(&header), b"", now()).await.is_err());

    // A second key is another key; a key sealed with another state dir's KEK does not open.
    let other_state = common::temp_state_dir("apikey");
    let (other_public, other_private) = printed_key(
        &apikey(
            &other_state,
            &scope,
            &["--endpoint", &endpoint, "--roles", "tenant-admin"],
        )
        .await,
    );
    assert_ne!(other_public, public_key);
    assert!(exchange
        .exchange(Some(&signed(&other_public, &other_private)), b"", now())
        .await
        .is_err());
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_dir_all(other_state);
}

#[tokio::test]
async fn bad_arguments_are_refused_before_anything_is_touched() {
    // Nothing listens at the endpoint: each refusal comes before it is looked at.
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let state = common::temp_state_dir("apikey");
    let scope = new_scope();
    for (args, says) in [
        (vec!["--roles", "tenant-admin,admin"], "--roles: \"admin\""),
        (vec!["--roles", " , "], "--roles: at least one role"),
        (vec![], "required arguments were not provided:\n  --roles"),
        (
            vec!["--roles", "tenant-admin", "--name", "x"],
            "unexpected argument '--name'",
        ),
    ] {
        let mut full = vec!["--endpoint", endpoint.as_str()];
        full.extend(args.iter().copied());
        failed(&apikey(&state, &scope, &full).await, 2, says);
    }
    let output = local_stack(
        "apikey",
        &state,
        &[
            "--account",
            "not-a-uuid",
            "--tenant",
            &scope.tenant.to_string(),
            "--roles",
            "tenant-admin",
            "--endpoint",
            &endpoint,
        ],
    )
    .await;
    failed(&output, 2, "--account");
    for (args, says) in [
        (vec!["--public-key", "a:b"], "--public-key: \"a:b\""),
        (
            vec![],
            "required arguments were not provided:\n  --public-key",
        ),
    ] {
        let mut full = vec!["--endpoint", endpoint.as_str()];
        full.extend(args.iter().copied());
        failed(&local_stack("apikey-disable", &state, &full).await, 2, says);
    }
    assert!(!state.exists(), "nothing was created");

    // Valid arguments, but nothing answers there.
    let output = apikey(
        &state,
        &scope,
        &["--endpoint", &endpoint, "--roles", "tenant-admin"],
    )
    .await;
    failed(&output, 1, "nothing answers at --endpoint");
    let output = local_stack(
        "apikey-disable",
        &state,
        &["--endpoint", &endpoint, "--public-key", "pk"],
    )
    .await;
    failed(&output, 1, "nothing answers at --endpoint");
}

#[tokio::test]
async fn finds_the_running_stack_and_disables_keys_there() {
    let store = common::provisioned_store().await;
    let scope = new_scope();
    let state = common::temp_state_dir("apikey");
    let args = ["--roles", "tenant-admin"];

    // No dev stack recorded.
    failed(
        &apikey(&state, &scope, &args).await,
        1,
        "no running dev stack",
    );
    failed(
        &local_stack("apikey-disable", &state, &["--public-key", "pk"]).await,
        1,
        "no running dev stack",
    );

    // A recorded one that runs: the key lands in its moto, and is disabled there.
    let dir = StateDir::new(&state);
    dir.record_endpoints(&DevEndpoints {
        moto_endpoint: moto_endpoint(),
        api_url: "http://127.0.0.1:3000".into(),
    })
    .expect("recorded");
    let (public_key, private_key) = printed_key(&apikey(&state, &scope, &args).await);
    let (exchange, _) = exchange(&store, &state);
    exchange
        .exchange(Some(&signed(&public_key, &private_key)), b"", now())
        .await
        .expect("exchanged");

    let output = local_stack("apikey-disable", &state, &["--public-key", &public_key]).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("DISABLED={public_key}\n")
    );
    let saved = store
        .api_key(&public_key)
        .await
        .expect("load")
        .expect("kept");
    assert!(!saved.enabled);
    assert!(exchange
        .exchange(Some(&signed(&public_key, &private_key)), b"", now())
        .await
        .is_err());
    // Disabling again is fine; an unknown key is an error.
    let again = local_stack("apikey-disable", &state, &["--public-key", &public_key]).await;
    assert!(again.status.success(), "{again:?}");
    let unknown = common::unique();
    failed(
        &local_stack("apikey-disable", &state, &["--public-key", &unknown]).await,
        1,
        &format!("no API key {unknown}"),
    );

    // A recorded one that stopped without clearing its record.
    dir.record_endpoints(&DevEndpoints {
        moto_endpoint: format!("http://127.0.0.1:{}", closed_port()),
        api_url: "http://127.0.0.1:3000".into(),
    })
    .expect("recorded");
    failed(
        &apikey(&state, &scope, &args).await,
        1,
        "is `make dev` still running?",
    );
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn the_dev_api_key_is_saved_again_under_its_kept_public_key() {
    let store = common::provisioned_store().await;
    let scope = new_scope();
    let state = common::temp_state_dir("apikey");
    let dir = StateDir::new(&state);
    let key = dir.dev_api_key().expect("dev key");
    let wrapper = dir.api_key_kek().expect("kek");
    local_stack::apikey::seed_dev(&store, &wrapper, scope, &key)
        .await
        .expect("seeded");
    let saved = store
        .api_key(&key.public_key)
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(saved.scope(), scope);
    assert_eq!(saved.roles, ["tenant-admin"]);
    // Seeding the same moto again keeps it; the kept key is the same on the next start.
    let again = StateDir::new(&state).dev_api_key().expect("kept");
    assert_eq!(again, key);
    local_stack::apikey::seed_dev(&store, &wrapper, scope, &again)
        .await
        .expect("seeded again");

    let (exchange, verifier) = exchange(&store, &state);
    let issued = exchange
        .exchange(
            Some(&signed(&key.public_key, key.private_key.expose())),
            b"",
            now(),
        )
        .await
        .expect("exchanged");
    let identity = verifier.verify(&issued.access_token).expect("valid");
    assert_eq!(identity.scope, scope);
    assert_eq!(identity.roles, [Role::Admin]);

    // A moto that has the public key with something else: refused, not overwritten.
    let elsewhere = StateDir::new(common::temp_state_dir("apikey"));
    let other_kek = elsewhere.api_key_kek().expect("other kek");
    let err = local_stack::apikey::seed_dev(&store, &other_kek, scope, &key)
        .await
        .expect_err("sealed with another KEK");
    assert!(err.to_string().contains(&key.public_key), "{err}");
    assert!(!err.to_string().contains(key.private_key.expose()), "{err}");
    assert!(
        local_stack::apikey::seed_dev(&store, &wrapper, new_scope(), &key)
            .await
            .is_err()
    );
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_dir_all(elsewhere.root());
}

/// An HTTP endpoint that answers each request as `POST /v2/identity/hmac` does, recording the
/// request line and the `Authorization` header it got.
struct IdentityEndpoint {
    url: String,
    seen: Arc<std::sync::Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl IdentityEndpoint {
    async fn start(exchange: Arc<TokenExchange>) -> IdentityEndpoint {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen: Arc<std::sync::Mutex<Vec<(String, String)>>> = Arc::default();
        let recorded = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request).into_owned();
                let request_line = text.lines().next().unwrap_or_default().to_owned();
                let authorization = text
                    .lines()
                    .find_map(|l| {
                        l.split_once(':')
                            .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                            .map(|(_, value)| value.trim().to_owned())
                    })
                    .unwrap_or_default();
                recorded
                    .lock()
                    .expect("lock")
                    .push((request_line, authorization.clone()));
                let (status, body) = match exchange.exchange(Some(&authorization), b"", now()).await
                {
                    Ok(issued) => (
                        "201 Created",
                        serde_json::json!({"accessToken": issued.access_token, "expires": issued.expires})
                            .to_string(),
                    ),
                    Err(_) => ("401 Unauthorized", "{}".to_owned()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        IdentityEndpoint { url, seen, task }
    }
}

impl Drop for IdentityEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs the banner's one-liner in bash, with only the three names it reads set.
async fn run_one_liner(url: &str, public_key: &str, private_key: &str) -> Output {
    tokio::process::Command::new("bash")
        .arg("-c")
        .arg(local_stack::apikey::EXCHANGE_ONE_LINER)
        .env("API_URL", url)
        .env("PUBLIC_KEY", public_key)
        .env("PRIVATE_KEY", private_key)
        .output()
        .await
        .expect("bash runs")
}

#[tokio::test]
async fn the_banner_one_liner_exchanges_the_key_as_api_md_says() {
    let store = common::provisioned_store().await;
    let scope = new_scope();
    let state = common::temp_state_dir("apikey");
    let dir = StateDir::new(&state);
    let key = dir.dev_api_key().expect("dev key");
    let wrapper = dir.api_key_kek().expect("kek");
    local_stack::apikey::seed_dev(&store, &wrapper, scope, &key)
        .await
        .expect("seeded");
    let (exchange, verifier) = exchange(&store, &state);
    let endpoint = IdentityEndpoint::start(exchange).await;

    let mut nonces = Vec::new();
    for _ in 0..2 {
        let output = run_one_liner(&endpoint.url, &key.public_key, key.private_key.expose()).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let body: serde_json::Value = serde_json::from_str(&stdout).expect("JSON answer");
        let token = body["accessToken"].as_str().expect("accessToken");
        let identity = verifier.verify(token).expect("valid");
        assert_eq!(identity.scope, scope);
        assert_eq!(identity.roles, [Role::Admin]);
        assert!(body["expires"].as_i64().expect("expires") > now() * 1000);

        let seen = endpoint.seen.lock().expect("lock").clone();
        let (request_line, authorization) = seen.last().expect("a request").clone();
        assert_eq!(request_line, "POST /v2/identity/hmac HTTP/1.1");
        let credentials = authorization
            .strip_prefix("Hmac ")
            .unwrap_or_else(|| panic!("not an Hmac authorization: {authorization}"));
        let parts: Vec<&str> = credentials.split(':').collect();
        let [public_key, nonce, timestamp, _] = parts.as_slice() else {
            panic!("not four parts: {credentials}");
        };
        assert_eq!(*public_key, key.public_key);
        assert!(
            nonce.len() == 32 && nonce.chars().all(|c| c.is_ascii_hexdigit()),
            "{nonce}"
        );
        let timestamp: i64 = timestamp.parse().expect("epoch seconds");
        assert!((now() - timestamp).abs() < 60, "{timestamp}");
        nonces.push(nonce.to_string());
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce each time");

    // A wrong private key signs a request the exchange refuses.
    use base64::Engine;
    let wrong = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let output = run_one_liner(&endpoint.url, &key.public_key, &wrong).await;
    assert_eq!(String::from_utf8_lossy(&output.stdout), "{}");
    let _ = std::fs::remove_dir_all(state);
}
