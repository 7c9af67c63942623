//! Sharing from the browser: look up and pin another user's public key, wrap a file key to it,
//! manage grants and links, and open a link (no account needed).

use coffer_crypto::{
    link_token_digest, open_contact, seal_contact, unwrap_file_key, wrap_file_key, Contact, FileId,
    FileKey, FileMetadata, KdfParams, LinkKeys, LinkPassword, LinkSecret, PublicKey,
};
use rand_core::{OsRng, RngCore};

use super::{
    file_id_from_hex,
    http::{self, HttpError, NO_BODY},
};
use crate::{
    keyring::UnlockedKeys,
    wire::sharing::{
        ContactList, GrantInfo, GrantList, LinkInfo, LinkKdf, LinkList, NewGrant, NewLink,
        OpenLink, OpenedLink, PublicLink, PutContact, UserKey,
    },
};

fn path_part(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// What Coffer knows about a user's key before sharing with them.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyCheck {
    /// First time: this key will be pinned.
    New {
        /// The key the server returned.
        public_key: PublicKey,
    },
    /// The pinned key, unchanged.
    Same {
        /// The key.
        public_key: PublicKey,
        /// Whether the user marked it verified.
        verified: bool,
    },
    /// The server returned a different key than the pinned one: sharing is blocked until the
    /// user confirms the new one.
    Changed {
        /// The pinned key.
        pinned: PublicKey,
        /// The key the server returned now.
        public_key: PublicKey,
    },
}

impl KeyCheck {
    /// The key the server returned.
    pub fn public_key(&self) -> &PublicKey {
        match self {
            KeyCheck::New { public_key }
            | KeyCheck::Same { public_key, .. }
            | KeyCheck::Changed { public_key, .. } => public_key,
        }
    }
}

/// Fetches `username`'s public key and compares it with the pinned one, if any. Returns the
/// server's canonical (normalised) form of the name with it: pins are kept under that name, so
/// "Bob" and "bob" cannot dodge the pin.
pub async fn check_key(
    keys: &UnlockedKeys,
    username: &str,
) -> Result<(String, KeyCheck), HttpError> {
    let found: UserKey = http::json(
        "GET",
        &format!("/api/users/{}/key", path_part(username)),
        NO_BODY,
    )
    .await?;
    let public_key = PublicKey::from_bytes(&found.public_key).map_err(|_| HttpError::Status {
        status: 502,
        code: "invalid_key".into(),
        message: "The server returned a damaged key for this user.".into(),
        missing_parts: Vec::new(),
    })?;
    let username = found.username;
    let contacts: ContactList = http::json("GET", "/api/contacts", NO_BODY).await?;
    let pinned = contacts
        .contacts
        .iter()
        .find(|c| c.username == username)
        .and_then(|c| open_contact(&keys.account_key, &username, &c.sealed).ok());
    let check = match pinned {
        None => KeyCheck::New { public_key },
        Some(c) if c.public_key == public_key => KeyCheck::Same {
            public_key,
            verified: c.verified,
        },
        Some(c) => KeyCheck::Changed {
            pinned: c.public_key,
            public_key,
        },
    };
    Ok((username, check))
}

/// Pins `public_key` for `username` (sealed under the account key, stored on the server).
pub async fn pin(
    keys: &UnlockedKeys,
    username: &str,
    public_key: &PublicKey,
    verified: bool,
) -> Result<(), HttpError> {
    let sealed = seal_contact(
        &keys.account_key,
        username,
        &Contact {
            public_key: public_key.clone(),
            verified,
        },
        &mut OsRng,
    );
    http::call(
        "PUT",
        &format!("/api/contacts/{}", path_part(username)),
        Some(&PutContact { sealed }),
    )
    .await
    .map(|_| ())
}

fn own_file_key(keys: &UnlockedKeys, file_id: &str, wrapped: &[u8]) -> Option<(FileId, FileKey)> {
    let id = file_id_from_hex(file_id)?;
    let key = unwrap_file_key(&keys.identity, wrapped, &id).ok()?;
    Some((id, key))
}

fn locked() -> HttpError {
    HttpError::Status {
        status: 400,
        code: "invalid".into(),
        message: "This file's key could not be opened.".into(),
        missing_parts: Vec::new(),
    }
}

/// Wraps the file key to `public_key` and grants `username` access.
pub async fn grant(
    keys: &UnlockedKeys,
    file_id: &str,
    own_wrapped_key: &[u8],
    username: &str,
    public_key: &PublicKey,
    expires_at: Option<i64>,
) -> Result<GrantInfo, HttpError> {
    let (id, key) = own_file_key(keys, file_id, own_wrapped_key).ok_or_else(locked)?;
    let wrapped_key = wrap_file_key(public_key, &key, &id, &mut OsRng);
    http::json(
        "POST",
        &format!("/api/files/{file_id}/grants"),
        Some(&NewGrant {
            grantee: username.to_string(),
            wrapped_key,
            expires_at,
        }),
    )
    .await
}

/// Who has access to a file, and its live links.
pub async fn access(file_id: &str) -> Result<(Vec<GrantInfo>, Vec<LinkInfo>), HttpError> {
    let grants: GrantList =
        http::json("GET", &format!("/api/files/{file_id}/grants"), NO_BODY).await?;
    let links: LinkList =
        http::json("GET", &format!("/api/files/{file_id}/links"), NO_BODY).await?;
    Ok((grants.grants, links.links))
}

/// Revokes `username`'s grant.
pub async fn revoke_grant(file_id: &str, username: &str) -> Result<(), HttpError> {
    let url = format!("/api/files/{file_id}/grants/{}", path_part(username));
    http::call("DELETE", &url, NO_BODY).await.map(|_| ())
}

