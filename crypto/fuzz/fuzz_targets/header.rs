//! Arbitrary bytes into the header parsers.
#![no_main]

use coffer_crypto::{parse_header_len, plaintext_len, ChunkSchedule, FileId, FileKey};
use libfuzzer_sys::fuzz_target;

mod fixed_rng;
use fixed_rng::FixedRng;

fuzz_target!(|data: &[u8]| {
    let _ = parse_header_len(data);
    let key = FileKey::generate(&mut FixedRng(1));
    let id = FileId::from_bytes([2; 16]);
    assert!(ChunkSchedule::for_decryption(&key, &id, data).is_err());
    if data.len() >= 12 {
        let len = u64::from_le_bytes(data[..8].try_into().unwrap());
        let chunk = u32::from_le_bytes(data[8..12].try_into().unwrap());
        let _ = plaintext_len(len, chunk);
        if let Some(c) = coffer_crypto::ciphertext_len(len, chunk) {
            assert_eq!(plaintext_len(c, chunk), Some(len));
        }
    }
});
