//! The server's configuration: one typed struct from `COFFER_*` environment
//! variables, checked at start-up. A bad value stops the server with a message
//! that names the variable.

use std::{
    collections::HashMap, fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration,
};

use coffer_app::backend::AuthSettings;

/// A value that must never be printed (it may hold a password).
#[derive(Clone)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Self {
        Redacted(value)
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// `COFFER_BIND`: address to listen on.
    pub bind: SocketAddr,
    /// `COFFER_DATA_DIR`: where the SQLite database and local blobs live.
    pub data_dir: PathBuf,
    /// `COFFER_DATABASE_URL`: sqlite://, postgres:// or mysql:// (may hold a password).
    pub database_url: Redacted<String>,
    /// Sessions, tokens and login throttling.
    pub auth: AuthSettings,
    /// `COFFER_LOG`: tracing filter.
    pub log_filter: String,
}

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    /// The offending variable.
    pub var: &'static str,
    /// What is wrong with it.
    pub message: String,
}

struct Vars(HashMap<String, String>);

impl Vars {
    fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    fn parse<T: FromStr>(
        &self,
        var: &'static str,
        default: T,
        what: &str,
    ) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| ConfigError {
                var,
                message: format!("expected {what}, got {raw:?}"),
            }),
        }
    }

    fn positive(&self, var: &'static str, default: u64, unit: &str) -> Result<u64, ConfigError> {
        let value: u64 = self.parse(var, default, &format!("a whole number of {unit}"))?;
        if value == 0 {
            return Err(ConfigError {
                var,
                message: format!("must be at least 1 {unit}"),
            });
        }
        Ok(value)
    }

    fn flag(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError {
                var,
                message: format!("expected true or false, got {other:?}"),
            }),
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Reads the configuration from the given variables (tests pass their own).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let v = Vars(vars.into_iter().collect());
        let bind = v.parse(
            "COFFER_BIND",
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            "an address like 127.0.0.1:3000",
        )?;
        let data_dir = PathBuf::from(v.get("COFFER_DATA_DIR").unwrap_or("./data"));
        let database_url = match v.get("COFFER_DATABASE_URL") {
            Some(url) => {
                let known = [
                    "sqlite:",
                    "postgres://",
                    "postgresql://",
                    "mysql://",
                    "mariadb://",
                ];
                if !known.iter().any(|p| url.starts_with(p)) {
                    return Err(ConfigError {
                        var: "COFFER_DATABASE_URL",
                        message: "expected a sqlite:, postgres:// or mysql:// URL".into(),
                    });
                }
                url.replacen("mariadb://", "mysql://", 1)
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("coffer.db").display()),
        };
        let defaults = AuthSettings::default();
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let auth = AuthSettings {
            secure_cookies: v.flag("COFFER_SECURE_COOKIES", defaults.secure_cookies)?,
            session_idle: minutes(v.positive(
                "COFFER_SESSION_IDLE_MINUTES",
                defaults.session_idle.as_secs() / 60,
                "minutes",
            )?),
            session_absolute: minutes(
                60 * v.positive(
                    "COFFER_SESSION_MAX_HOURS",
                    defaults.session_absolute.as_secs() / 3600,
                    "hours",
                )?,
            ),
            api_token_max: minutes(
                24 * 60
                    * v.positive(
                        "COFFER_API_TOKEN_MAX_DAYS",
                        defaults.api_token_max.as_secs() / 86_400,
                        "days",
                    )?,
            ),
            login_failures_per_ip: v.positive(
                "COFFER_LOGIN_FAILURES_PER_IP",
                defaults.login_failures_per_ip.into(),
                "attempts",
            )? as u32,
            login_failures_per_account: v.positive(
                "COFFER_LOGIN_FAILURES_PER_ACCOUNT",
                defaults.login_failures_per_account.into(),
                "attempts",
            )? as u32,
            login_window: Duration::from_secs(v.positive(
                "COFFER_LOGIN_WINDOW_SECONDS",
                defaults.login_window.as_secs(),
                "seconds",
            )?),
            registrations_per_ip: v.positive(
                "COFFER_REGISTRATIONS_PER_IP",
                defaults.registrations_per_ip.into(),
                "registrations",
            )? as u32,
        };
        if auth.session_idle > auth.session_absolute {
            return Err(ConfigError {
                var: "COFFER_SESSION_IDLE_MINUTES",
                message: "must not exceed COFFER_SESSION_MAX_HOURS".into(),
            });
        }
        Ok(Config {
            bind,
            data_dir,
            database_url: Redacted::new(database_url),
            auth,
            log_filter: v.get("COFFER_LOG").unwrap_or("info").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_serve_on_loopback_3000_with_sqlite_in_the_data_dir() {
        let c = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert!(c.database_url.expose().starts_with("sqlite://"));
        assert!(c.database_url.expose().contains("data"));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = Config::from_vars(vars(&[("COFFER_BIND", "nonsense")])).unwrap_err();
        assert_eq!(err.var, "COFFER_BIND");
        let err = Config::from_vars(vars(&[("COFFER_SESSION_IDLE_MINUTES", "0")])).unwrap_err();
        assert_eq!(err.var, "COFFER_SESSION_IDLE_MINUTES");
        let err = Config::from_vars(vars(&[("COFFER_DATABASE_URL", "oracle://x")])).unwrap_err();
        assert_eq!(err.var, "COFFER_DATABASE_URL");
        let err = Config::from_vars(vars(&[("COFFER_SECURE_COOKIES", "maybe")])).unwrap_err();
        assert_eq!(err.var, "COFFER_SECURE_COOKIES");
    }

    #[test]
    fn the_database_url_never_appears_in_debug_output() {
        let c = Config::from_vars(vars(&[(
            "COFFER_DATABASE_URL",
            "postgres://u:hunter2@db/coffer",
        )]))
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
