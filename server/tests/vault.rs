//! The vault over HTTP against a real server: streamed uploads in parts, resume, listing,
//! download with ranges, versions (rename, the v1 upgrade, the bulk route, conflicts), delete,
//! quota, ownership, bad input and the janitor. Every
//! case runs on SQLite and PostgreSQL with local and S3 storage, and on MariaDB with local
//! storage. Content is real Coffer ciphertext made with the crypto crate, and every file is
//! committed as format v2 (an owner key slot and a signed version record), as the browser does.

mod common;

use std::time::Duration;

use coffer_crypto::{
    blob_len, ciphertext_len, open_metadata, open_own_file, seal_metadata, unwrap_file_key,
    verify_file_version, wrap_file_key, ContentBinding, ContentDigest, FileKey, FileMetadata,
    FileVersion, DEFAULT_CHUNK_SIZE,
};
use coffer_protocol::b64;
use common::{
    api::{error_code, json_of, post_json},
    file_id,
    files::{
        begin, begin_with, complete, completion, decrypt, first_version, put_metadata, put_part,
        random_bytes, sealed_name, send_all_parts, upload, Upload, CHUNK, PART,
    },
    log::captured_log,
    session_cookie,
    users::{user, User, PASSWORD},
    version_fields, well_formed_version, Backend, Blobs, TestServer,
};
use rand_core::OsRng;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

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
    rename_stores_the_next_version_and_keeps_the_content,
    a_new_file_is_version_1_with_an_owner_key_slot_and_a_signed_record,
    a_stale_or_skipped_version_number_is_refused_and_changes_nothing,
    parallel_renames_from_one_version_store_exactly_one,
    a_v1_file_is_listed_with_its_wrap_and_upgraded_by_version_1,
    the_bulk_version_route_answers_for_each_file_on_its_own,
    the_bulk_version_route_refuses_bad_batches_whole,
    delete_removes_the_file_and_frees_usage,
    the_janitor_removes_expired_uploads_and_orphan_blobs,
    a_restart_mid_upload_shows_no_file_keeps_committed_ones_and_leaks_nothing,
    part_zero_must_carry_this_uploads_header,
    bearer_tokens_work_like_the_session,
    an_export_carries_the_sealed_name_then_the_stream_byte_for_byte,
);

// ---------------------------------------------------------------------------------------------
// The browser's side, natively (the rest is in common/)

/// The body of a change to `version` (a rename to `name`), made by `u`.
fn version_body(u: &User, up: &Upload, version: &FileVersion, name: &str) -> Value {
    version_fields(
        &u.reg.keys,
        &file_id(&up.file_id),
        version,
        &sealed_name(up, name),
        &up.key,
    )
}

/// `version` with another number and the same content.
fn numbered(version: &FileVersion, number: u64) -> FileVersion {
    FileVersion {
        number,
        content: version.content,
    }
}

async fn put_versions(s: &TestServer, u: &User, versions: Vec<Value>) -> reqwest::Response {
    post_json(
        s,
        "/api/files/versions",
        &u.cookie,
        json!({ "versions": versions }),
    )
    .await
}

