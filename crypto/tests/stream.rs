//! The file content format: round trips, and every attack on a stream ending in a typed error
//! with no unauthenticated plaintext released.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    chunk_count, ciphertext_len, parse_header_len, plaintext_len, ChunkSchedule, Error, FileKey,
    StreamDecryptor, StreamEncryptor, DEFAULT_CHUNK_SIZE, TAG_LEN,
};
use common::{decrypt, decrypt_collecting, encrypt, file_id, pattern, rng};
use proptest::prelude::*;

const CHUNK: u32 = 4096;
const C: usize = CHUNK as usize;
const HEADER_LEN: usize = 91;
const FULL: usize = C + TAG_LEN;

fn key(seed: u8) -> FileKey {
    FileKey::generate(&mut rng(seed))
}

/// Byte offsets where each chunk starts (and the end), for a ciphertext with `chunk_size`.
fn boundaries(ciphertext: &[u8]) -> Vec<usize> {
    (HEADER_LEN..ciphertext.len())
        .step_by(FULL)
        .chain([ciphertext.len()])
        .collect()
}

fn chunks(ciphertext: &[u8]) -> Vec<&[u8]> {
    ciphertext[HEADER_LEN..].chunks(FULL).collect()
}

fn assemble(header: &[u8], chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = header.to_vec();
    for c in chunks {
        out.extend_from_slice(c);
    }
    out
}

#[test]
fn round_trips_at_chunk_edges() {
    let k = key(1);
    let id = file_id(1);
    for len in [0, 1, C - 1, C, C + 1, 2 * C, 10 * C + 7] {
        let plaintext = pattern(len);
        let ct = encrypt(&k, &id, CHUNK, &plaintext, 2);
        assert_eq!(
            ct.len() as u64,
            ciphertext_len(len as u64, CHUNK).unwrap(),
            "len {len}"
        );
        assert_eq!(plaintext_len(ct.len() as u64, CHUNK), Some(len as u64));
        assert_eq!(decrypt(&k, &id, &ct).unwrap(), plaintext, "len {len}");
        let count = chunk_count(len as u64, CHUNK).unwrap();
        assert_eq!(chunks(&ct).len() as u64, count, "len {len}");
    }
    assert_eq!(chunk_count(0, CHUNK), Some(1));
    assert_eq!(chunk_count(C as u64, CHUNK), Some(1));
    assert_eq!(chunk_count(C as u64 + 1, CHUNK), Some(2));
    assert_eq!(chunk_count(u64::MAX, CHUNK), Some(u64::MAX / C as u64 + 1));
    assert_eq!(chunk_count(1, 100), None);
}

#[test]
fn round_trips_with_default_64_kib_chunks() {
    let k = key(1);
    let id = file_id(1);
    let d = DEFAULT_CHUNK_SIZE as usize;
    for len in [0, d - 1, d, d + 1, 3 * d + 7] {
        let plaintext = pattern(len);
        let ct = encrypt(&k, &id, DEFAULT_CHUNK_SIZE, &plaintext, 2);
        assert_eq!(
            ct.len() as u64,
            ciphertext_len(len as u64, DEFAULT_CHUNK_SIZE).unwrap()
        );
        assert_eq!(decrypt(&k, &id, &ct).unwrap(), plaintext);
    }
}

#[test]
fn empty_file_is_a_header_and_one_empty_final_chunk() {
    let ct = encrypt(&key(1), &file_id(1), CHUNK, &[], 2);
    assert_eq!(ct.len(), HEADER_LEN + TAG_LEN);
}

#[test]
fn same_file_encrypts_differently_each_time() {
    let (k, id) = (key(1), file_id(1));
    let a = encrypt(&k, &id, CHUNK, b"hello", 2);
    let b = encrypt(&k, &id, CHUNK, b"hello", 3);
    assert_ne!(a, b, "the random salt makes every encryption unique");
}

