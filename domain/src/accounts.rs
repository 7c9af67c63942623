//! Registration, login and the sealed-key bundle. The server checks what it can (sizes,
//! formats, parameter ranges) and stores what the browser sealed.

use coffer_crypto::{KdfParams, PublicKey};
use coffer_protocol::{
    accounts::{AccountBundle, KdfSetup, RegisterRequest},
    validation,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};

use crate::{
    auth::AuthFailure,
    entities::users,
    hashing::{hash_auth_key, verify_auth_key},
    limits::{self, Limit, Take},
    Domain, DomainError,
};

/// Upper bound on any sealed blob we accept, far above real sizes.
const MAX_SEALED_LEN: usize = 1024;

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
        needs_account_proof: u.account_proof_hash.is_none(),
    }
}

fn check_blob(name: &str, blob: &[u8]) -> Result<(), DomainError> {
    if blob.is_empty() || blob.len() > MAX_SEALED_LEN {
        return Err(DomainError::invalid(format!("The {name} is malformed.")));
    }
    Ok(())
}

fn to_i32(v: u32) -> Result<i32, DomainError> {
    i32::try_from(v)
        .map_err(|_| DomainError::invalid("The key derivation settings are out of range."))
}

fn too_many_attempts(wait: u64) -> DomainError {
    DomainError::rate_limited("attempts", wait)
}

impl Domain {
    /// The user with this name, looked up the way logins do (trimmed, NFKC, lower case). A name
    /// that is not even valid is simply nobody.
    pub(crate) async fn find_user(&self, name: &str) -> Result<Option<users::Model>, DomainError> {
        let Ok(normalized) = validation::normalize_username(name) else {
            return Ok(None);
        };
        Ok(users::Entity::find()
            .filter(users::Column::Username.eq(normalized))
            .one(&self.db)
            .await?)
    }

    /// A user's account bundle by id.
    pub async fn account_bundle(&self, user_id: i64) -> Result<AccountBundle, DomainError> {
        users::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .map(bundle)
            .ok_or(DomainError::Unauthenticated(AuthFailure::Missing))
    }

