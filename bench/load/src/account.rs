//! Accounts as the browser handles them: keys made and unlocked by `coffer_app::keyring`, the
//! server functions `/api/register`, `/api/kdf-params` and `/api/login` with the app's JSON
//! bodies. Argon2id (64 MiB) runs on the blocking pool, never on the request workers.

use coffer_app::keyring::{self, UnlockedKeys};
use coffer_crypto::PasswordKeys;
use coffer_protocol::{
    accounts::{AccountBundle, KdfSetup},
    b64,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    server::{expect, session_cookie, Server},
    Fallible,
};

/// A logged-in user: the session cookie (`name=value`) and the unlocked keys.
pub struct Session {
    pub cookie: String,
    pub keys: UnlockedKeys,
}

/// Registers `user`, or logs in if the name is taken (or registration is refused, e.g. limited).
pub async fn register_or_login(server: &Server, user: &str, password: &str) -> Fallible<Session> {
    let (name, pw) = (user.to_string(), password.to_string());
    let reg = tokio::task::spawn_blocking(move || {
        keyring::prepare_registration(&name, "", &pw, &mut rand_core::OsRng)
    })
    .await??;
    let body = json!({ "request": serde_json::to_value(&reg.request)? });
    let res = server.post_json("/api/register", &body, None).await?;
    if res.status() == StatusCode::OK {
        let cookie = session_cookie(&res).ok_or("registration set no session cookie")?;
        return Ok(Session {
            cookie,
            keys: reg.keys,
        });
    }
    let refused = format!("{}: {}", res.status(), res.text().await.unwrap_or_default());
    login(server, user, password).await.map_err(|e| {
        format!("registering {user:?} was refused ({refused}), and logging in: {e}").into()
    })
}

/// Logs in and unlocks the account's keys.
pub async fn login(server: &Server, user: &str, password: &str) -> Fallible<Session> {
    let keys = password_keys(server, user, password).await?;
    let res = server
        .post_json("/api/login", &login_body(user, &keys), None)
        .await?;
    let res = expect(res, StatusCode::OK, "login").await?;
    let cookie = session_cookie(&res).ok_or("login set no session cookie")?;
    let bundle: AccountBundle = res.json().await?;
    let keys = keyring::unlock(&bundle, &keys)?;
    Ok(Session { cookie, keys })
}

/// The password's keys for `user`: the server's KDF setup, then Argon2id here.
pub async fn password_keys(server: &Server, user: &str, password: &str) -> Fallible<PasswordKeys> {
    let res = server
        .post_json("/api/kdf-params", &json!({ "username": user }), None)
        .await?;
    let kdf: KdfSetup = expect(res, StatusCode::OK, "kdf-params")
        .await?
        .json()
        .await?;
    let pw = password.to_string();
    Ok(tokio::task::spawn_blocking(move || keyring::derive_keys(&pw, &kdf)).await??)
}

/// The body of `POST /api/login`.
pub fn login_body(user: &str, keys: &PasswordKeys) -> serde_json::Value {
    json!({ "username": user, "auth_key": b64::encode(keys.auth_key().as_bytes()) })
}
