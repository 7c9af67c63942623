//! Test users as their browsers hold them: registered through the real key code, logged in.

use std::time::Duration;

use coffer_app::keyring::Registration;
use reqwest::StatusCode;

use super::{session_cookie, TestServer};

/// The password every test user registers with.
pub const PASSWORD: &str = "correct horse battery staple";

/// A registered user: the name they registered with, their session and their keys.
pub struct User {
    pub name: String,
    pub cookie: String,
    pub reg: Registration,
}

/// Registers `name`; registration logs in, so the user has a session.
pub async fn user(s: &TestServer, name: &str) -> User {
    let (res, reg) = s.register(name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    User {
        name: name.to_string(),
        cookie: session_cookie(&res).expect("registration logs in"),
        reg,
    }
}

/// Sessions that outlive the hours these tests move the clock by.
pub fn long_sessions(c: &mut coffer_server::Config) {
    c.auth.session_idle = Duration::from_secs(7 * 86_400);
    c.auth.session_absolute = Duration::from_secs(7 * 86_400);
}
