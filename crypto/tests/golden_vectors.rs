//! The committed golden vectors (tests/vectors/coffer_v1.json) must match this build byte for
//! byte. To change the format deliberately, regenerate them with
//! `COFFER_REGEN_VECTORS=1 cargo test -p coffer-crypto --test golden_vectors` and explain the change
//! in docs/CRYPTO.md (with a new version number).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::vectors::*;
use rand_chacha::rand_core::RngCore;

fn random_hex(rng: &mut impl RngCore, len: usize) -> String {
    let mut b = vec![0u8; len];
    rng.fill_bytes(&mut b);
    hex::encode(b)
}

const FLOOR: Params = Params {
    memory_kib: 19456,
    iterations: 2,
    parallelism: 1,
};

/// The inputs of the vectors; the outputs are filled in by `compute_all`.
fn fresh_inputs() -> Vectors {
    let mut rng = common::rng(0xC0);
    let r = &mut rng;
    let stream_case =
        |r: &mut rand_chacha::ChaCha20Rng, chunk_size: u32, plaintext_len: usize| StreamVector {
            file_key: random_hex(r, 32),
            file_id: random_hex(r, 16),
            chunk_size,
            salt: random_hex(r, 32),
            plaintext_len,
            ..Default::default()
        };
    let small = 4096;
    let mut stream: Vec<StreamVector> = [0, 1, small - 1, small, small + 1, 10 * small + 7]
        .into_iter()
        .map(|len| stream_case(r, small as u32, len))
        .collect();
    stream.push(stream_case(r, 65536, 100));
    let password = ["correct horse battery staple", "pässwörd ✓ 🔑"]
        .into_iter()
        .map(|pw| PasswordVector {
            password: pw.into(),
            salt: random_hex(r, 16),
            params: FLOOR,
            account_key: random_hex(r, 32),
            nonce: random_hex(r, 12),
            ..Default::default()
        })
        .collect();
    let recovery = vec![RecoveryVector {
        recovery_key: random_hex(r, 32),
        account_key: random_hex(r, 32),
        nonce: random_hex(r, 12),
        ..Default::default()
    }];
    let identity = vec![IdentityVector {
        scalar: random_hex(r, 32),
        account_key: random_hex(r, 32),
        nonce: random_hex(r, 12),
        ..Default::default()
    }];
    let wrap = (0..2)
        .map(|_| WrapVector {
            recipient_scalar: random_hex(r, 32),
            file_key: random_hex(r, 32),
            file_id: random_hex(r, 16),
            ephemeral_ikm: random_hex(r, 32),
            ..Default::default()
        })
        .collect();
    let mut metadata: Vec<MetadataVector> = [
        (
            "report.pdf",
            "application/pdf",
            123_456u64,
            1_700_000_000_000i64,
        ),
        ("", "", 0, -1),
        (
            "Ünïcödé naïve – 日本語のファイル名.txt",
            "text/plain; charset=utf-8",
            u64::MAX,
            i64::MIN,
        ),
    ]
    .into_iter()
    .map(|(name, mime, size, modified_ms)| MetadataVector {
        file_key: random_hex(r, 32),
        file_id: random_hex(r, 16),
        name: name.into(),
        mime: mime.into(),
        size,
        modified_ms,
        nonce: random_hex(r, 12),
        ..Default::default()
    })
    .collect();
    metadata.push(MetadataVector {
        file_key: random_hex(r, 32),
        file_id: random_hex(r, 16),
        name: "n".repeat(1024),
        mime: "m".repeat(255),
        size: 1,
        modified_ms: 0,
        nonce: random_hex(r, 12),
        ..Default::default()
    });
    let link = [None, Some("link password")]
        .into_iter()
        .map(|pw| LinkVector {
            secret: random_hex(r, 32),
            password: pw.map(|p| LinkPasswordVector {
                password: p.into(),
                salt: random_hex(r, 16),
                params: FLOOR,
            }),
            file_key: random_hex(r, 32),
            link_id: random_hex(r, 16),
            nonce: random_hex(r, 12),
            ..Default::default()
        })
        .collect();
    Vectors {
        comment: "Coffer format v1 golden vectors; see docs/CRYPTO.md. Stream plaintext i-th byte = (31*i + 7) mod 251. Regenerate only with COFFER_REGEN_VECTORS=1.".into(),
        stream,
        password,
        recovery,
        identity,
        wrap,
        metadata,
        link,
    }
}

#[test]
fn golden_vectors_match_this_build() {
    if std::env::var("COFFER_REGEN_VECTORS").as_deref() == Ok("1") {
        let json = serde_json::to_string_pretty(&compute_all(&fresh_inputs())).unwrap() + "\n";
        let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), VECTORS_PATH);
        std::fs::write(path, &json).unwrap();
        check_vectors(&json);
        return;
    }
    check_vectors(VECTORS_JSON);
}

#[test]
fn golden_vectors_fail_when_a_ciphertext_byte_changes() {
    let mut v: Vectors = serde_json::from_str(VECTORS_JSON).unwrap();
    let ct = &mut v.stream[1].ciphertext;
    let last = ct.pop().unwrap();
    ct.push(if last == '0' { '1' } else { '0' });
    let recomputed = compute_all(&v);
    assert_ne!(recomputed.stream, v.stream);
}
