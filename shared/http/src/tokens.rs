//! ES256 access tokens. The verifier holds only the public key (from configuration); the
//! signer exists for the identity service, the local stack and tests.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::Engine;
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use payments_domain::auth::{Identity, Role};
use payments_domain::error::{AuthFailure, Error};
use payments_domain::ids::{AccountId, TenantId, TenantScope};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Seconds of clock difference tolerated between the token's issuer and this service.
const CLOCK_LEEWAY_SECONDS: u64 = 5;

/// Most tokens a warm process remembers as verified (about 1 KiB each).
const MAX_REMEMBERED_TOKENS: usize = 1_024;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub account: String,
    pub tenant: String,
    pub role: Vec<String>,
    pub iss: String,
    pub aud: String,
    /// Expiry, epoch seconds.
    pub exp: i64,
}

pub struct TokenVerifier {
    /// Each accepted key by its `kid`.
    keys: Vec<(String, DecodingKey)>,
    validation: Validation,
    /// Tokens this warm process has verified, by the whole token, with their identity and
    /// expiry: a caller's next request costs a lookup instead of a signature check. Only an
    /// identical token matches, and only until it expires.
    verified: Mutex<HashMap<String, Verified>>,
}

#[derive(Clone)]
struct Verified {
    identity: Identity,
    /// Expiry, epoch seconds.
    expires: i64,
}

impl Verified {
    /// The rule `jsonwebtoken` applies: expired once `exp` is more than the leeway ago.
    fn is_current(&self, now: i64) -> bool {
        self.expires.saturating_add(CLOCK_LEEWAY_SECONDS as i64) >= now
    }
}

fn epoch_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The `kid` of a public key: the first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo
/// DER, so signer and verifiers derive the same id from the key alone.
pub fn key_id(spki_der: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki_der)
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn verification_key(public_key: &str) -> Result<(String, DecodingKey), Error> {
    let unusable =
        |e: &dyn std::fmt::Display| Error::bug(format!("token verification key unusable: {e}"));
    let body: String = if public_key.contains("-----BEGIN") {
        public_key
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect()
    } else {
        public_key.trim().to_owned()
    };
    let der = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .map_err(|e| unusable(&e))?;
    let key = DecodingKey::from_ec_pem(pem_block("PUBLIC KEY", &body).as_bytes())
        .map_err(|e| unusable(&e))?;
    Ok((key_id(&der), key))
}

impl TokenVerifier {
    /// `public_keys` is one or more P-256 public keys, comma-separated, each a PEM `PUBLIC KEY`
    /// block or its base64 body on one line (a form that fits a CloudFormation parameter).
    /// Several keys accept the tokens of each, so a signing key can be rotated without
    /// refusing the tokens it signed before.
    pub fn new(public_keys: &str, issuer: &str, audience: &str) -> Result<Self, Error> {
        let keys = public_keys
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(verification_key)
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(Error::bug("no token verification key configured"));
        }
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = CLOCK_LEEWAY_SECONDS;
        Ok(TokenVerifier {
            keys,
            validation,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// Verifies signature, algorithm, issuer, audience and expiry, and reads the identity; a
    /// token this process verified before and that has not expired is not checked again.
    pub fn verify(&self, token: &str) -> Result<Identity, Error> {
        let now = epoch_seconds();
        if let Some(known) = self.remembered(token, now) {
            return Ok(known.identity);
        }
        let (identity, expires) = self.check(token)?;
        self.remember(
            token,
            Verified {
                identity: identity.clone(),
                expires,
            },
            now,
        );
        Ok(identity)
    }

    fn remembered(&self, token: &str, now: i64) -> Option<Verified> {
        let verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        verified
            .get(token)
            .filter(|known| known.is_current(now))
            .cloned()
    }

    /// Keeps `known`; when full, forgets the expired tokens, and all of them if none has.
    fn remember(&self, token: &str, known: Verified, now: i64) {
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= MAX_REMEMBERED_TOKENS {
            verified.retain(|_, entry| entry.is_current(now));
            if verified.len() >= MAX_REMEMBERED_TOKENS {
                verified.clear();
            }
        }
        verified.insert(token.to_owned(), known);
    }

    /// The signature check itself. A token naming a `kid` is checked with that key only; one
    /// without, with each key.
    fn check(&self, token: &str) -> Result<(Identity, i64), Error> {
        let invalid = || Error::Unauthenticated(AuthFailure::InvalidToken);
        let kid = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid())?
            .kid;
        let mut failure = AuthFailure::InvalidToken;
        let candidates = self
            .keys
            .iter()
            .filter(|(id, _)| kid.as_ref().is_none_or(|kid| kid == id));
        let mut verified = None;
        for (_, key) in candidates {
            match jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation) {
                Ok(data) => {
                    verified = Some(data);
                    break;
                }
                // Claims are checked after the signature: this key signed it, too late.
                Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                    failure = AuthFailure::ExpiredToken;
                }
                Err(_) => {}
            }
        }
        let data = verified.ok_or(Error::Unauthenticated(failure))?;
        let claims = data.claims;
        let invalid = || Error::Unauthenticated(AuthFailure::InvalidToken);
        let identity = Identity {
            scope: TenantScope {
                tenant: TenantId::parse(&claims.tenant).map_err(|_| invalid())?,
                account: AccountId::parse(&claims.account).map_err(|_| invalid())?,
            },
            roles: claims
                .role
                .iter()
                .filter_map(|name| Role::parse(name))
                .collect(),
        };
        Ok((identity, claims.exp))
    }
}

