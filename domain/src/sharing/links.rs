//! Share links: the owner creates, lists and revokes them; anyone holding the URL (and the
//! password, if any) opens one without an account.
//!
//! The server holds only `link_token_digest(token)` and checks a presented token with
//! `verify_link_token` (constant time). Every token check first takes one of the link's
//! `COFFER_LINK_FAILURES_PER_LINK` attempts for the current window (crate::limits, key
//! `link:<id>`: one conditional `UPDATE`, so parallel guesses cannot all slip through), and
//! gives it back only when the token was right. A download is consumed with one conditional
//! `UPDATE` too (`downloads = downloads + 1 WHERE … downloads < max_downloads AND expires_at >
//! now`), so a link allowing N downloads serves exactly N, however many requests race.
//!
//! A link may also carry, from its owner's browser, its secret sealed under the owner's account
//! key (blob 0x0E: only the owner's list returns it, so they can copy the link again) and a
//! one-way verifier of the secret (16 bytes: the public link info returns it, so a visitor's
//! browser tells a damaged link from a wrong password). The server checks only their shapes;
//! neither opens anything without the secret or the account key. Whether the link page names
//! the owner is the owner's choice (`show_sender`); the name is only returned with the wrapped
//! key, to a visitor who presented the right token.

use coffer_crypto::{blob_len, verify_link_token, KdfParams, KDF_SALT_LEN};
use coffer_protocol::sharing::{
    LinkInfo, LinkKdf, LinkList, NewLink, OpenedLink, PublicLink, LINK_TOKEN_LEN,
};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, SqlErr,
};

use super::{check_expiry, live_link, NO_FILE};
use crate::{
    entities::{files, links, users},
    limits::{self, Limit, Take},
    storage::is_hex_id,
    vault::Content,
    Domain, DomainError,
};

/// The furthest ahead a link may expire.
const MAX_LINK_LIFETIME_MS: i64 = 365 * 86_400_000;
/// The most downloads a link may allow.
const MAX_DOWNLOADS: u32 = 1_000_000;
/// The most live links one file may have.
const MAX_LIVE_LINKS_PER_FILE: u64 = 100;
const NO_LINK: &str = "There is no such link.";

/// Downloads left on a limited link.
fn remaining(link: &links::Model) -> Option<u32> {
    link.max_downloads.map(|max| {
        let left = i64::from(max).saturating_sub(link.downloads).max(0);
        u32::try_from(left).unwrap_or(u32::MAX)
    })
}

fn link_info(l: links::Model) -> LinkInfo {
    LinkInfo {
        remaining: remaining(&l),
        has_password: l.kdf_salt.is_some(),
        sealed_secret: l.sealed_secret,
        show_sender: l.show_sender,
        link_id: l.id,
        created_at: l.created_at,
        expires_at: l.expires_at,
        max_downloads: l.max_downloads.map(|m| m.max(0) as u32),
        downloads: u32::try_from(l.downloads.max(0)).unwrap_or(u32::MAX),
    }
}

/// The Argon2id inputs stored with a password-protected link.
fn kdf_of(link: &links::Model) -> Option<LinkKdf> {
    Some(LinkKdf {
        salt: link.kdf_salt.clone()?,
        memory_kib: u32::try_from(link.kdf_memory_kib?).ok()?,
        iterations: u32::try_from(link.kdf_iterations?).ok()?,
        parallelism: u32::try_from(link.kdf_parallelism?).ok()?,
    })
}

/// Checks a link's password inputs: (memory, iterations, parallelism) as stored.
fn password_inputs(kdf: &LinkKdf) -> Result<(i32, i32, i32), DomainError> {
    if kdf.salt.len() != KDF_SALT_LEN {
        return Err(DomainError::invalid(format!(
            "password_kdf.salt must be {KDF_SALT_LEN} bytes."
        )));
    }
    let params = KdfParams {
        memory_kib: kdf.memory_kib,
        iterations: kdf.iterations,
        parallelism: kdf.parallelism,
    };
    let out_of_range =
        || DomainError::invalid("password_kdf is outside the allowed Argon2id range.");
    params.validate().map_err(|_| out_of_range())?;
    let int = |v: u32| i32::try_from(v).map_err(|_| out_of_range());
    Ok((
        int(kdf.memory_kib)?,
        int(kdf.iterations)?,
        int(kdf.parallelism)?,
    ))
}

