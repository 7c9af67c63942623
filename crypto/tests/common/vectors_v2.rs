//! Coffer format v2 golden vectors (tests/vectors/coffer_v2.json): the whole chain from a
//! password to a shared file with every intermediate key, Argon2id at the default parameters
//! and with more lanes, the v1 contact record, negative vectors that pin the error of each
//! tampering case, the file-name rule, the account key sealed for a device that stays unlocked
//! (blob 0x0F) and the account proof (in the chain).
//!
//! Two independent checks run over them (natively and in Wasm):
//! * this crate recomputes every output from the recorded inputs, byte for byte;
//! * [`spec`](super::spec) recomputes every intermediate from docs/CRYPTO.md with the bare
//!   primitives and uses them to open the crate's blobs and verify its signatures, so the
//!   document and the code cannot drift apart.

use coffer_crypto::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::vectors::{unhex, Params};
use super::{pattern, spec, ReplayRng};

/// The committed vector file.
pub const VECTORS_V2_JSON: &str = include_str!("../vectors/coffer_v2.json");
/// Its path relative to the crate root (for regeneration).
pub const VECTORS_V2_PATH: &str = "tests/vectors/coffer_v2.json";

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct VectorsV2 {
    pub comment: String,
    pub chain: Vec<ChainVector>,
    pub argon2: Vec<Argon2Vector>,
    pub contact_v1: Vec<ContactV1Vector>,
    pub negative: Vec<NegativeVector>,
    pub safe_names: Vec<SafeNameVector>,
    pub device_key: Vec<DeviceKeyVector>,
}

