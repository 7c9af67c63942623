//! Arbitrary bytes into every sealed-blob parser: wrapped file keys (HPKE and link), sealed
//! account keys, sealed identity keys, sealed metadata, public keys, and the format-v2 blobs:
//! owner key slots, version records, grant signatures, account records.
#![no_main]

use coffer_crypto::{
    open_account_record, open_metadata, open_own_file, unwrap_file_key, verify_file_version,
    verify_grant, AccountKey, FileId, FileKey, FileVersion, IdentityKeyPair, LinkKeys, LinkSecret,
    PublicKey, RecoveryKey,
};
use libfuzzer_sys::fuzz_target;

mod fixed_rng;
use fixed_rng::FixedRng;

fuzz_target!(|data: &[u8]| {
    let id = FileId::from_bytes([2; 16]);
    let pair = IdentityKeyPair::generate(&mut FixedRng(1));
    let account = AccountKey::generate(&mut FixedRng(2));
    let key = FileKey::generate(&mut FixedRng(3));
    let rk = RecoveryKey::generate(&mut FixedRng(4));
    let link = LinkKeys::derive(&LinkSecret::generate(&mut FixedRng(5)), None).unwrap();
    assert!(unwrap_file_key(&pair, data, &id).is_err());
    assert!(AccountKey::open_under_recovery(&rk, data).is_err());
    assert!(IdentityKeyPair::open(&account, data, &pair.public_key()).is_err());
    assert!(open_metadata(&key, &id, data).is_err());
    assert!(link.unwrap_file_key(data, &[0; 16]).is_err());
    let _ = PublicKey::from_bytes(data);
    let me = pair.public_key();
    // Split the input so that both the slot and the record can be arbitrary.
    let (a, b) = data.split_at(data.len() / 2);
    assert!(open_own_file(&account, &me, &id, a, b, data).is_err());
    assert!(verify_file_version(&me, &id, data, &[]).is_err());
    let _ = FileVersion::read_unverified(data);
    assert!(verify_grant(&me, &id, &me, a, None, b).is_err());
    assert!(open_account_record(&account, &me, data).is_err());
});
