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
    /// `AccountKey::proof` of the new account key (32 bytes), kept as a slow hash: what a reset
    /// with the recovery key proves (docs/CRYPTO.md §2.4). Optional for older browsers, whose
    /// accounts send it once after a login.
    #[serde(default, with = "b64::option", skip_serializing_if = "Option::is_none")]
    pub account_proof: Option<Vec<u8>>,
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
    /// The server has no account proof for this account yet (an account made before resets
    /// with the recovery key existed): the browser sends it once, after unlocking
    /// (`/api/account-proof`).
    #[serde(default)]
    pub needs_account_proof: bool,
}

/// `GET /api/me`: who a token or session belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The display form of the username.
    pub username: String,
}

/// What an API token may do. A token never creates tokens, reads the sealed keys, changes the
/// password or deletes the account: those need a browser session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Read the vault: list, download, read shares (every `GET`).
    Read,
    /// Change the vault: upload, rename, delete, share (every other method).
    Write,
}

impl TokenScope {
    /// Its name in a list like `read,write`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// Reads `read,write`; unknown names are dropped.
    pub fn parse_list(text: &str) -> Vec<TokenScope> {
        let mut scopes: Vec<TokenScope> = text
            .split(',')
            .filter_map(|s| match s.trim() {
                "read" => Some(TokenScope::Read),
                "write" => Some(TokenScope::Write),
                _ => None,
            })
            .collect();
        scopes.sort_by_key(|s| *s as u8);
        scopes.dedup();
        scopes
    }

    /// Writes a list like `read,write`.
    pub fn join(scopes: &[TokenScope]) -> String {
        let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        names.sort();
        names.dedup();
        names.join(",")
    }
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
    /// What it may do.
    #[serde(default)]
    pub scopes: Vec<TokenScope>,
}

/// `/api/password`: a new password, proved by the old one. The browser derived the new keys
/// with a fresh salt and re-sealed the account key; the server never sees either password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePassword {
    /// The auth key of the current password.
    #[serde(with = "b64")]
    pub old_auth_key: Vec<u8>,
    /// The auth key of the new password.
    #[serde(with = "b64")]
    pub new_auth_key: Vec<u8>,
    /// The new password's KDF inputs.
    pub kdf: KdfSetup,
    /// The account key sealed under the new password key.
    #[serde(with = "b64")]
    pub sealed_account_key_password: Vec<u8>,
    /// End every API token too (every other session ends anyway).
    #[serde(default)]
    pub revoke_tokens: bool,
}

/// `/api/recovery/key`: what a browser needs to open the account key with the recovery key.
/// Unknown names get a stable fake, so the answer does not say whether a name exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySeal {
    /// The account key sealed under the recovery key (blob `0x02` or `0x0C`).
    #[serde(with = "b64")]
    pub sealed_account_key_recovery: Vec<u8>,
}

/// `/api/recovery/reset`: a new password (and a new recovery key), proved by the account key the
/// recovery key opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryReset {
    /// The account.
    pub username: String,
    /// `AccountKey::proof` of the account key the recovery key opened.
    #[serde(with = "b64")]
    pub account_proof: Vec<u8>,
    /// The new password's auth key.
    #[serde(with = "b64")]
    pub new_auth_key: Vec<u8>,
    /// The new password's KDF inputs.
    pub kdf: KdfSetup,
    /// The account key sealed under the new password key.
    #[serde(with = "b64")]
    pub sealed_account_key_password: Vec<u8>,
    /// The account key sealed under the new recovery key (the old one stops working).
    #[serde(with = "b64")]
    pub sealed_account_key_recovery: Vec<u8>,
}

/// One of the user's sessions, on the Account page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Its id, for ending it.
    pub id: i64,
    /// Started at (ms since the epoch).
    pub created_at: i64,
    /// Last request (ms since the epoch; refreshed at most once a minute).
    pub last_seen_at: i64,
    /// The client address it was started from.
    pub client_ip: Option<String>,
    /// The user agent as the browser sent it.
    pub user_agent: Option<String>,
    /// Whether it is the session making this request.
    pub current: bool,
}

/// `/api/totp/setup`: a new TOTP secret for the authenticator app, not on until a code confirms
/// it. The server holds it (it must, to check codes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetup {
    /// The secret in base32, to type into an app.
    pub secret: String,
    /// The `otpauth://` URI an app scans (in `qr_svg`).
    pub otpauth_url: String,
    /// That URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// The Account page's view of the second factor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorStatus {
    /// TOTP is on: logins ask for a code after the password.
    pub totp: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
    /// Codes by email are on: logins ask for one (sent to the verified address).
    #[serde(default)]
    pub email_codes: bool,
}

/// What became of the newest mail Coffer queued for the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailState {
    /// `verify` (confirms the address) or `login` (a login code).
    pub kind: String,
    /// Where it is.
    pub delivery: MailDelivery,
    /// Tries so far.
    pub attempts: u32,
    /// Seconds until the next try, while it is retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_try_in_seconds: Option<u64>,
    /// Why the last try failed, in words for a person (never an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where a queued mail is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailDelivery {
    /// Waiting for its first try.
    Queued,
    /// The mail server took it.
    Sent,
    /// A try failed; another follows.
    Retrying,
    /// Given up (refused, expired, or too many tries).
    Failed,
}

/// The Account page's view of email.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailStatus {
    /// This server can send mail (`COFFER_SMTP_URL` is set); without it the rest is off.
    pub available: bool,
    /// This server wants a verified address before the first login.
    pub required: bool,
    /// The address, if one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The address was confirmed with a code sent to it.
    pub verified: bool,
    /// Codes by email at login are on.
    pub login_codes: bool,
    /// The newest mail queued for this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_mail: Option<MailState>,
}

/// What a login waiting after its password proof must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengePurpose {
    /// A second factor: a TOTP code, a recovery code, or a code sent by email.
    SecondFactor,
    /// A code sent to the address (this server requires a verified one).
    VerifyEmail,
}

/// `/api/login/challenge`: what the waiting login (its ticket in a cookie) asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeInfo {
    /// What it waits for.
    pub purpose: ChallengePurpose,
    /// An authenticator app's code is accepted.
    pub totp: bool,
    /// A code by email is accepted (and can be asked for again).
    pub email: bool,
    /// The address the code goes to, partly hidden (`a•••@example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_hint: Option<String>,
    /// The newest mail for this login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_mail: Option<MailState>,
}

/// How long a device stays unlocked (chosen at login).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepSpan {
    /// Until the browser closes (a session cookie; the usual idle timeout).
    Browser,
    /// A day.
    Day,
    /// Thirty days (at most `COFFER_KEEP_UNLOCKED_MAX_DAYS`).
    Month,
}

/// `/api/session/keep`: this session's unlock key and until when it lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeepUnlocked {
    /// 32 random bytes the device seals its copy of the account key under (blob `0x0F`).
    #[serde(with = "b64")]
    pub unlock_key: Vec<u8>,
    /// When the session ends at the latest (ms since the epoch).
    pub until_ms: i64,
}
