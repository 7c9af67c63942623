//! Coffer's server: configuration, database wiring, the router with its
//! security middleware, and the routes that are not server functions.

#![forbid(unsafe_code)]

pub mod config;
mod routes;
mod security;
mod sharing;
pub mod storage;
pub mod vault;

use std::{path::PathBuf, sync::Arc};

use axum::{
    body::Body,
    extract::{FromRef, Request},
    http::{HeaderValue, StatusCode},
    middleware,
    response::Response,
    routing::get,
    Router,
};
use coffer_app::{
    backend::{AppState, Clock},
    shell, App,
};
use coffer_migration::{Migrator, MigratorTrait};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

pub use config::Config;

/// Largest request body accepted by the JSON API.
pub const MAX_API_BODY: usize = 64 * 1024;

/// The router's state.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    pub data_dir: Arc<PathBuf>,
    pub vault: vault::Vault,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Other(String),
}

/// Connects to the database and brings its schema up to date. Refuses a
/// database that a newer Coffer has migrated.
pub async fn connect_database(url: &str) -> Result<DatabaseConnection, StartError> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false).max_connections(16);
    let db = Database::connect(options).await?;
    refuse_newer_schema(&db).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

async fn refuse_newer_schema(db: &DatabaseConnection) -> Result<(), StartError> {
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let rows = db
        .query_all(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await;
    // No migrations table yet: a fresh database.
    let Ok(rows) = rows else { return Ok(()) };
    for row in rows {
        let version: String = row.try_get("", "version")?;
        if !known.contains(&version) {
            return Err(StartError::Other(format!(
                "the database was migrated by a newer version of Coffer (migration {version:?} \
                 is unknown to this one); run the newer Coffer or restore a backup"
            )));
        }
    }
    Ok(())
}

#[derive(Clone, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id: u64 = rand::random();
        HeaderValue::from_str(&format!("{id:016x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// Leptos answers arguments it cannot decode with a 500; they are the
/// client's fault, so Coffer answers 400 (the body already says "invalid").
async fn malformed_arguments_are_client_errors(
    req: Request<Body>,
    next: middleware::Next,
) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_API_BODY)
        .await
        .unwrap_or_default();
    let invalid = serde_json::from_slice::<coffer_app::error::AppError>(&bytes)
        .is_ok_and(|e| matches!(e, coffer_app::error::AppError::Invalid(_)));
    if invalid {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Builds the whole application router.
pub fn router(
    leptos_options: LeptosOptions,
    app: AppState,
    data_dir: PathBuf,
    vault: vault::Vault,
) -> Router {
    let routes = generate_route_list(App);
    let state = ServerState {
        leptos_options: leptos_options.clone(),
        app: app.clone(),
        data_dir: Arc::new(data_dir),
        vault,
    };
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(routes::health))
        .route("/api/me", get(routes::me))
        .route("/sw.js", get(routes::service_worker))
        .merge(vault::routes())
        .merge(sharing::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(app.clone()),
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(shell))
        .layer(middleware::from_fn(malformed_arguments_are_client_errors))
        .layer(RequestBodyLimitLayer::new(MAX_API_BODY))
        // Upload parts are limited to one part by their handler; the layers below cover them.
        .merge(vault::part_routes())
        .merge(sharing::account_record_routes())
        .layer(middleware::from_fn(security::reject_cross_site))
        .layer(middleware::from_fn(security::security_headers))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<Body>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
        .with_state(state)
}

/// Starts everything but the listener: database, migrations, state, router.
pub async fn build(
    config: &Config,
    leptos_options: LeptosOptions,
    clock: Arc<dyn Clock>,
) -> Result<Router, StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        StartError::Other(format!(
            "COFFER_DATA_DIR: cannot create {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let db = connect_database(config.database_url.expose()).await?;
    let storage = storage::Storage::open(&config.storage)
        .map_err(|e| StartError::Other(format!("COFFER_STORAGE_URL: {e}")))?;
    let vault = vault::Vault {
        storage,
        settings: Arc::new(config.vault.clone()),
    };
    let janitor = vault::janitor::Janitor::new(db.clone(), clock.clone(), vault.clone());
    tokio::spawn(janitor.run_every(config.vault.janitor_interval));
    let app = AppState::new(db, config.auth.clone(), clock).await?;
    Ok(router(leptos_options, app, config.data_dir.clone(), vault))
}
