//! Coffer's server-side domain: every rule and every query, with no HTTP in sight.
//!
//! [`Domain`] owns the state (database, blob store, clock, settings, limits, the installation's
//! secrets) and its methods are the operations: accounts ([`accounts`]), sessions and tokens
//! ([`auth`]), the vault ([`vault`]: uploads, files, usage), sharing ([`sharing`]: grants,
//! links, contacts, the account record) and clean-up ([`janitor`]). Each method takes the
//! caller's user id (authenticated by [`Domain::authenticate`]) and wire types from
//! `coffer-protocol`, checks what the server can check (sizes, shapes, ownership, limits),
//! and returns wire types or a [`DomainError`].
//!
//! The server never sees plaintext, names or keys, so neither does this crate: it stores what
//! browsers sealed and enforces who may read it. Rows are found by id *and* owner, so another
//! user's id answers exactly like a missing one.
//!
//! Time comes from a [`Clock`], so tests move it by hand instead of sleeping.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod auth;
mod clock;
mod db;
mod email;
pub mod entities;
mod error;
mod hashing;
pub mod janitor;
mod keep;
mod lifecycle;
mod limits;
pub mod mail;
pub mod second_factor;
mod secrets;
mod settings;
pub mod sharing;
pub mod storage;
pub mod vault;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AuthFailure, DomainError, OpenError};
pub use settings::{
    AuthSettings, MailSettings, Redacted, S3Config, Settings, StorageConfig, VaultSettings,
    MAX_PARTS, MAX_PART_BYTES_CEILING, MIN_PART_BYTES,
};
pub use storage::Storage;

/// Everything the rules need; cheap to clone.
#[derive(Clone)]
pub struct Domain {
    db: DatabaseConnection,
    storage: Storage,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    secrets: Arc<secrets::ServerSecrets>,
    hasher: Arc<hashing::Hasher>,
    part_buffers: Arc<vault::PartBuffers>,
    /// Woken when mail is queued here, so the outbox sends it at once.
    mail_wakeup: Arc<tokio::sync::Notify>,
}

impl Domain {
    /// Connects to the database at `database_url` (migrating it), opens the blob store and
    /// loads (or creates) the installation's secrets.
    pub async fn open(
        database_url: &str,
        storage: &StorageConfig,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Domain, OpenError> {
        let db = db::connect(database_url).await?;
        let storage = Storage::open(storage).map_err(OpenError::Storage)?;
        Domain::new(db, storage, settings, clock).await
    }

    /// The domain over an open database (already migrated) and blob store.
    pub async fn new(
        db: DatabaseConnection,
        storage: Storage,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Domain, OpenError> {
        let secrets = secrets::ServerSecrets::load_or_create(&db).await?;
        let hasher = hashing::Hasher::new(settings.auth.hash_concurrency, settings.auth.hash_queue);
        let part_buffers = vault::PartBuffers::new(
            settings.vault.upload_buffer_bytes,
            settings.vault.upload_buffer_per_user_bytes,
        );
        Ok(Domain {
            db,
            storage,
            clock,
            settings: Arc::new(settings),
            secrets: Arc::new(secrets),
            hasher: Arc::new(hasher),
            part_buffers: Arc::new(part_buffers),
            mail_wakeup: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The database connection (health checks, tests).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The blob store (health checks, tests).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Milliseconds since the Unix epoch, by this domain's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Connects to a database and migrates it, refusing one a newer Coffer migrated (for tools and
/// tests that need the connection itself).
pub async fn connect_database(url: &str) -> Result<DatabaseConnection, OpenError> {
    db::connect(url).await
}

/// Milliseconds in `d`, saturating.
pub(crate) fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
