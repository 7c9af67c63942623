//! What this browser accepts from a server it does not trust (docs/CRYPTO.md §13): which files
//! are the user's own, which shares really come from whom, and what the user's pinned keys say
//! about a key the server hands out. Pure functions over the crypto crate, tested natively; the
//! browser code (`client/`) fetches, these decide.
//!
//! The rules, in one place:
//! * a file is the user's own only if its owner key slot opens under the account key for exactly
//!   the version record and metadata the server returned; a format-v1 slot (an HPKE wrap, which
//!   anyone can make) only while a v1 account has not finished its one upgrade;
//! * a shared file is genuine only if the sharer's key is the one pinned for that name (or, the
//!   first time, is pinned now), the grant and the version record both verify under it, and the
//!   metadata matches the ciphertext length;
//! * a key the user shares with must match the pin; a missing pin counts as "changed" when the
//!   account record was rolled back or is damaged, or when the user's own signed grants show they
//!   shared with another key before.

use coffer_crypto::{
    open_metadata, open_own_file, unwrap_file_key, verify_file_version, verify_grant,
    AccountFormat, AccountRecord, ContentBinding, FileKey, FileMetadata, FileVersion,
    PinnedContact, PublicKey, Trust,
};

use crate::{
    keyring::UnlockedKeys,
    protocol::{
        sharing::{OutgoingGrant, SharedFile},
        vault::FileInfo,
    },
};

/// Parses a server-made id (32 lower-case hex characters).
pub fn file_id_from_hex(id: &str) -> Option<coffer_crypto::FileId> {
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, pair) in id.as_bytes().chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        bytes[i] = u8::from_str_radix(text, 16).ok()?;
    }
    Some(coffer_crypto::FileId::from_bytes(bytes))
}

// ---------------------------------------------------------------------------------------------
// The account record as this browser judges it

/// The account record the server returned, judged against the highest revision this browser
/// has seen for the account.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordState {
    /// Authentic and not older than anything seen here (revision 0: none exists yet).
    Current(AccountRecord),
    /// Authentic but older than a revision this browser saw (or missing after one was seen):
    /// pins may have been dropped, so a missing pin cannot be trusted as "new".
    RolledBack {
        /// What the server returned (empty if nothing).
        record: AccountRecord,
        /// The highest revision this browser saw.
        seen: u64,
    },
    /// The server returned something that does not open: every pin is unknown.
    Damaged,
}

impl RecordState {
    /// Judges what the server answered: `None` for no record, else the result of opening it.
    pub fn judge(
        opened: Option<Result<AccountRecord, coffer_crypto::Error>>,
        seen: u64,
    ) -> RecordState {
        match opened {
            Some(Err(_)) => RecordState::Damaged,
            Some(Ok(record)) if record.revision < seen => RecordState::RolledBack { record, seen },
            Some(Ok(record)) => RecordState::Current(record),
            None if seen > 0 => RecordState::RolledBack {
                record: AccountRecord::default(),
                seen,
            },
            None => RecordState::Current(AccountRecord::default()),
        }
    }

    /// The pins, if the record opened at all.
    pub fn record(&self) -> Option<&AccountRecord> {
        match self {
            RecordState::Current(r) | RecordState::RolledBack { record: r, .. } => Some(r),
            RecordState::Damaged => None,
        }
    }

    /// Whether this account's own format-v1 key slots may still be accepted (and upgraded):
    /// only for a v1 account, only with a current record that does not say the upgrade is done.
    pub fn legacy_slots_allowed(&self, format: AccountFormat) -> bool {
        format == AccountFormat::V1
            && matches!(self, RecordState::Current(r) if !r.legacy_slots_upgraded)
    }
}

// ---------------------------------------------------------------------------------------------
// The user's own files

/// What a file the server lists in the user's vault turned out to be.
pub enum OwnFile {
    /// The user's own: the key slot opened for this version record and metadata.
    Verified {
        /// The file key.
        key: FileKey,
        /// The version the slot vouches for.
        version: FileVersion,
        /// The decrypted metadata (size checked against the ciphertext).
        metadata: FileMetadata,
    },
    /// A format-v1 file of a v1 account that has not finished its upgrade: accepted once, to be
    /// upgraded to a signed version.
    Legacy {
        /// The file key.
        key: FileKey,
        /// The decrypted metadata (size checked).
        metadata: FileMetadata,
    },
    /// Not made by this account (planted, moved from another vault or from a share), or altered.
    Unverified,
}

