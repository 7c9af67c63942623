//! Calling the JSON API as the app does, and reading its answers.

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use super::{users::User, TestServer};

/// Sends `body` (if any) to `path` with `u`'s session (if any).
pub async fn call(
    s: &TestServer,
    method: Method,
    path: &str,
    u: Option<&User>,
    body: Option<Value>,
) -> Response {
    s.send(
        method,
        path,
        u.map(|u| u.cookie.as_str()),
        body.map(|b| b.to_string().into()),
    )
    .await
}

pub async fn post_json(s: &TestServer, path: &str, cookie: &str, body: Value) -> Response {
    s.send(
        Method::POST,
        path,
        Some(cookie),
        Some(body.to_string().into()),
    )
    .await
}

/// `GET path` as `u`, which must answer 200 with JSON.
pub async fn get_json(s: &TestServer, path: &str, u: &User) -> Value {
    let res = call(s, Method::GET, path, Some(u), None).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    json_of(res).await
}

/// The body as JSON; a body that is not JSON fails the test with what it was.
pub async fn json_of(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"))
}

/// The status and the `error` code of an error answer, which must carry a message.
pub async fn error_code(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let body = json_of(res).await;
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

pub async fn expect_error(res: Response, status: StatusCode, code: &str, what: &str) {
    let (got, got_code) = error_code(res).await;
    assert_eq!((got, got_code.as_str()), (status, code), "{what}");
}
