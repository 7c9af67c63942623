//! An account's life after registration: a new password (proved by the old one), a reset with
//! the recovery key (proved by the account key it opens), and deletion. The server never gets a
//! password, the recovery key or the account key: the browser derives and seals, and proves
//! what it holds with one-way values the server keeps slow hashes of (the auth key, the account
//! proof; docs/CRYPTO.md §2).

use coffer_crypto::{KdfParams, KDF_SALT_LEN};
use coffer_protocol::{
    accounts::{ChangePassword, KdfSetup, RecoveryReset, RecoverySeal},
    validation,
};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};

use crate::{
    entities::{
        account_records, api_tokens, contacts, email_codes, files, grants, links, login_challenges,
        mail_outbox, recovery_codes, sessions, upload_parts, uploads, user_usage, users,
    },
    hashing::{hash_auth_key, verify_auth_key},
    limits::{self, Limit, Take},
    Domain, DomainError,
};

/// Blobs the browser sealed are at most this long.
const MAX_SEALED_LEN: usize = 1024;

fn check_new_keys(auth_key: &[u8], kdf: &KdfSetup, sealed: &[&[u8]]) -> Result<(), DomainError> {
    if auth_key.len() != 32 {
        return Err(DomainError::invalid("The auth key is malformed."));
    }
    if kdf.salt.len() != KDF_SALT_LEN {
        return Err(DomainError::invalid(
            "The key derivation salt is malformed.",
        ));
    }
    kdf.params.validate().map_err(|_| {
        DomainError::invalid("The key derivation settings are outside the allowed range.")
    })?;
    if sealed
        .iter()
        .any(|b| b.is_empty() || b.len() > MAX_SEALED_LEN)
    {
        return Err(DomainError::invalid("A sealed key is malformed."));
    }
    Ok(())
}

fn params_columns(params: &KdfParams) -> Result<(i32, i32, i32), DomainError> {
    let int = |v: u32| {
        i32::try_from(v)
            .map_err(|_| DomainError::invalid("The key derivation settings are out of range."))
    };
    Ok((
        int(params.memory_kib)?,
        int(params.iterations)?,
        int(params.parallelism)?,
    ))
}

impl Domain {
    /// Checks `secret` against the stored hash `phc` of `user`'s (an auth key, or an account
    /// proof), under the same limits as a login: attempts per client and per account taken
    /// before the check, the hashing budget. A wrong one is `wrong` and counts.
    async fn check_secret(
        &self,
        account_key: &str,
        client_ip: &str,
        secret: Vec<u8>,
        phc: Option<String>,
        wrong: DomainError,
    ) -> Result<(), DomainError> {
        let s = &self.settings.auth;
        let now = self.now_ms();
        let ip = limits::take(
            &self.db,
            &format!("login-ip:{}", limits::client_key(client_ip)),
            Limit {
                max: s.login_failures_per_ip,
                window: s.login_window,
            },
            now,
        )
        .await?;
        let ip = match ip {
            Take::Taken(taken) => taken,
            Take::Wait(wait) => return Err(DomainError::rate_limited("attempts", wait)),
        };
        let user_key = format!("login-user:{account_key}");
        let account = limits::take(
            &self.db,
            &user_key,
            Limit {
                max: s.login_failures_per_account,
                window: s.login_window,
            },
            now,
        )
        .await?;
        let account = match account {
            Take::Taken(taken) => taken,
            Take::Wait(wait) => {
                limits::give_back(&self.db, ip).await?;
                return Err(DomainError::rate_limited("attempts", wait));
            }
        };
        let phc = phc.unwrap_or_else(|| self.secrets.dummy_auth_hash().to_string());
        let ok = match self
            .hasher
            .run(move || verify_auth_key(&secret, &phc))
            .await
        {
            Ok(ok) => ok,
            Err(busy) => {
                limits::give_back(&self.db, ip).await?;
                limits::give_back(&self.db, account).await?;
                return Err(busy);
            }
        };
        if !ok {
            return Err(wrong);
        }
        limits::give_back(&self.db, ip).await?;
        limits::reset(&self.db, &user_key).await?;
        Ok(())
    }

