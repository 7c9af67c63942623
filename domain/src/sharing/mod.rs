//! Sharing (issue 5): files shared with other users (grants), share links that need no account,
//! and the sealed contact records a browser pins other users' keys with. Plain axum routes like
//! the vault's; the protocol is in docs/API.md ("Sharing").
//!
//! The server only ever stores what browsers sealed or wrapped: a grant's file key is wrapped
//! to the grantee's public key (blob 0x04), a link's to a key derived from a secret that lives
//! only in the URL fragment (blob 0x06), a contact record is sealed under the owner's account
//! key (blob 0x07). Owner routes look files up by id *and* owner, grantee routes by grant, so
//! another user's ids answer exactly like missing ones. The public link routes never
//! authenticate; every way a link can be unusable answers the same 404.

mod account_record;
mod contacts;
mod error;
mod grants;
mod links;

use axum::{
    http::HeaderMap,
    routing::{delete, get, post, put},
    Router,
};
use coffer_app::{
    backend::entities::{files, grants as grant_rows, links as link_rows, users},
    validation,
    wire::b64,
};
use sea_orm::{
    sea_query::{Expr, Query},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};
use serde::de::DeserializeOwned;

pub use error::SharingError;

use crate::{storage::is_hex_id, ServerState};

/// The 404 message for a file the caller does not own (or that does not exist).
const NO_FILE: &str = "There is no such file.";
/// The 404 message for an unknown username.
const NO_USER: &str = "No Coffer user has that name.";

/// The account record routes: under the cross-site guard, with their own body limit (a record
/// of 1000 contacts is larger than the API's 64 KiB).
pub fn account_record_routes() -> Router<ServerState> {
    Router::new()
        .route(
            "/api/account-record",
            get(account_record::get).put(account_record::put),
        )
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            account_record::MAX_BODY,
        ))
}

/// The sharing routes; they sit under the API's 64 KiB body limit and the cross-site guard.
pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/users/{username}/key", get(grants::user_key))
        .route(
            "/api/files/{id}/grants",
            post(grants::create).get(grants::list),
        )
        .route("/api/files/{id}/grants/{grantee}", delete(grants::revoke))
        .route("/api/shared", get(grants::shared_with_me))
        .route("/api/grants", get(grants::outgoing))
        .route("/api/shared/{id}", delete(grants::leave))
        .route("/api/shared/{id}/content", get(grants::content))
        .route(
            "/api/files/{id}/links",
            post(links::create).get(links::list),
        )
        .route("/api/files/{id}/links/{link_id}", delete(links::revoke))
        .route("/api/links/{id}", get(links::info))
        .route("/api/links/{id}/open", post(links::open))
        .route(
            "/api/links/{id}/content",
            get(links::content).head(links::no_head),
        )
        .route("/api/contacts", get(contacts::list))
        .route(
            "/api/contacts/{username}",
            put(contacts::put).delete(contacts::remove),
        )
}

async fn caller(state: &ServerState, headers: &HeaderMap) -> Result<i64, SharingError> {
    state
        .app
        .authenticate(headers)
        .await
        .map(|c| c.user_id)
        .map_err(SharingError::Unauthenticated)
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, SharingError> {
    serde_json::from_slice(body).map_err(|e| {
        SharingError::invalid(format!(
            "The request body is not what this call takes: {e}."
        ))
    })
}

fn decode_blob(field: &str, text: &str) -> Result<Vec<u8>, SharingError> {
    b64::decode(text)
        .map_err(|_| SharingError::invalid(format!("{field} must be unpadded base64url.")))
}

/// The caller's file with this id.
async fn find_own_file(
    state: &ServerState,
    owner: i64,
    id: &str,
) -> Result<files::Model, SharingError> {
    if !is_hex_id(id) {
        return Err(SharingError::NotFound(NO_FILE));
    }
    files::Entity::find_by_id(id.to_string())
        .filter(files::Column::OwnerId.eq(owner))
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::NotFound(NO_FILE))
}

/// The user with this name, looked up the way logins do (trimmed, NFKC, lower case). A name
/// that is not even valid is simply nobody.
async fn find_user(state: &ServerState, name: &str) -> Result<Option<users::Model>, SharingError> {
    let Ok(normalized) = validation::normalize_username(name) else {
        return Ok(None);
    };
    Ok(users::Entity::find()
        .filter(users::Column::Username.eq(normalized))
        .one(&state.app.db)
        .await?)
}

/// Milliseconds in `d`, saturating.
fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Checks an optional expiry: in the future and, if `max_ms` is given, at most that far ahead.
fn check_expiry(
    expires_at: Option<i64>,
    now: i64,
    max_ms: Option<i64>,
) -> Result<(), SharingError> {
    let Some(at) = expires_at else {
        return Ok(());
    };
    if at <= now {
        return Err(SharingError::invalid("expires_at must be in the future."));
    }
    if let Some(max) = max_ms {
        if at > now.saturating_add(max) {
            return Err(SharingError::invalid(format!(
                "expires_at may be at most {} days ahead.",
                max / 86_400_000
            )));
        }
    }
    Ok(())
}

/// Grants that count at `now`: no expiry, or one still ahead.
fn live_grant(now: i64) -> Condition {
    Condition::any()
        .add(grant_rows::Column::ExpiresAt.is_null())
        .add(grant_rows::Column::ExpiresAt.gt(now))
}

/// Links that work at `now`: not expired and not used up.
fn live_link(now: i64) -> Condition {
    use link_rows::Column;
    Condition::all()
        .add(
            Condition::any()
                .add(Column::ExpiresAt.is_null())
                .add(Column::ExpiresAt.gt(now)),
        )
        .add(
            Condition::any()
                .add(Column::MaxDownloads.is_null())
                .add(Expr::col(Column::Downloads).lt(Expr::col(Column::MaxDownloads))),
        )
}

/// Deletes a file's grants and links; called in the transaction that deletes the file (the
/// foreign keys cascade as well, but this does not depend on them).
pub(crate) async fn forget_file(db: &impl ConnectionTrait, file_id: &str) -> Result<(), DbErr> {
    grant_rows::Entity::delete_many()
        .filter(grant_rows::Column::FileId.eq(file_id))
        .exec(db)
        .await?;
    link_rows::Entity::delete_many()
        .filter(link_rows::Column::FileId.eq(file_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The janitor's part: deletes expired grants, and links that are expired, used up or (should
/// a cascade ever have missed them) whose file is gone. Returns (grants, links) removed.
pub(crate) async fn purge(db: &impl ConnectionTrait, now: i64) -> Result<(u64, u64), DbErr> {
    let all_files = || {
        Query::select()
            .column(files::Column::Id)
            .from(files::Entity)
            .to_owned()
    };
    let grants = grant_rows::Entity::delete_many()
        .filter(
            Condition::any()
                .add(grant_rows::Column::ExpiresAt.lte(now))
                .add(grant_rows::Column::FileId.not_in_subquery(all_files())),
        )
        .exec(db)
        .await?
        .rows_affected;
    use link_rows::Column;
    let links = link_rows::Entity::delete_many()
        .filter(
            Condition::any()
                .add(Column::ExpiresAt.lte(now))
                .add(Expr::col(Column::Downloads).gte(Expr::col(Column::MaxDownloads)))
                .add(Column::FileId.not_in_subquery(all_files())),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok((grants, links))
}
