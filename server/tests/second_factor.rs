//! Two-step login against a real server on SQLite, PostgreSQL and MariaDB: turning TOTP on
//! with a code from an authenticator (computed here with totp-rs from the secret the server
//! showed), logins that give no session and no sealed keys until a code passes, codes used once,
//! recovery codes used once, wrong codes limited, and turning it off only with the password.

mod common;

use std::time::Duration;

use coffer_app::keyring;
use coffer_domain::Clock;
use coffer_protocol::b64;
use common::{challenge_of, session_cookie, users::PASSWORD, Backend, TestServer, CHALLENGE};
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};
use totp_rs::{Algorithm, TOTP};

on_every_database!(
    totp_is_turned_on_by_a_code_and_then_guards_every_login,
    codes_and_recovery_codes_work_once,
    wrong_codes_are_limited_and_tickets_expire,
    turning_it_off_needs_the_password,
    a_reset_with_the_recovery_key_still_asks_for_the_code,
);

/// Reads an RFC 4648 base32 secret as the authenticator app would.
fn decode_base32(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The code an authenticator app shows for `secret` at the server's time (+ `steps` × 30 s).
fn code_at(s: &TestServer, secret: &[u8], steps: i64) -> String {
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret.to_vec());
    let now = (s.clock.now_ms() / 1000 + steps * 30) as u64;
    totp.generate(now)
}

/// Turns TOTP on for the session `cookie`; returns the secret and the recovery codes.
async fn turn_on(s: &TestServer, cookie: &str) -> (Vec<u8>, Vec<String>) {
    let setup = s.post("/api/totp/setup", json!({}), Some(cookie)).await;
    assert_eq!(setup.status(), StatusCode::OK);
    let setup: Value = setup.json().await.unwrap();
    let secret = decode_base32(setup["secret"].as_str().unwrap());
    assert_eq!(secret.len(), 20);
    assert!(setup["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Coffer:"));
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    let res = s
        .post(
            "/api/totp/enable",
            json!({ "code": code_at(s, &secret, 0) }),
            Some(cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes: Vec<String> = res.json().await.unwrap();
    (secret, codes)
}

/// The first step: the password proof. Answers the challenge ticket.
async fn password_step(s: &TestServer, name: &str) -> String {
    let res = s.login(name, PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&res).is_none(), "no session yet");
    let ticket = challenge_of(&res).expect("a challenge cookie");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "second_factor_required");
    assert!(body.get("sealed_account_key").is_none(), "no sealed keys");
    assert!(
        !body.to_string().contains(&ticket),
        "the ticket is not in the body"
    );
    ticket
}

async fn code_step(s: &TestServer, ticket: Option<&str>, code: &str) -> Response {
    let mut req = s
        .http
        .post(s.url("/api/login/second-factor"))
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, s.url(""))
        .json(&json!({ "code": code }));
    if let Some(ticket) = ticket {
        req = req.header(header::COOKIE, format!("{CHALLENGE}={ticket}"));
    }
    req.send().await.unwrap()
}

