//! Binary values on the wire: unpadded base64url strings, and serde helpers for `Vec<u8>` fields.
//! Decoding is strict: padding, the standard alphabet and non-canonical trailing bits are refused.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Deserializer, Serializer};

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url.
pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

/// Serializes bytes as base64url.
pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// Deserializes base64url into bytes.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    decode(&text).map_err(|_| serde::de::Error::custom("a binary field is not unpadded base64url"))
}

/// The same for `Option<Vec<u8>>` (`null` or absent is `None`).
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes `Some` as base64url and `None` as `null`.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&super::encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes `null` or base64url.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                super::decode(&text).map_err(|_| {
                    serde::de::Error::custom("a binary field is not unpadded base64url")
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_and_standard_alphabet_text_is_refused() {
        assert_eq!(decode(&encode(&[0xfb, 0xff])).unwrap(), [0xfb, 0xff]);
        assert!(decode("-_8=").is_err());
        assert!(decode("+/8").is_err());
    }
}