/// Checks one entry of `GET /api/files`.
pub fn check_own_file(keys: &UnlockedKeys, legacy_allowed: bool, f: &FileInfo) -> OwnFile {
    let Some(id) = file_id_from_hex(&f.id) else {
        return OwnFile::Unverified;
    };
    let size_ok = |m: &FileMetadata| m.size_matches(f.ciphertext_size, f.chunk_size);
    match &f.version_record {
        Some(record) => {
            let Ok((key, version)) = open_own_file(
                &keys.account_key,
                &keys.public_key(),
                &id,
                &f.key_slot,
                record,
                &f.sealed_metadata,
            ) else {
                return OwnFile::Unverified;
            };
            match open_metadata(&key, &id, &f.sealed_metadata) {
                Ok(metadata) if size_ok(&metadata) => OwnFile::Verified {
                    key,
                    version,
                    metadata,
                },
                _ => OwnFile::Unverified,
            }
        }
        None if legacy_allowed => {
            let Ok(key) = unwrap_file_key(&keys.identity, &f.key_slot, &id) else {
                return OwnFile::Unverified;
            };
            match open_metadata(&key, &id, &f.sealed_metadata) {
                Ok(metadata) if size_ok(&metadata) => OwnFile::Legacy { key, metadata },
                _ => OwnFile::Unverified,
            }
        }
        None => OwnFile::Unverified,
    }
}

// ---------------------------------------------------------------------------------------------
// Files shared with the user

/// How far the user trusts the person a share comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharerTrust {
    /// The user compared the safety number.
    Verified,
    /// The key is pinned (now or before) but was never compared.
    NotYetVerified,
}

/// Why a share is not offered as genuine.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The server's key for the sharer is not the one pinned for that name.
    KeyChanged {
        /// The pinned key.
        pinned: PublicKey,
    },
    /// The user's contact list was rolled back or damaged, and this sharer has no pin in it.
    CannotCheck,
    /// The grant or version signature does not verify under the sharer's key: the share was
    /// not made by them as shown.
    BadSignature,
    /// The key, metadata or sizes do not fit together.
    Damaged,
}

impl Refusal {
    /// Words for a person.
    pub fn message(&self, sharer: &str) -> String {
        match self {
            Refusal::KeyChanged { .. } => format!(
                "{sharer}'s key is not the one you saw before, so Coffer cannot tell who shared \
                 this. Compare safety numbers with {sharer} before trusting it."
            ),
            Refusal::CannotCheck => format!(
                "Your contact list is older than one this browser saw, or damaged, so Coffer \
                 cannot check that this comes from {sharer}."
            ),
            Refusal::BadSignature => format!(
                "This file was not shared by {sharer} as shown: its signature does not check out."
            ),
            Refusal::Damaged => "This share is damaged: its key or details do not fit.".into(),
        }
    }
}

/// What a file in `GET /api/shared` turned out to be.
pub enum SharedCheck {
    /// Shared by the named user, who made this version.
    Genuine {
        /// The file key.
        key: FileKey,
        /// Name, type, size.
        metadata: FileMetadata,
        /// What the owner's signature says about the content (check it while downloading).
        content: ContentBinding,
        /// How far the sharer is trusted.
        trust: SharerTrust,
        /// The sharer's key, to pin if it was not pinned yet.
        pin_now: Option<PinnedContact>,
    },
    /// Made by format v1 (unsigned grant or unsigned version): it opens, but nothing proves who
    /// made it.
    Legacy {
        /// The file key.
        key: FileKey,
        /// Name, type, size.
        metadata: FileMetadata,
    },
    /// Not offered as genuine.
    Refused(Refusal),
}

