//! Sharing with other users: public-key lookup, grants (owner side) and the files shared with
//! the caller (grantee side).

use std::collections::HashMap;

use coffer_crypto::blob_len;
use coffer_protocol::sharing::{
    GrantInfo, GrantList, NewGrant, OutgoingGrant, OutgoingGrants, SharedFile, SharedList, UserKey,
};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    SqlErr,
};

use super::{check_expiry, live_grant, NO_FILE, NO_USER};
use crate::{
    entities::{files, grants, users},
    storage::is_hex_id,
    vault::Content,
    Domain, DomainError,
};

const NO_GRANT: &str = "This file is not shared with that user.";
const NO_SHARE: &str = "There is no such file shared with you.";

fn check_new_grant(req: &NewGrant) -> Result<(), DomainError> {
    let w = &req.wrapped_key;
    if w.len() != blob_len::WRAPPED_FILE_KEY || w[0] != 0x04 {
        return Err(DomainError::invalid(
            "wrapped_key is not a Coffer wrapped file key (type 0x04, 114 bytes).",
        ));
    }
    let s = &req.signature;
    if s.len() != blob_len::GRANT_SIGNATURE || s[0] != 0x0D {
        return Err(DomainError::invalid(
            "signature is not a Coffer grant signature (type 0x0D, 65 bytes).",
        ));
    }
    let k = &req.grantee_key;
    if k.len() != blob_len::PUBLIC_KEY || k[0] != 0x04 {
        return Err(DomainError::invalid(
            "grantee_key is not a P-256 public key (65 bytes, uncompressed).",
        ));
    }
    Ok(())
}

impl Domain {
    /// A user's public key, to wrap a file key to.
    pub async fn user_key(&self, username: &str) -> Result<UserKey, DomainError> {
        let user = self
            .find_user(username)
            .await?
            .ok_or(DomainError::NotFound(NO_USER))?;
        Ok(UserKey {
            username: user.username,
            public_key: user.public_key,
        })
    }

