//! Files as the owner's browser uploads them: real Coffer ciphertext sent in parts through the
//! vault API and committed as format v2 (an owner key slot and a signed version record).

use coffer_crypto::{
    ciphertext_len, seal_metadata, ContentDigest, FileKey, FileMetadata, FileVersion, PublicKey,
    StreamDecryptor, StreamEncryptor,
};
use rand::RngCore;
use rand_core::OsRng;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use super::{
    api::{json_of, post_json},
    file_id,
    users::User,
    version_fields, TestServer,
};

pub const CHUNK: u32 = 4096;
/// The smallest part size the server allows; small parts make multi-part tests cheap.
pub const PART: u64 = 64 * 1024;

pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    OsRng.fill_bytes(&mut v);
    v
}

/// An upload as the browser drives it (and, once complete, the file it became): the content,
/// its key and the server's ids.
pub struct Upload {
    pub upload_id: String,
    pub file_id: String,
    /// The owner's public key.
    pub owner: PublicKey,
    pub key: FileKey,
    pub plaintext: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub part_size: u64,
}

impl Upload {
    pub fn part(&self, n: u64) -> Vec<u8> {
        let start = (n * self.part_size) as usize;
        let end = (start + self.part_size as usize).min(self.ciphertext.len());
        self.ciphertext[start..end].to_vec()
    }

    pub fn part_count(&self) -> u64 {
        (self.ciphertext.len() as u64).div_ceil(self.part_size)
    }
}

/// `POST /api/uploads` for `plaintext`, then encrypts it under the returned file id.
pub async fn begin(s: &TestServer, u: &User, plaintext: &[u8]) -> Upload {
    begin_with(s, u, plaintext, CHUNK, Some(PART)).await
}

/// Like [`begin`] with a chosen chunk size, and a part size (`None`: the server's default).
pub async fn begin_with(
    s: &TestServer,
    u: &User,
    plaintext: &[u8],
    chunk_size: u32,
    part_size: Option<u64>,
) -> Upload {
    let size = ciphertext_len(plaintext.len() as u64, chunk_size).unwrap();
    let mut request = json!({ "ciphertext_size": size, "chunk_size": chunk_size });
    if let Some(part_size) = part_size {
        request["part_size"] = json!(part_size);
    }
    let res = post_json(s, "/api/uploads", &u.cookie, request).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_of(res).await;
    let file_id = created["file_id"].as_str().unwrap().to_string();
    let key = FileKey::generate(&mut OsRng);
    let mut enc =
        StreamEncryptor::new(&key, &super::file_id(&file_id), chunk_size, &mut OsRng).unwrap();
    let mut ciphertext = enc.header().to_vec();
    ciphertext.extend(enc.push(plaintext).unwrap());
    ciphertext.extend(enc.finish().unwrap());
    assert_eq!(ciphertext.len() as u64, size);
    let requested = part_size;
    let part_size = created["part_size"].as_u64().unwrap();
    assert_eq!(
        part_size,
        requested.unwrap_or(s.config.vault.max_part_bytes)
    );
    assert_eq!(created["part_count"], size.div_ceil(part_size));
    Upload {
        upload_id: created["upload_id"].as_str().unwrap().to_string(),
        file_id,
        owner: u.reg.keys.public_key(),
        key,
        plaintext: plaintext.to_vec(),
        ciphertext,
        part_size,
    }
}

pub async fn put_part(s: &TestServer, u: &User, up: &Upload, n: u64, body: Vec<u8>) -> Response {
    s.send(
        Method::PUT,
        &format!("/api/uploads/{}/parts/{n}", up.upload_id),
        Some(&u.cookie),
        Some(body.into()),
    )
    .await
}

/// Sends every part at once, as a browser with parallel uploads may: the order in which parts
/// arrive does not matter.
pub async fn send_all_parts(s: &TestServer, u: &User, up: &Upload) {
    let sends = (0..up.part_count()).map(|n| put_part(s, u, up, n, up.part(n)));
    for (n, res) in futures_util::future::join_all(sends)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "part {n}");
    }
}

/// The upload's metadata under `name`, sealed with its file key.
pub fn sealed_name(up: &Upload, name: &str) -> Vec<u8> {
    let meta = FileMetadata {
        name: name.into(),
        mime: "application/octet-stream".into(),
        size: up.plaintext.len() as u64,
        modified_ms: 1_700_000_000_000,
    };
    seal_metadata(&up.key, &file_id(&up.file_id), &meta, &mut OsRng).unwrap()
}

/// The first version of the upload's file: bound to the digest of its exact ciphertext.
pub fn first_version(up: &Upload) -> FileVersion {
    FileVersion::first(ContentDigest::of_ciphertext(&up.ciphertext).unwrap())
}

/// The completion body the browser sends: metadata, owner key slot and version record 1.
pub fn completion(u: &User, up: &Upload, name: &str) -> Value {
    let fid = file_id(&up.file_id);
    version_fields(
        &u.reg.keys,
        &fid,
        &first_version(up),
        &sealed_name(up, name),
        &up.key,
    )
}

pub async fn complete(s: &TestServer, u: &User, up: &Upload, name: &str) -> Response {
    post_json(
        s,
        &format!("/api/uploads/{}/complete", up.upload_id),
        &u.cookie,
        completion(u, up, name),
    )
    .await
}

/// Uploads `plaintext` named `name` start to finish; returns the upload (now a file).
pub async fn upload(s: &TestServer, u: &User, name: &str, plaintext: &[u8]) -> Upload {
    let up = begin(s, u, plaintext).await;
    send_all_parts(s, u, &up).await;
    let res = complete(s, u, &up, name).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let file = json_of(res).await;
    assert_eq!(file["id"], up.file_id.as_str());
    up
}

/// Decrypts a whole ciphertext of the file `id`, which must be intact and complete.
pub fn decrypt(key: &FileKey, id: &str, ciphertext: &[u8]) -> Vec<u8> {
    let mut dec = StreamDecryptor::new(key, &file_id(id));
    let mut plaintext = dec.push(ciphertext).unwrap();
    plaintext.extend(dec.finish().unwrap());
    plaintext
}

/// `PUT /api/files/{id}/metadata`: the next version of a file.
pub async fn put_metadata(s: &TestServer, u: &User, id: &str, body: &Value) -> reqwest::Response {
    s.send(
        Method::PUT,
        &format!("/api/files/{id}/metadata"),
        Some(&u.cookie),
        Some(body.to_string().into()),
    )
    .await
}
