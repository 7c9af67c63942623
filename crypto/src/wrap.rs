//! Wrapping a file key to a user's public key with HPKE (RFC 9180), base mode,
//! DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRngCore;

use crate::file_key::{FileId, FileKey};
use crate::identity::{HpkeKem, IdentityKeyPair, PublicKey, PUBLIC_KEY_LEN};
use crate::primitives::{to_key, BlobTag, GCM_TAG_LEN, KEY_LEN};
use crate::Error;

type HpkeEncappedKey = <HpkeKem as hpke::Kem>::EncappedKey;

/// HPKE `info`: names the purpose and version of the wrap.
const HPKE_INFO: &[u8] = b"coffer/v1/file-key-wrap";
/// Length of a wrapped file key: tag, `enc`, encrypted key, GCM tag.
pub(crate) const WRAPPED_FILE_KEY_LEN: usize = 1 + PUBLIC_KEY_LEN + KEY_LEN + GCM_TAG_LEN;

/// Wraps `key` to `recipient` (blob type `0x04`: `0x04 || enc(65) || ct(48)`, 114 bytes).
/// The HPKE associated data is `0x04 || file id`, so the wrap only opens for this file.
pub fn wrap_file_key(
    recipient: &PublicKey,
    key: &FileKey,
    file_id: &FileId,
    rng: &mut impl CryptoRngCore,
) -> Vec<u8> {
    let (enc, ciphertext) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, HpkeKem, _>(
        &OpModeS::Base,
        &recipient.to_hpke(),
        HPKE_INFO,
        &key.0,
        &wrap_aad(file_id),
        rng,
    )
    .expect("HPKE sealing to a validated public key cannot fail");
    let mut out = Vec::with_capacity(WRAPPED_FILE_KEY_LEN);
    out.push(BlobTag::HpkeWrappedFileKey as u8);
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ciphertext);
    out
}

/// Unwraps a blob made by [`wrap_file_key`] with the recipient's identity key.
pub fn unwrap_file_key(
    identity: &IdentityKeyPair,
    wrapped: &[u8],
    file_id: &FileId,
) -> Result<FileKey, Error> {
    let (&tag, rest) = wrapped.split_first().ok_or(Error::Malformed)?;
    if tag != BlobTag::HpkeWrappedFileKey as u8 {
        return Err(Error::UnsupportedVersion);
    }
    if wrapped.len() != WRAPPED_FILE_KEY_LEN {
        return Err(Error::Malformed);
    }
    let (enc, ciphertext) = rest.split_at(PUBLIC_KEY_LEN);
    // An `enc` that is not a curve point is a corrupt wrap like any other: one error.
    let enc = HpkeEncappedKey::from_bytes(enc).map_err(|_| Error::Decrypt)?;
    let plaintext = zeroize::Zeroizing::new(
        hpke::single_shot_open::<AesGcm256, HkdfSha256, HpkeKem>(
            &OpModeR::Base,
            identity.hpke_secret(),
            &enc,
            HPKE_INFO,
            ciphertext,
            &wrap_aad(file_id),
        )
        .map_err(|_| Error::Decrypt)?,
    );
    Ok(FileKey(*to_key(&plaintext)?))
}

fn wrap_aad(file_id: &FileId) -> [u8; 17] {
    let mut aad = [0u8; 17];
    aad[0] = BlobTag::HpkeWrappedFileKey as u8;
    aad[1..].copy_from_slice(file_id.as_bytes());
    aad
}

#[cfg(test)]
#[path = "../tests/common/replay_rng.rs"]
mod test_rng;

#[cfg(test)]
mod tests {
    //! RFC 9180 Appendix A test vectors for this crate's suite, checked against the `hpke` crate as
    //! configured here (the public API hides the suite behind Coffer's framing).
    use super::*;
    use crate::identity::{HpkePrivateKey, HpkePublicKey};
    use hpke::aead::AesGcm256;
    use hpke::Kem as _;

