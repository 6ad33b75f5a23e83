//! Files the local stack keeps between runs under its state dir (`<repo>/.local/`, gitignored):
//! the dev token signing key, the dev identity, the ids of the dev tenant's schemes and
//! rewards, the key that encrypts API private keys locally (`apikey-kek.key`, in place of KMS)
//! and the dev API key (`dev-apikey.json`). They are
//! created once and then reused, so tokens, ids and the dev API key printed by one `make dev` keep
//! working in the next, `make token` from another terminal signs with the key the running
//! functions trust, and `make apikey` seals with the key the running identity function opens with.
//! Files holding a secret are readable by their owner only.
//! A running `make dev` also records where it serves (`dev-endpoints.json`), so that commands
//! from another terminal (`make scheme`, `make reward`) reach its moto; it removes the record when it stops.
//!
//! Creation is race-free: a file is written aside and hard-linked into place, so of two
//! processes starting at once exactly one wins and both then read the winner's file. The
//! `.pub` file is derived from the private key, so it can never disagree with it.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use payments_domain::identity::LocalKeyWrapper;
use payments_domain::ids::{AccountId, RewardId, TenantId};
use payments_domain::payments::SchemeId;
use payments_domain::providers::WebhookSecret;
use payments_domain::secret::Secret;
use payments_http::{generate_signing_key, SigningKeyPair};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const PRIVATE_KEY_FILE: &str = "dev-signing-key.pem";
pub const PUBLIC_KEY_FILE: &str = "dev-signing-key.pub";
pub const IDENTITY_FILE: &str = "dev-identity.json";
pub const SCHEMES_FILE: &str = "dev-schemes.json";
pub const REWARDS_FILE: &str = "dev-rewards.json";
pub const ENDPOINTS_FILE: &str = "dev-endpoints.json";
/// The local key-encryption key of API private keys: base64 of 32 random bytes.
pub const KEK_FILE: &str = "apikey-kek.key";
/// SANDBOX's webhook secret, `whsec_` and base64 of 32 bytes.
pub const SANDBOX_WEBHOOK_SECRET_FILE: &str = "sandbox-webhook.secret";
pub const DEV_API_KEY_FILE: &str = "dev-apikey.json";
/// Bytes of an API private key.
const API_PRIVATE_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is corrupt ({reason}); delete it to start afresh")]
    Corrupt { path: String, reason: String },
    #[error("cannot generate {0}")]
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

/// The ids of the dev tenant's SANDBOX schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevSchemes {
    pub debit: SchemeId,
    pub credit: SchemeId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemesFile {
    debit_scheme_id: String,
    credit_scheme_id: String,
}

/// The ids of the dev tenant's SANDBOX rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevRewards {
    /// "Sandbox Gift Card", every currency.
    pub gift_card: RewardId,
    /// "Sandbox Coffee Voucher", EUR and GBP.
    pub coffee_voucher: RewardId,
    /// "FAILING": the SANDBOX provider fails its claims.
    pub failing: RewardId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RewardsFile {
    gift_card_reward_id: String,
    coffee_voucher_reward_id: String,
    failing_reward_id: String,
}

/// The dev API key, tenant-admin for the dev identity: what `make dev` prints as `PUBLIC_KEY=`
/// and `PRIVATE_KEY=`. Its record is saved again, sealed afresh, at every start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevApiKey {
    pub public_key: String,
    /// Base64 of the 32 bytes below.
    pub private_key: Secret<String>,
    secret: Secret<Vec<u8>>,
}

