//! The account record in the browser: loading it (and judging it against the highest revision
//! this browser has seen, kept in `localStorage`), and changing it with a compare-and-swap on the
//! server so two tabs never lose each other's pins. The decisions are in `crate::trust`.
//!
//! The first time an account has no record, its format-v1 contact records (blob 0x07, one per
//! contact) are imported into it: verified ones stay verified, the others count as "shared
//! without verifying" (v1 pinned a key when the user shared). A v1 record that does not open makes
//! the whole record damaged, as a pin that fails to open must never read as "new".

use coffer_crypto::{
    open_account_record, open_contact, seal_account_record, AccountFormat, AccountRecord,
    PinnedContact, Trust,
};
use gloo_storage::{LocalStorage, Storage};
use rand_core::OsRng;

use super::http::{self, HttpError, NO_BODY};
use crate::{
    keyring::UnlockedKeys,
    protocol::sharing::{ContactList, PutAccountRecord, StoredAccountRecord},
    protocol::validation,
    trust::RecordState,
};

const SEEN_PREFIX: &str = "coffer.account-record-seen.";
const ATTEMPTS: usize = 4;

fn seen_key(keys: &UnlockedKeys) -> String {
    let name = validation::normalize_username(&keys.username).unwrap_or(keys.username.clone());
    format!("{SEEN_PREFIX}{name}")
}

/// The highest revision this browser has seen for the account.
pub fn seen(keys: &UnlockedKeys) -> u64 {
    LocalStorage::get(seen_key(keys)).unwrap_or(0)
}

fn mark_seen(keys: &UnlockedKeys, revision: u64) {
    if revision > seen(keys) && LocalStorage::set(seen_key(keys), revision).is_err() {
        leptos::logging::warn!("could not remember the account record's revision");
    }
}

/// The record as judged, and the revision the server has (for the next write).
pub struct Loaded {
    /// What the browser makes of it.
    pub state: RecordState,
    /// The revision the server stored (`None`: it has none).
    pub server_revision: Option<u64>,
}

/// Why the record could not be changed.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordError {
    /// The server refused or could not be reached.
    Http(HttpError),
    /// The record is older than one this browser saw, or damaged: the user must decide first.
    NeedsReview,
}

impl RecordError {
    /// Words for a person.
    pub fn message(&self) -> String {
        match self {
            RecordError::Http(e) => e.message(),
            RecordError::NeedsReview => "Your contact list needs your review first (see the \
                warning on the Vault page)."
                .into(),
        }
    }
}

impl From<HttpError> for RecordError {
    fn from(e: HttpError) -> Self {
        RecordError::Http(e)
    }
}

async fn import_v1(keys: &UnlockedKeys) -> Result<Option<AccountRecord>, HttpError> {
    let list: ContactList = http::json("GET", "/api/contacts", NO_BODY).await?;
    let mut record = AccountRecord::default();
    for c in &list.contacts {
        match open_contact(&keys.account_key, &c.username, &c.sealed) {
            Ok(contact) => record.pin(PinnedContact {
                username: c.username.clone(),
                public_key: contact.public_key,
                trust: if contact.verified {
                    Trust::Verified
                } else {
                    Trust::Accepted
                },
            }),
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(record))
}

/// Loads and judges the account record.
pub async fn load(keys: &UnlockedKeys) -> Result<Loaded, HttpError> {
    let seen = seen(keys);
    let stored =
        match http::json::<StoredAccountRecord>("GET", "/api/account-record", NO_BODY).await {
            Ok(stored) => Some(stored),
            Err(HttpError::Status { status: 404, .. }) => None,
            Err(e) => return Err(e),
        };
    let server_revision = stored.as_ref().map(|s| s.revision);
    let opened = stored
        .as_ref()
        .map(|s| open_account_record(&keys.account_key, &keys.public_key(), &s.sealed));
    let mut state = RecordState::judge(opened, seen);
    if stored.is_none() && seen == 0 && keys.format == AccountFormat::V1 {
        // Never had a record: start from the v1 contact records, not written until changed.
        state = match import_v1(keys).await? {
            Some(imported) => RecordState::Current(imported),
            None => RecordState::Damaged,
        };
    }
    if let RecordState::Current(r) = &state {
        mark_seen(keys, r.revision);
    }
    Ok(Loaded {
        state,
        server_revision,
    })
}

/// Applies `change` to the newest record and stores it under the next revision. With `force`,
/// a rolled-back record is taken as it is and a damaged one is started afresh (the user chose
/// to); otherwise they are [`RecordError::NeedsReview`].
pub async fn update(
    keys: &UnlockedKeys,
    force: bool,
    change: impl Fn(&mut AccountRecord),
) -> Result<AccountRecord, RecordError> {
    let mut last = RecordError::NeedsReview;
    for _ in 0..ATTEMPTS {
        let loaded = load(keys).await?;
        let base = match loaded.state {
            RecordState::Current(r) => r,
            RecordState::RolledBack { record, .. } if force => record,
            RecordState::Damaged if force => AccountRecord {
                legacy_slots_upgraded: keys.format == AccountFormat::V2,
                ..AccountRecord::default()
            },
            _ => return Err(RecordError::NeedsReview),
        };
        let mut next = base.clone();
        change(&mut next);
        next.revision = base
            .revision
            .max(seen(keys))
            .max(loaded.server_revision.unwrap_or(0))
            + 1;
        let sealed = seal_account_record(&keys.account_key, &keys.public_key(), &next, &mut OsRng)
            .map_err(|_| RecordError::Http(HttpError::refused(400, "The contact list is full.")))?;
        let body = PutAccountRecord {
            expected_revision: loaded.server_revision,
            revision: next.revision,
            sealed,
        };
        match http::call("PUT", "/api/account-record", Some(&body)).await {
            Ok(_) => {
                mark_seen(keys, next.revision);
                return Ok(next);
            }
            // Another tab wrote first: read again and re-apply the change.
            Err(e @ HttpError::Status { status: 409, .. }) => last = RecordError::Http(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last)
}
