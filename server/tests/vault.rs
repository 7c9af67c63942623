//! The vault over HTTP against a real server: streamed uploads in parts, resume, listing,
//! download with ranges, rename, delete, quota, ownership, bad input and the janitor. Every
//! case runs on SQLite and PostgreSQL with local and S3 storage, and on MariaDB with local
//! storage. Content is real Coffer ciphertext made with the crypto crate, as the browser will.

mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use coffer_app::{keyring::Registration, wire::b64};
use coffer_crypto::{
    ciphertext_len, open_metadata, seal_metadata, unwrap_file_key, wrap_file_key, FileId, FileKey,
    FileMetadata, StreamDecryptor, StreamEncryptor, DEFAULT_CHUNK_SIZE,
};
use common::{session_cookie, Backend, Blobs, TestServer};
use rand::RngCore;
use rand_core::OsRng;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";
/// The smallest part size the server allows; small parts make multi-part tests cheap.
const PART: u64 = 64 * 1024;
const CHUNK: u32 = 4096;

on_every_vault_backend!(
    a_file_uploaded_in_parts_downloads_and_decrypts_to_the_same_bytes,
    a_file_of_several_default_size_parts_round_trips,
    empty_and_one_byte_files_round_trip,
    a_resent_part_replaces_the_earlier_one,
    parts_of_the_wrong_size_are_refused_and_nothing_is_stored,
    a_part_over_the_server_limit_is_refused,
    declared_sizes_that_no_ciphertext_has_or_too_large_are_refused,
    unknown_upload_and_file_ids_are_404,
    malformed_bodies_are_400_with_a_json_reason,
    anonymous_callers_get_401_everywhere,
    another_users_files_and_uploads_look_missing,
    an_upload_over_quota_is_413_with_a_readable_message,
    concurrent_uploads_over_quota_get_exactly_one_reservation,
    complete_with_a_missing_part_is_409_and_stores_no_file,
    unfinished_uploads_are_listed_for_resume,
    cancel_frees_the_reservation_and_the_parts,
    rename_replaces_only_the_sealed_metadata,
    delete_removes_the_file_and_frees_usage,
    the_janitor_removes_expired_uploads_and_orphan_blobs,
    a_restart_mid_upload_shows_no_file_keeps_committed_ones_and_leaks_nothing,
    part_zero_must_carry_this_uploads_header,
    bearer_tokens_work_like_the_session,
);

// ---------------------------------------------------------------------------------------------
// The browser's side, natively

struct User {
    cookie: String,
    reg: Registration,
}

async fn user(s: &TestServer, name: &str) -> User {
    let (res, reg) = s.register(name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    User {
        cookie: session_cookie(&res).expect("registration logs in"),
        reg,
    }
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    OsRng.fill_bytes(&mut v);
    v
}

fn file_id(hex_id: &str) -> FileId {
    FileId::from_bytes(hex::decode(hex_id).unwrap().try_into().unwrap())
}

/// An upload as the browser drives it: the ciphertext, its key and the server's ids.
struct Upload {
    upload_id: String,
    file_id: String,
    key: FileKey,
    ciphertext: Vec<u8>,
    part_size: u64,
}

impl Upload {
    fn part(&self, n: u64) -> Vec<u8> {
        let start = (n * self.part_size) as usize;
        let end = (start + self.part_size as usize).min(self.ciphertext.len());
        self.ciphertext[start..end].to_vec()
    }

    fn part_count(&self) -> u64 {
        (self.ciphertext.len() as u64).div_ceil(self.part_size)
    }
}

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"))
}

async fn post_json(s: &TestServer, path: &str, cookie: &str, body: Value) -> reqwest::Response {
    s.send(
        Method::POST,
        path,
        Some(cookie),
        Some(body.to_string().into()),
    )
    .await
}

/// `POST /api/uploads` for `plaintext`, then encrypts it under the returned file id.
async fn begin(s: &TestServer, u: &User, plaintext: &[u8]) -> Upload {
    begin_with(s, u, plaintext, CHUNK, Some(PART)).await
}

/// Like [`begin`] with a chosen chunk size, and a part size (`None`: the server's default).
async fn begin_with(
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
        StreamEncryptor::new(&key, &self::file_id(&file_id), chunk_size, &mut OsRng).unwrap();
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
        key,
        ciphertext,
        part_size,
    }
}

async fn put_part(
    s: &TestServer,
    u: &User,
    up: &Upload,
    n: u64,
    body: Vec<u8>,
) -> reqwest::Response {
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
async fn send_all_parts(s: &TestServer, u: &User, up: &Upload) {
    let sends = (0..up.part_count()).map(|n| put_part(s, u, up, n, up.part(n)));
    for (n, res) in futures_util::future::join_all(sends)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "part {n}");
    }
}

