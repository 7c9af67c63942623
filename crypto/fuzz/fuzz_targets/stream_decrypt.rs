//! Arbitrary bytes, split at an arbitrary point, into `StreamDecryptor`. The first input byte
//! chooses whether to prepend a genuine header, so the chunk logic is reached too.
#![no_main]

use coffer_crypto::{FileId, FileKey, StreamDecryptor, StreamEncryptor};
use libfuzzer_sys::fuzz_target;

mod fixed_rng;
use fixed_rng::FixedRng;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let key = FileKey::generate(&mut FixedRng(1));
    let id = FileId::from_bytes([2; 16]);
    let mut input = Vec::new();
    if control & 1 == 1 {
        let enc = StreamEncryptor::new(&key, &id, 4096, &mut FixedRng(3)).unwrap();
        input.extend_from_slice(enc.header());
    }
    input.extend_from_slice(rest);
    let split = usize::from(control >> 1).min(input.len());
    let mut dec = StreamDecryptor::new(&key, &id);
    let first = dec.push(&input[..split]);
    let second = dec.push(&input[split..]);
    let end = dec.finish();
    // Random chunks never authenticate: nothing may be released.
    assert!(first.map_or(true, |p| p.is_empty()));
    assert!(second.map_or(true, |p| p.is_empty()));
    assert!(end.is_err());
});