#[test]
fn decryptor_releases_only_whole_authenticated_non_final_chunks() {
    let (k, id) = (key(1), file_id(1));
    let plaintext = pattern(3 * C + 5);
    let ct = encrypt(&k, &id, CHUNK, &plaintext, 2);
    let mut dec = StreamDecryptor::new(&k, &id);
    // Header and one full chunk: it could be the final one, so nothing comes out yet.
    assert!(dec.push(&ct[..HEADER_LEN + FULL]).unwrap().is_empty());
    // One more byte proves the first chunk is not final.
    assert_eq!(
        dec.push(&ct[HEADER_LEN + FULL..HEADER_LEN + FULL + 1])
            .unwrap(),
        &plaintext[..C]
    );
    let mut out = plaintext[..C].to_vec();
    out.extend(dec.push(&ct[HEADER_LEN + FULL + 1..]).unwrap());
    out.extend(dec.finish().unwrap());
    assert_eq!(out, plaintext);
}

#[test]
fn encryptor_holds_back_a_full_chunk_until_it_knows_it_is_not_last() {
    let mut enc = StreamEncryptor::new(&key(1), &file_id(1), CHUNK, &mut rng(2)).unwrap();
    assert!(enc.push(&pattern(C)).unwrap().is_empty());
    assert_eq!(enc.push(&[1]).unwrap().len(), FULL);
    assert_eq!(enc.finish().unwrap().len(), 1 + TAG_LEN);
}

#[test]
fn chunk_sizes_outside_the_range_are_refused() {
    for size in [0, 1, 4095, 16 * 1024 * 1024 + 1, u32::MAX] {
        assert_eq!(
            StreamEncryptor::new(&key(1), &file_id(1), size, &mut rng(2)).err(),
            Some(Error::ChunkSizeOutOfRange)
        );
        assert_eq!(ciphertext_len(10, size), None);
    }
    assert!(StreamEncryptor::new(&key(1), &file_id(1), 16 * 1024 * 1024, &mut rng(2)).is_ok());
}

#[test]
fn header_declaring_an_out_of_range_chunk_size_is_refused() {
    let (k, id) = (key(1), file_id(1));
    let mut ct = encrypt(&k, &id, CHUNK, b"x", 2);
    ct[7..11].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(decrypt(&k, &id, &ct), Err(Error::ChunkSizeOutOfRange));
}

#[test]
fn length_functions_reject_impossible_lengths_and_overflow() {
    assert_eq!(ciphertext_len(u64::MAX, CHUNK), None);
    assert_eq!(plaintext_len(0, CHUNK), None);
    assert_eq!(plaintext_len(HEADER_LEN as u64 + 15, CHUNK), None);
    // A lone tag after full chunks would be an empty final chunk on a non-empty file.
    assert_eq!(
        plaintext_len((HEADER_LEN + FULL + TAG_LEN) as u64, CHUNK),
        None
    );
    assert_eq!(plaintext_len((HEADER_LEN + FULL + 3) as u64, CHUNK), None);
    assert_eq!(plaintext_len((HEADER_LEN + TAG_LEN) as u64, CHUNK), Some(0));
    for p in [0u64, 1, 4095, 4096, 4097, 1 << 40] {
        assert_eq!(
            plaintext_len(ciphertext_len(p, CHUNK).unwrap(), CHUNK),
            Some(p)
        );
    }
}

#[test]
fn decrypt_fails_on_a_flipped_bit_anywhere() {
    let (k, id) = (key(1), file_id(1));
    let plaintext = pattern(2 * C + 9);
    let ct = encrypt(&k, &id, CHUNK, &plaintext, 2);
    // Every byte of the header, the start/end (tag) of every chunk, and a stride through the rest.
    let mut positions: Vec<usize> = (0..HEADER_LEN).collect();
    for b in boundaries(&ct) {
        positions.extend([b.saturating_sub(1), b.saturating_sub(TAG_LEN), b]);
    }
    positions.extend((HEADER_LEN..ct.len()).step_by(97));
    positions.retain(|&p| p < ct.len());
    for pos in positions {
        for bit in [0, 7] {
            let mut bad = ct.clone();
            bad[pos] ^= 1 << bit;
            let (released, result) = decrypt_collecting(&k, &id, &bad);
            assert!(result.is_err(), "flip at {pos} bit {bit} accepted");
            // Whatever was released before the error is a prefix of the true plaintext that
            // lies wholly before the damaged chunk.
            assert!(plaintext.starts_with(&released));
            assert!(released.len() <= pos.saturating_sub(HEADER_LEN) / FULL * C);
        }
    }
}