/// One item of a bulk version request.
fn item(id: &str, fields: Value) -> Value {
    let mut v = fields;
    v["id"] = json!(id);
    v
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

/// The listing entry of one file.
async fn entry_of(s: &TestServer, u: &User, id: &str) -> Value {
    files_of(s, u)
        .await
        .into_iter()
        .find(|f| f["id"] == id)
        .expect("the file is listed")
}

/// What the owner's browser checks of a listed file: the key slot opens for exactly this id,
/// record and metadata (which also proves the version is the owner's), and the record carries
/// the owner's signature. Returns the file key and the version.
fn open_entry(u: &User, entry: &Value) -> (FileKey, FileVersion) {
    let fid = file_id(entry["id"].as_str().unwrap());
    let slot = b64::decode(entry["key_slot"].as_str().unwrap()).unwrap();
    let record = b64::decode(entry["version_record"].as_str().unwrap()).unwrap();
    let sealed = b64::decode(entry["sealed_metadata"].as_str().unwrap()).unwrap();
    assert_eq!((slot.len(), slot[0]), (blob_len::SEALED_KEY, 0x08));
    assert_eq!((record.len(), record[0]), (blob_len::VERSION_RECORD, 0x09));
    let owner = u.reg.keys.public_key();
    let (key, version) = open_own_file(
        &u.reg.keys.account_key,
        &owner,
        &fid,
        &slot,
        &record,
        &sealed,
    )
    .unwrap();
    assert_eq!(
        verify_file_version(&owner, &fid, &record, &sealed).unwrap(),
        version
    );
    (key, version)
}

fn name_of(key: &FileKey, entry: &Value) -> String {
    let fid = file_id(entry["id"].as_str().unwrap());
    let sealed = b64::decode(entry["sealed_metadata"].as_str().unwrap()).unwrap();
    open_metadata(key, &fid, &sealed).unwrap().name
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
    // A v2 file opens through its owner key slot; a v1 file (no record yet) through its wrap.
    let (key, content) = if entry["version_record"].is_null() {
        let wrapped = b64::decode(entry["key_slot"].as_str().unwrap()).unwrap();
        assert_eq!(
            (wrapped.len(), wrapped[0]),
            (blob_len::WRAPPED_FILE_KEY, 0x04)
        );
        let key = unwrap_file_key(&u.reg.keys.identity, &wrapped, &fid).unwrap();
        (key, ContentBinding::Unbound)
    } else {
        let (key, version) = open_entry(u, &entry);
        (key, version.content)
    };
    let name = name_of(&key, &entry);

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
    if let ContentBinding::Digest(digest) = content {
        assert_eq!(
            ContentDigest::of_ciphertext(&ciphertext).unwrap(),
            digest,
            "the content is the version's"
        );
    }
    (name, decrypt(&key, id, &ciphertext))
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
                (method == Method::POST).then(|| well_formed_version(1).to_string().into())
            });
            let (status, code) = error_code(s.send(method.clone(), &path, c, body).await).await;
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::NOT_FOUND, "not_found"),
                "{method} {path}"
            );
        }
        let res = put_metadata(&s, &alice, id, &well_formed_version(1)).await;
        let (status, code) = error_code(res).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "rename {id}"
        );
        let res = put_versions(&s, &alice, vec![item(id, well_formed_version(1))]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            json_of(res).await,
            json!({ "results": [{ "id": id, "status": "not_found" }] })
        );
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
    let without = |field: &str| {
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove(field);
        v
    };
    let record = b64::decode(good["version_record"].as_str().unwrap()).unwrap();
    let changed_record = |at: usize, byte: u8| {
        let mut r = record.clone();
        r[at] = byte;
        json!(b64::encode(&r))
    };
    // A real record, signed by the owner, but not numbered 1.
    let second = version_body(&alice, &up, &numbered(&first_version(&up), 2), "hello.txt");
    // The format-v1 body: a wrapped key instead of a key slot and a record.
    let v1_body = json!({
        "sealed_metadata": good["sealed_metadata"],
        "wrapped_key": b64::encode(&wrap_file_key(
            &alice.reg.keys.public_key(),
            &up.key,
            &file_id(&up.file_id),
            &mut OsRng,
        )),
    });
    let mut extra = good.clone();
    extra["version"] = json!(1);
    for body in [
        json!({}),
        with("sealed_metadata", json!("***")),
        with("sealed_metadata", json!(b64::encode(&[5; 94]))),
        with("sealed_metadata", json!(b64::encode(&[5; 29]))),
        with("sealed_metadata", json!(b64::encode(&[1; 93]))),
        with("sealed_metadata", json!(b64::encode(&[5; 29 + 64 * 22]))),
        v1_body,
        extra,
        without("key_slot"),
        without("version_record"),
        with("key_slot", json!(b64::encode(&[8; 60]))),
        with("key_slot", json!(b64::encode(&[8; 62]))),
        with("key_slot", json!(b64::encode(&[6; 61]))),
        with("key_slot", json!(b64::encode(&[4; 114]))),
        with("key_slot", json!("***")),
        with("key_slot", json!(12)),
        with("key_slot", json!(null)),
        with("version_record", json!(b64::encode(&record[..105]))),
        with(
            "version_record",
            json!(b64::encode(&[record.clone(), vec![0]].concat())),
        ),
        with("version_record", changed_record(0, 0x08)),
        with("version_record", json!(b64::encode(&[0u8; 0]))),
        with("version_record", json!(null)),
        // Number 0, and a content binding that is neither "digest" nor "unbound".
        with(
            "version_record",
            json!(b64::encode(
                &[&record[..1], &[0u8; 8][..], &record[9..]].concat()
            )),
        ),
        with("version_record", changed_record(9, 2)),
        with("version_record", changed_record(9, 0)),
        with("version_record", second["version_record"].clone()),
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
        (Method::POST, "/api/files/versions".to_string()),
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
    // Well-formed and numbered as alice's next version: only the owner may store it.
    let meta = version_body(&bob, &file, &numbered(&first_version(&file), 2), "bob's").to_string();
    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/files/{}/content", file.file_id),
            None,
        ),
        (
            Method::GET,
            format!("/api/files/{}/export", file.file_id),
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
    let before = entry_of(&s, &alice, &file.file_id).await;
    let res = put_versions(
        &s,
        &bob,
        vec![item(
            &file.file_id,
            json!(serde_json::from_str::<Value>(&meta).unwrap()),
        )],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_of(res).await,
        json!({ "results": [{ "id": file.file_id, "status": "not_found" }] })
    );
    assert_eq!(entry_of(&s, &alice, &file.file_id).await, before);
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

async fn rename_stores_the_next_version_and_keeps_the_content(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = upload(&s, &alice, "draft.txt", b"content").await;
    let before = entry_of(&s, &alice, &up.file_id).await;
    let (_, first) = open_entry(&alice, &before);
    s.advance(Duration::from_secs(60));
    let fid = file_id(&up.file_id);
    let meta = FileMetadata {
        name: "final.txt".into(),
        mime: "text/plain".into(),
        size: 7,
        modified_ms: 0,
    };
    let sealed = seal_metadata(&up.key, &fid, &meta, &mut OsRng).unwrap();
    let next = first.next().unwrap();
    let body = version_fields(&alice.reg.keys, &fid, &next, &sealed, &up.key);
    let res = put_metadata(&s, &alice, &up.file_id, &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let file = json_of(res).await;
    assert!(file["updated_at"].as_i64() > file["created_at"].as_i64());
    // The answer is the file as listed now: the new metadata, slot and record, same content.
    let after = entry_of(&s, &alice, &up.file_id).await;
    assert_eq!(file, after);
    for field in ["sealed_metadata", "key_slot", "version_record"] {
        assert_eq!(after[field], body[field], "{field}");
    }
    for field in ["id", "ciphertext_size", "chunk_size", "created_at"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    let (key, version) = open_entry(&alice, &after);
    assert_eq!(version, next);
    assert_eq!(version.number, 2);
    assert_eq!(
        version.content, first.content,
        "a rename keeps the content binding"
    );
    assert!(key.export() == up.key.export());
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await,
        ("final.txt".to_string(), b"content".to_vec())
    );
}

async fn a_new_file_is_version_1_with_an_owner_key_slot_and_a_signed_record(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let up = begin(&s, &alice, b"signed").await;
    send_all_parts(&s, &alice, &up).await;
    let body = completion(&alice, &up, "signed.txt");
    let res = complete(&s, &alice, &up, "ignored").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_of(res).await;
    let entry = entry_of(&s, &alice, &up.file_id).await;
    assert_eq!(created, entry, "complete answers with the file as listed");
    assert!(entry.get("wrapped_key").is_none(), "{entry}");
    let (key, version) = open_entry(&alice, &entry);
    assert!(key.export() == up.key.export());
    assert_eq!(version, first_version(&up));
    assert_eq!(name_of(&key, &entry), "ignored");
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await.1,
        b"signed"
    );

    // Only the owner's account opens the slot; the record verifies under the owner's key only,
    // and only with the metadata it was made for.
    let fid = file_id(&up.file_id);
    let slot = b64::decode(entry["key_slot"].as_str().unwrap()).unwrap();
    let record = b64::decode(entry["version_record"].as_str().unwrap()).unwrap();
    let sealed = b64::decode(entry["sealed_metadata"].as_str().unwrap()).unwrap();
    assert!(open_own_file(
        &bob.reg.keys.account_key,
        &bob.reg.keys.public_key(),
        &fid,
        &slot,
        &record,
        &sealed
    )
    .is_err());
    assert!(verify_file_version(&bob.reg.keys.public_key(), &fid, &record, &sealed).is_err());
    let other_meta = b64::decode(body["sealed_metadata"].as_str().unwrap()).unwrap();
    assert!(verify_file_version(&alice.reg.keys.public_key(), &fid, &record, &other_meta).is_err());
}

/// Sends `body` as a new version of `id` and expects `409 version_conflict`.
async fn expect_version_conflict(s: &TestServer, u: &User, id: &str, body: &Value, what: &str) {
    let res = put_metadata(s, u, id, body).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::CONFLICT, "{what}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], "version_conflict", "{what}");
    assert!(!body["message"].as_str().unwrap().is_empty());
}

async fn a_stale_or_skipped_version_number_is_refused_and_changes_nothing(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = upload(&s, &alice, "v1.txt", b"versioned").await;
    let v1 = first_version(&up);
    let to_v2 = version_body(&alice, &up, &numbered(&v1, 2), "v2.txt");
    s.advance(Duration::from_secs(1));
    assert_eq!(
        put_metadata(&s, &alice, &up.file_id, &to_v2).await.status(),
        StatusCode::OK
    );
    let stored = entry_of(&s, &alice, &up.file_id).await;
    s.advance(Duration::from_secs(1));

    // The same change again (a replay, or a second tab that read version 1), an older number,
    // a number that skips one, and numbers far ahead: all 409, and nothing moves.
    let attempts = [
        ("replay of version 2", to_v2.clone()),
        (
            "another version 2",
            version_body(&alice, &up, &numbered(&v1, 2), "other.txt"),
        ),
        ("version 1 again", version_body(&alice, &up, &v1, "old.txt")),
        (
            "skips to 4",
            version_body(&alice, &up, &numbered(&v1, 4), "skip.txt"),
        ),
        (
            "skips to 1000",
            version_body(&alice, &up, &numbered(&v1, 1000), "far.txt"),
        ),
        (
            "i64::MAX",
            version_body(&alice, &up, &numbered(&v1, i64::MAX as u64), "max.txt"),
        ),
        (
            "u64::MAX",
            version_body(&alice, &up, &numbered(&v1, u64::MAX), "umax.txt"),
        ),
    ];
    for (what, body) in &attempts {
        expect_version_conflict(&s, &alice, &up.file_id, body, what).await;
        assert_eq!(entry_of(&s, &alice, &up.file_id).await, stored, "{what}");
    }
    // Number 0 is not a version at all.
    let mut zero = to_v2.clone();
    let mut record = b64::decode(to_v2["version_record"].as_str().unwrap()).unwrap();
    record[1..9].copy_from_slice(&0u64.to_be_bytes());
    zero["version_record"] = json!(b64::encode(&record));
    let (status, code) = error_code(put_metadata(&s, &alice, &up.file_id, &zero).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid")
    );
    // The format-v1 rename body is refused too.
    let old = json!({ "sealed_metadata": to_v2["sealed_metadata"] });
    let (status, code) = error_code(put_metadata(&s, &alice, &up.file_id, &old).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid")
    );
    assert_eq!(entry_of(&s, &alice, &up.file_id).await, stored);
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await,
        ("v2.txt".to_string(), b"versioned".to_vec())
    );

    // The next number still goes through.
    let to_v3 = version_body(&alice, &up, &numbered(&v1, 3), "v3.txt");
    let res = put_metadata(&s, &alice, &up.file_id, &to_v3).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(open_entry(&alice, &json_of(res).await).1.number, 3);
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await.0,
        "v3.txt"
    );
}

