//! The account record (blob `0x0A`): one sealed, versioned object per account holding the
//! contact list (the key pinned for every other user this account has dealt with, and how far it
//! is trusted) and the account's format flags.
//!
//! One object with a revision number inside the seal, rather than one blob per contact, so that
//! the server can neither drop a single pin nor serve an older list unnoticed: the browser keeps
//! the highest revision it has seen and treats a lower one as a rollback (docs/CRYPTO.md §10.2).

use rand_core::CryptoRngCore;

use crate::account::AccountKey;
use crate::identity::{PublicKey, PUBLIC_KEY_LEN};
use crate::primitives::{hkdf_sha256, open_box, seal_box, BlobTag};
use crate::Error;

const INFO_RECORD_KEY: &[u8] = b"coffer/v2/account-record-key";
const AAD_RECORD: &[u8] = b"coffer/v2/account-record";
/// The most contacts one record holds.
pub const MAX_CONTACTS: usize = 1000;
/// Longest contact name, in UTF-8 bytes.
pub const MAX_CONTACT_NAME_LEN: usize = 256;
/// The encoded record is zero-padded to a multiple of this.
const PAD_TO: usize = 256;
const FLAG_LEGACY_SLOTS_UPGRADED: u8 = 0x01;

/// How far a pinned key is trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trust {
    /// Pinned on first sight (a share received from them); never shared with, never compared.
    Seen,
    /// The user chose to share with them without comparing the safety number.
    Accepted,
    /// The user compared the safety number out of band and said it matched.
    Verified,
}

impl Trust {
    fn code(self) -> u8 {
        match self {
            Trust::Seen => 0,
            Trust::Accepted => 1,
            Trust::Verified => 2,
        }
    }

    fn from_code(code: u8) -> Result<Self, Error> {
        match code {
            0 => Ok(Trust::Seen),
            1 => Ok(Trust::Accepted),
            2 => Ok(Trust::Verified),
            _ => Err(Error::Malformed),
        }
    }
}

/// One pinned key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedContact {
    /// The other user's name in the server's canonical form (trimmed, NFKC, lower case).
    pub username: String,
    /// The key first seen for them (or confirmed after a change).
    pub public_key: PublicKey,
    /// How far it is trusted.
    pub trust: Trust,
}

/// The decrypted account record.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AccountRecord {
    /// 1 for the first record, one more on every change.
    pub revision: u64,
    /// Set once this account's own format-v1 key slots were upgraded (or it never had any):
    /// from then on a v1 slot in the vault is not the owner's.
    pub legacy_slots_upgraded: bool,
    /// Sorted by `username`, no duplicates.
    pub contacts: Vec<PinnedContact>,
}

impl AccountRecord {
    /// The pin for `username`, if any.
    pub fn contact(&self, username: &str) -> Option<&PinnedContact> {
        self.contacts
            .binary_search_by(|c| c.username.as_str().cmp(username))
            .ok()
            .map(|i| &self.contacts[i])
    }

    /// Adds or replaces the pin for `contact.username`, keeping the list sorted.
    pub fn pin(&mut self, contact: PinnedContact) {
        match self
            .contacts
            .binary_search_by(|c| c.username.as_str().cmp(&contact.username))
        {
            Ok(i) => self.contacts[i] = contact,
            Err(i) => self.contacts.insert(i, contact),
        }
    }
}

fn record_key(account_key: &AccountKey) -> zeroize::Zeroizing<[u8; 32]> {
    hkdf_sha256(None, &account_key.0, &[INFO_RECORD_KEY])
}

/// Seals the record under the account key, bound to the owner's public key. Fails with
/// [`Error::Malformed`] for revision 0, too many contacts, an over-long or empty name, or names
/// out of order.
pub fn seal_account_record(
    account_key: &AccountKey,
    owner: &PublicKey,
    record: &AccountRecord,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    let encoded = encode(record)?;
    Ok(seal_box(
        &record_key(account_key),
        BlobTag::AccountRecord,
        AAD_RECORD,
        &owner.to_bytes(),
        &encoded,
        rng,
    ))
}

/// Opens a record made by [`seal_account_record`] for the same account. Another account's
/// record, or any change, is [`Error::Decrypt`].
pub fn open_account_record(
    account_key: &AccountKey,
    owner: &PublicKey,
    sealed: &[u8],
) -> Result<AccountRecord, Error> {
    let encoded = open_box(
        &record_key(account_key),
        BlobTag::AccountRecord,
        AAD_RECORD,
        &owner.to_bytes(),
        sealed,
        None,
    )?;
    decode(&encoded)
}