    #[derive(serde::Deserialize)]
    struct Vector {
        mode: u8,
        kem_id: u16,
        kdf_id: u16,
        aead_id: u16,
        info: String,
        #[serde(rename = "ikmR")]
        ikm_r: String,
        #[serde(rename = "ikmE")]
        ikm_e: String,
        #[serde(rename = "skRm")]
        sk_rm: String,
        #[serde(rename = "pkRm")]
        pk_rm: String,
        enc: String,
        encryptions: Vec<Encryption>,
    }

    #[derive(serde::Deserialize)]
    struct Encryption {
        aad: String,
        ct: String,
        pt: String,
    }

    /// Yields fixed bytes, like the RFC's `ikmE` fed into `GenerateKeyPair`.
    use super::test_rng::ReplayRng;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn vector() -> Vector {
        let all: Vec<Vector> = serde_json::from_str(include_str!(
            "../tests/vectors/rfc9180_p256_sha256_aes256gcm.json"
        ))
        .unwrap();
        let v = all.into_iter().next().unwrap();
        assert_eq!(
            (v.mode, v.kem_id, v.kdf_id, v.aead_id),
            (0, 0x0010, 0x0001, 0x0002)
        );
        v
    }

    #[test]
    fn rfc9180_derive_key_pair_matches_vector() {
        let v = vector();
        let (sk, pk) = HpkeKem::derive_keypair(&hex(&v.ikm_r));
        assert_eq!(sk.to_bytes().as_slice(), hex(&v.sk_rm));
        assert_eq!(pk.to_bytes().as_slice(), hex(&v.pk_rm));
    }

    #[test]
    fn rfc9180_seal_with_rfc_ephemeral_ikm_reproduces_enc_and_every_ciphertext() {
        let v = vector();
        let pk = HpkePublicKey::from_bytes(&hex(&v.pk_rm)).unwrap();
        let mut rng = ReplayRng::new(&[&hex(&v.ikm_e)]);
        let (enc, mut ctx) = hpke::setup_sender::<AesGcm256, HkdfSha256, HpkeKem, _>(
            &OpModeS::Base,
            &pk,
            &hex(&v.info),
            &mut rng,
        )
        .unwrap();
        rng.assert_exhausted();
        assert_eq!(enc.to_bytes().as_slice(), hex(&v.enc));
        for e in &v.encryptions {
            assert_eq!(ctx.seal(&hex(&e.pt), &hex(&e.aad)).unwrap(), hex(&e.ct));
        }
    }

    #[test]
    fn rfc9180_open_recovers_every_plaintext() {
        let v = vector();
        let sk = HpkePrivateKey::from_bytes(&hex(&v.sk_rm)).unwrap();
        let enc = HpkeEncappedKey::from_bytes(&hex(&v.enc)).unwrap();
        let mut ctx = hpke::setup_receiver::<AesGcm256, HkdfSha256, HpkeKem>(
            &OpModeR::Base,
            &sk,
            &enc,
            &hex(&v.info),
        )
        .unwrap();
        assert_eq!(v.encryptions.len(), 257);
        for e in &v.encryptions {
            assert_eq!(ctx.open(&hex(&e.ct), &hex(&e.aad)).unwrap(), hex(&e.pt));
        }
    }

    #[test]
    fn rfc9180_single_shot_matches_first_encryption() {
        let v = vector();
        let pk = HpkePublicKey::from_bytes(&hex(&v.pk_rm)).unwrap();
        let first = &v.encryptions[0];
        let (enc, ct) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, HpkeKem, _>(
            &OpModeS::Base,
            &pk,
            &hex(&v.info),
            &hex(&first.pt),
            &hex(&first.aad),
            &mut ReplayRng::new(&[&hex(&v.ikm_e)]),
        )
        .unwrap();
        assert_eq!(enc.to_bytes().as_slice(), hex(&v.enc));
        assert_eq!(ct, hex(&first.ct));
    }
}
