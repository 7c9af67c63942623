//! What a server (or a sharee working with it) might forge, and the check that catches it: owner
//! key slots, file version records, grant signatures, account records and content digests
//! (docs/CRYPTO.md §13, "Malicious server").
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    open_account_record, open_own_file, seal_account_record, seal_file_version, seal_metadata,
    sign_grant, verify_file_version, verify_grant, wrap_file_key, AccountKey, AccountRecord,
    ContentBinding, ContentDigest, Error, FileId, FileKey, FileMetadata, FileVersion,
    IdentityKeyPair, PinnedContact, Trust,
};
use common::{encrypt, file_id, rng};

struct Account {
    key: AccountKey,
    identity: IdentityKeyPair,
}

fn account(seed: u8) -> Account {
    Account {
        key: AccountKey::generate(&mut rng(seed)),
        identity: IdentityKeyPair::generate(&mut rng(seed.wrapping_add(100))),
    }
}

fn metadata(key: &FileKey, id: &FileId, name: &str) -> Vec<u8> {
    let meta = FileMetadata {
        name: name.into(),
        mime: "text/plain".into(),
        size: 5,
        modified_ms: 1,
    };
    seal_metadata(key, id, &meta, &mut rng(40)).unwrap()
}

/// One of `owner`'s files: (id, key, sealed metadata, ciphertext, key slot, version record).
struct OwnFile {
    id: FileId,
    key: FileKey,
    sealed_metadata: Vec<u8>,
    ciphertext: Vec<u8>,
    slot: Vec<u8>,
    record: Vec<u8>,
}

fn own_file(owner: &Account, n: u8) -> OwnFile {
    let id = file_id(n);
    let key = FileKey::generate(&mut rng(n));
    let ciphertext = encrypt(&key, &id, 4096, b"hello", n);
    let sealed_metadata = metadata(&key, &id, "hello.txt");
    let version = FileVersion::first(ContentDigest::of_ciphertext(&ciphertext).unwrap());
    let sealed = seal_file_version(
        &owner.key,
        &owner.identity,
        &id,
        &version,
        &sealed_metadata,
        &key,
        &mut rng(n + 1),
    )
    .unwrap();
    OwnFile {
        id,
        key,
        sealed_metadata,
        ciphertext,
        slot: sealed.key_slot,
        record: sealed.record,
    }
}

fn opens(owner: &Account, f: &OwnFile) -> Result<FileVersion, Error> {
    open_own_file(
        &owner.key,
        &owner.identity.public_key(),
        &f.id,
        &f.slot,
        &f.record,
        &f.sealed_metadata,
    )
    .map(|(key, version)| {
        assert_eq!(key.export().as_str(), f.key.export().as_str());
        version
    })
}

#[test]
fn an_owner_key_slot_opens_for_its_owner_and_says_which_version() {
    let alice = account(1);
    let f = own_file(&alice, 1);
    assert_eq!(f.slot.len(), 61);
    assert_eq!(f.slot[0], 0x08);
    assert_eq!(f.record.len(), 106);
    assert_eq!(f.record[0], 0x09);
    let version = opens(&alice, &f).unwrap();
    assert_eq!(version.number, 1);
    assert_eq!(
        version.content,
        ContentBinding::Digest(ContentDigest::of_ciphertext(&f.ciphertext).unwrap())
    );
}

#[test]
fn a_slot_planted_by_the_server_does_not_open() {
    // The server knows the public key only: it can wrap a key to it (HPKE) but not make a slot.
    let alice = account(1);
    let mut planted = own_file(&account(2), 1); // made with another account's keys
    assert_eq!(opens(&alice, &planted).err(), Some(Error::Decrypt));
    // A wrapped key (what a share to Alice is) in the slot's place is not a slot either.
    planted.slot = wrap_file_key(
        &alice.identity.public_key(),
        &planted.key,
        &planted.id,
        &mut rng(9),
    );
    assert_eq!(
        opens(&alice, &planted).err(),
        Some(Error::UnsupportedVersion)
    );
}

#[test]
fn a_slot_moved_to_another_file_or_owner_does_not_open() {
    let alice = account(1);
    let a = own_file(&alice, 1);
    let b = own_file(&alice, 2);
    let moved = OwnFile {
        slot: a.slot.clone(),
        record: a.record.clone(),
        sealed_metadata: a.sealed_metadata.clone(),
        ..own_file(&alice, 2)
    };
    assert_eq!(opens(&alice, &moved).err(), Some(Error::Decrypt));
    // Replaying another file's slot with its record: the file id is bound.
    let replay = OwnFile {
        id: b.id,
        ..own_file(&alice, 1)
    };
    assert_eq!(opens(&alice, &replay).err(), Some(Error::Decrypt));
    // Bob's account key does not open Alice's slot, even with Alice's public key.
    let bob = account(3);
    let wrong_owner = open_own_file(
        &bob.key,
        &alice.identity.public_key(),
        &a.id,
        &a.slot,
        &a.record,
        &a.sealed_metadata,
    );
    assert_eq!(wrong_owner.err(), Some(Error::Decrypt));
}

