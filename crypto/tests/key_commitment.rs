//! The multi-key ("invisible salamanders") attack on AES-GCM, carried out for real: a chunk is
//! computed that authenticates under the payload keys of two different file keys. Plain
//! AES-GCM accepts it under both; Coffer's key commitment in the header makes it open for one
//! file key only.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::cipher::BlockEncrypt;
use aes_gcm::aes::Aes256;
use coffer_crypto::{ChunkSchedule, Error, FileKey};
use common::{decrypt, file_id, rng};

/// Multiplication in GF(2^128) with GCM's bit order (NIST SP 800-38D, algorithm 1).
fn gf_mul(x: u128, y: u128) -> u128 {
    const R: u128 = 0xe1 << 120;
    let (mut z, mut v) = (0u128, y);
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ R } else { v >> 1 };
    }
    z
}

fn gf_pow(mut x: u128, mut e: u128) -> u128 {
    let mut acc = 1u128 << 127; // the field's 1 in GCM bit order
    while e > 0 {
        if e & 1 == 1 {
            acc = gf_mul(acc, x);
        }
        x = gf_mul(x, x);
        e >>= 1;
    }
    acc
}

fn gf_inv(x: u128) -> u128 {
    gf_pow(x, u128::MAX - 1) // x^(2^128 - 2)
}

fn aes_block(key: &[u8; 32], block: [u8; 16]) -> u128 {
    let mut b = block.into();
    Aes256::new(key.into()).encrypt_block(&mut b);
    u128::from_be_bytes(b.into())
}

/// GHASH blocks of (aad, ciphertext, lengths).
fn ghash_blocks(aad: &[u8], ct: &[u8]) -> Vec<u128> {
    let mut blocks = Vec::new();
    for part in [aad, ct] {
        for chunk in part.chunks(16) {
            let mut b = [0u8; 16];
            b[..chunk.len()].copy_from_slice(chunk);
            blocks.push(u128::from_be_bytes(b));
        }
    }
    blocks.push(((aad.len() as u128 * 8) << 64) | (ct.len() as u128 * 8));
    blocks
}

fn ghash(h: u128, blocks: &[u128]) -> u128 {
    blocks.iter().fold(0, |y, &x| gf_mul(y ^ x, h))
}

/// The GCM tag of `ct` under `key`, computed from scratch.
fn gcm_tag(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], ct: &[u8]) -> u128 {
    let h = aes_block(key, [0; 16]);
    let mut j0 = [0u8; 16];
    j0[..12].copy_from_slice(nonce);
    j0[15] = 1;
    ghash(h, &ghash_blocks(aad, ct)) ^ aes_block(key, j0)
}

/// A two-block ciphertext whose GCM tag is the same under `k1` and `k2` (block 0 is free, block
/// 1 fixed at zero), and that tag.
fn collide(k1: &[u8; 32], k2: &[u8; 32], nonce: &[u8; 12], aad: &[u8]) -> (Vec<u8>, u128) {
    let zero = [0u8; 32];
    let t1 = gcm_tag(k1, nonce, aad, &zero);
    let t2 = gcm_tag(k2, nonce, aad, &zero);
    // Ciphertext block 0 sits at this position among the GHASH blocks; its coefficient is
    // H^(blocks from it to the end).
    let blocks = ghash_blocks(aad, &zero);
    let position = aad.len().div_ceil(16);
    let exponent = (blocks.len() - position) as u128;
    let h1 = aes_block(k1, [0; 16]);
    let h2 = aes_block(k2, [0; 16]);
    let free = gf_mul(t1 ^ t2, gf_inv(gf_pow(h1, exponent) ^ gf_pow(h2, exponent)));
    let mut ct = zero.to_vec();
    ct[..16].copy_from_slice(&free.to_be_bytes());
    let tag = gcm_tag(k1, nonce, aad, &ct);
    assert_eq!(tag, gcm_tag(k2, nonce, aad, &ct), "collision construction");
    (ct, tag)
}

fn gcm_opens(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], ct: &[u8], tag: u128) -> bool {
    let mut buf = ct.to_vec();
    aes_gcm::Aes256Gcm::new(key.into())
        .decrypt_in_place_detached(nonce.into(), aad, &mut buf, &tag.to_be_bytes().into())
        .is_ok()
}

#[test]
fn from_scratch_gcm_tag_matches_the_aes_gcm_crate() {
    let key = [9u8; 32];
    let nonce = [3u8; 12];
    let mut buf = b"some plaintext that spans two blocks".to_vec();
    let tag = aes_gcm::Aes256Gcm::new((&key).into())
        .encrypt_in_place_detached((&nonce).into(), b"header bytes", &mut buf)
        .unwrap();
    assert_eq!(
        gcm_tag(&key, &nonce, b"header bytes", &buf).to_be_bytes(),
        tag.as_slice()
    );
}

#[test]
fn chunk_valid_under_two_file_keys_opens_only_for_the_committed_key() {
    let (file_key_a, file_key_b) = (
        FileKey::generate(&mut rng(1)),
        FileKey::generate(&mut rng(2)),
    );
    let id = file_id(1);
    // Same salt for both (same RNG seed): the forger controls the header.
    let schedule_a = ChunkSchedule::for_encryption(&file_key_a, &id, 4096, &mut rng(7)).unwrap();
    let schedule_b = ChunkSchedule::for_encryption(&file_key_b, &id, 4096, &mut rng(7)).unwrap();
    let header = schedule_a.header();
    let payload_a = *schedule_a.payload_key_bytes();
    let payload_b = *schedule_b.payload_key_bytes();
    let nonce = schedule_a.nonce(0, true).unwrap();

    let (chunk, tag) = collide(&payload_a, &payload_b, &nonce, header);

    // Bare AES-GCM is fooled: the same bytes authenticate under both payload keys.
    assert!(gcm_opens(&payload_a, &nonce, header, &chunk, tag));
    assert!(gcm_opens(&payload_b, &nonce, header, &chunk, tag));

    let mut file = header.to_vec();
    file.extend_from_slice(&chunk);
    file.extend_from_slice(&tag.to_be_bytes());
    // Coffer: the holder of A (whose commitment the header carries) gets the plaintext...
    assert_eq!(decrypt(&file_key_a, &id, &file).unwrap().len(), 32);
    // ...and the holder of B is refused before the chunk is even tried.
    assert_eq!(decrypt(&file_key_b, &id, &file), Err(Error::Decrypt));
}
