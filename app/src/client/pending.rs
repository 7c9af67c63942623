//! What this browser remembers about uploads it started, so one interrupted by a reload or a
//! crash can be resumed (docs/API.md, "Resuming"). Kept in `localStorage`; every field is either
//! public (ids, the STREAM header) or sealed (the file key wrapped to the user's public key, the
//! metadata sealed under the file key), so the record reveals nothing without the account key.

pub use crate::wire::vault::PendingUpload;
use gloo_storage::{LocalStorage, Storage};

const STORAGE_KEY: &str = "coffer.pending-uploads";

/// Every record (all accounts).
pub fn all() -> Vec<PendingUpload> {
    LocalStorage::get(STORAGE_KEY).unwrap_or_default()
}

fn store(records: &[PendingUpload]) {
    if LocalStorage::set(STORAGE_KEY, records).is_err() {
        leptos::logging::warn!("could not save the list of unfinished uploads");
    }
}

/// Adds or replaces the record for `record.upload_id`.
pub fn save(record: PendingUpload) {
    let mut records = all();
    records.retain(|r| r.upload_id != record.upload_id);
    records.push(record);
    store(&records);
}

/// Forgets an upload (finished, cancelled or gone from the server).
pub fn remove(upload_id: &str) {
    let mut records = all();
    let before = records.len();
    records.retain(|r| r.upload_id != upload_id);
    if records.len() != before {
        store(&records);
    }
}

/// Forgets this user's records for uploads the server no longer has.
pub fn prune(username: &str, live_upload_ids: &[String]) {
    let mut records = all();
    let before = records.len();
    records.retain(|r| r.username != username || live_upload_ids.contains(&r.upload_id));
    if records.len() != before {
        store(&records);
    }
}
