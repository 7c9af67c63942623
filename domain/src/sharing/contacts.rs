//! Contacts: the key-pinning records a user's browser seals under their account key (blob 0x07)
//! and keeps here. To the server they are opaque blobs per (owner, contact username).

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_app::{backend::entities::contacts, validation, wire::b64};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{caller, decode_blob, parse_json, SharingError};
use crate::ServerState;

/// Largest sealed record accepted (a real one is 95 bytes).
const MAX_SEALED_LEN: usize = 512;
/// The most contacts one user may keep.
const MAX_CONTACTS: u64 = 1000;
const NO_CONTACT: &str = "There is no such contact.";

#[derive(Serialize)]
struct ContactRecord {
    username: String,
    sealed: String,
    updated_at: i64,
}

/// `GET /api/contacts`: the caller's sealed contact records, by username.
pub(super) async fn list(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let rows = contacts::Entity::find()
        .filter(contacts::Column::OwnerId.eq(owner))
        .order_by_asc(contacts::Column::ContactUsername)
        .all(&state.app.db)
        .await?;
    let list: Vec<ContactRecord> = rows
        .into_iter()
        .map(|c| ContactRecord {
            username: c.contact_username,
            sealed: b64::encode(&c.sealed),
            updated_at: c.updated_at,
        })
        .collect();
    Ok(Json(json!({ "contacts": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutContact {
    sealed: String,
}

/// `PUT /api/contacts/{username}`: stores (or replaces) the record for `username`, which must be
/// a valid username but need not belong to anyone.
pub(super) async fn put(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(username): Path<String>,
    body: Bytes,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let username = validation::normalize_username(&username).map_err(SharingError::Invalid)?;
    let req: PutContact = parse_json(&body)?;
    let sealed = decode_blob("sealed", &req.sealed)?;
    if sealed.is_empty() || sealed.len() > MAX_SEALED_LEN {
        return Err(SharingError::invalid(format!(
            "sealed must be 1 to {MAX_SEALED_LEN} bytes."
        )));
    }
    let exists = contacts::Entity::find_by_id((owner, username.clone()))
        .one(&state.app.db)
        .await?
        .is_some();
    if !exists {
        let count = contacts::Entity::find()
            .filter(contacts::Column::OwnerId.eq(owner))
            .count(&state.app.db)
            .await?;
        if count >= MAX_CONTACTS {
            return Err(SharingError::invalid(format!(
                "Coffer keeps at most {MAX_CONTACTS} contacts; delete some first."
            )));
        }
    }
    contacts::Entity::insert(contacts::ActiveModel {
        owner_id: Set(owner),
        contact_username: Set(username),
        sealed: Set(sealed),
        updated_at: Set(state.app.now_ms()),
    })
    .on_conflict(
        OnConflict::columns([contacts::Column::OwnerId, contacts::Column::ContactUsername])
            .update_columns([contacts::Column::Sealed, contacts::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(&state.app.db)
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/contacts/{username}`.
pub(super) async fn remove(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let Ok(username) = validation::normalize_username(&username) else {
        return Err(SharingError::NotFound(NO_CONTACT));
    };
    let taken = contacts::Entity::delete_many()
        .filter(contacts::Column::OwnerId.eq(owner))
        .filter(contacts::Column::ContactUsername.eq(username))
        .exec(&state.app.db)
        .await?;
    if taken.rows_affected == 0 {
        return Err(SharingError::NotFound(NO_CONTACT));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
