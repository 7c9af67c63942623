//! Sharing with other users: public keys, grants, and files shared with the caller.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_protocol::sharing::NewGrant;

use crate::{
    http::{
        content::{content_response, Delivery},
        ApiResult, Caller, JsonBody,
    },
    state::ServerState,
};

/// `GET /api/users/{username}/key`.
pub async fn user_key(
    State(s): State<ServerState>,
    _caller: Caller,
    Path(username): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.user_key(&username).await?))
}

/// `POST /api/files/{id}/grants`.
pub async fn create(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<NewGrant>,
) -> ApiResult<impl IntoResponse> {
    let grant = s.domain.create_grant(caller.user_id, &id, req).await?;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// `GET /api/files/{id}/grants`.
pub async fn list(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.list_grants(caller.user_id, &id).await?))
}

/// `DELETE /api/files/{id}/grants/{grantee}`.
pub async fn revoke(
    State(s): State<ServerState>,
    caller: Caller,
    Path((id, grantee)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.domain.revoke_grant(caller.user_id, &id, &grantee).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/shared`.
pub async fn shared_with_me(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.shared_with(caller.user_id).await?))
}

/// `GET /api/grants`.
pub async fn outgoing(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.outgoing_grants(caller.user_id).await?))
}

/// `GET /api/shared/{id}/content`: exactly like the owner's download (ranges included).
pub async fn content(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let content = s.domain.shared_content(caller.user_id, &id).await?;
    Ok(content_response(
        &s.domain,
        &headers,
        &content,
        Delivery::Ranged,
    )?)
}

/// `DELETE /api/shared/{id}`.
pub async fn leave(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.domain.leave_share(caller.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
