//! Share links: the owner's side (authenticated) and the public side (never authenticated).

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_protocol::{
    b64,
    sharing::{NewLink, OpenLink, LINK_TOKEN_HEADER},
};

use crate::{
    http::{
        content::{content_response, Delivery},
        ApiResult, Caller, JsonBody,
    },
    state::ServerState,
};

/// `POST /api/files/{id}/links`.
pub async fn create(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<NewLink>,
) -> ApiResult<impl IntoResponse> {
    let link = s.domain.create_link(caller.user_id, &id, req).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

/// `GET /api/files/{id}/links`.
pub async fn list(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.list_links(caller.user_id, &id).await?))
}

/// `DELETE /api/files/{id}/links/{link_id}`.
pub async fn revoke(
    State(s): State<ServerState>,
    caller: Caller,
    Path((id, link_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.domain.revoke_link(caller.user_id, &id, &link_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/links/{id}`: whether a password is needed, and its Argon2id inputs.
pub async fn info(
    State(s): State<ServerState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.link_info(&id).await?))
}

/// `POST /api/links/{id}/open`.
pub async fn open(
    State(s): State<ServerState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<OpenLink>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.open_link(&id, &req.token).await?))
}

/// `GET /api/links/{id}/content` with the token in `X-Coffer-Link-Token`: one download.
pub async fn content(
    State(s): State<ServerState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let token = headers
        .get(LINK_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| b64::decode(v.trim()).ok());
    let content = s.domain.link_download(&id, token.as_deref()).await?;
    Ok(content_response(
        &s.domain,
        &headers,
        &content,
        Delivery::Whole,
    )?)
}

/// `HEAD /api/links/{id}/content`: refused, so that a `HEAD` (which `GET` routes would otherwise
/// answer by running the `GET`) can never consume a download.
pub async fn no_head() -> Response {
    let mut res = StatusCode::METHOD_NOT_ALLOWED.into_response();
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET"));
    res
}
