//! The server's configuration: one typed struct from `COFFER_*` environment
//! variables, checked at start-up. A bad value stops the server with a message
//! that names the variable.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

pub use coffer_domain::{
    AuthSettings, MailSettings, Redacted, S3Config, StorageConfig, VaultSettings,
};
use coffer_domain::{Settings, MAX_PARTS, MAX_PART_BYTES_CEILING, MIN_PART_BYTES};

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
    /// `COFFER_STORAGE_URL` and the `COFFER_S3_*` variables: where file content goes.
    pub storage: StorageConfig,
    /// Sizes, quota and clean-up of the vault.
    pub vault: VaultSettings,
    /// Timeouts of the HTTP connections.
    pub http: HttpSettings,
    /// `COFFER_SMTP_URL`, `COFFER_MAIL_FROM`, `COFFER_REQUIRE_EMAIL`,
    /// `COFFER_MAIL_RETRY_SECONDS`: email.
    pub mail: MailSettings,
}

/// How long the server waits for slow clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// `COFFER_HEADER_TIMEOUT_SECONDS`: a request's headers must arrive within this; a
    /// kept-alive connection idle this long is closed too.
    pub header_timeout: Duration,
    /// `COFFER_BODY_WINDOW_SECONDS`: a request body is measured in windows of this length...
    pub body_window: Duration,
    /// `COFFER_BODY_MIN_BYTES_PER_SECOND`: ...and cut when a window brings less than this
    /// rate. Stalled and trickling bodies both end; a slow but real upload (a phone on a poor
    /// network sends tens of KiB a second) keeps going.
    pub body_min_bytes_per_second: u64,
    /// `COFFER_TRUSTED_PROXIES`: reverse proxies (addresses or CIDR ranges) whose
    /// `X-Forwarded-For` names the client ([`crate::http::client_addr`]). None by default: the
    /// TCP peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `COFFER_LIST_CACHE_MB`: memory for encoded pages of the file list
    /// ([`crate::http::list_cache`]); 0 turns the cache off.
    pub list_cache_bytes: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            header_timeout: Duration::from_secs(30),
            body_window: Duration::from_secs(30),
            body_min_bytes_per_second: 1024,
            trusted_proxies: Vec::new(),
            list_cache_bytes: 64 << 20,
        }
    }
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

    /// A positive whole number of at most `max`.
    fn at_most(
        &self,
        var: &'static str,
        default: u64,
        unit: &str,
        max: u64,
    ) -> Result<u64, ConfigError> {
        let value = self.positive(var, default, unit)?;
        if value > max {
            return Err(ConfigError {
                var,
                message: format!("must be at most {max} {unit}"),
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
    /// The domain's settings.
    pub fn settings(&self) -> Settings {
        Settings {
            auth: self.auth.clone(),
            vault: self.vault.clone(),
            mail: self.mail.clone(),
        }
    }

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
            kdf_params_per_minute: v.at_most(
                "COFFER_KDF_PARAMS_PER_MINUTE",
                defaults.kdf_params_per_minute.into(),
                "requests",
                1_000_000,
            )? as u32,
            max_sessions_per_user: v.at_most(
                "COFFER_MAX_SESSIONS_PER_USER",
                defaults.max_sessions_per_user.into(),
                "sessions",
                10_000,
            )? as u32,
            hash_concurrency: v.at_most(
                "COFFER_HASH_CONCURRENCY",
                defaults.hash_concurrency as u64,
                "hashes",
                1024,
            )? as usize,
            hash_queue: v.parse(
                "COFFER_HASH_QUEUE",
                defaults.hash_queue,
                "a whole number of requests",
            )?,
            locked_account_delay: Duration::from_millis(v.at_most(
                "COFFER_LOCKED_ACCOUNT_DELAY_MS",
                defaults.locked_account_delay.as_millis() as u64,
                "milliseconds",
                60_000,
            )?),
            keep_unlocked_max: minutes(
                24 * 60
                    * v.at_most(
                        "COFFER_KEEP_UNLOCKED_MAX_DAYS",
                        defaults.keep_unlocked_max.as_secs() / 86_400,
                        "days",
                        365,
                    )?,
            ),
            locked_account_tries_per_client: v.at_most(
                "COFFER_LOCKED_ACCOUNT_TRIES_PER_CLIENT",
                defaults.locked_account_tries_per_client.into(),
                "attempts",
                1000,
            )? as u32,
        };
        if auth.session_idle > auth.session_absolute {
            return Err(ConfigError {
                var: "COFFER_SESSION_IDLE_MINUTES",
                message: "must not exceed COFFER_SESSION_MAX_HOURS".into(),
            });
        }
        let http_defaults = HttpSettings::default();
        let http = HttpSettings {
            header_timeout: Duration::from_secs(v.at_most(
                "COFFER_HEADER_TIMEOUT_SECONDS",
                http_defaults.header_timeout.as_secs(),
                "seconds",
                3600,
            )?),
            body_window: Duration::from_secs(v.at_most(
                "COFFER_BODY_WINDOW_SECONDS",
                http_defaults.body_window.as_secs(),
                "seconds",
                3600,
            )?),
            body_min_bytes_per_second: v.parse(
                "COFFER_BODY_MIN_BYTES_PER_SECOND",
                http_defaults.body_min_bytes_per_second,
                "a whole number of bytes",
            )?,
            trusted_proxies: crate::http::client_addr::parse_trusted(
                v.get("COFFER_TRUSTED_PROXIES").unwrap_or(""),
            )
            .map_err(|message| ConfigError {
                var: "COFFER_TRUSTED_PROXIES",
                message,
            })?,
            list_cache_bytes: v
                .parse::<u64>(
                    "COFFER_LIST_CACHE_MB",
                    http_defaults.list_cache_bytes >> 20,
                    "a whole number of MiB",
                )?
                .min(1 << 20)
                << 20,
        };
        Ok(Config {
            http,
            mail: mail_settings(&v)?,
            bind,
            storage: storage_config(&v, &data_dir)?,
            vault: vault_settings(&v)?,
            data_dir,
            database_url: Redacted::new(database_url),
            auth,
            log_filter: v.get("COFFER_LOG").unwrap_or("info").to_string(),
        })
    }
}

fn mail_settings(v: &Vars) -> Result<MailSettings, ConfigError> {
    let d = MailSettings::default();
    let smtp_url = match v.get("COFFER_SMTP_URL").filter(|u| !u.is_empty()) {
        None => None,
        Some(url) if ["smtp://", "smtps://"].iter().any(|s| url.starts_with(s)) => {
            Some(Redacted::new(url.to_string()))
        }
        Some(_) => {
            return Err(ConfigError {
                var: "COFFER_SMTP_URL",
                message: "expected smtp://host[:port] (add ?tls=required for STARTTLS) or \
                          smtps://host[:port], with user:password@ before the host if the \
                          server wants a login"
                    .into(),
            })
        }
    };
    let require_email = v.flag("COFFER_REQUIRE_EMAIL", d.require_email)?;
    if require_email && smtp_url.is_none() {
        return Err(ConfigError {
            var: "COFFER_REQUIRE_EMAIL",
            message: "needs COFFER_SMTP_URL: without a mail server no address can be confirmed"
                .into(),
        });
    }
    let retry = v.positive(
        "COFFER_MAIL_RETRY_SECONDS",
        d.retry_base.as_secs(),
        "seconds",
    )?;
    Ok(MailSettings {
        smtp_url,
        from: v.get("COFFER_MAIL_FROM").unwrap_or(&d.from).to_string(),
        require_email,
        retry_base: Duration::from_secs(retry),
        ..d
    })
}

fn storage_config(v: &Vars, data_dir: &std::path::Path) -> Result<StorageConfig, ConfigError> {
    let Some(url) = v.get("COFFER_STORAGE_URL") else {
        return Ok(StorageConfig::Local {
            root: data_dir.join("blobs"),
        });
    };
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(ConfigError {
                var: "COFFER_STORAGE_URL",
                message: "a file:// URL needs an absolute path, e.g. file:///srv/coffer/blobs"
                    .into(),
            });
        }
        return Ok(StorageConfig::Local { root: path.into() });
    }
    let Some(bucket) = url.strip_prefix("s3://") else {
        return Err(ConfigError {
            var: "COFFER_STORAGE_URL",
            message: "expected s3://bucket or file:///absolute/path".into(),
        });
    };
    let bucket = bucket.trim_end_matches('/');
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid_bucket {
        return Err(ConfigError {
            var: "COFFER_STORAGE_URL",
            message: "the bucket name must be 3 to 63 lower-case letters, digits, '-' or '.'"
                .into(),
        });
    }
    let access_key_id = v.get("COFFER_S3_ACCESS_KEY_ID").map(str::to_string);
    let secret_access_key = v
        .get("COFFER_S3_SECRET_ACCESS_KEY")
        .map(|s| Redacted::new(s.to_string()));
    if access_key_id.is_some() != secret_access_key.is_some() {
        return Err(ConfigError {
            var: "COFFER_S3_SECRET_ACCESS_KEY",
            message: "set both COFFER_S3_ACCESS_KEY_ID and COFFER_S3_SECRET_ACCESS_KEY, or neither"
                .into(),
        });
    }
    let endpoint = v.get("COFFER_S3_ENDPOINT").map(str::to_string);
    if let Some(e) = &endpoint {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(ConfigError {
                var: "COFFER_S3_ENDPOINT",
                message: "expected an http:// or https:// URL".into(),
            });
        }
    }
    Ok(StorageConfig::S3(S3Config {
        bucket: bucket.to_string(),
        endpoint,
        region: v.get("COFFER_S3_REGION").unwrap_or("us-east-1").to_string(),
        access_key_id,
        secret_access_key,
        allow_http: v.flag("COFFER_S3_ALLOW_HTTP", false)?,
    }))
}