    /// Shares `owner`'s file with another user, or replaces the wrapped key, signature and
    /// expiry of an existing grant.
    pub async fn create_grant(
        &self,
        owner: i64,
        file_id: &str,
        req: NewGrant,
    ) -> Result<GrantInfo, DomainError> {
        check_new_grant(&req)?;
        let now = self.now_ms();
        check_expiry(req.expires_at, now, None)?;
        let file = self.find_own_file(owner, file_id, NO_FILE).await?;
        let grantee = self
            .find_user(&req.grantee)
            .await?
            .ok_or(DomainError::NotFound(NO_USER))?;
        if grantee.id == owner {
            return Err(DomainError::invalid(
                "You cannot share a file with yourself.",
            ));
        }
        if req.grantee_key != grantee.public_key {
            return Err(DomainError::Conflict(
                "This user's key is not the one the file was wrapped to. Look them up again."
                    .into(),
            ));
        }
        let row = grants::ActiveModel {
            file_id: Set(file.id),
            grantee_id: Set(grantee.id),
            granted_by: Set(owner),
            wrapped_key: Set(req.wrapped_key),
            created_at: Set(now),
            expires_at: Set(req.expires_at),
            signature: Set(Some(req.signature)),
            grantee_key: Set(Some(req.grantee_key)),
        };
        let inserted = grants::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([grants::Column::FileId, grants::Column::GranteeId])
                    .update_columns([
                        grants::Column::GrantedBy,
                        grants::Column::WrappedKey,
                        grants::Column::CreatedAt,
                        grants::Column::ExpiresAt,
                        grants::Column::Signature,
                        grants::Column::GranteeKey,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await;
        match inserted {
            Ok(_) => {}
            // The file was deleted in the meantime.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
                return Err(DomainError::NotFound(NO_FILE))
            }
            Err(e) => return Err(e.into()),
        }
        Ok(GrantInfo {
            grantee: grantee.username,
            created_at: now,
            expires_at: req.expires_at,
        })
    }

    /// Who `owner`'s file is shared with (live grants), by name.
    pub async fn list_grants(&self, owner: i64, file_id: &str) -> Result<GrantList, DomainError> {
        let file = self.find_own_file(owner, file_id, NO_FILE).await?;
        let rows = grants::Entity::find()
            .filter(grants::Column::FileId.eq(file.id))
            .filter(live_grant(self.now_ms()))
            .all(&self.db)
            .await?;
        let names = self.users_by_id(rows.iter().map(|g| g.grantee_id)).await?;
        let mut grants: Vec<GrantInfo> = rows
            .into_iter()
            .filter_map(|g| {
                Some(GrantInfo {
                    grantee: names.get(&g.grantee_id)?.username.clone(),
                    created_at: g.created_at,
                    expires_at: g.expires_at,
                })
            })
            .collect();
        grants.sort_by(|a, b| a.grantee.cmp(&b.grantee));
        Ok(GrantList { grants })
    }

    /// These users, by id.
    async fn users_by_id(
        &self,
        ids: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, users::Model>, DomainError> {
        let mut ids: Vec<i64> = ids.collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(users::Entity::find()
            .filter(users::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect())
    }

    /// Revokes the grant of `owner`'s file to `grantee`.
    pub async fn revoke_grant(
        &self,
        owner: i64,
        file_id: &str,
        grantee: &str,
    ) -> Result<(), DomainError> {
        let file = self.find_own_file(owner, file_id, NO_FILE).await?;
        let grantee = self
            .find_user(grantee)
            .await?
            .ok_or(DomainError::NotFound(NO_GRANT))?;
        let taken = grants::Entity::delete_many()
            .filter(grants::Column::FileId.eq(file.id))
            .filter(grants::Column::GranteeId.eq(grantee.id))
            .filter(live_grant(self.now_ms()))
            .exec(&self.db)
            .await?;
        if taken.rows_affected == 0 {
            return Err(DomainError::NotFound(NO_GRANT));
        }
        Ok(())
    }

    /// The files others shared with `me` (live grants), newest first.
    pub async fn shared_with(&self, me: i64) -> Result<SharedList, DomainError> {
        let rows = grants::Entity::find()
            .filter(grants::Column::GranteeId.eq(me))
            .filter(live_grant(self.now_ms()))
            .order_by_desc(grants::Column::CreatedAt)
            .order_by_asc(grants::Column::FileId)
            .all(&self.db)
            .await?;
        let files: HashMap<String, files::Model> = if rows.is_empty() {
            HashMap::new()
        } else {
            files::Entity::find()
                .filter(files::Column::Id.is_in(rows.iter().map(|g| g.file_id.clone())))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|f| (f.id.clone(), f))
                .collect()
        };
        let sharers = self.users_by_id(rows.iter().map(|g| g.granted_by)).await?;
        let files = rows
            .into_iter()
            .filter_map(|g| {
                let file = files.get(&g.file_id)?;
                let sharer = sharers.get(&g.granted_by)?;
                Some(SharedFile {
                    id: file.id.clone(),
                    sharer: sharer.username.clone(),
                    sharer_public_key: sharer.public_key.clone(),
                    ciphertext_size: file.ciphertext_size as u64,
                    chunk_size: file.chunk_size as u32,
                    sealed_metadata: file.sealed_metadata.clone(),
                    version_record: file.version_record.clone(),
                    wrapped_key: g.wrapped_key,
                    grant_signature: g.signature,
                    shared_at: g.created_at,
                    expires_at: g.expires_at,
                })
            })
            .collect();
        Ok(SharedList { files })
    }

    /// Every live grant `me` made, with the key each was made for and the grantee's key now,
    /// so the sharer's browser can re-sign v1 grants and notice changed keys.
    pub async fn outgoing_grants(&self, me: i64) -> Result<OutgoingGrants, DomainError> {
        let rows = grants::Entity::find()
            .filter(grants::Column::GrantedBy.eq(me))
            .filter(live_grant(self.now_ms()))
            .order_by_asc(grants::Column::FileId)
            .order_by_asc(grants::Column::GranteeId)
            .all(&self.db)
            .await?;
        let grantees = self.users_by_id(rows.iter().map(|g| g.grantee_id)).await?;
        let grants = rows
            .into_iter()
            .filter_map(|g| {
                let grantee = grantees.get(&g.grantee_id)?;
                Some(OutgoingGrant {
                    file_id: g.file_id,
                    grantee: grantee.username.clone(),
                    grantee_public_key: grantee.public_key.clone(),
                    granted_key: g.grantee_key,
                    wrapped_key: g.wrapped_key,
                    signature: g.signature,
                    created_at: g.created_at,
                    expires_at: g.expires_at,
                })
            })
            .collect();
        Ok(OutgoingGrants { grants })
    }

    /// `me`'s live grant for this file id.
    async fn find_grant(&self, me: i64, id: &str) -> Result<grants::Model, DomainError> {
        if !is_hex_id(id) {
            return Err(DomainError::NotFound(NO_SHARE));
        }
        grants::Entity::find_by_id((id.to_string(), me))
            .filter(live_grant(self.now_ms()))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound(NO_SHARE))
    }

    /// The content of a file shared with `me`.
    pub async fn shared_content(&self, me: i64, id: &str) -> Result<Content, DomainError> {
        let grant = self.find_grant(me, id).await?;
        let file = files::Entity::find_by_id(grant.file_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound(NO_SHARE))?;
        Ok(Content::from(&file))
    }

    /// `me` drops a file shared with them (deletes their grant).
    pub async fn leave_share(&self, me: i64, id: &str) -> Result<(), DomainError> {
        let grant = self.find_grant(me, id).await?;
        let taken = grants::Entity::delete_many()
            .filter(grants::Column::FileId.eq(grant.file_id))
            .filter(grants::Column::GranteeId.eq(me))
            .exec(&self.db)
            .await?;
        if taken.rows_affected == 0 {
            return Err(DomainError::NotFound(NO_SHARE));
        }
        Ok(())
    }
}
