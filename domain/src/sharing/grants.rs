//! Sharing with other users: public-key lookup, grants (owner side) and the files shared with
//! the caller (grantee side), whose content streams through the vault's download code.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_app::{
    backend::entities::{files, grants, users},
    wire::b64,
};
use coffer_crypto::blob_len;
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    SqlErr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    caller, check_expiry, decode_blob, find_own_file, find_user, live_grant, parse_json,
    SharingError, NO_FILE, NO_USER,
};
use crate::{
    storage::is_hex_id,
    vault::{content_response, Delivery},
    ServerState,
};

/// A wrapped file key (blob 0x04) is exactly 114 bytes (docs/CRYPTO.md §5).
const WRAPPED_KEY_LEN: usize = blob_len::WRAPPED_FILE_KEY;
const NO_GRANT: &str = "This file is not shared with that user.";
const NO_SHARE: &str = "There is no such file shared with you.";

/// `GET /api/users/{username}/key`: a user's public key, to wrap a file key to.
pub(super) async fn user_key(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Result<Response, SharingError> {
    caller(&state, &headers).await?;
    let user = find_user(&state, &username)
        .await?
        .ok_or(SharingError::NotFound(NO_USER))?;
    Ok(Json(json!({
        "username": user.username,
        "public_key": b64::encode(&user.public_key),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGrant {
    grantee: String,
    /// The grantee public key the browser wrapped to and signed for.
    grantee_key: String,
    wrapped_key: String,
    /// Blob 0x0D: the sharer's signature over (file, grantee key, wrapped key, expiry).
    signature: String,
    #[serde(default)]
    expires_at: Option<i64>,
}

#[derive(Serialize)]
struct GrantInfo {
    grantee: String,
    created_at: i64,
    expires_at: Option<i64>,
}

/// `POST /api/files/{id}/grants`: shares the caller's file with another user, or replaces the
/// wrapped key and expiry of an existing grant.
pub(super) async fn create(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let req: NewGrant = parse_json(&body)?;
    let wrapped_key = decode_blob("wrapped_key", &req.wrapped_key)?;
    if wrapped_key.len() != WRAPPED_KEY_LEN || wrapped_key[0] != 0x04 {
        return Err(SharingError::invalid(
            "wrapped_key is not a Coffer wrapped file key (type 0x04, 114 bytes).",
        ));
    }
    let signature = decode_blob("signature", &req.signature)?;
    if signature.len() != blob_len::GRANT_SIGNATURE || signature[0] != 0x0D {
        return Err(SharingError::invalid(
            "signature is not a Coffer grant signature (type 0x0D, 65 bytes).",
        ));
    }
    let grantee_key = decode_blob("grantee_key", &req.grantee_key)?;
    if grantee_key.len() != 65 || grantee_key[0] != 0x04 {
        return Err(SharingError::invalid(
            "grantee_key is not a P-256 public key (65 bytes, uncompressed).",
        ));
    }
    let now = state.app.now_ms();
    check_expiry(req.expires_at, now, None)?;
    let file = find_own_file(&state, owner, &id).await?;
    let grantee = find_user(&state, &req.grantee)
        .await?
        .ok_or(SharingError::NotFound(NO_USER))?;
    if grantee.id == owner {
        return Err(SharingError::invalid(
            "You cannot share a file with yourself.",
        ));
    }
    if grantee_key != grantee.public_key {
        return Err(SharingError::Conflict(
            "This user's key is not the one the file was wrapped to. Look them up again.".into(),
        ));
    }
    let row = grants::ActiveModel {
        file_id: Set(file.id),
        grantee_id: Set(grantee.id),
        granted_by: Set(owner),
        wrapped_key: Set(wrapped_key),
        created_at: Set(now),
        expires_at: Set(req.expires_at),
        signature: Set(Some(signature)),
        grantee_key: Set(Some(grantee_key)),
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
        .exec_without_returning(&state.app.db)
        .await;
    match inserted {
        Ok(_) => {}
        // The file was deleted in the meantime.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
            return Err(SharingError::NotFound(NO_FILE))
        }
        Err(e) => return Err(e.into()),
    }
    let info = GrantInfo {
        grantee: grantee.username,
        created_at: now,
        expires_at: req.expires_at,
    };
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

/// `GET /api/files/{id}/grants`: who the caller's file is shared with (live grants), by name.
pub(super) async fn list(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let file = find_own_file(&state, owner, &id).await?;
    let rows = grants::Entity::find()
        .filter(grants::Column::FileId.eq(file.id))
        .filter(live_grant(state.app.now_ms()))
        .all(&state.app.db)
        .await?;
    let names = users_by_id(&state, rows.iter().map(|g| g.grantee_id)).await?;
    let mut list: Vec<GrantInfo> = rows
        .into_iter()
        .filter_map(|g| {
            Some(GrantInfo {
                grantee: names.get(&g.grantee_id)?.username.clone(),
                created_at: g.created_at,
                expires_at: g.expires_at,
            })
        })
        .collect();
    list.sort_by(|a, b| a.grantee.cmp(&b.grantee));
    Ok(Json(json!({ "grants": list })).into_response())
}

/// These users, by id.
async fn users_by_id(
    state: &ServerState,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, users::Model>, SharingError> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(&state.app.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

/// `DELETE /api/files/{id}/grants/{grantee}`: revokes a grant.
pub(super) async fn revoke(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path((id, grantee)): Path<(String, String)>,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let file = find_own_file(&state, owner, &id).await?;
    let grantee = find_user(&state, &grantee)
        .await?
        .ok_or(SharingError::NotFound(NO_GRANT))?;
    let taken = grants::Entity::delete_many()
        .filter(grants::Column::FileId.eq(file.id))
        .filter(grants::Column::GranteeId.eq(grantee.id))
        .filter(live_grant(state.app.now_ms()))
        .exec(&state.app.db)
        .await?;
    if taken.rows_affected == 0 {
        return Err(SharingError::NotFound(NO_GRANT));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize)]
struct SharedFile {
    id: String,
    /// Who made the grant (today always the file's owner), by name and current public key.
    sharer: String,
    sharer_public_key: String,
    ciphertext_size: i64,
    chunk_size: i32,
    sealed_metadata: String,
    /// Blob 0x09, signed by the owner; `None` for a v1 file its owner has not upgraded.
    version_record: Option<String>,
    wrapped_key: String,
    /// Blob 0x0D; `None` for a v1 grant.
    grant_signature: Option<String>,
    shared_at: i64,
    expires_at: Option<i64>,
}

/// `GET /api/shared`: the files others shared with the caller (live grants), newest first.
pub(super) async fn shared_with_me(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, SharingError> {
    let me = caller(&state, &headers).await?;
    let rows = grants::Entity::find()
        .filter(grants::Column::GranteeId.eq(me))
        .filter(live_grant(state.app.now_ms()))
        .order_by_desc(grants::Column::CreatedAt)
        .order_by_asc(grants::Column::FileId)
        .all(&state.app.db)
        .await?;
    let files: HashMap<String, files::Model> = if rows.is_empty() {
        HashMap::new()
    } else {
        files::Entity::find()
            .filter(files::Column::Id.is_in(rows.iter().map(|g| g.file_id.clone())))
            .all(&state.app.db)
            .await?
            .into_iter()
            .map(|f| (f.id.clone(), f))
            .collect()
    };
    let sharers = users_by_id(&state, rows.iter().map(|g| g.granted_by)).await?;
    let list: Vec<SharedFile> = rows
        .into_iter()
        .filter_map(|g| {
            let file = files.get(&g.file_id)?;
            let sharer = sharers.get(&g.granted_by)?;
            Some(SharedFile {
                id: file.id.clone(),
                sharer: sharer.username.clone(),
                sharer_public_key: b64::encode(&sharer.public_key),
                ciphertext_size: file.ciphertext_size,
                chunk_size: file.chunk_size,
                sealed_metadata: b64::encode(&file.sealed_metadata),
                version_record: file.version_record.as_deref().map(b64::encode),
                wrapped_key: b64::encode(&g.wrapped_key),
                grant_signature: g.signature.as_deref().map(b64::encode),
                shared_at: g.created_at,
                expires_at: g.expires_at,
            })
        })
        .collect();
    Ok(Json(json!({ "files": list })).into_response())
}

#[derive(Serialize)]
struct OutgoingGrant {
    file_id: String,
    grantee: String,
    /// The grantee's public key now.
    grantee_public_key: String,
    /// The key the grant was made for (`None` for a v1 grant).
    granted_key: Option<String>,
    wrapped_key: String,
    signature: Option<String>,
    created_at: i64,
    expires_at: Option<i64>,
}

/// `GET /api/grants`: every live grant the caller made, with the key each was made for and the
/// grantee's key now, so the caller's browser can re-sign v1 grants and notice changed keys.
pub(super) async fn outgoing(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, SharingError> {
    let me = caller(&state, &headers).await?;
    let rows = grants::Entity::find()
        .filter(grants::Column::GrantedBy.eq(me))
        .filter(live_grant(state.app.now_ms()))
        .order_by_asc(grants::Column::FileId)
        .order_by_asc(grants::Column::GranteeId)
        .all(&state.app.db)
        .await?;
    let grantees = users_by_id(&state, rows.iter().map(|g| g.grantee_id)).await?;
    let list: Vec<OutgoingGrant> = rows
        .into_iter()
        .filter_map(|g| {
            let grantee = grantees.get(&g.grantee_id)?;
            Some(OutgoingGrant {
                file_id: g.file_id,
                grantee: grantee.username.clone(),
                grantee_public_key: b64::encode(&grantee.public_key),
                granted_key: g.grantee_key.as_deref().map(b64::encode),
                wrapped_key: b64::encode(&g.wrapped_key),
                signature: g.signature.as_deref().map(b64::encode),
                created_at: g.created_at,
                expires_at: g.expires_at,
            })
        })
        .collect();
    Ok(Json(json!({ "grants": list })).into_response())
}

/// The caller's live grant for this file id.
async fn find_grant(state: &ServerState, me: i64, id: &str) -> Result<grants::Model, SharingError> {
    if !is_hex_id(id) {
        return Err(SharingError::NotFound(NO_SHARE));
    }
    grants::Entity::find_by_id((id.to_string(), me))
        .filter(live_grant(state.app.now_ms()))
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::NotFound(NO_SHARE))
}

/// `GET /api/shared/{id}/content` (and `HEAD`): a shared file's ciphertext, exactly like the
/// owner's download (ranges included).
pub(super) async fn content(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, SharingError> {
    let me = caller(&state, &headers).await?;
    let grant = find_grant(&state, me, &id).await?;
    let file = files::Entity::find_by_id(grant.file_id)
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::NotFound(NO_SHARE))?;
    Ok(content_response(&state, &headers, &file, Delivery::Ranged)?)
}

/// `DELETE /api/shared/{id}`: the grantee drops a file shared with them (deletes their grant).
pub(super) async fn leave(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, SharingError> {
    let me = caller(&state, &headers).await?;
    let grant = find_grant(&state, me, &id).await?;
    let taken = grants::Entity::delete_many()
        .filter(grants::Column::FileId.eq(grant.file_id))
        .filter(grants::Column::GranteeId.eq(me))
        .exec(&state.app.db)
        .await?;
    if taken.rows_affected == 0 {
        return Err(SharingError::NotFound(NO_SHARE));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
