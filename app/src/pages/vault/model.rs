//! What the vault page shows: decrypted file rows, transfers, and the helpers that format them.

use coffer_crypto::{ContentBinding, FileVersion};
use leptos::prelude::*;

use crate::{
    protocol::{sharing::SharedFile, vault::FileInfo},
    trust::{RecordState, SharerTrust},
};

/// Where a row's key comes from, kept so the key can be opened again when it is needed (keys
/// are never kept in signals).
#[derive(Clone, Debug, PartialEq)]
pub enum RowSource {
    /// One of the user's own files, as listed; `version` is what its key slot vouches for
    /// (`None`: a format-v1 file accepted once, to be upgraded).
    Own {
        /// The listing entry.
        info: FileInfo,
        /// The verified version.
        version: Option<FileVersion>,
    },
    /// A file shared with the user, as listed.
    Shared(SharedFile),
}

/// One file, as the browser decrypted and checked it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileRow {
    /// Server id (32 hex characters).
    pub id: String,
    /// Decrypted name, made safe to save and show (`coffer_crypto::safe_file_name`).
    pub name: String,
    /// Decrypted MIME type (may be empty).
    pub mime: String,
    /// Plaintext size.
    pub size: u64,
    /// Upload time, ms since the epoch.
    pub created_at: i64,
    /// Last modification of the original, ms since the epoch (kept through renames).
    pub modified_ms: i64,
    /// Stored ciphertext size.
    pub ciphertext_size: u64,
    /// What the version record says the content is: checked at the end of every download.
    pub content: ContentBinding,
    /// Where its key comes from.
    pub source: RowSource,
    /// Where its ciphertext is fetched from (the vault's or a share's content route).
    pub content_url: String,
    /// Who shared it with the caller and how far they are trusted (`None` for the caller's own
    /// files and for shares nobody can vouch for).
    pub sharer: Option<(String, Option<SharerTrust>)>,
}

/// A file the server lists in the vault that this account did not make (or that was altered):
/// shown apart, never with a name the server could have chosen, and only deletable.
#[derive(Clone, Debug, PartialEq)]
pub struct UnverifiedRow {
    /// Server id.
    pub id: String,
    /// Stored ciphertext size.
    pub ciphertext_size: u64,
    /// When the server says it was added.
    pub created_at: i64,
}

/// A share that is not offered as genuine, with the reason in words.
#[derive(Clone, Debug, PartialEq)]
pub struct RefusedShare {
    /// Server id.
    pub id: String,
    /// Who the server says shared it.
    pub sharer: String,
    /// Why it is refused.
    pub why: String,
}

/// Columns the table sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// File name, case-insensitive.
    Name,
    /// Plaintext size.
    Size,
    /// Upload time.
    Date,
}

/// Sorts and filters rows for display: `query` matches names case-insensitively.
pub fn visible_rows(rows: &[FileRow], query: &str, key: SortKey, ascending: bool) -> Vec<FileRow> {
    let query = query.trim().to_lowercase();
    let mut out: Vec<FileRow> = rows
        .iter()
        .filter(|r| query.is_empty() || r.name.to_lowercase().contains(&query))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        let order = match key {
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Size => a.size.cmp(&b.size),
            SortKey::Date => a.created_at.cmp(&b.created_at),
        }
        .then_with(|| a.id.cmp(&b.id));
        if ascending {
            order
        } else {
            order.reverse()
        }
    });
    out
}

/// How a transfer ended, or that it is still going.
#[derive(Clone, Debug, PartialEq)]
pub enum TransferState {
    /// Encrypting and uploading, or downloading and decrypting.
    Running,
    /// Finished; the words say what happened.
    Done(String),
    /// Failed; the words say why and what to do.
    Failed(String),
    /// Stopped by the user.
    Cancelled,
}

/// Upload or download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    /// Encrypt and upload.
    Upload,
    /// Download and decrypt.
    Download,
}

