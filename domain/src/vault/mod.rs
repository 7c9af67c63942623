//! The vault API: streamed, resumable uploads of ciphertext in numbered parts, and listing,
//! downloading, renaming and deleting files. Plain axum routes (not server functions) so
//! bodies stream; every route authenticates the caller (session cookie or bearer token) and
//! looks rows up by id *and* owner, so another user's id is the same 404 as a missing one.
//! The protocol is documented in docs/API.md.

mod error;
pub mod janitor;
mod usage;

use std::{ops::Range, sync::Arc};

use axum::{
    body::{Body, Bytes},
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use coffer_app::{
    backend::entities::{files, upload_parts, uploads},
    wire::b64,
};
use coffer_crypto::{
    blob_len, parse_header_len, plaintext_len, FileVersion, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE,
};
use futures_util::{StreamExt, TryStreamExt};
use object_store::PutPayload;
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::json;

pub use error::VaultError;
use usage::human;

use crate::{
    config::{VaultSettings, MAX_PARTS, MIN_PART_BYTES},
    storage::{is_hex_id, new_blob_id, PartLayout, Storage},
    ServerState,
};

/// Sealed metadata (blob 0x05) is 29 + 64·k bytes; the longest name and type fit in k = 21
/// (docs/CRYPTO.md §4 and §7).
const SEALED_METADATA_MIN: usize = 29 + 64;
const SEALED_METADATA_MAX: usize = 29 + 64 * 21;
/// Offsets in the 91-byte stream header (docs/CRYPTO.md §6.1).
const HEADER_LEN: usize = blob_len::STREAM_HEADER;
const HEADER_CHUNK_SIZE: Range<usize> = 7..11;
const HEADER_FILE_ID: Range<usize> = 43..59;

/// What the vault routes need besides the database: the blob store and the limits.
#[derive(Clone, Debug)]
pub struct Vault {
    pub storage: Storage,
    pub settings: Arc<VaultSettings>,
}

impl Vault {
    fn abandon_ms(&self) -> i64 {
        i64::try_from(self.settings.upload_abandon.as_millis()).unwrap_or(i64::MAX)
    }
}

/// The JSON routes; they sit under the API's 64 KiB body limit.
pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/uploads", post(create_upload).get(list_uploads))
        .route("/api/uploads/{id}/complete", post(complete_upload))
        .route("/api/uploads/{id}", axum::routing::delete(cancel_upload))
        .route("/api/files", get(list_files))
        .route("/api/files/{id}", axum::routing::delete(delete_file))
        .route("/api/files/{id}/metadata", put(rename_file))
        .route("/api/files/versions", post(put_versions))
        .route("/api/files/{id}/content", get(download))
}

/// The part upload route. It sits outside the API's 64 KiB body limit: the handler itself
/// reads at most one part (`COFFER_MAX_PART_BYTES`, or the upload's smaller part size) and
/// stops at the first byte too many.
pub fn part_routes() -> Router<ServerState> {
    Router::new().route("/api/uploads/{id}/parts/{n}", put(upload_part))
}