    /// Checks `user`'s password (auth key) like a login would count it.
    pub(crate) async fn check_password(
        &self,
        user: &users::Model,
        auth_key: Vec<u8>,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        self.check_secret(
            &user.username,
            client_ip,
            auth_key,
            Some(user.auth_hash.clone()),
            DomainError::invalid("The password is not right."),
        )
        .await
    }

    /// Hashes a new auth key or proof under the hashing budget.
    async fn hash_secret(&self, secret: Vec<u8>) -> Result<String, DomainError> {
        self.hasher
            .run(move || hash_auth_key(&secret))
            .await?
            .map_err(|e| DomainError::internal("hashing a new key", e))
    }

    async fn user_row(&self, user_id: i64) -> Result<users::Model, DomainError> {
        users::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::Unauthenticated(crate::AuthFailure::Missing))
    }

    /// Changes `user_id`'s password: the old auth key must match (limited like a login). In one
    /// transaction the new hash, KDF inputs and sealed account key replace the old, every other
    /// session of the user ends (`keep_session` stays), and, if asked, every API token.
    pub async fn change_password(
        &self,
        user_id: i64,
        keep_session: Option<i64>,
        req: ChangePassword,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        check_new_keys(
            &req.new_auth_key,
            &req.kdf,
            &[&req.sealed_account_key_password],
        )?;
        let user = self.user_row(user_id).await?;
        self.check_secret(
            &user.username,
            client_ip,
            req.old_auth_key,
            Some(user.auth_hash.clone()),
            DomainError::invalid("The current password is not right."),
        )
        .await?;
        let new_hash = self.hash_secret(req.new_auth_key).await?;
        let (memory, iterations, parallelism) = params_columns(&req.kdf.params)?;
        let txn = self.db.begin().await?;
        let updated = users::Entity::update_many()
            .col_expr(users::Column::AuthHash, Expr::value(new_hash))
            .col_expr(users::Column::KdfSalt, Expr::value(req.kdf.salt))
            .col_expr(users::Column::KdfMemoryKib, Expr::value(memory))
            .col_expr(users::Column::KdfIterations, Expr::value(iterations))
            .col_expr(users::Column::KdfParallelism, Expr::value(parallelism))
            .col_expr(
                users::Column::SealedAccountKeyPassword,
                Expr::value(req.sealed_account_key_password),
            )
            .filter(users::Column::Id.eq(user_id))
            // Nobody changed it in between (a second tab): else the swap is refused.
            .filter(users::Column::AuthHash.eq(user.auth_hash))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(DomainError::Conflict(
                "The password was changed elsewhere in the meantime. Log in again.".into(),
            ));
        }
        end_sessions_but(&txn, user_id, keep_session).await?;
        if req.revoke_tokens {
            api_tokens::Entity::update_many()
                .col_expr(
                    api_tokens::Column::RevokedAt,
                    Expr::value(Some(self.now_ms())),
                )
                .filter(api_tokens::Column::UserId.eq(user_id))
                .filter(api_tokens::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Stores `user_id`'s account proof if the server has none yet (accounts made before resets
    /// with the recovery key existed send it once, after a login). Never replaces one, and needs
    /// the password's auth key too: a stolen session cookie alone cannot plant a proof and then
    /// reset the password with it.
    pub async fn set_account_proof(
        &self,
        user_id: i64,
        auth_key: Vec<u8>,
        proof: Vec<u8>,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        if proof.len() != 32 {
            return Err(DomainError::invalid("The account proof is malformed."));
        }
        let user = self.user_row(user_id).await?;
        if user.account_proof_hash.is_some() {
            return Ok(());
        }
        self.check_secret(
            &user.username,
            client_ip,
            auth_key,
            Some(user.auth_hash.clone()),
            DomainError::invalid("The password is not right."),
        )
        .await?;
        let hash = self.hash_secret(proof).await?;
        users::Entity::update_many()
            .col_expr(users::Column::AccountProofHash, Expr::value(Some(hash)))
            .filter(users::Column::Id.eq(user_id))
            .filter(users::Column::AccountProofHash.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The account key sealed under the recovery key, for a browser holding that key. Limited per
    /// client like `kdf-params`; unknown names get a stable fake (it opens with no recovery key),
    /// so the answer does not say whether a name exists.
    pub async fn recovery_seal(
        &self,
        username: &str,
        client_ip: &str,
    ) -> Result<RecoverySeal, DomainError> {
        let limit = Limit {
            max: self.settings.auth.kdf_params_per_minute,
            window: std::time::Duration::from_secs(60),
        };
        if let Take::Wait(wait) = limits::take(
            &self.db,
            &format!("kdf-ip:{}", limits::client_key(client_ip)),
            limit,
            self.now_ms(),
        )
        .await?
        {
            return Err(DomainError::rate_limited("requests", wait));
        }
        let normalized = validation::normalize_username(username).map_err(DomainError::Invalid)?;
        Ok(RecoverySeal {
            sealed_account_key_recovery: match self.find_user(&normalized).await? {
                Some(user) => user.sealed_account_key_recovery,
                None => self.secrets.fake_recovery_seal(&normalized),
            },
        })
    }

    /// Sets a new password (and a new recovery key) for the account whose account key the
    /// caller proves it holds. A wrong proof, an unknown name and an account without a proof
    /// yet all answer like a wrong password, and count like one. Every session and every API
    /// token of the account end. Returns the user's id (the caller starts a session).
    pub async fn reset_with_recovery(
        &self,
        req: RecoveryReset,
        client_ip: &str,
    ) -> Result<i64, DomainError> {
        check_new_keys(
            &req.new_auth_key,
            &req.kdf,
            &[
                &req.sealed_account_key_password,
                &req.sealed_account_key_recovery,
            ],
        )?;
        let normalized = validation::normalize_username(&req.username)
            .unwrap_or_else(|_| req.username.chars().take(64).collect());
        let user = self.find_user(&normalized).await?;
        self.check_secret(
            &normalized,
            client_ip,
            req.account_proof,
            user.as_ref().and_then(|u| u.account_proof_hash.clone()),
            DomainError::BadCredentials,
        )
        .await?;
        let Some(user) = user else {
            return Err(DomainError::BadCredentials);
        };
        let new_hash = self.hash_secret(req.new_auth_key).await?;
        let (memory, iterations, parallelism) = params_columns(&req.kdf.params)?;
        let txn = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(users::Column::AuthHash, Expr::value(new_hash))
            .col_expr(users::Column::KdfSalt, Expr::value(req.kdf.salt))
            .col_expr(users::Column::KdfMemoryKib, Expr::value(memory))
            .col_expr(users::Column::KdfIterations, Expr::value(iterations))
            .col_expr(users::Column::KdfParallelism, Expr::value(parallelism))
            .col_expr(
                users::Column::SealedAccountKeyPassword,
                Expr::value(req.sealed_account_key_password),
            )
            .col_expr(
                users::Column::SealedAccountKeyRecovery,
                Expr::value(req.sealed_account_key_recovery),
            )
            .filter(users::Column::Id.eq(user.id))
            .exec(&txn)
            .await?;
        end_sessions_but(&txn, user.id, None).await?;
        api_tokens::Entity::update_many()
            .col_expr(
                api_tokens::Column::RevokedAt,
                Expr::value(Some(self.now_ms())),
            )
            .filter(api_tokens::Column::UserId.eq(user.id))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(user.id)
    }

    /// Deletes `user_id`'s account: the password (auth key) must match and `typed_username` be
    /// the account's name. In one transaction every row of the user's goes: files (and the
    /// grants and links on them), uploads and their parts, grants to and from the user,
    /// links, contacts, the account record, usage, tokens and sessions, and the user; the name
    /// can be registered again at once. The stored content follows right after (what a failure
    /// leaves, the janitor removes as orphans).
    pub async fn delete_account(
        &self,
        user_id: i64,
        auth_key: Vec<u8>,
        typed_username: &str,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        let user = self.user_row(user_id).await?;
        let typed = validation::normalize_username(typed_username).unwrap_or_default();
        if typed != user.username {
            return Err(DomainError::invalid(
                "Type your username exactly to confirm.",
            ));
        }
        self.check_secret(
            &user.username,
            client_ip,
            auth_key,
            Some(user.auth_hash.clone()),
            DomainError::invalid("The password is not right."),
        )
        .await?;
        let file_rows = files::Entity::find()
            .filter(files::Column::OwnerId.eq(user_id))
            .all(&self.db)
            .await?;
        let upload_rows = uploads::Entity::find()
            .filter(uploads::Column::OwnerId.eq(user_id))
            .all(&self.db)
            .await?;
        let file_ids: Vec<String> = file_rows.iter().map(|f| f.id.clone()).collect();
        let upload_ids: Vec<String> = upload_rows.iter().map(|u| u.id.clone()).collect();
        let txn = self.db.begin().await?;
        delete_all(&txn, user_id, &file_ids, &upload_ids).await?;
        txn.commit().await?;
        let keys = file_rows
            .iter()
            .map(|f| &f.storage_key)
            .chain(upload_rows.iter().map(|u| &u.storage_key));
        for key in keys {
            if let Err(e) = self.storage.delete_blob(key).await {
                tracing::warn!(%e, "accounts: a deleted account's content is left for the janitor");
            }
        }
        Ok(())
    }
}

/// Ends `user_id`'s sessions but `keep`.
async fn end_sessions_but(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<i64>,
) -> Result<(), DomainError> {
    let mut query = sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(sessions::Column::Id.ne(keep));
    }
    query.exec(db).await?;
    Ok(())
}

/// Every row of a user's, dependents first.
async fn delete_all(
    db: &impl ConnectionTrait,
    user_id: i64,
    file_ids: &[String],
    upload_ids: &[String],
) -> Result<(), DomainError> {
    grants::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(grants::Column::GranteeId.eq(user_id))
                .add(grants::Column::GrantedBy.eq(user_id))
                .add(grants::Column::FileId.is_in(file_ids.iter().cloned())),
        )
        .exec(db)
        .await?;
    links::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(links::Column::OwnerId.eq(user_id))
                .add(links::Column::FileId.is_in(file_ids.iter().cloned())),
        )
        .exec(db)
        .await?;
    files::Entity::delete_many()
        .filter(files::Column::OwnerId.eq(user_id))
        .exec(db)
        .await?;
    upload_parts::Entity::delete_many()
        .filter(upload_parts::Column::UploadId.is_in(upload_ids.iter().cloned()))
        .exec(db)
        .await?;
    uploads::Entity::delete_many()
        .filter(uploads::Column::OwnerId.eq(user_id))
        .exec(db)
        .await?;
    contacts::Entity::delete_many()
        .filter(contacts::Column::OwnerId.eq(user_id))
        .exec(db)
        .await?;
    account_records::Entity::delete_by_id(user_id)
        .exec(db)
        .await?;
    user_usage::Entity::delete_by_id(user_id).exec(db).await?;
    api_tokens::Entity::delete_many()
        .filter(api_tokens::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    login_challenges::Entity::delete_many()
        .filter(login_challenges::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    email_codes::Entity::delete_many()
        .filter(email_codes::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    users::Entity::delete_by_id(user_id).exec(db).await?;
    Ok(())
}