/// One row in the transfers list.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// Local id (also the key of its abort controller).
    pub id: u64,
    /// Upload or download.
    pub kind: TransferKind,
    /// The file's name.
    pub name: String,
    /// Bytes to move (ciphertext).
    pub total: u64,
    /// The file's own (plaintext) size, which is what the row shows.
    pub plain_total: u64,
    /// Bytes moved so far.
    pub done: RwSignal<u64>,
    /// Bytes per second so far.
    pub rate: RwSignal<f64>,
    /// Where it stands.
    pub state: RwSignal<TransferState>,
    /// Set when a refused resume can be replaced by a fresh upload of the same file.
    pub restartable: RwSignal<bool>,
}

/// Seconds in words: "4 s", "3 min", "2 h 5 min".
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s.div_ceil(60)),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// A short badge for a MIME type (plain letters: no icon font or emoji needed), and a word for
/// screen readers.
pub fn type_icon(mime: &str) -> (&'static str, &'static str) {
    let top = mime.split('/').next().unwrap_or("");
    match (top, mime) {
        (_, "application/pdf") => ("PDF", "PDF document"),
        ("image", _) => ("IMG", "Image"),
        ("video", _) => ("VID", "Video"),
        ("audio", _) => ("AUD", "Audio"),
        ("text", _) => ("TXT", "Text"),
        (_, m) if m.contains("zip") || m.contains("compressed") || m.contains("tar") => {
            ("ZIP", "Archive")
        }
        _ => ("FILE", "File"),
    }
}

/// A date and time in the browser's locale (ISO-like on the server, which never renders rows).
pub fn human_date(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        format!("{ms}")
    }
}

/// Whether the account record needs the user's review, and in which words.
pub fn record_warning(state: &RecordState) -> Option<String> {
    match state {
        RecordState::Current(_) => None,
        RecordState::RolledBack { record, seen } => Some(format!(
            "The server returned an older copy of your contact list (version {}) than this \
             browser has seen (version {seen}). Someone may have removed a key you trusted. \
             Sharing with people whose key Coffer cannot confirm is blocked until you check their \
             safety numbers.",
            record.revision
        )),
        RecordState::Damaged => Some(
            "Your contact list could not be opened: it was damaged or tampered with. Sharing is \
             blocked until you confirm people's safety numbers again."
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, size: u64, created_at: i64) -> FileRow {
        FileRow {
            id: id.into(),
            name: name.into(),
            mime: String::new(),
            size,
            created_at,
            modified_ms: 0,
            ciphertext_size: 0,
            content: ContentBinding::Unbound,
            source: RowSource::Own {
                info: FileInfo {
                    id: id.into(),
                    ciphertext_size: 0,
                    chunk_size: 4096,
                    sealed_metadata: Vec::new(),
                    key_slot: Vec::new(),
                    version_record: None,
                    created_at,
                    updated_at: created_at,
                },
                version: None,
            },
            content_url: String::new(),
            sharer: None,
        }
    }

    #[test]
    fn search_matches_names_case_insensitively_and_sorts() {
        let rows = [
            row("1", "Beta.txt", 10, 3),
            row("2", "alpha.TXT", 30, 1),
            row("3", "photo.jpg", 20, 2),
        ];
        let names = |v: Vec<FileRow>| v.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(visible_rows(&rows, " TXT ", SortKey::Name, true)),
            ["alpha.TXT", "Beta.txt"]
        );
        assert_eq!(
            names(visible_rows(&rows, "", SortKey::Size, false)),
            ["alpha.TXT", "photo.jpg", "Beta.txt"]
        );
        assert_eq!(
            names(visible_rows(&rows, "", SortKey::Date, true)),
            ["alpha.TXT", "photo.jpg", "Beta.txt"]
        );
        assert!(visible_rows(&rows, "nothing", SortKey::Name, true).is_empty());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(4.2), "4 s");
        assert_eq!(human_duration(125.0), "3 min");
        assert_eq!(human_duration(7500.0), "2 h 5 min");
    }

    #[test]
    fn type_icons_follow_the_mime_type() {
        assert_eq!(type_icon("image/png").1, "Image");
        assert_eq!(type_icon("application/pdf").1, "PDF document");
        assert_eq!(type_icon("application/zip").1, "Archive");
        assert_eq!(type_icon("").1, "File");
    }
}
