//! Contacts (format v1) and the account record (format v2): sealed blobs the caller's browser
//! keeps here.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
    Json,
};
use coffer_protocol::sharing::{PutAccountRecord, PutContact};

use crate::{
    http::{ApiResult, Caller, JsonBody},
    state::ServerState,
};

/// `GET /api/contacts`.
pub async fn list(State(s): State<ServerState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.list_contacts(caller.user_id).await?))
}

/// `PUT /api/contacts/{username}`.
pub async fn put(
    State(s): State<ServerState>,
    caller: Caller,
    Path(username): Path<String>,
    JsonBody(req): JsonBody<PutContact>,
) -> ApiResult<StatusCode> {
    s.domain
        .put_contact(caller.user_id, &username, req.sealed)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/contacts/{username}`.
pub async fn remove(
    State(s): State<ServerState>,
    caller: Caller,
    Path(username): Path<String>,
) -> ApiResult<StatusCode> {
    s.domain.remove_contact(caller.user_id, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/account-record`.
pub async fn get_record(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.account_record(caller.user_id).await?))
}

/// `PUT /api/account-record`.
pub async fn put_record(
    State(s): State<ServerState>,
    caller: Caller,
    JsonBody(req): JsonBody<PutAccountRecord>,
) -> ApiResult<StatusCode> {
    s.domain.put_account_record(caller.user_id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
