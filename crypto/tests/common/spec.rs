//! A second implementation of the parts of docs/CRYPTO.md the v2 vectors cover, written from the
//! document with the bare primitives (HKDF-SHA256, AES-256-GCM, Argon2id, SHA-256, ECDSA P-256,
//! HPKE) and nothing of `coffer_crypto` but the vector inputs. The vector check uses it to derive
//! every intermediate key independently and to open, verify and parse what the crate made.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64ct::{Base64UrlUnpadded, Encoding};
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use sha2::{Digest, Sha256, Sha512};
use unicode_normalization::UnicodeNormalization;

use super::pattern;
use super::vectors::{unhex, Params};
use super::vectors_v2::{ChainVector, ContactV1Vector, DeviceKeyVector};

/// HKDF-SHA256 with no salt and one info string, 32 bytes.
pub fn hkdf(ikm: &[u8], info: &[u8]) -> [u8; 32] {
    hkdf_salted(None, ikm, info)
}

fn hkdf_salted(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, &mut out)
        .unwrap();
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    Sha256::digest(cat(parts)).into()
}

fn argon2id(password: &[u8], salt: &[u8], p: Params) -> [u8; 32] {
    let params = argon2::Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32)).unwrap();
    let mut out = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(password, salt, &mut out)
        .unwrap();
    out
}

/// §2.1: master = Argon2id(NFKC(password) as UTF-8, salt, m, t, p), 32 bytes.
pub fn master(password: &str, salt: &[u8], p: Params) -> [u8; 32] {
    let nfkc: String = password.nfkc().collect();
    argon2id(nfkc.as_bytes(), salt, p)
}

/// §4: opens `tag ‖ nonce(12) ‖ ct ‖ tag(16)` with AAD `domain ‖ tag ‖ context`.
fn open_box(key: &[u8; 32], tag: u8, domain: &[u8], context: &[u8], blob: &[u8]) -> Vec<u8> {
    assert_eq!(blob[0], tag, "blob tag");
    Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(&blob[1..13]),
            Payload {
                msg: &blob[13..],
                aad: &cat(&[domain, &[tag], context]),
            },
        )
        .expect("the blob opens with the key and AAD docs/CRYPTO.md gives")
}

fn public_key_of(scalar: &[u8]) -> Vec<u8> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    p256::SecretKey::from_slice(scalar)
        .unwrap()
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}

/// §3.1: ECDSA P-256 / SHA-256 over `domain ‖ tag ‖ signer key ‖ statement`, low-S `r ‖ s`.
fn assert_signed(signer: &[u8], domain: &[u8], tag: u8, statement: &[u8], signature: &[u8]) {
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(signer).unwrap();
    let sig = p256::ecdsa::Signature::from_slice(signature).unwrap();
    assert!(sig.normalize_s().is_none(), "signature is in low-S form");
    key.verify(&cat(&[domain, &[tag], signer, statement]), &sig)
        .expect("signature verifies over the statement docs/CRYPTO.md gives");
}

/// The derived keys the crate does not expose, computed from the document.
pub struct Intermediates {
    pub password_nfkc: String,
    pub master: [u8; 32],
    pub password_kek: [u8; 32],
    pub recovery_kek: [u8; 32],
    pub identity_kek: [u8; 32],
    pub metadata_key: [u8; 32],
    pub owner_slot_key: [u8; 32],
    pub account_record_key: [u8; 32],
    pub link_password_nfkc: String,
    pub link_argon2: [u8; 32],
    pub link_prk: [u8; 32],
    pub link_wrap_key: [u8; 32],
    pub link_seal_key: [u8; 32],
}

