//! Files: the owner's list, their content, new versions (renames, upgrades) and deletion.

use std::ops::Range;

use bytes::Bytes;
use coffer_protocol::vault::{
    FileInfo, FileList, FilePage, NewVersion, Usage, VersionBatch, VersionResult, VersionResults,
    VersionStatus, DEFAULT_FILES_PER_PAGE, MAX_FILES_PER_PAGE, MAX_VERSIONS_PER_REQUEST,
};
use futures_util::{stream::BoxStream, StreamExt, TryStreamExt};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::{check_version, file_info, usage, NO_FILE_OR_UPLOAD};
use crate::{
    entities::{files, grants, links},
    storage::{is_hex_id, PartLayout},
    Domain, DomainError,
};

/// A file's stored ciphertext, for someone already allowed to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// The file.
    pub file_id: String,
    /// Ciphertext length.
    pub size: u64,
    storage_key: String,
    layout: PartLayout,
}

impl From<&files::Model> for Content {
    fn from(f: &files::Model) -> Self {
        Content {
            file_id: f.id.clone(),
            size: f.ciphertext_size as u64,
            storage_key: f.storage_key.clone(),
            layout: PartLayout {
                total: f.ciphertext_size as u64,
                part_size: f.part_size as u64,
            },
        }
    }
}

/// Reads a `<created_at>.<id>` cursor.
fn parse_cursor(cursor: &str) -> Result<(i64, String), DomainError> {
    cursor
        .split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, id)))
        .filter(|(_, id)| is_hex_id(id))
        .map(|(at, id)| (at, id.to_string()))
        .ok_or_else(|| DomainError::invalid("after is not a cursor this server gave out."))
}