fn vault_settings(v: &Vars) -> Result<VaultSettings, ConfigError> {
    let d = VaultSettings::default();
    let max_part_bytes = v.positive("COFFER_MAX_PART_BYTES", d.max_part_bytes, "bytes")?;
    if !(MIN_PART_BYTES..=MAX_PART_BYTES_CEILING).contains(&max_part_bytes) {
        return Err(ConfigError {
            var: "COFFER_MAX_PART_BYTES",
            message: format!("must be between {MIN_PART_BYTES} and {MAX_PART_BYTES_CEILING}"),
        });
    }
    let max_file_bytes = v.positive("COFFER_MAX_FILE_BYTES", d.max_file_bytes, "bytes")?;
    let reachable = max_part_bytes * MAX_PARTS;
    if max_file_bytes > reachable {
        return Err(ConfigError {
            var: "COFFER_MAX_FILE_BYTES",
            message: format!(
                "at most {MAX_PARTS} parts of COFFER_MAX_PART_BYTES, i.e. {reachable} bytes"
            ),
        });
    }
    let user_quota_bytes = v.positive("COFFER_USER_QUOTA_BYTES", d.user_quota_bytes, "bytes")?;
    if i64::try_from(user_quota_bytes).is_err() {
        return Err(ConfigError {
            var: "COFFER_USER_QUOTA_BYTES",
            message: format!("must be at most {}", i64::MAX),
        });
    }
    let abandon_minutes = v.positive(
        "COFFER_UPLOAD_ABANDON_MINUTES",
        d.upload_abandon.as_secs() / 60,
        "minutes",
    )?;
    let janitor_seconds = v.positive(
        "COFFER_JANITOR_INTERVAL_SECONDS",
        d.janitor_interval.as_secs(),
        "seconds",
    )?;
    let link_failures_per_link = v.positive(
        "COFFER_LINK_FAILURES_PER_LINK",
        d.link_failures_per_link.into(),
        "attempts",
    )?;
    let link_failures_per_link = u32::try_from(link_failures_per_link)
        .ok()
        .filter(|n| *n <= 1_000_000)
        .ok_or(ConfigError {
            var: "COFFER_LINK_FAILURES_PER_LINK",
            message: "must be at most 1000000".into(),
        })?;
    let link_window_seconds = v.positive(
        "COFFER_LINK_WINDOW_SECONDS",
        d.link_window.as_secs(),
        "seconds",
    )?;
    if link_window_seconds > 365 * 86_400 {
        return Err(ConfigError {
            var: "COFFER_LINK_WINDOW_SECONDS",
            message: "must be at most 31536000 (a year)".into(),
        });
    }
    let upload_buffer_bytes = v.positive(
        "COFFER_UPLOAD_BUFFER_BYTES",
        d.upload_buffer_bytes.max(max_part_bytes),
        "bytes",
    )?;
    if upload_buffer_bytes < max_part_bytes {
        return Err(ConfigError {
            var: "COFFER_UPLOAD_BUFFER_BYTES",
            message: "must hold at least one part (COFFER_MAX_PART_BYTES)".into(),
        });
    }
    let upload_buffer_per_user_bytes = v.positive(
        "COFFER_UPLOAD_BUFFER_PER_USER_BYTES",
        d.upload_buffer_per_user_bytes
            .max(max_part_bytes)
            .min(upload_buffer_bytes),
        "bytes",
    )?;
    if !(max_part_bytes..=upload_buffer_bytes).contains(&upload_buffer_per_user_bytes) {
        return Err(ConfigError {
            var: "COFFER_UPLOAD_BUFFER_PER_USER_BYTES",
            message: "must hold at least one part and at most COFFER_UPLOAD_BUFFER_BYTES".into(),
        });
    }
    let staging_grace_seconds: u64 = v.parse(
        "COFFER_STAGING_GRACE_SECONDS",
        d.staging_grace.as_secs(),
        "a whole number of seconds",
    )?;
    Ok(VaultSettings {
        max_file_bytes,
        user_quota_bytes,
        max_part_bytes,
        upload_abandon: Duration::from_secs(abandon_minutes.saturating_mul(60)),
        janitor_interval: Duration::from_secs(janitor_seconds),
        link_failures_per_link,
        link_window: Duration::from_secs(link_window_seconds),
        upload_buffer_bytes,
        upload_buffer_per_user_bytes,
        staging_grace: Duration::from_secs(staging_grace_seconds),
    })
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

    #[test]
    fn storage_defaults_to_blobs_in_the_data_dir() {
        let c = Config::from_vars(vars(&[("COFFER_DATA_DIR", "/srv/coffer")])).unwrap();
        match c.storage {
            StorageConfig::Local { root } => assert_eq!(root, PathBuf::from("/srv/coffer/blobs")),
            other => panic!("expected local storage, got {other:?}"),
        }
        assert_eq!(c.vault.max_part_bytes, 8 * 1024 * 1024);
    }

    #[test]
    fn s3_storage_reads_its_variables_and_hides_the_secret() {
        let c = Config::from_vars(vars(&[
            ("COFFER_STORAGE_URL", "s3://coffer-blobs"),
            ("COFFER_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("COFFER_S3_REGION", "eu-west-1"),
            ("COFFER_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("COFFER_S3_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-s3cret"),
            ("COFFER_S3_ALLOW_HTTP", "true"),
        ]))
        .unwrap();
        let StorageConfig::S3(s3) = &c.storage else {
            panic!("expected S3 storage");
        };
        assert_eq!(s3.bucket, "coffer-blobs");
        assert_eq!(s3.region, "eu-west-1");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(s3.allow_http);
        assert_eq!(
            s3.secret_access_key.as_ref().unwrap().expose(),
            "wJalrXUtnFEMI-s3cret"
        );
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn bad_storage_and_vault_values_name_their_variable() {
        for (var, value) in [
            ("COFFER_STORAGE_URL", "ftp://x"),
            ("COFFER_STORAGE_URL", "s3://No_Such"),
            ("COFFER_STORAGE_URL", "file://relative"),
            ("COFFER_S3_ENDPOINT", "127.0.0.1:9000"),
            ("COFFER_MAX_PART_BYTES", "1000"),
            ("COFFER_MAX_PART_BYTES", "1000000000"),
            ("COFFER_MAX_FILE_BYTES", "0"),
            ("COFFER_USER_QUOTA_BYTES", "-5"),
            ("COFFER_USER_QUOTA_BYTES", "18446744073709551615"),
            ("COFFER_UPLOAD_ABANDON_MINUTES", "soon"),
            ("COFFER_JANITOR_INTERVAL_SECONDS", "0"),
            ("COFFER_LINK_FAILURES_PER_LINK", "0"),
            ("COFFER_LINK_FAILURES_PER_LINK", "5000000000"),
            ("COFFER_LINK_WINDOW_SECONDS", "forever"),
        ] {
            let mut pairs = vec![(var, value)];
            if var == "COFFER_S3_ENDPOINT" {
                pairs.push(("COFFER_STORAGE_URL", "s3://bucket"));
            }
            let err = Config::from_vars(vars(&pairs)).unwrap_err();
            assert_eq!(err.var, var, "{var}={value}");
        }
    }

    #[test]
    fn the_max_file_size_must_fit_in_the_part_limit() {
        let err = Config::from_vars(vars(&[
            ("COFFER_MAX_PART_BYTES", "65536"),
            ("COFFER_MAX_FILE_BYTES", "655360001"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "COFFER_MAX_FILE_BYTES");
    }

    #[test]
    fn s3_credentials_come_in_pairs() {
        let err = Config::from_vars(vars(&[
            ("COFFER_STORAGE_URL", "s3://bucket"),
            ("COFFER_S3_ACCESS_KEY_ID", "AKID"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "COFFER_S3_SECRET_ACCESS_KEY");
    }
}
