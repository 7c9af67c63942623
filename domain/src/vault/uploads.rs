//! Uploads: declared with their exact ciphertext size (reserved against the quota at once),
//! sent in numbered parts (each stored as its own object, re-sendable), completed into a file
//! in one transaction, or cancelled.

use bytes::Bytes;
use coffer_crypto::{
    blob_len, header_chunk_size, header_file_id, plaintext_len, FileId, MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
};
use coffer_protocol::{
    human_bytes,
    vault::{FileInfo, NewUpload, NewVersion, UploadCreated, UploadInfo, UploadList},
};
use futures_util::{Stream, StreamExt};
use object_store::PutPayload;
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

use super::{check_version, file_info, usage, NO_FILE_OR_UPLOAD};
use crate::{
    entities::{files, upload_parts, uploads},
    settings::{MAX_PARTS, MIN_PART_BYTES},
    storage::{is_hex_id, new_blob_id, PartLayout},
    Domain, DomainError,
};

fn layout_of(upload: &uploads::Model) -> PartLayout {
    PartLayout {
        total: upload.declared_size as u64,
        part_size: upload.part_size as u64,
    }
}

fn upload_info(u: uploads::Model, received_parts: Vec<u64>) -> UploadInfo {
    UploadInfo {
        upload_id: u.id,
        file_id: u.file_id,
        ciphertext_size: u.declared_size as u64,
        chunk_size: u.chunk_size as u32,
        part_size: u.part_size as u64,
        part_count: u.part_count as u64,
        received_parts,
        created_at: u.created_at,
        expires_at: u.expires_at,
    }
}

fn check_part_len(n: u64, got: u64, expected: u64) -> Result<(), DomainError> {
    use std::cmp::Ordering::*;
    match got.cmp(&expected) {
        Equal => Ok(()),
        Greater => Err(part_too_large(n, expected)),
        Less => Err(DomainError::invalid(format!(
            "Part {n} must be exactly {expected} bytes; {got} were sent."
        ))),
    }
}

fn part_too_large(n: u64, expected: u64) -> DomainError {
    DomainError::TooLarge(format!(
        "Part {n} must be exactly {expected} bytes; more were sent."
    ))
}

/// Reads a part's body, stopping as soon as it is longer than it may be. Holds at most one
/// part in memory.
async fn read_part<S, E>(body: &mut S, n: u64, expected: u64) -> Result<PutPayload, DomainError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut chunks = Vec::new();
    let mut got: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|_| DomainError::invalid(format!("Part {n} did not arrive completely.")))?;
        got += chunk.len() as u64;
        if got > expected {
            return Err(part_too_large(n, expected));
        }
        chunks.push(chunk);
    }
    check_part_len(n, got, expected)?;
    Ok(chunks.into_iter().collect())
}

/// Part 0 must begin with a Coffer header for this upload's chunk size and file id, so a
/// client bug cannot store content that no one could decrypt under this file's id.
fn check_header(payload: &PutPayload, upload: &uploads::Model) -> Result<(), DomainError> {
    let mut header = Vec::with_capacity(blob_len::STREAM_HEADER);
    for chunk in payload.iter() {
        let take = (blob_len::STREAM_HEADER - header.len()).min(chunk.len());
        header.extend_from_slice(&chunk[..take]);
        if header.len() == blob_len::STREAM_HEADER {
            break;
        }
    }
    let file_id = hex::decode(&upload.file_id)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .map(FileId::from_bytes);
    let ok = header_chunk_size(&header).ok() == Some(upload.chunk_size as u32)
        && file_id.is_some()
        && header_file_id(&header).ok() == file_id;
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "Part 0 must start with a Coffer header carrying this upload's chunk_size and file_id.",
        ))
    }
}

impl Domain {
    fn abandon_ms(&self) -> i64 {
        crate::ms(self.settings.vault.upload_abandon)
    }