async fn parallel_renames_from_one_version_store_exactly_one(b: Backend, o: Blobs) {
    const TABS: usize = 5;
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let up = upload(&s, &alice, "start.txt", b"raced").await;
    let mut current = first_version(&up);
    for round in 0..3 {
        // Every tab read version n and makes its own n + 1.
        let next = current.next().unwrap();
        let bodies: Vec<(String, Value)> = (0..TABS)
            .map(|tab| {
                let name = format!("round {round} tab {tab}.txt");
                let body = version_body(&alice, &up, &next, &name);
                (name, body)
            })
            .collect();
        let sends = bodies
            .iter()
            .map(|(_, body)| put_metadata(&s, &alice, &up.file_id, body));
        let results = futures_util::future::join_all(sends).await;
        let mut winners = Vec::new();
        let mut statuses = Vec::new();
        for (tab, res) in results.into_iter().enumerate() {
            let status = res.status();
            statuses.push(status);
            let body = json_of(res).await;
            match status {
                StatusCode::OK => winners.push((tab, body)),
                StatusCode::CONFLICT => assert_eq!(body["error"], "version_conflict"),
                other => panic!("round {round} tab {tab}: {other} {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {statuses:?}");
        let (tab, answered) = &winners[0];
        let stored = entry_of(&s, &alice, &up.file_id).await;
        assert_eq!(&stored, answered);
        for field in ["sealed_metadata", "key_slot", "version_record"] {
            assert_eq!(
                stored[field], bodies[*tab].1[field],
                "round {round}: {field}"
            );
        }
        let (key, version) = open_entry(&alice, &stored);
        assert_eq!(version, next);
        assert_eq!(name_of(&key, &stored), bodies[*tab].0);
        current = next;
    }
    assert_eq!(current.number, 4);
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await.1,
        b"raced"
    );
}

/// Uploads a file, then turns it into one a v1 server stored (its key HPKE-wrapped to the
/// owner, version 0, no record); returns the upload and that wrap.
async fn v1_file(s: &TestServer, u: &User, name: &str, plaintext: &[u8]) -> (Upload, Vec<u8>) {
    let up = upload(s, u, name, plaintext).await;
    let wrapped = wrap_file_key(
        &u.reg.keys.public_key(),
        &up.key,
        &file_id(&up.file_id),
        &mut OsRng,
    );
    s.make_v1_file(&up.file_id, wrapped.clone()).await;
    (up, wrapped)
}

/// The upgrade of a v1 file: version 1, bound to no digest (its content was not read).
fn upgrade_body(u: &User, up: &Upload, entry: &Value, number: u64) -> Value {
    let sealed = b64::decode(entry["sealed_metadata"].as_str().unwrap()).unwrap();
    let version = FileVersion {
        number,
        content: ContentBinding::Unbound,
    };
    version_fields(
        &u.reg.keys,
        &file_id(&up.file_id),
        &version,
        &sealed,
        &up.key,
    )
}

async fn a_v1_file_is_listed_with_its_wrap_and_upgraded_by_version_1(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let (up, wrapped) = v1_file(&s, &alice, "old.txt", b"from format v1").await;
    let v1 = entry_of(&s, &alice, &up.file_id).await;
    assert_eq!(v1["key_slot"], b64::encode(&wrapped).as_str());
    assert_eq!(v1["version_record"], Value::Null);
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await,
        ("old.txt".to_string(), b"from format v1".to_vec())
    );

    // A v1 file is at version 0: its first signed version is 1, nothing else.
    s.advance(Duration::from_secs(1));
    for number in [2, 3, u64::MAX] {
        let body = upgrade_body(&alice, &up, &v1, number);
        expect_version_conflict(&s, &alice, &up.file_id, &body, &format!("{number}")).await;
        assert_eq!(entry_of(&s, &alice, &up.file_id).await, v1);
    }
    let body = upgrade_body(&alice, &up, &v1, 1);
    let res = put_metadata(&s, &alice, &up.file_id, &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let upgraded = json_of(res).await;
    assert_eq!(upgraded, entry_of(&s, &alice, &up.file_id).await);
    assert_eq!(upgraded["sealed_metadata"], v1["sealed_metadata"]);
    assert_ne!(upgraded["updated_at"], v1["updated_at"]);
    let (key, version) = open_entry(&alice, &upgraded);
    assert!(key.export() == up.key.export());
    assert_eq!(
        version,
        FileVersion {
            number: 1,
            content: ContentBinding::Unbound
        }
    );
    // Upgraded once: the same upgrade again is a conflict, and the next rename is version 2.
    expect_version_conflict(&s, &alice, &up.file_id, &body, "upgrade twice").await;
    let rename = version_body(&alice, &up, &version.next().unwrap(), "renamed.txt");
    assert_eq!(
        put_metadata(&s, &alice, &up.file_id, &rename)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        download_and_decrypt(&s, &alice, &up.file_id).await,
        ("renamed.txt".to_string(), b"from format v1".to_vec())
    );
}

async fn the_bulk_version_route_answers_for_each_file_on_its_own(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let (a, _) = v1_file(&s, &alice, "a", b"a").await;
    let (stale, _) = v1_file(&s, &alice, "stale", b"stale").await;
    let (c, _) = v1_file(&s, &alice, "c", b"c").await;
    let d = upload(&s, &alice, "d", b"d").await;
    let bobs = upload(&s, &bob, "bob's", b"bob's").await;
    let before: Vec<Value> = files_of(&s, &alice).await;
    let bobs_before = entry_of(&s, &bob, &bobs.file_id).await;
    let entry = |up: &Upload| {
        before
            .iter()
            .find(|e| e["id"] == up.file_id.as_str())
            .unwrap()
            .clone()
    };
    let unknown = hex::encode([0x5a; 16]);
    let a_up = upgrade_body(&alice, &a, &entry(&a), 1);
    let d_next = version_body(&alice, &d, &numbered(&first_version(&d), 2), "d2");
    let batch = vec![
        item(&a.file_id, a_up.clone()),
        item(
            &stale.file_id,
            upgrade_body(&alice, &stale, &entry(&stale), 2),
        ),
        item(&unknown, well_formed_version(1)),
        item(
            &bobs.file_id,
            version_body(&alice, &bobs, &numbered(&first_version(&bobs), 2), "x"),
        ),
        item("not-an-id", well_formed_version(1)),
        item(&d.file_id, d_next.clone()),
        // The same file twice: the first one counts, the second is now stale.
        item(&a.file_id, a_up.clone()),
        item(&c.file_id, upgrade_body(&alice, &c, &entry(&c), 1)),
    ];
    let res = put_versions(&s, &alice, batch).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_of(res).await,
        json!({ "results": [
            { "id": a.file_id, "status": "stored" },
            { "id": stale.file_id, "status": "conflict" },
            { "id": unknown, "status": "not_found" },
            { "id": bobs.file_id, "status": "not_found" },
            { "id": "not-an-id", "status": "not_found" },
            { "id": d.file_id, "status": "stored" },
            { "id": a.file_id, "status": "conflict" },
            { "id": c.file_id, "status": "stored" },
        ] })
    );
    // Each stored item is exactly what PUT …/metadata would have stored.
    for (up, number) in [(&a, 1), (&c, 1), (&d, 2)] {
        let now = entry_of(&s, &alice, &up.file_id).await;
        let (key, version) = open_entry(&alice, &now);
        assert!(key.export() == up.key.export());
        assert_eq!(version.number, number);
    }
    assert_eq!(
        entry_of(&s, &alice, &a.file_id).await["key_slot"],
        a_up["key_slot"]
    );
    assert_eq!(
        entry_of(&s, &alice, &d.file_id).await["version_record"],
        d_next["version_record"]
    );
    // The refused ones did not move.
    assert_eq!(entry_of(&s, &alice, &stale.file_id).await, entry(&stale));
    assert_eq!(entry_of(&s, &bob, &bobs.file_id).await, bobs_before);
    assert_eq!(
        download_and_decrypt(&s, &alice, &d.file_id).await,
        ("d2".to_string(), b"d".to_vec())
    );
    assert_eq!(
        download_and_decrypt(&s, &alice, &stale.file_id).await.0,
        "stale"
    );

    // An empty batch, and the most items one may hold.
    let res = put_versions(&s, &alice, vec![]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await, json!({ "results": [] }));
    let many: Vec<Value> = (0..100u8)
        .map(|n| item(&hex::encode([n; 16]), well_formed_version(1)))
        .collect();
    let res = put_versions(&s, &alice, many).await;
    assert_eq!(res.status(), StatusCode::OK);
    let results = json_of(res).await["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 100);
    assert!(results.iter().all(|r| r["status"] == "not_found"));
}

async fn the_bulk_version_route_refuses_bad_batches_whole(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let (a, _) = v1_file(&s, &alice, "a", b"a").await;
    let (other, _) = v1_file(&s, &alice, "other", b"other").await;
    let before = files_of(&s, &alice).await;
    let a_entry = entry_of(&s, &alice, &a.file_id).await;
    let good = item(&a.file_id, upgrade_body(&alice, &a, &a_entry, 1));
    let mut too_many: Vec<Value> = (0..100u8)
        .map(|n| item(&hex::encode([n; 16]), well_formed_version(1)))
        .collect();
    too_many.push(good.clone());
    let mut bad_slot = item(&other.file_id, well_formed_version(1));
    bad_slot["key_slot"] = json!(b64::encode(&[4; 114]));
    let mut unknown_field = good.clone();
    unknown_field["owner_id"] = json!(2);
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("version_record");
    for (what, body) in [
        ("101 items", json!({ "versions": too_many })),
        // A malformed item (first, so nothing before it could have been applied).
        (
            "bad key slot",
            json!({ "versions": [bad_slot, good.clone()] }),
        ),
        ("unknown item field", json!({ "versions": [unknown_field] })),
        ("missing item field", json!({ "versions": [missing] })),
        ("no list", json!({})),
        ("a list alone", json!([good.clone()])),
        ("unknown field", json!({ "versions": [], "all": true })),
    ] {
        let res = post_json(&s, "/api/files/versions", &alice.cookie, body).await;
        let (status, code) = error_code(res).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid"),
            "{what}"
        );
        assert_eq!(files_of(&s, &alice).await, before, "{what}");
    }
    let res = put_versions(&s, &alice, vec![good]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_of(res).await["results"],
        json!([{ "id": a.file_id, "status": "stored" }])
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
    let orphan = coffer_domain::storage::new_blob_id();
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
        ..alice
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
async fn readiness_reports_blob_storage_that_does_not_answer() {
    let s = TestServer::start_vault(Backend::Sqlite, Blobs::S3, |_| {}).await;
    let res = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let s = TestServer::start_vault(Backend::Sqlite, Blobs::S3, |c| {
        if let coffer_server::config::StorageConfig::S3(s3) = &mut c.storage {
            s3.bucket = format!("coffer-missing-{:016x}", rand::random::<u64>());
        }
    })
    .await;
    // Alive, but not ready.
    let res = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = s.http.get(s.url("/readyz")).send().await.unwrap();
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
    let log = captured_log("debug");
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

async fn an_export_carries_the_sealed_name_then_the_stream_byte_for_byte(b: Backend, o: Blobs) {
    let s = TestServer::start_vault(b, o, |_| {}).await;
    let alice = user(&s, "alice").await;
    let plaintext = random_bytes(150_000);
    let up = upload(&s, &alice, "report.pdf", &plaintext).await;
    let res = s
        .send(
            Method::GET,
            &format!("/api/files/{}/export", up.file_id),
            Some(&alice.cookie),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert_eq!(
        disposition, "attachment",
        "the browser names it; the server cannot"
    );
    let bytes = res.bytes().await.unwrap();
    let coffer_crypto::CofferFile::Export {
        sealed_metadata,
        stream_offset,
    } = coffer_crypto::read_coffer_file(&bytes).unwrap()
    else {
        panic!("not an export");
    };
    assert_eq!(&bytes[stream_offset..], &up.ciphertext[..]);
    let meta =
        coffer_crypto::open_metadata(&up.key, &file_id(&up.file_id), sealed_metadata).unwrap();
    assert_eq!(meta.name, "report.pdf");
    assert_eq!(
        decrypt(&up.key, &up.file_id, &bytes[stream_offset..]),
        plaintext
    );
}
