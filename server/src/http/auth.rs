//! The one way a route learns who is calling: the [`Caller`] extractor, which authenticates
//! the bearer token or session cookie a request presents (or answers 401), and holds an API
//! token to its scopes by the request's method (`GET`/`HEAD` read, anything else writes; 403
//! otherwise), so no route can forget the check.

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, Method},
};
use coffer_domain::{auth::Presented, Domain};
use coffer_protocol::accounts::TokenScope;

use super::ApiError;
use crate::state::ServerState;

/// The authenticated caller of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Their user id.
    pub user_id: i64,
}

/// What the request's `Authorization` and `Cookie` headers present.
pub fn presented(domain: &Domain, headers: &axum::http::HeaderMap) -> Presented {
    use axum::http::header;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    Presented::from_headers(authorization, cookies, domain.cookie_name())
}

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Self, Self::Rejection> {
        let presented = presented(&state.domain, &parts.headers);
        let caller = state.domain.authenticate(&presented).await?;
        let scope = if matches!(parts.method, Method::GET | Method::HEAD) {
            TokenScope::Read
        } else {
            TokenScope::Write
        };
        caller.require_scope(scope)?;
        Ok(Caller {
            user_id: caller.user_id,
        })
    }
}