impl DevApiKey {
    /// The raw private key, the HMAC key.
    pub fn secret(&self) -> &[u8] {
        self.secret.expose()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiKeyFile {
    public_key: String,
    private_key: Secret<String>,
}

/// Where a running `local-stack dev` serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevEndpoints {
    pub moto_endpoint: String,
    pub api_url: String,
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
            let fresh = generate_signing_key()
                .map_err(|e| StateError::KeyGeneration(format!("the signing key: {e}")))?;
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

    /// The key that seals API private keys locally (what `API_KEY_KEK_FILE` names), generated
    /// on first use.
    pub fn api_key_kek(&self) -> Result<LocalKeyWrapper, StateError> {
        if !self.file(KEK_FILE).exists() {
            let fresh = LocalKeyWrapper::generate().map_err(|e| {
                StateError::KeyGeneration(format!("the API key encryption key: {e}"))
            })?;
            self.create_once(KEK_FILE, format!("{fresh}\n").as_bytes(), true)?;
        }
        LocalKeyWrapper::from_base64(&self.read(KEK_FILE)?).map_err(|_| StateError::Corrupt {
            path: self.file(KEK_FILE).display().to_string(),
            reason: "not base64 of 32 bytes".to_owned(),
        })
    }

    /// SANDBOX's webhook secret (what `SANDBOX_WEBHOOK_SECRET` holds), generated on first use.
    pub fn sandbox_webhook_secret(&self) -> Result<Secret<String>, StateError> {
        if !self.file(SANDBOX_WEBHOOK_SECRET_FILE).exists() {
            let fresh = WebhookSecret::generate().map_err(|e| {
                StateError::KeyGeneration(format!("the SANDBOX webhook secret: {e}"))
            })?;
            self.create_once(
                SANDBOX_WEBHOOK_SECRET_FILE,
                format!("{fresh}\n").as_bytes(),
                true,
            )?;
        }
        let text = self.read(SANDBOX_WEBHOOK_SECRET_FILE)?.trim().to_owned();
        WebhookSecret::parse(&text).map_err(|_| StateError::Corrupt {
            path: self.file(SANDBOX_WEBHOOK_SECRET_FILE).display().to_string(),
            reason: "not whsec_ and base64 of at least 24 bytes".to_owned(),
        })?;
        Ok(Secret::new(text))
    }

    /// The dev API key, generated on first use.
    pub fn dev_api_key(&self) -> Result<DevApiKey, StateError> {
        if !self.file(DEV_API_KEY_FILE).exists() {
            let mut secret = [0u8; API_PRIVATE_KEY_LEN];
            SystemRandom::new().fill(&mut secret).map_err(|_| {
                StateError::KeyGeneration("the dev API key: no randomness".to_owned())
            })?;
            let fresh = ApiKeyFile {
                public_key: uuid::Uuid::new_v4().simple().to_string(),
                private_key: Secret::new(base64::engine::general_purpose::STANDARD.encode(secret)),
            };
            let json = serde_json::to_string_pretty(&fresh)
                .map_err(|e| StateError::KeyGeneration(format!("the dev API key: {e}")))?;
            self.create_once(DEV_API_KEY_FILE, format!("{json}\n").as_bytes(), true)?;
        }
        let corrupt = |reason: &str| StateError::Corrupt {
            path: self.file(DEV_API_KEY_FILE).display().to_string(),
            reason: reason.to_owned(),
        };
        // Not serde's message: it may quote the value it could not read.
        let file: ApiKeyFile = serde_json::from_str(&self.read(DEV_API_KEY_FILE)?)
            .map_err(|_| corrupt("not a JSON object with publicKey and privateKey strings"))?;
        if !is_public_key(&file.public_key) {
            return Err(corrupt(
                "publicKey is not 1-64 of A-Z, a-z, 0-9, -, _ and .",
            ));
        }
        let secret = base64::engine::general_purpose::STANDARD
            .decode(file.private_key.expose())
            .ok()
            .filter(|bytes| bytes.len() == API_PRIVATE_KEY_LEN)
            .ok_or_else(|| corrupt("privateKey is not base64 of 32 bytes"))?;
        Ok(DevApiKey {
            public_key: file.public_key,
            private_key: file.private_key,
            secret: Secret::new(secret),
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

    /// The ids of the dev tenant's debit and credit schemes, chosen at random on first use.
    pub fn dev_schemes(&self) -> Result<DevSchemes, StateError> {
        if !self.file(SCHEMES_FILE).exists() {
            let fresh = serde_json::json!({
                "debitSchemeId": SchemeId::new_random().to_string(),
                "creditSchemeId": SchemeId::new_random().to_string(),
            });
            let json = format!("{fresh:#}\n");
            self.create_once(SCHEMES_FILE, json.as_bytes(), false)?;
        }
        let corrupt = |reason: &str| StateError::Corrupt {
            path: self.file(SCHEMES_FILE).display().to_string(),
            reason: reason.to_owned(),
        };
        let file: SchemesFile =
            serde_json::from_str(&self.read(SCHEMES_FILE)?).map_err(|e| corrupt(&e.to_string()))?;
        let id = |value: &str, name: &str| {
            SchemeId::parse(value).map_err(|_| corrupt(&format!("{name} is not a scheme id")))
        };
        Ok(DevSchemes {
            debit: id(&file.debit_scheme_id, "debitSchemeId")?,
            credit: id(&file.credit_scheme_id, "creditSchemeId")?,
        })
    }

    /// The ids of the dev tenant's rewards, chosen at random on first use.
    pub fn dev_rewards(&self) -> Result<DevRewards, StateError> {
        if !self.file(REWARDS_FILE).exists() {
            let fresh = serde_json::json!({
                "giftCardRewardId": RewardId::new_random().to_string(),
                "coffeeVoucherRewardId": RewardId::new_random().to_string(),
                "failingRewardId": RewardId::new_random().to_string(),
            });
            let json = format!("{fresh:#}\n");
            self.create_once(REWARDS_FILE, json.as_bytes(), false)?;
        }
        let corrupt = |reason: &str| StateError::Corrupt {
            path: self.file(REWARDS_FILE).display().to_string(),
            reason: reason.to_owned(),
        };
        let file: RewardsFile =
            serde_json::from_str(&self.read(REWARDS_FILE)?).map_err(|e| corrupt(&e.to_string()))?;
        let id = |value: &str, name: &str| {
            RewardId::parse(value).map_err(|_| corrupt(&format!("{name} is not a lowercase UUID")))
        };
        Ok(DevRewards {
            gift_card: id(&file.gift_card_reward_id, "giftCardRewardId")?,
            coffee_voucher: id(&file.coffee_voucher_reward_id, "coffeeVoucherRewardId")?,
            failing: id(&file.failing_reward_id, "failingRewardId")?,
        })
    }

    /// Records where the running dev stack serves, replacing any earlier record.
    pub fn record_endpoints(&self, endpoints: &DevEndpoints) -> Result<(), StateError> {
        std::fs::create_dir_all(&self.root).map_err(io_error(&self.root))?;
        let path = self.file(ENDPOINTS_FILE);
        let aside = self.file(&format!(
            ".{ENDPOINTS_FILE}.{}",
            uuid::Uuid::new_v4().simple()
        ));
        let json =
            serde_json::to_string_pretty(endpoints).map_err(|e| io_error(&path)(e.into()))?;
        let written = std::fs::write(&aside, format!("{json}\n"))
            .and_then(|()| std::fs::rename(&aside, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&aside);
        }
        written.map_err(io_error(&path))
    }

    /// Where the dev stack serves, as it recorded; `None` when no dev stack is recorded.
    pub fn dev_endpoints(&self) -> Result<Option<DevEndpoints>, StateError> {
        let path = self.file(ENDPOINTS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path)(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
    }

    /// Removes the record of `endpoints`, unless another dev stack has replaced it since.
    pub fn clear_endpoints(&self, endpoints: &DevEndpoints) {
        if self.dev_endpoints().ok().flatten().as_ref() == Some(endpoints) {
            let _ = std::fs::remove_file(self.file(ENDPOINTS_FILE));
        }
    }
}

/// Whether `text` can be an API key's public key: what the `Authorization: Hmac` header
/// carries (1-64 of `A-Z`, `a-z`, `0-9`, `-`, `_` and `.`).
pub fn is_public_key(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The base64 PKCS#8 body of a private key PEM on one line (`TOKEN_SIGNING_KEYS`).
pub fn pkcs8_base64(private_key_pem: &str) -> String {
    private_key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect()
}

/// The one-line base64 public key (`TOKEN_PUBLIC_KEY`) of a PKCS#8 P-256 private key PEM.
fn public_key_of(private_key_pem: &str) -> Result<String, &'static str> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let engine = base64::engine::general_purpose::STANDARD;
    let der = engine
        .decode(pkcs8_base64(private_key_pem))
        .map_err(|_| "not a PEM block")?;
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
    use payments_domain::ids::TenantScope;
    use payments_http::{TokenSigner, TokenVerifier};

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
    fn dev_scheme_ids_are_created_once_and_reused() {
        let dir = temp_dir();
        let schemes = StateDir::new(&dir).dev_schemes().expect("created");
        assert_ne!(schemes.debit, schemes.credit);
        for id in [&schemes.debit, &schemes.credit] {
            assert_eq!(id.as_str().len(), 32, "{id}");
            assert!(
                id.as_str()
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
                "{id}"
            );
        }
        assert_eq!(StateDir::new(&dir).dev_schemes().expect("read"), schemes);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(SCHEMES_FILE)).expect("file"))
                .expect("json");
        assert_eq!(json["debitSchemeId"], schemes.debit.as_str());
        assert_eq!(json["creditSchemeId"], schemes.credit.as_str());

        std::fs::write(
            dir.join(SCHEMES_FILE),
            r#"{"debitSchemeId":"not an id!","creditSchemeId":"A1"}"#,
        )
        .expect("write");
        let err = StateDir::new(&dir).dev_schemes().expect_err("corrupt");
        assert!(err.to_string().contains("debitSchemeId"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn dev_reward_ids_are_created_once_and_reused() {
        let dir = temp_dir();
        let rewards = StateDir::new(&dir).dev_rewards().expect("created");
        let ids = [rewards.gift_card, rewards.coffee_voucher, rewards.failing];
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(RewardId::parse(&id.to_string()).ok(), Some(*id));
            assert!(!ids[..i].contains(id), "{id} repeated");
        }
        assert_eq!(StateDir::new(&dir).dev_rewards().expect("read"), rewards);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(REWARDS_FILE)).expect("file"))
                .expect("json");
        assert_eq!(json["giftCardRewardId"], rewards.gift_card.to_string());
        assert_eq!(
            json["coffeeVoucherRewardId"],
            rewards.coffee_voucher.to_string()
        );
        assert_eq!(json["failingRewardId"], rewards.failing.to_string());
        // The schemes' file is a separate one, untouched.
        assert!(!dir.join(SCHEMES_FILE).exists());

        let valid = rewards.gift_card.to_string();
        std::fs::write(
            dir.join(REWARDS_FILE),
            format!(
                r#"{{"giftCardRewardId":"{valid}","coffeeVoucherRewardId":"{}","failingRewardId":"{valid}"}}"#,
                valid.to_uppercase()
            ),
        )
        .expect("write");
        let err = StateDir::new(&dir).dev_rewards().expect_err("corrupt");
        assert!(
            err.to_string().contains("coffeeVoucherRewardId")
                && err.to_string().contains("delete it"),
            "{err}"
        );
        std::fs::write(dir.join(REWARDS_FILE), r#"{"giftCardRewardId":"x"}"#).expect("write");
        assert!(StateDir::new(&dir).dev_rewards().is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn endpoints_are_recorded_read_and_cleared_by_their_owner_only() {
        let dir = temp_dir();
        let state = StateDir::new(&dir);
        assert_eq!(state.dev_endpoints().expect("none yet"), None);
        let first = DevEndpoints {
            moto_endpoint: "http://127.0.0.1:5050".into(),
            api_url: "http://127.0.0.1:3000".into(),
        };
        state.record_endpoints(&first).expect("recorded");
        assert_eq!(state.dev_endpoints().expect("read"), Some(first.clone()));

        // A second stack on other ports replaces the record; the first one's exit leaves it.
        let second = DevEndpoints {
            moto_endpoint: "http://127.0.0.1:6050".into(),
            api_url: "http://127.0.0.1:4000".into(),
        };
        state.record_endpoints(&second).expect("replaced");
        state.clear_endpoints(&first);
        assert_eq!(state.dev_endpoints().expect("read"), Some(second.clone()));
        state.clear_endpoints(&second);
        assert_eq!(state.dev_endpoints().expect("cleared"), None);

        std::fs::write(dir.join(ENDPOINTS_FILE), "{").expect("write");
        let err = state.dev_endpoints().expect_err("corrupt");
        assert!(err.to_string().contains("delete it"), "{err}");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn mode(path: &Path) -> u32 {
        let permissions = std::fs::metadata(path).expect("file").permissions();
        std::os::unix::fs::PermissionsExt::mode(&permissions) & 0o777
    }

    #[tokio::test]
    async fn the_api_key_encryption_key_is_created_once_and_private() {
        use payments_domain::identity::{open, seal};
        let dir = temp_dir();
        let wrapper = StateDir::new(&dir).api_key_kek().expect("created");
        assert_eq!(mode(&dir.join(KEK_FILE)), 0o600);
        let text = std::fs::read_to_string(dir.join(KEK_FILE)).expect("file");
        assert!(
            LocalKeyWrapper::from_base64(&text).is_ok(),
            "base64 of 32 bytes"
        );
        // Reused: what one run seals, the next opens, and so does the identity function,
        // which reads the file itself.
        let sealed = seal(&wrapper, b"secret", "pk").await.expect("sealed");
        let again = StateDir::new(&dir).api_key_kek().expect("read");
        assert_eq!(open(&again, &sealed, "pk").await.expect("opens"), b"secret");
        let from_file = LocalKeyWrapper::from_file(&dir.join(KEK_FILE).display().to_string())
            .expect("from_file");
        assert!(open(&from_file, &sealed, "pk").await.is_ok());

        std::fs::write(dir.join(KEK_FILE), "c2hvcnQ=\n").expect("write");
        let Err(err) = StateDir::new(&dir).api_key_kek() else {
            panic!("a short key is corrupt");
        };
        assert!(
            err.to_string().contains(KEK_FILE) && err.to_string().contains("delete it"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_dev_api_key_is_created_once_and_private() {
        let dir = temp_dir();
        let key = StateDir::new(&dir).dev_api_key().expect("created");
        assert_eq!(mode(&dir.join(DEV_API_KEY_FILE)), 0o600);
        assert!(is_public_key(&key.public_key), "{key:?}");
        assert_eq!(key.secret().len(), 32);
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(key.secret()),
            *key.private_key.expose()
        );
        assert!(
            !format!("{key:?}").contains(key.private_key.expose()),
            "Debug hides the private key"
        );
        assert_eq!(StateDir::new(&dir).dev_api_key().expect("read"), key);
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(DEV_API_KEY_FILE)).expect("file"),
        )
        .expect("json");
        assert_eq!(json["publicKey"], key.public_key);
        assert_eq!(json["privateKey"], *key.private_key.expose());
        // A separate file from the key that seals it.
        assert!(!dir.join(KEK_FILE).exists());

        for (contents, says) in [
            (
                format!(
                    r#"{{"publicKey":"a:b","privateKey":"{}"}}"#,
                    key.private_key
                ),
                "publicKey",
            ),
            (
                r#"{"publicKey":"pk","privateKey":"c2hvcnQ="}"#.to_owned(),
                "privateKey",
            ),
            (r#"{"publicKey":"pk","privateKey":7}"#.to_owned(), "JSON"),
            ("{".to_owned(), "JSON"),
        ] {
            std::fs::write(dir.join(DEV_API_KEY_FILE), &contents).expect("write");
            let err = StateDir::new(&dir).dev_api_key().expect_err("corrupt");
            let message = err.to_string();
            assert!(
                message.contains(says) && message.contains("delete it"),
                "{contents}: {message}"
            );
            assert!(!message.contains(key.private_key.expose()), "{message}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_signing_key_in_pkcs8_base64_is_the_pem_body() {
        let pair = generate_signing_key().expect("key");
        let body = pkcs8_base64(&pair.private_key_pem);
        assert!(!body.contains('\n') && !body.contains('-'), "{body}");
        let keys = payments_http::SigningKeys::parse(&body, "i", "a").expect("parses");
        let kid = keys.jwks().keys.first().map(|key| key.kid.clone());
        let public = base64::engine::general_purpose::STANDARD
            .decode(&pair.public_key_base64)
            .expect("public");
        assert_eq!(kid, Some(payments_http::key_id(&public)));
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