/// Checks one entry of `GET /api/shared` against the user's pins.
pub fn check_shared_file(keys: &UnlockedKeys, state: &RecordState, f: &SharedFile) -> SharedCheck {
    let refused = SharedCheck::Refused;
    let (Some(id), Ok(sharer_key)) = (
        file_id_from_hex(&f.id),
        PublicKey::from_bytes(&f.sharer_public_key),
    ) else {
        return refused(Refusal::Damaged);
    };
    let pin = state.record().and_then(|r| r.contact(&f.sharer));
    let (trust, pin_now) = match (pin, state) {
        (Some(p), _) if p.public_key != sharer_key => {
            return refused(Refusal::KeyChanged {
                pinned: p.public_key.clone(),
            })
        }
        (Some(p), _) => (
            if p.trust == Trust::Verified {
                SharerTrust::Verified
            } else {
                SharerTrust::NotYetVerified
            },
            None,
        ),
        (None, RecordState::Current(_)) => (
            SharerTrust::NotYetVerified,
            Some(PinnedContact {
                username: f.sharer.clone(),
                public_key: sharer_key.clone(),
                trust: Trust::Seen,
            }),
        ),
        (None, _) => return refused(Refusal::CannotCheck),
    };
    let grant_ok = f.grant_signature.as_ref().map(|sig| {
        verify_grant(
            &sharer_key,
            &id,
            &keys.public_key(),
            &f.wrapped_key,
            f.expires_at,
            sig,
        )
        .is_ok()
    });
    let version = f
        .version_record
        .as_ref()
        .map(|r| verify_file_version(&sharer_key, &id, r, &f.sealed_metadata));
    if grant_ok == Some(false) || matches!(version, Some(Err(_))) {
        return refused(Refusal::BadSignature);
    }
    let Ok(key) = unwrap_file_key(&keys.identity, &f.wrapped_key, &id) else {
        return refused(Refusal::Damaged);
    };
    let metadata = match open_metadata(&key, &id, &f.sealed_metadata) {
        Ok(m) if m.size_matches(f.ciphertext_size, f.chunk_size) => m,
        _ => return refused(Refusal::Damaged),
    };
    match (grant_ok, version) {
        (Some(true), Some(Ok(version))) => SharedCheck::Genuine {
            key,
            metadata,
            content: version.content,
            trust,
            pin_now,
        },
        _ => SharedCheck::Legacy { key, metadata },
    }
}

// ---------------------------------------------------------------------------------------------
// Keys the user shares with

/// Why sharing with someone is blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeReason {
    /// The server's key differs from the pinned one.
    KeyDiffers,
    /// No pin, but the user's own signed grants show they shared with another key before.
    SharedBeforeWithAnotherKey,
    /// No pin, and the account record was rolled back: the pin may have been dropped.
    RecordRolledBack,
    /// The account record does not open.
    RecordDamaged,
}

/// What the share dialog knows about the key the server returned for someone.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyStatus {
    /// Never shared with them: the user compares the safety number or explicitly shares without
    /// verifying; either choice is remembered.
    FirstShare {
        /// Whether the key was pinned already (from a share received from them).
        seen_before: bool,
    },
    /// Shared with before without verifying, and the key is the same.
    Accepted,
    /// Compared and verified, and the key is the same.
    Verified,
    /// Blocked until the user compares the new safety number.
    Changed {
        /// The key seen before, if Coffer knows it.
        pinned: Option<PublicKey>,
        /// Why.
        why: ChangeReason,
    },
}

/// The keys the user's OWN signed grants say they shared with `username` before: grants whose
/// signature verifies under the user's key over the granted key (the server cannot forge those).
pub fn previously_shared_keys(
    keys: &UnlockedKeys,
    grants: &[OutgoingGrant],
    username: &str,
) -> Vec<PublicKey> {
    grants
        .iter()
        .filter(|g| g.grantee == username)
        .filter_map(|g| {
            let id = file_id_from_hex(&g.file_id)?;
            let granted = PublicKey::from_bytes(g.granted_key.as_deref()?).ok()?;
            verify_grant(
                &keys.public_key(),
                &id,
                &granted,
                &g.wrapped_key,
                g.expires_at,
                g.signature.as_deref()?,
            )
            .ok()?;
            Some(granted)
        })
        .collect()
}

