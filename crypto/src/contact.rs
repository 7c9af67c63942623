//! Contact records: the public key first seen for another user (and whether it was verified),
//! sealed under the account key so that the server, which stores them, can neither read nor
//! change them, nor move one contact's record to another name (blob type `0x07`).

use rand_core::CryptoRngCore;

use crate::account::AccountKey;
use crate::identity::PublicKey;
use crate::primitives::{hkdf_sha256, open_box, seal_box, BlobTag};
use crate::Error;

const INFO_CONTACT_KEY: &[u8] = b"coffer/v1/contact-key";
const AAD_CONTACT: &[u8] = b"coffer/v1/contact";
/// A SEC1 uncompressed public key and one flag byte.
const RECORD_LEN: usize = 65 + 1;

/// What the browser remembers about another user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// The pinned public key.
    pub public_key: PublicKey,
    /// Whether the user compared the fingerprint out of band and said it matched.
    pub verified: bool,
}

/// Seals a contact record for `username` under the account key (95 bytes).
pub fn seal_contact(
    account_key: &AccountKey,
    username: &str,
    contact: &Contact,
    rng: &mut impl CryptoRngCore,
) -> Vec<u8> {
    let key = hkdf_sha256(None, &account_key.0, &[INFO_CONTACT_KEY]);
    let mut record = contact.public_key.to_bytes();
    record.push(u8::from(contact.verified));
    seal_box(
        &key,
        BlobTag::ContactRecord,
        AAD_CONTACT,
        username.as_bytes(),
        &record,
        rng,
    )
}

/// Opens a record made by [`seal_contact`] for the same `username`. A record sealed for another
/// name, under another account key, or altered in any way is [`Error::Decrypt`].
pub fn open_contact(
    account_key: &AccountKey,
    username: &str,
    sealed: &[u8],
) -> Result<Contact, Error> {
    let key = hkdf_sha256(None, &account_key.0, &[INFO_CONTACT_KEY]);
    let record = open_box(
        &key,
        BlobTag::ContactRecord,
        AAD_CONTACT,
        username.as_bytes(),
        sealed,
        Some(RECORD_LEN),
    )?;
    let verified = match record[65] {
        0 => false,
        1 => true,
        _ => return Err(Error::Malformed),
    };
    Ok(Contact {
        public_key: PublicKey::from_bytes(&record[..65])?,
        verified,
    })
}

#[cfg(test)]
mod tests {
    use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

    use super::*;
    use crate::IdentityKeyPair;

    fn setup() -> (AccountKey, Contact, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let account = AccountKey::generate(&mut rng);
        let contact = Contact {
            public_key: IdentityKeyPair::generate(&mut rng).public_key(),
            verified: true,
        };
        (account, contact, rng)
    }

    #[test]
    fn a_contact_record_opens_for_its_own_name_and_account() {
        let (account, contact, mut rng) = setup();
        let sealed = seal_contact(&account, "bob", &contact, &mut rng);
        assert_eq!(sealed.len(), 1 + 12 + RECORD_LEN + 16);
        assert_eq!(sealed[0], 0x07);
        assert_eq!(open_contact(&account, "bob", &sealed).unwrap(), contact);
    }

    #[test]
    fn a_record_moved_to_another_name_or_account_or_altered_does_not_open() {
        let (account, contact, mut rng) = setup();
        let sealed = seal_contact(&account, "bob", &contact, &mut rng);
        assert!(matches!(
            open_contact(&account, "mallory", &sealed),
            Err(Error::Decrypt)
        ));
        let other = AccountKey::generate(&mut rng);
        assert!(matches!(
            open_contact(&other, "bob", &sealed),
            Err(Error::Decrypt)
        ));
        let mut flipped = sealed.clone();
        flipped[40] ^= 1;
        assert!(matches!(
            open_contact(&account, "bob", &flipped),
            Err(Error::Decrypt)
        ));
        assert!(open_contact(&account, "bob", &sealed[..50]).is_err());
    }
}
