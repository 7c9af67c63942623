//! Accounts over HTTP against a real server, on SQLite, PostgreSQL and MariaDB:
//! registration, login, logout, expiry, rate limits, enumeration resistance,
//! API tokens, the cross-site guard and security headers.

mod common;

use std::time::Duration;

use common::{session_cookie, users::PASSWORD, Backend, TestServer};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

on_every_database!(
    register_login_and_logout,
    login_rotates_the_session,
    unknown_user_and_wrong_password_look_the_same,
    kdf_params_do_not_reveal_which_usernames_exist,
    failed_logins_are_rate_limited_per_account,
    failed_logins_are_rate_limited_per_ip,
    sessions_expire_when_idle_and_absolutely,
    usernames_are_unique_case_insensitively,
    malformed_registrations_are_refused_and_store_nothing,
    api_tokens_authenticate_expire_and_revoke,
    cross_site_requests_are_refused,
    get_requests_do_not_change_state,
);

async fn register_login_and_logout(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let (res, reg) = s.register("Alice", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res).expect("registration logs in");
    let bundle: Value = res.json().await.unwrap();
    assert_eq!(bundle["username"], "Alice");

    let account = s.account(&cookie).await.expect("session is valid");
    assert_eq!(account.public_key, reg.request.public_key);
    assert_eq!(
        account.sealed_account_key,
        reg.request.sealed_account_key_password
    );

    let login = s.login("alice", PASSWORD, None).await;
    assert_eq!(login.status(), StatusCode::OK);
    let second = session_cookie(&login).unwrap();

    let out = s.post("/api/logout", json!({}), Some(&second)).await;
    assert_eq!(out.status(), StatusCode::OK);
    let cleared = out
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(
        s.account(&second).await.is_none(),
        "logout ends the session server-side"
    );
    assert!(
        s.account(&cookie).await.is_some(),
        "other sessions are not affected"
    );
}

async fn login_rotates_the_session(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let first = s.register_ok("bob", PASSWORD).await;
    let res = s.login("bob", PASSWORD, Some(&first)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = session_cookie(&res).unwrap();
    assert_ne!(first, second);
    assert!(
        s.account(&first).await.is_none(),
        "the old token dies at login"
    );
    assert!(s.account(&second).await.is_some());
}

async fn unknown_user_and_wrong_password_look_the_same(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    s.register_ok("carol", PASSWORD).await;
    let wrong = s.login("carol", "not the password at all", None).await;
    let unknown = s.login("nobody-here", PASSWORD, None).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), wrong.status());
    assert!(session_cookie(&wrong).is_none());
    let wrong: Value = wrong.json().await.unwrap();
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "bad_credentials");
}

async fn kdf_params_do_not_reveal_which_usernames_exist(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    s.register_ok("dave", PASSWORD).await;
    let get = |name: &'static str| {
        let s = &s;
        async move {
            let res = s
                .post("/api/kdf-params", json!({ "username": name }), None)
                .await;
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        }
    };
    let real = get("dave").await;
    let fake = get("erin").await;
    assert_eq!(fake, get("erin").await, "fake parameters are stable");
    assert_eq!(
        fake,
        get("ERIN").await,
        "and case-insensitive, like real ones"
    );
    assert_ne!(fake["salt"], get("frank").await["salt"]);
    assert_eq!(real["params"], fake["params"]);
    assert_eq!(
        real["salt"].as_str().unwrap().len(),
        fake["salt"].as_str().unwrap().len()
    );
    let keys: Vec<_> = real.as_object().unwrap().keys().collect();
    assert_eq!(keys, fake.as_object().unwrap().keys().collect::<Vec<_>>());
}