async fn caller(state: &ServerState, headers: &HeaderMap) -> Result<i64, VaultError> {
    state
        .app
        .authenticate(headers)
        .await
        .map(|c| c.user_id)
        .map_err(VaultError::Unauthenticated)
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, VaultError> {
    serde_json::from_slice(body).map_err(|e| {
        VaultError::invalid(format!(
            "The request body is not what this call takes: {e}."
        ))
    })
}

fn decode_blob(field: &str, text: &str) -> Result<Vec<u8>, VaultError> {
    b64::decode(text)
        .map_err(|_| VaultError::invalid(format!("{field} must be unpadded base64url.")))
}

/// Decodes `sealed_metadata` and checks it has the shape of a blob 0x05.
fn sealed_metadata_from(text: &str) -> Result<Vec<u8>, VaultError> {
    let bytes = decode_blob("sealed_metadata", text)?;
    check_sealed_metadata(&bytes)?;
    Ok(bytes)
}

fn check_sealed_metadata(bytes: &[u8]) -> Result<(), VaultError> {
    let ok = bytes.first() == Some(&0x05)
        && (SEALED_METADATA_MIN..=SEALED_METADATA_MAX).contains(&bytes.len())
        && (bytes.len() - 29).is_multiple_of(64);
    if ok {
        Ok(())
    } else {
        Err(VaultError::invalid(
            "sealed_metadata is not a Coffer metadata blob (type 0x05, 29 + 64·k bytes, k = 1..21).",
        ))
    }
}

/// Decodes and checks the shape of a new version: an owner key slot (blob 0x08) and a version
/// record (blob 0x09). Only the owner's browser can tell whether they are genuine; the server
/// checks the layout and reads the version number to keep versions in order.
fn new_version(
    key_slot: &str,
    version_record: &str,
) -> Result<(Vec<u8>, Vec<u8>, u64), VaultError> {
    let key_slot = decode_blob("key_slot", key_slot)?;
    if key_slot.len() != blob_len::SEALED_KEY || key_slot[0] != 0x08 {
        return Err(VaultError::invalid(
            "key_slot is not a Coffer owner key slot (type 0x08, 61 bytes).",
        ));
    }
    let version_record = decode_blob("version_record", version_record)?;
    let version = FileVersion::read_unverified(&version_record).map_err(|_| {
        VaultError::invalid("version_record is not a Coffer version record (type 0x09, 106 bytes).")
    })?;
    Ok((key_slot, version_record, version.number))
}

fn layout_of(upload: &uploads::Model) -> PartLayout {
    PartLayout {
        total: upload.declared_size as u64,
        part_size: upload.part_size as u64,
    }
}

// ---------------------------------------------------------------------------------------------
// Uploads

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUpload {
    ciphertext_size: u64,
    chunk_size: u32,
    #[serde(default)]
    part_size: Option<u64>,
}

/// `POST /api/uploads`: declares a ciphertext and reserves its size against the quota.
async fn create_upload(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let req: NewUpload = parse_json(&body)?;
    let limits = &state.vault.settings;
    if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&req.chunk_size) {
        return Err(VaultError::invalid(format!(
            "chunk_size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes."
        )));
    }
    if plaintext_len(req.ciphertext_size, req.chunk_size).is_none() {
        return Err(VaultError::invalid(
            "ciphertext_size is not the length of any Coffer ciphertext with this chunk_size.",
        ));
    }
    if req.ciphertext_size > limits.max_file_bytes {
        return Err(VaultError::TooLarge(format!(
            "This file is {} encrypted; files may be at most {}.",
            human(req.ciphertext_size),
            human(limits.max_file_bytes)
        )));
    }
    let part_size = req.part_size.unwrap_or(limits.max_part_bytes);
    if !(MIN_PART_BYTES..=limits.max_part_bytes).contains(&part_size) {
        return Err(VaultError::invalid(format!(
            "part_size must be between {MIN_PART_BYTES} and {} bytes.",
            limits.max_part_bytes
        )));
    }
    let layout = PartLayout {
        total: req.ciphertext_size,
        part_size,
    };
    if layout.count() > MAX_PARTS {
        return Err(VaultError::invalid(format!(
            "An upload has at most {MAX_PARTS} parts; choose a larger part_size."
        )));
    }
    let now = state.app.now_ms();
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
        expires_at: Set(now.saturating_add(state.vault.abandon_ms())),
    };
    let txn = state.app.db.begin().await?;
    usage::reserve(&txn, owner, req.ciphertext_size, limits.user_quota_bytes).await?;
    let upload = upload.insert(&txn).await?;
    txn.commit().await?;
    let body = json!({
        "upload_id": upload.id,
        "file_id": upload.file_id,
        "part_size": upload.part_size,
        "part_count": upload.part_count,
        "expires_at": upload.expires_at,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The caller's live upload with this id.
async fn find_upload(
    state: &ServerState,
    owner: i64,
    id: &str,
) -> Result<uploads::Model, VaultError> {
    if !is_hex_id(id) {
        return Err(VaultError::NotFound);
    }
    uploads::Entity::find_by_id(id.to_string())
        .filter(uploads::Column::OwnerId.eq(owner))
        .filter(uploads::Column::ExpiresAt.gt(state.app.now_ms()))
        .one(&state.app.db)
        .await?
        .ok_or(VaultError::NotFound)
}

/// `PUT /api/uploads/{id}/parts/{n}`: stores one part (again, if re-sent).
async fn upload_part(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, String)>,
    body: Body,
) -> Response {
    let mut body = body.into_data_stream();
    match store_part(&state, &headers, &id, &n, &mut body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            drain(&mut body, state.vault.settings.max_part_bytes).await;
            e.into_response()
        }
    }
}

