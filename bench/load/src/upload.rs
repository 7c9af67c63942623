//! The vault's upload routes as the browser drives them (docs/API.md, "Uploading"): create,
//! parts (each retried after a `503 busy` for as long as `Retry-After` says), complete with a
//! format-v2 first version sealed by the owner's keys, and the content download.

use std::time::Duration;

use coffer_app::keyring::UnlockedKeys;
use coffer_crypto::{seal_file_version, seal_metadata, FileId, FileKey, FileMetadata, FileVersion};
use coffer_protocol::{
    b64,
    vault::{FileInfo, NewUpload, UploadCreated},
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::json;
use tokio::time::Instant;

use crate::{
    account::Session,
    server::{expect, retry_after, Server},
    Fallible,
};

/// Transport errors (connection reset and the like) tolerated per request before giving up.
const MAX_TRANSPORT_ERRORS: u32 = 5;

/// What it took to get one request through.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tries {
    /// `503 busy` answers waited out.
    pub busy: u32,
    /// Requests that failed in transport and were sent again.
    pub transport_errors: u32,
    /// Whole uploads started over after the server failed (a 5xx answer).
    pub restarts: u32,
}

impl Tries {
    pub fn add(&mut self, other: Tries) {
        self.busy += other.busy;
        self.transport_errors += other.transport_errors;
        self.restarts += other.restarts;
    }
}

/// Sends the request `make` builds until the answer is not `503` (waiting `Retry-After` between
/// tries) or `deadline` passes.
pub async fn send_until_not_busy(
    make: impl Fn() -> RequestBuilder,
    deadline: Instant,
) -> Fallible<(Response, Tries)> {
    let mut tries = Tries::default();
    loop {
        match make().send().await {
            Ok(res) if res.status() == StatusCode::SERVICE_UNAVAILABLE => {
                tries.busy += 1;
                let wait = retry_after(&res);
                // Read the answer to the end, so the connection can be used again.
                let _ = res.bytes().await;
                if Instant::now() + wait > deadline {
                    return Err(format!("still busy after {} tries", tries.busy).into());
                }
                tokio::time::sleep(wait).await;
            }
            Ok(res) => return Ok((res, tries)),
            Err(e) => {
                tries.transport_errors += 1;
                if tries.transport_errors > MAX_TRANSPORT_ERRORS || Instant::now() > deadline {
                    return Err(e.into());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// `POST /api/uploads`.
pub async fn create(
    server: &Server,
    session: &Session,
    request: &NewUpload,
    deadline: Instant,
) -> Fallible<UploadCreated> {
    let body = serde_json::to_string(request)?;
    let (res, _) = send_until_not_busy(
        || {
            server
                .request(Method::POST, "/api/uploads", Some(&session.cookie))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        },
        deadline,
    )
    .await?;
    Ok(expect(res, StatusCode::CREATED, "create upload")
        .await?
        .json()
        .await?)
}

/// `PUT /api/uploads/{id}/parts/{n}` until stored; `body` makes the part's bytes for each try.
pub async fn put_part(
    server: &Server,
    session: &Session,
    upload_id: &str,
    n: u64,
    body: impl Fn() -> reqwest::Body,
    deadline: Instant,
) -> Fallible<Tries> {
    let path = format!("/api/uploads/{upload_id}/parts/{n}");
    let (res, tries) = send_until_not_busy(
        || {
            server
                .request(Method::PUT, &path, Some(&session.cookie))
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(body())
        },
        deadline,
    )
    .await?;
    expect(res, StatusCode::NO_CONTENT, &format!("part {n}")).await?;
    Ok(tries)
}

/// `POST /api/uploads/{id}/complete` with the first version.
pub async fn complete(
    server: &Server,
    session: &Session,
    upload_id: &str,
    version: &serde_json::Value,
    deadline: Instant,
) -> Fallible<FileInfo> {
    let path = format!("/api/uploads/{upload_id}/complete");
    let body = version.to_string();
    let (res, _) = send_until_not_busy(
        || {
            server
                .request(Method::POST, &path, Some(&session.cookie))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        },
        deadline,
    )
    .await?;
    Ok(expect(res, StatusCode::CREATED, "complete upload")
        .await?
        .json()
        .await?)
}

/// `GET /api/files/{id}/content`, answered 200 (the body still to be read).
pub async fn download(server: &Server, session: &Session, file_id: &str) -> Fallible<Response> {
    let res = server
        .request(
            Method::GET,
            &format!("/api/files/{file_id}/content"),
            Some(&session.cookie),
        )
        .send()
        .await?;
    expect(res, StatusCode::OK, "download").await
}

/// The file id a server-made hex id stands for.
pub fn file_id(hex_id: &str) -> Fallible<FileId> {
    let bytes: [u8; 16] = hex::decode(hex_id)?
        .try_into()
        .map_err(|_| format!("file id {hex_id:?} is not 16 bytes"))?;
    Ok(FileId::from_bytes(bytes))
}

/// The completion body the owner's browser sends: the metadata sealed with the file key, and
/// version 1 over `content_digest` sealed with the account's keys (owner key slot + signed
/// record), so the browser later verifies the file as its own.
pub fn first_version(
    keys: &UnlockedKeys,
    file_id: &FileId,
    file_key: &FileKey,
    content_digest: [u8; 32],
    metadata: &FileMetadata,
) -> Fallible<serde_json::Value> {
    let mut rng = rand_core::OsRng;
    let sealed_metadata = seal_metadata(file_key, file_id, metadata, &mut rng)?;
    let sealed = seal_file_version(
        &keys.account_key,
        &keys.identity,
        file_id,
        &FileVersion::first(content_digest),
        &sealed_metadata,
        file_key,
        &mut rng,
    )?;
    Ok(json!({
        "sealed_metadata": b64::encode(&sealed_metadata),
        "key_slot": b64::encode(&sealed.key_slot),
        "version_record": b64::encode(&sealed.record),
    }))
}
