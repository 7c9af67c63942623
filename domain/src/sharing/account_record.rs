//! The account record (blob 0x0A): one sealed, versioned object per user holding the contact
//! list and the account's format flags (docs/CRYPTO.md §10.2). Opaque to the server, which
//! only keeps revisions in order: a write names the revision it read (none for the first), and
//! is refused with 409 if another write came first, so two tabs cannot silently undo each
//! other's pins. That a server could serve an OLDER record is the browser's to notice (it keeps
//! the highest revision it has seen); this code never goes back on its own.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_app::{backend::entities::account_records, wire::b64};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter,
    SqlErr,
};
use serde::Deserialize;
use serde_json::json;

use super::{caller, decode_blob, parse_json, SharingError};
use crate::ServerState;

/// The largest sealed record accepted: 1000 contacts with the longest names, padded.
pub const MAX_SEALED_LEN: usize = 29 + 256 * 1300;
/// The body limit of the route (base64 and JSON around the sealed record).
pub const MAX_BODY: usize = MAX_SEALED_LEN * 4 / 3 + 1024;
const NO_RECORD: &str = "This account has no account record yet.";

/// `GET /api/account-record`: the caller's sealed record and its revision.
pub(super) async fn get(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, SharingError> {
    let me = caller(&state, &headers).await?;
    let row = account_records::Entity::find_by_id(me)
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::NotFound(NO_RECORD))?;
    Ok(Json(json!({
        "revision": row.revision,
        "sealed": b64::encode(&row.sealed),
        "updated_at": row.updated_at,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutRecord {
    /// The revision the writer read (`None`: it found no record).
    expected_revision: Option<u64>,
    /// The revision sealed inside `sealed`; more than `expected_revision`.
    revision: u64,
    sealed: String,
}

fn check_shape(sealed: &[u8]) -> Result<(), SharingError> {
    let ok = sealed.first() == Some(&0x0A)
        && sealed.len() >= 29 + 256
        && sealed.len() <= MAX_SEALED_LEN
        && (sealed.len() - 29).is_multiple_of(256);
    if ok {
        Ok(())
    } else {
        Err(SharingError::invalid(
            "sealed is not a Coffer account record (type 0x0A, 29 + 256·k bytes).",
        ))
    }
}

fn conflict() -> SharingError {
    SharingError::Conflict(
        "Your contact list was changed elsewhere in the meantime; Coffer reads it again.".into(),
    )
}

/// `PUT /api/account-record`: replaces the record if it is still at `expected_revision`.
pub(super) async fn put(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SharingError> {
    let me = caller(&state, &headers).await?;
    let req: PutRecord = parse_json(&body)?;
    let sealed = decode_blob("sealed", &req.sealed)?;
    check_shape(&sealed)?;
    let revision =
        i64::try_from(req.revision).map_err(|_| SharingError::invalid("revision is too large."))?;
    if revision < 1 || req.expected_revision.is_some_and(|e| req.revision <= e) {
        return Err(SharingError::invalid(
            "revision must be at least 1 and more than expected_revision.",
        ));
    }
    let now = state.app.now_ms();
    match req.expected_revision {
        None => {
            let inserted = account_records::ActiveModel {
                user_id: Set(me),
                revision: Set(revision),
                sealed: Set(sealed),
                updated_at: Set(now),
            }
            .insert(&state.app.db)
            .await;
            match inserted {
                Ok(_) => {}
                Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    return Err(conflict())
                }
                Err(e) => return Err(e.into()),
            }
        }
        Some(expected) => {
            let expected = i64::try_from(expected).map_err(|_| conflict())?;
            let updated = account_records::Entity::update_many()
                .col_expr(account_records::Column::Revision, Expr::value(revision))
                .col_expr(account_records::Column::Sealed, Expr::value(sealed))
                .col_expr(account_records::Column::UpdatedAt, Expr::value(now))
                .filter(account_records::Column::UserId.eq(me))
                .filter(account_records::Column::Revision.eq(expected))
                .exec(&state.app.db)
                .await?;
            if updated.rows_affected != 1 {
                return Err(conflict());
            }
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