impl Intermediates {
    pub fn of(v: &ChainVector) -> Self {
        let master = master(&v.password, &unhex(&v.kdf_salt), v.kdf_params);
        let account_key = unhex(&v.account_key);
        let link_password_nfkc: String = v.link_password.nfkc().collect();
        let link_argon2 = argon2id(
            link_password_nfkc.as_bytes(),
            &unhex(&v.link_salt),
            v.link_params,
        );
        let ikm = cat(&[&unhex(&v.link_secret), &[0x01], &link_argon2]);
        let (prk, hk) = Hkdf::<Sha256>::extract(Some(b"coffer/v2/link"), &ikm);
        let mut link_wrap_key = [0u8; 32];
        hk.expand(b"coffer/v2/link/wrap", &mut link_wrap_key)
            .unwrap();
        Self {
            password_nfkc: v.password.nfkc().collect(),
            master,
            password_kek: hkdf(&master, b"coffer/v1/password-kek"),
            recovery_kek: hkdf(&unhex(&v.recovery_key), b"coffer/v1/recovery-kek"),
            identity_kek: hkdf(&account_key, b"coffer/v1/identity-kek"),
            metadata_key: hkdf(
                &unhex(&v.file_key),
                &cat(&[b"coffer/v1/metadata", &unhex(&v.file_id)]),
            ),
            owner_slot_key: hkdf(&account_key, b"coffer/v2/owner-slot-key"),
            account_record_key: hkdf(&account_key, b"coffer/v2/account-record-key"),
            link_password_nfkc,
            link_argon2,
            link_prk: prk.into(),
            link_wrap_key,
            link_seal_key: hkdf(&account_key, b"coffer/v2/link-secret-seal-key"),
        }
    }
}

