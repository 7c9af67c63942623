//! The recovery key and its human-readable form: Crockford Base32 in groups of four with a
//! 24-bit checksum, e.g. `7K3Q-…` (14 groups, 56 characters).

use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::primitives::{random_array, KEY_LEN};
use crate::Error;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHECKSUM_DOMAIN: &[u8] = b"coffer/v1/recovery-checksum";
const CHECKSUM_LEN: usize = 3;
/// Key plus checksum: 35 bytes = 280 bits = exactly 56 Base32 characters.
const ENCODED_BYTES: usize = KEY_LEN + CHECKSUM_LEN;
const ENCODED_CHARS: usize = ENCODED_BYTES * 8 / 5;
const GROUP_LEN: usize = 4;

/// A random 256-bit key that can recover the account key when the password is lost.
/// Shown to the user once, as text from [`RecoveryKey::to_display`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey([u8; KEY_LEN]);

impl RecoveryKey {
    /// A fresh random recovery key.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self(*random_array(rng))
    }

    pub(crate) fn as_secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The text shown to the user: 14 groups of 4 Crockford Base32 characters joined by `-`.
    pub fn to_display(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new([0u8; ENCODED_BYTES]);
        bytes[..KEY_LEN].copy_from_slice(&self.0);
        bytes[KEY_LEN..].copy_from_slice(&checksum(&self.0));
        let mut out = Zeroizing::new(String::with_capacity(
            ENCODED_CHARS + ENCODED_CHARS / GROUP_LEN,
        ));
        for i in 0..ENCODED_CHARS {
            if i > 0 && i % GROUP_LEN == 0 {
                out.push('-');
            }
            out.push(ALPHABET[quintet(bytes.as_ref(), i) as usize] as char);
        }
        out
    }

    /// Parses the text form. Case, spaces and dashes are ignored; `I`/`L` read as `1` and `O` as
    /// `0`. A wrong length, an unknown character or a checksum mismatch is
    /// [`Error::InvalidRecoveryKey`].
    pub fn parse(s: &str) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new([0u8; ENCODED_BYTES]);
        let mut count = 0usize;
        for c in s.chars() {
            if c == '-' || c.is_whitespace() {
                continue;
            }
            let value = decode_char(c).ok_or(Error::InvalidRecoveryKey)?;
            if count >= ENCODED_CHARS {
                return Err(Error::InvalidRecoveryKey);
            }
            set_quintet(bytes.as_mut(), count, value);
            count += 1;
        }
        if count != ENCODED_CHARS {
            return Err(Error::InvalidRecoveryKey);
        }
        let mut key = Self([0u8; KEY_LEN]);
        key.0.copy_from_slice(&bytes[..KEY_LEN]);
        if bool::from(checksum(&key.0).ct_eq(&bytes[KEY_LEN..])) {
            Ok(key)
        } else {
            Err(Error::InvalidRecoveryKey)
        }
    }
}

fn checksum(key: &[u8; KEY_LEN]) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::new()
        .chain_update(CHECKSUM_DOMAIN)
        .chain_update(key)
        .finalize();
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&digest[..CHECKSUM_LEN]);
    out
}

/// The `i`-th 5-bit group of `bytes`, most significant bit first.
fn quintet(bytes: &[u8], i: usize) -> u8 {
    (0..5).fold(0u8, |acc, b| {
        let bit = i * 5 + b;
        (acc << 1) | ((bytes[bit / 8] >> (7 - bit % 8)) & 1)
    })
}

fn set_quintet(bytes: &mut [u8], i: usize, value: u8) {
    for b in 0..5 {
        let bit = i * 5 + b;
        if (value >> (4 - b)) & 1 == 1 {
            bytes[bit / 8] |= 1 << (7 - bit % 8);
        }
    }
}

fn decode_char(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u8)
}
