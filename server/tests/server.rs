//! Server behaviour that does not depend on the database kind: security
//! headers, health, start-up checks.

mod common;

use common::{Backend, TestServer};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_nonce_csp_and_the_security_headers() {
    let s = TestServer::start(Backend::Sqlite, |_| {}).await;
    let res = s.http.get(s.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let body = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("CSP has a nonce");
    assert!(nonce.len() >= 16);
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the nonce"
    );
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.contains_key("x-request-id"));

    let again = s.http.get(s.url("/")).send().await.unwrap();
    let csp2 = again.headers()["content-security-policy"].to_str().unwrap();
    assert_ne!(csp, csp2, "a fresh nonce per response");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_responses_get_a_strict_csp_too() {
    let s = TestServer::start(Backend::Sqlite, |_| {}).await;
    let res = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let res = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_answer_404() {
    let s = TestServer::start(Backend::Sqlite, |_| {}).await;
    let res = s.http.get(s.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_coffer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    let db = coffer_domain::connect_database(&url).await.unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_future', 0)",
    )
    .await
    .unwrap();
    drop(db);
    let err = coffer_domain::connect_database(&url).await.unwrap_err();
    assert!(err.to_string().contains("newer version of Coffer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_is_a_404_and_no_error_in_the_log() {
    let log = common::log::captured_log("debug");
    let s = TestServer::start(Backend::Sqlite, |_| {}).await;
    let marker = format!("/no-such-page-{:08x}", rand::random::<u32>());
    let res = s.http.get(s.url(&marker)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(text.contains(&marker), "the request is in the (debug) log");
}

/// Every page, rendered many times at once on a runtime with several worker threads (a render
/// may move between them), answers whole: a value the render keeps in thread-local storage
/// panics when the render ends on another thread than the one that made it, which ended the
/// response half-way (seen as a login page that never finished loading in the browser).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_rendered_concurrently_on_many_threads_all_answer_whole() {
    let s = TestServer::start(Backend::Sqlite, |_| {}).await;
    let paths = [
        "/",
        "/login",
        "/register",
        "/recover",
        "/vault",
        "/shared",
        "/account",
        "/decrypt",
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..40 {
        for path in paths {
            let http = s.http.clone();
            let url = s.url(path);
            tasks.spawn(async move {
                let res = http
                    .get(&url)
                    .send()
                    .await
                    .map_err(|e| format!("{path}: {e}"))?;
                let status = res.status();
                let body = res
                    .text()
                    .await
                    .map_err(|e| format!("{path} (round {round}): {e}"))?;
                if status != StatusCode::OK || !body.contains("</html>") {
                    let tail = &body[body.len().saturating_sub(80)..];
                    return Err(format!(
                        "{path} (round {round}): {status}, cut short: …{tail}"
                    ));
                }
                Ok::<_, String>(())
            });
        }
    }
    let mut failures = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 320 renders failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}
