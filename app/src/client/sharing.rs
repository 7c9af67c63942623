//! Sharing from the browser: look up and pin another user's public key, wrap a file key to it,
//! manage grants and links, and open a link (no account needed).

use coffer_crypto::{
    link_token_digest, sign_grant, verify_file_version, wrap_file_key, ContentBinding, FileId,
    FileKey, FileMetadata, KdfParams, LinkFormat, LinkKeys, LinkPassword, LinkSecret,
    PinnedContact, PublicKey, Trust,
};
use rand_core::{OsRng, RngCore};

use super::{
    account_record::{self, RecordError},
    file_id_from_hex,
    http::{self, HttpError, NO_BODY},
};
use crate::{
    keyring::UnlockedKeys,
    protocol::sharing::{
        GrantInfo, GrantList, LinkInfo, LinkKdf, LinkList, NewGrant, NewLink, OpenLink, OpenedLink,
        OutgoingGrants, PublicLink, UserKey,
    },
    trust::{previously_shared_keys, share_key_status, KeyStatus},
};

fn path_part(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// What the share dialog learned about someone's key.
pub struct LookedUp {
    /// The server's canonical (normalised) form of the name: pins are kept under it, so "Bob"
    /// and "bob" cannot dodge a pin.
    pub username: String,
    /// The key the server returned.
    pub public_key: PublicKey,
    /// What the user's pins and own signed grants say about it.
    pub status: KeyStatus,
}

/// Fetches `username`'s public key and judges it against the account record and the user's own
/// signed grants (`crate::trust::share_key_status`).
pub async fn look_up(keys: &UnlockedKeys, username: &str) -> Result<LookedUp, HttpError> {
    let found: UserKey = http::json(
        "GET",
        &format!("/api/users/{}/key", path_part(username)),
        NO_BODY,
    )
    .await
    .map_err(|e| match e {
        HttpError::Status { status: 404, .. } => {
            HttpError::refused(404, "No Coffer user has that name. Check the spelling.")
        }
        e => e,
    })?;
    let public_key = PublicKey::from_bytes(&found.public_key)
        .map_err(|_| HttpError::refused(502, "The server returned a damaged key for this user."))?;
    let loaded = account_record::load(keys).await?;
    let outgoing: OutgoingGrants = http::json("GET", "/api/grants", NO_BODY).await?;
    let before = previously_shared_keys(keys, &outgoing.grants, &found.username);
    let status = share_key_status(&loaded.state, &found.username, &public_key, &before);
    Ok(LookedUp {
        username: found.username,
        public_key,
        status,
    })
}

/// Pins `public_key` for `username` with `trust`. `force`: the user confirmed after a rolled-back
/// or damaged contact list (which is then kept as it is, or started afresh).
pub async fn pin(
    keys: &UnlockedKeys,
    username: &str,
    public_key: &PublicKey,
    trust: Trust,
    force: bool,
) -> Result<(), RecordError> {
    let contact = PinnedContact {
        username: username.to_string(),
        public_key: public_key.clone(),
        trust,
    };
    account_record::update(keys, force, |r| r.pin(contact.clone()))
        .await
        .map(|_| ())
}

/// Pins keys first seen on shares received (trust "seen"), if the record is current.
pub async fn pin_seen(
    keys: &UnlockedKeys,
    contacts: Vec<PinnedContact>,
) -> Result<(), RecordError> {
    if contacts.is_empty() {
        return Ok(());
    }
    account_record::update(keys, false, |r| {
        for c in &contacts {
            if r.contact(&c.username).is_none() {
                r.pin(c.clone());
            }
        }
    })
    .await
    .map(|_| ())
}

/// Wraps the file key to `public_key`, signs the grant and gives `username` access.
pub async fn grant(
    keys: &UnlockedKeys,
    file_id: &str,
    key: &FileKey,
    username: &str,
    public_key: &PublicKey,
    expires_at: Option<i64>,
) -> Result<GrantInfo, HttpError> {
    let id = file_id_from_hex(file_id)
        .ok_or_else(|| HttpError::refused(400, "This file cannot be shared."))?;
    let wrapped_key = wrap_file_key(public_key, key, &id, &mut OsRng);
    let signature = sign_grant(&keys.identity, &id, public_key, &wrapped_key, expires_at);
    http::json(
        "POST",
        &format!("/api/files/{file_id}/grants"),
        Some(&NewGrant {
            grantee: username.to_string(),
            grantee_key: public_key.to_bytes(),
            wrapped_key,
            signature,
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

/// The link's URL: `origin/s/<id>#<fragment>`.
fn link_url(link_id: &[u8; 16], secret: &LinkSecret) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!(
        "{origin}/s/{}#{}",
        hex::encode(link_id),
        secret.to_fragment().as_str()
    )
}

/// Creates a link (format v2: its id is bound to the owner's key and the file) and returns its
/// URL (`origin/s/<id>#<secret>`). The server gets the secret only sealed under the account key
/// (blob 0x0E, so the owner can copy the link again) and its one-way verifier.
pub async fn create_link(
    keys: &UnlockedKeys,
    file_id: &str,
    key: &FileKey,
    expires_at: Option<i64>,
    max_downloads: Option<u32>,
    password: Option<&str>,
    show_sender: bool,
) -> Result<String, HttpError> {
    let id = file_id_from_hex(file_id)
        .ok_or_else(|| HttpError::refused(400, "This file cannot be linked."))?;
    let secret = LinkSecret::generate(&mut OsRng);
    let link_id = secret
        .link_id(&keys.public_key(), &id)
        .expect("a new link is format v2");
    let mut salt = [0u8; coffer_crypto::KDF_SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    let params = KdfParams::DEFAULT;
    let link_password = password.map(|p| LinkPassword {
        password: p,
        salt,
        params,
    });
    let link_keys = LinkKeys::derive(&secret, link_password.as_ref())
        .map_err(|_| HttpError::refused(400, "The link could not be made."))?;
    let sealed_secret = secret
        .seal_for_owner(&keys.account_key, &link_id, &mut OsRng)
        .map_err(|_| HttpError::refused(400, "The link could not be made."))?;
    let body = NewLink {
        link_id: hex::encode(link_id),
        token_digest: link_token_digest(&link_keys.auth_token()).to_vec(),
        wrapped_key: link_keys.wrap_file_key(key, &link_id, &mut OsRng),
        password_kdf: password.map(|_| LinkKdf {
            salt: salt.to_vec(),
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
        }),
        expires_at,
        max_downloads,
        sealed_secret: Some(sealed_secret),
        verifier: Some(secret.verifier().to_vec()),
        show_sender,
    };
    let _: LinkInfo =
        http::json("POST", &format!("/api/files/{file_id}/links"), Some(&body)).await?;
    Ok(link_url(&link_id, &secret))
}

/// A link the owner can copy again, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkAgain {
    /// The whole URL, rebuilt from the secret sealed for the owner.
    Url(String),
    /// Made before links kept their secret for the owner: nobody can show it again.
    Older,
    /// The sealed secret does not open with this account's key for this link and file (altered,
    /// or another link's).
    Unreadable,
}

/// Rebuilds a link's URL for its owner from the secret sealed under their account key, checking
/// that the secret is the one this link id was made from, for this owner and file.
pub fn link_again(keys: &UnlockedKeys, file_id: &str, link: &LinkInfo) -> LinkAgain {
    let Some(sealed) = &link.sealed_secret else {
        return LinkAgain::Older;
    };
    let (Some(file), Some(link_id)) = (file_id_from_hex(file_id), link_id_from_hex(&link.link_id))
    else {
        return LinkAgain::Unreadable;
    };
    match LinkSecret::open_for_owner(&keys.account_key, &link_id, sealed) {
        Ok(secret) if secret.is_link_id(&link_id, &keys.public_key(), &file) => {
            LinkAgain::Url(link_url(&link_id, &secret))
        }
        _ => LinkAgain::Unreadable,
    }
}

/// A link id as its URL shows it: 32 lower-case hex characters.
fn link_id_from_hex(link_id: &str) -> Option<[u8; 16]> {
    let lower_hex = link_id.len() == 32
        && link_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    lower_hex
        .then(|| hex::decode(link_id).ok()?.try_into().ok())
        .flatten()
}

/// A link as the visitor's browser holds it after the first, local checks: its id and secret
/// parse, and (for links that have one) the secret matches the verifier the server keeps.
pub struct LinkVisit {
    link_id: String,
    id_bytes: [u8; 16],
    secret: LinkSecret,
    /// What the server says about the link: password inputs, expiry, downloads left.
    pub info: PublicLink,
    /// The link has a verifier and the secret matches it: a refused token can only mean a
    /// wrong password.
    verified: bool,
}

/// Reads a link: its id and the part after "#" are checked here first (a damaged link is said
/// at once, before any request), then the server's public facts, and the secret against the
/// link's verifier before any password is asked for or token sent.
pub async fn visit_link(link_id: &str, fragment: &str) -> Result<LinkVisit, LinkError> {
    let id_bytes = link_id_from_hex(link_id).ok_or(LinkError::Damaged)?;
    let secret = LinkSecret::from_fragment(fragment).map_err(|_| LinkError::Damaged)?;
    let info: PublicLink = http::json("GET", &format!("/api/links/{link_id}"), NO_BODY)
        .await
        .map_err(LinkError::from_http)?;
    let verified = match &info.verifier {
        Some(verifier) if !secret.matches_verifier(verifier) => return Err(LinkError::Damaged),
        Some(_) => true,
        None => false,
    };
    Ok(LinkVisit {
        link_id: link_id.to_string(),
        id_bytes,
        secret,
        info,
        verified,
    })
}

/// A link opened with the right secret (and password).
pub struct OpenedFile {
    /// The file id (bound into the header, metadata and wrap).
    pub file_id: FileId,
    /// Whether the link proves who made it (v2) or cannot (v1).
    pub format: LinkFormat,
    /// What the owner's signed version says the content is (checked while downloading).
    pub content: ContentBinding,
    /// The file key.
    pub key: FileKey,
    /// Name, type, size.
    pub metadata: FileMetadata,
    /// Ciphertext size.
    pub ciphertext_size: u64,
    /// Ends at, if set.
    pub expires_at: Option<i64>,
    /// Downloads left, if limited.
    pub remaining: Option<u32>,
    /// The owner's username, if they chose to show it (the server's word).
    pub sender: Option<String>,
    /// The token the content route wants, base64url.
    pub token: String,
}

/// Why a link did not open.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkError {
    /// The link id or the part after "#" is missing, cut or altered: found locally, from their
    /// form or against the link's verifier, or (an older link without a password or verifier)
    /// because the server refused the only key it has.
    Damaged,
    /// Expired, used up, revoked or unknown: the server's one answer for all of them.
    Unavailable,
    /// The server refused the token of a link with a password. `certain`: the secret matched
    /// the link's verifier, so the password is what is wrong; otherwise (an older link) it may
    /// also be the link.
    WrongPassword {
        /// Whether the link itself is known to be intact.
        certain: bool,
    },
    /// The server's answer does not match what the link was made for: another owner key or
    /// file, a version the owner did not sign, or a key that does not open the file.
    NotGenuine,
    /// The server refused otherwise, is busy or could not be reached.
    Http(HttpError),
}

impl LinkError {
    fn from_http(e: HttpError) -> Self {
        match e {
            HttpError::Status { status: 404, .. } => LinkError::Unavailable,
            e => LinkError::Http(e),
        }
    }

    /// The page's heading for a link that cannot be opened (matching [`LinkError::message`]).
    pub fn heading(&self) -> &'static str {
        match self {
            LinkError::Damaged => "This link is damaged or incomplete",
            LinkError::Unavailable => "This link is no longer available",
            LinkError::WrongPassword { .. } => "Wrong password",
            LinkError::NotGenuine => "This file could not be verified",
            LinkError::Http(HttpError::Status { status: 429, .. }) => "Too many attempts",
            LinkError::Http(_) => "This link cannot be opened right now",
        }
    }

    /// Words for a person.
    pub fn message(&self) -> String {
        match self {
            LinkError::Damaged => {
                "This link is damaged or incomplete — ask the sender for the whole link.".into()
            }
            LinkError::Unavailable => "This link is no longer available: it may have expired, \
                reached its download limit or been revoked. Ask the sender for a new one."
                .into(),
            LinkError::WrongPassword { certain: true } => "Wrong password. Try again.".into(),
            LinkError::WrongPassword { certain: false } => "Wrong password — or the link is \
                damaged: links made by older versions of Coffer cannot tell which. Check the \
                password, or ask the sender for the whole link."
                .into(),
            LinkError::NotGenuine => "Coffer cannot confirm that this is the file the sender \
                linked: it may have been replaced or altered. Nothing was downloaded."
                .into(),
            LinkError::Http(e) => e.message(),
        }
    }
}

/// Derives the link keys (Argon2id first if the link has a password) and opens the link.
pub async fn open_link(visit: &LinkVisit, password: Option<&str>) -> Result<OpenedFile, LinkError> {
    let link_password = match (password, &visit.info.password_kdf) {
        (Some(p), Some(kdf)) => Some(LinkPassword {
            password: p,
            salt: kdf
                .salt
                .clone()
                .try_into()
                .map_err(|_| LinkError::NotGenuine)?,
            params: KdfParams {
                memory_kib: kdf.memory_kib,
                iterations: kdf.iterations,
                parallelism: kdf.parallelism,
            },
        }),
        _ => None,
    };
    let keys = LinkKeys::derive(&visit.secret, link_password.as_ref())
        .map_err(|_| LinkError::NotGenuine)?;
    let token = keys.auth_token();
    let opened: OpenedLink = http::json(
        "POST",
        &format!("/api/links/{}/open", visit.link_id),
        Some(&OpenLink {
            token: token.to_vec(),
        }),
    )
    .await
    .map_err(|e| match e {
        HttpError::Status { status: 401, .. } if visit.info.has_password => {
            LinkError::WrongPassword {
                certain: visit.verified,
            }
        }
        // No password: the fragment is the only key, and the server refused it.
        HttpError::Status { status: 401, .. } if !visit.verified => LinkError::Damaged,
        HttpError::Status { status: 401, .. } => LinkError::Http(HttpError::refused(
            401,
            "Coffer refused this link's key although the link is intact. Ask the sender for a \
             new link.",
        )),
        e => LinkError::from_http(e),
    })?;
    let file_id = file_id_from_hex(&opened.file_id).ok_or(LinkError::NotGenuine)?;
    let secret = &visit.secret;
    // A v2 link names its owner and file through its id: the server cannot point it elsewhere,
    // and the owner's signature then vouches for the version.
    let content = match secret.format() {
        LinkFormat::V1 => ContentBinding::Unbound,
        LinkFormat::V2 => {
            let owner = PublicKey::from_bytes(&opened.owner_public_key)
                .map_err(|_| LinkError::NotGenuine)?;
            if !secret.is_link_id(&visit.id_bytes, &owner, &file_id) {
                return Err(LinkError::NotGenuine);
            }
            let record = opened
                .version_record
                .as_ref()
                .ok_or(LinkError::NotGenuine)?;
            verify_file_version(&owner, &file_id, record, &opened.sealed_metadata)
                .map_err(|_| LinkError::NotGenuine)?
                .content
        }
    };
    // The server accepted the token, so the secret (and password) are right: a key that does
    // not open is the server's doing.
    let key = keys
        .unwrap_file_key(&opened.wrapped_key, &visit.id_bytes)
        .map_err(|_| LinkError::NotGenuine)?;
    let metadata: FileMetadata =
        coffer_crypto::open_metadata(&key, &file_id, &opened.sealed_metadata)
            .map_err(|_| LinkError::NotGenuine)?;
    if !metadata.size_matches(opened.ciphertext_size, opened.chunk_size) {
        return Err(LinkError::NotGenuine);
    }
    Ok(OpenedFile {
        file_id,
        format: secret.format(),
        content,
        key,
        metadata,
        ciphertext_size: opened.ciphertext_size,
        expires_at: opened.expires_at,
        remaining: opened.remaining,
        sender: opened.sender,
        token: crate::protocol::b64::encode(&token),
    })
}