/// One account, one file, one share, one link: inputs first, then every derived value.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct ChainVector {
    // --- inputs -------------------------------------------------------------------------
    /// As typed: deliberately NOT in NFKC form (decomposed, with a compatibility ligature).
    pub password: String,
    pub kdf_salt: String,
    pub kdf_params: Params,
    pub account_key: String,
    pub recovery_key: String,
    pub identity_scalar: String,
    pub recipient_username: String,
    pub recipient_scalar: String,
    pub file_key: String,
    pub file_id: String,
    pub chunk_size: u32,
    pub stream_salt: String,
    /// Plaintext byte i = (31 i + 7) mod 251.
    pub plaintext_len: usize,
    pub name: String,
    pub mime: String,
    pub modified_ms: i64,
    pub nonce_password: String,
    pub nonce_recovery: String,
    pub nonce_identity: String,
    pub nonce_metadata: String,
    pub nonce_slot: String,
    pub nonce_account_record: String,
    pub wrap_ephemeral_ikm: String,
    pub grant_expires_at_ms: Option<i64>,
    pub link_secret: String,
    /// As typed, not NFKC.
    pub link_password: String,
    pub link_salt: String,
    pub link_params: Params,
    pub nonce_link_wrap: String,
    pub nonce_link_seal: String,
    // --- derived ------------------------------------------------------------------------
    pub password_nfkc: String,
    pub master: String,
    pub auth_key: String,
    pub password_kek: String,
    pub sealed_account_key: String,
    pub recovery_display: String,
    pub recovery_kek: String,
    pub sealed_account_key_recovery: String,
    /// docs/CRYPTO.md §2.4: HKDF-SHA256(account_key, info "coffer/v2/account-proof").
    pub account_proof: String,
    pub identity_public_key: String,
    pub fingerprint: String,
    pub identity_kek: String,
    pub sealed_private_key: String,
    pub header: String,
    pub payload_key: String,
    pub commitment: String,
    pub ciphertext: String,
    pub content_digest: String,
    pub metadata_key: String,
    pub sealed_metadata: String,
    pub owner_slot_key: String,
    pub key_slot: String,
    pub version_record: String,
    pub recipient_public_key: String,
    pub wrapped_key: String,
    pub grant_signature: String,
    pub account_record_key: String,
    pub account_record: String,
    pub link_fragment: String,
    pub link_id: String,
    pub link_password_nfkc: String,
    pub link_argon2: String,
    pub link_prk: String,
    pub link_auth_token: String,
    pub link_token_digest: String,
    pub link_wrap_key: String,
    pub link_wrapped_key: String,
    pub link_verifier: String,
    pub link_seal_key: String,
    pub link_sealed_secret: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct Argon2Vector {
    pub password: String,
    pub salt: String,
    pub params: Params,
    /// Argon2id v0x13, 32-byte output, of the NFKC form of `password`.
    pub master: String,
    pub auth_key: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct ContactV1Vector {
    pub account_key: String,
    /// The server's canonical form of the name (trimmed, NFKC, lower case): what is bound.
    pub username: String,
    pub contact_scalar: String,
    pub verified: bool,
    pub nonce: String,
    pub contact_key: String,
    pub sealed: String,
}

/// The account key sealed for a device that stays unlocked (docs/CRYPTO.md §2.5, blob 0x0F).
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct DeviceKeyVector {
    pub account_key: String,
    /// The session's unlock key (32 random bytes from the server).
    pub unlock_key: String,
    /// The account's canonical username (trimmed, NFKC, lower case): what is bound, as UTF-8.
    pub username: String,
    /// The account's format, sealed inside: 1 (v1 account) or 2 (v2 account).
    pub format: u8,
    pub nonce: String,
    pub sealed: String,
}

/// A tampered input and the error every implementation must give for it.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct NegativeVector {
    pub name: String,
    /// Which operation: stream, owner_slot, version_record, grant, account_record, link_seal,
    /// device_key, fragment, recovery, key_export.
    pub check: String,
    /// Hex fields, except the text inputs of fragment/recovery/key_export (`text`) and the
    /// username of device_key (`username`, UTF-8 as is).
    pub fields: BTreeMap<String, String>,
    /// The `coffer_crypto::Error` variant, or "ok" for inputs that must be accepted.
    pub error: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
pub struct SafeNameVector {
    pub name: String,
    pub safe: String,
}

fn hx(b: impl AsRef<[u8]>) -> String {
    hex::encode(b)
}

fn arr<const N: usize>(s: &str) -> [u8; N] {
    unhex(s)
        .try_into()
        .expect("vector field has the right length")
}

fn replay(s: &str) -> ReplayRng {
    ReplayRng::new(&[&unhex(s)])
}

pub fn file_key_of(s: &str) -> FileKey {
    FileKey::generate(&mut replay(s))
}

pub fn account_key_of(s: &str) -> AccountKey {
    AccountKey::generate(&mut replay(s))
}

pub fn identity_of(s: &str) -> IdentityKeyPair {
    IdentityKeyPair::generate(&mut replay(s))
}

fn link_secret_of(s: &str) -> LinkSecret {
    LinkSecret::generate(&mut replay(s))
}

fn metadata_of(v: &ChainVector) -> FileMetadata {
    FileMetadata {
        name: v.name.clone(),
        mime: v.mime.clone(),
        size: v.plaintext_len as u64,
        modified_ms: v.modified_ms,
    }
}

fn account_record_of(v: &ChainVector) -> AccountRecord {
    AccountRecord {
        revision: 1,
        legacy_slots_upgraded: true,
        contacts: vec![PinnedContact {
            username: v.recipient_username.clone(),
            public_key: identity_of(&v.recipient_scalar).public_key(),
            trust: Trust::Verified,
        }],
    }
}

/// Fills every derived field of a chain vector with this crate.
pub fn compute_chain(v: &ChainVector) -> ChainVector {
    let params: KdfParams = v.kdf_params.into();
    let keys = derive_password_keys(&v.password, &arr(&v.kdf_salt), &params).unwrap();
    let account = account_key_of(&v.account_key);
    let recovery = RecoveryKey::generate(&mut replay(&v.recovery_key));
    let identity = identity_of(&v.identity_scalar);
    let recipient = identity_of(&v.recipient_scalar).public_key();
    let file_key = file_key_of(&v.file_key);
    let file_id = FileId::from_bytes(arr(&v.file_id));

    let mut enc = StreamEncryptor::new(
        &file_key,
        &file_id,
        v.chunk_size,
        &mut replay(&v.stream_salt),
    )
    .unwrap();
    let header = enc.header().to_vec();
    let mut ciphertext = header.clone();
    ciphertext.extend(enc.push(&pattern(v.plaintext_len)).unwrap());
    ciphertext.extend(enc.finish().unwrap());
    let schedule = ChunkSchedule::for_decryption(&file_key, &file_id, &header).unwrap();
    let content_digest = ContentDigest::of_ciphertext(&ciphertext).unwrap();
    let sealed_metadata = seal_metadata(
        &file_key,
        &file_id,
        &metadata_of(v),
        &mut replay(&v.nonce_metadata),
    )
    .unwrap();
    // Signatures are deterministic (RFC 6979): only the slot's nonce is drawn.
    let version = seal_file_version(
        &account,
        &identity,
        &file_id,
        &FileVersion::first(content_digest),
        &sealed_metadata,
        &file_key,
        &mut replay(&v.nonce_slot),
    )
    .unwrap();
    let wrapped_key = wrap_file_key(
        &recipient,
        &file_key,
        &file_id,
        &mut replay(&v.wrap_ephemeral_ikm),
    );
    let grant_signature = sign_grant(
        &identity,
        &file_id,
        &recipient,
        &wrapped_key,
        v.grant_expires_at_ms,
    );
    let account_record = seal_account_record(
        &account,
        &identity.public_key(),
        &account_record_of(v),
        &mut replay(&v.nonce_account_record),
    )
    .unwrap();

    let secret = link_secret_of(&v.link_secret);
    let link_id = secret.link_id(&identity.public_key(), &file_id).unwrap();
    let link_keys = LinkKeys::derive(
        &secret,
        Some(&LinkPassword {
            password: &v.link_password,
            salt: arr(&v.link_salt),
            params: v.link_params.into(),
        }),
    )
    .unwrap();
    let link_wrapped_key =
        link_keys.wrap_file_key(&file_key, &link_id, &mut replay(&v.nonce_link_wrap));
    let link_sealed_secret = secret
        .seal_for_owner(&account, &link_id, &mut replay(&v.nonce_link_seal))
        .unwrap();

    // The intermediates are not exposed by the crate; they come from the spec computation,
    // which `check_chain` proves are the ones the crate used (they open its blobs).
    let s = spec::Intermediates::of(v);
    ChainVector {
        password_nfkc: hx(s.password_nfkc.as_bytes()),
        master: hx(s.master),
        auth_key: hx(keys.auth_key().as_bytes()),
        password_kek: hx(s.password_kek),
        sealed_account_key: hx(account.seal_under_password(
            keys.kek(),
            AccountFormat::V2,
            &mut replay(&v.nonce_password),
        )),
        recovery_display: recovery.to_display().to_string(),
        recovery_kek: hx(s.recovery_kek),
        sealed_account_key_recovery: hx(account.seal_under_recovery(
            &recovery,
            AccountFormat::V2,
            &mut replay(&v.nonce_recovery),
        )),
        account_proof: hx(*account.proof()),
        identity_public_key: hx(identity.public_key().to_bytes()),
        fingerprint: identity.public_key().fingerprint(),
        identity_kek: hx(s.identity_kek),
        sealed_private_key: hx(identity.seal_private_key(&account, &mut replay(&v.nonce_identity))),
        header: hx(&header),
        payload_key: hx(schedule.payload_key_bytes()),
        commitment: hx(&header[59..91]),
        ciphertext: hx(&ciphertext),
        content_digest: hx(content_digest),
        metadata_key: hx(s.metadata_key),
        sealed_metadata: hx(&sealed_metadata),
        owner_slot_key: hx(s.owner_slot_key),
        key_slot: hx(&version.key_slot),
        version_record: hx(&version.record),
        recipient_public_key: hx(recipient.to_bytes()),
        wrapped_key: hx(&wrapped_key),
        grant_signature: hx(&grant_signature),
        account_record_key: hx(s.account_record_key),
        account_record: hx(&account_record),
        link_fragment: secret.to_fragment().to_string(),
        link_id: hx(link_id),
        link_password_nfkc: hx(s.link_password_nfkc.as_bytes()),
        link_argon2: hx(s.link_argon2),
        link_prk: hx(s.link_prk),
        link_auth_token: hx(link_keys.auth_token()),
        link_token_digest: hx(link_token_digest(&link_keys.auth_token())),
        link_wrap_key: hx(s.link_wrap_key),
        link_wrapped_key: hx(&link_wrapped_key),
        link_verifier: hx(secret.verifier()),
        link_seal_key: hx(s.link_seal_key),
        link_sealed_secret: hx(&link_sealed_secret),
        ..v.clone()
    }
}

pub fn compute_argon2(v: &Argon2Vector) -> Argon2Vector {
    let keys = derive_password_keys(&v.password, &arr(&v.salt), &v.params.into()).unwrap();
    Argon2Vector {
        master: hx(spec::master(&v.password, &unhex(&v.salt), v.params)),
        auth_key: hx(keys.auth_key().as_bytes()),
        ..v.clone()
    }
}

pub fn compute_contact(v: &ContactV1Vector) -> ContactV1Vector {
    let sealed = seal_contact(
        &account_key_of(&v.account_key),
        &v.username,
        &Contact {
            public_key: identity_of(&v.contact_scalar).public_key(),
            verified: v.verified,
        },
        &mut replay(&v.nonce),
    );
    ContactV1Vector {
        contact_key: hx(spec::hkdf(&unhex(&v.account_key), b"coffer/v1/contact-key")),
        sealed: hx(sealed),
        ..v.clone()
    }
}

pub fn account_format_of(format: u8) -> AccountFormat {
    match format {
        1 => AccountFormat::V1,
        2 => AccountFormat::V2,
        other => panic!("account format {other} in a vector"),
    }
}

pub fn compute_device_key(v: &DeviceKeyVector) -> DeviceKeyVector {
    let sealed = account_key_of(&v.account_key).seal_for_device(
        &arr(&v.unlock_key),
        &v.username,
        account_format_of(v.format),
        &mut replay(&v.nonce),
    );
    DeviceKeyVector {
        sealed: hx(sealed),
        ..v.clone()
    }
}

/// Opens a committed 0x0F with this crate and checks what comes out: the format, and the very
/// account key (re-sealed with the recorded nonce it gives the committed bytes; its proof is
/// the proof of the recorded key).
pub fn check_device_key_opens(v: &DeviceKeyVector) {
    let sealed = unhex(&v.sealed);
    assert_eq!(sealed.len(), blob_len::DEVICE_SEALED_KEY);
    let (opened, format) =
        AccountKey::open_for_device(&arr(&v.unlock_key), &v.username, &sealed).unwrap();
    assert_eq!(format, account_format_of(v.format));
    assert_eq!(
        opened.proof()[..],
        account_key_of(&v.account_key).proof()[..]
    );
    assert_eq!(
        opened.seal_for_device(
            &arr(&v.unlock_key),
            &v.username,
            format,
            &mut replay(&v.nonce)
        ),
        sealed
    );
}

pub fn compute_safe_name(v: &SafeNameVector) -> SafeNameVector {
    SafeNameVector {
        safe: safe_file_name(&v.name),
        ..v.clone()
    }
}

fn field<'a>(v: &'a NegativeVector, name: &str) -> &'a str {
    v.fields
        .get(name)
        .unwrap_or_else(|| panic!("{}: no field {name}", v.name))
}