fn completion(u: &User, up: &Upload, name: &str) -> Value {
    let fid = file_id(&up.file_id);
    let meta = FileMetadata {
        name: name.into(),
        mime: "application/octet-stream".into(),
        size: 0,
        modified_ms: 1_700_000_000_000,
    };
    json!({
        "sealed_metadata": b64::encode(&seal_metadata(&up.key, &fid, &meta, &mut OsRng).unwrap()),
        "wrapped_key": b64::encode(&wrap_file_key(&u.reg.keys.public_key(), &up.key, &fid, &mut OsRng)),
    })
}

async fn complete(s: &TestServer, u: &User, up: &Upload, name: &str) -> reqwest::Response {
    post_json(
        s,
        &format!("/api/uploads/{}/complete", up.upload_id),
        &u.cookie,
        completion(u, up, name),
    )
    .await
}

/// Uploads `plaintext` named `name` start to finish; returns the upload (now a file).
async fn upload(s: &TestServer, u: &User, name: &str, plaintext: &[u8]) -> Upload {
    let up = begin(s, u, plaintext).await;
    send_all_parts(s, u, &up).await;
    let res = complete(s, u, &up, name).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let file = json_of(res).await;
    assert_eq!(file["id"], up.file_id.as_str());
    up
}

async fn list_files(s: &TestServer, u: &User) -> Value {
    let res = s
        .send(Method::GET, "/api/files", Some(&u.cookie), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

async fn list_uploads(s: &TestServer, u: &User) -> Value {
    let res = s
        .send(Method::GET, "/api/uploads", Some(&u.cookie), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

async fn files_of(s: &TestServer, u: &User) -> Vec<Value> {
    list_files(s, u).await["files"].as_array().unwrap().clone()
}

async fn uploads_of(s: &TestServer, u: &User) -> Vec<Value> {
    list_uploads(s, u).await["uploads"]
        .as_array()
        .unwrap()
        .clone()
}

/// Downloads a file and decrypts it with the key unwrapped from the listing, as the browser does.
async fn download_and_decrypt(s: &TestServer, u: &User, id: &str) -> (String, Vec<u8>) {
    let listing = list_files(s, u).await;
    let entry = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .expect("the file is listed")
        .clone();
    let fid = file_id(id);
    let wrapped = b64::decode(entry["wrapped_key"].as_str().unwrap()).unwrap();
    let key = unwrap_file_key(&u.reg.keys.identity, &wrapped, &fid).unwrap();
    let sealed = b64::decode(entry["sealed_metadata"].as_str().unwrap()).unwrap();
    let name = open_metadata(&key, &fid, &sealed).unwrap().name;

    let res = s
        .send(
            Method::GET,
            &format!("/api/files/{id}/content"),
            Some(&u.cookie),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    let declared: u64 = res.headers()[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(declared, entry["ciphertext_size"].as_u64().unwrap());
    let ciphertext = res.bytes().await.unwrap();
    let mut dec = StreamDecryptor::new(&key, &fid);
    let mut plaintext = dec.push(&ciphertext).unwrap();
    plaintext.extend(dec.finish().unwrap());
    (name, plaintext)
}

async fn error_code(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body = json_of(res).await;
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

async fn usage(s: &TestServer, u: &User) -> (u64, u64) {
    let l = list_files(s, u).await;
    (
        l["usage"]["stored_bytes"].as_u64().unwrap(),
        l["usage"]["reserved_bytes"].as_u64().unwrap(),
    )
}

// ---------------------------------------------------------------------------------------------
// The cases

async fn a_file_uploaded_in_parts_downloads_and_decrypts_to_the_same_bytes(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let plaintext = random_bytes(300_000);
    let up = upload(&s, &alice, "holiday.jpg", &plaintext).await;
    assert!(up.part_count() >= 4, "several parts");

    let listing = list_files(&s, &alice).await;
    assert_eq!(listing["files"].as_array().unwrap().len(), 1);
    assert_eq!(listing["usage"]["stored_bytes"], up.ciphertext.len() as u64);
    assert_eq!(listing["usage"]["reserved_bytes"], 0);
    assert!(uploads_of(&s, &alice).await.is_empty());

    let (name, back) = download_and_decrypt(&s, &alice, &up.file_id).await;
    assert_eq!(name, "holiday.jpg");
    assert!(back == plaintext, "identical bytes");

    // A range across a part boundary, and a suffix range.
    let path = format!("/api/files/{}/content", up.file_id);
    let ranged = s
        .http
        .get(s.url(&path))
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .header(header::RANGE, format!("bytes={}-{}", PART - 10, PART + 9))
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()[header::CONTENT_RANGE],
        format!("bytes {}-{}/{}", PART - 10, PART + 9, up.ciphertext.len()).as_str()
    );
    let want = &up.ciphertext[(PART - 10) as usize..(PART + 10) as usize];
    assert_eq!(&ranged.bytes().await.unwrap()[..], want);
    let suffix = s
        .http
        .get(s.url(&path))
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .header(header::RANGE, "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(suffix.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        &suffix.bytes().await.unwrap()[..],
        &up.ciphertext[up.ciphertext.len() - 5..]
    );
    let beyond = s
        .http
        .get(s.url(&path))
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .header(header::RANGE, format!("bytes={}-", up.ciphertext.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.headers()[header::CONTENT_RANGE],
        format!("bytes */{}", up.ciphertext.len()).as_str()
    );
    let head = s
        .http
        .head(s.url(&path))
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()[header::CONTENT_LENGTH],
        up.ciphertext.len().to_string().as_str()
    );
}

async fn a_file_of_several_default_size_parts_round_trips(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    // Two full 8 MiB parts and a short third, with the crypto crate's default chunk size.
    let plaintext = random_bytes(17 * 1024 * 1024);
    let up = begin_with(&s, &alice, &plaintext, DEFAULT_CHUNK_SIZE, None).await;
    assert_eq!((up.part_size, up.part_count()), (8 * 1024 * 1024, 3));
    send_all_parts(&s, &alice, &up).await;
    assert_eq!(
        complete(&s, &alice, &up, "big.bin").await.status(),
        StatusCode::CREATED
    );
    let (name, back) = download_and_decrypt(&s, &alice, &up.file_id).await;
    assert_eq!(name, "big.bin");
    assert!(back == plaintext, "identical bytes");
}

async fn empty_and_one_byte_files_round_trip(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let empty = upload(&s, &alice, "empty.txt", b"").await;
    let one = upload(&s, &alice, "one.bin", b"x").await;
    assert_eq!(empty.ciphertext.len(), 91 + 16);
    assert_eq!(
        download_and_decrypt(&s, &alice, &empty.file_id).await,
        ("empty.txt".to_string(), vec![])
    );
    assert_eq!(
        download_and_decrypt(&s, &alice, &one.file_id).await,
        ("one.bin".to_string(), b"x".to_vec())
    );
}

async fn a_resent_part_replaces_the_earlier_one(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let plaintext = random_bytes(200_000);
    let up = begin(&s, &alice, &plaintext).await;
    // Part 1 first arrives damaged (same length), then again intact: the second one counts.
    let garbage = random_bytes(up.part(1).len());
    assert_eq!(
        put_part(&s, &alice, &up, 1, garbage).await.status(),
        StatusCode::NO_CONTENT
    );
    send_all_parts(&s, &alice, &up).await;
    assert_eq!(
        put_part(&s, &alice, &up, 1, up.part(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        complete(&s, &alice, &up, "a").await.status(),
        StatusCode::CREATED
    );
    assert!(download_and_decrypt(&s, &alice, &up.file_id).await.1 == plaintext);
}

async fn parts_of_the_wrong_size_are_refused_and_nothing_is_stored(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = begin(&s, &alice, &random_bytes(150_000)).await;
    let last = up.part_count() - 1;

    let mut short = up.part(1);
    short.pop();
    let (status, code) = error_code(put_part(&s, &alice, &up, 1, short).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid")
    );
    let mut long = up.part(last);
    long.push(0);
    let (status, code) = error_code(put_part(&s, &alice, &up, last, long).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    // A last part padded to a full part is still not what was declared.
    let mut padded = up.part(last);
    padded.resize(PART as usize, 0);
    let (status, _) = error_code(put_part(&s, &alice, &up, last, padded).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    for n in [last + 1, 10_000, u64::MAX] {
        let (status, code) = error_code(put_part(&s, &alice, &up, n, up.part(0)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid"),
            "part {n}"
        );
    }
    let res = s
        .send(
            Method::PUT,
            &format!("/api/uploads/{}/parts/first", up.upload_id),
            Some(&alice.cookie),
            Some(up.part(0).into()),
        )
        .await;
    assert_eq!(error_code(res).await.0, StatusCode::BAD_REQUEST);

    let pending = list_uploads(&s, &alice).await;
    assert_eq!(pending["uploads"][0]["received_parts"], json!([]));
    assert!(
        s.storage().blob_ids().await.unwrap().is_empty(),
        "no part was stored"
    );
    let (status, code) = error_code(complete(&s, &alice, &up, "x").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "incomplete")
    );
    assert!(files_of(&s, &alice).await.is_empty());
}

async fn a_part_over_the_server_limit_is_refused(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |c| c.vault.max_part_bytes = PART).await;
    let alice = user(&s, "alice").await;
    let up = begin(&s, &alice, &random_bytes(100_000)).await;
    // Content-Length over the route's body limit: refused before any byte is read.
    let (status, code) =
        error_code(put_part(&s, &alice, &up, 0, vec![0; PART as usize * 2]).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    // Streamed without a length: cut off once it passes the part's size.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..3).map(|_| Ok(vec![0u8; PART as usize])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let res = put_part_body(&s, &alice, &up, 0, body).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(s.storage().blob_ids().await.unwrap().is_empty());
}

async fn put_part_body(
    s: &TestServer,
    u: &User,
    up: &Upload,
    n: u64,
    body: reqwest::Body,
) -> reqwest::Response {
    s.send(
        Method::PUT,
        &format!("/api/uploads/{}/parts/{n}", up.upload_id),
        Some(&u.cookie),
        Some(body),
    )
    .await
}

async fn declared_sizes_that_no_ciphertext_has_or_too_large_are_refused(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |c| c.vault.max_file_bytes = 1_000_000).await;
    let alice = user(&s, "alice").await;
    let create = |body: Value| post_json(&s, "/api/uploads", &alice.cookie, body);
    for body in [
        json!({ "ciphertext_size": 100, "chunk_size": CHUNK }),
        json!({ "ciphertext_size": 91 + 16 + 4096 + 16, "chunk_size": CHUNK }),
        json!({ "ciphertext_size": 200, "chunk_size": 1024 }),
        json!({ "ciphertext_size": 200, "chunk_size": 32 * 1024 * 1024 }),
        json!({ "ciphertext_size": 200, "chunk_size": CHUNK, "part_size": 1000 }),
        json!({ "ciphertext_size": 200, "chunk_size": CHUNK, "part_size": 64 * 1024 * 1024 }),
    ] {
        let (status, code) = error_code(create(body.clone()).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid"),
            "{body}"
        );
    }
    let big = ciphertext_len(2_000_000, CHUNK).unwrap();
    let res = create(json!({ "ciphertext_size": big, "chunk_size": CHUNK })).await;
    let status = res.status();
    let body = json_of(res).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("at most"),
        "{body}"
    );
    assert!(uploads_of(&s, &alice).await.is_empty());
    assert_eq!(usage(&s, &alice).await, (0, 0));
}

async fn unknown_upload_and_file_ids_are_404(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let c = Some(alice.cookie.as_str());
    let unknown = "0123456789abcdef0123456789abcdef";
    for id in [unknown, "..%2F..%2Fetc", "ABCDEF0123456789ABCDEF0123456789"] {
        for (method, path, body) in [
            (
                Method::PUT,
                format!("/api/uploads/{id}/parts/0"),
                Some(vec![0u8; 10]),
            ),
            (Method::POST, format!("/api/uploads/{id}/complete"), None),
            (Method::DELETE, format!("/api/uploads/{id}"), None),
            (Method::GET, format!("/api/files/{id}/content"), None),
            (Method::DELETE, format!("/api/files/{id}"), None),
        ] {
            let body = body.map(Into::into).or_else(|| {
                (method == Method::POST).then(|| {
                    json!({ "sealed_metadata": b64::encode(&[5; 93]), "wrapped_key": b64::encode(&[4; 114]) })
                        .to_string()
                        .into()
                })
            });
            let (status, code) = error_code(s.send(method.clone(), &path, c, body).await).await;
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::NOT_FOUND, "not_found"),
                "{method} {path}"
            );
        }
        let rename = json!({ "sealed_metadata": b64::encode(&[5; 93]) }).to_string();
        let res = s
            .send(
                Method::PUT,
                &format!("/api/files/{id}/metadata"),
                c,
                Some(rename.into()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}

async fn malformed_bodies_are_400_with_a_json_reason(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    for body in [
        "not json",
        "{}",
        r#"{"ciphertext_size": -5, "chunk_size": 4096}"#,
        r#"{"ciphertext_size": "107", "chunk_size": 4096}"#,
        r#"{"ciphertext_size": 107, "chunk_size": 4096, "owner_id": 1}"#,
    ] {
        let res = s
            .send(
                Method::POST,
                "/api/uploads",
                Some(&alice.cookie),
                Some(body.into()),
            )
            .await;
        let (status, code) = error_code(res).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid"),
            "{body}"
        );
    }
    let up = begin(&s, &alice, b"hello").await;
    send_all_parts(&s, &alice, &up).await;
    let good = completion(&alice, &up, "hello.txt");
    let with = |field: &str, value: Value| {
        let mut v = good.clone();
        v[field] = value;
        v
    };
    for body in [
        json!({}),
        with("sealed_metadata", json!("***")),
        with("sealed_metadata", json!(b64::encode(&[5; 94]))),
        with("sealed_metadata", json!(b64::encode(&[5; 29]))),
        with("sealed_metadata", json!(b64::encode(&[1; 93]))),
        with("sealed_metadata", json!(b64::encode(&[5; 29 + 64 * 22]))),
        with("wrapped_key", json!(b64::encode(&[4; 113]))),
        with("wrapped_key", json!(b64::encode(&[1; 114]))),
        with("wrapped_key", json!(12)),
    ] {
        let path = format!("/api/uploads/{}/complete", up.upload_id);
        let (status, code) =
            error_code(post_json(&s, &path, &alice.cookie, body.clone()).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid"),
            "{body}"
        );
    }
    assert!(files_of(&s, &alice).await.is_empty());
    // The upload is untouched by the bad attempts and still completes.
    assert_eq!(
        complete(&s, &alice, &up, "hello.txt").await.status(),
        StatusCode::CREATED
    );
}

async fn anonymous_callers_get_401_everywhere(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = upload(&s, &alice, "a", b"abc").await;
    let pending = begin(&s, &alice, b"def").await;
    for (method, path) in [
        (Method::POST, "/api/uploads".to_string()),
        (Method::GET, "/api/uploads".to_string()),
        (
            Method::PUT,
            format!("/api/uploads/{}/parts/0", pending.upload_id),
        ),
        (
            Method::POST,
            format!("/api/uploads/{}/complete", pending.upload_id),
        ),
        (
            Method::DELETE,
            format!("/api/uploads/{}", pending.upload_id),
        ),
        (Method::GET, "/api/files".to_string()),
        (Method::GET, format!("/api/files/{}/content", up.file_id)),
        (Method::PUT, format!("/api/files/{}/metadata", up.file_id)),
        (Method::DELETE, format!("/api/files/{}", up.file_id)),
    ] {
        let res = s.send(method.clone(), &path, None, Some("{}".into())).await;
        let (status, code) = error_code(res).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "unauthenticated"),
            "{method} {path}"
        );
        let res = s
            .send(
                method.clone(),
                &path,
                Some("forged-session"),
                Some("{}".into()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    assert_eq!(files_of(&s, &alice).await.len(), 1);
}

async fn another_users_files_and_uploads_look_missing(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let plaintext = random_bytes(70_000);
    let file = upload(&s, &alice, "alice.txt", &plaintext).await;
    let pending = begin(&s, &alice, b"pending").await;
    let c = Some(bob.cookie.as_str());
    let meta = json!({ "sealed_metadata": b64::encode(&[5; 93]) }).to_string();
    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/files/{}/content", file.file_id),
            None,
        ),
        (
            Method::PUT,
            format!("/api/files/{}/metadata", file.file_id),
            Some(meta.clone()),
        ),
        (Method::DELETE, format!("/api/files/{}", file.file_id), None),
        (
            Method::DELETE,
            format!("/api/uploads/{}", pending.upload_id),
            None,
        ),
        (
            Method::POST,
            format!("/api/uploads/{}/complete", pending.upload_id),
            Some(completion(&bob, &pending, "mine").to_string()),
        ),
    ] {
        let res = s.send(method.clone(), &path, c, body.map(Into::into)).await;
        let (status, code) = error_code(res).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{method} {path}"
        );
    }
    let res = put_part(&s, &bob, &pending, 0, pending.part(0)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(files_of(&s, &bob).await.is_empty());
    assert!(uploads_of(&s, &bob).await.is_empty());
    // Alice's things are untouched.
    assert!(download_and_decrypt(&s, &alice, &file.file_id).await.1 == plaintext);
    assert_eq!(uploads_of(&s, &alice).await.len(), 1);
}

async fn an_upload_over_quota_is_413_with_a_readable_message(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |c| c.vault.user_quota_bytes = 100_000).await;
    let alice = user(&s, "alice").await;
    upload(&s, &alice, "first", &random_bytes(60_000)).await;
    let size = ciphertext_len(60_000, CHUNK).unwrap();
    let res = post_json(
        &s,
        "/api/uploads",
        &alice.cookie,
        json!({ "ciphertext_size": size, "chunk_size": CHUNK }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = json_of(res).await;
    assert_eq!(body["error"], "quota_exceeded");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("quota") && message.contains("KiB"),
        "{message}"
    );
    // Another user has their own quota.
    let bob = user(&s, "bob").await;
    upload(&s, &bob, "bob's", &random_bytes(60_000)).await;
}

async fn concurrent_uploads_over_quota_get_exactly_one_reservation(b: Backend, o: Blobs) {
    let size = ciphertext_len(60_000, CHUNK).unwrap();
    let s =
        TestServer::start_vault(b, o, move |c| c.vault.user_quota_bytes = size + size / 2).await;
    let alice = user(&s, "alice").await;
    let attempts = (0..6).map(|_| {
        post_json(
            &s,
            "/api/uploads",
            &alice.cookie,
            json!({ "ciphertext_size": size, "chunk_size": CHUNK }),
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let statuses: Vec<StatusCode> = results.iter().map(|r| r.status()).collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYLOAD_TOO_LARGE)
        .count();
    assert_eq!((created, refused), (1, 5), "{statuses:?}");
    assert_eq!(usage(&s, &alice).await, (0, size));
    assert_eq!(uploads_of(&s, &alice).await.len(), 1);
}

async fn complete_with_a_missing_part_is_409_and_stores_no_file(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let plaintext = random_bytes(200_000);
    let up = begin(&s, &alice, &plaintext).await;
    for n in (0..up.part_count()).filter(|&n| n != 2) {
        assert_eq!(
            put_part(&s, &alice, &up, n, up.part(n)).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let res = complete(&s, &alice, &up, "gap").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = json_of(res).await;
    assert_eq!(
        (body["error"].as_str(), &body["missing_parts"]),
        (Some("incomplete"), &json!([2]))
    );
    assert!(files_of(&s, &alice).await.is_empty());
    let res = s
        .send(
            Method::GET,
            &format!("/api/files/{}/content", up.file_id),
            Some(&alice.cookie),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Resume: send the missing part, then complete.
    assert_eq!(
        put_part(&s, &alice, &up, 2, up.part(2)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        complete(&s, &alice, &up, "gap").await.status(),
        StatusCode::CREATED
    );
    assert!(download_and_decrypt(&s, &alice, &up.file_id).await.1 == plaintext);
    // Completing twice finds nothing the second time.
    assert_eq!(
        complete(&s, &alice, &up, "gap").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn unfinished_uploads_are_listed_for_resume(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = begin(&s, &alice, &random_bytes(200_000)).await;
    for n in [0, 2] {
        assert_eq!(
            put_part(&s, &alice, &up, n, up.part(n)).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let listed = list_uploads(&s, &alice).await;
    let entry = &listed["uploads"][0];
    assert_eq!(entry["upload_id"], up.upload_id.as_str());
    assert_eq!(entry["file_id"], up.file_id.as_str());
    assert_eq!(entry["ciphertext_size"], up.ciphertext.len() as u64);
    assert_eq!(entry["chunk_size"], CHUNK);
    assert_eq!(entry["part_size"], PART);
    assert_eq!(entry["part_count"], up.part_count());
    assert_eq!(entry["received_parts"], json!([0, 2]));
}

async fn cancel_frees_the_reservation_and_the_parts(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = begin(&s, &alice, &random_bytes(100_000)).await;
    assert_eq!(
        put_part(&s, &alice, &up, 0, up.part(0)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(usage(&s, &alice).await, (0, up.ciphertext.len() as u64));
    assert_eq!(s.storage().blob_ids().await.unwrap().len(), 1);
    let path = format!("/api/uploads/{}", up.upload_id);
    let res = s
        .send(Method::DELETE, &path, Some(&alice.cookie), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(usage(&s, &alice).await, (0, 0));
    assert!(uploads_of(&s, &alice).await.is_empty());
    assert!(s.storage().blob_ids().await.unwrap().is_empty());
    assert_eq!(
        put_part(&s, &alice, &up, 1, up.part(1)).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = s
        .send(Method::DELETE, &path, Some(&alice.cookie), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn rename_replaces_only_the_sealed_metadata(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = upload(&s, &alice, "draft.txt", b"content").await;
    s.advance(Duration::from_secs(60));
    let fid = file_id(&up.file_id);
    let meta = FileMetadata {
        name: "final.txt".into(),
        mime: "text/plain".into(),
        size: 7,
        modified_ms: 0,
    };
    let sealed = seal_metadata(&up.key, &fid, &meta, &mut OsRng).unwrap();
    let res = s
        .send(
            Method::PUT,
            &format!("/api/files/{}/metadata", up.file_id),
            Some(&alice.cookie),
            Some(
                json!({ "sealed_metadata": b64::encode(&sealed) })
                    .to_string()
                    .into(),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let file = json_of(res).await;
    assert!(file["updated_at"].as_i64() > file["created_at"].as_i64());
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await,
        ("final.txt".to_string(), b"content".to_vec())
    );
}

async fn delete_removes_the_file_and_frees_usage(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let keep = upload(&s, &alice, "keep", b"keep").await;
    let gone = upload(&s, &alice, "gone", &random_bytes(100_000)).await;
    assert_eq!(
        usage(&s, &alice).await,
        ((keep.ciphertext.len() + gone.ciphertext.len()) as u64, 0)
    );
    assert_eq!(s.storage().blob_ids().await.unwrap().len(), 2);
    let path = format!("/api/files/{}", gone.file_id);
    assert_eq!(
        s.send(Method::DELETE, &path, Some(&alice.cookie), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(usage(&s, &alice).await, (keep.ciphertext.len() as u64, 0));
    let listed = list_files(&s, &alice).await;
    assert_eq!(listed["files"].as_array().unwrap().len(), 1);
    assert_eq!(listed["files"][0]["id"], keep.file_id.as_str());
    assert_eq!(s.storage().blob_ids().await.unwrap().len(), 1);
    let res = s
        .send(
            Method::GET,
            &format!("{path}/content"),
            Some(&alice.cookie),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.send(Method::DELETE, &path, Some(&alice.cookie), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_janitor_removes_expired_uploads_and_orphan_blobs(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |c| {
        c.vault.upload_abandon = Duration::from_secs(3600);
    })
    .await;
    let alice = user(&s, "alice").await;
    let kept = upload(&s, &alice, "kept", &random_bytes(100_000)).await;
    let abandoned = begin(&s, &alice, &random_bytes(100_000)).await;
    assert_eq!(
        put_part(&s, &alice, &abandoned, 0, abandoned.part(0))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let active = begin(&s, &alice, &random_bytes(100_000)).await;
    // Content no row refers to, as a crash between "row deleted" and "blob deleted" leaves.
    let storage = s.storage();
    let orphan = coffer_server::storage::new_blob_id();
    storage
        .put_part(&orphan, 0, random_bytes(1000).into())
        .await
        .unwrap();
    assert_eq!(storage.blob_ids().await.unwrap().len(), 3);

    let janitor = s.janitor().await;
    let first = janitor.run_once().await.unwrap();
    assert_eq!((first.expired_uploads, first.orphan_blobs), (0, 1));

    s.advance(Duration::from_secs(50 * 60));
    // A part arriving keeps its upload alive.
    assert_eq!(
        put_part(&s, &alice, &active, 0, active.part(0))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    s.advance(Duration::from_secs(11 * 60));
    let second = janitor.run_once().await.unwrap();
    assert_eq!((second.expired_uploads, second.orphan_blobs), (1, 0));

    let pending = list_uploads(&s, &alice).await;
    assert_eq!(pending["uploads"].as_array().unwrap().len(), 1);
    assert_eq!(
        pending["uploads"][0]["upload_id"],
        active.upload_id.as_str()
    );
    assert_eq!(
        usage(&s, &alice).await,
        (kept.ciphertext.len() as u64, active.ciphertext.len() as u64)
    );
    assert_eq!(
        storage.blob_ids().await.unwrap().len(),
        2,
        "kept file + active upload"
    );
    assert_eq!(
        put_part(&s, &alice, &abandoned, 1, abandoned.part(1))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download_and_decrypt(&s, &alice, &kept.file_id).await.0,
        "kept"
    );
}

async fn a_restart_mid_upload_shows_no_file_keeps_committed_ones_and_leaks_nothing(
    b: Backend,
    o: Blobs,
) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let plaintext = random_bytes(150_000);
    let committed = upload(&s, &alice, "committed", &plaintext).await;
    let interrupted = begin(&s, &alice, &random_bytes(200_000)).await;
    for n in [0, 2] {
        let res = put_part(&s, &alice, &interrupted, n, interrupted.part(n)).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    let s = s.restart().await;
    let files = files_of(&s, &alice).await;
    assert_eq!(files.len(), 1, "only the committed file is visible");
    assert!(download_and_decrypt(&s, &alice, &committed.file_id).await.1 == plaintext);
    // The interrupted upload can be resumed ...
    let pending = uploads_of(&s, &alice).await;
    assert_eq!(pending[0]["received_parts"], json!([0, 2]));
    // ... or, left alone, is cleaned up without leaking content or quota.
    s.advance(s.config.vault.upload_abandon + Duration::from_secs(1));
    let alice = User {
        cookie: session_cookie(&s.login("alice", PASSWORD, None).await).unwrap(),
        reg: alice.reg,
    };
    let report = s.janitor().await.run_once().await.unwrap();
    assert_eq!((report.expired_uploads, report.orphan_blobs), (1, 0));
    assert!(uploads_of(&s, &alice).await.is_empty());
    assert_eq!(
        usage(&s, &alice).await,
        (committed.ciphertext.len() as u64, 0)
    );
    assert_eq!(s.storage().blob_ids().await.unwrap().len(), 1);
    assert!(download_and_decrypt(&s, &alice, &committed.file_id).await.1 == plaintext);
}

async fn part_zero_must_carry_this_uploads_header(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let one = begin(&s, &alice, b"same length").await;
    let two = begin(&s, &alice, b"same length").await;
    // Ciphertext made for another file id is refused.
    let (status, code) = error_code(put_part(&s, &alice, &one, 0, two.part(0)).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid")
    );
    let (status, _) =
        error_code(put_part(&s, &alice, &one, 0, vec![0; one.ciphertext.len()]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        put_part(&s, &alice, &one, 0, one.part(0)).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn bearer_tokens_work_like_the_session(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = upload(&s, &alice, "a", b"abc").await;
    let res = s
        .post(
            "/api/tokens/create",
            json!({ "name": "cli", "days": 1 }),
            Some(&alice.cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = json_of(res).await["token"].as_str().unwrap().to_string();
    let res = s
        .http
        .get(s.url(&format!("/api/files/{}/content", up.file_id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(&res.bytes().await.unwrap()[..], &up.ciphertext[..]);
    // API clients send no browser headers; state-changing calls work for them too.
    let res = s
        .http
        .delete(s.url(&format!("/api/files/{}", up.file_id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_blob_storage_that_does_not_answer() {
    let s = TestServer::start_vault(Backend::Sqlite, Blobs::S3, |_| {}).await;
    let res = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let s = TestServer::start_vault(Backend::Sqlite, Blobs::S3, |c| {
        if let coffer_server::config::StorageConfig::S3(s3) = &mut c.storage {
            s3.bucket = format!("coffer-missing-{:016x}", rand::random::<u64>());
        }
    })
    .await;
    let res = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_of(res).await;
    assert_eq!(
        (body["database"].as_str(), body["storage"].as_str()),
        (Some("ok"), Some("unavailable"))
    );
    assert!(
        !body.to_string().contains("coffer-missing"),
        "no storage names in the body"
    );
}

// ---------------------------------------------------------------------------------------------
// Zero knowledge: a marker in a file's name and content appears nowhere the server writes.

#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every server in this test binary logs at debug level into one buffer.
fn captured_log() -> CapturedLog {
    static LOG: OnceLock<CapturedLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = CapturedLog::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        log
    })
    .clone()
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_in_a_files_name_and_content_reaches_no_database_blob_or_log() {
    let log = captured_log();
    let s = TestServer::start_vault(Backend::Sqlite, Blobs::Local, |_| {}).await;
    let marker = format!("ZKMARKER{:016x}", rand::random::<u64>());
    let alice = user(&s, "alice").await;
    let content = format!("{marker} is in the content, twice: {marker}").repeat(3000);
    let up = upload(&s, &alice, &format!("{marker}.txt"), content.as_bytes()).await;
    let (name, back) = download_and_decrypt(&s, &alice, &up.file_id).await;
    assert_eq!(name, format!("{marker}.txt"));
    assert!(back == content.as_bytes());
    tokio::time::sleep(Duration::from_millis(200)).await;

    let needles = [
        marker.clone().into_bytes(),
        marker.to_lowercase().into_bytes(),
        hex::encode(&marker).into_bytes(),
        b64::encode(marker.as_bytes()).into_bytes(),
    ];
    let mut haystacks = files_under(&s.config.data_dir);
    assert!(
        haystacks.iter().any(|p| p.ends_with("coffer.db")),
        "{haystacks:?}"
    );
    assert!(
        haystacks
            .iter()
            .any(|p| p.to_string_lossy().contains("blobs")),
        "{haystacks:?}"
    );
    haystacks.sort();
    for path in haystacks {
        let bytes = std::fs::read(&path).unwrap();
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == &needle[..]),
                "the marker is in {}",
                path.display()
            );
        }
    }
    let logged = log.0.lock().unwrap().clone();
    assert!(logged.len() > 1000, "the log captured the requests");
    assert!(
        String::from_utf8_lossy(&logged).contains(&up.file_id),
        "the log is this server's"
    );
    for needle in &needles {
        assert!(
            !logged.windows(needle.len()).any(|w| w == &needle[..]),
            "the marker is in the log"
        );
    }
}
