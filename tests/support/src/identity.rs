//! Fixtures for the identity function: its router on a table with a local key-encryption key
//! and given signing keys, API keys, and a client's HMAC signature computed outside the code
//! under test (by Python's `hmac` module).

use payments_core::auth::{generate_signing_key, Role};
use payments_core::identity::{
    create_api_key, ApiKeyStore, LocalKeyWrapper, NewApiKey, SigningKeys, TokenExchange,
};
use payments_core::ids::TenantScope;
use payments_core::store::Table;
use std::sync::Arc;

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

/// The key wrapper of these tests: one local key per test binary.
pub fn key_wrapper() -> Arc<LocalKeyWrapper> {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = KEY.get_or_init(|| LocalKeyWrapper::generate().unwrap_or_else(|e| panic!("{e}")));
    Arc::new(LocalKeyWrapper::from_base64(text).unwrap_or_else(|e| panic!("{e}")))
}

/// The identity router on `table`, signing with `signing_keys` (newest first).
pub fn identity_router(table: &Table, signing_keys: &str) -> axum::Router {
    let signing = Arc::new(
        SigningKeys::parse(signing_keys, crate::ISSUER, crate::AUDIENCE)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    identity::router(
        identity::AppState {
            exchange: TokenExchange::new(
                ApiKeyStore::new(table.clone()),
                key_wrapper(),
                signing.clone(),
            ),
            signing,
            issuer: crate::ISSUER.into(),
            public_base_url: None,
        },
        crate::edge(payments_core::http::ErrorFormat::A),
    )
}

/// A stored API key of `scope` with `roles`.
pub async fn api_key(table: &Table, scope: TenantScope, roles: &[Role]) -> NewApiKey {
    let created = create_api_key(
        key_wrapper().as_ref(),
        scope,
        roles,
        chrono::Utc::now().timestamp_millis(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    ApiKeyStore::new(table.clone())
        .save(&created.key)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    created
}

/// A client's signature, as API.md section 4 defines it, computed by Python's standard
/// library so the code under test does not check itself.
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
