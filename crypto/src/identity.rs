//! The identity key pair (P-256): the public key is stored in the clear so others can wrap file
//! keys to it; the private key is sealed under the account key.

use hpke::{Deserializable, Serializable};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::account::AccountKey;
use crate::primitives::{hkdf_sha256, open_box, seal_box, BlobTag, KEY_LEN};
use crate::Error;

/// The KEM of every HPKE wrap: DHKEM(P-256, HKDF-SHA256). The identity key pair is its key pair,
/// so the types live here and `wrap` uses them (not the other way round).
pub(crate) type HpkeKem = hpke::kem::DhP256HkdfSha256;
pub(crate) type HpkePrivateKey = <HpkeKem as hpke::Kem>::PrivateKey;
pub(crate) type HpkePublicKey = <HpkeKem as hpke::Kem>::PublicKey;

/// Length of an uncompressed SEC1 P-256 point.
pub(crate) const PUBLIC_KEY_LEN: usize = 65;
const INFO_IDENTITY_KEK: &[u8] = b"coffer/v1/identity-kek";
const AAD_IDENTITY: &[u8] = b"coffer/v1/identity-key";
const FINGERPRINT_DOMAIN: &[u8] = b"coffer/v1/fingerprint";
const FINGERPRINT_GROUPS: usize = 12;

/// A user's P-256 key pair. File keys are wrapped to its public key with HPKE, and the same key
/// signs what the user vouches for (file versions, grants) with ECDSA (docs/CRYPTO.md §3.1).
pub struct IdentityKeyPair {
    secret: HpkePrivateKey,
    signing: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl IdentityKeyPair {
    /// A fresh key pair: 32 bytes are read from `rng` until they form a valid non-zero scalar
    /// (rejection sampling; a retry happens with probability below 2^-32).
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        loop {
            let mut candidate = Zeroizing::new([0u8; KEY_LEN]);
            rng.fill_bytes(candidate.as_mut());
            if let Ok(pair) = Self::from_scalar_bytes(candidate.as_ref()) {
                return pair;
            }
        }
    }

    fn from_scalar_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let secret = p256::SecretKey::from_slice(bytes).map_err(|_| Error::Malformed)?;
        let public = PublicKey(secret.public_key());
        let signing = p256::ecdsa::SigningKey::from(&secret);
        let secret = HpkePrivateKey::from_bytes(bytes).map_err(|_| Error::Malformed)?;
        Ok(Self {
            secret,
            signing,
            public,
        })
    }

    /// The public half, to be published.
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    pub(crate) fn hpke_secret(&self) -> &HpkePrivateKey {
        &self.secret
    }

    pub(crate) fn signing_key(&self) -> &p256::ecdsa::SigningKey {
        &self.signing
    }

    /// Seals the 32-byte private scalar under a key derived from the account key (blob type
    /// `0x03`); the public key is bound into the associated data.
    pub fn seal_private_key(
        &self,
        account_key: &AccountKey,
        rng: &mut impl CryptoRngCore,
    ) -> Vec<u8> {
        let kek = hkdf_sha256(None, &account_key.0, &[INFO_IDENTITY_KEK]);
        let scalar = Zeroizing::new(self.secret.to_bytes());
        seal_box(
            &kek,
            BlobTag::IdentityPrivateKey,
            AAD_IDENTITY,
            &self.public.to_bytes(),
            scalar.as_slice(),
            rng,
        )
    }

    /// Opens a sealed private key and checks that it belongs to `expected_public`.
    pub fn open(
        account_key: &AccountKey,
        sealed_private_key: &[u8],
        expected_public: &PublicKey,
    ) -> Result<Self, Error> {
        let kek = hkdf_sha256(None, &account_key.0, &[INFO_IDENTITY_KEK]);
        let scalar = open_box(
            &kek,
            BlobTag::IdentityPrivateKey,
            AAD_IDENTITY,
            &expected_public.to_bytes(),
            sealed_private_key,
            Some(KEY_LEN),
        )?;
        let pair = Self::from_scalar_bytes(&scalar)?;
        let matches = pair.public.to_bytes().ct_eq(&expected_public.to_bytes());
        if bool::from(matches) {
            Ok(pair)
        } else {
            Err(Error::PublicKeyMismatch)
        }
    }
}

/// A P-256 public key (a point on the curve, never the identity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(p256::PublicKey);

impl PublicKey {
    /// Parses a 65-byte uncompressed SEC1 point (`0x04 || x || y`), checking it is on the curve.
    pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
        if b.len() != PUBLIC_KEY_LEN || b[0] != 0x04 {
            return Err(Error::InvalidPublicKey);
        }
        p256::PublicKey::from_sec1_bytes(b)
            .map(Self)
            .map_err(|_| Error::InvalidPublicKey)
    }

    /// The 65-byte uncompressed SEC1 encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_encoded_point(false).as_bytes().to_vec()
    }

    pub(crate) fn verifying_key(&self) -> p256::ecdsa::VerifyingKey {
        p256::ecdsa::VerifyingKey::from(&self.0)
    }

    pub(crate) fn to_hpke(&self) -> HpkePublicKey {
        HpkePublicKey::from_bytes(&self.to_bytes())
            .expect("a valid p256 public key is a valid HPKE P-256 public key")
    }

    /// A safety number for humans to compare out of band: 12 groups of 5 decimal digits taken
    /// from SHA-512(`"coffer/v1/fingerprint"` || public key bytes).
    pub fn fingerprint(&self) -> String {
        let digest = Sha512::new()
            .chain_update(FINGERPRINT_DOMAIN)
            .chain_update(self.to_bytes())
            .finalize();
        let groups: Vec<String> = digest
            .chunks_exact(5)
            .take(FINGERPRINT_GROUPS)
            .map(|five| {
                let value = five.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                format!("{:05}", value % 100_000)
            })
            .collect();
        groups.join(" ")
    }
}
