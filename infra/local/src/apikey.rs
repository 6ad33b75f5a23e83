//! Tenant API keys in the local stack (docs/api.md §4): the arguments of `local-stack apikey`
//! (`make apikey`) and `local-stack apikey-disable`, checked before anything is touched; keys
//! created and sealed with the local key-encryption key (`.local/apikey-kek.key`, the file the
//! running identity function opens them with); the dev API key that `local-stack dev` saves on
//! every start; and the shell one-liner its banner prints to exchange a key for a token. Keys
//! live in the table the schemes live in ([`crate::scheme::table_name`]); the moto to write to
//! is found as `local-stack scheme` finds it.

use crate::state::{is_public_key, DevApiKey};
use payments_aws::Store;
use payments_domain::auth::Role;
use payments_domain::identity::{
    create_api_key, open, seal, ApiKey, ApiKeys, KeyWrapper, NewApiKey,
};
use payments_domain::ids::TenantScope;
use payments_domain::Error;

/// The dev API key's one role.
pub const DEV_ROLE: Role = Role::Admin;

/// Exchanges `$PUBLIC_KEY` and `$PRIVATE_KEY` for an access token at `$API_URL`, as
/// docs/api.md §4 says, with standard tools only: the nonce is 16 random bytes in hex, the request
/// has no body (so the hash part of the signed text is empty), and the HMAC key is the
/// base64-decoded private key, handed to openssl in hex. Prints `{accessToken, expires}`.
pub const EXCHANGE_ONE_LINER: &str = "nonce=$(od -An -v -N16 -tx1 /dev/urandom | tr -d ' \\n'); \
ts=$(date +%s); \
sig=$(printf '%s' \"$PUBLIC_KEY:$nonce:$ts:\" | openssl dgst -sha256 -mac HMAC \
-macopt hexkey:$(printf '%s' \"$PRIVATE_KEY\" | base64 -d | od -An -v -tx1 | tr -d ' \\n') -binary | base64); \
curl -s -X POST -H \"Authorization: Hmac $PUBLIC_KEY:$nonce:$ts:$sig\" \"$API_URL/v2/identity/hmac\"";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyArgError {
    #[error("--roles: {0:?} is not a role (one of {roles})", roles = role_names())]
    Role(String),
    #[error("--roles: at least one role is required")]
    NoRoles,
    #[error("--public-key: {0:?} is not a public key (1-64 of A-Z, a-z, 0-9, -, _ and .)")]
    PublicKey(String),
}

fn role_names() -> String {
    Role::ALL.map(Role::as_str).join(", ")
}

/// `--roles a,b`: each a role `Role::parse` knows, blanks around them and empty entries
/// dropped, each once, in the order given.
pub fn parse_roles(input: &str) -> Result<Vec<Role>, ApiKeyArgError> {
    let mut roles = Vec::new();
    for name in input.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let role = Role::parse(name).ok_or_else(|| ApiKeyArgError::Role(name.to_owned()))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(ApiKeyArgError::NoRoles);
    }
    Ok(roles)
}