/// Revokes a link.
pub async fn revoke_link(file_id: &str, link_id: &str) -> Result<(), HttpError> {
    let url = format!("/api/files/{file_id}/links/{link_id}");
    http::call("DELETE", &url, NO_BODY).await.map(|_| ())
}

/// Removes a file shared with the caller from their list.
pub async fn leave(file_id: &str) -> Result<(), HttpError> {
    http::call("DELETE", &format!("/api/shared/{file_id}"), NO_BODY)
        .await
        .map(|_| ())
}

/// Creates a link and returns its URL (`origin/s/<id>#<secret>`). The secret exists only in the
/// returned URL.
pub async fn create_link(
    keys: &UnlockedKeys,
    file_id: &str,
    own_wrapped_key: &[u8],
    expires_at: Option<i64>,
    max_downloads: Option<u32>,
    password: Option<&str>,
) -> Result<String, HttpError> {
    let (_, key) = own_file_key(keys, file_id, own_wrapped_key).ok_or_else(locked)?;
    let mut link_id = [0u8; 16];
    OsRng.fill_bytes(&mut link_id);
    let secret = LinkSecret::generate(&mut OsRng);
    let mut salt = [0u8; coffer_crypto::KDF_SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    let params = KdfParams::DEFAULT;
    let link_password = password.map(|p| LinkPassword {
        password: p,
        salt,
        params,
    });
    let link_keys = LinkKeys::derive(&secret, link_password.as_ref()).map_err(|_| locked())?;
    let body = NewLink {
        link_id: hex::encode(link_id),
        token_digest: link_token_digest(&link_keys.auth_token()).to_vec(),
        wrapped_key: link_keys.wrap_file_key(&key, &link_id, &mut OsRng),
        password_kdf: password.map(|_| LinkKdf {
            salt: salt.to_vec(),
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
        }),
        expires_at,
        max_downloads,
    };
    let _: LinkInfo =
        http::json("POST", &format!("/api/files/{file_id}/links"), Some(&body)).await?;
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    Ok(format!(
        "{origin}/s/{}#{}",
        hex::encode(link_id),
        secret.to_fragment().as_str()
    ))
}

/// Public facts about a link (whether it needs a password).
pub async fn link_info(link_id: &str) -> Result<PublicLink, HttpError> {
    http::json("GET", &format!("/api/links/{link_id}"), NO_BODY).await
}

/// A link opened with the right secret (and password).
pub struct OpenedFile {
    /// The file id (bound into the header, metadata and wrap).
    pub file_id: FileId,
    /// The file key.
    pub key: FileKey,
    /// Name, type, size.
    pub metadata: FileMetadata,
    /// Ciphertext size.
    pub ciphertext_size: u64,
    /// Downloads left, if limited.
    pub remaining: Option<u32>,
    /// The token the content route wants, base64url.
    pub token: String,
}

/// Why a link did not open.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkError {
    /// The server refused or could not be reached.
    Http(HttpError),
    /// The fragment is not a link secret (the link was cut when copied).
    BadSecret,
    /// The key from the link does not open the file.
    Damaged,
}

impl LinkError {
    /// Words for a person.
    pub fn message(&self) -> String {
        match self {
            LinkError::Http(HttpError::Status { status: 404, .. }) => {
                "This link is no longer available.".into()
            }
            LinkError::Http(HttpError::Status { status: 401, .. }) => "Wrong password.".into(),
            LinkError::Http(e) => e.message(),
            LinkError::BadSecret => {
                "This link is incomplete: the part after “#” is missing or cut. Ask for the \
                 whole link again."
                    .into()
            }
            LinkError::Damaged => "This link does not open its file; it may be damaged.".into(),
        }
    }
}

/// Derives the link keys from the fragment (and password) and opens the link.
pub async fn open_link(
    link_id: &str,
    fragment: &str,
    password: Option<&str>,
    kdf: Option<&LinkKdf>,
) -> Result<OpenedFile, LinkError> {
    let secret = LinkSecret::from_fragment(fragment).map_err(|_| LinkError::BadSecret)?;
    let id_bytes: [u8; 16] = hex::decode(link_id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(LinkError::BadSecret)?;
    let link_password = match (password, kdf) {
        (Some(p), Some(kdf)) => Some(LinkPassword {
            password: p,
            salt: kdf
                .salt
                .clone()
                .try_into()
                .map_err(|_| LinkError::Damaged)?,
            params: KdfParams {
                memory_kib: kdf.memory_kib,
                iterations: kdf.iterations,
                parallelism: kdf.parallelism,
            },
        }),
        _ => None,
    };
    let keys = LinkKeys::derive(&secret, link_password.as_ref()).map_err(|_| LinkError::Damaged)?;
    let token = keys.auth_token();
    let opened: OpenedLink = http::json(
        "POST",
        &format!("/api/links/{link_id}/open"),
        Some(&OpenLink {
            token: token.to_vec(),
        }),
    )
    .await
    .map_err(LinkError::Http)?;
    let file_id = file_id_from_hex(&opened.file_id).ok_or(LinkError::Damaged)?;
    let key = keys
        .unwrap_file_key(&opened.wrapped_key, &id_bytes)
        .map_err(|_| LinkError::Damaged)?;
    let metadata = coffer_crypto::open_metadata(&key, &file_id, &opened.sealed_metadata)
        .map_err(|_| LinkError::Damaged)?;
    Ok(OpenedFile {
        file_id,
        key,
        metadata,
        ciphertext_size: opened.ciphertext_size,
        remaining: opened.remaining,
        token: crate::wire::b64::encode(&token),
    })
}