#[test]
fn header_tampering_gives_typed_errors() {
    let (k, id) = (key(1), file_id(1));
    let ct = encrypt(&k, &id, CHUNK, b"data", 2);
    let mut bad_magic = ct.clone();
    bad_magic[0] ^= 1;
    assert_eq!(decrypt(&k, &id, &bad_magic), Err(Error::Malformed));
    let mut bad_version = ct.clone();
    bad_version[6] = 2;
    assert_eq!(
        decrypt(&k, &id, &bad_version),
        Err(Error::UnsupportedVersion)
    );
    let mut bad_salt = ct.clone();
    bad_salt[20] ^= 1;
    assert_eq!(decrypt(&k, &id, &bad_salt), Err(Error::Decrypt));
    let mut bad_commitment = ct.clone();
    bad_commitment[HEADER_LEN - 1] ^= 1;
    assert_eq!(decrypt(&k, &id, &bad_commitment), Err(Error::Decrypt));
}

#[test]
fn decrypt_fails_when_final_chunk_is_dropped() {
    let (k, id) = (key(1), file_id(1));
    let ct = encrypt(&k, &id, CHUNK, &pattern(3 * C + 5), 2);
    let cs = chunks(&ct);
    let dropped = assemble(&ct[..HEADER_LEN], &cs[..cs.len() - 1]);
    assert_eq!(decrypt(&k, &id, &dropped), Err(Error::Truncated));
}

#[test]
fn decrypt_fails_on_truncation_at_every_chunk_boundary() {
    let (k, id) = (key(1), file_id(1));
    let ct = encrypt(&k, &id, CHUNK, &pattern(4 * C), 2);
    let ends = boundaries(&ct);
    for &end in &ends[..ends.len() - 1] {
        assert_eq!(
            decrypt(&k, &id, &ct[..end]),
            Err(Error::Truncated),
            "cut at {end}"
        );
    }
    for end in [0, 3, 7, HEADER_LEN - 1] {
        assert_eq!(
            decrypt(&k, &id, &ct[..end]),
            Err(Error::Truncated),
            "cut at {end}"
        );
    }
}

#[test]
fn decrypt_fails_on_truncation_inside_a_chunk() {
    let (k, id) = (key(1), file_id(1));
    let ct = encrypt(&k, &id, CHUNK, &pattern(2 * C + 100), 2);
    for end in [
        HEADER_LEN + 1,
        HEADER_LEN + 15,
        HEADER_LEN + FULL + 50,
        ct.len() - 1,
    ] {
        assert!(decrypt(&k, &id, &ct[..end]).is_err(), "cut at {end}");
    }
}

#[test]
fn decrypt_fails_when_chunks_are_swapped_or_duplicated() {
    let (k, id) = (key(1), file_id(1));
    let ct = encrypt(&k, &id, CHUNK, &pattern(3 * C + 5), 2);
    let h = &ct[..HEADER_LEN];
    let c = chunks(&ct);
    for order in [
        vec![c[1], c[0], c[2], c[3]],
        vec![c[0], c[2], c[1], c[3]],
        vec![c[0], c[0], c[1], c[2], c[3]],
        vec![c[0], c[1], c[1], c[2], c[3]],
        vec![c[0], c[1], c[2], c[3], c[3]],
    ] {
        let (released, result) = decrypt_collecting(&k, &id, &assemble(h, &order));
        assert!(result.is_err());
        assert!(pattern(3 * C + 5).starts_with(&released));
    }
}

