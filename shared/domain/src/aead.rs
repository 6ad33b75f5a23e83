//! AES-256-GCM with a random 96-bit nonce and associated data, the one cipher of the service:
//! API private keys and webhook secrets under their envelope keys
//! ([`crate::identity::envelope`]), personal data under its subject's key
//! ([`crate::shredding`]).

use crate::error::Error;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Bytes of an AES-256 key.
pub(crate) const KEY_LEN: usize = 32;

pub(crate) fn crypto(what: &str) -> Error {
    Error::bug(format!("encryption: {what}"))
}

pub(crate) fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| crypto("no randomness"))?;
    Ok(bytes)
}

/// `plaintext` under `key` with a random nonce, bound to `context`: (nonce, ciphertext + tag).
pub(crate) fn encrypt(
    key: &[u8],
    plaintext: &[u8],
    context: &str,
) -> Result<([u8; NONCE_LEN], Vec<u8>), Error> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| crypto("key"))?);
    let nonce = random::<NONCE_LEN>()?;
    let mut sealed = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(context.as_bytes()),
        &mut sealed,
    )
    .map_err(|_| crypto("seal"))?;
    Ok((nonce, sealed))
}

/// What [`encrypt`] sealed, if `key`, `nonce` and `context` are the ones it used.
pub(crate) fn decrypt(
    key: &[u8],
    nonce: &[u8],
    sealed: &[u8],
    context: &str,
) -> Result<Vec<u8>, Error> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| crypto("key"))?);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| crypto("nonce"))?;
    let mut buffer = sealed.to_vec();
    let plaintext = key
        .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
        .map_err(|_| crypto("open: wrong key, context or data"))?;
    Ok(plaintext.to_vec())
}
