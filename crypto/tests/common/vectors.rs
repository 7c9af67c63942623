//! Coffer v1 golden vectors: every input that is normally random is recorded, so the outputs are
//! fixed bytes. `compute_*` fills the outputs of a vector from its inputs; the checks require
//! that recomputing gives exactly the committed outputs and that the committed blobs open.
//!
//! Native and Wasm test runs share this file, so both builds must produce identical bytes.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use coffer_crypto::{
    link_token_digest, open_metadata, seal_metadata, unwrap_file_key, verify_link_token,
    wrap_file_key, AccountFormat, AccountKey, ChunkSchedule, FileId, FileMetadata, IdentityKeyPair,
    KdfParams, LinkKeys, LinkPassword, LinkSecret, PublicKey, RecoveryKey, StreamEncryptor,
    TAG_LEN,
};
use serde::{Deserialize, Serialize};

use super::{decrypt, file_key_from, pattern, ReplayRng};

/// The committed vector file.
pub const VECTORS_JSON: &str = include_str!("../vectors/coffer_v1.json");
/// Its path relative to the crate root (for regeneration).
pub const VECTORS_PATH: &str = "tests/vectors/coffer_v1.json";

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Vectors {
    pub comment: String,
    pub stream: Vec<StreamVector>,
    pub password: Vec<PasswordVector>,
    pub recovery: Vec<RecoveryVector>,
    pub identity: Vec<IdentityVector>,
    pub wrap: Vec<WrapVector>,
    pub metadata: Vec<MetadataVector>,
    pub link: Vec<LinkVector>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct StreamVector {
    pub file_key: String,
    pub file_id: String,
    pub chunk_size: u32,
    pub salt: String,
    /// The plaintext is `pattern(plaintext_len)`: byte i = (31 i + 7) mod 251.
    pub plaintext_len: usize,
    pub payload_key: String,
    pub header: String,
    pub ciphertext: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct PasswordVector {
    pub password: String,
    pub salt: String,
    pub params: Params,
    pub auth_key: String,
    pub account_key: String,
    pub nonce: String,
    pub sealed_account_key: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy, Default)]
pub struct Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl From<Params> for KdfParams {
    fn from(p: Params) -> Self {
        KdfParams {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct RecoveryVector {
    pub recovery_key: String,
    pub display: String,
    pub account_key: String,
    pub nonce: String,
    pub sealed_account_key: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct IdentityVector {
    pub scalar: String,
    pub public_key: String,
    pub fingerprint: String,
    pub account_key: String,
    pub nonce: String,
    pub sealed_private_key: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct WrapVector {
    pub recipient_scalar: String,
    pub file_key: String,
    pub file_key_export: String,
    pub file_id: String,
    pub ephemeral_ikm: String,
    pub wrapped: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct MetadataVector {
    pub file_key: String,
    pub file_id: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
    pub modified_ms: i64,
    pub nonce: String,
    pub sealed: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct LinkVector {
    pub secret: String,
    pub fragment: String,
    pub password: Option<LinkPasswordVector>,
    pub auth_token: String,
    pub token_digest: String,
    pub file_key: String,
    pub link_id: String,
    pub nonce: String,
    pub wrapped: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct LinkPasswordVector {
    pub password: String,
    pub salt: String,
    pub params: Params,
}

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("vector field is hex")
}

fn array<const N: usize>(s: &str) -> [u8; N] {
    unhex(s)
        .try_into()
        .expect("vector field has the right length")
}

fn file_id(s: &str) -> FileId {
    FileId::from_bytes(array(s))
}

fn account_key(s: &str) -> AccountKey {
    AccountKey::generate(&mut ReplayRng::new(&[&unhex(s)]))
}

fn identity(scalar: &str) -> IdentityKeyPair {
    IdentityKeyPair::generate(&mut ReplayRng::new(&[&unhex(scalar)]))
}

pub fn compute_stream(v: &StreamVector) -> StreamVector {
    let key = file_key_from(&unhex(&v.file_key));
    let id = file_id(&v.file_id);
    let mut rng = ReplayRng::new(&[&unhex(&v.salt)]);
    let mut enc = StreamEncryptor::new(&key, &id, v.chunk_size, &mut rng).unwrap();
    rng.assert_exhausted();
    let header = enc.header().to_vec();
    let mut ciphertext = header.clone();
    ciphertext.extend(enc.push(&pattern(v.plaintext_len)).unwrap());
    ciphertext.extend(enc.finish().unwrap());
    let schedule = ChunkSchedule::for_decryption(&key, &id, &header).unwrap();
    StreamVector {
        payload_key: hex::encode(schedule.payload_key_bytes()),
        header: hex::encode(&header),
        ciphertext: hex::encode(&ciphertext),
        ..v.clone()
    }
}

/// Opens every chunk the way the browser does (schedule + a bare AES-256-GCM), independently of
/// `StreamDecryptor`, and returns the plaintext.
pub fn open_with_schedule(v: &StreamVector) -> Vec<u8> {
    let key = file_key_from(&unhex(&v.file_key));
    let ciphertext = unhex(&v.ciphertext);
    let header_len = coffer_crypto::parse_header_len(&ciphertext).unwrap();
    let schedule =
        ChunkSchedule::for_decryption(&key, &file_id(&v.file_id), &ciphertext[..header_len])
            .unwrap();
    let aead = aes_gcm::Aes256Gcm::new(schedule.payload_key_bytes().into());
    let chunks: Vec<&[u8]> = ciphertext[header_len..]
        .chunks(schedule.chunk_size() as usize + TAG_LEN)
        .collect();
    let mut plaintext = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let nonce = schedule.nonce(i as u64, i + 1 == chunks.len()).unwrap();
        let (body, tag) = chunk.split_at(chunk.len() - TAG_LEN);
        let mut buf = body.to_vec();
        aead.decrypt_in_place_detached(
            (&nonce).into(),
            schedule.associated_data(),
            &mut buf,
            tag.into(),
        )
        .expect("chunk opens with the schedule's key, nonce and AAD");
        plaintext.extend(buf);
    }
    plaintext
}

pub fn compute_password(v: &PasswordVector) -> PasswordVector {
    let keys = coffer_crypto::derive_password_keys(&v.password, &array(&v.salt), &v.params.into())
        .unwrap();
    let sealed = account_key(&v.account_key).seal_under_password(
        keys.kek(),
        AccountFormat::V1,
        &mut ReplayRng::new(&[&unhex(&v.nonce)]),
    );
    PasswordVector {
        auth_key: hex::encode(keys.auth_key().as_bytes()),
        sealed_account_key: hex::encode(sealed),
        ..v.clone()
    }
}

pub fn compute_recovery(v: &RecoveryVector) -> RecoveryVector {
    let rk = RecoveryKey::generate(&mut ReplayRng::new(&[&unhex(&v.recovery_key)]));
    let sealed = account_key(&v.account_key).seal_under_recovery(
        &rk,
        AccountFormat::V1,
        &mut ReplayRng::new(&[&unhex(&v.nonce)]),
    );
    RecoveryVector {
        display: rk.to_display().to_string(),
        sealed_account_key: hex::encode(sealed),
        ..v.clone()
    }
}

pub fn compute_identity(v: &IdentityVector) -> IdentityVector {
    let pair = identity(&v.scalar);
    let sealed = pair.seal_private_key(
        &account_key(&v.account_key),
        &mut ReplayRng::new(&[&unhex(&v.nonce)]),
    );
    IdentityVector {
        public_key: hex::encode(pair.public_key().to_bytes()),
        fingerprint: pair.public_key().fingerprint(),
        sealed_private_key: hex::encode(sealed),
        ..v.clone()
    }
}

pub fn compute_wrap(v: &WrapVector) -> WrapVector {
    let recipient = identity(&v.recipient_scalar).public_key();
    let key = file_key_from(&unhex(&v.file_key));
    let mut rng = ReplayRng::new(&[&unhex(&v.ephemeral_ikm)]);
    let wrapped = wrap_file_key(&recipient, &key, &file_id(&v.file_id), &mut rng);
    rng.assert_exhausted();
    WrapVector {
        file_key_export: key.export().to_string(),
        wrapped: hex::encode(wrapped),
        ..v.clone()
    }
}

pub fn compute_metadata(v: &MetadataVector) -> MetadataVector {
    let sealed = seal_metadata(
        &file_key_from(&unhex(&v.file_key)),
        &file_id(&v.file_id),
        &metadata_of(v),
        &mut ReplayRng::new(&[&unhex(&v.nonce)]),
    )
    .unwrap();
    MetadataVector {
        sealed: hex::encode(sealed),
        ..v.clone()
    }
}

fn metadata_of(v: &MetadataVector) -> FileMetadata {
    FileMetadata {
        name: v.name.clone(),
        mime: v.mime.clone(),
        size: v.size,
        modified_ms: v.modified_ms,
    }
}

/// A format-v1 link secret with these bytes (v1 links are no longer generated, only opened).
pub fn v1_link_secret(hex_bytes: &str) -> LinkSecret {
    use base64ct::{Base64UrlUnpadded, Encoding};
    LinkSecret::from_fragment(&Base64UrlUnpadded::encode_string(&unhex(hex_bytes))).unwrap()
}

fn link_keys(v: &LinkVector) -> LinkKeys {
    let secret = v1_link_secret(&v.secret);
    let password = v.password.as_ref().map(|p| LinkPassword {
        password: &p.password,
        salt: array(&p.salt),
        params: p.params.into(),
    });
    LinkKeys::derive(&secret, password.as_ref()).unwrap()
}

pub fn compute_link(v: &LinkVector) -> LinkVector {
    let secret = v1_link_secret(&v.secret);
    let keys = link_keys(v);
    let wrapped = keys.wrap_file_key(
        &file_key_from(&unhex(&v.file_key)),
        &array(&v.link_id),
        &mut ReplayRng::new(&[&unhex(&v.nonce)]),
    );
    LinkVector {
        fragment: secret.to_fragment().to_string(),
        auth_token: hex::encode(keys.auth_token()),
        token_digest: hex::encode(link_token_digest(&keys.auth_token())),
        wrapped: hex::encode(wrapped),
        ..v.clone()
    }
}

pub fn compute_all(v: &Vectors) -> Vectors {
    Vectors {
        comment: v.comment.clone(),
        stream: v.stream.iter().map(compute_stream).collect(),
        password: v.password.iter().map(compute_password).collect(),
        recovery: v.recovery.iter().map(compute_recovery).collect(),
        identity: v.identity.iter().map(compute_identity).collect(),
        wrap: v.wrap.iter().map(compute_wrap).collect(),
        metadata: v.metadata.iter().map(compute_metadata).collect(),
        link: v.link.iter().map(compute_link).collect(),
    }
}

/// Checks that the committed outputs open with this build: the decrypting half of the vectors.
pub fn check_committed_outputs_open(v: &Vectors) {
    for s in &v.stream {
        let key = file_key_from(&unhex(&s.file_key));
        let plaintext = decrypt(&key, &file_id(&s.file_id), &unhex(&s.ciphertext)).unwrap();
        assert_eq!(plaintext, pattern(s.plaintext_len));
        assert_eq!(open_with_schedule(s), pattern(s.plaintext_len));
    }
    for p in &v.password {
        let keys =
            coffer_crypto::derive_password_keys(&p.password, &array(&p.salt), &p.params.into())
                .unwrap();
        let (opened, format) =
            AccountKey::open_under_password(keys.kek(), &unhex(&p.sealed_account_key)).unwrap();
        assert_eq!(format, AccountFormat::V1);
        let resealed = opened.seal_under_password(
            keys.kek(),
            format,
            &mut ReplayRng::new(&[&unhex(&p.nonce)]),
        );
        assert_eq!(hex::encode(resealed), p.sealed_account_key);
    }
    for r in &v.recovery {
        let rk = RecoveryKey::parse(&r.display.to_lowercase().replace('-', " ")).unwrap();
        let (opened, format) =
            AccountKey::open_under_recovery(&rk, &unhex(&r.sealed_account_key)).unwrap();
        assert_eq!(format, AccountFormat::V1);
        let resealed =
            opened.seal_under_recovery(&rk, format, &mut ReplayRng::new(&[&unhex(&r.nonce)]));
        assert_eq!(hex::encode(resealed), r.sealed_account_key);
    }
    for i in &v.identity {
        let public = PublicKey::from_bytes(&unhex(&i.public_key)).unwrap();
        let pair = IdentityKeyPair::open(
            &account_key(&i.account_key),
            &unhex(&i.sealed_private_key),
            &public,
        )
        .unwrap();
        assert_eq!(pair.public_key(), public);
    }
    for w in &v.wrap {
        let key = unwrap_file_key(
            &identity(&w.recipient_scalar),
            &unhex(&w.wrapped),
            &file_id(&w.file_id),
        )
        .unwrap();
        assert_eq!(key.export().as_str(), w.file_key_export);
    }
    for m in &v.metadata {
        let opened = open_metadata(
            &file_key_from(&unhex(&m.file_key)),
            &file_id(&m.file_id),
            &unhex(&m.sealed),
        )
        .unwrap();
        assert!(
            opened == metadata_of(m),
            "metadata vector opens to its inputs"
        );
    }
    for l in &v.link {
        let parsed = LinkSecret::from_fragment(&l.fragment).unwrap();
        assert_eq!(parsed.to_fragment().as_str(), l.fragment);
        let keys = link_keys(l);
        assert!(verify_link_token(
            &keys.auth_token(),
            &array(&l.token_digest)
        ));
        let key = keys
            .unwrap_file_key(&unhex(&l.wrapped), &array(&l.link_id))
            .unwrap();
        assert_eq!(
            key.export().as_str(),
            file_key_from(&unhex(&l.file_key)).export().as_str()
        );
    }
}

/// The whole check: recomputation gives the committed bytes, and the committed bytes open.
pub fn check_vectors(json: &str) {
    let committed: Vectors = serde_json::from_str(json).expect("vector file parses");
    assert!(!committed.stream.is_empty() && !committed.link.is_empty());
    let recomputed = compute_all(&committed);
    // Compare section by section so a failure names what drifted.
    assert_eq!(
        recomputed.stream, committed.stream,
        "stream vectors drifted"
    );
    assert_eq!(
        recomputed.password, committed.password,
        "password vectors drifted"
    );
    assert_eq!(
        recomputed.recovery, committed.recovery,
        "recovery vectors drifted"
    );
    assert_eq!(
        recomputed.identity, committed.identity,
        "identity vectors drifted"
    );
    assert_eq!(recomputed.wrap, committed.wrap, "wrap vectors drifted");
    assert_eq!(
        recomputed.metadata, committed.metadata,
        "metadata vectors drifted"
    );
    assert_eq!(recomputed.link, committed.link, "link vectors drifted");
    check_committed_outputs_open(&committed);
}