async fn totp_is_turned_on_by_a_code_and_then_guards_every_login(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("tara", PASSWORD).await;
    let status: Value = s
        .post("/api/totp/status", json!({}), Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        status,
        json!({ "totp": false, "recovery_codes_left": 0, "email_codes": false })
    );

    // A wrong code does not turn it on.
    let setup: Value = s
        .post("/api/totp/setup", json!({}), Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    let secret = decode_base32(setup["secret"].as_str().unwrap());
    let wrong = s
        .post(
            "/api/totp/enable",
            json!({ "code": code_at(&s, &secret, 5) }),
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        s.login("tara", PASSWORD, None).await.status(),
        StatusCode::OK,
        "still off"
    );

    let (secret, codes) = turn_on(&s, &cookie).await;
    assert_eq!(codes.len(), 10);
    let status: Value = s
        .post("/api/totp/status", json!({}), Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        status,
        json!({ "totp": true, "recovery_codes_left": 10, "email_codes": false })
    );

    s.advance(Duration::from_secs(30));
    let ticket = password_step(&s, "tara").await;
    let res = code_step(&s, Some(&ticket), &code_at(&s, &secret, 0)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let session = session_cookie(&res).expect("a session now");
    let bundle: Value = res.json().await.unwrap();
    assert!(bundle["sealed_account_key"].is_string());
    assert!(s.account(&session).await.is_some());
    // The ticket is spent.
    s.advance(Duration::from_secs(30));
    let again = code_step(&s, Some(&ticket), &code_at(&s, &secret, 0)).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    // A wrong password never reaches the second step.
    let res = s.login_with_random_key("tara").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge_of(&res).is_none());
}

async fn codes_and_recovery_codes_work_once(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("uma", PASSWORD).await;
    let (secret, codes) = turn_on(&s, &cookie).await;

    // The code that turned it on cannot log in within its step (no replay).
    let ticket = password_step(&s, "uma").await;
    let res = code_step(&s, Some(&ticket), &code_at(&s, &secret, 0)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A recovery code, typed loosely, works once.
    let loose = codes[3].to_lowercase().replace('-', " ");
    let res = code_step(&s, Some(&ticket), &loose).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ticket = password_step(&s, "uma").await;
    let res = code_step(&s, Some(&ticket), &codes[3]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "used already");
    let res = code_step(&s, Some(&ticket), &codes[4]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let status: Value = s
        .post("/api/totp/status", json!({}), Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["recovery_codes_left"], 8);
}

async fn wrong_codes_are_limited_and_tickets_expire(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("vera", PASSWORD).await;
    let (secret, _) = turn_on(&s, &cookie).await;
    s.advance(Duration::from_secs(60));

    let ticket = password_step(&s, "vera").await;
    assert_eq!(
        code_step(&s, None, &code_at(&s, &secret, 0)).await.status(),
        StatusCode::UNAUTHORIZED,
        "no ticket"
    );
    assert_eq!(
        code_step(&s, Some("0123abcd"), &code_at(&s, &secret, 0))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "a made-up ticket"
    );
    for _ in 0..5 {
        let res = code_step(&s, Some(&ticket), "000000").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
    let res = code_step(&s, Some(&ticket), &code_at(&s, &secret, 0)).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right code waits"
    );
    assert!(res.headers().contains_key(header::RETRY_AFTER));

    s.advance(Duration::from_secs(16 * 60));
    let res = code_step(&s, Some(&ticket), &code_at(&s, &secret, 0)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the ticket expired");
    let ticket = password_step(&s, "vera").await;
    let res = code_step(&s, Some(&ticket), &code_at(&s, &secret, 0)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn turning_it_off_needs_the_password(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let cookie = s.register_ok("wren", PASSWORD).await;
    turn_on(&s, &cookie).await;
    let bundle = s.account(&cookie).await.unwrap();
    let wrong = s
        .post(
            "/api/totp/disable",
            json!({ "auth_key": b64::encode(&[1u8; 32]) }),
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    password_step(&s, "wren").await;

    let keys = keyring::derive_keys(PASSWORD, &bundle.kdf).unwrap();
    let res = s
        .post(
            "/api/totp/disable",
            json!({ "auth_key": b64::encode(keys.auth_key().as_bytes()) }),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        s.login("wren", PASSWORD, None).await.status(),
        StatusCode::OK
    );
}

async fn a_reset_with_the_recovery_key_still_asks_for_the_code(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let (res, reg) = s.register("xena", PASSWORD).await;
    let cookie = session_cookie(&res).unwrap();
    let (secret, _) = turn_on(&s, &cookie).await;
    s.advance(Duration::from_secs(60));

    let seal: coffer_protocol::accounts::RecoverySeal = s
        .post("/api/recovery/key", json!({ "username": "xena" }), None)
        .await
        .json()
        .await
        .unwrap();
    let (key, format) = keyring::open_with_recovery(&reg.recovery_key.to_display(), &seal).unwrap();
    let reset = keyring::prepare_recovery_reset(
        "xena",
        &key,
        format,
        "a new password, long enough",
        &mut rand_core::OsRng,
    )
    .unwrap();
    let res = s
        .post(
            "/api/recovery/reset",
            json!({ "request": serde_json::to_value(&reset.request).unwrap() }),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&res).is_none());
    let ticket = challenge_of(&res).expect("a challenge");
    let res = code_step(&s, Some(&ticket), &code_at(&s, &secret, 0)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(session_cookie(&res).is_some());
}