fn check_new_link(req: &NewLink) -> Result<(), DomainError> {
    if !is_hex_id(&req.link_id) {
        return Err(DomainError::invalid(
            "link_id must be 32 lower-case hex characters.",
        ));
    }
    if req.token_digest.len() != blob_len::LINK_TOKEN_DIGEST {
        return Err(DomainError::invalid(format!(
            "token_digest must be {} bytes.",
            blob_len::LINK_TOKEN_DIGEST
        )));
    }
    let w = &req.wrapped_key;
    if w.len() != blob_len::SEALED_KEY || w[0] != 0x06 {
        return Err(DomainError::invalid(
            "wrapped_key is not a Coffer link-wrapped file key (type 0x06, 61 bytes).",
        ));
    }
    if let Some(sealed) = &req.sealed_secret {
        if sealed.len() != blob_len::SEALED_LINK_SECRET || sealed[0] != 0x0E {
            return Err(DomainError::invalid(
                "sealed_secret is not a Coffer link secret sealed for its owner (type 0x0E, 61 bytes).",
            ));
        }
    }
    if let Some(verifier) = &req.verifier {
        if verifier.len() != blob_len::LINK_VERIFIER {
            return Err(DomainError::invalid(format!(
                "verifier must be {} bytes.",
                blob_len::LINK_VERIFIER
            )));
        }
    }
    Ok(())
}

