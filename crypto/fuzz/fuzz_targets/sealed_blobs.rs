//! Arbitrary bytes into every sealed-blob parser: wrapped file keys (HPKE and link), sealed
//! account keys, sealed identity keys, sealed metadata, public keys.
#![no_main]

use coffer_crypto::{
    open_metadata, unwrap_file_key, AccountKey, FileId, FileKey, IdentityKeyPair, LinkKeys,
    LinkSecret, PublicKey, RecoveryKey,
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
});
