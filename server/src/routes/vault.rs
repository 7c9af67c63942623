//! The vault's routes: uploads in parts, files, versions, content.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_protocol::vault::{FilePage, NewUpload, NewVersion, VersionBatch};
use futures_util::StreamExt;

use crate::{
    http::{
        content::{content_response, export_response, Delivery},
        list_cache::{EncodedPage, ListKey},
        ApiError, ApiResult, Caller, JsonBody, QueryOf,
    },
    state::ServerState,
};

/// `POST /api/uploads`.
pub async fn create_upload(
    State(s): State<ServerState>,
    caller: Caller,
    JsonBody(req): JsonBody<NewUpload>,
) -> ApiResult<impl IntoResponse> {
    let created = s.domain.create_upload(caller.user_id, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/uploads`.
pub async fn list_uploads(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.list_uploads(caller.user_id).await?))
}

/// `PUT /api/uploads/{id}/parts/{n}`. A refused part (not even authenticated) is drained
/// before the answer, see [`drain`].
pub async fn upload_part(
    State(s): State<ServerState>,
    caller: Result<Caller, ApiError>,
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = body.into_data_stream();
    let stored = match caller {
        Ok(caller) => s
            .domain
            .store_part(caller.user_id, &id, &n, declared, &mut body)
            .await
            .map_err(ApiError),
        Err(e) => Err(e),
    };
    match stored {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            drain(&mut body, s.domain.settings().vault.max_part_bytes).await;
            e.into_response()
        }
    }
}

/// Reads and drops what is left of a refused body (up to `limit` bytes, for a few seconds),
/// so the client is still reading when the error arrives: closing a connection with unread
/// data makes the TCP stack reset it, and the client would see a network error instead.
async fn drain(body: &mut axum::body::BodyDataStream, limit: u64) {
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

/// `POST /api/uploads/{id}/complete`.
pub async fn complete_upload(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<NewVersion>,
) -> ApiResult<impl IntoResponse> {
    let file = s.domain.complete_upload(caller.user_id, &id, req).await?;
    Ok((StatusCode::CREATED, Json(file)))
}

/// `DELETE /api/uploads/{id}`.
pub async fn cancel_upload(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.domain.cancel_upload(caller.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/files?limit=&after=`: one page. Served from the list cache while the owner's
/// list version is what it was when the page was made (one read of that version); otherwise
/// read, encoded and kept. The version is read before the page, so a page is never kept under
/// a version newer than what it shows.
///
/// It authenticates by itself rather than through [`Caller`]: for a session, the session and
/// the list version come in one query (most answers are cache hits, and each query is a round
/// trip to the database); an API token needs the read scope, as [`Caller`] would ask.
pub async fn list_files(
    State(s): State<ServerState>,
    headers: HeaderMap,
    QueryOf(page): QueryOf<FilePage>,
) -> ApiResult<Response> {
    let presented = crate::http::presented(&s.domain, &headers);
    let (caller, version) = s.domain.authenticate_with_list_version(&presented).await?;
    caller.require_scope(coffer_protocol::accounts::TokenScope::Read)?;
    let key = ListKey::new(caller.user_id, &page);
    if let Some(hit) = s.list_cache.get(&key, version) {
        return Ok(hit.response(&headers));
    }
    let list = s.domain.list_files(caller.user_id, page).await?;
    let encoded = EncodedPage::new(version, &list).map_err(|e| {
        tracing::error!(%e, "could not encode a page of the file list");
        ApiError::from(coffer_domain::DomainError::Internal)
    })?;
    let res = encoded.response(&headers);
    s.list_cache.put(key, encoded);
    Ok(res)
}

/// `GET /api/files/{id}/content`.
pub async fn download(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let content = s.domain.own_content(caller.user_id, &id).await?;
    Ok(content_response(
        &s.domain,
        &headers,
        &content,
        Delivery::Ranged,
    )?)
}

/// `GET /api/files/{id}/export`: the `.coffer` export file (metadata, then content).
pub async fn export(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (prefix, content) = s.domain.own_export(caller.user_id, &id).await?;
    Ok(export_response(&s.domain, prefix, &content))
}

/// `PUT /api/files/{id}/metadata`.
pub async fn new_version(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<NewVersion>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.new_version(caller.user_id, &id, req).await?))
}

/// `POST /api/files/versions`.
pub async fn new_versions(
    State(s): State<ServerState>,
    caller: Caller,
    JsonBody(batch): JsonBody<VersionBatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.domain.new_versions(caller.user_id, batch).await?))
}

/// `DELETE /api/files/{id}`.
pub async fn delete_file(
    State(s): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.domain.delete_file(caller.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
