//! Fixtures for the identity function: its router as its `main` builds it (on the test's
//! table, with the test run's local key-encryption key and given signing keys), API keys, and
//! a client's HMAC signature computed outside the code under test (by Python's `hmac` module).

use payments_aws::config::TOKEN_SIGNING_KEYS;
use payments_aws::Store;
use payments_domain::auth::Role;
use payments_domain::identity::{create_api_key, ApiKeys, KeyWrapper, LocalKeyWrapper, NewApiKey};
use payments_domain::ids::TenantScope;
use payments_http::generate_signing_key;

/// A new P-256 signing key as `TOKEN_SIGNING_KEYS` holds it (base64 PKCS#8), with its public
/// half as `TOKEN_PUBLIC_KEY` holds it.
pub fn signing_key() -> (String, String) {
    let pair = generate_signing_key().unwrap_or_else(|e| panic!("{e}"));
    let body: String = pair
        .private_key_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    (body, pair.public_key_base64)
}

/// The local key-encryption key of this test binary, in a file of its own (as `make dev`
/// keeps it in `.local/apikey-kek.key`): the path `API_KEY_KEK_FILE` names.
pub fn key_file() -> String {
    static FILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let key = LocalKeyWrapper::generate().unwrap_or_else(|e| panic!("{e}"));
        let path = std::env::temp_dir().join(format!(
            "payments-test-kek-{}.key",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&path, key).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
        path.display().to_string()
    })
    .clone()
}

/// The key wrapper of these tests: the key in [`key_file`].
pub fn key_wrapper() -> LocalKeyWrapper {
    LocalKeyWrapper::from_file(&key_file()).unwrap_or_else(|e| panic!("{e}"))
}

/// The identity router on `table`, signing with `signing_keys` (newest first).
pub async fn identity_router(table: &Store, signing_keys: &str) -> axum::Router {
    let settings = crate::settings_on("identity", table)
        .await
        .with(TOKEN_SIGNING_KEYS, signing_keys);
    crate::payments::built(::identity::app(&settings, &crate::clients().await)).await
}

/// A stored API key of `scope` with `roles`, wrapped by [`key_wrapper`].
pub async fn api_key(table: &Store, scope: TenantScope, roles: &[Role]) -> NewApiKey {
    api_key_wrapped_by(&key_wrapper(), table, scope, roles).await
}

/// A stored API key of `scope` with `roles`, wrapped by `wrapper`.
pub async fn api_key_wrapped_by(
    wrapper: &dyn KeyWrapper,
    table: &Store,
    scope: TenantScope,
    roles: &[Role],
) -> NewApiKey {
    let now = chrono::Utc::now().timestamp_millis();
    let created = create_api_key(wrapper, scope, roles, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    table
        .save_api_key(&created.key)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    created
}

/// A client's signature, as docs/api.md §4 defines it, computed by Python's standard library
/// so the code under test does not check itself.
pub fn python_signature(
    public_key: &str,
    nonce: &str,
    timestamp: i64,
    private_key: &str,
    body: &str,
) -> String {
    const SCRIPT: &str = "import base64, hashlib, hmac, sys\n\
pk, nonce, ts, key, body = sys.argv[1:6]\n\
digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() if body else ''\n\
message = f'{pk}:{nonce}:{ts}:{digest}'.encode()\n\
print(base64.b64encode(hmac.new(base64.b64decode(key), message, hashlib.sha256).digest()).decode())";
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            SCRIPT,
            public_key,
            nonce,
            &timestamp.to_string(),
            private_key,
            body,
        ])
        .output()
        .unwrap_or_else(|e| panic!("running python3: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}
