//! Files the local stack keeps between runs under its state dir (`<repo>/.local/`, gitignored):
//! the dev token signing key and the dev identity. They are created once and then reused, so
//! tokens printed by one `make dev` keep working in the next, and `make token` from another
//! terminal signs with the key the running functions trust.
//!
//! Creation is race-free: a file is written aside and hard-linked into place, so of two
//! processes starting at once exactly one wins and both then read the winner's file. The
//! `.pub` file is derived from the private key, so it can never disagree with it.

use base64::Engine;
use payments_core::auth::{generate_signing_key, SigningKeyPair};
use payments_core::ids::{AccountId, TenantId};
use serde::Deserialize;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const PRIVATE_KEY_FILE: &str = "dev-signing-key.pem";
pub const PUBLIC_KEY_FILE: &str = "dev-signing-key.pub";
pub const IDENTITY_FILE: &str = "dev-identity.json";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is corrupt ({reason}); delete it to start afresh")]
    Corrupt { path: String, reason: String },
    #[error("cannot generate the signing key: {0}")]
    KeyGeneration(String),
}

/// The account and tenant the dev token acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevIdentity {
    pub account: AccountId,
    pub tenant: TenantId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdentityFile {
    account_id: String,
    tenant_id: String,
}

pub struct StateDir {
    root: PathBuf,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl StateDir {
    pub fn new(root: impl Into<PathBuf>) -> StateDir {
        StateDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes `contents` to `name` unless it exists; `private` files are readable by the owner only.
    fn create_once(&self, name: &str, contents: &[u8], private: bool) -> Result<(), StateError> {
        std::fs::create_dir_all(&self.root).map_err(io_error(&self.root))?;
        let target = self.file(name);
        let aside = self.file(&format!(".{name}.{}", uuid::Uuid::new_v4().simple()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if private { 0o600 } else { 0o644 })
            .open(&aside)
            .and_then(|mut file| file.write_all(contents).and_then(|()| file.sync_all()));
        let linked = written.and_then(|()| match std::fs::hard_link(&aside, &target) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        });
        let _ = std::fs::remove_file(&aside);
        linked.map_err(io_error(&target))
    }

    fn read(&self, name: &str) -> Result<String, StateError> {
        let path = self.file(name);
        std::fs::read_to_string(&path).map_err(io_error(&path))
    }

    /// The dev signing key, generated on first use.
    pub fn signing_key(&self) -> Result<SigningKeyPair, StateError> {
        if !self.file(PRIVATE_KEY_FILE).exists() {
            let fresh =
                generate_signing_key().map_err(|e| StateError::KeyGeneration(e.to_string()))?;
            self.create_once(PRIVATE_KEY_FILE, fresh.private_key_pem.as_bytes(), true)?;
        }
        let private_key_pem = self.read(PRIVATE_KEY_FILE)?;
        let public_key_base64 =
            public_key_of(&private_key_pem).map_err(|reason| StateError::Corrupt {
                path: self.file(PRIVATE_KEY_FILE).display().to_string(),
                reason: reason.to_owned(),
            })?;
        let public_line = format!("{public_key_base64}\n");
        if self.read(PUBLIC_KEY_FILE).ok().as_deref() != Some(public_line.as_str()) {
            let path = self.file(PUBLIC_KEY_FILE);
            let aside = self.file(&format!(
                ".{PUBLIC_KEY_FILE}.{}",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::write(&aside, public_line)
                .and_then(|()| std::fs::rename(&aside, &path))
                .map_err(io_error(&path))?;
        }
        Ok(SigningKeyPair {
            private_key_pem,
            public_key_base64,
        })
    }

    /// The dev account and tenant, chosen at random on first use.
    pub fn dev_identity(&self) -> Result<DevIdentity, StateError> {
        if !self.file(IDENTITY_FILE).exists() {
            let fresh = serde_json::json!({
                "accountId": AccountId::new_random().to_string(),
                "tenantId": TenantId::new_random().to_string(),
            });
            let json = format!("{fresh:#}\n");
            self.create_once(IDENTITY_FILE, json.as_bytes(), false)?;
        }
        let corrupt = |reason: &str| StateError::Corrupt {
            path: self.file(IDENTITY_FILE).display().to_string(),
            reason: reason.to_owned(),
        };
        let file: IdentityFile = serde_json::from_str(&self.read(IDENTITY_FILE)?)
            .map_err(|e| corrupt(&e.to_string()))?;
        Ok(DevIdentity {
            account: AccountId::parse(&file.account_id)
                .map_err(|_| corrupt("accountId is not a lowercase UUID"))?,
            tenant: TenantId::parse(&file.tenant_id)
                .map_err(|_| corrupt("tenantId is not a lowercase UUID"))?,
        })
    }
}

/// The one-line base64 public key (`TOKEN_PUBLIC_KEY`) of a PKCS#8 P-256 private key PEM.
fn public_key_of(private_key_pem: &str) -> Result<String, &'static str> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let engine = base64::engine::general_purpose::STANDARD;
    let body: String = private_key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = engine.decode(body.trim()).map_err(|_| "not a PEM block")?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
        .map_err(|_| "not a PKCS#8 P-256 key")?;
    let public = pair
        .public_key()
        .as_der()
        .map_err(|_| "public key not encodable")?;
    Ok(engine.encode(public.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_core::auth::{TokenSigner, TokenVerifier};
    use payments_core::ids::TenantScope;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("local-stack-state-{}", uuid::Uuid::new_v4()))
    }

    #[test]
    fn files_are_created_once_and_reused() {
        let dir = temp_dir();
        let state = StateDir::new(&dir);
        let key = state.signing_key().expect("created");
        let again = StateDir::new(&dir).signing_key().expect("read");
        assert_eq!(key.private_key_pem, again.private_key_pem);
        assert_eq!(key.public_key_base64, again.public_key_base64);
        let on_disk = std::fs::read_to_string(dir.join(PUBLIC_KEY_FILE)).expect("pub");
        assert_eq!(on_disk.trim_end(), key.public_key_base64);
        let mode = std::fs::metadata(dir.join(PRIVATE_KEY_FILE))
            .expect("pem")
            .permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );

        // The derived public key verifies what the private key signs.
        let identity = state.dev_identity().expect("identity");
        assert_eq!(
            identity,
            StateDir::new(&dir).dev_identity().expect("same identity")
        );
        let scope = TenantScope {
            tenant: identity.tenant,
            account: identity.account,
        };
        let token = TokenSigner::new(&key.private_key_pem, "i", "a")
            .expect("signer")
            .issue(scope, &["tenant-admin"], 60)
            .expect("token");
        let verified = TokenVerifier::new(&key.public_key_base64, "i", "a")
            .expect("verifier")
            .verify(&token)
            .expect("valid");
        assert_eq!(verified.scope, scope);

        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(IDENTITY_FILE)).expect("file"))
                .expect("json");
        assert_eq!(json["accountId"], identity.account.to_string());
        assert_eq!(json["tenantId"], identity.tenant.to_string());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn concurrent_first_runs_agree() {
        let dir = temp_dir();
        let keys: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| StateDir::new(&dir).signing_key().map(|k| k.private_key_pem)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread").expect("key"))
                .collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn corrupt_files_say_so() {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join(IDENTITY_FILE),
            r#"{"accountId":"nope","tenantId":"x"}"#,
        )
        .expect("write");
        let err = StateDir::new(&dir).dev_identity().expect_err("corrupt");
        assert!(err.to_string().contains("delete it"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
