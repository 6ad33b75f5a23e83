//! The identity service's token signing keys and their public JWKS. Keys are configured as a
//! comma-separated list of base64 PKCS#8 P-256 private keys, newest first: the first signs,
//! every one is published, so after a rotation tokens signed with an older key stay valid
//! until they expire. A key's `kid` is derived from its public half, so verifiers configured
//! with the public keys find the same ids without being told them.

use crate::tokens::{key_id, pem_block, TokenSigner};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::Engine;
use payments_domain::error::Error;
use payments_domain::identity::TokenIssuer;
use payments_domain::ids::TenantScope;
use serde::Serialize;
use utoipa::ToSchema;

pub struct SigningKeys {
    signer: TokenSigner,
    jwks: Jwks,
}

/// The public keys that verify access tokens (RFC 7517).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One P-256 public key: `x` and `y` are its coordinates, base64url without padding.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwk {
    #[schema(example = "EC")]
    pub kty: &'static str,
    #[schema(example = "P-256")]
    pub crv: &'static str,
    #[schema(example = "ES256")]
    pub alg: &'static str,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub key_use: &'static str,
    pub kid: String,
    pub x: String,
    pub y: String,
}

fn unusable(what: &str) -> Error {
    Error::bug(format!("token signing keys unusable: {what}"))
}

impl SigningKeys {
    pub fn parse(keys: &str, issuer: &str, audience: &str) -> Result<SigningKeys, Error> {
        let standard = base64::engine::general_purpose::STANDARD;
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut signer = None;
        let mut jwks = Vec::new();
        for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let pkcs8 = standard.decode(entry).map_err(|_| unusable("not base64"))?;
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
                .map_err(|_| unusable("not a P-256 PKCS#8 key"))?;
            let spki = pair
                .public_key()
                .as_der()
                .map_err(|_| unusable("public key"))?;
            let kid = key_id(spki.as_ref());
            // The uncompressed point: 0x04, then x and y (32 bytes each).
            let point = pair.public_key().as_ref();
            if point.len() != 65 {
                return Err(unusable("unexpected public key length"));
            }
            jwks.push(Jwk {
                kty: "EC",
                crv: "P-256",
                alg: "ES256",
                key_use: "sig",
                kid,
                x: url.encode(&point[1..33]),
                y: url.encode(&point[33..65]),
            });
            if signer.is_none() {
                let pem = pem_block("PRIVATE KEY", entry);
                signer = Some(TokenSigner::new(&pem, issuer, audience)?);
            }
        }
        Ok(SigningKeys {
            signer: signer.ok_or_else(|| unusable("none configured"))?,
            jwks: Jwks { keys: jwks },
        })
    }

    /// Signs with the newest key.
    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    /// `{keys: [{kty, crv, alg, use, kid, x, y}]}`.
    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }
}

impl TokenIssuer for SigningKeys {
    fn issue(
        &self,
        scope: TenantScope,
        roles: &[&str],
        expires_seconds: i64,
    ) -> Result<String, Error> {
        self.signer.issue_until(scope, roles, expires_seconds)
    }
}
