//! Server-side services behind the server functions and the plain API routes.
//! Compiled only with the `ssr` feature.

pub mod accounts;
pub mod auth;
pub mod clock;
pub mod entities;
pub mod rate_limit;
pub mod secrets;

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

use crate::error::AppError;
pub use clock::{Clock, SystemClock};
pub use rate_limit::RateLimiter;

/// Settings for sessions, tokens and login throttling, taken from the server's config.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after login, however active.
    pub session_absolute: Duration,
    /// Longest lifetime an API token may be given.
    pub api_token_max: Duration,
    /// Mark the session cookie `Secure` and give it the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Failed logins allowed per client IP within `login_window`.
    pub login_failures_per_ip: u32,
    /// Failed logins allowed per username within `login_window`.
    pub login_failures_per_account: u32,
    /// Window over which failed logins are counted.
    pub login_window: Duration,
    /// Registrations allowed per client IP within `login_window`.
    pub registrations_per_ip: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_idle: Duration::from_secs(60 * 60),
            session_absolute: Duration::from_secs(12 * 60 * 60),
            api_token_max: Duration::from_secs(90 * 24 * 60 * 60),
            secure_cookies: true,
            login_failures_per_ip: 20,
            login_failures_per_account: 10,
            login_window: Duration::from_secs(15 * 60),
            registrations_per_ip: 20,
        }
    }
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<AuthSettings>,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<RateLimiter>,
    pub secrets: Arc<secrets::ServerSecrets>,
}

impl AppState {
    /// Builds the state, loading (or creating) the installation's secrets.
    pub async fn new(
        db: DatabaseConnection,
        settings: AuthSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, sea_orm::DbErr> {
        let secrets = secrets::ServerSecrets::load_or_create(&db).await?;
        Ok(AppState {
            db,
            settings: Arc::new(settings),
            clock,
            limiter: Arc::new(RateLimiter::default()),
            secrets: Arc::new(secrets),
        })
    }

    /// Milliseconds since the Unix epoch, by this state's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Logs a server-side failure in full and returns the generic error for the user.
pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
    tracing::error!(%err, "{context}");
    AppError::Internal
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        internal("database error", err)
    }
}
