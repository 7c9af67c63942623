//! Who the client is, and limits that do not lock everyone out, against a real server on
//! SQLite, PostgreSQL and MariaDB: `X-Forwarded-For` is believed only from a trusted proxy
//! (`COFFER_TRUSTED_PROXIES`), IPv6 clients are counted by their /64, and an account past its
//! limit still lets a client that is not the guesser in, after a delay.

mod common;

use std::time::Duration;

use coffer_app::keyring;
use coffer_protocol::b64;
use coffer_server::client_addr::parse_trusted;
use common::{session_cookie, users::PASSWORD, Backend, TestServer};
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

on_every_database!(
    a_trusted_proxy_names_the_client_and_others_cannot,
    ipv6_clients_are_counted_by_their_64,
    a_locked_account_still_lets_another_client_in_after_a_delay,
);

/// A request as it arrives through a proxy that forwards for `client`.
async fn post_from(s: &TestServer, client: &str, path: &str, body: Value) -> Response {
    s.http
        .post(s.url(path))
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, s.url(""))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The browser's login, from `client` (through the proxy); `password: None` sends a random key.
async fn login_from(s: &TestServer, client: &str, name: &str, password: Option<&str>) -> Response {
    let auth_key = match password {
        Some(password) => {
            let kdf = post_from(s, client, "/api/kdf-params", json!({ "username": name })).await;
            let keys = keyring::derive_keys(password, &kdf.json().await.unwrap()).unwrap();
            b64::encode(keys.auth_key().as_bytes())
        }
        None => b64::encode(&rand::random::<[u8; 32]>()),
    };
    post_from(
        s,
        client,
        "/api/login",
        json!({ "username": name, "auth_key": auth_key }),
    )
    .await
}

async fn session_ips(s: &TestServer, cookie: &str) -> Vec<String> {
    let list: Vec<Value> = s
        .post("/api/sessions/list", json!({}), Some(cookie))
        .await
        .json()
        .await
        .unwrap();
    let mut ips: Vec<String> = list
        .iter()
        .map(|s| s["client_ip"].as_str().unwrap().to_string())
        .collect();
    ips.sort();
    ips
}

async fn a_trusted_proxy_names_the_client_and_others_cannot(backend: Backend) {
    // No proxy trusted: a client's own X-Forwarded-For is ignored.
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("olga", PASSWORD).await;
    let spoofed = login_from(&s, "203.0.113.7", "olga", Some(PASSWORD)).await;
    assert_eq!(spoofed.status(), StatusCode::OK);
    assert_eq!(session_ips(&s, &cookie).await, ["127.0.0.1", "127.0.0.1"]);

    // Loopback is the proxy: the forwarded address is the client; hops a client wrote itself
    // (to the left of the proxy's own) are not believed.
    let s = TestServer::start(backend, |c| {
        c.http.trusted_proxies = parse_trusted("127.0.0.1/32").unwrap();
    })
    .await;
    let cookie = s.register_ok("pia", PASSWORD).await;
    let proxied = login_from(&s, "1.2.3.4, 203.0.113.7", "pia", Some(PASSWORD)).await;
    assert_eq!(proxied.status(), StatusCode::OK);
    let v6 = login_from(&s, "2001:db8::5", "pia", Some(PASSWORD)).await;
    assert_eq!(v6.status(), StatusCode::OK);
    assert_eq!(
        session_ips(&s, &cookie).await,
        ["127.0.0.1", "2001:db8::5", "203.0.113.7"]
    );
}

async fn ipv6_clients_are_counted_by_their_64(backend: Backend) {
    let s = TestServer::start(backend, |c| {
        c.http.trusted_proxies = parse_trusted("127.0.0.1").unwrap();
        c.auth.login_failures_per_ip = 3;
    })
    .await;
    s.register_ok("quinn", PASSWORD).await;
    // Three addresses of one /64 share one count.
    for host in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
        let res = login_from(&s, host, "nobody-at-all", None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&s, "2001:db8:1:2::4", "quinn", Some(PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "same /64");
    // The next /64 and an IPv4 client are not held back.
    let res = login_from(&s, "2001:db8:1:3::1", "quinn", Some(PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::OK, "another /64");
    let res = login_from(&s, "198.51.100.1", "quinn", Some(PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn a_locked_account_still_lets_another_client_in_after_a_delay(backend: Backend) {
    let s = TestServer::start(backend, |c| {
        c.http.trusted_proxies = parse_trusted("127.0.0.1").unwrap();
        c.auth.login_failures_per_account = 3;
        c.auth.login_failures_per_ip = 100;
        c.auth.locked_account_tries_per_client = 2;
        c.auth.locked_account_delay = Duration::from_millis(300);
    })
    .await;
    s.register_ok("rosa", PASSWORD).await;
    let guesser = "203.0.113.66";
    for _ in 0..3 {
        let res = login_from(&s, guesser, "rosa", None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // The account is past its limit: the guesser gets its two slow tries, then waits.
    for _ in 0..2 {
        let started = std::time::Instant::now();
        let res = login_from(&s, guesser, "rosa", None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(started.elapsed() >= Duration::from_millis(300), "delayed");
    }
    let res = login_from(&s, guesser, "rosa", Some(PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));

    // The owner, elsewhere, gets in (after the delay), and that clears the account's count.
    let started = std::time::Instant::now();
    let owner = login_from(&s, "198.51.100.20", "rosa", Some(PASSWORD)).await;
    assert_eq!(owner.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(session_cookie(&owner).is_some());
    let again = login_from(&s, "198.51.100.20", "rosa", Some(PASSWORD)).await;
    assert_eq!(again.status(), StatusCode::OK);
}