fn fingerprint(public_key: &[u8]) -> String {
    let d = Sha512::digest(cat(&[b"coffer/v1/fingerprint", public_key]));
    (0..12)
        .map(|i| {
            let v = d[5 * i..5 * i + 5]
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            format!("{:05}", v % 100_000)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks one chain vector against the document, step by step.
pub fn check_chain(v: &ChainVector) {
    let s = Intermediates::of(v);
    let account_key = unhex(&v.account_key);
    let file_key = unhex(&v.file_key);
    let file_id = unhex(&v.file_id);
    assert_ne!(
        s.password_nfkc, v.password,
        "the vector password is not already NFKC"
    );
    assert_eq!(hex::encode(s.password_nfkc.as_bytes()), v.password_nfkc);
    assert_eq!(hex::encode(s.master), v.master);
    assert_eq!(hex::encode(hkdf(&s.master, b"coffer/v1/auth")), v.auth_key);

    // Account key under password and recovery key, format v2 (§4: 0x0B, 0x0C).
    let sealed = unhex(&v.sealed_account_key);
    let opened = open_box(
        &s.password_kek,
        0x0B,
        b"coffer/v2/account-key/password",
        &[],
        &sealed,
    );
    assert_eq!(opened, account_key);
    let sealed = unhex(&v.sealed_account_key_recovery);
    let opened = open_box(
        &s.recovery_kek,
        0x0C,
        b"coffer/v2/account-key/recovery",
        &[],
        &sealed,
    );
    assert_eq!(opened, account_key);

    // The account proof (§2.4): HKDF of the account key under its own label, not the key.
    let proof = hkdf(&account_key, b"coffer/v2/account-proof");
    assert_eq!(hex::encode(proof), v.account_proof);
    assert_ne!(&proof[..], &account_key[..]);

    // Identity key (§3, §4 0x03).
    let public = public_key_of(&unhex(&v.identity_scalar));
    assert_eq!(hex::encode(&public), v.identity_public_key);
    assert_eq!(fingerprint(&public), v.fingerprint);
    let scalar = open_box(
        &s.identity_kek,
        0x03,
        b"coffer/v1/identity-key",
        &public,
        &unhex(&v.sealed_private_key),
    );
    assert_eq!(scalar, unhex(&v.identity_scalar));

    // The stream (§6): header fields, derived keys, every chunk, the content digest (§6.5).
    let ct = unhex(&v.ciphertext);
    let header = &ct[..91];
    assert_eq!(hex::encode(header), v.header);
    assert_eq!(&header[..7], b"COFFER\x01");
    assert_eq!(header[7..11], v.chunk_size.to_be_bytes());
    let salt = &header[11..43];
    assert_eq!(hex::encode(salt), v.stream_salt);
    assert_eq!(&header[43..59], &file_id[..]);
    let commitment = hkdf_salted(
        Some(salt),
        &file_key,
        &cat(&[b"coffer/v1/commit", &file_id]),
    );
    assert_eq!(&header[59..91], &commitment);
    assert_eq!(hex::encode(commitment), v.commitment);
    let payload_key = hkdf_salted(
        Some(salt),
        &file_key,
        &cat(&[b"coffer/v1/payload", &file_id]),
    );
    assert_eq!(hex::encode(payload_key), v.payload_key);
    let aead = Aes256Gcm::new((&payload_key).into());
    let chunks: Vec<&[u8]> = ct[91..].chunks(v.chunk_size as usize + 16).collect();
    let mut plaintext = Vec::new();
    let mut digest_input = cat(&[b"coffer/v2/content-digest", header]);
    for (i, chunk) in chunks.iter().enumerate() {
        let mut nonce = [0u8; 12];
        nonce[3..11].copy_from_slice(&(i as u64).to_be_bytes());
        nonce[11] = u8::from(i + 1 == chunks.len());
        let pt = aead
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: chunk,
                    aad: header,
                },
            )
            .expect("chunk opens with the documented nonce and AAD");
        plaintext.extend(pt);
        digest_input.extend_from_slice(&Sha256::digest(chunk));
    }
    assert_eq!(plaintext, pattern(v.plaintext_len));
    let content_digest: [u8; 32] = Sha256::digest(&digest_input).into();
    assert_eq!(hex::encode(content_digest), v.content_digest);

    // Metadata (§7).
    assert_eq!(hex::encode(s.metadata_key), v.metadata_key);
    let sealed_metadata = unhex(&v.sealed_metadata);
    let encoded = open_box(
        &s.metadata_key,
        0x05,
        b"coffer/v1/metadata",
        &file_id,
        &sealed_metadata,
    );
    let name_len = u16::from_be_bytes([encoded[0], encoded[1]]) as usize;
    assert_eq!(&encoded[2..2 + name_len], v.name.as_bytes());
    assert_eq!(encoded.len() % 64, 0);

    // Owner key slot and version record (§13): the same statement under a MAC and a signature.
    let metadata_digest = sha256(&[&sealed_metadata]);
    let record = unhex(&v.version_record);
    assert_eq!(record.len(), 106);
    assert_eq!(record[0], 0x09);
    assert_eq!(record[1..9], 1u64.to_be_bytes());
    assert_eq!(record[9], 0x01);
    assert_eq!(&record[10..42], &content_digest);
    let statement = cat(&[
        &file_id,
        &1u64.to_be_bytes(),
        &[0x01],
        &content_digest,
        &metadata_digest,
    ]);
    assert_eq!(hex::encode(s.owner_slot_key), v.owner_slot_key);
    let slot_key = open_box(
        &s.owner_slot_key,
        0x08,
        b"coffer/v2/owner-slot",
        &cat(&[&public, &statement]),
        &unhex(&v.key_slot),
    );
    assert_eq!(slot_key, file_key);
    assert_signed(
        &public,
        b"coffer/v2/file-version",
        0x09,
        &statement,
        &record[42..],
    );

    // The share: HPKE base-mode wrap (§5) and the grant signature (§5.1).
    let recipient_scalar = unhex(&v.recipient_scalar);
    let recipient = public_key_of(&recipient_scalar);
    assert_eq!(hex::encode(&recipient), v.recipient_public_key);
    let wrapped = unhex(&v.wrapped_key);
    {
        use hpke::{Deserializable, OpModeR};
        type Kem = hpke::kem::DhP256HkdfSha256;
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(&recipient_scalar).unwrap();
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&wrapped[1..66]).unwrap();
        let opened = hpke::single_shot_open::<hpke::aead::AesGcm256, hpke::kdf::HkdfSha256, Kem>(
            &OpModeR::Base,
            &sk,
            &enc,
            b"coffer/v1/file-key-wrap",
            &wrapped[66..],
            &cat(&[&[0x04], &file_id]),
        )
        .unwrap();
        assert_eq!(opened, file_key);
    }
    let expiry = match v.grant_expires_at_ms {
        None => vec![0x00],
        Some(at) => cat(&[&[0x01], &at.to_be_bytes()]),
    };
    let grant = unhex(&v.grant_signature);
    assert_eq!(grant[0], 0x0D);
    assert_signed(
        &public,
        b"coffer/v2/grant",
        0x0D,
        &cat(&[&file_id, &recipient, &wrapped, &expiry]),
        &grant[1..],
    );

    // The account record (§10.2).
    assert_eq!(hex::encode(s.account_record_key), v.account_record_key);
    let record = open_box(
        &s.account_record_key,
        0x0A,
        b"coffer/v2/account-record",
        &public,
        &unhex(&v.account_record),
    );
    let name = v.recipient_username.as_bytes();
    let mut expected = cat(&[
        &1u64.to_be_bytes(),
        &[0x01],
        &1u16.to_be_bytes(),
        &(name.len() as u16).to_be_bytes(),
        name,
        &recipient,
        &[2],
    ]);
    expected.resize(expected.len().next_multiple_of(256), 0);
    assert_eq!(record, expected);

    // The v2 link (§9).
    let secret = unhex(&v.link_secret);
    assert_eq!(
        v.link_fragment,
        Base64UrlUnpadded::encode_string(&cat(&[&[0x02], &secret]))
    );
    let link_id = &sha256(&[b"coffer/v2/link-id", &secret, &public, &file_id])[..16];
    assert_eq!(hex::encode(link_id), v.link_id);
    assert_ne!(
        s.link_password_nfkc, v.link_password,
        "the link password is not already NFKC"
    );
    assert_eq!(
        hex::encode(s.link_password_nfkc.as_bytes()),
        v.link_password_nfkc
    );
    assert_eq!(hex::encode(s.link_argon2), v.link_argon2);
    assert_eq!(hex::encode(s.link_prk), v.link_prk);
    let mut token = [0u8; 32];
    Hkdf::<Sha256>::from_prk(&s.link_prk)
        .unwrap()
        .expand(b"coffer/v2/link/auth", &mut token)
        .unwrap();
    assert_eq!(hex::encode(token), v.link_auth_token);
    assert_eq!(
        hex::encode(sha256(&[b"coffer/v1/link/token-digest", &token])),
        v.link_token_digest
    );
    assert_eq!(hex::encode(s.link_wrap_key), v.link_wrap_key);
    let opened = open_box(
        &s.link_wrap_key,
        0x06,
        b"coffer/v2/link/file-key",
        link_id,
        &unhex(&v.link_wrapped_key),
    );
    assert_eq!(opened, file_key);

    // The link's verifier (§9): HKDF of the secret alone, 16 bytes.
    let mut verifier = [0u8; 16];
    Hkdf::<Sha256>::new(None, &secret)
        .expand(b"coffer/v2/link-verifier", &mut verifier)
        .unwrap();
    assert_eq!(hex::encode(verifier), v.link_verifier);

    // The secret sealed for the owner (§4 0x0E), bound to the link id.
    assert_eq!(hex::encode(s.link_seal_key), v.link_seal_key);
    let sealed = unhex(&v.link_sealed_secret);
    assert_eq!(sealed.len(), 61);
    let opened = open_box(
        &s.link_seal_key,
        0x0E,
        b"coffer/v2/link-secret-seal",
        link_id,
        &sealed,
    );
    assert_eq!(opened, secret);
}