/// Reads and drops what is left of a refused body (up to `limit` bytes, for a few seconds),
/// so the client is still reading when the error arrives: closing a connection with unread
/// data makes the TCP stack reset it, and the client would see a network error instead.
async fn drain(body: &mut BodyStream, limit: u64) {
    let mut left = limit;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(chunk)) = body.next().await {
            left = left.saturating_sub(chunk.len() as u64);
            if left == 0 {
                break;
            }
        }
    })
    .await;
}

type BodyStream = axum::body::BodyDataStream;

async fn store_part(
    state: &ServerState,
    headers: &HeaderMap,
    id: &str,
    n: &str,
    body: &mut BodyStream,
) -> Result<(), VaultError> {
    let owner = caller(state, headers).await?;
    let upload = find_upload(state, owner, id).await?;
    let layout = layout_of(&upload);
    let last = layout.count() - 1;
    let no_such_part = || {
        VaultError::invalid(format!(
            "This upload has parts 0 to {last}; there is no part {n:?}."
        ))
    };
    let n: u64 = n.parse().map_err(|_| no_such_part())?;
    let expected = layout.len_of(n).ok_or_else(no_such_part)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared {
        check_part_len(n, len, expected)?;
    }
    let payload = read_part(body, n, expected).await?;
    if n == 0 {
        check_header(&payload, &upload)?;
    }
    state
        .vault
        .storage
        .put_part(&upload.storage_key, n, payload)
        .await
        .map_err(|e| VaultError::internal("storing a part", e))?;
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
    .exec_without_returning(&state.app.db)
    .await?;
    uploads::Entity::update_many()
        .col_expr(
            uploads::Column::ExpiresAt,
            Expr::value(state.app.now_ms().saturating_add(state.vault.abandon_ms())),
        )
        .filter(uploads::Column::Id.eq(upload.id))
        .exec(&state.app.db)
        .await?;
    Ok(())
}

fn check_part_len(n: u64, got: u64, expected: u64) -> Result<(), VaultError> {
    use std::cmp::Ordering::*;
    match got.cmp(&expected) {
        Equal => Ok(()),
        Greater => Err(part_too_large(n, expected)),
        Less => Err(VaultError::invalid(format!(
            "Part {n} must be exactly {expected} bytes; {got} were sent."
        ))),
    }
}

fn part_too_large(n: u64, expected: u64) -> VaultError {
    VaultError::TooLarge(format!(
        "Part {n} must be exactly {expected} bytes; more were sent."
    ))
}

/// Reads a part's body, stopping as soon as it is longer than it may be. Holds at most one
/// part in memory.
async fn read_part(body: &mut BodyStream, n: u64, expected: u64) -> Result<PutPayload, VaultError> {
    let mut chunks = Vec::new();
    let mut got: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|_| VaultError::invalid(format!("Part {n} did not arrive completely.")))?;
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
fn check_header(payload: &PutPayload, upload: &uploads::Model) -> Result<(), VaultError> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    for chunk in payload.iter() {
        let take = (HEADER_LEN - header.len()).min(chunk.len());
        header.extend_from_slice(&chunk[..take]);
        if header.len() == HEADER_LEN {
            break;
        }
    }
    let file_id = hex::decode(&upload.file_id).unwrap_or_default();
    let ok = parse_header_len(&header) == Ok(HEADER_LEN)
        && header.len() == HEADER_LEN
        && header[HEADER_CHUNK_SIZE] == (upload.chunk_size as u32).to_be_bytes()
        && header[HEADER_FILE_ID] == file_id[..];
    if ok {
        Ok(())
    } else {
        Err(VaultError::invalid(
            "Part 0 must start with a Coffer header carrying this upload's chunk_size and file_id.",
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Completion {
    sealed_metadata: String,
    key_slot: String,
    version_record: String,
}

/// `POST /api/uploads/{id}/complete`: turns a fully arrived upload into a file, atomically.
async fn complete_upload(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let req: Completion = parse_json(&body)?;
    let sealed_metadata = sealed_metadata_from(&req.sealed_metadata)?;
    let (key_slot, version_record, version) = new_version(&req.key_slot, &req.version_record)?;
    if version != 1 {
        return Err(VaultError::invalid("A new file starts at version 1."));
    }
    let upload = find_upload(&state, owner, &id).await?;
    let layout = layout_of(&upload);
    let arrived = upload_parts::Entity::find()
        .filter(upload_parts::Column::UploadId.eq(upload.id.clone()))
        .all(&state.app.db)
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
        return Err(VaultError::Incomplete(missing));
    }

    let now = state.app.now_ms();
    let txn = state.app.db.begin().await?;
    // Deleting the upload row first makes a concurrent complete or cancel find nothing.
    let taken = uploads::Entity::delete_many()
        .filter(uploads::Column::Id.eq(upload.id.clone()))
        .filter(uploads::Column::OwnerId.eq(owner))
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(VaultError::NotFound);
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
        sealed_metadata: Set(sealed_metadata),
        wrapped_key: Set(key_slot),
        storage_key: Set(upload.storage_key),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        version_record: Set(Some(version_record)),
    }
    .insert(&txn)
    .await?;
    usage::adjust(&txn, owner, upload.declared_size, -upload.declared_size).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(FileInfo::from(file))).into_response())
}