fn bytes(v: &NegativeVector, name: &str) -> Vec<u8> {
    unhex(field(v, name))
}

fn public(v: &NegativeVector, name: &str) -> PublicKey {
    PublicKey::from_bytes(&bytes(v, name)).unwrap()
}

fn outcome(r: Result<(), Error>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => format!("{e:?}"),
    }
}

/// What this crate says about a negative vector's input: "ok" or the error's name.
pub fn run_negative(v: &NegativeVector) -> String {
    let id = || FileId::from_bytes(bytes(v, "file_id").try_into().unwrap());
    match v.check.as_str() {
        "stream" => {
            let key = file_key_of(field(v, "file_key"));
            outcome(super::decrypt(&key, &id(), &bytes(v, "ciphertext")).map(|_| ()))
        }
        "owner_slot" => outcome(
            open_own_file(
                &account_key_of(field(v, "account_key")),
                &public(v, "owner_public_key"),
                &id(),
                &bytes(v, "key_slot"),
                &bytes(v, "version_record"),
                &bytes(v, "sealed_metadata"),
            )
            .map(|_| ()),
        ),
        "version_record" => outcome(
            verify_file_version(
                &public(v, "owner_public_key"),
                &id(),
                &bytes(v, "version_record"),
                &bytes(v, "sealed_metadata"),
            )
            .map(|_| ()),
        ),
        "grant" => {
            let expiry = v
                .fields
                .get("expires_at_ms")
                .map(|e| e.parse::<i64>().unwrap());
            outcome(verify_grant(
                &public(v, "sharer_public_key"),
                &id(),
                &public(v, "recipient_public_key"),
                &bytes(v, "wrapped_key"),
                expiry,
                &bytes(v, "grant_signature"),
            ))
        }
        "account_record" => outcome(
            open_account_record(
                &account_key_of(field(v, "account_key")),
                &public(v, "owner_public_key"),
                &bytes(v, "account_record"),
            )
            .map(|_| ()),
        ),
        "link_seal" => outcome(
            LinkSecret::open_for_owner(
                &account_key_of(field(v, "account_key")),
                &bytes(v, "link_id").try_into().unwrap(),
                &bytes(v, "sealed_secret"),
            )
            .map(|_| ()),
        ),
        "device_key" => outcome(
            AccountKey::open_for_device(
                &bytes(v, "unlock_key").try_into().unwrap(),
                field(v, "username"),
                &bytes(v, "sealed"),
            )
            .map(|_| ()),
        ),
        "fragment" => outcome(LinkSecret::from_fragment(field(v, "text")).map(|_| ())),
        "recovery" => outcome(RecoveryKey::parse(field(v, "text")).map(|_| ())),
        "key_export" => outcome(FileKey::import(field(v, "text")).map(|_| ())),
        other => panic!("unknown negative check {other}"),
    }
}

