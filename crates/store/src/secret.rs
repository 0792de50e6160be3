//! SIP passwords at rest. Digest authentication needs the plaintext (or HA1
//! per realm and algorithm), and the provisioning API returns it, so it is
//! kept retrievable but encrypted with AES-256-GCM under a key that lives
//! outside the database (a key file or a configured value).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use crate::StoreError;

/// Encrypts and decrypts short secrets; cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<Aes256Gcm>,
}

impl SecretBox {
    /// Derives the key from any string (the configured key or the key file's
    /// contents) with SHA-256.
    pub fn from_key_material(material: &str) -> Self {
        let key = Sha256::digest(material.trim().as_bytes());
        let cipher = Aes256Gcm::new_from_slice(&key).expect("SHA-256 output is a valid AES-256 key");
        Self { cipher: Arc::new(cipher) }
    }

    /// Loads the key from `path`, creating a random one (mode 0600) on first use.
    pub fn from_key_file(path: &std::path::Path) -> Result<Self, StoreError> {
        let io = |e| StoreError::Io(path.display().to_string(), e);
        match std::fs::read_to_string(path) {
            Ok(material) => Ok(Self::from_key_material(&material)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut raw = [0u8; 32];
                rand::rng().fill_bytes(&mut raw);
                let material = hex::encode(raw);
                write_private(path, &material).map_err(io)?;
                Ok(Self::from_key_material(&material))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// `base64(nonce || ciphertext)`.
    pub fn seal(&self, plaintext: &str) -> Result<String, StoreError> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| StoreError::Secret("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<String, StoreError> {
        let raw = STANDARD.decode(sealed).map_err(|_| StoreError::Secret("not base64"))?;
        if raw.len() < 12 {
            return Err(StoreError::Secret("too short"));
        }
        let (nonce, body) = raw.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| StoreError::Secret("wrong key or corrupted value"))?;
        String::from_utf8(plain).map_err(|_| StoreError::Secret("not UTF-8"))
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_with_same_key_only() {
        let a = SecretBox::from_key_material("one");
        let sealed = a.seal("p@ss123456").unwrap();
        assert_ne!(sealed, "p@ss123456");
        assert_eq!(a.open(&sealed).unwrap(), "p@ss123456");
        assert!(SecretBox::from_key_material("two").open(&sealed).is_err());
        assert!(a.open("garbage!").is_err());
    }
}
