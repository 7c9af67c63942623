//! Accounts: registration, login and API tokens (the server functions under `/api/`).
//!
//! Nothing in here is a secret the server may not see: the auth key is a one-way derivation of
//! the password, and every key is sealed before it is put in a body.

use coffer_crypto::KdfParams;
use serde::{Deserialize, Serialize};

use crate::b64;

/// The KDF inputs for a username (real for known users, stable fakes otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfSetup {
    /// The Argon2id salt.
    #[serde(with = "b64")]
    pub salt: Vec<u8>,
    /// The Argon2id parameters.
    pub params: KdfParams,
}

/// What the browser sends to create an account: no password, no plaintext key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// As typed; the server normalizes it ([`crate::validation::normalize_username`]).
    pub username: String,
    /// Optional e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// 32 bytes derived from the password; the server stores only its Argon2id hash.
    #[serde(with = "b64")]
    pub auth_key: Vec<u8>,
    /// The KDF inputs the browser chose.
    pub kdf: KdfSetup,
    /// The account key sealed under the password key.
    #[serde(with = "b64")]
    pub sealed_account_key_password: Vec<u8>,
    /// The account key sealed under the recovery key.
    #[serde(with = "b64")]
    pub sealed_account_key_recovery: Vec<u8>,
    /// The identity public key (65 bytes, SEC1 uncompressed P-256).
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    /// The identity private key sealed under the account key.
    #[serde(with = "b64")]
    pub sealed_private_key: Vec<u8>,
}

/// What a logged-in browser gets back to unlock its keys locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBundle {
    /// The display form of the username.
    pub username: String,
    /// The KDF inputs.
    pub kdf: KdfSetup,
    /// The account key sealed under the password key.
    #[serde(with = "b64")]
    pub sealed_account_key: Vec<u8>,
    /// The identity public key.
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    /// The identity private key sealed under the account key.
    #[serde(with = "b64")]
    pub sealed_private_key: Vec<u8>,
}

/// `GET /api/me`: who a token or session belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The display form of the username.
    pub username: String,
}

/// A new API token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    /// Its id, for revoking it.
    pub id: i64,
    /// The token itself (`cft_…`).
    pub token: String,
    /// When it stops working (ms since the epoch).
    pub expires_at_ms: i64,
}

/// An API token as listed on the account page (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    /// Its id.
    pub id: i64,
    /// The name its owner gave it.
    pub name: String,
    /// Created at (ms since the epoch).
    pub created_at_ms: i64,
    /// Expires at (ms since the epoch).
    pub expires_at_ms: i64,
    /// Whether it was revoked.
    pub revoked: bool,
}
