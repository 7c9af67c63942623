//! Request and response bodies shared by the browser and the server.
//!
//! Binary values travel as unpadded base64url strings. Nothing in here is a
//! secret the server may not see: the auth key is a one-way derivation of the
//! password, and every key is sealed before it is put in a body.

use coffer_crypto::KdfParams;
use serde::{Deserialize, Serialize};

/// Serde helpers for `Vec<u8>` as unpadded base64url.
pub mod b64 {
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
        let text = <&str>::deserialize(d)?;
        decode(text).map_err(serde::de::Error::custom)
    }
}

/// The KDF inputs for a username (real for known users, stable fakes otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfSetup {
    #[serde(with = "b64")]
    pub salt: Vec<u8>,
    pub params: KdfParams,
}

/// What the browser sends to create an account: no password, no plaintext key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(with = "b64")]
    pub auth_key: Vec<u8>,
    pub kdf: KdfSetup,
    #[serde(with = "b64")]
    pub sealed_account_key_password: Vec<u8>,
    #[serde(with = "b64")]
    pub sealed_account_key_recovery: Vec<u8>,
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    #[serde(with = "b64")]
    pub sealed_private_key: Vec<u8>,
}

/// What a logged-in browser gets back to unlock its keys locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBundle {
    pub username: String,
    pub kdf: KdfSetup,
    #[serde(with = "b64")]
    pub sealed_account_key: Vec<u8>,
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    #[serde(with = "b64")]
    pub sealed_private_key: Vec<u8>,
}

/// A new API token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: i64,
    pub token: String,
    pub expires_at_ms: i64,
}

/// An API token as listed on the account page (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked: bool,
}
