//! What the domain is configured with. The server reads these from `COFFER_*` variables
//! (server/src/config.rs) and checks them there; the domain takes them as given.

use std::{fmt, path::PathBuf, time::Duration};

/// Every setting of the domain.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Sessions, tokens and login throttling.
    pub auth: AuthSettings,
    /// Sizes, quota and clean-up of the vault.
    pub vault: VaultSettings,
    /// Email: how mail goes out, and whether a verified address is required.
    pub mail: MailSettings,
}

/// How Coffer sends mail (`COFFER_SMTP_URL` and friends). Without an SMTP URL every email
/// feature is off.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `COFFER_SMTP_URL`: `smtp://host:port` (plain), `smtp://host?tls=required` (STARTTLS),
    /// `smtps://host` (TLS from the start); `user:password@` for authentication.
    pub smtp_url: Option<Redacted<String>>,
    /// `COFFER_MAIL_FROM`: the sender, e.g. `Coffer <coffer@example.com>`.
    pub from: String,
    /// `COFFER_REQUIRE_EMAIL`: a verified address before the first login.
    pub require_email: bool,
    /// `COFFER_MAIL_RETRY_SECONDS`: the wait after a first failed send; it doubles with each
    /// further failure (at most ten minutes).
    pub retry_base: Duration,
    /// How often the outbox looks for due mail besides being woken by new mail (other
    /// instances' mail, retries).
    pub poll_interval: Duration,
    /// How long a code sent by email stays good.
    pub code_ttl: Duration,
    /// Tries before a mail is given up (also when its code has expired).
    pub max_attempts: u32,
    /// Longest wait for the SMTP server per send.
    pub send_timeout: Duration,
}

impl MailSettings {
    /// Whether email is set up at all.
    pub fn enabled(&self) -> bool {
        self.smtp_url.is_some()
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "Coffer <coffer@localhost>".into(),
            require_email: false,
            retry_base: Duration::from_secs(10),
            poll_interval: Duration::from_secs(5),
            code_ttl: Duration::from_secs(15 * 60),
            max_attempts: 8,
            send_timeout: Duration::from_secs(20),
        }
    }
}

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
    /// `kdf-params` answers allowed per client IP per minute (generous: a login asks once).
    pub kdf_params_per_minute: u32,
    /// Sessions one user may have at once; a new login ends the oldest beyond this.
    pub max_sessions_per_user: u32,
    /// Auth-key hashes (Argon2id, 19 MiB each) computed at once: bounds their memory.
    pub hash_concurrency: usize,
    /// Requests that may wait for a hash slot; more are answered 503 with `Retry-After`.
    pub hash_queue: usize,
    /// An account past `login_failures_per_account` is not locked for everyone: each client
    /// (an IPv4 address, an IPv6 /64) still gets `locked_account_tries_per_client` checks per
    /// window, each after this delay. So guessing stays slow and bounded per address while the
    /// owner, from their own address, still gets in.
    pub locked_account_delay: Duration,
    /// See `locked_account_delay`.
    pub locked_account_tries_per_client: u32,
    /// The longest a device may stay unlocked (a kept session's lifetime).
    pub keep_unlocked_max: Duration,
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
            kdf_params_per_minute: 120,
            max_sessions_per_user: 20,
            hash_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            hash_queue: 64,
            locked_account_delay: Duration::from_secs(2),
            locked_account_tries_per_client: 3,
            keep_unlocked_max: Duration::from_secs(30 * 24 * 60 * 60),
        }
    }
}

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

/// Where encrypted file content is stored.
#[derive(Clone, Debug)]
pub enum StorageConfig {
    /// A directory on this machine (default `$COFFER_DATA_DIR/blobs`).
    Local {
        /// The directory; created at start-up.
        root: PathBuf,
    },
    /// An S3-compatible object store (AWS, MinIO, LocalStack, moto...).
    S3(S3Config),
}

/// An S3 bucket and how to reach it.
#[derive(Clone, Debug)]
pub struct S3Config {
    /// The bucket, from `COFFER_STORAGE_URL=s3://bucket`; it must exist.
    pub bucket: String,
    /// `COFFER_S3_ENDPOINT`: e.g. `http://127.0.0.1:9000`; AWS when unset.
    pub endpoint: Option<String>,
    /// `COFFER_S3_REGION`.
    pub region: String,
    /// `COFFER_S3_ACCESS_KEY_ID` (with the secret; both or neither).
    pub access_key_id: Option<String>,
    /// `COFFER_S3_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Redacted<String>>,
    /// `COFFER_S3_ALLOW_HTTP`: allow a plain-http endpoint (loopback tests).
    pub allow_http: bool,
}

/// Limits and timings of the vault.
#[derive(Clone, Debug)]
pub struct VaultSettings {
    /// `COFFER_MAX_FILE_BYTES`: largest ciphertext one file may have.
    pub max_file_bytes: u64,
    /// `COFFER_USER_QUOTA_BYTES`: bytes a user may store, unfinished uploads included.
    pub user_quota_bytes: u64,
    /// `COFFER_MAX_PART_BYTES`: largest upload part, and the default part size.
    pub max_part_bytes: u64,
    /// `COFFER_UPLOAD_ABANDON_MINUTES`: an upload with no new part for this long is removed.
    pub upload_abandon: Duration,
    /// `COFFER_JANITOR_INTERVAL_SECONDS`: how often the clean-up task runs.
    pub janitor_interval: Duration,
    /// `COFFER_LINK_FAILURES_PER_LINK`: wrong share-link tokens allowed per link per window.
    pub link_failures_per_link: u32,
    /// `COFFER_LINK_WINDOW_SECONDS`: the window over which wrong link tokens are counted.
    pub link_window: Duration,
    /// `COFFER_UPLOAD_BUFFER_BYTES`: bytes of part bodies all uploads together may hold in
    /// memory; a part that does not fit is answered 503 with `Retry-After`.
    pub upload_buffer_bytes: u64,
    /// `COFFER_UPLOAD_BUFFER_PER_USER_BYTES`: the same, for one user's parts.
    pub upload_buffer_per_user_bytes: u64,
    /// `COFFER_STAGING_GRACE_SECONDS`: a local staging file (a part being written) older than
    /// this, that no write of this process holds, is left from a crash and removed. The grace
    /// only spares another process writing into the same directory: a part is read whole before
    /// it is written (at disk speed, seconds at most), so two minutes is ample.
    pub staging_grace: Duration,
}

/// Smallest part size a client may choose (and the floor of `COFFER_MAX_PART_BYTES`).
pub const MIN_PART_BYTES: u64 = 64 * 1024;
/// Ceiling of `COFFER_MAX_PART_BYTES`: the server holds up to one part per request in memory.
pub const MAX_PART_BYTES_CEILING: u64 = 64 * 1024 * 1024;
/// Most parts one upload may have.
pub const MAX_PARTS: u64 = 10_000;

impl Default for VaultSettings {
    fn default() -> Self {
        VaultSettings {
            max_file_bytes: 10 * 1024 * 1024 * 1024,
            user_quota_bytes: 50 * 1024 * 1024 * 1024,
            max_part_bytes: 8 * 1024 * 1024,
            upload_abandon: Duration::from_secs(24 * 60 * 60),
            janitor_interval: Duration::from_secs(5 * 60),
            link_failures_per_link: 10,
            upload_buffer_bytes: 256 * 1024 * 1024,
            upload_buffer_per_user_bytes: 64 * 1024 * 1024,
            staging_grace: Duration::from_secs(2 * 60),
            link_window: Duration::from_secs(15 * 60),
        }
    }
}
