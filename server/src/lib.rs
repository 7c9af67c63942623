//! Coffer's server, HTTP only: configuration (→ the domain's settings), the router with its
//! layers and security middleware, and thin handlers for the routes that are not server
//! functions (`routes/`). Every rule lives in `coffer-domain`.

#![forbid(unsafe_code)]

pub mod config;
mod http;
/// Who a request comes from (trusted proxies and `X-Forwarded-For`).
pub use http::client_addr;
mod routes;
mod security;
mod serve;
mod state;

use std::{path::PathBuf, sync::Arc};

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode},
    middleware,
    response::Response,
    Router,
};
use coffer_app::{shell, App};
use coffer_domain::{janitor::Janitor, mail::Outbox, Clock, Domain};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

pub use config::Config;
pub use serve::serve;
pub use state::ServerState;

/// Largest request body accepted by the JSON API.
pub const MAX_API_BODY: usize = 64 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Domain(#[from] coffer_domain::OpenError),
    #[error("{0}")]
    Other(String),
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
    let invalid = serde_json::from_slice::<coffer_protocol::ErrorBody>(&bytes)
        .is_ok_and(|e| e.error == coffer_protocol::code::INVALID);
    if invalid {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Builds the whole application router.
pub fn router(
    leptos_options: LeptosOptions,
    domain: Domain,
    data_dir: PathBuf,
    http: config::HttpSettings,
) -> Router {
    let routes = generate_route_list(App);
    let state = ServerState {
        leptos_options: leptos_options.clone(),
        domain: domain.clone(),
        data_dir: Arc::new(data_dir),
        list_cache: Arc::new(http::list_cache::ListCache::new(
            usize::try_from(http.list_cache_bytes).unwrap_or(usize::MAX),
        )),
    };
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    let fallback_domain = domain.clone();
    // The app's pages, its server functions and its static files; unknown paths get the app's
    // own 404 page (with the domain in context, so nothing in it fails).
    let site: Router = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(domain.clone()),
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(
            move || provide_context(fallback_domain.clone()), shell
        ))
        .with_state(state.clone());
    Router::new()
        .merge(routes::api())
        // Everything else goes to the site, whose pages are rendered under a deadline (and
        // again when a render stalls): see http::render.
        .fallback_service(tower::service_fn(move |req| {
            let site = site.clone();
            async move {
                Ok::<_, std::convert::Infallible>(
                    http::render::guarded(site, req, http::render::RENDER_DEADLINE).await,
                )
            }
        }))
        .layer(middleware::from_fn(malformed_arguments_are_client_errors))
        .layer(RequestBodyLimitLayer::new(MAX_API_BODY))
        // Upload parts are limited to one part by the domain; the layers below cover them.
        .merge(routes::parts())
        .merge(routes::account_record())
        .layer(middleware::from_fn(security::reject_cross_site))
        .layer(middleware::from_fn(move |req, next| {
            http::slow::require_body_progress(http.clone(), req, next)
        }))
        .layer(compression())
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
            })
            // A 5xx is a warning here: `503 busy` is the server pacing a burst as designed,
            // and a real failure is logged at ERROR, with its cause, where it happened.
            .on_failure(
                tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN),
            ),
        )
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
        .with_state(state)
}

/// Compresses what compresses (JSON lists, pages, scripts, Wasm) and nothing else: file
/// content is ciphertext (`application/octet-stream`), which does not shrink and is served with
/// byte ranges. The fastest level: on two cores, CPU is the scarce thing.
fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::{
        predicate::{NotForContentType, Predicate},
        CompressionLayer, CompressionLevel, DefaultPredicate,
    };
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream")),
        )
}

/// Opens the domain `config` describes: database (migrated), blob store, settings.
pub async fn open_domain(config: &Config, clock: Arc<dyn Clock>) -> Result<Domain, StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        StartError::Other(format!(
            "COFFER_DATA_DIR: cannot create {}: {e}",
            config.data_dir.display()
        ))
    })?;
    Ok(Domain::open(
        config.database_url.expose(),
        &config.storage,
        config.settings(),
        clock,
    )
    .await?)
}

/// Starts everything but the listener: database, migrations, state, janitor, outbox, router.
/// The janitor and the outbox run for as long as the process does.
pub async fn build(
    config: &Config,
    leptos_options: LeptosOptions,
    clock: Arc<dyn Clock>,
) -> Result<Router, StartError> {
    Ok(build_with_background(config, leptos_options, clock)
        .await?
        .0)
}

/// What `build` does, and the tasks it started beside the router (janitor, outbox), so that
/// they can be stopped with it (tests stop a whole server and start another on its database).
pub async fn build_with_background(
    config: &Config,
    leptos_options: LeptosOptions,
    clock: Arc<dyn Clock>,
) -> Result<(Router, Background), StartError> {
    let domain = open_domain(config, clock).await?;
    let outbox = Outbox::new(domain.clone()).map_err(StartError::Other)?;
    let mut tasks = vec![tokio::spawn(
        Janitor::new(domain.clone()).run_every(config.vault.janitor_interval),
    )];
    if let Some(outbox) = outbox {
        tasks.push(tokio::spawn(outbox.run()));
    }
    let router = router(
        leptos_options,
        domain,
        config.data_dir.clone(),
        config.http.clone(),
    );
    Ok((router, Background { tasks }))
}

/// The tasks a server runs beside its router. Dropping this leaves them running.
pub struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    /// Ends the tasks where they are (as a process that exits would) and waits until they are
    /// gone.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
