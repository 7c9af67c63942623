//! Registration, login and the sealed-key bundle. The server checks what it
//! can (sizes, formats, parameter ranges) and stores what the browser sealed.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use coffer_crypto::{KdfParams, PublicKey};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};

use super::{entities::users, AppState};
use crate::{
    error::AppError,
    validation,
    wire::{AccountBundle, KdfSetup, RegisterRequest},
};

/// Upper bound on any sealed blob we accept, far above real sizes.
const MAX_SEALED_LEN: usize = 1024;

fn server_argon2() -> Argon2<'static> {
    // The auth key already carries 256 bits of entropy; this hash only makes a
    // stolen database slow to test guesses against. OWASP's minimum setting.
    let params = Params::new(19 * 1024, 2, 1, Some(32)).expect("valid Argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The stored form of an auth key: an Argon2id PHC string.
pub fn hash_auth_key(auth_key: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(server_argon2().hash_password(auth_key, &salt)?.to_string())
}

fn verify_auth_key(auth_key: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| server_argon2().verify_password(auth_key, &hash).is_ok())
        .unwrap_or(false)
}

fn params_from_row(u: &users::Model) -> KdfParams {
    KdfParams {
        memory_kib: u.kdf_memory_kib as u32,
        iterations: u.kdf_iterations as u32,
        parallelism: u.kdf_parallelism as u32,
    }
}

fn bundle(u: users::Model) -> AccountBundle {
    AccountBundle {
        kdf: KdfSetup {
            params: params_from_row(&u),
            salt: u.kdf_salt,
        },
        username: u.display_name,
        sealed_account_key: u.sealed_account_key_password,
        public_key: u.public_key,
        sealed_private_key: u.sealed_private_key,
    }
}

fn check_blob(name: &str, blob: &[u8]) -> Result<(), AppError> {
    if blob.is_empty() || blob.len() > MAX_SEALED_LEN {
        return Err(AppError::invalid(format!("The {name} is malformed.")));
    }
    Ok(())
}

fn to_i32(v: u32) -> Result<i32, AppError> {
    i32::try_from(v).map_err(|_| AppError::invalid("The key derivation settings are out of range."))
}

impl AppState {
    async fn find_user(&self, normalized: &str) -> Result<Option<users::Model>, AppError> {
        Ok(users::Entity::find()
            .filter(users::Column::Username.eq(normalized))
            .one(&self.db)
            .await?)
    }

    /// A user's account bundle by id.
    pub async fn account_bundle(&self, user_id: i64) -> Result<AccountBundle, AppError> {
        users::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .map(bundle)
            .ok_or_else(|| AppError::Unauthorized("Please log in.".into()))
    }

    /// KDF salt and parameters for a username. Unknown names get stable fakes
    /// that look exactly like real ones.
    pub async fn kdf_setup(&self, username: &str) -> Result<KdfSetup, AppError> {
        let normalized = validation::normalize_username(username).map_err(AppError::Invalid)?;
        Ok(match self.find_user(&normalized).await? {
            Some(user) => KdfSetup {
                params: params_from_row(&user),
                salt: user.kdf_salt,
            },
            None => KdfSetup {
                salt: self.secrets.fake_kdf_salt(&normalized),
                params: KdfParams::DEFAULT,
            },
        })
    }