/// Removes an upload row, its part rows and its reservation, then its stored parts. Returns
/// whether there was such an upload. Used by cancel and by the janitor.
pub(crate) async fn discard_upload(
    db: &DatabaseConnection,
    storage: &Storage,
    upload: &uploads::Model,
) -> Result<bool, VaultError> {
    let txn = db.begin().await?;
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
    if let Err(e) = storage.delete_blob(&upload.storage_key).await {
        // The janitor deletes blobs that no row refers to.
        tracing::warn!(%e, "vault: could not delete a discarded upload's parts yet");
    }
    Ok(true)
}

/// `DELETE /api/uploads/{id}`: cancels an upload.
async fn cancel_upload(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let upload = find_upload(&state, owner, &id).await?;
    if !discard_upload(&state.app.db, &state.vault.storage, &upload).await? {
        return Err(VaultError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize)]
struct UploadInfo {
    upload_id: String,
    file_id: String,
    ciphertext_size: i64,
    chunk_size: i32,
    part_size: i64,
    part_count: i64,
    received_parts: Vec<i64>,
    created_at: i64,
    expires_at: i64,
}

/// `GET /api/uploads`: the caller's unfinished uploads, with the parts that arrived.
async fn list_uploads(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let live = uploads::Entity::find()
        .filter(uploads::Column::OwnerId.eq(owner))
        .filter(uploads::Column::ExpiresAt.gt(state.app.now_ms()))
        .order_by_asc(uploads::Column::CreatedAt)
        .all(&state.app.db)
        .await?;
    let parts = upload_parts::Entity::find()
        .filter(upload_parts::Column::UploadId.is_in(live.iter().map(|u| u.id.clone())))
        .order_by_asc(upload_parts::Column::PartNumber)
        .all(&state.app.db)
        .await?;
    let uploads: Vec<UploadInfo> = live
        .into_iter()
        .map(|u| UploadInfo {
            received_parts: parts
                .iter()
                .filter(|p| p.upload_id == u.id)
                .map(|p| p.part_number)
                .collect(),
            upload_id: u.id,
            file_id: u.file_id,
            ciphertext_size: u.declared_size,
            chunk_size: u.chunk_size,
            part_size: u.part_size,
            part_count: u.part_count,
            created_at: u.created_at,
            expires_at: u.expires_at,
        })
        .collect();
    Ok(Json(json!({ "uploads": uploads })).into_response())
}

// ---------------------------------------------------------------------------------------------
// Files

#[derive(Serialize)]
struct FileInfo {
    id: String,
    ciphertext_size: i64,
    chunk_size: i32,
    sealed_metadata: String,
    key_slot: String,
    version_record: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<files::Model> for FileInfo {
    fn from(f: files::Model) -> Self {
        FileInfo {
            id: f.id,
            ciphertext_size: f.ciphertext_size,
            chunk_size: f.chunk_size,
            sealed_metadata: b64::encode(&f.sealed_metadata),
            key_slot: b64::encode(&f.wrapped_key),
            version_record: f.version_record.as_deref().map(b64::encode),
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

async fn find_file(state: &ServerState, owner: i64, id: &str) -> Result<files::Model, VaultError> {
    if !is_hex_id(id) {
        return Err(VaultError::NotFound);
    }
    files::Entity::find_by_id(id.to_string())
        .filter(files::Column::OwnerId.eq(owner))
        .one(&state.app.db)
        .await?
        .ok_or(VaultError::NotFound)
}

/// `GET /api/files`: the caller's files and their usage.
async fn list_files(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let rows = files::Entity::find()
        .filter(files::Column::OwnerId.eq(owner))
        .order_by_desc(files::Column::CreatedAt)
        .order_by_asc(files::Column::Id)
        .all(&state.app.db)
        .await?;
    let used = usage::usage_of(&state.app.db, owner).await?;
    let files: Vec<FileInfo> = rows.into_iter().map(FileInfo::from).collect();
    Ok(Json(json!({
        "files": files,
        "usage": {
            "stored_bytes": used.stored,
            "reserved_bytes": used.reserved,
            "quota_bytes": state.vault.settings.user_quota_bytes,
            "max_file_bytes": state.vault.settings.max_file_bytes,
        },
    }))
    .into_response())
}

/// `GET /api/files/{id}/content`: streams the ciphertext (or one byte range of it).
async fn download(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let file = find_file(&state, owner, &id).await?;
    content_response(&state, &headers, &file, Delivery::Ranged)
}

/// How [`content_response`] serves a file's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The owner's (or a grantee's) download: `Range` honoured, `private, no-store`.
    Ranged,
    /// A share-link download: always the whole file (`Range` ignored), `no-store`.
    Whole,
}

/// The response that streams `file`'s ciphertext from storage, part by part. The caller has
/// already checked that the requester may read it.
pub(crate) fn content_response(
    state: &ServerState,
    headers: &HeaderMap,
    file: &files::Model,
    delivery: Delivery,
) -> Result<Response, VaultError> {
    let size = file.ciphertext_size as u64;
    let layout = PartLayout {
        total: size,
        part_size: file.part_size as u64,
    };
    let requested = match delivery {
        Delivery::Ranged => requested_range(headers, size)?,
        Delivery::Whole => None,
    };
    let range = requested.clone().unwrap_or(0..size);
    let file_id = file.id.clone();
    let stream = state
        .vault
        .storage
        .read(&file.storage_key, layout, range.clone())
        .map_err(move |e| {
            tracing::error!(%e, file = %file_id, "vault: reading stored content failed");
            std::io::Error::other("storage read failed")
        });
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(h, header::CONTENT_TYPE, "application/octet-stream".into());
    set(
        h,
        header::CONTENT_LENGTH,
        (range.end - range.start).to_string(),
    );
    let (accept_ranges, cache_control) = match delivery {
        Delivery::Ranged => ("bytes", "private, no-store"),
        Delivery::Whole => ("none", "no-store"),
    };
    set(h, header::ACCEPT_RANGES, accept_ranges.into());
    set(h, header::CACHE_CONTROL, cache_control.into());
    set(
        h,
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{}.coffer\"", file.id),
    );
    if requested.is_some() {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(
            res.headers_mut(),
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", range.start, range.end - 1),
        );
    }
    Ok(res)
}

/// One `bytes=` range, resolved against `size`. Anything this server does not do (several
/// ranges, other units, syntax errors) is ignored, which RFC 9110 allows: the whole file is sent.
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<Range<u64>>, VaultError> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let unsatisfiable = VaultError::RangeNotSatisfiable { size };
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 {
            return Err(unsatisfiable);
        }
        size.saturating_sub(suffix)..size
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Ok(None);
        };
        let end = if last.is_empty() {
            size
        } else {
            match last.parse::<u64>() {
                Ok(l) if l >= start => l.saturating_add(1).min(size),
                _ => return Ok(None),
            }
        };
        if start >= size {
            return Err(unsatisfiable);
        }
        start..end
    };
    Ok(Some(range))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVersion {
    sealed_metadata: String,
    key_slot: String,
    version_record: String,
}

/// Most versions one `POST /api/files/versions` may carry.
const MAX_VERSIONS_PER_REQUEST: usize = 100;

/// Stores the next version of one of `owner`'s files: its metadata, owner key slot and version
/// record, only if the record's number is one more than the stored one (so two tabs cannot
/// overwrite each other's renames, and an old version cannot be put back through this route).
async fn put_version(
    state: &ServerState,
    owner: i64,
    id: &str,
    req: &NewVersion,
) -> Result<files::Model, VaultError> {
    let sealed_metadata = sealed_metadata_from(&req.sealed_metadata)?;
    let (key_slot, version_record, number) = new_version(&req.key_slot, &req.version_record)?;
    let file = find_file(state, owner, id).await?;
    let next = i64::try_from(number).map_err(|_| VaultError::VersionConflict)?;
    if next != file.version.saturating_add(1) {
        return Err(VaultError::VersionConflict);
    }
    let now = state.app.now_ms();
    let updated = files::Entity::update_many()
        .col_expr(files::Column::SealedMetadata, Expr::value(sealed_metadata))
        .col_expr(files::Column::WrappedKey, Expr::value(key_slot))
        .col_expr(
            files::Column::VersionRecord,
            Expr::value(Some(version_record)),
        )
        .col_expr(files::Column::Version, Expr::value(next))
        .col_expr(files::Column::UpdatedAt, Expr::value(now))
        .filter(files::Column::Id.eq(file.id.clone()))
        .filter(files::Column::OwnerId.eq(owner))
        .filter(files::Column::Version.eq(file.version))
        .exec(&state.app.db)
        .await?;
    if updated.rows_affected != 1 {
        return Err(VaultError::VersionConflict);
    }
    find_file(state, owner, id).await
}

/// `PUT /api/files/{id}/metadata`: the next version of a file, made in the browser (a rename,
/// or the upgrade of a v1 file to its first signed version).
async fn rename_file(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let req: NewVersion = parse_json(&body)?;
    let file = put_version(&state, owner, &id, &req).await?;
    Ok(Json(FileInfo::from(file)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionBatch {
    versions: Vec<IdentifiedVersion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifiedVersion {
    id: String,
    #[serde(flatten)]
    version: NewVersion,
}

/// `POST /api/files/versions`: several next versions at once (the browser's upgrade of a vault's
/// v1 files). Each is applied on its own, as `PUT …/metadata` would; the answer says for each
/// id whether it was `stored`, a `conflict` (changed meanwhile) or `not_found`.
async fn put_versions(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let batch: VersionBatch = parse_json(&body)?;
    if batch.versions.len() > MAX_VERSIONS_PER_REQUEST {
        return Err(VaultError::invalid(format!(
            "At most {MAX_VERSIONS_PER_REQUEST} versions per request."
        )));
    }
    // Every item's shape first: a malformed batch changes nothing.
    for item in &batch.versions {
        sealed_metadata_from(&item.version.sealed_metadata)?;
        new_version(&item.version.key_slot, &item.version.version_record)?;
    }
    let mut results = Vec::with_capacity(batch.versions.len());
    for item in &batch.versions {
        let status = match put_version(&state, owner, &item.id, &item.version).await {
            Ok(_) => "stored",
            Err(VaultError::VersionConflict) => "conflict",
            Err(VaultError::NotFound) => "not_found",
            Err(e) => return Err(e),
        };
        results.push(json!({ "id": item.id, "status": status }));
    }
    Ok(Json(json!({ "results": results })).into_response())
}

/// `DELETE /api/files/{id}`: removes the row (and the usage) first, then the content; if the
/// second step fails the janitor finishes it.
async fn delete_file(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, VaultError> {
    let owner = caller(&state, &headers).await?;
    let file = find_file(&state, owner, &id).await?;
    let txn = state.app.db.begin().await?;
    // Its grants and links go with it (the foreign keys cascade too; this does not rely on it).
    crate::sharing::forget_file(&txn, &file.id).await?;
    let taken = files::Entity::delete_many()
        .filter(files::Column::Id.eq(file.id.clone()))
        .filter(files::Column::OwnerId.eq(owner))
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(VaultError::NotFound);
    }
    usage::adjust(&txn, owner, -file.ciphertext_size, 0).await?;
    txn.commit().await?;
    if let Err(e) = state.vault.storage.delete_blob(&file.storage_key).await {
        tracing::warn!(%e, "vault: could not delete a deleted file's content yet");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> Result<Option<Range<u64>>, VaultError> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        requested_range(&h, size)
    }

    #[test]
    fn byte_ranges_resolve_against_the_size() {
        assert_eq!(range("bytes=0-9", 100).unwrap(), Some(0..10));
        assert_eq!(range("bytes=90-", 100).unwrap(), Some(90..100));
        assert_eq!(range("bytes=-10", 100).unwrap(), Some(90..100));
        assert_eq!(range("bytes=-1000", 100).unwrap(), Some(0..100));
        assert_eq!(range("bytes=95-1000", 100).unwrap(), Some(95..100));
    }

    #[test]
    fn ranges_outside_the_file_are_unsatisfiable_and_odd_ones_ignored() {
        assert!(matches!(
            range("bytes=100-", 100),
            Err(VaultError::RangeNotSatisfiable { size: 100 })
        ));
        assert!(range("bytes=-0", 100).is_err());
        assert_eq!(range("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(range("items=0-1", 100).unwrap(), None);
        assert_eq!(range("bytes=9-3", 100).unwrap(), None);
        assert_eq!(range("bytes=x-", 100).unwrap(), None);
    }
}