pub struct TokenSigner {
    key: EncodingKey,
    key_id: String,
    issuer: String,
    audience: String,
}

impl TokenSigner {
    /// `private_key_pem` is a PKCS#8 `PRIVATE KEY` PEM block of a P-256 key. Every token names
    /// the key in its `kid` header (derived from the key, as the JWKS derives it), so whoever
    /// signs (the identity function, `make dev`, `make token`) the JWKS finds the key.
    pub fn new(private_key_pem: &str, issuer: &str, audience: &str) -> Result<Self, Error> {
        let unusable = |e: &dyn std::fmt::Display| {
            Error::internal("token signing key unusable", e.to_string())
        };
        let key = EncodingKey::from_ec_pem(private_key_pem.as_bytes()).map_err(|e| unusable(&e))?;
        let body: String = private_key_pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let pkcs8 = base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|e| unusable(&e))?;
        let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
        )
        .map_err(|e| unusable(&e))?;
        let spki =
            aws_lc_rs::encoding::AsDer::as_der(aws_lc_rs::signature::KeyPair::public_key(&pair))
                .map_err(|e| unusable(&e))?;
        Ok(TokenSigner {
            key,
            key_id: key_id(spki.as_ref()),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// A token for `scope` with `roles` that expires `ttl_seconds` from now (negative: already expired).
    pub fn issue(
        &self,
        scope: TenantScope,
        roles: &[&str],
        ttl_seconds: i64,
    ) -> Result<String, Error> {
        self.issue_until(scope, roles, chrono::Utc::now().timestamp() + ttl_seconds)
    }

    /// A token for `scope` with `roles` that expires at `expires` (epoch seconds).
    pub fn issue_until(
        &self,
        scope: TenantScope,
        roles: &[&str],
        expires: i64,
    ) -> Result<String, Error> {
        let claims = AccessClaims {
            account: scope.account.to_string(),
            tenant: scope.tenant.to_string(),
            role: roles.iter().map(|r| (*r).to_owned()).collect(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: expires,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims: lets tests forge tokens with a wrong issuer or audience.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|e| Error::internal("token signing failed", e))
    }
}

/// A fresh P-256 key pair: the private half as PKCS#8 PEM, the public half as the one-line
/// base64 form `TokenVerifier::new` accepts.
pub struct SigningKeyPair {
    pub private_key_pem: String,
    pub public_key_base64: String,
}

pub fn generate_signing_key() -> Result<SigningKeyPair, Error> {
    let failed = |what: &str| Error::bug(format!("key generation failed: {what}"));
    let private =
        EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| failed("generate"))?;
    let pkcs8 = private.to_pkcs8v1().map_err(|_| failed("pkcs8"))?;
    let public = private
        .public_key()
        .as_der()
        .map_err(|_| failed("public der"))?;
    let engine = base64::engine::general_purpose::STANDARD;
    Ok(SigningKeyPair {
        private_key_pem: pem_block("PRIVATE KEY", &engine.encode(pkcs8.as_ref())),
        public_key_base64: engine.encode(public.as_ref()),
    })
}

pub fn pem_block(label: &str, base64_body: &str) -> String {
    let lines: Vec<&str> = base64_body
        .as_bytes()
        .chunks(64)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "test-issuer";
    const AUDIENCE: &str = "test-audience";

    fn pair() -> (TokenSigner, TokenVerifier) {
        let keys = generate_signing_key().unwrap();
        (
            TokenSigner::new(&keys.private_key_pem, ISSUER, AUDIENCE).unwrap(),
            TokenVerifier::new(&keys.public_key_base64, ISSUER, AUDIENCE).unwrap(),
        )
    }

    fn scope() -> TenantScope {
        TenantScope {
            tenant: TenantId::new_random(),
            account: AccountId::new_random(),
        }
    }

    fn claims(scope: TenantScope) -> AccessClaims {
        AccessClaims {
            account: scope.account.to_string(),
            tenant: scope.tenant.to_string(),
            role: vec!["tenant-admin".into(), "not-a-role".into()],
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 60,
        }
    }

    fn failure(result: Result<Identity, Error>) -> Option<AuthFailure> {
        match result {
            Err(Error::Unauthenticated(why)) => Some(why),
            _ => None,
        }
    }

    #[test]
    fn a_valid_token_yields_its_scope_and_known_roles() {
        let (signer, verifier) = pair();
        let own = scope();
        let token = signer.issue(own, &["tenant-admin", "made-up"], 60).unwrap();
        let identity = verifier.verify(&token).unwrap();
        assert_eq!(identity.scope, own);
        assert_eq!(identity.roles, vec![Role::Admin]);
    }

    #[test]
    fn a_verified_token_is_remembered_until_it_expires_and_only_itself() {
        let (signer, verifier) = pair();
        let own = scope();
        let token = signer.issue(own, &["tenant-admin"], 60).unwrap();
        assert_eq!(verifier.verify(&token).unwrap().scope, own);
        assert_eq!(verifier.verified.lock().unwrap().len(), 1);
        // What is remembered answers instead of the signature check.
        let stand_in = Identity {
            scope: scope(),
            roles: vec![],
        };
        let remember = |expires: i64| {
            verifier.verified.lock().unwrap().insert(
                token.clone(),
                Verified {
                    identity: stand_in.clone(),
                    expires,
                },
            )
        };
        remember(epoch_seconds() + 60);
        assert_eq!(verifier.verify(&token).unwrap(), stand_in);
        // Any other token is checked in full: here, one changed character of the signature.
        let mut forged = token.clone().into_bytes();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            failure(verifier.verify(&forged)),
            Some(AuthFailure::InvalidToken)
        );
        // Past its expiry (and the leeway) the memory is not used: the token is checked again.
        remember(epoch_seconds() - CLOCK_LEEWAY_SECONDS as i64 - 1);
        assert_eq!(verifier.verify(&token).unwrap().scope, own);
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded() {
        let (signer, verifier) = pair();
        for ttl in 0..(MAX_REMEMBERED_TOKENS as i64 + 10) {
            let token = signer.issue(scope(), &["tenant-admin"], 60 + ttl).unwrap();
            assert!(verifier.verify(&token).is_ok());
        }
        assert!(verifier.verified.lock().unwrap().len() <= MAX_REMEMBERED_TOKENS);
    }

    #[test]
    fn bad_tokens_are_refused() {
        let (signer, verifier) = pair();
        let (stranger, _) = pair();
        let own = scope();
        let expired = signer.issue(own, &["tenant-admin"], -120).unwrap();
        assert_eq!(
            failure(verifier.verify(&expired)),
            Some(AuthFailure::ExpiredToken)
        );

        let foreign = stranger.issue(own, &["tenant-admin"], 60).unwrap();
        assert_eq!(
            failure(verifier.verify(&foreign)),
            Some(AuthFailure::InvalidToken)
        );

        for (issuer, audience) in [("other", AUDIENCE), (ISSUER, "other")] {
            let wrong = signer
                .sign(&AccessClaims {
                    iss: issuer.into(),
                    aud: audience.into(),
                    ..claims(own)
                })
                .unwrap();
            assert_eq!(
                failure(verifier.verify(&wrong)),
                Some(AuthFailure::InvalidToken)
            );
        }

        let valid = signer.issue(own, &["tenant-admin"], 60).unwrap();
        let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        parts[0] = engine.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(
            failure(verifier.verify(&unsigned)),
            Some(AuthFailure::InvalidToken)
        );

        let mut tampered_claims = claims(own);
        tampered_claims.tenant = TenantId::new_random().to_string();
        let tampered_body = engine.encode(serde_json::to_vec(&tampered_claims).unwrap());
        let tampered = format!(
            "{}.{}.{}",
            valid.split('.').next().unwrap(),
            tampered_body,
            valid.split('.').nth(2).unwrap()
        );
        assert_eq!(
            failure(verifier.verify(&tampered)),
            Some(AuthFailure::InvalidToken)
        );

        assert_eq!(
            failure(verifier.verify("not-a-jwt")),
            Some(AuthFailure::InvalidToken)
        );
    }

    #[test]
    fn the_public_key_is_accepted_as_pem_or_one_line() {
        let keys = generate_signing_key().unwrap();
        let pem = pem_block("PUBLIC KEY", &keys.public_key_base64);
        assert!(TokenVerifier::new(&pem, ISSUER, AUDIENCE).is_ok());
        assert!(TokenVerifier::new("bm90IGEga2V5", ISSUER, AUDIENCE).is_err());
    }

    #[test]
    fn after_a_rotation_tokens_of_the_old_and_new_key_verify() {
        let old = generate_signing_key().unwrap();
        let new = generate_signing_key().unwrap();
        let der = |k: &SigningKeyPair| {
            base64::engine::general_purpose::STANDARD
                .decode(&k.public_key_base64)
                .unwrap()
        };
        let signer = |k: &SigningKeyPair| {
            let signer = TokenSigner::new(&k.private_key_pem, ISSUER, AUDIENCE).unwrap();
            assert_eq!(signer.key_id, key_id(&der(k)), "the kid the JWKS derives");
            signer
        };
        let both = TokenVerifier::new(
            &format!("{},{}", new.public_key_base64, old.public_key_base64),
            ISSUER,
            AUDIENCE,
        )
        .unwrap();
        let only_new = TokenVerifier::new(&new.public_key_base64, ISSUER, AUDIENCE).unwrap();
        let old_token = signer(&old).issue(scope(), &["tenant-admin"], 60).unwrap();
        let new_token = signer(&new).issue(scope(), &["tenant-admin"], 60).unwrap();
        assert!(both.verify(&old_token).is_ok());
        assert!(both.verify(&new_token).is_ok());
        assert!(only_new.verify(&new_token).is_ok());
        assert_eq!(
            failure(only_new.verify(&old_token)),
            Some(AuthFailure::InvalidToken)
        );
        // A kid-less token (another issuer's) is tried against every key.
        let claims = AccessClaims {
            account: scope().account.to_string(),
            tenant: scope().tenant.to_string(),
            role: vec!["tenant-admin".into()],
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 60,
        };
        let plain = jsonwebtoken::encode(
            &Header::new(Algorithm::ES256),
            &claims,
            &EncodingKey::from_ec_pem(old.private_key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
        assert!(both.verify(&plain).is_ok());
        let expired = signer(&old)
            .issue(scope(), &["tenant-admin"], -600)
            .unwrap();
        assert_eq!(
            failure(both.verify(&expired)),
            Some(AuthFailure::ExpiredToken)
        );
    }
}