async fn failed_logins_are_rate_limited_per_account(backend: Backend) {
    let s = TestServer::start(backend, |c| {
        c.auth.login_failures_per_account = 3;
        c.auth.locked_account_tries_per_client = 1;
        c.auth.locked_account_delay = Duration::from_millis(10);
    })
    .await;
    s.register_ok("grace", PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(
            s.login_with_random_key("grace").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Past the account's limit this client gets one more (delayed) try, then waits.
    assert_eq!(
        s.login_with_random_key("grace").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let limited = s.login("grace", PASSWORD, None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    // Unknown accounts are throttled the same way, so the limit reveals nothing.
    for _ in 0..4 {
        s.login_with_random_key("ghost").await;
    }
    assert_eq!(
        s.login_with_random_key("ghost").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    s.advance(Duration::from_secs(retry + 1));
    assert_eq!(
        s.login("grace", PASSWORD, None).await.status(),
        StatusCode::OK
    );
}

async fn failed_logins_are_rate_limited_per_ip(backend: Backend) {
    let s = TestServer::start(backend, |c| c.auth.login_failures_per_ip = 4).await;
    s.register_ok("heidi", PASSWORD).await;
    for name in ["a1", "a2", "a3", "a4"] {
        s.login_with_random_key(name).await;
    }
    let res = s.login("heidi", PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
}

async fn sessions_expire_when_idle_and_absolutely(backend: Backend) {
    let s = TestServer::start(backend, |c| {
        c.auth.session_idle = Duration::from_secs(10 * 60);
        c.auth.session_absolute = Duration::from_secs(60 * 60);
    })
    .await;
    let idle = s.register_ok("ivan", PASSWORD).await;
    s.advance(Duration::from_secs(11 * 60));
    assert!(s.account(&idle).await.is_none(), "idle session expired");

    let active = s.login("ivan", PASSWORD, None).await;
    let active = session_cookie(&active).unwrap();
    for _ in 0..6 {
        s.advance(Duration::from_secs(9 * 60));
        assert!(
            s.account(&active).await.is_some(),
            "activity keeps it alive"
        );
    }
    s.advance(Duration::from_secs(9 * 60));
    assert!(
        s.account(&active).await.is_none(),
        "absolute lifetime reached"
    );
}

async fn usernames_are_unique_case_insensitively(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    s.register_ok("Judy", PASSWORD).await;
    let (res, _) = s.register("JUDY", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(session_cookie(&res).is_none());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["message"], "That username is taken.");
}

async fn malformed_registrations_are_refused_and_store_nothing(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let mut rng = rand_core::OsRng;
    let good = coffer_app::keyring::prepare_registration("mallory", "", PASSWORD, &mut rng)
        .unwrap()
        .request;
    let good = serde_json::to_value(&good).unwrap();
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut bad_key = good.clone();
    bad_key["public_key"] = json!("AAAA");
    cases.push(("public key", bad_key));
    let mut weak = good.clone();
    weak["kdf"]["params"]["memory_kib"] = json!(1024);
    cases.push(("kdf params below the floor", weak));
    let mut huge = good.clone();
    huge["kdf"]["params"]["memory_kib"] = json!(u32::MAX);
    cases.push(("kdf params above the ceiling", huge));
    let mut short_auth = good.clone();
    short_auth["auth_key"] = json!("AAAA");
    cases.push(("auth key", short_auth));
    let mut bad_b64 = good.clone();
    bad_b64["sealed_private_key"] = json!("!!not base64!!");
    cases.push(("base64", bad_b64));
    let mut bad_name = good.clone();
    bad_name["username"] = json!("<script>");
    cases.push(("username", bad_name));
    for (what, body) in cases {
        let res = s
            .post("/api/register", json!({ "request": body }), None)
            .await;
        assert!(
            res.status().is_client_error(),
            "{what}: got {}",
            res.status()
        );
        assert!(session_cookie(&res).is_none(), "{what}");
    }
    // Its own client: the server closes the connection without reading the
    // oversized body, and a pooled connection must not be reused after that.
    let res = reqwest::Client::new()
        .post(s.url("/api/register"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(vec![b'x'; 200 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = s.login("mallory", PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "nothing was stored");
    let ok = s
        .post("/api/register", json!({ "request": good }), None)
        .await;
    assert_eq!(ok.status(), StatusCode::OK, "the good request still works");
}

async fn api_tokens_authenticate_expire_and_revoke(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("ken", PASSWORD).await;
    let me = |token: String| {
        let s = &s;
        async move {
            s.http
                .get(s.url("/api/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let created = s
        .post(
            "/api/tokens/create",
            json!({ "name": "backup script", "days": 2 }),
            Some(&cookie),
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("cft_"));

    let res = me(token.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["username"], "ken");

    let res = me("cft_not-a-real-token".into()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_token");

    s.advance(Duration::from_secs(2 * 86_400 + 1));
    let res = me(token.clone()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "token_expired");
    assert!(body["message"].as_str().unwrap().contains("expired"));

    let cookie = session_cookie(&s.login("ken", PASSWORD, None).await).unwrap();
    let fresh: Value = s
        .post(
            "/api/tokens/create",
            json!({ "name": "second", "days": 1 }),
            Some(&cookie),
        )
        .await
        .json()
        .await
        .unwrap();
    let fresh_token = fresh["token"].as_str().unwrap().to_string();
    assert_eq!(me(fresh_token.clone()).await.status(), StatusCode::OK);
    let revoke = s
        .post(
            "/api/tokens/revoke",
            json!({ "id": fresh["id"] }),
            Some(&cookie),
        )
        .await;
    assert_eq!(revoke.status(), StatusCode::OK);
    let res = me(fresh_token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_token");

    let too_long = s
        .post(
            "/api/tokens/create",
            json!({ "name": "forever", "days": 10_000 }),
            Some(&cookie),
        )
        .await;
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);
    let anonymous = s
        .post(
            "/api/tokens/create",
            json!({ "name": "x", "days": 1 }),
            None,
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn cross_site_requests_are_refused(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("liz", PASSWORD).await;
    let forged = s
        .http
        .post(s.url("/api/logout"))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, format!("__Host-coffer_session={cookie}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let cross = s
        .http
        .post(s.url("/api/logout"))
        .header("sec-fetch-site", "cross-site")
        .header(header::COOKIE, format!("__Host-coffer_session={cookie}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert!(
        s.account(&cookie).await.is_some(),
        "the forged logouts did nothing"
    );
}

async fn get_requests_do_not_change_state(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("mia", PASSWORD).await;
    let res = s
        .http
        .get(s.url("/api/logout"))
        .header(header::COOKIE, format!("__Host-coffer_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert!(
        !res.status().is_success(),
        "GET /api/logout: {}",
        res.status()
    );
    assert!(s.account(&cookie).await.is_some());
}