#[test]
fn decrypt_fails_when_a_chunk_is_appended_after_the_final_one() {
    let (k, id) = (key(1), file_id(1));
    // Final chunk full-sized: the appended chunk is seen as data after a valid final chunk.
    let ct = encrypt(&k, &id, CHUNK, &pattern(2 * C), 2);
    let c = chunks(&ct);
    let appended = assemble(&ct[..HEADER_LEN], &[c[0], c[1], c[0]]);
    assert_eq!(decrypt(&k, &id, &appended), Err(Error::TrailingData));
    // Any trailing bytes at all after a full final chunk.
    let mut extra = ct.clone();
    extra.push(0);
    assert_eq!(decrypt(&k, &id, &extra), Err(Error::TrailingData));
    // Short final chunk followed by more data.
    let short = encrypt(&k, &id, CHUNK, &pattern(C + 10), 2);
    let mut extra = short.clone();
    extra.extend_from_slice(&short[HEADER_LEN..]);
    assert!(decrypt(&k, &id, &extra).is_err());
}

#[test]
fn decrypt_fails_on_two_final_chunks() {
    let (k, id) = (key(1), file_id(1));
    // Build a stream whose chunk 0 and chunk 1 are both sealed "last", using the schedule.
    let schedule = ChunkSchedule::for_encryption(&k, &id, CHUNK, &mut rng(2)).unwrap();
    let seal = |index: u64, last: bool, data: &[u8]| {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let aead = aes_gcm::Aes256Gcm::new(schedule.payload_key_bytes().into());
        let nonce = schedule.nonce(index, last).unwrap();
        aead.encrypt(
            (&nonce).into(),
            Payload {
                msg: data,
                aad: schedule.associated_data(),
            },
        )
        .unwrap()
    };
    let first_final = seal(0, true, &pattern(C));
    let second_final = seal(1, true, &pattern(10));
    let ct = assemble(schedule.header(), &[&first_final, &second_final]);
    assert_eq!(decrypt(&k, &id, &ct), Err(Error::TrailingData));
    // And the well-formed version of the same stream does decrypt (the helper is right).
    let ok = assemble(
        schedule.header(),
        &[&seal(0, false, &pattern(C)), &second_final],
    );
    assert_eq!(decrypt(&k, &id, &ok).unwrap().len(), C + 10);
    // An empty final chunk after a full one: only the empty file may end that way.
    let empty_final = seal(1, true, &[]);
    let ct = assemble(
        schedule.header(),
        &[&seal(0, false, &pattern(C)), &empty_final],
    );
    let (released, result) = decrypt_collecting(&k, &id, &ct);
    assert_eq!(result, Err(Error::Malformed));
    assert!(
        released == pattern(C),
        "chunk 0 was authentic and non-final"
    );
}

#[test]
fn decrypt_fails_when_a_chunk_is_spliced_from_another_file() {
    let k = key(1);
    // Same key, other file (other salt and id) — and same key and id, other encryption.
    let a = encrypt(&k, &file_id(1), CHUNK, &pattern(2 * C + 1), 2);
    for b in [
        encrypt(&k, &file_id(2), CHUNK, &pattern(2 * C + 1), 3),
        encrypt(&k, &file_id(1), CHUNK, &pattern(2 * C + 1), 4),
    ] {
        let (ca, cb) = (chunks(&a), chunks(&b));
        let spliced = assemble(&a[..HEADER_LEN], &[ca[0], cb[1], ca[2]]);
        let (released, result) = decrypt_collecting(&k, &file_id(1), &spliced);
        assert_eq!(result, Err(Error::Decrypt));
        // The push that hit the spliced chunk returns only the error.
        assert!(released.is_empty());
    }
}

