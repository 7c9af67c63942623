//! Liveness and readiness, who-am-I, and the service worker.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_protocol::accounts::Me;
use serde_json::json;

use crate::{
    http::{ApiResult, Caller},
    state::ServerState,
};

/// `GET /healthz`: the process is up and answering. Touches neither the database nor the blob
/// store, so it answers at once even while every database connection is busy.
pub async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `GET /readyz`: 200 when the database answers, the data directory is writable and the blob
/// store answers, 503 otherwise (details in the log, not the body). For a load balancer that
/// should send no traffic to an instance that cannot serve it.
pub async fn ready(State(state): State<ServerState>) -> Response {
    let db_ok = state
        .domain
        .db()
        .ping()
        .await
        .map_err(|e| tracing::error!(%e, "health: database"))
        .is_ok();
    let probe = state.data_dir.join(".healthz");
    let storage_ok = tokio::fs::write(&probe, b"ok")
        .await
        .map_err(|e| tracing::error!(%e, "health: data directory"))
        .is_ok();
    let storage_ok = storage_ok
        && state
            .domain
            .storage()
            .check()
            .await
            .map_err(|e| tracing::error!(%e, "health: blob storage"))
            .is_ok();
    let status = if db_ok && storage_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "unavailable" },
        "database": if db_ok { "ok" } else { "unavailable" },
        "storage": if storage_ok { "ok" } else { "unavailable" },
    });
    (status, Json(body)).into_response()
}

/// `GET /api/me`: who the bearer token (or session) belongs to.
pub async fn me(State(s): State<ServerState>, caller: Caller) -> ApiResult<Json<Me>> {
    let bundle = s.domain.account_bundle(caller.user_id).await?;
    Ok(Json(Me {
        username: bundle.username,
    }))
}

/// `GET /sw.js`: the service worker from the site root, with `__COFFER_BUILD__` replaced by a
/// hash of this build's worker, Wasm, JS and CSS (so each release gets its own cache). Never
/// cached by HTTP caches, so browsers see a new release at once.
pub async fn service_worker(State(state): State<ServerState>) -> Response {
    use sha2::{Digest, Sha256};
    let site = std::path::PathBuf::from(state.leptos_options.site_root.as_ref());
    let pkg = site.join(state.leptos_options.site_pkg_dir.as_ref());
    let Ok(template) = tokio::fs::read_to_string(site.join("sw.js")).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut hash = Sha256::new();
    hash.update(template.as_bytes());
    for name in ["coffer.wasm", "coffer.js", "coffer.css"] {
        match tokio::fs::read(pkg.join(name)).await {
            Ok(bytes) => hash.update(&bytes),
            Err(e) => tracing::warn!(%e, file = name, "service worker: build file missing"),
        }
    }
    let build = hex::encode(&hash.finalize()[..8]);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // A worker's own CSP governs what it may fetch: its own origin, nothing else.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; connect-src 'self'; frame-ancestors 'none'; \
                 base-uri 'none'; form-action 'none'",
            ),
        ],
        template.replace("__COFFER_BUILD__", &build),
    )
        .into_response()
}