#[test]
fn a_rename_or_content_swap_by_a_key_holder_is_refused_by_owner_and_readers() {
    let alice = account(1);
    let f = own_file(&alice, 1);
    let owner = alice.identity.public_key();
    // A sharee holds the file key: they can seal other metadata, but not a matching slot/record.
    let renamed = metadata(&f.key, &f.id, "pay this invoice.pdf");
    assert_eq!(
        open_own_file(&alice.key, &owner, &f.id, &f.slot, &f.record, &renamed).err(),
        Some(Error::Decrypt)
    );
    assert_eq!(
        verify_file_version(&owner, &f.id, &f.record, &renamed).err(),
        Some(Error::BadSignature)
    );
    // A sharee signing their own record for Alice's file is not Alice's record.
    let bob = account(3);
    let forged = seal_file_version(
        &bob.key,
        &bob.identity,
        &f.id,
        &FileVersion::first([7; 32]),
        &renamed,
        &f.key,
        &mut rng(5),
    )
    .unwrap();
    assert_eq!(
        verify_file_version(&owner, &f.id, &forged.record, &renamed).err(),
        Some(Error::BadSignature)
    );
    // New content under the same key (even the same header) has another digest.
    let other = encrypt(&f.key, &f.id, 4096, b"HELLO", 1);
    assert_eq!(other[..91], f.ciphertext[..91]);
    assert_ne!(
        ContentDigest::of_ciphertext(&other).unwrap(),
        ContentDigest::of_ciphertext(&f.ciphertext).unwrap()
    );
    // And a record's number or digest cannot be changed under its signature.
    let mut bumped = f.record.clone();
    bumped[8] = 2; // version 1 → 2
    assert_eq!(
        verify_file_version(&owner, &f.id, &bumped, &f.sealed_metadata).err(),
        Some(Error::BadSignature)
    );
    assert_eq!(
        open_own_file(
            &alice.key,
            &owner,
            &f.id,
            &f.slot,
            &bumped,
            &f.sealed_metadata
        )
        .err(),
        Some(Error::Decrypt)
    );
    let verified = verify_file_version(&owner, &f.id, &f.record, &f.sealed_metadata).unwrap();
    assert_eq!(verified.number, 1);
}

#[test]
fn version_records_are_strict_about_their_layout() {
    let alice = account(1);
    let f = own_file(&alice, 1);
    let owner = alice.identity.public_key();
    let check = |r: &[u8]| verify_file_version(&owner, &f.id, r, &f.sealed_metadata).err();
    assert_eq!(check(&[]), Some(Error::Malformed));
    assert_eq!(check(&f.record[..105]), Some(Error::Malformed));
    let mut wrong_tag = f.record.clone();
    wrong_tag[0] = 0x08;
    assert_eq!(check(&wrong_tag), Some(Error::UnsupportedVersion));
    let mut zero = f.record.clone();
    zero[1..9].copy_from_slice(&0u64.to_be_bytes());
    assert_eq!(check(&zero), Some(Error::Malformed));
    let mut binding = f.record.clone();
    binding[9] = 2;
    assert_eq!(check(&binding), Some(Error::Malformed));
    // "Unbound" must come with an all-zero digest.
    let mut unbound = f.record.clone();
    unbound[9] = 0;
    assert_eq!(check(&unbound), Some(Error::Malformed));
    // A high-S signature (the other valid ECDSA form) is refused: one encoding per signature.
    let n =
        hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").unwrap();
    let mut high = f.record.clone();
    let s = &high[106 - 32..];
    let flipped = sub_be(&n, s);
    high[106 - 32..].copy_from_slice(&flipped);
    assert_eq!(check(&high), Some(Error::BadSignature));
}

/// a − b for 32-byte big-endian numbers with a > b.
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = a[i] as i16 - b[i] as i16 - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

