//! Users' passwords (the console's sign-in, seed 003's HTTP Basic):
//! Argon2id with its recommended parameters, stored as PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
//!
//! Hashing is slow on purpose; callers on the runtime run these functions
//! with `spawn_blocking`.

use std::sync::LazyLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;

/// The shortest password `voxide user add` accepts.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("the password must have at most 1024 characters")]
    TooLong,
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// Hashes `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
    if password.len() > 1024 {
        return Err(PasswordError::TooLong);
    }
    hash_any(password)
}

fn hash_any(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let hash =
        Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// A hash of a password nobody knows, checked when the user does not exist
/// or has no password, so that a missing user takes as long to refuse as a
/// wrong password.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    let mut raw = [0u8; 24];
    rand::rng().fill_bytes(&mut raw);
    hash_any(&hex::encode(raw)).unwrap_or_default()
});

/// Whether `password` matches `hash` (`None`: no usable hash, always false
/// after the same amount of work).
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    if password.len() > 1024 {
        return false;
    }
    let parsed = hash.and_then(|h| PasswordHash::new(h).ok());
    match parsed {
        Some(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        None => {
            if let Ok(decoy) = PasswordHash::new(&DECOY) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &decoy);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_own_password_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password(Some(&hash), "correct horse battery"));
        assert!(!verify_password(Some(&hash), "correct horse batterY"));
        assert!(!verify_password(Some(&hash), ""));
        assert_ne!(hash, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn no_hash_or_a_broken_one_never_verifies() {
        assert!(!verify_password(None, "anything at all"));
        assert!(!verify_password(Some("not a phc string"), "not a phc string"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(matches!(hash_password("short"), Err(PasswordError::TooShort)));
        assert!(matches!(hash_password(&"x".repeat(2000)), Err(PasswordError::TooLong)));
    }
}
