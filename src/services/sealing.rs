//! Secrets at rest: sellers' Stripe keys and endpoint secrets are sealed with `ENCRYPTION_KEY`
//! (ChaCha20-Poly1305, ring's AEAD; a fresh random nonce per seal). The associated data names
//! what the secret is and whose (`seller:12:stripe_key`), so a sealed value copied onto another
//! row or field does not open. A sealed value is `v1.` + base64(nonce ‖ ciphertext ‖ tag).
use std::sync::Arc;

use base64::Engine as _;
use ring::{
    aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};

const VERSION: &str = "v1.";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the encryption key must be 32 bytes")]
    BadKey,
    #[error("no randomness for a nonce")]
    Random,
    /// Tampered, sealed under another key, or for another purpose.
    #[error("the sealed value does not open with this key")]
    Open,
}

/// Seals and opens secrets with one key. Cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    key: Arc<LessSafeKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    /// A sealer for a 32-byte key.
    pub fn new(key: &[u8]) -> Result<Self, SealError> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| SealError::BadKey)?;
        Ok(Self {
            key: Arc::new(LessSafeKey::new(key)),
            rng: SystemRandom::new(),
        })
    }

    /// A sealer for `ENCRYPTION_KEY` as configured (base64 of 32 bytes).
    pub fn from_base64(key: &str) -> Result<Self, SealError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.trim())
            .map_err(|_| SealError::BadKey)?;
        Self::new(&bytes)
    }

    /// Seals `secret` for `purpose` (the associated data).
    pub fn seal(&self, purpose: &str, secret: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut buf = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut buf,
            )
            .map_err(|_| SealError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!(
            "{VERSION}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    /// Opens a value sealed for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, SealError> {
        let raw = sealed
            .strip_prefix(VERSION)
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(b)
                    .ok()
            })
            .ok_or(SealError::Open)?;
        if raw.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut buf = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buf)
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Open)
    }
}

/// `secret` as it is kept: sealed for `purpose` when a key is configured, else as it is.
pub fn keep(sealer: Option<&Sealer>, purpose: &str, secret: &str) -> Result<String, SealError> {
    match sealer {
        Some(sealer) => sealer.seal(purpose, secret),
        None => Ok(secret.to_owned()),
    }
}

/// The secret a kept value holds: opened when it is sealed, else as stored. `Open` when it is
/// sealed and there is no key, or not the key (or purpose) it was sealed with.
pub fn reveal(sealer: Option<&Sealer>, purpose: &str, kept: &str) -> Result<String, SealError> {
    if !kept.starts_with(VERSION) {
        return Ok(kept.to_owned());
    }
    sealer.ok_or(SealError::Open)?.open(purpose, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&[byte; 32]).unwrap()
    }

    #[test]
    fn kept_secrets_are_sealed_only_when_there_is_a_key() {
        let (a, b) = (sealer(1), sealer(2));
        assert_eq!(keep(None, "p", "whsec_x").unwrap(), "whsec_x");
        assert_eq!(reveal(None, "p", "whsec_x").unwrap(), "whsec_x");
        assert_eq!(reveal(Some(&a), "p", "whsec_x").unwrap(), "whsec_x");
        let kept = keep(Some(&a), "p", "whsec_x").unwrap();
        assert!(kept.starts_with(VERSION) && !kept.contains("whsec_x"));
        assert_eq!(reveal(Some(&a), "p", &kept).unwrap(), "whsec_x");
        assert_eq!(reveal(None, "p", &kept), Err(SealError::Open));
        assert_eq!(reveal(Some(&b), "p", &kept), Err(SealError::Open));
        assert_eq!(reveal(Some(&a), "q", &kept), Err(SealError::Open));
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_purpose_only() {
        let s = sealer(7);
        let sealed = s.seal("seller:1:stripe_key", "sk_test_abc").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("sk_test_abc"));
        assert_eq!(
            s.open("seller:1:stripe_key", &sealed).unwrap(),
            "sk_test_abc"
        );
        // Another seller's row, another field, another key, a flipped bit: nothing opens.
        assert_eq!(s.open("seller:2:stripe_key", &sealed), Err(SealError::Open));
        assert_eq!(s.open("seller:1:webhook", &sealed), Err(SealError::Open));
        assert_eq!(
            sealer(8).open("seller:1:stripe_key", &sealed),
            Err(SealError::Open)
        );
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            s.open("seller:1:stripe_key", &tampered),
            Err(SealError::Open)
        );
        assert_eq!(
            s.open("seller:1:stripe_key", "garbage"),
            Err(SealError::Open)
        );
    }

    #[test]
    fn two_seals_of_one_secret_differ() {
        let s = sealer(1);
        assert_ne!(s.seal("p", "x").unwrap(), s.seal("p", "x").unwrap());
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        assert_eq!(Sealer::new(&[0; 16]).err(), Some(SealError::BadKey));
        assert_eq!(Sealer::from_base64("!!").err(), Some(SealError::BadKey));
    }
}
