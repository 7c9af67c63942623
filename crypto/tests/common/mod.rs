//! Helpers shared by the integration tests (native and Wasm).
#![allow(dead_code)]

mod replay_rng;
pub mod spec;
pub mod vectors;
pub mod vectors_v2;

pub use replay_rng::ReplayRng;

use coffer_crypto::{FileId, FileKey, StreamDecryptor, StreamEncryptor};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A deterministic CSPRNG for tests.
pub fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

/// The plaintext of the golden vectors and many tests: byte `i` is `(31 i + 7) mod 251`.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}

pub fn file_key_from(bytes: &[u8]) -> FileKey {
    FileKey::generate(&mut ReplayRng::new(&[bytes]))
}

pub fn file_id(n: u8) -> FileId {
    FileId::from_bytes([n; 16])
}

/// Encrypts `plaintext` in one push.
pub fn encrypt(key: &FileKey, id: &FileId, chunk_size: u32, plaintext: &[u8], seed: u8) -> Vec<u8> {
    let mut enc = StreamEncryptor::new(key, id, chunk_size, &mut rng(seed)).unwrap();
    let mut out = enc.header().to_vec();
    out.extend(enc.push(plaintext).unwrap());
    out.extend(enc.finish().unwrap());
    out
}

/// Decrypts `ciphertext` in one push; the plaintext released by `push` and `finish` is returned
/// alongside the result so tests can check nothing leaks before an error.
pub fn decrypt_collecting(
    key: &FileKey,
    id: &FileId,
    ciphertext: &[u8],
) -> (Vec<u8>, Result<(), coffer_crypto::Error>) {
    let mut dec = StreamDecryptor::new(key, id);
    let mut released = Vec::new();
    match dec.push(ciphertext) {
        Ok(p) => released.extend(p),
        Err(e) => return (released, Err(e)),
    }
    match dec.finish() {
        Ok(p) => {
            released.extend(p);
            (released, Ok(()))
        }
        Err(e) => (released, Err(e)),
    }
}

pub fn decrypt(
    key: &FileKey,
    id: &FileId,
    ciphertext: &[u8],
) -> Result<Vec<u8>, coffer_crypto::Error> {
    let (plaintext, result) = decrypt_collecting(key, id, ciphertext);
    result.map(|()| plaintext)
}