/// `revision u64 ‖ flags u8 ‖ count u16 ‖ (name_len u16 ‖ name ‖ public key (65) ‖ trust u8)* ‖
/// zero padding to a multiple of 256`.
fn encode(record: &AccountRecord) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    if record.revision == 0 || record.contacts.len() > MAX_CONTACTS {
        return Err(Error::Malformed);
    }
    let in_order = record
        .contacts
        .windows(2)
        .all(|w| w[0].username.as_bytes() < w[1].username.as_bytes());
    if !in_order {
        return Err(Error::Malformed);
    }
    let mut out = zeroize::Zeroizing::new(Vec::new());
    out.extend_from_slice(&record.revision.to_be_bytes());
    out.push(if record.legacy_slots_upgraded {
        FLAG_LEGACY_SLOTS_UPGRADED
    } else {
        0
    });
    out.extend_from_slice(&(record.contacts.len() as u16).to_be_bytes());
    for c in &record.contacts {
        let name = c.username.as_bytes();
        if name.is_empty() || name.len() > MAX_CONTACT_NAME_LEN {
            return Err(Error::Malformed);
        }
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&c.public_key.to_bytes());
        out.push(c.trust.code());
    }
    let padded = out.len().next_multiple_of(PAD_TO);
    out.resize(padded, 0);
    Ok(out)
}

fn decode(bytes: &[u8]) -> Result<AccountRecord, Error> {
    let mut r = Reader(bytes);
    let revision = u64::from_be_bytes(r.array()?);
    let [flags] = r.array()?;
    if revision == 0 || flags & !FLAG_LEGACY_SLOTS_UPGRADED != 0 {
        return Err(Error::Malformed);
    }
    let count = u16::from_be_bytes(r.array()?) as usize;
    if count > MAX_CONTACTS {
        return Err(Error::Malformed);
    }
    let mut contacts: Vec<PinnedContact> = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u16::from_be_bytes(r.array()?) as usize;
        if len == 0 || len > MAX_CONTACT_NAME_LEN {
            return Err(Error::Malformed);
        }
        let username = String::from_utf8(r.take(len)?.to_vec()).map_err(|_| Error::Malformed)?;
        let public_key = PublicKey::from_bytes(r.take(PUBLIC_KEY_LEN)?)?;
        let [trust] = r.array()?;
        if contacts
            .last()
            .is_some_and(|last| last.username.as_bytes() >= username.as_bytes())
        {
            return Err(Error::Malformed);
        }
        contacts.push(PinnedContact {
            username,
            public_key,
            trust: Trust::from_code(trust)?,
        });
    }
    // Exactly one encoding per record: minimal, all-zero padding.
    let padding = r.0;
    if padding.len() >= PAD_TO
        || padding.iter().any(|&b| b != 0)
        || !bytes.len().is_multiple_of(PAD_TO)
    {
        return Err(Error::Malformed);
    }
    Ok(AccountRecord {
        revision,
        legacy_slots_upgraded: flags & FLAG_LEGACY_SLOTS_UPGRADED != 0,
        contacts,
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Error> {
        if self.0.len() < n {
            return Err(Error::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn decode_rejects_unsorted_names_unknown_flags_and_bad_padding() {
        use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
        let key = crate::IdentityKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(3)).public_key();
        let contact = |name: &str| PinnedContact {
            username: name.into(),
            public_key: key.clone(),
            trust: Trust::Verified,
        };
        let good = AccountRecord {
            revision: 7,
            legacy_slots_upgraded: true,
            contacts: vec![contact("alice"), contact("bob")],
        };
        let bytes = encode(&good).unwrap();
        assert_eq!(bytes.len() % PAD_TO, 0);
        assert_eq!(decode(&bytes).unwrap(), good);

        let mut swapped = good.clone();
        swapped.contacts.swap(0, 1);
        assert_eq!(encode(&swapped).err(), Some(Error::Malformed));
        let mut flags = bytes.to_vec();
        flags[8] |= 0x80;
        let mut padding = bytes.to_vec();
        *padding.last_mut().unwrap() = 1;
        let mut excess = bytes.to_vec();
        excess.extend([0u8; PAD_TO]);
        let mut bad_trust = bytes.to_vec();
        let trust_at = 8 + 1 + 2 + 2 + 5 + 65;
        bad_trust[trust_at] = 3;
        for bad in [
            &flags[..],
            &padding[..],
            &excess[..],
            &bad_trust[..],
            &bytes[..100],
        ] {
            assert_eq!(decode(bad).err(), Some(Error::Malformed));
        }
    }
}