pub fn compute_all(v: &VectorsV2) -> VectorsV2 {
    VectorsV2 {
        comment: v.comment.clone(),
        chain: v.chain.iter().map(compute_chain).collect(),
        argon2: v.argon2.iter().map(compute_argon2).collect(),
        contact_v1: v.contact_v1.iter().map(compute_contact).collect(),
        negative: v
            .negative
            .iter()
            .map(|n| NegativeVector {
                error: run_negative(n),
                ..n.clone()
            })
            .collect(),
        safe_names: v.safe_names.iter().map(compute_safe_name).collect(),
        device_key: v.device_key.iter().map(compute_device_key).collect(),
    }
}

/// The whole check: recomputation gives the committed bytes; the spec computation opens them.
pub fn check_vectors_v2(json: &str) {
    let committed: VectorsV2 = serde_json::from_str(json).expect("v2 vector file parses");
    assert!(!committed.chain.is_empty() && !committed.negative.is_empty());
    assert!(!committed.device_key.is_empty());
    let recomputed = compute_all(&committed);
    assert_eq!(recomputed.chain, committed.chain, "chain vectors drifted");
    assert_eq!(
        recomputed.argon2, committed.argon2,
        "argon2 vectors drifted"
    );
    assert_eq!(
        recomputed.contact_v1, committed.contact_v1,
        "v1 contact vectors drifted"
    );
    for (got, want) in recomputed.negative.iter().zip(&committed.negative) {
        assert_eq!(got.error, want.error, "negative vector {:?}", want.name);
    }
    assert_eq!(
        recomputed.safe_names, committed.safe_names,
        "file-name vectors drifted"
    );
    for c in &committed.chain {
        spec::check_chain(c);
    }
    for c in &committed.contact_v1 {
        spec::check_contact(c);
    }
    assert_eq!(
        recomputed.device_key, committed.device_key,
        "device-key (0x0F) vectors drifted"
    );
    for d in &committed.device_key {
        check_device_key_opens(d);
        spec::check_device_key(d);
    }
}
