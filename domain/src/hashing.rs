//! The server's hash of auth keys: Argon2id, stored as a PHC string. The auth key already
//! carries 256 bits of entropy (it is derived from the password in the browser); this hash only
//! makes a stolen database slow to test guesses against.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

fn server_argon2() -> Argon2<'static> {
    // OWASP's minimum setting: enough against guesses at a 256-bit key.
    let params = Params::new(19 * 1024, 2, 1, Some(32)).expect("valid Argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The stored form of an auth key: an Argon2id PHC string.
pub fn hash_auth_key(auth_key: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(server_argon2().hash_password(auth_key, &salt)?.to_string())
}

pub(crate) fn verify_auth_key(auth_key: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| server_argon2().verify_password(auth_key, &hash).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_auth_hash_verifies_only_the_same_key() {
        let phc = hash_auth_key(&[7u8; 32]).unwrap();
        assert!(verify_auth_key(&[7u8; 32], &phc));
        assert!(!verify_auth_key(&[8u8; 32], &phc));
        assert!(!phc.contains(&hex::encode([7u8; 32])));
    }

    #[test]
    fn a_corrupt_stored_hash_never_verifies() {
        assert!(!verify_auth_key(&[7u8; 32], "not a hash"));
    }
}
