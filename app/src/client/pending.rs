//! What this browser remembers about uploads it started, so one interrupted by a reload or a
//! crash can be resumed (docs/API.md, "Resuming"). Kept in `localStorage`; every field is either
//! public (ids, the STREAM header, digests of ciphertext already sent) or sealed (the file key
//! wrapped to the user's public key, the metadata sealed under the file key), so the record
//! reveals nothing without the account key.
//!
//! The digests of the parts sent (`crate::resume`) are kept under their own key per upload, one
//! entry per part in order, written BEFORE each part is sent: they are what makes a resume safe,
//! so the server's word on which parts it has is never needed.

pub use crate::resume::PendingUpload;
use gloo_storage::{LocalStorage, Storage};

const STORAGE_KEY: &str = "coffer.pending-uploads";
/// Format of the records this version writes.
pub const FORMAT: u8 = 2;

fn parts_key(upload_id: &str) -> String {
    format!("coffer.pending-parts.{upload_id}")
}

/// The digests recorded for an upload's parts, in part order (`crate::resume::part_digest`).
pub fn part_digests(upload_id: &str) -> Vec<String> {
    LocalStorage::get(parts_key(upload_id)).unwrap_or_default()
}

/// Records the digests of the parts about to be sent. `false` if the browser could not store
/// them: then the upload must not be resumable.
pub fn set_part_digests(upload_id: &str, digests: &[String]) -> bool {
    LocalStorage::set(parts_key(upload_id), digests).is_ok()
}

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
    LocalStorage::delete(parts_key(upload_id));
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
    for gone in records
        .iter()
        .filter(|r| r.username == username && !live_upload_ids.contains(&r.upload_id))
    {
        LocalStorage::delete(parts_key(&gone.upload_id));
    }
    records.retain(|r| r.username != username || live_upload_ids.contains(&r.upload_id));
    if records.len() != before {
        store(&records);
    }
}
