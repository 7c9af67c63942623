//! The browser's side of accounts: turning a password into keys, building the
//! registration, and unlocking the sealed bundle. Pure functions over the
//! crypto crate (randomness passed in), so they are tested natively too.

use coffer_crypto::{
    derive_password_keys, AccountFormat, AccountKey, CryptoRngCore, IdentityKeyPair, KdfParams,
    PasswordKeys, PublicKey, RecoveryKey, KDF_SALT_LEN,
};

use crate::{
    error::AppError,
    protocol::accounts::{
        AccountBundle, ChangePassword, KdfSetup, RecoveryReset, RecoverySeal, RegisterRequest,
    },
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
    validation::check_password_length(password).map_err(AppError::Invalid)?;
    let (kdf, password_keys) = new_password_keys(password, rng)?;
    prepare_registration_with_keys(username, email, kdf, password_keys, rng)
}

/// A fresh salt at the default Argon2id settings, for a new password.
pub fn new_kdf(rng: &mut impl CryptoRngCore) -> KdfSetup {
    let mut salt = [0u8; KDF_SALT_LEN];
    rng.fill_bytes(&mut salt);
    KdfSetup {
        salt: salt.to_vec(),
        params: KdfParams::DEFAULT,
    }
}

/// [`prepare_registration`] with the password's keys already derived under `kdf` (in the
/// browser, by the key-derivation worker).
pub fn prepare_registration_with_keys(
    username: &str,
    email: &str,
    kdf: KdfSetup,
    password_keys: PasswordKeys,
    rng: &mut impl CryptoRngCore,
) -> Result<Registration, AppError> {
    validation::normalize_username(username).map_err(AppError::Invalid)?;
    let email = validation::normalize_email(email).map_err(AppError::Invalid)?;
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
        account_proof: Some(account_key.proof().to_vec()),
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

/// A fresh salt and the keys of `password` under it (Argon2id: slow).
fn new_password_keys(
    password: &str,
    rng: &mut impl CryptoRngCore,
) -> Result<(KdfSetup, PasswordKeys), AppError> {
    validation::check_password_length(password).map_err(AppError::Invalid)?;
    let kdf = new_kdf(rng);
    let keys = derive_keys(password, &kdf)?;
    Ok((kdf, keys))
}

/// A new password for an unlocked account: new keys under a fresh salt, the same account key
/// sealed under them (in the account's format), proved by the old password's keys. Slow: runs
/// Argon2id once (the old keys are derived by the caller).
pub fn prepare_password_change(
    keys: &UnlockedKeys,
    old: &PasswordKeys,
    new_password: &str,
    revoke_tokens: bool,
    rng: &mut impl CryptoRngCore,
) -> Result<ChangePassword, AppError> {
    let (kdf, new) = new_password_keys(new_password, rng)?;
    Ok(prepare_password_change_with_keys(
        keys,
        old,
        kdf,
        &new,
        revoke_tokens,
        rng,
    ))
}

/// [`prepare_password_change`] with the new password's keys derived by the caller (the browser
/// derives them in its KDF worker, off the page's thread) under `kdf`, a fresh [`new_kdf`].
pub fn prepare_password_change_with_keys(
    keys: &UnlockedKeys,
    old: &PasswordKeys,
    kdf: KdfSetup,
    new: &PasswordKeys,
    revoke_tokens: bool,
    rng: &mut impl CryptoRngCore,
) -> ChangePassword {
    ChangePassword {
        old_auth_key: old.auth_key().as_bytes().to_vec(),
        new_auth_key: new.auth_key().as_bytes().to_vec(),
        kdf,
        sealed_account_key_password: keys.account_key.seal_under_password(
            new.kek(),
            keys.format,
            rng,
        ),
        revoke_tokens,
    }
}

/// Opens the account key with the recovery key as the user typed it. A key with a typo is told
/// apart (its checksum, checked here, says nothing about any account); a key that does not open
/// the seal, including the stand-in a server gives for unknown names, always says the same, so
/// the page cannot tell which names exist.
pub fn open_with_recovery(
    recovery_key: &str,
    seal: &RecoverySeal,
) -> Result<(AccountKey, AccountFormat), AppError> {
    let rk = RecoveryKey::parse(recovery_key).map_err(|_| {
        AppError::invalid(
            "That is not a whole recovery key: check it against the one you saved (56 letters \
             and digits).",
        )
    })?;
    AccountKey::open_under_recovery(&rk, &seal.sealed_account_key_recovery)
        .map_err(|_| AppError::invalid("That username and recovery key do not match. Check both."))
}

/// A reset with the recovery key, ready to send: the new password's keys and a new recovery
/// key, both sealing the account key the old recovery key opened.
pub struct PreparedReset {
    /// What goes to the server (proof of the account key, never the key).
    pub request: RecoveryReset,
    /// The new recovery key, shown once; the old one stops working.
    pub recovery_key: RecoveryKey,
    /// The new password's keys, to unlock the bundle the server answers with.
    pub password_keys: PasswordKeys,
}

/// Builds the reset for `username` from the account key the recovery key opened. Slow: runs
/// Argon2id once.
pub fn prepare_recovery_reset(
    username: &str,
    account_key: &AccountKey,
    format: AccountFormat,
    new_password: &str,
    rng: &mut impl CryptoRngCore,
) -> Result<PreparedReset, AppError> {
    let (kdf, password_keys) = new_password_keys(new_password, rng)?;
    Ok(prepare_recovery_reset_with_keys(
        username,
        account_key,
        format,
        kdf,
        password_keys,
        rng,
    ))
}

/// [`prepare_recovery_reset`] with the new password's keys derived by the caller (in the
/// browser's KDF worker) under `kdf`, a fresh [`new_kdf`].
pub fn prepare_recovery_reset_with_keys(
    username: &str,
    account_key: &AccountKey,
    format: AccountFormat,
    kdf: KdfSetup,
    password_keys: PasswordKeys,
    rng: &mut impl CryptoRngCore,
) -> PreparedReset {
    let recovery_key = RecoveryKey::generate(rng);
    PreparedReset {
        request: RecoveryReset {
            username: username.to_string(),
            account_proof: account_key.proof().to_vec(),
            new_auth_key: password_keys.auth_key().as_bytes().to_vec(),
            kdf,
            sealed_account_key_password: account_key.seal_under_password(
                password_keys.kek(),
                format,
                rng,
            ),
            sealed_account_key_recovery: account_key.seal_under_recovery(
                &recovery_key,
                format,
                rng,
            ),
        },
        recovery_key,
        password_keys,
    }
}

/// Whether `keys` hold `account_key` (after a reset: the bundle the server answered with must
/// open to the very key the recovery key opened, or the server swapped it).
pub fn holds_account_key(keys: &UnlockedKeys, account_key: &AccountKey) -> bool {
    keys.account_key.proof()[..] == account_key.proof()[..]
}

/// The bundle a server answered a reset with, accepted only if it opens under the new
/// password's keys to the very account key the recovery key opened: a server that answers with
/// keys of its choosing (another account key, another identity) is refused, and nothing of the
/// user's is opened with them.
pub fn accept_reset_bundle(
    bundle: &AccountBundle,
    password_keys: &PasswordKeys,
    account_key: &AccountKey,
) -> Result<UnlockedKeys, AppError> {
    let keys = unlock(bundle, password_keys)?;
    if !holds_account_key(&keys, account_key) {
        return Err(AppError::invalid(
            "The server answered with keys that are not your account's. Your files were not \
             opened; tell whoever runs this Coffer.",
        ));
    }
    Ok(keys)
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
    unlock_with_account_key(bundle, account_key, format)
}

/// Opens the rest of the bundle (the identity key) with an account key this browser already
/// holds (a device kept unlocked).
pub fn unlock_with_account_key(
    bundle: &AccountBundle,
    account_key: AccountKey,
    format: AccountFormat,
) -> Result<UnlockedKeys, AppError> {
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
            needs_account_proof: false,
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
    fn a_new_password_opens_the_same_account_key_and_the_old_one_does_not() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let reg = prepare_registration("carol", "", "first password here", &mut rng).unwrap();
        let old = derive_keys("first password here", &reg.request.kdf).unwrap();
        let change =
            prepare_password_change(&reg.keys, &old, "second password here", true, &mut rng)
                .unwrap();
        assert_eq!(change.old_auth_key, reg.request.auth_key);
        assert_ne!(change.kdf.salt, reg.request.kdf.salt, "a fresh salt");
        let mut bundle = bundle_of(&reg);
        bundle.kdf = change.kdf.clone();
        bundle.sealed_account_key = change.sealed_account_key_password.clone();
        let new = derive_keys("second password here", &bundle.kdf).unwrap();
        assert_eq!(new.auth_key().as_bytes().to_vec(), change.new_auth_key);
        let keys = unlock(&bundle, &new).unwrap();
        assert!(holds_account_key(&keys, &reg.keys.account_key));
        let stale = derive_keys("first password here", &bundle.kdf).unwrap();
        assert!(unlock(&bundle, &stale).is_err());
    }

    #[test]
    fn the_recovery_key_resets_the_password_and_a_new_one_replaces_it() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let reg = prepare_registration("dave", "", "forgotten password", &mut rng).unwrap();
        assert_eq!(
            reg.request.account_proof.as_deref(),
            Some(&reg.keys.account_key.proof()[..])
        );
        let seal = RecoverySeal {
            sealed_account_key_recovery: reg.request.sealed_account_key_recovery.clone(),
        };
        let typed = reg.recovery_key.to_display();
        let (account_key, format) = open_with_recovery(&typed, &seal).unwrap();
        assert!(holds_account_key(&reg.keys, &account_key));
        let other = RecoveryKey::generate(&mut rng).to_display();
        let failure = |typed: &str| match open_with_recovery(typed, &seal) {
            Ok(_) => panic!("{typed} opened the account key"),
            Err(e) => e.to_string(),
        };
        let wrong = failure(&other);
        let mut ghost = seal.sealed_account_key_recovery.clone();
        rand_chacha::rand_core::RngCore::fill_bytes(&mut rng, &mut ghost[1..]);
        let unknown = match open_with_recovery(
            &typed,
            &RecoverySeal {
                sealed_account_key_recovery: ghost,
            },
        ) {
            Ok(_) => panic!("a stand-in seal opened"),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            wrong, unknown,
            "a wrong key and an unknown name say the same"
        );
        assert_ne!(failure("not a key"), wrong, "a typo is told apart");

        let reset =
            prepare_recovery_reset("dave", &account_key, format, "brand new password", &mut rng)
                .unwrap();
        assert_eq!(
            Some(&reset.request.account_proof),
            reg.request.account_proof.as_ref()
        );
        let new_seal = RecoverySeal {
            sealed_account_key_recovery: reset.request.sealed_account_key_recovery.clone(),
        };
        assert!(
            open_with_recovery(&typed, &new_seal).is_err(),
            "the old key stops working"
        );
        let (again, _) = open_with_recovery(&reset.recovery_key.to_display(), &new_seal).unwrap();
        assert!(holds_account_key(&reg.keys, &again));
        let mut bundle = bundle_of(&reg);
        bundle.kdf = reset.request.kdf.clone();
        bundle.sealed_account_key = reset.request.sealed_account_key_password.clone();
        let keys = accept_reset_bundle(&bundle, &reset.password_keys, &account_key).unwrap();
        assert!(holds_account_key(&keys, &account_key));

        // A hostile server answers with an account of its own making, sealed under the very
        // password keys the browser just derived (more than a server can do: it never sees
        // them): refused. And with the seal the browser sent replaced by another: refused.
        let theirs = prepare_registration("dave", "", "brand new password", &mut rng).unwrap();
        let mut swapped = bundle_of(&theirs);
        swapped.kdf = reset.request.kdf.clone();
        swapped.sealed_account_key = theirs.keys.account_key.seal_under_password(
            reset.password_keys.kek(),
            format,
            &mut rng,
        );
        let refused = accept_reset_bundle(&swapped, &reset.password_keys, &account_key);
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("not your account's")),
            "a swapped account key is refused"
        );
        let mut resealed = bundle.clone();
        resealed.sealed_account_key = theirs.request.sealed_account_key_password.clone();
        assert!(accept_reset_bundle(&resealed, &reset.password_keys, &account_key).is_err());
        let json = serde_json::to_string(&reset.request).unwrap();
        assert!(!json.contains(reset.recovery_key.to_display().as_str()));
        assert!(!json.contains("brand new password"));
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
