//! `coffer-server`: serves Coffer on the address from `COFFER_BIND`.

use std::{process::ExitCode, sync::Arc};

use coffer_domain::SystemClock;
use coffer_server::Config;
use leptos::config::{get_configuration, LeptosOptions};
use tracing_subscriber::EnvFilter;

/// mimalloc gives freed memory back to the system soon after a burst; glibc's allocator kept
/// more of it (docs/PERFORMANCE.md, "Memory after a burst"; the `system-allocator` feature
/// builds with glibc's, to measure).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coffer: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let leptos = match site_options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("coffer: invalid LEPTOS_* site settings: {e}");
            return ExitCode::from(2);
        }
    };
    let router = match coffer_server::build(&config, leptos, Arc::new(SystemClock)).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("coffer: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("coffer: COFFER_BIND: cannot listen on {}: {e}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    tracing::info!(%url, data_dir = %config.data_dir.display(), "Coffer is listening");
    println!("Coffer is running at {url}");
    coffer_server::serve(listener, router, config.http.clone(), shutdown_signal()).await;
    tracing::info!("Coffer stopped");
    ExitCode::SUCCESS
}

/// The Leptos site settings: from the LEPTOS_* variables when cargo-leptos
/// runs us, else the built site under ./target/site (LEPTOS_SITE_ROOT moves it).
fn site_options() -> Result<LeptosOptions, String> {
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        return get_configuration(None)
            .map(|c| c.leptos_options)
            .map_err(|e| e.to_string());
    }
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    if !std::path::Path::new(&site_root).join("pkg").is_dir() {
        return Err(format!(
            "no built site at {site_root}/pkg: build it with `cargo leptos build` and run \
             from the project root, or set LEPTOS_SITE_ROOT"
        ));
    }
    Ok(LeptosOptions::builder()
        .output_name("coffer")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .build())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
