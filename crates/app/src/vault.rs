//! The resident-ID vault: AES-256-GCM encryption of the number and an HMAC-SHA256 keyed hash
//! to find it. The key lives in the data directory, generated on first start when not given.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::{AppError, AppResult};

const KEY_FILE: &str = "secret.key";

pub struct IdVault {
    cipher: Aes256Gcm,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for IdVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdVault(..)")
    }
}

impl IdVault {
    /// From 64 bytes: 32 for encryption, 32 for the keyed hash.
    pub fn from_key(key: &[u8; 64]) -> IdVault {
        let cipher = Aes256Gcm::new_from_slice(&key[..32]).expect("32-byte key");
        let mut mac_key = [0u8; 32];
        mac_key.copy_from_slice(&key[32..]);
        IdVault { cipher, mac_key }
    }

    /// A key given as 128 hex characters (e.g. from `ZHIYUAN_SECRET_KEY`).
    pub fn from_hex(hex_key: &str) -> AppResult<IdVault> {
        let bytes =
            hex::decode(hex_key.trim()).map_err(|_| AppError::Internal("secret key is not hex".into()))?;
        let key: [u8; 64] = bytes
            .try_into()
            .map_err(|_| AppError::Internal("secret key must be 64 bytes (128 hex chars)".into()))?;
        Ok(IdVault::from_key(&key))
    }

    /// Reads `secret.key` from the data directory, creating it (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> AppResult<IdVault> {
        let path = data_dir.join(KEY_FILE);
        let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", path.display()));
        if path.exists() {
            return IdVault::from_hex(&std::fs::read_to_string(&path).map_err(io)?);
        }
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let mut key = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        use std::io::Write;
        let mut f = opts.open(&path).map_err(io)?;
        f.write_all(hex::encode(key).as_bytes()).map_err(io)?;
        tracing::info!(path = %path.display(), "generated a new secret key");
        Ok(IdVault::from_key(&key))
    }

    /// base64(nonce ‖ ciphertext).
    pub fn encrypt(&self, clear: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), clear.as_bytes())
            .expect("AES-GCM encrypt");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    pub fn decrypt(&self, sealed: &str) -> AppResult<String> {
        let bad = || AppError::Internal("stored resident ID cannot be decrypted".into());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| bad())?;
        if raw.len() < 13 {
            return Err(bad());
        }
        let clear = self
            .cipher
            .decrypt(Nonce::from_slice(&raw[..12]), &raw[12..])
            .map_err(|_| bad())?;
        String::from_utf8(clear).map_err(|_| bad())
    }

    /// A 32-byte key for another purpose (QR tokens, certificate signatures), derived from the
    /// secret so that one key file is all there is to keep.
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("hmac key");
        mac.update(b"zhiyuan-derive|");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The keyed hash used to find a number without decrypting anything.
    pub fn lookup_hash(&self, clear: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("hmac key");
        mac.update(clear.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypts_round_trip_and_hashes_stably() {
        let dir = tempfile::tempdir().unwrap();
        let v = IdVault::load_or_create(dir.path()).unwrap();
        let sealed = v.encrypt("11010519491231002X");
        assert!(!sealed.contains("11010519491231002X"));
        assert_ne!(sealed, v.encrypt("11010519491231002X"), "fresh nonce each time");
        assert_eq!(v.decrypt(&sealed).unwrap(), "11010519491231002X");
        // the same key file gives the same vault
        let again = IdVault::load_or_create(dir.path()).unwrap();
        assert_eq!(again.decrypt(&sealed).unwrap(), "11010519491231002X");
        assert_eq!(v.lookup_hash("x"), again.lookup_hash("x"));
        assert_ne!(v.lookup_hash("x"), v.lookup_hash("y"));
    }

    #[test]
    fn tampered_ciphertext_is_refused() {
        let v = IdVault::from_key(&[7u8; 64]);
        let sealed = v.encrypt("11010519491231002X");
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert!(v
            .decrypt(&base64::engine::general_purpose::STANDARD.encode(raw))
            .is_err());
    }

    #[test]
    fn other_key_cannot_read() {
        let a = IdVault::from_key(&[1u8; 64]);
        let b = IdVault::from_key(&[2u8; 64]);
        assert!(b.decrypt(&a.encrypt("x")).is_err());
        assert_ne!(a.lookup_hash("x"), b.lookup_hash("x"));
    }
}