    /// Creates an account from what the browser prepared. Returns the new user's id.
    pub async fn register(&self, req: RegisterRequest, client_ip: &str) -> Result<i64, AppError> {
        let ip_key = format!("register-ip:{client_ip}");
        let now = self.now_ms();
        let s = &self.settings;
        if let Some(wait) =
            self.limiter
                .retry_after(&ip_key, s.registrations_per_ip, s.login_window, now)
        {
            return Err(AppError::RateLimited(wait));
        }
        self.limiter.record(&ip_key, now);

        let username = validation::normalize_username(&req.username).map_err(AppError::Invalid)?;
        let display = validation::display_username(&req.username);
        let email = validation::normalize_email(req.email.as_deref().unwrap_or(""))
            .map_err(AppError::Invalid)?;
        if req.auth_key.len() != 32 {
            return Err(AppError::invalid("The auth key is malformed."));
        }
        if req.kdf.salt.len() != coffer_crypto::KDF_SALT_LEN {
            return Err(AppError::invalid("The key derivation salt is malformed."));
        }
        req.kdf.params.validate().map_err(|_| {
            AppError::invalid("The key derivation settings are outside the allowed range.")
        })?;
        PublicKey::from_bytes(&req.public_key)
            .map_err(|_| AppError::invalid("The public key is not a valid P-256 key."))?;
        check_blob("sealed account key", &req.sealed_account_key_password)?;
        check_blob("sealed recovery copy", &req.sealed_account_key_recovery)?;
        check_blob("sealed private key", &req.sealed_private_key)?;

        if self.find_user(&username).await?.is_some() {
            return Err(AppError::Conflict("That username is taken.".into()));
        }
        let auth_key = req.auth_key;
        let auth_hash = tokio::task::spawn_blocking(move || hash_auth_key(&auth_key))
            .await
            .map_err(|e| super::internal("hash task failed", e))?
            .map_err(|e| super::internal("hashing auth key failed", e))?;
        let user = users::ActiveModel {
            username: Set(username),
            display_name: Set(display),
            email: Set(email),
            auth_hash: Set(auth_hash),
            kdf_salt: Set(req.kdf.salt),
            kdf_memory_kib: Set(to_i32(req.kdf.params.memory_kib)?),
            kdf_iterations: Set(to_i32(req.kdf.params.iterations)?),
            kdf_parallelism: Set(to_i32(req.kdf.params.parallelism)?),
            sealed_account_key_password: Set(req.sealed_account_key_password),
            sealed_account_key_recovery: Set(req.sealed_account_key_recovery),
            public_key: Set(req.public_key),
            sealed_private_key: Set(req.sealed_private_key),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await;
        match user {
            Ok(user) => Ok(user.id),
            // Two registrations raced for the same name: the unique index decides.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(AppError::Conflict("That username is taken.".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a login. Unknown users and wrong keys fail identically, in the
    /// same time, and both count against the per-IP and per-account limits.
    pub async fn login(
        &self,
        username: &str,
        auth_key: Vec<u8>,
        client_ip: &str,
    ) -> Result<users::Model, AppError> {
        let s = &self.settings;
        let now = self.now_ms();
        // Malformed names are throttled like any other name, and fail the same way.
        let normalized = validation::normalize_username(username)
            .unwrap_or_else(|_| username.chars().take(64).collect());
        let ip_key = format!("login-ip:{client_ip}");
        let user_key = format!("login-user:{normalized}");
        let wait = self
            .limiter
            .retry_after(&ip_key, s.login_failures_per_ip, s.login_window, now)
            .into_iter()
            .chain(self.limiter.retry_after(
                &user_key,
                s.login_failures_per_account,
                s.login_window,
                now,
            ))
            .max();
        if let Some(wait) = wait {
            return Err(AppError::RateLimited(wait));
        }

        let user = self.find_user(&normalized).await?;
        let phc = user
            .as_ref()
            .map(|u| u.auth_hash.clone())
            .unwrap_or_else(|| self.secrets.dummy_auth_hash().to_string());
        let ok = tokio::task::spawn_blocking(move || verify_auth_key(&auth_key, &phc))
            .await
            .map_err(|e| super::internal("verify task failed", e))?;
        match user {
            Some(user) if ok => {
                self.limiter.clear(&user_key);
                Ok(user)
            }
            _ => {
                self.limiter.record(&ip_key, now);
                self.limiter.record(&user_key, now);
                Err(AppError::BadCredentials)
            }
        }
    }
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
