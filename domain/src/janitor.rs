//! The janitor: removes uploads nobody finished (their parts and their quota reservation),
//! stored content that no row refers to (left by a crash, a failed delete or a cancelled
//! upload whose last part was still arriving), and expired grants and expired or used-up share
//! links (`crate::sharing::purge`).
//!
//! Rows are always written before content and deleted before it, and an upload row becomes a
//! file row in one transaction. So content is an orphan exactly when, after it was listed, no
//! upload row and then no file row names it (uploads are checked first: an upload that
//! completes between the two queries is then found as a file).

use std::{sync::Arc, time::Duration};

use coffer_app::backend::{
    entities::{files, upload_parts, uploads},
    Clock,
};
use sea_orm::{
    sea_query::Query, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use super::{discard_upload, Vault};
use crate::{config::Config, storage::Storage, StartError};

/// What one janitor run removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JanitorReport {
    pub expired_uploads: u64,
    pub orphan_blobs: u64,
    pub expired_grants: u64,
    pub dead_links: u64,
}

/// The clean-up task. Cheap to clone.
#[derive(Clone)]
pub struct Janitor {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    vault: Vault,
}

/// How many ids one `IN (...)` query checks.
const BATCH: usize = 500;

impl Janitor {
    pub(crate) fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, vault: Vault) -> Self {
        Janitor { db, clock, vault }
    }

    /// A janitor for the installation `config` describes (its own database connection).
    pub async fn from_config(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let db = crate::connect_database(config.database_url.expose()).await?;
        let storage = Storage::open(&config.storage).map_err(StartError::Other)?;
        let vault = Vault {
            storage,
            settings: Arc::new(config.vault.clone()),
        };
        Ok(Janitor::new(db, clock, vault))
    }

    /// One pass; errors are logged and end the pass (the next one retries).
    pub async fn run_once(&self) -> Result<JanitorReport, String> {
        let expired_uploads = self.remove_expired_uploads().await?;
        upload_parts::Entity::delete_many()
            .filter(
                upload_parts::Column::UploadId.not_in_subquery(
                    Query::select()
                        .column(uploads::Column::Id)
                        .from(uploads::Entity)
                        .to_owned(),
                ),
            )
            .exec(&self.db)
            .await
            .map_err(|e| format!("removing stray part rows: {e}"))?;
        let orphan_blobs = self.remove_orphan_blobs().await?;
        let (expired_grants, dead_links) = crate::sharing::purge(&self.db, self.clock.now_ms())
            .await
            .map_err(|e| format!("purging grants and links: {e}"))?;
        Ok(JanitorReport {
            expired_uploads,
            orphan_blobs,
            expired_grants,
            dead_links,
        })
    }

    async fn remove_expired_uploads(&self) -> Result<u64, String> {
        let expired = uploads::Entity::find()
            .filter(uploads::Column::ExpiresAt.lte(self.clock.now_ms()))
            .all(&self.db)
            .await
            .map_err(|e| format!("listing expired uploads: {e}"))?;
        let mut removed = 0;
        for upload in &expired {
            match discard_upload(&self.db, &self.vault.storage, upload).await {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(_) => return Err("discarding an expired upload failed".into()),
            }
        }
        Ok(removed)
    }

    async fn remove_orphan_blobs(&self) -> Result<u64, String> {
        let mut candidates = self
            .vault
            .storage
            .blob_ids()
            .await
            .map_err(|e| format!("listing stored content: {e}"))?;
        let listed: Vec<String> = candidates.iter().cloned().collect();
        for batch in listed.chunks(BATCH) {
            let in_uploads: Vec<String> = uploads::Entity::find()
                .select_only()
                .column(uploads::Column::StorageKey)
                .filter(uploads::Column::StorageKey.is_in(batch.iter().cloned()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(|e| format!("checking uploads: {e}"))?;
            let in_files: Vec<String> = files::Entity::find()
                .select_only()
                .column(files::Column::StorageKey)
                .filter(files::Column::StorageKey.is_in(batch.iter().cloned()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(|e| format!("checking files: {e}"))?;
            for key in in_uploads.iter().chain(&in_files) {
                candidates.remove(key);
            }
        }
        let mut removed = 0;
        for blob in candidates {
            self.vault
                .storage
                .delete_blob(&blob)
                .await
                .map_err(|e| format!("deleting orphaned content: {e}"))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Runs forever, one pass per `period` (the first after one period).
    pub async fn run_every(self, period: Duration) {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match self.run_once().await {
                Ok(report) if report != JanitorReport::default() => tracing::info!(
                    expired_uploads = report.expired_uploads,
                    orphan_blobs = report.orphan_blobs,
                    expired_grants = report.expired_grants,
                    dead_links = report.dead_links,
                    "janitor: cleaned up"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "janitor: pass failed"),
            }
        }
    }
}
