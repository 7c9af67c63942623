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
const WRAPPED_KEY_LEN: usize = 114;
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
    wrapped_key: String,
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
    let row = grants::ActiveModel {
        file_id: Set(file.id),
        grantee_id: Set(grantee.id),
        granted_by: Set(owner),
        wrapped_key: Set(wrapped_key),
        created_at: Set(now),
        expires_at: Set(req.expires_at),
    };
    let inserted = grants::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([grants::Column::FileId, grants::Column::GranteeId])
                .update_columns([
                    grants::Column::GrantedBy,
                    grants::Column::WrappedKey,
                    grants::Column::CreatedAt,
                    grants::Column::ExpiresAt,
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
    let names = usernames(&state, rows.iter().map(|g| g.grantee_id)).await?;
    let mut list: Vec<GrantInfo> = rows
        .into_iter()
        .filter_map(|g| {
            Some(GrantInfo {
                grantee: names.get(&g.grantee_id)?.clone(),
                created_at: g.created_at,
                expires_at: g.expires_at,
            })
        })
        .collect();
    list.sort_by(|a, b| a.grantee.cmp(&b.grantee));
    Ok(Json(json!({ "grants": list })).into_response())
}

/// The (normalized) usernames of these users.
async fn usernames(
    state: &ServerState,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>, SharingError> {
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
        .map(|u| (u.id, u.username))
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
    owner: String,
    ciphertext_size: i64,
    chunk_size: i32,
    sealed_metadata: String,
    wrapped_key: String,
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
    let owners = usernames(&state, files.values().map(|f| f.owner_id)).await?;
    let list: Vec<SharedFile> = rows
        .into_iter()
        .filter_map(|g| {
            let file = files.get(&g.file_id)?;
            Some(SharedFile {
                id: file.id.clone(),
                owner: owners.get(&file.owner_id)?.clone(),
                ciphertext_size: file.ciphertext_size,
                chunk_size: file.chunk_size,
                sealed_metadata: b64::encode(&file.sealed_metadata),
                wrapped_key: b64::encode(&g.wrapped_key),
                shared_at: g.created_at,
                expires_at: g.expires_at,
            })
        })
        .collect();
    Ok(Json(json!({ "files": list })).into_response())
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