    /// Declares a ciphertext and reserves its size against `owner`'s quota.
    pub async fn create_upload(
        &self,
        owner: i64,
        req: NewUpload,
    ) -> Result<UploadCreated, DomainError> {
        let limits = &self.settings.vault;
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&req.chunk_size) {
            return Err(DomainError::invalid(format!(
                "chunk_size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes."
            )));
        }
        if plaintext_len(req.ciphertext_size, req.chunk_size).is_none() {
            return Err(DomainError::invalid(
                "ciphertext_size is not the length of any Coffer ciphertext with this chunk_size.",
            ));
        }
        if req.ciphertext_size > limits.max_file_bytes {
            return Err(DomainError::TooLarge(format!(
                "This file is {} encrypted; files may be at most {}.",
                human_bytes(req.ciphertext_size),
                human_bytes(limits.max_file_bytes)
            )));
        }
        let part_size = req.part_size.unwrap_or(limits.max_part_bytes);
        if !(MIN_PART_BYTES..=limits.max_part_bytes).contains(&part_size) {
            return Err(DomainError::invalid(format!(
                "part_size must be between {MIN_PART_BYTES} and {} bytes.",
                limits.max_part_bytes
            )));
        }
        let layout = PartLayout {
            total: req.ciphertext_size,
            part_size,
        };
        if layout.count() > MAX_PARTS {
            return Err(DomainError::invalid(format!(
                "An upload has at most {MAX_PARTS} parts; choose a larger part_size."
            )));
        }
        let now = self.now_ms();
        // Sizes are below COFFER_MAX_FILE_BYTES, which the config keeps far below i64::MAX.
        let upload = uploads::ActiveModel {
            id: Set(new_blob_id()),
            file_id: Set(new_blob_id()),
            owner_id: Set(owner),
            declared_size: Set(req.ciphertext_size as i64),
            chunk_size: Set(req.chunk_size as i32),
            part_size: Set(part_size as i64),
            part_count: Set(layout.count() as i64),
            storage_key: Set(new_blob_id()),
            created_at: Set(now),
            expires_at: Set(now.saturating_add(self.abandon_ms())),
        };
        let txn = self.db.begin().await?;
        usage::reserve(&txn, owner, req.ciphertext_size, limits.user_quota_bytes).await?;
        let upload = upload.insert(&txn).await?;
        txn.commit().await?;
        Ok(UploadCreated {
            upload_id: upload.id,
            file_id: upload.file_id,
            part_size: upload.part_size as u64,
            part_count: upload.part_count as u64,
            expires_at: upload.expires_at,
        })
    }

    /// `owner`'s live upload with this id.
    async fn find_upload(&self, owner: i64, id: &str) -> Result<uploads::Model, DomainError> {
        if !is_hex_id(id) {
            return Err(DomainError::NotFound(NO_FILE_OR_UPLOAD));
        }
        uploads::Entity::find_by_id(id.to_string())
            .filter(uploads::Column::OwnerId.eq(owner))
            .filter(uploads::Column::ExpiresAt.gt(self.now_ms()))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound(NO_FILE_OR_UPLOAD))
    }

    /// Stores part `n` (as given in the path) of an upload from `body` (again, if re-sent).
    /// `declared_len` is the request's `Content-Length`, if any: a wrong one is refused before
    /// a byte is read. Reads at most the part's exact length and stops at the first byte more.
    pub async fn store_part<S, E>(
        &self,
        owner: i64,
        id: &str,
        n: &str,
        declared_len: Option<u64>,
        body: &mut S,
    ) -> Result<(), DomainError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let upload = self.find_upload(owner, id).await?;
        let layout = layout_of(&upload);
        let last = layout.count() - 1;
        let no_such_part = || {
            DomainError::invalid(format!(
                "This upload has parts 0 to {last}; there is no part {n:?}."
            ))
        };
        let n: u64 = n.parse().map_err(|_| no_such_part())?;
        let expected = layout.len_of(n).ok_or_else(no_such_part)?;
        if let Some(len) = declared_len {
            check_part_len(n, len, expected)?;
        }
        // Held until the part is stored: what a burst of parts may keep in memory is bounded.
        let _held = self.part_buffers.hold(owner, expected)?;
        let payload = read_part(body, n, expected).await?;
        if n == 0 {
            check_header(&payload, &upload)?;
        }
        self.storage
            .put_part(&upload.storage_key, n, payload)
            .await
            .map_err(|e| DomainError::internal("vault: storing a part", e))?;
        upload_parts::Entity::insert(upload_parts::ActiveModel {
            upload_id: Set(upload.id.clone()),
            part_number: Set(n as i64),
            size: Set(expected as i64),
        })
        .on_conflict(
            OnConflict::columns([
                upload_parts::Column::UploadId,
                upload_parts::Column::PartNumber,
            ])
            .update_column(upload_parts::Column::Size)
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        uploads::Entity::update_many()
            .col_expr(
                uploads::Column::ExpiresAt,
                Expr::value(self.now_ms().saturating_add(self.abandon_ms())),
            )
            .filter(uploads::Column::Id.eq(upload.id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Turns a fully arrived upload into a file (version 1), atomically.
    pub async fn complete_upload(
        &self,
        owner: i64,
        id: &str,
        req: NewVersion,
    ) -> Result<FileInfo, DomainError> {
        let (version, number) = check_version(req)?;
        if number != 1 {
            return Err(DomainError::invalid("A new file starts at version 1."));
        }
        let upload = self.find_upload(owner, id).await?;
        let layout = layout_of(&upload);
        let arrived = upload_parts::Entity::find()
            .filter(upload_parts::Column::UploadId.eq(upload.id.clone()))
            .all(&self.db)
            .await?;
        let missing: Vec<u64> = (0..layout.count())
            .filter(|&n| {
                !arrived
                    .iter()
                    .any(|p| p.part_number as u64 == n && layout.len_of(n) == Some(p.size as u64))
            })
            .collect();
        let total: i64 = arrived.iter().map(|p| p.size).sum();
        if !missing.is_empty() || total != upload.declared_size {
            return Err(DomainError::Incomplete(missing));
        }

        let now = self.now_ms();
        let txn = self.db.begin().await?;
        // Deleting the upload row first makes a concurrent complete or cancel find nothing.
        let taken = uploads::Entity::delete_many()
            .filter(uploads::Column::Id.eq(upload.id.clone()))
            .filter(uploads::Column::OwnerId.eq(owner))
            .exec(&txn)
            .await?;
        if taken.rows_affected != 1 {
            return Err(DomainError::NotFound(NO_FILE_OR_UPLOAD));
        }
        upload_parts::Entity::delete_many()
            .filter(upload_parts::Column::UploadId.eq(upload.id.clone()))
            .exec(&txn)
            .await?;
        let file = files::ActiveModel {
            id: Set(upload.file_id),
            owner_id: Set(owner),
            ciphertext_size: Set(upload.declared_size),
            chunk_size: Set(upload.chunk_size),
            part_size: Set(upload.part_size),
            sealed_metadata: Set(version.sealed_metadata),
            wrapped_key: Set(version.key_slot),
            storage_key: Set(upload.storage_key),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            version_record: Set(Some(version.version_record)),
        }
        .insert(&txn)
        .await?;
        usage::adjust(&txn, owner, upload.declared_size, -upload.declared_size).await?;
        txn.commit().await?;
        Ok(file_info(file))
    }

    /// Removes an upload row, its part rows and its reservation, then its stored parts. Returns
    /// whether there was such an upload. Used by cancel and by the janitor.
    pub(crate) async fn discard_upload(
        &self,
        upload: &uploads::Model,
    ) -> Result<bool, DomainError> {
        let txn = self.db.begin().await?;
        let taken = uploads::Entity::delete_many()
            .filter(uploads::Column::Id.eq(upload.id.clone()))
            .exec(&txn)
            .await?;
        if taken.rows_affected != 1 {
            return Ok(false);
        }
        upload_parts::Entity::delete_many()
            .filter(upload_parts::Column::UploadId.eq(upload.id.clone()))
            .exec(&txn)
            .await?;
        usage::adjust(&txn, upload.owner_id, 0, -upload.declared_size).await?;
        txn.commit().await?;
        if let Err(e) = self.storage.delete_blob(&upload.storage_key).await {
            // The janitor deletes blobs that no row refers to.
            tracing::warn!(%e, "vault: could not delete a discarded upload's parts yet");
        }
        Ok(true)
    }

    /// Cancels one of `owner`'s uploads.
    pub async fn cancel_upload(&self, owner: i64, id: &str) -> Result<(), DomainError> {
        let upload = self.find_upload(owner, id).await?;
        if !self.discard_upload(&upload).await? {
            return Err(DomainError::NotFound(NO_FILE_OR_UPLOAD));
        }
        Ok(())
    }

    /// `owner`'s unfinished uploads, oldest first, with the parts that arrived.
    pub async fn list_uploads(&self, owner: i64) -> Result<UploadList, DomainError> {
        let live = uploads::Entity::find()
            .filter(uploads::Column::OwnerId.eq(owner))
            .filter(uploads::Column::ExpiresAt.gt(self.now_ms()))
            .order_by_asc(uploads::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let parts = upload_parts::Entity::find()
            .filter(upload_parts::Column::UploadId.is_in(live.iter().map(|u| u.id.clone())))
            .order_by_asc(upload_parts::Column::PartNumber)
            .all(&self.db)
            .await?;
        let uploads = live
            .into_iter()
            .map(|u| {
                let received = parts
                    .iter()
                    .filter(|p| p.upload_id == u.id)
                    .map(|p| p.part_number as u64)
                    .collect();
                upload_info(u, received)
            })
            .collect();
        Ok(UploadList { uploads })
    }
}