/// `--public-key`: the form the `Authorization: Hmac` header can carry.
pub fn parse_public_key(input: &str) -> Result<String, ApiKeyArgError> {
    is_public_key(input)
        .then(|| input.to_owned())
        .ok_or_else(|| ApiKeyArgError::PublicKey(input.to_owned()))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Creates a key for `scope` with `roles`, its private half sealed by `wrapper`, and saves it.
pub async fn create(
    store: &Store,
    wrapper: &dyn KeyWrapper,
    scope: TenantScope,
    roles: &[Role],
) -> Result<NewApiKey, Error> {
    let created = create_api_key(wrapper, scope, roles, now_ms()).await?;
    store.save_api_key(&created.key).await?;
    Ok(created)
}

/// The record of the dev API key for `scope`, its private key sealed afresh by `wrapper`.
async fn dev_record(
    wrapper: &dyn KeyWrapper,
    scope: TenantScope,
    key: &DevApiKey,
) -> Result<ApiKey, Error> {
    Ok(ApiKey {
        public_key: key.public_key.clone(),
        account_id: scope.account,
        tenant_id: scope.tenant,
        roles: vec![DEV_ROLE.as_str().to_owned()],
        private_key: seal(wrapper, key.secret(), &key.public_key).await?,
        enabled: true,
        created: now_ms(),
    })
}

/// Saves the dev API key (again: moto keeps nothing between runs) under its kept public key.
/// A record already there (the same moto seeded twice) is kept if it is this key, enabled and
/// sealed with `wrapper`; anything else there is an error, as saving never overwrites a key.
pub async fn seed_dev(
    store: &Store,
    wrapper: &dyn KeyWrapper,
    scope: TenantScope,
    key: &DevApiKey,
) -> Result<(), Error> {
    if let Some(existing) = store.api_key(&key.public_key).await? {
        let opened = open(wrapper, &existing.private_key, &key.public_key)
            .await
            .ok();
        let same = opened.as_deref() == Some(key.secret())
            && existing.scope() == scope
            && existing.roles == [DEV_ROLE.as_str()]
            && existing.enabled;
        return if same {
            Ok(())
        } else {
            Err(Error::bug(format!(
                "another API key {} is already saved (another tenant, other roles, disabled, or \
                 sealed with another key-encryption key)",
                key.public_key
            )))
        };
    }
    store
        .save_api_key(&dev_record(wrapper, scope, key).await?)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_checked_and_kept_once_in_order() {
        assert_eq!(
            parse_roles(" tenant-transaction-read, tenant-admin,,tenant-transaction-read "),
            Ok(vec![Role::TransactionRead, Role::Admin])
        );
        for role in Role::ALL {
            assert_eq!(parse_roles(role.as_str()), Ok(vec![role]));
        }
        for input in ["", " , ", ","] {
            assert_eq!(
                parse_roles(input),
                Err(ApiKeyArgError::NoRoles),
                "{input:?}"
            );
        }
        for (input, bad) in [
            ("tenant-admin,admin", "admin"),
            ("Tenant-Admin", "Tenant-Admin"),
            (
                "tenant-admin;tenant-transaction-read",
                "tenant-admin;tenant-transaction-read",
            ),
        ] {
            let err = parse_roles(input).expect_err(input);
            assert_eq!(err, ApiKeyArgError::Role(bad.to_owned()));
            let message = err.to_string();
            assert!(
                message.starts_with("--roles: ") && message.contains("tenant-mandate-write"),
                "{message}"
            );
        }
    }

    #[test]
    fn public_keys_are_what_the_header_carries() {
        let key = uuid::Uuid::new_v4().simple().to_string();
        assert_eq!(parse_public_key(&key), Ok(key.clone()));
        assert!(parse_public_key("a.b-c_D9").is_ok());
        for bad in ["", "a:b", "a b", &"a".repeat(65), "ключ"] {
            assert_eq!(
                parse_public_key(bad),
                Err(ApiKeyArgError::PublicKey(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_one_liner_uses_only_standard_tools_and_the_printed_names() {
        assert!(!EXCHANGE_ONE_LINER.contains('\n'));
        for name in ["$API_URL", "$PUBLIC_KEY", "$PRIVATE_KEY"] {
            assert!(EXCHANGE_ONE_LINER.contains(name), "{name}");
        }
        for tool in ["python", "xxd", "uuidgen", "jq"] {
            assert!(!EXCHANGE_ONE_LINER.contains(tool), "{tool}");
        }
        assert!(EXCHANGE_ONE_LINER.contains("/v2/identity/hmac"));
    }

    #[test]
    fn the_local_development_guide_shows_the_one_liner_as_printed() {
        let guide = std::fs::read_to_string(crate::repo_root().join("docs/local-development.md"))
            .expect("docs/local-development.md");
        assert!(
            guide.lines().any(|line| line == EXCHANGE_ONE_LINER),
            "docs/local-development.md, \"Start the stack\", should show the one-liner as `make dev` prints it:\n{EXCHANGE_ONE_LINER}"
        );
    }
}