#[test]
fn a_grant_is_verified_against_the_sharer_recipient_file_key_and_expiry() {
    let alice = account(1);
    let bob = account(3);
    let mallory = account(4);
    let f = own_file(&alice, 1);
    let bob_key = bob.identity.public_key();
    let wrapped = wrap_file_key(&bob_key, &f.key, &f.id, &mut rng(6));
    let expiry = Some(1_800_000_000_000);
    let signature = sign_grant(&alice.identity, &f.id, &bob_key, &wrapped, expiry);
    assert_eq!(signature.len(), 65);
    assert_eq!(signature[0], 0x0D);
    let alice_key = alice.identity.public_key();
    assert_eq!(
        verify_grant(&alice_key, &f.id, &bob_key, &wrapped, expiry, &signature),
        Ok(())
    );
    // Forged sharer: the server says Mallory's grant comes from Alice (or Alice's from Mallory).
    let from_mallory = sign_grant(&mallory.identity, &f.id, &bob_key, &wrapped, expiry);
    assert_eq!(
        verify_grant(&alice_key, &f.id, &bob_key, &wrapped, expiry, &from_mallory),
        Err(Error::BadSignature)
    );
    // Any field changed: recipient, file, wrapped key, expiry (dropped or moved).
    let other_wrap = wrap_file_key(&bob_key, &f.key, &f.id, &mut rng(7));
    for (file, recipient, wrapped_key, exp) in [
        (file_id(2), bob_key.clone(), wrapped.clone(), expiry),
        (f.id, mallory.identity.public_key(), wrapped.clone(), expiry),
        (f.id, bob_key.clone(), other_wrap, expiry),
        (f.id, bob_key.clone(), wrapped.clone(), None),
        (
            f.id,
            bob_key.clone(),
            wrapped.clone(),
            Some(1_900_000_000_000),
        ),
    ] {
        assert_eq!(
            verify_grant(&alice_key, &file, &recipient, &wrapped_key, exp, &signature),
            Err(Error::BadSignature)
        );
    }
    assert_eq!(
        verify_grant(
            &alice_key,
            &f.id,
            &bob_key,
            &wrapped,
            expiry,
            &signature[..64]
        ),
        Err(Error::Malformed)
    );
}

#[test]
fn an_account_record_keeps_pins_and_its_revision_and_opens_for_its_owner_only() {
    let alice = account(1);
    let bob = account(3);
    let owner = alice.identity.public_key();
    let mut record = AccountRecord {
        revision: 1,
        legacy_slots_upgraded: false,
        contacts: Vec::new(),
    };
    record.pin(PinnedContact {
        username: "carol".into(),
        public_key: account(5).identity.public_key(),
        trust: Trust::Accepted,
    });
    record.pin(PinnedContact {
        username: "bob".into(),
        public_key: bob.identity.public_key(),
        trust: Trust::Verified,
    });
    assert_eq!(record.contacts[0].username, "bob");
    let sealed = seal_account_record(&alice.key, &owner, &record, &mut rng(8)).unwrap();
    assert_eq!(sealed[0], 0x0A);
    assert_eq!((sealed.len() - 29) % 256, 0);
    let opened = open_account_record(&alice.key, &owner, &sealed).unwrap();
    assert_eq!(opened, record);
    assert_eq!(opened.contact("bob").unwrap().trust, Trust::Verified);
    assert!(opened.contact("mallory").is_none());
    // Another account's key, another owner key, one flipped bit: no.
    assert_eq!(
        open_account_record(&bob.key, &owner, &sealed).err(),
        Some(Error::Decrypt)
    );
    assert_eq!(
        open_account_record(&alice.key, &bob.identity.public_key(), &sealed).err(),
        Some(Error::Decrypt)
    );
    let mut flipped = sealed.clone();
    flipped[30] ^= 1;
    assert_eq!(
        open_account_record(&alice.key, &owner, &flipped).err(),
        Some(Error::Decrypt)
    );
    // The revision is inside the seal: an older copy opens, and says it is older.
    let mut newer = record.clone();
    newer.revision = 2;
    newer.legacy_slots_upgraded = true;
    let sealed_newer = seal_account_record(&alice.key, &owner, &newer, &mut rng(9)).unwrap();
    let seen = open_account_record(&alice.key, &owner, &sealed_newer)
        .unwrap()
        .revision;
    let served = open_account_record(&alice.key, &owner, &sealed)
        .unwrap()
        .revision;
    assert!(served < seen, "a rollback is visible as a lower revision");
    assert_eq!(
        seal_account_record(&alice.key, &owner, &AccountRecord::default(), &mut rng(1)).err(),
        Some(Error::Malformed)
    );
}

#[test]
fn the_content_digest_is_the_same_chunk_by_chunk_and_at_once() {
    let key = FileKey::generate(&mut rng(1));
    let id = file_id(1);
    let plaintext = common::pattern(3 * 4096 + 10);
    let ciphertext = encrypt(&key, &id, 4096, &plaintext, 1);
    let mut digest = ContentDigest::new(&ciphertext[..91]);
    for chunk in ciphertext[91..].chunks(4096 + 16) {
        digest.push_chunk_digest(&coffer_crypto::chunk_digest(chunk));
    }
    assert_eq!(
        digest.finish(),
        ContentDigest::of_ciphertext(&ciphertext).unwrap()
    );
    // One byte anywhere changes it; a length no ciphertext has has no digest at all.
    let mut flipped = ciphertext.clone();
    flipped[200] ^= 1;
    assert_ne!(
        ContentDigest::of_ciphertext(&flipped).unwrap(),
        ContentDigest::of_ciphertext(&ciphertext).unwrap()
    );
    assert_eq!(
        ContentDigest::of_ciphertext(&ciphertext[..91 + 3 * (4096 + 16) + 10]).err(),
        Some(Error::Malformed)
    );
}
