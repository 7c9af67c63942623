//! The janitor: removes uploads nobody finished (their parts and their quota reservation),
//! stored content that no row refers to (left by a crash, a failed delete or a cancelled
//! upload whose last part was still arriving), expired grants and expired or used-up share
//! links (`crate::sharing::purge`), and attempt counters of windows that ended
//! (`crate::limits::purge`), and in a local blob directory the staging files of part writes a
//! crash or kill cut short (`Storage::remove_stale_staging`).
//!
//! Rows are always written before content and deleted before it, and an upload row becomes a
//! file row in one transaction. So content is an orphan exactly when, after it was listed, no
//! upload row and then no file row names it (uploads are checked first: an upload that
//! completes between the two queries is then found as a file).

use std::time::Duration;

use sea_orm::{sea_query::Query, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    entities::{files, upload_parts, uploads},
    limits, Domain,
};

/// What one janitor run removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JanitorReport {
    pub expired_uploads: u64,
    pub orphan_blobs: u64,
    pub expired_grants: u64,
    pub dead_links: u64,
    pub stale_attempts: u64,
    pub stale_staging: u64,
    /// Mail sent or given up a week ago, and codes expired a day ago.
    pub old_mail: u64,
}

/// The clean-up task. Cheap to clone.
#[derive(Clone)]
pub struct Janitor {
    domain: Domain,
}

/// How many ids one `IN (...)` query checks.
const BATCH: usize = 500;

impl Janitor {
    /// A janitor for this domain's database and blob store.
    pub fn new(domain: Domain) -> Self {
        Janitor { domain }
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
            .exec(&self.domain.db)
            .await
            .map_err(|e| format!("removing stray part rows: {e}"))?;
        let orphan_blobs = self.remove_orphan_blobs().await?;
        let stale_staging = self
            .domain
            .storage
            .remove_stale_staging(self.domain.settings.vault.staging_grace)
            .await
            .map_err(|e| format!("removing stale staging files: {e}"))?;
        let now = self.domain.now_ms();
        let (expired_grants, dead_links) = crate::sharing::purge(&self.domain.db, now)
            .await
            .map_err(|e| format!("purging grants and links: {e}"))?;
        let settings = &self.domain.settings;
        let longest_window = settings.auth.login_window.max(settings.vault.link_window);
        let stale_attempts = limits::purge(
            &self.domain.db,
            now.saturating_sub(crate::ms(longest_window)),
        )
        .await
        .map_err(|e| format!("purging attempt counters: {e}"))?;
        let old_mail = crate::mail::purge(&self.domain.db, now)
            .await
            .map_err(|e| format!("purging old mail: {e}"))?;
        Ok(JanitorReport {
            old_mail,
            expired_uploads,
            orphan_blobs,
            expired_grants,
            dead_links,
            stale_attempts,
            stale_staging,
        })
    }

    async fn remove_expired_uploads(&self) -> Result<u64, String> {
        let expired = uploads::Entity::find()
            .filter(uploads::Column::ExpiresAt.lte(self.domain.now_ms()))
            .all(&self.domain.db)
            .await
            .map_err(|e| format!("listing expired uploads: {e}"))?;
        let mut removed = 0;
        for upload in &expired {
            match self.domain.discard_upload(upload).await {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(_) => return Err("discarding an expired upload failed".into()),
            }
        }
        Ok(removed)
    }

    async fn remove_orphan_blobs(&self) -> Result<u64, String> {
        let mut candidates = self
            .domain
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
                .all(&self.domain.db)
                .await
                .map_err(|e| format!("checking uploads: {e}"))?;
            let in_files: Vec<String> = files::Entity::find()
                .select_only()
                .column(files::Column::StorageKey)
                .filter(files::Column::StorageKey.is_in(batch.iter().cloned()))
                .into_tuple()
                .all(&self.domain.db)
                .await
                .map_err(|e| format!("checking files: {e}"))?;
            for key in in_uploads.iter().chain(&in_files) {
                candidates.remove(key);
            }
        }
        let mut removed = 0;
        for blob in candidates {
            self.domain
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
                    stale_attempts = report.stale_attempts,
                    stale_staging = report.stale_staging,
                    old_mail = report.old_mail,
                    "janitor: cleaned up"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "janitor: pass failed"),
            }
        }
    }
}