/// §4 0x07: the v1 contact record binds the canonical username.
pub fn check_contact(v: &ContactV1Vector) {
    let key = hkdf(&unhex(&v.account_key), b"coffer/v1/contact-key");
    assert_eq!(hex::encode(key), v.contact_key);
    let record = open_box(
        &key,
        0x07,
        b"coffer/v1/contact",
        v.username.as_bytes(),
        &unhex(&v.sealed),
    );
    assert_eq!(record[..65], public_key_of(&unhex(&v.contact_scalar))[..]);
    assert_eq!(record[65], u8::from(v.verified));
}

/// §2.5, §4 0x0F: the account key kept on a device, under the session's unlock key, bound to the
/// account's canonical username; the plaintext is the format byte, then the key.
pub fn check_device_key(v: &DeviceKeyVector) {
    let canonical: String = v
        .username
        .trim()
        .nfkc()
        .flat_map(char::to_lowercase)
        .collect();
    assert_eq!(
        v.username, canonical,
        "the vector's username is canonical (§2.3)"
    );
    let sealed = unhex(&v.sealed);
    assert_eq!(sealed.len(), 62);
    let unlock_key: [u8; 32] = unhex(&v.unlock_key).try_into().unwrap();
    assert_eq!(hex::encode(&sealed[1..13]), v.nonce);
    let plaintext = open_box(
        &unlock_key,
        0x0F,
        b"coffer/v2/account-key/device",
        v.username.as_bytes(),
        &sealed,
    );
    assert!(v.format == 1 || v.format == 2);
    assert_eq!(plaintext, cat(&[&[v.format], &unhex(&v.account_key)]));
}