    /// KDF salt and parameters for a username. Unknown names get stable fakes that look
    /// exactly like real ones. Limited per client (`kdf_params_per_minute`), known and unknown
    /// names alike.
    pub async fn kdf_setup(
        &self,
        username: &str,
        client_ip: &str,
    ) -> Result<KdfSetup, DomainError> {
        let limit = Limit {
            max: self.settings.auth.kdf_params_per_minute,
            window: std::time::Duration::from_secs(60),
        };
        let key = format!("kdf-ip:{}", limits::client_key(client_ip));
        if let Take::Wait(wait) = limits::take(&self.db, &key, limit, self.now_ms()).await? {
            return Err(DomainError::rate_limited("requests", wait));
        }
        let normalized = validation::normalize_username(username).map_err(DomainError::Invalid)?;
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
    pub async fn register(
        &self,
        req: RegisterRequest,
        client_ip: &str,
    ) -> Result<i64, DomainError> {
        let s = &self.settings.auth;
        let limit = Limit {
            max: s.registrations_per_ip,
            window: s.login_window,
        };
        // Every registration counts, successful or not.
        if let Take::Wait(wait) = limits::take(
            &self.db,
            &format!("register-ip:{}", limits::client_key(client_ip)),
            limit,
            self.now_ms(),
        )
        .await?
        {
            return Err(too_many_attempts(wait));
        }

        let username =
            validation::normalize_username(&req.username).map_err(DomainError::Invalid)?;
        let display = validation::display_username(&req.username);
        let email = validation::normalize_email(req.email.as_deref().unwrap_or(""))
            .map_err(DomainError::Invalid)?;
        let mail = &self.settings.mail;
        if email.is_none() && mail.enabled() && mail.require_email {
            return Err(DomainError::invalid(
                "This Coffer asks for an email address: enter one (a code will confirm it).",
            ));
        }
        if req.auth_key.len() != 32 {
            return Err(DomainError::invalid("The auth key is malformed."));
        }
        if req.kdf.salt.len() != coffer_crypto::KDF_SALT_LEN {
            return Err(DomainError::invalid(
                "The key derivation salt is malformed.",
            ));
        }
        req.kdf.params.validate().map_err(|_| {
            DomainError::invalid("The key derivation settings are outside the allowed range.")
        })?;
        PublicKey::from_bytes(&req.public_key)
            .map_err(|_| DomainError::invalid("The public key is not a valid P-256 key."))?;
        check_blob("sealed account key", &req.sealed_account_key_password)?;
        check_blob("sealed recovery copy", &req.sealed_account_key_recovery)?;
        check_blob("sealed private key", &req.sealed_private_key)?;

        let taken = || DomainError::Conflict("That username is taken.".into());
        if self.find_user(&username).await?.is_some() {
            return Err(taken());
        }
        if req.account_proof.as_ref().is_some_and(|p| p.len() != 32) {
            return Err(DomainError::invalid("The account proof is malformed."));
        }
        let auth_key = req.auth_key;
        let proof = req.account_proof;
        let (auth_hash, proof_hash) = self
            .hasher
            .run(move || {
                let proof_hash = proof.map(|p| hash_auth_key(&p)).transpose()?;
                Ok::<_, argon2::password_hash::Error>((hash_auth_key(&auth_key)?, proof_hash))
            })
            .await?
            .map_err(|e| DomainError::internal("hashing auth key failed", e))?;
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
            account_proof_hash: Set(proof_hash),
            created_at: Set(self.now_ms()),
            ..Default::default()
        }
        .insert(&self.db)
        .await;
        match user {
            Ok(user) => Ok(user.id),
            // Two registrations raced for the same name: the unique index decides.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(taken())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a login and returns the user's id. Unknown users and wrong keys fail
    /// identically, in the same time, and both count against the per-client and per-account
    /// limits, which are taken *before* the key is checked: a burst of guesses is checked at
    /// most the limit's number of times.
    pub async fn login(
        &self,
        username: &str,
        auth_key: Vec<u8>,
        client_ip: &str,
    ) -> Result<i64, DomainError> {
        let s = &self.settings.auth;
        let now = self.now_ms();
        // Malformed names are throttled like any other name, and fail the same way.
        let normalized = validation::normalize_username(username)
            .unwrap_or_else(|_| username.chars().take(64).collect());
        let ip_limit = Limit {
            max: s.login_failures_per_ip,
            window: s.login_window,
        };
        let user_limit = Limit {
            max: s.login_failures_per_account,
            window: s.login_window,
        };
        let user_key = format!("login-user:{normalized}");
        let client = limits::client_key(client_ip);
        let ip_attempt =
            match limits::take(&self.db, &format!("login-ip:{client}"), ip_limit, now).await? {
                Take::Taken(taken) => taken,
                Take::Wait(wait) => return Err(too_many_attempts(wait)),
            };
        // Past the account's limit the account is not locked for everyone (someone guessing
        // would lock its owner out): a client that has not failed on it itself is still
        // checked, slowly and a few times per window.
        let locked_key = format!("login-locked:{normalized}:{client}");
        let user_attempt = match limits::take(&self.db, &user_key, user_limit, now).await? {
            Take::Taken(taken) => Some(taken),
            Take::Wait(wait) => {
                let per_client = Limit {
                    max: s.locked_account_tries_per_client,
                    window: s.login_window,
                };
                match limits::take(&self.db, &locked_key, per_client, now).await? {
                    Take::Taken(_) => {
                        tokio::time::sleep(s.locked_account_delay).await;
                        None
                    }
                    Take::Wait(mine) => {
                        // Refused without a check: this client's attempt goes back.
                        limits::give_back(&self.db, ip_attempt).await?;
                        return Err(too_many_attempts(wait.max(mine)));
                    }
                }
            }
        };

        let user = self.find_user(&normalized).await?;
        let phc = user
            .as_ref()
            .map(|u| u.auth_hash.clone())
            .unwrap_or_else(|| self.secrets.dummy_auth_hash().to_string());
        let ok = match self
            .hasher
            .run(move || verify_auth_key(&auth_key, &phc))
            .await
        {
            Ok(ok) => ok,
            Err(busy) => {
                // Not checked: neither attempt counts.
                limits::give_back(&self.db, ip_attempt).await?;
                if let Some(user_attempt) = user_attempt {
                    limits::give_back(&self.db, user_attempt).await?;
                }
                return Err(busy);
            }
        };
        match user {
            Some(user) if ok => {
                limits::give_back(&self.db, ip_attempt).await?;
                limits::reset(&self.db, &user_key).await?;
                limits::reset(&self.db, &locked_key).await?;
                Ok(user.id)
            }
            _ => Err(DomainError::BadCredentials),
        }
    }
}
