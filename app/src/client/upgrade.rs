//! The one-time upgrade of a format-v1 account (docs/CRYPTO.md §13.4), run by the vault page
//! on the first unlock after the update:
//!
//! 1. every own file with a v1 key slot (an HPKE wrap to the owner, which anybody could have
//!    made) gets its first signed version: an owner key slot and a version record whose content
//!    is "unbound" (reading every file's content to bind it would take as long as downloading the
//!    vault; re-encrypting a file binds it);
//! 2. every share the user made before signatures is made again, signed, for the key pinned
//!    for that person (shares whose person has no pin, or another key now, are left as they are
//!    and named in the report);
//! 3. the account record is marked upgraded: from then on a v1 slot is never the user's own.
//!
//! Everything the server stores stays readable if the upgrade stops half-way; it runs again on
//! the next unlock.

use coffer_crypto::{
    seal_file_version, sign_grant, unwrap_file_key, wrap_file_key, ContentBinding, FileVersion,
    PublicKey,
};
use rand_core::OsRng;

use super::{
    account_record::{self, RecordError},
    file_id_from_hex,
    http::{self, HttpError, NO_BODY},
};
use crate::{
    keyring::UnlockedKeys,
    protocol::{
        sharing::{NewGrant, OutgoingGrants},
        vault::{
            FileInfo, IdentifiedVersion, NewVersion, VersionBatch, VersionResults, VersionStatus,
        },
    },
};

/// Versions per request (the server takes at most 100), and bytes of JSON per request (the
/// API's body limit is 64 KiB; metadata with long names makes an item up to ~2.5 KB).
const BATCH: usize = 50;
const BATCH_BYTES: usize = 40 * 1024;

/// What the upgrade did.
pub struct Report {
    /// Files that got their first signed version.
    pub files: usize,
    /// Shares signed again.
    pub grants: usize,
    /// People whose shares could not be signed again (no confirmed key).
    pub unsigned: Vec<String>,
}

impl Report {
    /// Words for a person.
    pub fn message(&self) -> String {
        let mut m = format!(
            "Upgraded {} file(s) and {} share(s) to signed versions.",
            self.files, self.grants
        );
        if !self.unsigned.is_empty() {
            m.push_str(&format!(
                " Shares with {} could not be signed because Coffer has no confirmed key for \
                 them: share those files again.",
                self.unsigned.join(", ")
            ));
        }
        m
    }
}

/// Why the upgrade stopped.
#[derive(Debug)]
pub struct UpgradeError(String);

impl std::fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<HttpError> for UpgradeError {
    fn from(e: HttpError) -> Self {
        UpgradeError(e.message())
    }
}

impl From<RecordError> for UpgradeError {
    fn from(e: RecordError) -> Self {
        UpgradeError(e.message())
    }
}

/// Upgrades the v1 files in `legacy` (entries this account's v1 slots open) and the user's
/// unsigned shares, then marks the account record.
pub async fn run(keys: &UnlockedKeys, legacy: &[FileInfo]) -> Result<Report, UpgradeError> {
    let mut report = Report {
        files: 0,
        grants: 0,
        unsigned: Vec::new(),
    };
    let mut keyed = Vec::new();
    for f in legacy {
        let Some(id) = file_id_from_hex(&f.id) else {
            continue;
        };
        let Ok(key) = unwrap_file_key(&keys.identity, &f.key_slot, &id) else {
            continue;
        };
        let sealed = seal_file_version(
            &keys.account_key,
            &keys.identity,
            &id,
            &FileVersion {
                number: 1,
                content: ContentBinding::Unbound,
            },
            &f.sealed_metadata,
            &key,
            &mut OsRng,
        )
        .map_err(|_| UpgradeError("a file could not be sealed".into()))?;
        keyed.push((
            id,
            key,
            IdentifiedVersion::new(
                f.id.clone(),
                NewVersion {
                    sealed_metadata: f.sealed_metadata.clone(),
                    key_slot: sealed.key_slot,
                    version_record: sealed.record,
                },
            ),
        ));
    }
    let mut batches: Vec<Vec<IdentifiedVersion>> = vec![Vec::new()];
    let mut bytes = 0;
    for (_, _, v) in &keyed {
        let size = serde_json::to_string(v)
            .map(|s| s.len())
            .unwrap_or(BATCH_BYTES);
        let current = batches.last_mut().expect("one batch at least");
        if !current.is_empty() && (current.len() == BATCH || bytes + size > BATCH_BYTES) {
            batches.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        batches
            .last_mut()
            .expect("one batch at least")
            .push(v.clone());
    }
    for versions in batches.into_iter().filter(|b| !b.is_empty()) {
        let body = VersionBatch { versions };
        let results: VersionResults =
            http::json("POST", "/api/files/versions", Some(&body)).await?;
        // "conflict": another tab upgraded it first; "not_found": deleted meanwhile.
        report.files += results
            .results
            .iter()
            .filter(|r| r.status == VersionStatus::Stored)
            .count();
    }

    let loaded = account_record::load(keys).await?;
    let outgoing: OutgoingGrants = http::json("GET", "/api/grants", NO_BODY).await?;
    for g in outgoing.grants.iter().filter(|g| g.signature.is_none()) {
        let Some((id, key, _)) = keyed.iter().find(|(_, _, v)| v.id == g.file_id) else {
            continue;
        };
        let current = PublicKey::from_bytes(&g.grantee_public_key).ok();
        let pinned = loaded
            .state
            .record()
            .and_then(|r| r.contact(&g.grantee))
            .map(|c| c.public_key.clone());
        let (Some(current), Some(pinned)) = (current, pinned) else {
            report.unsigned.push(g.grantee.clone());
            continue;
        };
        if current != pinned {
            report.unsigned.push(g.grantee.clone());
            continue;
        }
        let wrapped_key = wrap_file_key(&pinned, key, id, &mut OsRng);
        let signature = sign_grant(&keys.identity, id, &pinned, &wrapped_key, g.expires_at);
        let body = NewGrant {
            grantee: g.grantee.clone(),
            grantee_key: pinned.to_bytes(),
            wrapped_key,
            signature,
            expires_at: g.expires_at,
        };
        match http::call(
            "POST",
            &format!("/api/files/{}/grants", g.file_id),
            Some(&body),
        )
        .await
        {
            Ok(_) => report.grants += 1,
            Err(HttpError::Status {
                status: 404 | 409, ..
            }) => report.unsigned.push(g.grantee.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    report.unsigned.sort();
    report.unsigned.dedup();
    account_record::update(keys, false, |r| r.legacy_slots_upgraded = true).await?;
    Ok(report)
}
