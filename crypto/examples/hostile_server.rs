//! What a hostile server can make, for the end-to-end "malicious server" tests
//! (end2end/tests/malicious.spec.ts), which write it into the running server's database and
//! blob store and check that the user's browser does not accept it:
//!
//! ```text
//! hostile_server plant <owner public key hex> <file id hex> <name>
//!     from public data alone: a file with its key wrapped to the owner's public key (HPKE base
//!     mode, which anybody can do), sealed metadata and real ciphertext;
//!     prints {"key_slot", "sealed_metadata", "ciphertext"} (hex) and "chunk_size"
//! hostile_server reseal-content <coffer-key-v1:…> <ciphertext hex>
//!     with the help of someone who holds the file key (any sharee or link visitor): other
//!     bytes of the same length under the SAME header (salt, commitment), so every chunk
//!     authenticates; prints {"ciphertext"} (hex)
//! hostile_server reseal-metadata <coffer-key-v1:…> <file id hex> <name> <size>
//!     the same helper renaming the file; prints {"sealed_metadata"} (hex)
//! ```

use aes_gcm::aead::{AeadInPlace, KeyInit};
use coffer_crypto::{
    chunk_count, header_file_id, parse_header_len, plaintext_len, seal_metadata, wrap_file_key,
    ChunkSchedule, FileId, FileKey, FileMetadata, PublicKey, StreamEncryptor,
};
use rand_core::OsRng;

fn hex_arg(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|_| panic!("not hex: {s}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["plant", owner, id, name] => plant(owner, id, name),
        ["reseal-content", key, ciphertext] => reseal_content(key, ciphertext),
        ["reseal-metadata", key, id, name, size] => reseal_metadata(key, id, name, size),
        _ => {
            eprintln!("usage: see the comment at the top of hostile_server.rs");
            std::process::exit(2);
        }
    };
    println!("{json}");
}

fn reseal_content(key: &str, ciphertext: &str) -> serde_json::Value {
    let key = FileKey::import(key).expect("a coffer-key-v1 key");
    let old = hex_arg(ciphertext);
    let header_len = parse_header_len(&old).unwrap();
    let header = &old[..header_len];
    let id = header_file_id(header).unwrap();
    let schedule = ChunkSchedule::for_decryption(&key, &id, header).unwrap();
    let size = plaintext_len(old.len() as u64, schedule.chunk_size()).unwrap();
    let chunks = chunk_count(size, schedule.chunk_size()).unwrap();
    let aead = aes_gcm::Aes256Gcm::new(schedule.payload_key_bytes().into());
    let forged: Vec<u8> = (0..size)
        .map(|i| b"FORGED BY A KEY HOLDER "[i as usize % 23])
        .collect();
    let mut out = header.to_vec();
    for (i, plain) in forged.chunks(schedule.chunk_size() as usize).enumerate() {
        let mut buf = plain.to_vec();
        let nonce = schedule.nonce(i as u64, i as u64 + 1 == chunks).unwrap();
        let tag = aead
            .encrypt_in_place_detached((&nonce).into(), header, &mut buf)
            .unwrap();
        out.extend(buf);
        out.extend(tag);
    }
    assert_eq!(out.len(), old.len());
    serde_json::json!({ "ciphertext": hex::encode(out) })
}

fn reseal_metadata(key: &str, id: &str, name: &str, size: &str) -> serde_json::Value {
    let key = FileKey::import(key).expect("a coffer-key-v1 key");
    let id = FileId::from_bytes(hex_arg(id).try_into().expect("16 bytes"));
    let metadata = FileMetadata {
        name: name.into(),
        mime: "application/pdf".into(),
        size: size.parse().expect("a size"),
        modified_ms: 1_764_000_000_000,
    };
    let sealed = seal_metadata(&key, &id, &metadata, &mut OsRng).unwrap();
    serde_json::json!({ "sealed_metadata": hex::encode(sealed) })
}

fn plant(owner: &str, id: &str, name: &str) -> serde_json::Value {
    let owner = PublicKey::from_bytes(&hex_arg(owner)).expect("a P-256 public key");
    let id = FileId::from_bytes(hex_arg(id).try_into().expect("16 bytes"));
    let key = FileKey::generate(&mut OsRng);
    let plaintext = format!("Planted by the server for {name}.\n").repeat(50);
    let chunk_size = 4096;
    let mut enc = StreamEncryptor::new(&key, &id, chunk_size, &mut OsRng).unwrap();
    let mut ciphertext = enc.header().to_vec();
    ciphertext.extend(enc.push(plaintext.as_bytes()).unwrap());
    ciphertext.extend(enc.finish().unwrap());
    let metadata = FileMetadata {
        name: name.to_string(),
        mime: "application/pdf".into(),
        size: plaintext.len() as u64,
        modified_ms: 1_764_000_000_000,
    };
    let sealed_metadata = seal_metadata(&key, &id, &metadata, &mut OsRng).unwrap();
    let key_slot = wrap_file_key(&owner, &key, &id, &mut OsRng);
    serde_json::json!({
        "key_slot": hex::encode(key_slot),
        "sealed_metadata": hex::encode(sealed_metadata),
        "ciphertext": hex::encode(ciphertext),
        "chunk_size": chunk_size,
    })
}
