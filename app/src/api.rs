//! Server functions: thin wrappers that take state from context, check who is
//! calling, call the service in `backend`, and turn errors into HTTP statuses.
//! Each has a readable endpoint under `/api/` and takes a JSON body.

use leptos::{prelude::*, server_fn::codec::Json};

use crate::{
    error::AppError,
    wire::{AccountBundle, ApiTokenInfo, KdfSetup, NewApiToken, RegisterRequest},
};

#[cfg(feature = "ssr")]
mod ctx {
    use http::{header, request::Parts, HeaderValue, StatusCode};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::{
        backend::{auth::Caller, AppState},
        error::AppError,
    };

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from server function context");
            AppError::Internal
        })
    }

    pub fn parts() -> Result<Parts, AppError> {
        use_context::<Parts>().ok_or(AppError::Internal)
    }

    /// The peer address; Coffer does not trust forwarding headers (see README).
    pub fn client_ip(parts: &Parts) -> String {
        parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    pub async fn caller(state: &AppState) -> Result<Caller, AppError> {
        Ok(state.authenticate(&parts()?.headers).await?)
    }

    pub fn set_cookie(value: HeaderValue) {
        if let Some(res) = use_context::<ResponseOptions>() {
            res.append_header(header::SET_COOKIE, value);
        }
    }

    /// Sends errors with their HTTP status (and Retry-After for rate limits).
    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let (Err(err), Some(res)) = (&result, use_context::<ResponseOptions>()) {
            res.set_status(StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST));
            if let AppError::RateLimited(secs) = err {
                res.insert_header(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
        }
        result
    }
}

/// KDF salt and parameters for a username (stable fakes for unknown names).
#[server(prefix = "/api", endpoint = "kdf-params", input = Json)]
pub async fn kdf_params(username: String) -> Result<KdfSetup, AppError> {
    ctx::respond(async { ctx::state()?.kdf_setup(&username).await }.await)
}

/// Creates an account and logs it in.
#[server(prefix = "/api", endpoint = "register", input = Json)]
pub async fn register(request: RegisterRequest) -> Result<AccountBundle, AppError> {
    ctx::respond(
        async {
            let state = ctx::state()?;
            let parts = ctx::parts()?;
            let user_id = state.register(request, &ctx::client_ip(&parts)).await?;
            let token = state.create_session(user_id).await?;
            ctx::set_cookie(state.session_cookie(Some(&token)));
            state.account_bundle(user_id).await
        }
        .await,
    )
}

/// Logs in with the auth key derived in the browser; returns the sealed keys.
#[server(prefix = "/api", endpoint = "login", input = Json)]
pub async fn login(username: String, auth_key: String) -> Result<AccountBundle, AppError> {
    ctx::respond(
        async {
            let state = ctx::state()?;
            let parts = ctx::parts()?;
            let auth_key = crate::wire::b64::decode(&auth_key)
                .map_err(|_| AppError::invalid("The auth key is malformed."))?;
            let user = state
                .login(&username, auth_key, &ctx::client_ip(&parts))
                .await?;
            // Rotate: whatever session this browser had ends; a fresh token starts.
            if let Some(old) = state.session_token(&parts.headers) {
                state.end_session(&old).await?;
            }
            let token = state.create_session(user.id).await?;
            ctx::set_cookie(state.session_cookie(Some(&token)));
            state.account_bundle(user.id).await
        }
        .await,
    )
}

/// Ends the session on the server and clears the cookie.
#[server(prefix = "/api", endpoint = "logout", input = Json)]
pub async fn logout() -> Result<(), AppError> {
    ctx::respond(
        async {
            let state = ctx::state()?;
            let parts = ctx::parts()?;
            if let Some(token) = state.session_token(&parts.headers) {
                state.end_session(&token).await?;
            }
            ctx::set_cookie(state.session_cookie(None));
            Ok(())
        }
        .await,
    )
}

/// The signed-in account's sealed keys, or `None` without a valid session.
#[server(prefix = "/api", endpoint = "account", input = Json)]
pub async fn current_account() -> Result<Option<AccountBundle>, AppError> {
    ctx::respond(
        async {
            let state = ctx::state()?;
            match ctx::caller(&state).await {
                Ok(caller) => Ok(Some(state.account_bundle(caller.user_id).await?)),
                Err(AppError::Unauthorized(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        .await,
    )
}

/// Creates an API token (shown once) valid for `days` days.
#[server(prefix = "/api", endpoint = "tokens/create", input = Json)]
pub async fn create_api_token(name: String, days: u32) -> Result<NewApiToken, AppError> {
    ctx::respond(
        async {
            let state = ctx::state()?;
            let caller = ctx::caller(&state).await?;
            let lifetime = std::time::Duration::from_secs(u64::from(days) * 86_400);
            state
                .create_api_token(caller.user_id, &name, lifetime)
                .await
        }
        .await,
    )
}

/// Lists the caller's API tokens.
#[server(prefix = "/api", endpoint = "tokens/list", input = Json)]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    ctx::respond(
        async {
            let state = ctx::state()?;
            let caller = ctx::caller(&state).await?;
            state.list_api_tokens(caller.user_id).await
        }
        .await,
    )
}

/// Revokes one of the caller's API tokens.
#[server(prefix = "/api", endpoint = "tokens/revoke", input = Json)]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    ctx::respond(
        async {
            let state = ctx::state()?;
            let caller = ctx::caller(&state).await?;
            state.revoke_api_token(caller.user_id, id).await
        }
        .await,
    )
}