impl Domain {
    /// Creates a link to `owner`'s file.
    pub async fn create_link(
        &self,
        owner: i64,
        file_id: &str,
        req: NewLink,
    ) -> Result<LinkInfo, DomainError> {
        check_new_link(&req)?;
        let password = req.password_kdf.as_ref().map(password_inputs).transpose()?;
        let now = self.now_ms();
        check_expiry(req.expires_at, now, Some(MAX_LINK_LIFETIME_MS))?;
        if let Some(max) = req.max_downloads {
            if !(1..=MAX_DOWNLOADS).contains(&max) {
                return Err(DomainError::invalid(format!(
                    "max_downloads must be between 1 and {MAX_DOWNLOADS}."
                )));
            }
        }
        let file = self.find_own_file(owner, file_id, NO_FILE).await?;
        let live = links::Entity::find()
            .filter(links::Column::FileId.eq(file.id.clone()))
            .filter(live_link(now))
            .count(&self.db)
            .await?;
        if live >= MAX_LIVE_LINKS_PER_FILE {
            return Err(DomainError::invalid(format!(
                "A file may have at most {MAX_LIVE_LINKS_PER_FILE} links; revoke some first."
            )));
        }
        let taken = || DomainError::Conflict("A link with this id exists already.".into());
        if links::Entity::find_by_id(req.link_id.clone())
            .one(&self.db)
            .await?
            .is_some()
        {
            return Err(taken());
        }
        let (memory, iterations, parallelism) = match password {
            Some((m, t, p)) => (Some(m), Some(t), Some(p)),
            None => (None, None, None),
        };
        let row = links::ActiveModel {
            id: Set(req.link_id),
            file_id: Set(file.id),
            owner_id: Set(owner),
            token_digest: Set(req.token_digest),
            wrapped_key: Set(req.wrapped_key),
            kdf_salt: Set(req.password_kdf.map(|k| k.salt)),
            kdf_memory_kib: Set(memory),
            kdf_iterations: Set(iterations),
            kdf_parallelism: Set(parallelism),
            created_at: Set(now),
            expires_at: Set(req.expires_at),
            // At most 1 000 000, checked above.
            max_downloads: Set(req.max_downloads.map(|m| m as i32)),
            downloads: Set(0),
            sealed_secret: Set(req.sealed_secret),
            verifier: Set(req.verifier),
            show_sender: Set(req.show_sender),
        };
        match row.insert(&self.db).await {
            Ok(link) => Ok(link_info(link)),
            // Two creations raced for the same id: the primary key decides.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(taken())
            }
            // The file was deleted in the meantime.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
                Err(DomainError::NotFound(NO_FILE))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The live links of `owner`'s file, newest first.
    pub async fn list_links(&self, owner: i64, file_id: &str) -> Result<LinkList, DomainError> {
        let file = self.find_own_file(owner, file_id, NO_FILE).await?;
        let rows = links::Entity::find()
            .filter(links::Column::FileId.eq(file.id))
            .filter(links::Column::OwnerId.eq(owner))
            .filter(live_link(self.now_ms()))
            .order_by_desc(links::Column::CreatedAt)
            .order_by_asc(links::Column::Id)
            .all(&self.db)
            .await?;
        Ok(LinkList {
            links: rows.into_iter().map(link_info).collect(),
        })
    }

    /// Revokes (deletes) a live link of `owner`'s file.
    pub async fn revoke_link(
        &self,
        owner: i64,
        file_id: &str,
        link_id: &str,
    ) -> Result<(), DomainError> {
        let file = self.find_own_file(owner, file_id, NO_FILE).await?;
        if !is_hex_id(link_id) {
            return Err(DomainError::NotFound(NO_LINK));
        }
        let taken = links::Entity::delete_many()
            .filter(links::Column::Id.eq(link_id))
            .filter(links::Column::FileId.eq(file.id))
            .filter(links::Column::OwnerId.eq(owner))
            .filter(live_link(self.now_ms()))
            .exec(&self.db)
            .await?;
        if taken.rows_affected == 0 {
            return Err(DomainError::NotFound(NO_LINK));
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // The public side: no account, never authenticated.

    /// A usable link and its file, or the one answer for every other case.
    async fn find_live_link(&self, id: &str) -> Result<(links::Model, files::Model), DomainError> {
        if !is_hex_id(id) {
            return Err(DomainError::LinkUnavailable);
        }
        let link = links::Entity::find_by_id(id.to_string())
            .filter(live_link(self.now_ms()))
            .one(&self.db)
            .await?
            .ok_or(DomainError::LinkUnavailable)?;
        let file = files::Entity::find_by_id(link.file_id.clone())
            .filter(files::Column::OwnerId.eq(link.owner_id))
            .one(&self.db)
            .await?
            .ok_or(DomainError::LinkUnavailable)?;
        Ok((link, file))
    }

    /// Whether the link needs a password, its Argon2id inputs, its verifier, expiry and
    /// downloads left. Reads only.
    pub async fn link_info(&self, id: &str) -> Result<PublicLink, DomainError> {
        let (link, _) = self.find_live_link(id).await?;
        Ok(PublicLink {
            has_password: link.kdf_salt.is_some(),
            password_kdf: kdf_of(&link),
            remaining: remaining(&link),
            expires_at: link.expires_at,
            verifier: link.verifier,
        })
    }

    /// Checks a presented token (`None`: missing or malformed, which is simply wrong) against
    /// the link's digest, under the link's limit.
    async fn check_token(
        &self,
        link: &links::Model,
        token: Option<&[u8]>,
    ) -> Result<(), DomainError> {
        let s = &self.settings.vault;
        let limit = Limit {
            max: s.link_failures_per_link,
            window: s.link_window,
        };
        let key = format!("link:{}", link.id);
        let taken = match limits::take(&self.db, &key, limit, self.now_ms()).await? {
            Take::Taken(taken) => taken,
            Take::Wait(wait) => {
                return Err(DomainError::rate_limited(
                    "wrong attempts for this link",
                    wait,
                ))
            }
        };
        let token = token.and_then(|t| <[u8; LINK_TOKEN_LEN]>::try_from(t).ok());
        let digest = <[u8; blob_len::LINK_TOKEN_DIGEST]>::try_from(&link.token_digest[..]);
        let right = match (token, digest) {
            (Some(token), Ok(digest)) => verify_link_token(&token, &digest),
            _ => false,
        };
        if !right {
            return Err(DomainError::WrongPassword);
        }
        limits::give_back(&self.db, taken).await?;
        Ok(())
    }

    /// With the right token: the wrapped key and what the recipient needs to decrypt. Does not
    /// count as a download.
    pub async fn open_link(&self, id: &str, token: &[u8]) -> Result<OpenedLink, DomainError> {
        let (link, file) = self.find_live_link(id).await?;
        if token.len() != LINK_TOKEN_LEN {
            return Err(DomainError::invalid(format!(
                "token must be {LINK_TOKEN_LEN} bytes of unpadded base64url."
            )));
        }
        self.check_token(&link, Some(token)).await?;
        let owner = users::Entity::find_by_id(link.owner_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::LinkUnavailable)?;
        Ok(OpenedLink {
            file_id: file.id,
            // What a v2 link's id binds (docs/CRYPTO.md §9), and the owner's signed version.
            owner_public_key: owner.public_key,
            version_record: file.version_record,
            remaining: remaining(&link),
            wrapped_key: link.wrapped_key,
            sealed_metadata: file.sealed_metadata,
            ciphertext_size: file.ciphertext_size as u64,
            chunk_size: file.chunk_size as u32,
            expires_at: link.expires_at,
            sender: link.show_sender.then_some(owner.username),
        })
    }

    /// With the right token (`None`: missing or unreadable): consumes one download, atomically,
    /// and returns the file's content.
    pub async fn link_download(
        &self,
        id: &str,
        token: Option<&[u8]>,
    ) -> Result<Content, DomainError> {
        let (link, _) = self.find_live_link(id).await?;
        self.check_token(&link, token).await?;
        use links::Column;
        let consumed = links::Entity::update_many()
            .col_expr(Column::Downloads, Expr::col(Column::Downloads).add(1))
            .filter(Column::Id.eq(link.id.clone()))
            .filter(live_link(self.now_ms()))
            .exec(&self.db)
            .await?;
        if consumed.rows_affected != 1 {
            return Err(DomainError::LinkUnavailable);
        }
        // Read the file again after consuming, so one deleted in between is not half-served.
        let file = files::Entity::find_by_id(link.file_id.clone())
            .filter(files::Column::OwnerId.eq(link.owner_id))
            .one(&self.db)
            .await?
            .ok_or(DomainError::LinkUnavailable)?;
        Ok(Content::from(&file))
    }
}