#[test]
fn decrypt_fails_with_a_header_from_another_file() {
    let (k, k2) = (key(1), key(2));
    let a = encrypt(&k, &file_id(1), CHUNK, &pattern(10), 2);
    let b = encrypt(&k, &file_id(1), CHUNK, &pattern(10), 3);
    let other_file = encrypt(&k, &file_id(2), CHUNK, &pattern(10), 3);
    let other_key = encrypt(&k2, &file_id(1), CHUNK, &pattern(10), 3);
    let swap = |h: &[u8]| assemble(&h[..HEADER_LEN], &[&a[HEADER_LEN..]]);
    assert_eq!(decrypt(&k, &file_id(1), &swap(&b)), Err(Error::Decrypt));
    assert_eq!(
        decrypt(&k, &file_id(1), &swap(&other_file)),
        Err(Error::FileIdMismatch)
    );
    assert_eq!(
        decrypt(&k, &file_id(1), &swap(&other_key)),
        Err(Error::Decrypt)
    );
}

#[test]
fn decrypt_fails_with_the_wrong_key_or_file_id() {
    let ct = encrypt(&key(1), &file_id(1), CHUNK, &pattern(100), 2);
    let (released, result) = decrypt_collecting(&key(2), &file_id(1), &ct);
    assert_eq!(result, Err(Error::Decrypt));
    assert!(released.is_empty());
    assert_eq!(
        decrypt(&key(1), &file_id(9), &ct),
        Err(Error::FileIdMismatch)
    );
}

/// The "invisible salamanders" attack: GCM is not key-committing, so an attacker who knows two
/// keys can make chunks that open under both. Here the chunks are genuine under key B, and the
/// header carries key A's commitment (what a forger would need to show A's holder): the
/// commitment check refuses before any chunk is opened.
#[test]
fn ciphertext_crafted_for_two_keys_is_rejected_by_the_commitment() {
    let (ka, kb, id) = (key(1), key(2), file_id(1));
    let a = encrypt(&ka, &id, CHUNK, &pattern(10), 2);
    let b = encrypt(&kb, &id, CHUNK, &pattern(10), 2);
    // Same salt (same RNG seed), so B's chunks are B's payload key under this exact header
    // except for the commitment field.
    assert_eq!(a[..59], b[..59]);
    let mut forged = b.clone();
    forged[59..HEADER_LEN].copy_from_slice(&a[59..HEADER_LEN]);
    let (released, result) = decrypt_collecting(&ka, &id, &forged);
    assert_eq!(result, Err(Error::Decrypt));
    assert!(released.is_empty());
    // And B's holder, who checks B's commitment, also refuses the forged header.
    assert_eq!(decrypt(&kb, &id, &forged), Err(Error::Decrypt));
    // Without the forgery both decrypt, proving the setup is sound.
    assert!(decrypt(&ka, &id, &a).is_ok() && decrypt(&kb, &id, &b).is_ok());
}

#[test]
fn decryptor_stays_failed_after_an_error() {
    let (k, id) = (key(1), file_id(1));
    let ct = encrypt(&k, &id, CHUNK, &pattern(3 * C), 2);
    let mut bad = ct.clone();
    bad[HEADER_LEN + 5] ^= 1;
    let mut dec = StreamDecryptor::new(&k, &id);
    assert_eq!(dec.push(&bad[..HEADER_LEN + FULL + 1]), Err(Error::Decrypt));
    assert_eq!(dec.push(&ct[HEADER_LEN + FULL + 1..]), Err(Error::Decrypt));
    assert_eq!(dec.finish(), Err(Error::Decrypt));
}

#[test]
fn schedule_nonces_are_counter_then_last_flag() {
    let s = ChunkSchedule::for_encryption(&key(1), &file_id(1), CHUNK, &mut rng(2)).unwrap();
    assert_eq!(s.nonce(0, false).unwrap(), [0; 12]);
    assert_eq!(
        s.nonce(1, true).unwrap(),
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    );
    assert_eq!(
        s.nonce(0x0102_0304_0506_0708, false).unwrap(),
        [0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0]
    );
    assert_eq!(s.nonce(u64::MAX, false), Err(Error::ChunkCounterOverflow));
    assert!(s.nonce(u64::MAX, true).is_ok());
    assert_eq!(s.associated_data(), s.header());
    assert_eq!(s.header_len(), HEADER_LEN);
    assert_eq!(s.chunk_size(), CHUNK);
    assert_eq!(parse_header_len(s.header()), Ok(HEADER_LEN));
}

