//! Share links: the owner creates, lists and revokes them; anyone holding the URL (and the
//! password, if any) opens one without an account.
//!
//! The server holds only `link_token_digest(token)` and checks a presented token with
//! `verify_link_token` (constant time). Every token check first takes one of the link's
//! `COFFER_LINK_FAILURES_PER_LINK` attempts for the current window with one conditional
//! `UPDATE` (so parallel guesses cannot all slip through), and gives it back only when the token
//! was right. A download is consumed with one conditional `UPDATE` too
//! (`downloads = downloads + 1 WHERE … downloads < max_downloads AND expires_at > now`), so a
//! link allowing N downloads serves exactly N, however many requests race.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_app::{
    backend::entities::{files, links, users},
    wire::b64,
};
use coffer_crypto::{verify_link_token, KdfParams, KDF_SALT_LEN};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, SqlErr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    caller, check_expiry, decode_blob, find_own_file, live_link, ms, parse_json, SharingError,
    NO_FILE,
};
use crate::{
    storage::is_hex_id,
    vault::{content_response, Delivery},
    ServerState,
};

/// A link-wrapped file key (blob 0x06) is exactly 61 bytes (docs/CRYPTO.md §4).
const LINK_WRAPPED_KEY_LEN: usize = 61;
const DIGEST_LEN: usize = 32;
const TOKEN_LEN: usize = 32;
/// The furthest ahead a link may expire.
const MAX_LINK_LIFETIME_MS: i64 = 365 * 86_400_000;
/// The most downloads a link may allow.
const MAX_DOWNLOADS: u32 = 1_000_000;
/// The most live links one file may have.
const MAX_LIVE_LINKS_PER_FILE: u64 = 100;
/// The header the link token travels in for content (never the URL).
pub const TOKEN_HEADER: &str = "x-coffer-link-token";
const NO_LINK: &str = "There is no such link.";

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LinkKdf {
    salt: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLink {
    link_id: String,
    token_digest: String,
    wrapped_key: String,
    #[serde(default)]
    password_kdf: Option<LinkKdf>,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    max_downloads: Option<u32>,
}

#[derive(Serialize)]
struct LinkInfo {
    link_id: String,
    created_at: i64,
    expires_at: Option<i64>,
    max_downloads: Option<i32>,
    downloads: i64,
    remaining: Option<i64>,
    has_password: bool,
}

/// Downloads left on a limited link.
fn remaining(link: &links::Model) -> Option<i64> {
    link.max_downloads
        .map(|max| i64::from(max).saturating_sub(link.downloads).max(0))
}

impl From<links::Model> for LinkInfo {
    fn from(l: links::Model) -> Self {
        LinkInfo {
            remaining: remaining(&l),
            has_password: l.kdf_salt.is_some(),
            link_id: l.id,
            created_at: l.created_at,
            expires_at: l.expires_at,
            max_downloads: l.max_downloads,
            downloads: l.downloads,
        }
    }
}

/// The Argon2id inputs stored with a password-protected link.
fn kdf_of(link: &links::Model) -> Option<LinkKdf> {
    Some(LinkKdf {
        salt: b64::encode(link.kdf_salt.as_deref()?),
        memory_kib: u32::try_from(link.kdf_memory_kib?).ok()?,
        iterations: u32::try_from(link.kdf_iterations?).ok()?,
        parallelism: u32::try_from(link.kdf_parallelism?).ok()?,
    })
}

/// Checks and decodes a link's password inputs: (salt, memory, iterations, parallelism).
fn password_inputs(kdf: &LinkKdf) -> Result<(Vec<u8>, i32, i32, i32), SharingError> {
    let salt = decode_blob("password_kdf.salt", &kdf.salt)?;
    if salt.len() != KDF_SALT_LEN {
        return Err(SharingError::invalid(format!(
            "password_kdf.salt must be {KDF_SALT_LEN} bytes."
        )));
    }
    let params = KdfParams {
        memory_kib: kdf.memory_kib,
        iterations: kdf.iterations,
        parallelism: kdf.parallelism,
    };
    let out_of_range =
        || SharingError::invalid("password_kdf is outside the allowed Argon2id range.");
    params.validate().map_err(|_| out_of_range())?;
    let int = |v: u32| i32::try_from(v).map_err(|_| out_of_range());
    Ok((
        salt,
        int(kdf.memory_kib)?,
        int(kdf.iterations)?,
        int(kdf.parallelism)?,
    ))
}

/// `POST /api/files/{id}/links`: creates a link to the caller's file.
pub(super) async fn create(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let req: NewLink = parse_json(&body)?;
    if !is_hex_id(&req.link_id) {
        return Err(SharingError::invalid(
            "link_id must be 32 lower-case hex characters.",
        ));
    }
    let token_digest = decode_blob("token_digest", &req.token_digest)?;
    if token_digest.len() != DIGEST_LEN {
        return Err(SharingError::invalid(format!(
            "token_digest must be {DIGEST_LEN} bytes."
        )));
    }
    let wrapped_key = decode_blob("wrapped_key", &req.wrapped_key)?;
    if wrapped_key.len() != LINK_WRAPPED_KEY_LEN || wrapped_key[0] != 0x06 {
        return Err(SharingError::invalid(
            "wrapped_key is not a Coffer link-wrapped file key (type 0x06, 61 bytes).",
        ));
    }
    let password = req.password_kdf.as_ref().map(password_inputs).transpose()?;
    let now = state.app.now_ms();
    check_expiry(req.expires_at, now, Some(MAX_LINK_LIFETIME_MS))?;
    if let Some(max) = req.max_downloads {
        if !(1..=MAX_DOWNLOADS).contains(&max) {
            return Err(SharingError::invalid(format!(
                "max_downloads must be between 1 and {MAX_DOWNLOADS}."
            )));
        }
    }
    let file = find_own_file(&state, owner, &id).await?;
    let live = links::Entity::find()
        .filter(links::Column::FileId.eq(file.id.clone()))
        .filter(live_link(now))
        .count(&state.app.db)
        .await?;
    if live >= MAX_LIVE_LINKS_PER_FILE {
        return Err(SharingError::invalid(format!(
            "A file may have at most {MAX_LIVE_LINKS_PER_FILE} links; revoke some first."
        )));
    }
    let taken = || SharingError::Conflict("A link with this id exists already.".into());
    if links::Entity::find_by_id(req.link_id.clone())
        .one(&state.app.db)
        .await?
        .is_some()
    {
        return Err(taken());
    }
    let (kdf_salt, memory, iterations, parallelism) = match password {
        Some((salt, m, t, p)) => (Some(salt), Some(m), Some(t), Some(p)),
        None => (None, None, None, None),
    };
    let row = links::ActiveModel {
        id: Set(req.link_id),
        file_id: Set(file.id),
        owner_id: Set(owner),
        token_digest: Set(token_digest),
        wrapped_key: Set(wrapped_key),
        kdf_salt: Set(kdf_salt),
        kdf_memory_kib: Set(memory),
        kdf_iterations: Set(iterations),
        kdf_parallelism: Set(parallelism),
        created_at: Set(now),
        expires_at: Set(req.expires_at),
        // At most 1 000 000, checked above.
        max_downloads: Set(req.max_downloads.map(|m| m as i32)),
        downloads: Set(0),
        token_failures: Set(0),
        failure_window_start: Set(0),
    };
    match row.insert(&state.app.db).await {
        Ok(link) => Ok((StatusCode::CREATED, Json(LinkInfo::from(link))).into_response()),
        // Two creations raced for the same id: the primary key decides.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(taken()),
        // The file was deleted in the meantime.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) => {
            Err(SharingError::NotFound(NO_FILE))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/files/{id}/links`: the live links of the caller's file, newest first.
pub(super) async fn list(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let file = find_own_file(&state, owner, &id).await?;
    let rows = links::Entity::find()
        .filter(links::Column::FileId.eq(file.id))
        .filter(links::Column::OwnerId.eq(owner))
        .filter(live_link(state.app.now_ms()))
        .order_by_desc(links::Column::CreatedAt)
        .order_by_asc(links::Column::Id)
        .all(&state.app.db)
        .await?;
    let list: Vec<LinkInfo> = rows.into_iter().map(LinkInfo::from).collect();
    Ok(Json(json!({ "links": list })).into_response())
}

/// `DELETE /api/files/{id}/links/{link_id}`: revokes a live link (deletes it).
pub(super) async fn revoke(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path((id, link_id)): Path<(String, String)>,
) -> Result<Response, SharingError> {
    let owner = caller(&state, &headers).await?;
    let file = find_own_file(&state, owner, &id).await?;
    if !is_hex_id(&link_id) {
        return Err(SharingError::NotFound(NO_LINK));
    }
    let taken = links::Entity::delete_many()
        .filter(links::Column::Id.eq(link_id))
        .filter(links::Column::FileId.eq(file.id))
        .filter(links::Column::OwnerId.eq(owner))
        .filter(live_link(state.app.now_ms()))
        .exec(&state.app.db)
        .await?;
    if taken.rows_affected == 0 {
        return Err(SharingError::NotFound(NO_LINK));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// The public side: no account, never authenticated.

/// A usable link and its file, or the one answer for every other case.
async fn find_live_link(
    state: &ServerState,
    id: &str,
) -> Result<(links::Model, files::Model), SharingError> {
    if !is_hex_id(id) {
        return Err(SharingError::LinkUnavailable);
    }
    let link = links::Entity::find_by_id(id.to_string())
        .filter(live_link(state.app.now_ms()))
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::LinkUnavailable)?;
    let file = files::Entity::find_by_id(link.file_id.clone())
        .filter(files::Column::OwnerId.eq(link.owner_id))
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::LinkUnavailable)?;
    Ok((link, file))
}

/// `GET /api/links/{id}`: whether the link needs a password, and its Argon2id inputs. Reads only.
pub(super) async fn info(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Response, SharingError> {
    let (link, _) = find_live_link(&state, &id).await?;
    Ok(Json(json!({
        "has_password": link.kdf_salt.is_some(),
        "password_kdf": kdf_of(&link),
    }))
    .into_response())
}

/// Takes one token attempt for the link in the current window, or says how long to wait. The
/// window starts at the first attempt after the previous one ended. Returns the time taken.
async fn take_attempt(state: &ServerState, link: &links::Model) -> Result<i64, SharingError> {
    use links::Column;
    let settings = &state.vault.settings;
    let now = state.app.now_ms();
    let window = ms(settings.link_window);
    let window_over = || Expr::col(Column::FailureWindowStart).lte(now.saturating_sub(window));
    let limit = i32::try_from(settings.link_failures_per_link).unwrap_or(i32::MAX);
    // MySQL assigns left to right and later expressions see earlier results, so the counter is
    // set before the window start it depends on.
    let taken = links::Entity::update_many()
        .col_expr(
            Column::TokenFailures,
            Expr::case(window_over(), 1)
                .finally(Expr::col(Column::TokenFailures).add(1))
                .into(),
        )
        .col_expr(
            Column::FailureWindowStart,
            Expr::case(window_over(), now)
                .finally(Expr::col(Column::FailureWindowStart))
                .into(),
        )
        .filter(Column::Id.eq(link.id.clone()))
        .filter(
            Condition::any()
                .add(window_over())
                .add(Column::TokenFailures.lt(limit)),
        )
        .exec(&state.app.db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(now);
    }
    let row = links::Entity::find_by_id(link.id.clone())
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::LinkUnavailable)?;
    let wait_ms = row
        .failure_window_start
        .saturating_add(window)
        .saturating_sub(now)
        .max(1000);
    Err(SharingError::RateLimited((wait_ms as u64).div_ceil(1000)))
}

/// Gives back an attempt taken at `taken_at` (the token was right), unless its window has
/// ended since.
async fn give_back_attempt(
    state: &ServerState,
    link: &links::Model,
    taken_at: i64,
) -> Result<(), SharingError> {
    use links::Column;
    links::Entity::update_many()
        .col_expr(
            Column::TokenFailures,
            Expr::col(Column::TokenFailures).sub(1),
        )
        .filter(Column::Id.eq(link.id.clone()))
        .filter(Column::TokenFailures.gt(0))
        .filter(Column::FailureWindowStart.lte(taken_at))
        .exec(&state.app.db)
        .await?;
    Ok(())
}

/// Checks a presented token (`None`: missing or malformed, which is simply wrong) against the
/// link's digest, under the link's rate limit.
async fn check_token(
    state: &ServerState,
    link: &links::Model,
    token: Option<[u8; TOKEN_LEN]>,
) -> Result<(), SharingError> {
    let taken_at = take_attempt(state, link).await?;
    let right = match (token, <[u8; DIGEST_LEN]>::try_from(&link.token_digest[..])) {
        (Some(token), Ok(digest)) => verify_link_token(&token, &digest),
        _ => false,
    };
    if !right {
        return Err(SharingError::WrongPassword);
    }
    give_back_attempt(state, link, taken_at).await
}

fn token_from(text: &str) -> Option<[u8; TOKEN_LEN]> {
    b64::decode(text.trim()).ok()?.try_into().ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenLink {
    token: String,
}

/// `POST /api/links/{id}/open`: with the right token, the wrapped key and what the recipient
/// needs to decrypt. Does not count as a download.
pub(super) async fn open(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, SharingError> {
    let (link, file) = find_live_link(&state, &id).await?;
    let req: OpenLink = parse_json(&body)?;
    let token = b64::decode(&req.token)
        .ok()
        .and_then(|t| <[u8; TOKEN_LEN]>::try_from(t).ok())
        .ok_or_else(|| {
            SharingError::invalid(format!(
                "token must be {TOKEN_LEN} bytes of unpadded base64url."
            ))
        })?;
    check_token(&state, &link, Some(token)).await?;
    let owner = users::Entity::find_by_id(link.owner_id)
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::LinkUnavailable)?;
    Ok(Json(json!({
        "file_id": file.id,
        // What a v2 link's id binds (docs/CRYPTO.md §9), and the owner's signed version.
        "owner_public_key": b64::encode(&owner.public_key),
        "version_record": file.version_record.as_deref().map(b64::encode),
        "wrapped_key": b64::encode(&link.wrapped_key),
        "sealed_metadata": b64::encode(&file.sealed_metadata),
        "ciphertext_size": file.ciphertext_size,
        "chunk_size": file.chunk_size,
        "expires_at": link.expires_at,
        "remaining": remaining(&link),
    }))
    .into_response())
}

/// `GET /api/links/{id}/content` with `X-Coffer-Link-Token`: consumes one download, atomically,
/// and streams the whole ciphertext.
pub(super) async fn content(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, SharingError> {
    let (link, _) = find_live_link(&state, &id).await?;
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(token_from);
    check_token(&state, &link, token).await?;
    use links::Column;
    let consumed = links::Entity::update_many()
        .col_expr(Column::Downloads, Expr::col(Column::Downloads).add(1))
        .filter(Column::Id.eq(link.id.clone()))
        .filter(live_link(state.app.now_ms()))
        .exec(&state.app.db)
        .await?;
    if consumed.rows_affected != 1 {
        return Err(SharingError::LinkUnavailable);
    }
    // Read the file again after consuming, so one deleted in between is not half-served.
    let file = files::Entity::find_by_id(link.file_id.clone())
        .filter(files::Column::OwnerId.eq(link.owner_id))
        .one(&state.app.db)
        .await?
        .ok_or(SharingError::LinkUnavailable)?;
    let mut res = content_response(&state, &headers, &file, Delivery::Whole)?;
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(res)
}

/// `HEAD /api/links/{id}/content`: refused, so that a `HEAD` (which `GET` routes would otherwise
/// answer by running the `GET`) can never consume a download.
pub(super) async fn no_head() -> Response {
    let mut res = StatusCode::METHOD_NOT_ALLOWED.into_response();
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET"));
    res
}