/// Decides whether the user may share with `username`, whose key the server says is
/// `server_key`. `shared_before` comes from [`previously_shared_keys`].
pub fn share_key_status(
    state: &RecordState,
    username: &str,
    server_key: &PublicKey,
    shared_before: &[PublicKey],
) -> KeyStatus {
    let other_key_before = shared_before.iter().find(|k| *k != server_key).cloned();
    let Some(record) = state.record() else {
        return KeyStatus::Changed {
            pinned: other_key_before,
            why: ChangeReason::RecordDamaged,
        };
    };
    // A pin in the record is the user's latest decision about this name.
    if let Some(pin) = record.contact(username) {
        if pin.public_key != *server_key {
            return KeyStatus::Changed {
                pinned: Some(pin.public_key.clone()),
                why: ChangeReason::KeyDiffers,
            };
        }
        return match pin.trust {
            Trust::Verified => KeyStatus::Verified,
            Trust::Accepted => KeyStatus::Accepted,
            Trust::Seen => KeyStatus::FirstShare { seen_before: true },
        };
    }
    if let Some(before) = other_key_before {
        return KeyStatus::Changed {
            pinned: Some(before),
            why: ChangeReason::SharedBeforeWithAnotherKey,
        };
    }
    if matches!(state, RecordState::RolledBack { .. }) {
        return KeyStatus::Changed {
            pinned: None,
            why: ChangeReason::RecordRolledBack,
        };
    }
    if shared_before.contains(server_key) {
        KeyStatus::Accepted
    } else {
        KeyStatus::FirstShare { seen_before: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::prepare_registration;
    use coffer_crypto::{
        seal_file_version, seal_metadata, sign_grant, wrap_file_key, ContentDigest,
        IdentityKeyPair, StreamEncryptor,
    };
    use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

    fn user(seed: u64) -> UnlockedKeys {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        prepare_registration(&format!("user{seed}"), "", "a long password", &mut rng)
            .unwrap()
            .keys
    }

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(99)
    }

    const ID: &str = "00112233445566778899aabbccddeeff";

    /// A file owned by `owner`: its listing entry and the pieces to share it.
    fn file(owner: &UnlockedKeys) -> (FileInfo, FileKey, Vec<u8>) {
        let id = file_id_from_hex(ID).unwrap();
        let key = FileKey::generate(&mut rng());
        let mut enc = StreamEncryptor::new(&key, &id, 4096, &mut rng()).unwrap();
        let mut ct = enc.header().to_vec();
        ct.extend(enc.push(b"hello").unwrap());
        ct.extend(enc.finish().unwrap());
        let meta = FileMetadata {
            name: "hello.txt".into(),
            mime: "text/plain".into(),
            size: 5,
            modified_ms: 0,
        };
        let sealed_metadata = seal_metadata(&key, &id, &meta, &mut rng()).unwrap();
        let version = FileVersion::first(ContentDigest::of_ciphertext(&ct).unwrap());
        let sealed = seal_file_version(
            &owner.account_key,
            &owner.identity,
            &id,
            &version,
            &sealed_metadata,
            &key,
            &mut rng(),
        )
        .unwrap();
        let info = FileInfo {
            id: ID.into(),
            ciphertext_size: ct.len() as u64,
            chunk_size: 4096,
            sealed_metadata,
            key_slot: sealed.key_slot,
            version_record: Some(sealed.record),
            created_at: 0,
            updated_at: 0,
        };
        (info, key, ct)
    }

    #[test]
    fn only_files_whose_slot_opens_are_the_users_own() {
        let alice = user(1);
        let (mine, key, _) = file(&alice);
        assert!(matches!(
            check_own_file(&alice, false, &mine),
            OwnFile::Verified { .. }
        ));
        // Planted: the server wraps a key to Alice's public key (what format v1 accepted).
        let id = file_id_from_hex(ID).unwrap();
        let planted = FileInfo {
            key_slot: wrap_file_key(&alice.public_key(), &key, &id, &mut rng()),
            version_record: None,
            ..mine.clone()
        };
        assert!(matches!(
            check_own_file(&alice, false, &planted),
            OwnFile::Unverified
        ));
        // ... unless a v1 account has not finished its upgrade.
        assert!(matches!(
            check_own_file(&alice, true, &planted),
            OwnFile::Legacy { .. }
        ));
        // Another user's file moved into Alice's vault.
        let (bobs, _, _) = file(&user(2));
        assert!(matches!(
            check_own_file(&alice, false, &bobs),
            OwnFile::Unverified
        ));
        // A size that does not match the metadata.
        let resized = FileInfo {
            ciphertext_size: mine.ciphertext_size + 1,
            ..mine.clone()
        };
        assert!(matches!(
            check_own_file(&alice, false, &resized),
            OwnFile::Unverified
        ));
    }

    fn share(owner: &UnlockedKeys, to: &UnlockedKeys) -> SharedFile {
        let (f, key, _) = file(owner);
        let id = file_id_from_hex(ID).unwrap();
        let wrapped_key = wrap_file_key(&to.public_key(), &key, &id, &mut rng());
        let grant_signature =
            sign_grant(&owner.identity, &id, &to.public_key(), &wrapped_key, None);
        SharedFile {
            id: ID.into(),
            sharer: owner.username.clone(),
            sharer_public_key: owner.public_key().to_bytes(),
            ciphertext_size: f.ciphertext_size,
            chunk_size: 4096,
            sealed_metadata: f.sealed_metadata,
            version_record: f.version_record,
            grant_signature: Some(grant_signature),
            wrapped_key,
            shared_at: 0,
            expires_at: None,
        }
    }

    fn pinned(who: &UnlockedKeys, trust: Trust) -> RecordState {
        let mut r = AccountRecord {
            revision: 3,
            ..Default::default()
        };
        r.pin(PinnedContact {
            username: who.username.clone(),
            public_key: who.public_key(),
            trust,
        });
        RecordState::Current(r)
    }

    #[test]
    fn a_share_is_genuine_only_from_the_pinned_key_with_both_signatures() {
        let (alice, bob, mallory) = (user(1), user(2), user(3));
        let from_bob = share(&bob, &alice);
        let empty = RecordState::Current(AccountRecord::default());
        match check_shared_file(&alice, &empty, &from_bob) {
            SharedCheck::Genuine { trust, pin_now, .. } => {
                assert_eq!(trust, SharerTrust::NotYetVerified);
                assert_eq!(pin_now.unwrap().public_key, bob.public_key());
            }
            _ => panic!("a signed share from a new sender is genuine, not yet verified"),
        }
        let verified = pinned(&bob, Trust::Verified);
        assert!(matches!(
            check_shared_file(&alice, &verified, &from_bob),
            SharedCheck::Genuine {
                trust: SharerTrust::Verified,
                pin_now: None,
                ..
            }
        ));
        // Forged sharer: Mallory's share relabelled as Bob's (the server's name, Bob's real key).
        let forged = SharedFile {
            sharer: bob.username.clone(),
            sharer_public_key: bob.public_key().to_bytes(),
            ..share(&mallory, &alice)
        };
        assert!(matches!(
            check_shared_file(&alice, &verified, &forged),
            SharedCheck::Refused(Refusal::BadSignature)
        ));
        // ... or with Mallory's key under Bob's name: the pin catches it.
        let swapped = SharedFile {
            sharer: bob.username.clone(),
            ..share(&mallory, &alice)
        };
        assert!(matches!(
            check_shared_file(&alice, &verified, &swapped),
            SharedCheck::Refused(Refusal::KeyChanged { .. })
        ));
        // A stripped signature makes it legacy, never genuine.
        let stripped = SharedFile {
            grant_signature: None,
            ..from_bob.clone()
        };
        assert!(matches!(
            check_shared_file(&alice, &verified, &stripped),
            SharedCheck::Legacy { .. }
        ));
        // With a rolled-back record, a sender without a pin cannot be checked.
        let rolled = RecordState::RolledBack {
            record: AccountRecord::default(),
            seen: 4,
        };
        assert!(matches!(
            check_shared_file(&alice, &rolled, &from_bob),
            SharedCheck::Refused(Refusal::CannotCheck)
        ));
        assert!(matches!(
            check_shared_file(&alice, &RecordState::Damaged, &from_bob),
            SharedCheck::Refused(Refusal::CannotCheck)
        ));
    }

    #[test]
    fn missing_or_rolled_back_pins_are_changed_keys_not_new_ones() {
        let bob = IdentityKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(5)).public_key();
        let mallory = IdentityKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(6)).public_key();
        let mut record = AccountRecord {
            revision: 2,
            ..Default::default()
        };
        let fresh = RecordState::Current(record.clone());
        assert_eq!(
            share_key_status(&fresh, "bob", &bob, &[]),
            KeyStatus::FirstShare { seen_before: false }
        );
        // The pin is gone but Alice's own signed grant shows she shared with another key.
        assert_eq!(
            share_key_status(&fresh, "bob", &mallory, std::slice::from_ref(&bob)),
            KeyStatus::Changed {
                pinned: Some(bob.clone()),
                why: ChangeReason::SharedBeforeWithAnotherKey
            }
        );
        let rolled = RecordState::RolledBack {
            record: record.clone(),
            seen: 5,
        };
        assert_eq!(
            share_key_status(&rolled, "bob", &mallory, &[]),
            KeyStatus::Changed {
                pinned: None,
                why: ChangeReason::RecordRolledBack
            }
        );
        assert!(matches!(
            share_key_status(&RecordState::Damaged, "bob", &bob, &[]),
            KeyStatus::Changed {
                why: ChangeReason::RecordDamaged,
                ..
            }
        ));
        record.pin(PinnedContact {
            username: "bob".into(),
            public_key: bob.clone(),
            trust: Trust::Accepted,
        });
        let current = RecordState::Current(record);
        assert_eq!(
            share_key_status(&current, "bob", &bob, &[]),
            KeyStatus::Accepted
        );
        assert_eq!(
            share_key_status(&current, "bob", &mallory, &[]),
            KeyStatus::Changed {
                pinned: Some(bob.clone()),
                why: ChangeReason::KeyDiffers
            }
        );
    }

    #[test]
    fn a_record_older_than_one_seen_here_is_a_rollback() {
        let at = |revision| {
            Some(Ok(AccountRecord {
                revision,
                ..Default::default()
            }))
        };
        assert!(matches!(
            RecordState::judge(at(5), 5),
            RecordState::Current(_)
        ));
        assert!(matches!(
            RecordState::judge(at(4), 5),
            RecordState::RolledBack { seen: 5, .. }
        ));
        assert!(matches!(
            RecordState::judge(None, 5),
            RecordState::RolledBack { .. }
        ));
        assert!(matches!(
            RecordState::judge(None, 0),
            RecordState::Current(_)
        ));
        assert!(matches!(
            RecordState::judge(Some(Err(coffer_crypto::Error::Decrypt)), 0),
            RecordState::Damaged
        ));
        assert!(!RecordState::judge(at(4), 5).legacy_slots_allowed(AccountFormat::V1));
        assert!(RecordState::judge(at(5), 5).legacy_slots_allowed(AccountFormat::V1));
        assert!(!RecordState::judge(at(5), 5).legacy_slots_allowed(AccountFormat::V2));
    }

    #[test]
    fn own_grants_count_as_evidence_only_when_their_signature_verifies() {
        let (alice, bob) = (user(1), user(2));
        let id = file_id_from_hex(ID).unwrap();
        let key = FileKey::generate(&mut rng());
        let wrapped_key = wrap_file_key(&bob.public_key(), &key, &id, &mut rng());
        let signature = sign_grant(&alice.identity, &id, &bob.public_key(), &wrapped_key, None);
        let grant = OutgoingGrant {
            file_id: ID.into(),
            grantee: "bob".into(),
            grantee_public_key: user(3).public_key().to_bytes(),
            granted_key: Some(bob.public_key().to_bytes()),
            wrapped_key,
            signature: Some(signature),
            created_at: 0,
            expires_at: None,
        };
        assert_eq!(
            previously_shared_keys(&alice, std::slice::from_ref(&grant), "bob"),
            vec![bob.public_key()]
        );
        // The server cannot plant evidence: another granted key breaks the signature.
        let lie = OutgoingGrant {
            granted_key: Some(user(3).public_key().to_bytes()),
            ..grant
        };
        assert!(previously_shared_keys(&alice, &[lie], "bob").is_empty());
    }
}
