//! The browser's side of accounts: turning a password into keys, building the
//! registration, and unlocking the sealed bundle. Pure functions over the
//! crypto crate (randomness passed in), so they are tested natively too.

use coffer_crypto::{
    derive_password_keys, AccountFormat, AccountKey, CryptoRngCore, IdentityKeyPair, KdfParams,
    PasswordKeys, PublicKey, RecoveryKey, KDF_SALT_LEN,
};

use crate::{
    error::AppError,
    protocol::accounts::{AccountBundle, KdfSetup, RegisterRequest},
    protocol::validation,
};

/// An account's keys, unlocked; held in browser memory only.
pub struct UnlockedKeys {
    /// The display username the keys belong to.
    pub username: String,
    /// Seals everything else the account owns.
    pub account_key: AccountKey,
    /// Receives file keys wrapped to this account, and signs what it vouches for.
    pub identity: IdentityKeyPair,
    /// V2: every file of this account has an owner key slot, so a v1 slot is never its own;
    /// V1: an account made before format v2, whose v1 slots are upgraded once (client/upgrade.rs).
    pub format: AccountFormat,
}

impl UnlockedKeys {
    /// The account's public key.
    pub fn public_key(&self) -> PublicKey {
        self.identity.public_key()
    }
}

/// Runs the password KDF (Argon2id, slow on purpose) for the given setup; the crypto crate
/// normalises the password (NFKC) itself. Refuses parameters outside the crypto crate's floor
/// and ceiling, so a malicious server cannot make the browser derive weak keys or hang.
pub fn derive_keys(password: &str, kdf: &KdfSetup) -> Result<PasswordKeys, AppError> {
    let salt: [u8; KDF_SALT_LEN] = kdf
        .salt
        .as_slice()
        .try_into()
        .map_err(|_| AppError::invalid("The server sent a malformed key derivation salt."))?;
    derive_password_keys(password, &salt, &kdf.params).map_err(|_| {
        AppError::invalid(
            "The server asked for unsafe key derivation settings; refusing to use them.",
        )
    })
}

/// Everything a new account needs: the request for the server, the recovery
/// key to show once, and the unlocked keys for this browser session.
pub struct Registration {
    /// What goes to the server (no password, no plaintext key).
    pub request: RegisterRequest,
    /// Shown to the user once.
    pub recovery_key: RecoveryKey,
    /// Ready to use.
    pub keys: UnlockedKeys,
}

/// Creates the account's keys from a password. Slow: runs Argon2id once.
pub fn prepare_registration(
    username: &str,
    email: &str,
    password: &str,
    rng: &mut impl CryptoRngCore,
) -> Result<Registration, AppError> {
    validation::normalize_username(username).map_err(AppError::Invalid)?;
    let email = validation::normalize_email(email).map_err(AppError::Invalid)?;
    validation::check_password_length(password).map_err(AppError::Invalid)?;

    let mut salt = [0u8; KDF_SALT_LEN];
    rng.fill_bytes(&mut salt);
    let kdf = KdfSetup {
        salt: salt.to_vec(),
        params: KdfParams::DEFAULT,
    };
    let password_keys = derive_keys(password, &kdf)?;
    let account_key = AccountKey::generate(rng);
    let recovery_key = RecoveryKey::generate(rng);
    let identity = IdentityKeyPair::generate(rng);

    let request = RegisterRequest {
        username: username.to_string(),
        email,
        auth_key: password_keys.auth_key().as_bytes().to_vec(),
        kdf,
        sealed_account_key_password: account_key.seal_under_password(
            password_keys.kek(),
            AccountFormat::V2,
            rng,
        ),
        sealed_account_key_recovery: account_key.seal_under_recovery(
            &recovery_key,
            AccountFormat::V2,
            rng,
        ),
        public_key: identity.public_key().to_bytes(),
        sealed_private_key: identity.seal_private_key(&account_key, rng),
    };
    Ok(Registration {
        request,
        recovery_key,
        keys: UnlockedKeys {
            username: validation::display_username(username),
            account_key,
            identity,
            format: AccountFormat::V2,
        },
    })
}

/// Opens the sealed bundle with keys derived from the password.
pub fn unlock(
    bundle: &AccountBundle,
    password_keys: &PasswordKeys,
) -> Result<UnlockedKeys, AppError> {
    let wrong = || AppError::invalid("That password does not unlock this account.");
    let (account_key, format) =
        AccountKey::open_under_password(password_keys.kek(), &bundle.sealed_account_key)
            .map_err(|_| wrong())?;
    let public = PublicKey::from_bytes(&bundle.public_key)
        .map_err(|_| AppError::invalid("The account's public key is damaged."))?;
    let identity = IdentityKeyPair::open(&account_key, &bundle.sealed_private_key, &public)
        .map_err(|_| AppError::invalid("The account's private key is damaged."))?;
    Ok(UnlockedKeys {
        username: bundle.username.clone(),
        account_key,
        identity,
        format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

    fn bundle_of(reg: &Registration) -> AccountBundle {
        AccountBundle {
            username: reg.keys.username.clone(),
            kdf: reg.request.kdf.clone(),
            sealed_account_key: reg.request.sealed_account_key_password.clone(),
            public_key: reg.request.public_key.clone(),
            sealed_private_key: reg.request.sealed_private_key.clone(),
        }
    }

    #[test]
    fn the_registered_password_unlocks_the_bundle_and_another_does_not() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let reg = prepare_registration("Alice", "", "correct horse battery", &mut rng).unwrap();
        let bundle = bundle_of(&reg);
        let good = derive_keys("correct horse battery", &bundle.kdf).unwrap();
        let keys = unlock(&bundle, &good).unwrap();
        assert_eq!(keys.public_key(), reg.keys.public_key());
        let bad = derive_keys("correct horse battery!", &bundle.kdf).unwrap();
        assert!(unlock(&bundle, &bad).is_err());
    }

    #[test]
    fn the_registration_request_contains_neither_password_nor_recovery_key() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let password = "a very unusual passphrase 123";
        let reg = prepare_registration("bob", "bob@example.org", password, &mut rng).unwrap();
        let json = serde_json::to_string(&reg.request).unwrap();
        assert!(!json.contains(password));
        let recovery = reg.recovery_key.to_display();
        assert!(!json.contains(recovery.as_str()));
        assert!(!json.contains(&recovery.replace('-', "")));
    }

    #[test]
    fn composed_and_decomposed_passwords_give_the_same_keys() {
        let kdf = KdfSetup {
            salt: vec![7; KDF_SALT_LEN],
            params: KdfParams::FLOOR,
        };
        let composed = derive_keys("caf\u{e9} au lait", &kdf).unwrap();
        let decomposed = derive_keys("cafe\u{301} au lait", &kdf).unwrap();
        assert_eq!(
            composed.auth_key().as_bytes(),
            decomposed.auth_key().as_bytes()
        );
    }

    #[test]
    fn kdf_parameters_below_the_floor_are_refused_before_deriving() {
        let kdf = KdfSetup {
            salt: vec![0; KDF_SALT_LEN],
            params: KdfParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
        };
        assert!(derive_keys("whatever password", &kdf).is_err());
    }

    #[test]
    fn a_malformed_salt_from_the_server_is_refused() {
        let kdf = KdfSetup {
            salt: vec![0; 3],
            params: KdfParams::DEFAULT,
        };
        assert!(derive_keys("whatever password", &kdf).is_err());
    }
}