impl Domain {
    /// `owner`'s file with this id; `not_found` is the message when there is none.
    pub(crate) async fn find_own_file(
        &self,
        owner: i64,
        id: &str,
        not_found: &'static str,
    ) -> Result<files::Model, DomainError> {
        if !is_hex_id(id) {
            return Err(DomainError::NotFound(not_found));
        }
        files::Entity::find_by_id(id.to_string())
            .filter(files::Column::OwnerId.eq(owner))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound(not_found))
    }

    /// One page of `owner`'s files, newest first (ties by id), and their usage. The cursor is
    /// the last file's `<created_at>.<id>`: the next page starts strictly after it in that order
    /// (keyset pagination), so it stays put whatever is added or deleted meanwhile.
    pub async fn list_files(&self, owner: i64, page: FilePage) -> Result<FileList, DomainError> {
        let limit = page.limit.unwrap_or(DEFAULT_FILES_PER_PAGE);
        if !(1..=MAX_FILES_PER_PAGE).contains(&limit) {
            return Err(DomainError::invalid(format!(
                "limit must be between 1 and {MAX_FILES_PER_PAGE}."
            )));
        }
        let mut query = files::Entity::find().filter(files::Column::OwnerId.eq(owner));
        if let Some(after) = &page.after {
            let (created_at, id) = parse_cursor(after)?;
            query = query.filter(
                Condition::any()
                    .add(files::Column::CreatedAt.lt(created_at))
                    .add(
                        Condition::all()
                            .add(files::Column::CreatedAt.eq(created_at))
                            .add(files::Column::Id.gt(id)),
                    ),
            );
        }
        let mut rows = query
            .order_by_desc(files::Column::CreatedAt)
            .order_by_asc(files::Column::Id)
            .limit(u64::from(limit) + 1)
            .all(&self.db)
            .await?;
        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|f| format!("{}.{}", f.created_at, f.id))
        } else {
            None
        };
        let used = usage::usage_of(&self.db, owner).await?;
        let limits = &self.settings.vault;
        Ok(FileList {
            files: rows.into_iter().map(file_info).collect(),
            usage: Usage {
                stored_bytes: used.stored.max(0) as u64,
                reserved_bytes: used.reserved.max(0) as u64,
                quota_bytes: limits.user_quota_bytes,
                max_file_bytes: limits.max_file_bytes,
            },
            next,
        })
    }

    /// The version of `owner`'s file list: it changes with every change to what
    /// [`Domain::list_files`] answers (files, their versions, usage), in the same transaction, so
    /// an encoded page is current while this is unchanged.
    pub async fn list_version(&self, owner: i64) -> Result<i64, DomainError> {
        usage::list_version(&self.db, owner).await
    }

    /// The content of one of `owner`'s files.
    pub async fn own_content(&self, owner: i64, id: &str) -> Result<Content, DomainError> {
        let file = self.find_own_file(owner, id, NO_FILE_OR_UPLOAD).await?;
        Ok(Content::from(&file))
    }

    /// One of `owner`'s files as an export (docs/CRYPTO.md §6.6): the bytes to send before its
    /// content (its sealed metadata, framed), and the content.
    pub async fn own_export(
        &self,
        owner: i64,
        id: &str,
    ) -> Result<(Vec<u8>, Content), DomainError> {
        let file = self.find_own_file(owner, id, NO_FILE_OR_UPLOAD).await?;
        let prefix = coffer_crypto::export_prefix(&file.sealed_metadata)
            .map_err(|e| DomainError::internal("vault: a stored file's metadata", e))?;
        Ok((prefix, Content::from(&file)))
    }

    /// Streams `range` of `content` from the blob store, part after part. A storage failure
    /// is logged here and ends the stream with a bare I/O error.
    pub fn read_content(
        &self,
        content: &Content,
        range: Range<u64>,
    ) -> BoxStream<'static, std::io::Result<Bytes>> {
        let file_id = content.file_id.clone();
        self.storage
            .read(&content.storage_key, content.layout, range)
            .map_err(move |e| {
                tracing::error!(%e, file = %file_id, "vault: reading stored content failed");
                std::io::Error::other("storage read failed")
            })
            .boxed()
    }

    /// Stores the next version of one of `owner`'s files: its metadata, owner key slot and
    /// version record, only if the record's number is one more than the stored one (so two tabs
    /// cannot overwrite each other's renames, and an old version cannot be put back).
    async fn put_version(
        &self,
        owner: i64,
        id: &str,
        version: NewVersion,
    ) -> Result<files::Model, DomainError> {
        let (version, number) = check_version(version)?;
        let file = self.find_own_file(owner, id, NO_FILE_OR_UPLOAD).await?;
        let next = i64::try_from(number).map_err(|_| DomainError::VersionConflict)?;
        if next != file.version.saturating_add(1) {
            return Err(DomainError::VersionConflict);
        }
        let txn = self.db.begin().await?;
        let updated = files::Entity::update_many()
            .col_expr(
                files::Column::SealedMetadata,
                Expr::value(version.sealed_metadata),
            )
            .col_expr(files::Column::WrappedKey, Expr::value(version.key_slot))
            .col_expr(
                files::Column::VersionRecord,
                Expr::value(Some(version.version_record)),
            )
            .col_expr(files::Column::Version, Expr::value(next))
            .col_expr(files::Column::UpdatedAt, Expr::value(self.now_ms()))
            .filter(files::Column::Id.eq(file.id.clone()))
            .filter(files::Column::OwnerId.eq(owner))
            .filter(files::Column::Version.eq(file.version))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(DomainError::VersionConflict);
        }
        usage::touch(&txn, owner).await?;
        txn.commit().await?;
        self.find_own_file(owner, id, NO_FILE_OR_UPLOAD).await
    }

    /// The next version of a file, made in the browser (a rename, or the upgrade of a v1 file
    /// to its first signed version).
    pub async fn new_version(
        &self,
        owner: i64,
        id: &str,
        version: NewVersion,
    ) -> Result<FileInfo, DomainError> {
        Ok(file_info(self.put_version(owner, id, version).await?))
    }

    /// Several next versions at once (the browser's upgrade of a vault's v1 files). Every
    /// item's shape is checked first, so a malformed batch changes nothing; then each is
    /// applied on its own, as [`Domain::new_version`] would.
    pub async fn new_versions(
        &self,
        owner: i64,
        batch: VersionBatch,
    ) -> Result<VersionResults, DomainError> {
        if batch.versions.len() > MAX_VERSIONS_PER_REQUEST {
            return Err(DomainError::invalid(format!(
                "At most {MAX_VERSIONS_PER_REQUEST} versions per request."
            )));
        }
        for item in &batch.versions {
            check_version(item.version())?;
        }
        let mut results = Vec::with_capacity(batch.versions.len());
        for item in batch.versions {
            let status = match self.put_version(owner, &item.id, item.version()).await {
                Ok(_) => VersionStatus::Stored,
                Err(DomainError::VersionConflict) => VersionStatus::Conflict,
                Err(DomainError::NotFound(_)) => VersionStatus::NotFound,
                Err(e) => return Err(e),
            };
            results.push(VersionResult {
                id: item.id,
                status,
            });
        }
        Ok(VersionResults { results })
    }

    /// Deletes one of `owner`'s files: its row, grants and links and usage first (one
    /// transaction), then its content; if that second step fails the janitor finishes it.
    pub async fn delete_file(&self, owner: i64, id: &str) -> Result<(), DomainError> {
        let file = self.find_own_file(owner, id, NO_FILE_OR_UPLOAD).await?;
        let txn = self.db.begin().await?;
        // Its grants and links go with it (the foreign keys cascade too; this does not rely on it).
        grants::Entity::delete_many()
            .filter(grants::Column::FileId.eq(file.id.clone()))
            .exec(&txn)
            .await?;
        links::Entity::delete_many()
            .filter(links::Column::FileId.eq(file.id.clone()))
            .exec(&txn)
            .await?;
        let taken = files::Entity::delete_many()
            .filter(files::Column::Id.eq(file.id.clone()))
            .filter(files::Column::OwnerId.eq(owner))
            .exec(&txn)
            .await?;
        if taken.rows_affected != 1 {
            return Err(DomainError::NotFound(NO_FILE_OR_UPLOAD));
        }
        usage::adjust(&txn, owner, -file.ciphertext_size, 0).await?;
        txn.commit().await?;
        if let Err(e) = self.storage.delete_blob(&file.storage_key).await {
            tracing::warn!(%e, "vault: could not delete a deleted file's content yet");
        }
        Ok(())
    }
}
