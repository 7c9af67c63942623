//! What a hostile server can make from public data alone, for the end-to-end "malicious
//! server" tests (end2end/tests/malicious.spec.ts): a file planted in a user's vault, with a key
//! wrapped to the user's public key (HPKE base mode, which anybody can do), sealed metadata and
//! real ciphertext. The tests write it into the running server's database and blob store and
//! check that the user's browser does not take it for the user's own.
//!
//! ```text
//! cargo run -p coffer-crypto --example hostile_server -- plant <owner public key hex> <file id hex> <name>
//! ```
//! prints one JSON object: `{"key_slot", "sealed_metadata", "ciphertext"}` (hex), `"chunk_size"`.

use coffer_crypto::{
    seal_metadata, wrap_file_key, FileId, FileKey, FileMetadata, PublicKey, StreamEncryptor,
};
use rand_core::OsRng;

fn hex_arg(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|_| panic!("not hex: {s}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cmd, owner, id, name] = args.as_slice() else {
        eprintln!("usage: hostile_server plant <owner public key hex> <file id hex> <name>");
        std::process::exit(2);
    };
    assert_eq!(cmd, "plant", "the only command is plant");
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
        name: name.clone(),
        mime: "application/pdf".into(),
        size: plaintext.len() as u64,
        modified_ms: 1_764_000_000_000,
    };
    let sealed_metadata = seal_metadata(&key, &id, &metadata, &mut OsRng).unwrap();
    let key_slot = wrap_file_key(&owner, &key, &id, &mut OsRng);
    println!(
        "{}",
        serde_json::json!({
            "key_slot": hex::encode(key_slot),
            "sealed_metadata": hex::encode(sealed_metadata),
            "ciphertext": hex::encode(ciphertext),
            "chunk_size": chunk_size,
        })
    );
}