#[test]
fn schedule_for_decryption_reads_back_the_encryption_schedule() {
    let (k, id) = (key(1), file_id(1));
    let enc = ChunkSchedule::for_encryption(&k, &id, 70_000, &mut rng(2)).unwrap();
    let dec = ChunkSchedule::for_decryption(&k, &id, enc.header()).unwrap();
    assert_eq!(dec.payload_key_bytes(), enc.payload_key_bytes());
    assert_eq!(dec.chunk_size(), 70_000);
    assert_eq!(
        ChunkSchedule::for_decryption(&key(2), &id, enc.header()).err(),
        Some(Error::Decrypt)
    );
    assert_eq!(
        ChunkSchedule::for_decryption(&k, &id, &enc.header()[..90]).err(),
        Some(Error::Truncated)
    );
    let mut long = enc.header().to_vec();
    long.push(0);
    assert_eq!(
        ChunkSchedule::for_decryption(&k, &id, &long).err(),
        Some(Error::Malformed)
    );
}

#[test]
fn parse_header_len_needs_magic_and_version() {
    assert_eq!(parse_header_len(b""), Err(Error::Truncated));
    assert_eq!(parse_header_len(b"COF"), Err(Error::Truncated));
    assert_eq!(parse_header_len(b"COFFER"), Err(Error::Truncated));
    assert_eq!(parse_header_len(b"COFFER\x01"), Ok(HEADER_LEN));
    assert_eq!(
        parse_header_len(b"COFFER\x02"),
        Err(Error::UnsupportedVersion)
    );
    assert_eq!(parse_header_len(b"PK\x03\x04"), Err(Error::Malformed));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn round_trip_with_random_split_points(
        len in 0usize..(5 * C),
        enc_splits in proptest::collection::vec(0usize..(6 * C), 0..6),
        dec_splits in proptest::collection::vec(0usize..(6 * C), 0..6),
        seed in any::<u8>(),
    ) {
        let (k, id) = (key(seed), file_id(seed));
        let plaintext = pattern(len);
        let mut enc = StreamEncryptor::new(&k, &id, CHUNK, &mut rng(seed)).unwrap();
        let mut ct = enc.header().to_vec();
        for part in split(&plaintext, &enc_splits) {
            ct.extend(enc.push(part).unwrap());
        }
        ct.extend(enc.finish().unwrap());
        prop_assert_eq!(&ct, &encrypt(&k, &id, CHUNK, &plaintext, seed));
        let mut dec = StreamDecryptor::new(&k, &id);
        let mut out = Vec::new();
        for part in split(&ct, &dec_splits) {
            out.extend(dec.push(part).unwrap());
        }
        out.extend(dec.finish().unwrap());
        prop_assert_eq!(out, plaintext);
    }

    #[test]
    fn decryptor_never_panics_on_arbitrary_bytes(
        tail in proptest::collection::vec(any::<u8>(), 0..(3 * FULL)),
        keep_header in any::<bool>(),
        split_at in any::<usize>(),
    ) {
        let (k, id) = (key(1), file_id(1));
        let mut input = if keep_header {
            encrypt(&k, &id, CHUNK, b"", 2)[..HEADER_LEN].to_vec()
        } else {
            Vec::new()
        };
        input.extend(tail);
        let cut = split_at % (input.len() + 1);
        let mut dec = StreamDecryptor::new(&k, &id);
        let released = dec.push(&input[..cut]).and_then(|mut a| {
            a.extend(dec.push(&input[cut..])?);
            Ok(a)
        });
        // Random bytes never authenticate.
        prop_assert!(released.map_or(true, |r| r.is_empty()));
        prop_assert!(dec.finish().is_err());
    }
}

fn split<'a>(data: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = points.iter().map(|p| p % (data.len() + 1)).collect();
    points.sort_unstable();
    let mut parts = Vec::new();
    let mut start = 0;
    for p in points {
        parts.push(&data[start..p]);
        start = p;
    }
    parts.push(&data[start..]);
    parts
}
