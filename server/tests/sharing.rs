//! Sharing over HTTP against a real server: public keys, grants and the files shared with a
//! user (signed by the sharer, for the grantee's current key), the grants a user made, share
//! links (validation, tokens, the per-link rate limit, the atomic download counter, expiry,
//! revocation, the janitor, what opening tells about the owner), contacts and the account
//! record (revisions, compare-and-swap, its own body limit). Every case runs on SQLite,
//! PostgreSQL and MariaDB. Files are real Coffer ciphertext uploaded through the vault API as
//! format v2, and keys are wrapped, signed and derived with the crypto crate, as the browser does.

mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use coffer_app::keyring::Registration;
use coffer_crypto::{
    ciphertext_len, link_token_digest, open_account_record, open_metadata, seal_account_record,
    seal_metadata, sign_grant, unwrap_file_key, verify_file_version, verify_grant, wrap_file_key,
    AccountRecord, ContentBinding, ContentDigest, FileKey, FileMetadata, FileVersion,
    IdentityKeyPair, KdfParams, LinkKeys, LinkPassword, LinkSecret, PinnedContact, PublicKey,
    StreamDecryptor, StreamEncryptor, Trust,
};
use coffer_domain::Clock;
use coffer_protocol::b64;
use common::{file_id, session_cookie, version_fields, Backend, TestServer};
use rand::RngCore;
use rand_core::OsRng;
use reqwest::{header, Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";
const CHUNK: u32 = 4096;
const PART: u64 = 64 * 1024;
const HOUR: Duration = Duration::from_secs(3600);
const DAY_MS: i64 = 86_400_000;
const TOKEN_HEADER: &str = "x-coffer-link-token";
const LINK_GONE: &str = r#"{"error":"not_found","message":"This link is no longer available."}"#;

on_every_database!(
    grants_are_created_listed_replaced_and_revoked,
    non_owners_get_404_on_every_owner_route,
    grants_to_unknown_users_or_yourself_or_malformed_are_refused,
    a_grantee_lists_downloads_and_decrypts_a_shared_file_then_leaves_it,
    an_expired_grant_is_invisible_and_its_content_is_404,
    deleting_a_file_removes_its_grants_and_links,
    public_keys_are_found_by_normalized_username,
    links_are_validated_when_created,
    a_link_opens_with_the_right_token_only_and_opening_is_not_a_download,
    wrong_tokens_are_rate_limited_per_link_and_the_window_passes,
    link_downloads_are_counted_whole_and_never_by_head,
    parallel_downloads_never_exceed_the_limit,
    every_unavailable_link_answers_the_same_404,
    the_janitor_purges_dead_links_and_expired_grants,
    contacts_are_stored_replaced_and_deleted_per_owner,
    anonymous_callers_get_401_and_public_link_routes_need_no_account,
    a_grant_for_a_key_that_is_not_the_grantees_current_one_is_409,
    unsigned_grant_bodies_are_refused,
    the_grants_list_shows_only_the_callers_own_live_grants,
    v1_files_and_grants_are_shared_without_records_or_signatures,
    a_link_open_returns_the_owners_public_key_and_the_version_record,
    the_account_record_is_created_read_and_replaced_by_revision,
    parallel_account_record_writers_from_one_revision_exactly_one_wins,
    another_user_can_never_read_or_overwrite_my_account_record,
    malformed_account_records_are_400_and_store_nothing,
    a_200_kb_account_record_is_accepted_and_an_over_limit_body_is_413,
);

/// Sessions that outlive the hours these tests move the clock by.
fn long_sessions(c: &mut coffer_server::Config) {
    c.auth.session_idle = Duration::from_secs(7 * 86_400);
    c.auth.session_absolute = Duration::from_secs(7 * 86_400);
}

// ---------------------------------------------------------------------------------------------
// The browser's side, natively

struct User {
    name: String,
    cookie: String,
    reg: Registration,
}

async fn user(s: &TestServer, name: &str) -> User {
    let (res, reg) = s.register(name, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    User {
        name: name.to_string(),
        cookie: session_cookie(&res).expect("registration logs in"),
        reg,
    }
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    OsRng.fill_bytes(&mut v);
    v
}

fn random_hex_id() -> String {
    hex::encode(random_bytes(16))
}

/// A committed file, as its owner's browser knows it.
struct File {
    id: String,
    /// The owner's public key.
    owner: PublicKey,
    key: FileKey,
    plaintext: Vec<u8>,
    ciphertext: Vec<u8>,
}

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"))
}

async fn call(
    s: &TestServer,
    method: Method,
    path: &str,
    u: Option<&User>,
    body: Option<Value>,
) -> reqwest::Response {
    s.send(
        method,
        path,
        u.map(|u| u.cookie.as_str()),
        body.map(|b| b.to_string().into()),
    )
    .await
}

async fn get_json(s: &TestServer, path: &str, u: &User) -> Value {
    let res = call(s, Method::GET, path, Some(u), None).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    json_of(res).await
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

async fn expect_error(res: reqwest::Response, status: StatusCode, code: &str, what: &str) {
    let (got, got_code) = error_code(res).await;
    assert_eq!((got, got_code.as_str()), (status, code), "{what}");
}

/// Uploads `plaintext` as `name` through the vault API, start to finish.
async fn upload(s: &TestServer, u: &User, name: &str, plaintext: &[u8]) -> File {
    let size = ciphertext_len(plaintext.len() as u64, CHUNK).unwrap();
    let res = call(
        s,
        Method::POST,
        "/api/uploads",
        Some(u),
        Some(json!({ "ciphertext_size": size, "chunk_size": CHUNK, "part_size": PART })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_of(res).await;
    let upload_id = created["upload_id"].as_str().unwrap().to_string();
    let id = created["file_id"].as_str().unwrap().to_string();
    let fid = file_id(&id);
    let key = FileKey::generate(&mut OsRng);
    let mut enc = StreamEncryptor::new(&key, &fid, CHUNK, &mut OsRng).unwrap();
    let mut ciphertext = enc.header().to_vec();
    ciphertext.extend(enc.push(plaintext).unwrap());
    ciphertext.extend(enc.finish().unwrap());
    for (n, part) in ciphertext.chunks(PART as usize).enumerate() {
        let res = s
            .send(
                Method::PUT,
                &format!("/api/uploads/{upload_id}/parts/{n}"),
                Some(&u.cookie),
                Some(part.to_vec().into()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "part {n}");
    }
    let meta = FileMetadata {
        name: name.into(),
        mime: "application/octet-stream".into(),
        size: plaintext.len() as u64,
        modified_ms: 1_700_000_000_000,
    };
    let sealed = seal_metadata(&key, &fid, &meta, &mut OsRng).unwrap();
    let version = FileVersion::first(ContentDigest::of_ciphertext(&ciphertext).unwrap());
    let body = version_fields(&u.reg.keys, &fid, &version, &sealed, &key);
    let path = format!("/api/uploads/{upload_id}/complete");
    let res = call(s, Method::POST, &path, Some(u), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    File {
        id,
        owner: u.reg.keys.public_key(),
        key,
        plaintext: plaintext.to_vec(),
        ciphertext,
    }
}

/// The body of a grant of `f` to `to` made by `by`: the file key wrapped to `to`'s public key,
/// and `by`'s signature over the file, that key, the wrapped key and the expiry.
fn grant_body(by: &User, f: &File, to: &User, expires_at: Option<i64>) -> Value {
    grant_body_for_key(by, f, &to.name, &to.reg.keys.public_key(), expires_at)
}

/// [`grant_body`] for `grantee` as known by the public key `key` (which may not be theirs).
fn grant_body_for_key(
    by: &User,
    f: &File,
    grantee: &str,
    key: &PublicKey,
    expires_at: Option<i64>,
) -> Value {
    let fid = file_id(&f.id);
    let wrapped = wrap_file_key(key, &f.key, &fid, &mut OsRng);
    let signature = sign_grant(&by.reg.keys.identity, &fid, key, &wrapped, expires_at);
    assert_eq!((signature.len(), signature[0]), (65, 0x0D));
    json!({
        "grantee": grantee,
        "grantee_key": b64::encode(&key.to_bytes()),
        "wrapped_key": b64::encode(&wrapped),
        "signature": b64::encode(&signature),
        "expires_at": expires_at,
    })
}

async fn grant(
    s: &TestServer,
    owner: &User,
    f: &File,
    to: &User,
    expires_at: Option<i64>,
) -> Value {
    let path = format!("/api/files/{}/grants", f.id);
    let res = call(
        s,
        Method::POST,
        &path,
        Some(owner),
        Some(grant_body(owner, f, to, expires_at)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    json_of(res).await
}

async fn grants_of(s: &TestServer, owner: &User, f: &File) -> Vec<Value> {
    get_json(s, &format!("/api/files/{}/grants", f.id), owner).await["grants"]
        .as_array()
        .unwrap()
        .clone()
}

async fn shared_with(s: &TestServer, u: &User) -> Vec<Value> {
    get_json(s, "/api/shared", u).await["files"]
        .as_array()
        .unwrap()
        .clone()
}

/// A share link as the owner's browser makes it; the secret stays here.
struct Link {
    id: String,
    secret: LinkSecret,
    keys: LinkKeys,
    token: String,
}

impl Link {
    fn id_bytes(&self) -> [u8; 16] {
        hex::decode(&self.id).unwrap().try_into().unwrap()
    }
}

/// Makes a link for `f` (with a password, at the lowest Argon2id cost) and its creation body.
/// Its id is the v2 one, derived from the secret, the owner's key and the file id.
fn make_link(f: &File, password: Option<&str>) -> (Link, Value) {
    let secret = LinkSecret::generate(&mut OsRng);
    let id = hex::encode(secret.link_id(&f.owner, &file_id(&f.id)).unwrap());
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let pw = password.map(|p| LinkPassword {
        password: p,
        salt,
        params: KdfParams::FLOOR,
    });
    let keys = LinkKeys::derive(&secret, pw.as_ref()).unwrap();
    let id_bytes: [u8; 16] = hex::decode(&id).unwrap().try_into().unwrap();
    let body = json!({
        "link_id": id,
        "token_digest": b64::encode(&link_token_digest(&keys.auth_token())),
        "wrapped_key": b64::encode(&keys.wrap_file_key(&f.key, &id_bytes, &mut OsRng)),
        "password_kdf": password.map(|_| json!({
            "salt": b64::encode(&salt),
            "memory_kib": KdfParams::FLOOR.memory_kib,
            "iterations": KdfParams::FLOOR.iterations,
            "parallelism": KdfParams::FLOOR.parallelism,
        })),
        "expires_at": null,
        "max_downloads": null,
    });
    let token = b64::encode(&keys.auth_token());
    (
        Link {
            id,
            secret,
            keys,
            token,
        },
        body,
    )
}

/// Creates a link on `f` with the given limits; returns it and the server's answer.
async fn link(
    s: &TestServer,
    owner: &User,
    f: &File,
    expires_at: Option<i64>,
    max_downloads: Option<u32>,
) -> (Link, Value) {
    let (link, mut body) = make_link(f, None);
    body["expires_at"] = json!(expires_at);
    body["max_downloads"] = json!(max_downloads);
    let path = format!("/api/files/{}/links", f.id);
    let res = call(s, Method::POST, &path, Some(owner), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let info = json_of(res).await;
    (link, info)
}

async fn links_of(s: &TestServer, owner: &User, f: &File) -> Vec<Value> {
    get_json(s, &format!("/api/files/{}/links", f.id), owner).await["links"]
        .as_array()
        .unwrap()
        .clone()
}

async fn open_link(s: &TestServer, id: &str, token: &str) -> reqwest::Response {
    call(
        s,
        Method::POST,
        &format!("/api/links/{id}/open"),
        None,
        Some(json!({ "token": token })),
    )
    .await
}

async fn link_content(s: &TestServer, id: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = s.http.get(s.url(&format!("/api/links/{id}/content")));
    if let Some(t) = token {
        req = req.header(TOKEN_HEADER, t);
    }
    req.send().await.unwrap()
}

async fn link_info(s: &TestServer, id: &str) -> reqwest::Response {
    s.http
        .get(s.url(&format!("/api/links/{id}")))
        .send()
        .await
        .unwrap()
}

fn wrong_token() -> String {
    b64::encode(&random_bytes(32))
}

/// Counts rows behind the server's back (its own connection to the test database).
async fn count_rows(s: &TestServer, table: &str, file: &File) -> i64 {
    let db = s.db().await;
    let sql = format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE file_id = '{}'",
        file.id
    );
    let row = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    db.close().await.unwrap();
    n
}

fn decrypt(key: &FileKey, id: &str, ciphertext: &[u8]) -> Vec<u8> {
    let mut dec = StreamDecryptor::new(key, &file_id(id));
    let mut plaintext = dec.push(ciphertext).unwrap();
    plaintext.extend(dec.finish().unwrap());
    plaintext
}

// ---------------------------------------------------------------------------------------------
// Grants

async fn grants_are_created_listed_replaced_and_revoked(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let carol = user(&s, "carol").await;
    let f = upload(&s, &alice, "report.pdf", &random_bytes(5000)).await;
    let now = s.clock.now_ms();

    let made = grant(&s, &alice, &f, &carol, Some(now + DAY_MS)).await;
    assert_eq!(
        made,
        json!({ "grantee": "carol", "created_at": now, "expires_at": now + DAY_MS })
    );
    let made = grant(&s, &alice, &f, &bob, None).await;
    assert_eq!(
        made,
        json!({ "grantee": "bob", "created_at": now, "expires_at": null })
    );
    assert_eq!(
        grants_of(&s, &alice, &f).await,
        vec![
            json!({ "grantee": "bob", "created_at": now, "expires_at": null }),
            json!({ "grantee": "carol", "created_at": now, "expires_at": now + DAY_MS }),
        ]
    );

    // Re-granting replaces the wrapped key and the expiry (the name is normalized).
    s.advance(Duration::from_secs(60));
    let later = now + 60_000;
    let mut body = grant_body(&alice, &f, &bob, Some(later + DAY_MS));
    body["grantee"] = json!("  BOB ");
    let new_key = body["wrapped_key"].clone();
    let new_signature = body["signature"].clone();
    let path = format!("/api/files/{}/grants", f.id);
    let res = call(&s, Method::POST, &path, Some(&alice), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        json_of(res).await,
        json!({ "grantee": "bob", "created_at": later, "expires_at": later + DAY_MS })
    );
    let grants = grants_of(&s, &alice, &f).await;
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0]["expires_at"], later + DAY_MS);
    let shared = shared_with(&s, &bob).await;
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["wrapped_key"], new_key);
    assert_eq!(shared[0]["grant_signature"], new_signature);

    // Revoking.
    let revoke = |who: &str| format!("/api/files/{}/grants/{who}", f.id);
    let res = call(&s, Method::DELETE, &revoke("carol"), Some(&alice), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for who in ["carol", "nobody", "x"] {
        let res = call(&s, Method::DELETE, &revoke(who), Some(&alice), None).await;
        expect_error(res, StatusCode::NOT_FOUND, "not_found", who).await;
    }
    let grants = grants_of(&s, &alice, &f).await;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["grantee"], "bob");
    assert!(shared_with(&s, &carol).await.is_empty());
    let res = call(&s, Method::DELETE, &revoke("Bob"), Some(&alice), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(grants_of(&s, &alice, &f).await.is_empty());
    assert!(shared_with(&s, &bob).await.is_empty());
}

async fn non_owners_get_404_on_every_owner_route(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let mallory = user(&s, "mallory").await;
    let f = upload(&s, &alice, "a.txt", b"alice's").await;
    grant(&s, &alice, &f, &bob, None).await;
    let (l, _) = link(&s, &alice, &f, None, None).await;

    for intruder in [&bob, &mallory] {
        let (_, link_body) = make_link(&f, None);
        for (method, path, body) in [
            (
                Method::POST,
                format!("/api/files/{}/grants", f.id),
                Some(grant_body(intruder, &f, &mallory, None)),
            ),
            (Method::GET, format!("/api/files/{}/grants", f.id), None),
            (
                Method::DELETE,
                format!("/api/files/{}/grants/bob", f.id),
                None,
            ),
            (
                Method::POST,
                format!("/api/files/{}/links", f.id),
                Some(link_body),
            ),
            (Method::GET, format!("/api/files/{}/links", f.id), None),
            (
                Method::DELETE,
                format!("/api/files/{}/links/{}", f.id, l.id),
                None,
            ),
        ] {
            let res = call(&s, method.clone(), &path, Some(intruder), body).await;
            expect_error(
                res,
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("{} {method} {path}", intruder.name),
            )
            .await;
        }
    }
    // Mallory has no grant: the grantee routes look missing too.
    for (method, path) in [
        (Method::GET, format!("/api/shared/{}/content", f.id)),
        (Method::DELETE, format!("/api/shared/{}", f.id)),
    ] {
        let res = call(&s, method.clone(), &path, Some(&mallory), None).await;
        expect_error(res, StatusCode::NOT_FOUND, "not_found", &path).await;
    }
    // Unknown and malformed file ids for the owner look the same.
    for id in [random_hex_id(), "nope".into(), f.id.to_uppercase()] {
        for path in [
            format!("/api/files/{id}/grants"),
            format!("/api/files/{id}/links"),
            format!("/api/shared/{id}/content"),
        ] {
            let res = call(&s, Method::GET, &path, Some(&alice), None).await;
            expect_error(res, StatusCode::NOT_FOUND, "not_found", &path).await;
        }
    }
    // The same message for another user's file as for a missing one.
    let theirs = call(
        &s,
        Method::GET,
        &format!("/api/files/{}/grants", f.id),
        Some(&mallory),
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    let missing = call(
        &s,
        Method::GET,
        &format!("/api/files/{}/grants", random_hex_id()),
        Some(&mallory),
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(theirs, missing);
    // Nothing changed.
    assert_eq!(grants_of(&s, &alice, &f).await.len(), 1);
    assert_eq!(links_of(&s, &alice, &f).await.len(), 1);
    assert!(shared_with(&s, &mallory).await.is_empty());
}

async fn grants_to_unknown_users_or_yourself_or_malformed_are_refused(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "a.txt", b"abc").await;
    let path = format!("/api/files/{}/grants", f.id);
    let now = s.clock.now_ms();

    let mut body = grant_body(&alice, &f, &bob, None);
    body["grantee"] = json!("nobody");
    let res = call(&s, Method::POST, &path, Some(&alice), Some(body)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.text().await.unwrap(),
        r#"{"error":"not_found","message":"No Coffer user has that name."}"#
    );

    let good = grant_body(&alice, &f, &bob, None);
    let with = |field: &str, value: Value| {
        let mut v = good.clone();
        v[field] = value;
        v
    };
    let own = grant_body(&alice, &f, &alice, None);
    let mut own_upper = own.clone();
    own_upper["grantee"] = json!(" ALICE");
    let mut unknown_field = good.clone();
    unknown_field["granted_by"] = json!(1);
    for body in [
        own,
        own_upper,
        with("wrapped_key", json!(b64::encode(&[4; 113]))),
        with("wrapped_key", json!(b64::encode(&[4; 115]))),
        with("wrapped_key", json!(b64::encode(&[6; 114]))),
        with("wrapped_key", json!("not base64!")),
        with("wrapped_key", json!(null)),
        with("grantee_key", json!("not base64!")),
        with("grantee_key", json!(null)),
        with("expires_at", json!(now)),
        with("expires_at", json!(now - 1)),
        with("expires_at", json!("tomorrow")),
        with("grantee", json!(42)),
        unknown_field,
        json!({}),
    ] {
        let res = call(&s, Method::POST, &path, Some(&alice), Some(body.clone())).await;
        expect_error(res, StatusCode::BAD_REQUEST, "invalid", &body.to_string()).await;
    }
    let res = s
        .send(Method::POST, &path, Some(&alice.cookie), Some("{".into()))
        .await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid", "not JSON").await;
    assert!(grants_of(&s, &alice, &f).await.is_empty());
    assert!(shared_with(&s, &bob).await.is_empty());
}

async fn a_grantee_lists_downloads_and_decrypts_a_shared_file_then_leaves_it(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "holiday.jpg", &random_bytes(150_000)).await;
    grant(&s, &alice, &f, &bob, None).await;
    let shared_at = s.clock.now_ms();
    s.advance(Duration::from_secs(10));
    let g = upload(&s, &alice, "second.txt", b"second").await;
    grant(&s, &alice, &g, &bob, Some(s.clock.now_ms() + DAY_MS)).await;

    let listed = shared_with(&s, &bob).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], g.id.as_str(), "newest first");
    // The signature covers the expiry the grant has.
    let g_expiry = listed[0]["expires_at"].as_i64();
    assert!(g_expiry.is_some());
    verify_grant(
        &alice.reg.keys.public_key(),
        &file_id(&g.id),
        &bob.reg.keys.public_key(),
        &b64::decode(listed[0]["wrapped_key"].as_str().unwrap()).unwrap(),
        g_expiry,
        &b64::decode(listed[0]["grant_signature"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let entry = &listed[1];
    assert_eq!(entry["id"], f.id.as_str());
    assert_eq!(entry["sharer"], "alice");
    assert!(entry.get("owner").is_none(), "{entry}");
    let alice_key = alice.reg.keys.public_key();
    assert_eq!(
        entry["sharer_public_key"],
        b64::encode(&alice_key.to_bytes()).as_str()
    );
    assert_eq!(entry["ciphertext_size"], f.ciphertext.len() as u64);
    assert_eq!(entry["chunk_size"], CHUNK);
    assert_eq!(entry["shared_at"], shared_at);
    assert_eq!(entry["expires_at"], Value::Null);
    let owners = get_json(&s, "/api/files", &alice).await;
    let owners_entry = owners["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == f.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["sealed_metadata"], owners_entry["sealed_metadata"]);
    assert_eq!(entry["version_record"], owners_entry["version_record"]);
    assert_ne!(entry["wrapped_key"], owners_entry["key_slot"]);
    assert!(owners_entry.get("wrapped_key").is_none(), "{owners_entry}");
    // Bob checks who shared it and that the owner made this version, then opens it with his
    // own identity key, as his browser will.
    let fid = file_id(&f.id);
    let wrapped = b64::decode(entry["wrapped_key"].as_str().unwrap()).unwrap();
    let signature = b64::decode(entry["grant_signature"].as_str().unwrap()).unwrap();
    let bob_key = bob.reg.keys.public_key();
    verify_grant(&alice_key, &fid, &bob_key, &wrapped, None, &signature).unwrap();
    assert!(verify_grant(&alice_key, &fid, &bob_key, &wrapped, Some(1), &signature).is_err());
    assert!(verify_grant(&bob_key, &fid, &bob_key, &wrapped, None, &signature).is_err());
    let record = b64::decode(entry["version_record"].as_str().unwrap()).unwrap();
    let sealed = b64::decode(entry["sealed_metadata"].as_str().unwrap()).unwrap();
    let version = verify_file_version(&alice_key, &fid, &record, &sealed).unwrap();
    assert_eq!(version.number, 1);
    assert_eq!(
        version.content,
        ContentBinding::Digest(ContentDigest::of_ciphertext(&f.ciphertext).unwrap())
    );
    let key = unwrap_file_key(&bob.reg.keys.identity, &wrapped, &fid).unwrap();
    assert_eq!(
        open_metadata(&key, &fid, &sealed).unwrap().name,
        "holiday.jpg"
    );
    // A shared file is not one of bob's own.
    assert!(get_json(&s, "/api/files", &bob).await["files"]
        .as_array()
        .unwrap()
        .is_empty());

    let path = format!("/api/shared/{}/content", f.id);
    let res = call(&s, Method::GET, &path, Some(&bob), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "application/octet-stream");
    assert_eq!(
        h[header::CONTENT_LENGTH],
        f.ciphertext.len().to_string().as_str()
    );
    assert_eq!(h[header::ACCEPT_RANGES], "bytes");
    assert_eq!(h[header::CACHE_CONTROL], "private, no-store");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes[..] == f.ciphertext[..], "identical ciphertext");
    assert_eq!(
        ContentBinding::Digest(ContentDigest::of_ciphertext(&bytes).unwrap()),
        version.content,
        "the content is the owner's version"
    );
    assert!(decrypt(&key, &f.id, &bytes) == f.plaintext);

    // Ranges, 416 and HEAD behave as on the owner's download.
    let ranged = |range: String| {
        s.http
            .get(s.url(&path))
            .header(
                header::COOKIE,
                format!("__Host-coffer_session={}", bob.cookie),
            )
            .header(header::RANGE, range)
            .send()
    };
    let res = ranged(format!("bytes={}-{}", PART - 5, PART + 4))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()[header::CONTENT_RANGE],
        format!("bytes {}-{}/{}", PART - 5, PART + 4, f.ciphertext.len()).as_str()
    );
    assert_eq!(
        &res.bytes().await.unwrap()[..],
        &f.ciphertext[(PART - 5) as usize..(PART + 5) as usize]
    );
    let res = ranged(format!("bytes={}-", f.ciphertext.len()))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        res.headers()[header::CONTENT_RANGE],
        format!("bytes */{}", f.ciphertext.len()).as_str()
    );
    let res = call(&s, Method::HEAD, &path, Some(&bob), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_LENGTH],
        f.ciphertext.len().to_string().as_str()
    );

    // Bob removes it from his list: his grant is gone, alice's file is not.
    let leave = format!("/api/shared/{}", f.id);
    let res = call(&s, Method::DELETE, &leave, Some(&bob), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let listed = shared_with(&s, &bob).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], g.id.as_str());
    let res = call(&s, Method::GET, &path, Some(&bob), None).await;
    expect_error(
        res,
        StatusCode::NOT_FOUND,
        "not_found",
        "content after leaving",
    )
    .await;
    let res = call(&s, Method::DELETE, &leave, Some(&bob), None).await;
    expect_error(res, StatusCode::NOT_FOUND, "not_found", "leaving twice").await;
    assert!(grants_of(&s, &alice, &f).await.is_empty());
    let res = call(
        &s,
        Method::GET,
        &format!("/api/files/{}/content", f.id),
        Some(&alice),
        None,
    )
    .await;
    assert!(res.bytes().await.unwrap()[..] == f.ciphertext[..]);
}

async fn an_expired_grant_is_invisible_and_its_content_is_404(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "soon gone", b"for an hour").await;
    let until = s.clock.now_ms() + 3_600_000;
    grant(&s, &alice, &f, &bob, Some(until)).await;
    let content = format!("/api/shared/{}/content", f.id);

    s.advance(Duration::from_secs(30 * 60));
    assert_eq!(shared_with(&s, &bob).await[0]["expires_at"], until);
    let res = call(&s, Method::GET, &content, Some(&bob), None).await;
    assert_eq!(res.status(), StatusCode::OK);

    s.advance(Duration::from_secs(30 * 60));
    assert!(
        shared_with(&s, &bob).await.is_empty(),
        "expires at exactly until"
    );
    let res = call(&s, Method::GET, &content, Some(&bob), None).await;
    expect_error(res, StatusCode::NOT_FOUND, "not_found", "expired content").await;
    assert!(grants_of(&s, &alice, &f).await.is_empty());
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/shared/{}", f.id),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}/grants/bob", f.id),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Granting again brings it back.
    grant(&s, &alice, &f, &bob, None).await;
    let res = call(&s, Method::GET, &content, Some(&bob), None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn deleting_a_file_removes_its_grants_and_links(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "doomed", b"doomed").await;
    let g = upload(&s, &alice, "kept", b"kept").await;
    for file in [&f, &g] {
        grant(&s, &alice, file, &bob, None).await;
    }
    let (lf, _) = link(&s, &alice, &f, None, None).await;
    let (lg, _) = link(&s, &alice, &g, None, None).await;
    assert_eq!(count_rows(&s, "grants", &f).await, 1);
    assert_eq!(count_rows(&s, "links", &f).await, 1);

    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}", f.id),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(count_rows(&s, "grants", &f).await, 0);
    assert_eq!(count_rows(&s, "links", &f).await, 0);
    let listed = shared_with(&s, &bob).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], g.id.as_str());
    let res = call(
        &s,
        Method::GET,
        &format!("/api/shared/{}/content", f.id),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = link_info(&s, &lf.id).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text().await.unwrap(), LINK_GONE);
    assert_eq!(
        link_content(&s, &lf.id, Some(&lf.token)).await.status(),
        StatusCode::NOT_FOUND
    );
    // The other file's grant and link still work.
    assert_eq!(link_info(&s, &lg.id).await.status(), StatusCode::OK);
    assert_eq!(count_rows(&s, "grants", &g).await, 1);
    assert_eq!(count_rows(&s, "links", &g).await, 1);
}

async fn public_keys_are_found_by_normalized_username(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "Bob").await;
    let want = json!({
        "username": "bob",
        "public_key": b64::encode(&bob.reg.keys.public_key().to_bytes()),
    });
    for name in ["bob", "BOB", "%20bob%20"] {
        let v = get_json(&s, &format!("/api/users/{name}/key"), &alice).await;
        assert_eq!(v, want, "{name}");
    }
    assert_eq!(
        b64::decode(want["public_key"].as_str().unwrap())
            .unwrap()
            .len(),
        65
    );
    for name in ["nobody", "x", "a%20b"] {
        let res = call(
            &s,
            Method::GET,
            &format!("/api/users/{name}/key"),
            Some(&alice),
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            res.text().await.unwrap(),
            r#"{"error":"not_found","message":"No Coffer user has that name."}"#
        );
    }
    let res = call(&s, Method::GET, "/api/users/bob/key", None, None).await;
    expect_error(
        res,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "anonymous",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Links

async fn links_are_validated_when_created(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "a.txt", b"abc").await;
    let path = format!("/api/files/{}/links", f.id);
    let now = s.clock.now_ms();
    let (_, good) = make_link(&f, None);
    let (_, with_password) = make_link(&f, Some("link password"));
    let with = |base: &Value, pointer: &str, value: Value| {
        let mut v = base.clone();
        *v.pointer_mut(pointer).unwrap() = value;
        v
    };
    let mut unknown = good.clone();
    unknown["owner_id"] = json!(2);
    for body in [
        with(&good, "/link_id", json!("abc")),
        with(&good, "/link_id", json!(random_hex_id().to_uppercase())),
        with(&good, "/link_id", json!(&random_hex_id()[..31])),
        with(&good, "/token_digest", json!(b64::encode(&[1; 31]))),
        with(&good, "/token_digest", json!(b64::encode(&[1; 33]))),
        with(&good, "/token_digest", json!("==")),
        with(&good, "/wrapped_key", json!(b64::encode(&[6; 60]))),
        with(&good, "/wrapped_key", json!(b64::encode(&[4; 61]))),
        with(&good, "/wrapped_key", json!(b64::encode(&[4; 114]))),
        with(
            &with_password,
            "/password_kdf/salt",
            json!(b64::encode(&[1; 15])),
        ),
        with(&with_password, "/password_kdf/memory_kib", json!(1024)),
        with(&with_password, "/password_kdf/iterations", json!(11)),
        with(&with_password, "/password_kdf/parallelism", json!(0)),
        with(&with_password, "/password_kdf/parallelism", json!(-1)),
        with(
            &good,
            "/password_kdf",
            json!({ "salt": b64::encode(&[1; 16]) }),
        ),
        with(&good, "/expires_at", json!(now)),
        with(&good, "/expires_at", json!(now - 1000)),
        with(&good, "/expires_at", json!(now + 366 * DAY_MS)),
        with(&good, "/max_downloads", json!(0)),
        with(&good, "/max_downloads", json!(1_000_001)),
        with(&good, "/max_downloads", json!(-1)),
        unknown,
        json!({}),
    ] {
        let res = call(&s, Method::POST, &path, Some(&alice), Some(body.clone())).await;
        expect_error(res, StatusCode::BAD_REQUEST, "invalid", &body.to_string()).await;
    }
    let res = s
        .send(Method::POST, &path, Some(&alice.cookie), Some("[]".into()))
        .await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid", "not an object").await;
    assert!(links_of(&s, &alice, &f).await.is_empty());

    // The edges are allowed.
    let edge = with(&good, "/expires_at", json!(now + 365 * DAY_MS));
    let edge = with(&edge, "/max_downloads", json!(1_000_000));
    let res = call(&s, Method::POST, &path, Some(&alice), Some(edge.clone())).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        json_of(res).await,
        json!({
            "link_id": edge["link_id"], "created_at": now, "expires_at": now + 365 * DAY_MS,
            "max_downloads": 1_000_000, "downloads": 0, "remaining": 1_000_000,
            "has_password": false,
        })
    );
    // Fields left out mean "none".
    let (_, mut minimal) = make_link(&f, None);
    for field in ["password_kdf", "expires_at", "max_downloads"] {
        minimal.as_object_mut().unwrap().remove(field);
    }
    s.advance(Duration::from_secs(1));
    let res = call(&s, Method::POST, &path, Some(&alice), Some(minimal)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let info = json_of(res).await;
    assert_eq!(
        (
            &info["expires_at"],
            &info["max_downloads"],
            &info["remaining"]
        ),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    s.advance(Duration::from_secs(1));
    let res = call(&s, Method::POST, &path, Some(&alice), Some(with_password)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_of(res).await["has_password"], true);

    // An id that exists is a conflict, whoever's it is.
    let res = call(&s, Method::POST, &path, Some(&alice), Some(edge.clone())).await;
    expect_error(res, StatusCode::CONFLICT, "conflict", "same id").await;
    let bobs = upload(&s, &bob, "b.txt", b"bob").await;
    let res = call(
        &s,
        Method::POST,
        &format!("/api/files/{}/links", bobs.id),
        Some(&bob),
        Some(edge),
    )
    .await;
    expect_error(res, StatusCode::CONFLICT, "conflict", "another user's id").await;

    let listed = links_of(&s, &alice, &f).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0]["has_password"], true, "newest first");
    assert_eq!(listed[2]["max_downloads"], 1_000_000);
    assert!(links_of(&s, &bob, &bobs).await.is_empty());
}

async fn a_link_opens_with_the_right_token_only_and_opening_is_not_a_download(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "shared.txt", b"for whoever has the link").await;
    let expires = s.clock.now_ms() + 7 * DAY_MS;
    let (l, _) = link(&s, &alice, &f, Some(expires), Some(5)).await;

    let res = link_info(&s, &l.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_of(res).await,
        json!({ "has_password": false, "password_kdf": null })
    );
    let res = open_link(&s, &l.id, &wrong_token()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.text().await.unwrap(),
        r#"{"error":"wrong_password","message":"Wrong password."}"#
    );
    for _ in 0..3 {
        let res = open_link(&s, &l.id, &l.token).await;
        assert_eq!(res.status(), StatusCode::OK);
        let opened = json_of(res).await;
        assert_eq!(opened["file_id"], f.id.as_str());
        assert_eq!(
            opened["owner_public_key"],
            b64::encode(&alice.reg.keys.public_key().to_bytes()).as_str()
        );
        assert!(opened["version_record"].is_string());
        assert_eq!(opened["ciphertext_size"], f.ciphertext.len() as u64);
        assert_eq!(opened["chunk_size"], CHUNK);
        assert_eq!(opened["expires_at"], expires);
        assert_eq!(opened["remaining"], 5);
        // The recipient's browser unwraps the file key with the link key and reads the name.
        let wrapped = b64::decode(opened["wrapped_key"].as_str().unwrap()).unwrap();
        assert_eq!(wrapped[0], 0x06);
        let key = l.keys.unwrap_file_key(&wrapped, &l.id_bytes()).unwrap();
        let sealed = b64::decode(opened["sealed_metadata"].as_str().unwrap()).unwrap();
        let fid = file_id(&f.id);
        assert_eq!(
            open_metadata(&key, &fid, &sealed).unwrap().name,
            "shared.txt"
        );
        assert_eq!(link_info(&s, &l.id).await.status(), StatusCode::OK);
    }
    let listed = links_of(&s, &alice, &f).await;
    assert_eq!(
        (&listed[0]["downloads"], &listed[0]["remaining"]),
        (&json!(0), &json!(5))
    );

    // Malformed open bodies are 400 (and the link still opens).
    for body in [
        json!({}),
        json!({ "token": b64::encode(&[1; 31]) }),
        json!({ "token": "***" }),
        json!({ "token": l.token, "extra": 1 }),
    ] {
        let res = call(
            &s,
            Method::POST,
            &format!("/api/links/{}/open", l.id),
            None,
            Some(body.clone()),
        )
        .await;
        expect_error(res, StatusCode::BAD_REQUEST, "invalid", &body.to_string()).await;
    }

    // A link with a password: its Argon2id inputs are public, the token needs the password.
    let (pl, body) = make_link(&f, Some("open sesame"));
    let res = call(
        &s,
        Method::POST,
        &format!("/api/files/{}/links", f.id),
        Some(&alice),
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let info = json_of(link_info(&s, &pl.id).await).await;
    assert_eq!(info["has_password"], true);
    assert_eq!(info["password_kdf"], body["password_kdf"]);
    let secret_only = LinkKeys::derive(&LinkSecret::generate(&mut OsRng), None).unwrap();
    let res = open_link(&s, &pl.id, &b64::encode(&secret_only.auth_token())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = open_link(&s, &pl.id, &pl.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let opened = json_of(res).await;
    let wrapped = b64::decode(opened["wrapped_key"].as_str().unwrap()).unwrap();
    assert!(pl.keys.unwrap_file_key(&wrapped, &pl.id_bytes()).is_ok());
}

async fn wrong_tokens_are_rate_limited_per_link_and_the_window_passes(b: Backend) {
    let s = TestServer::start(b, |c| {
        long_sessions(c);
        c.vault.link_failures_per_link = 3;
        c.vault.link_window = Duration::from_secs(600);
    })
    .await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "guarded", b"guarded").await;
    let (l, _) = link(&s, &alice, &f, None, None).await;
    let (other, _) = link(&s, &alice, &f, None, None).await;

    for _ in 0..3 {
        assert_eq!(
            open_link(&s, &l.id, &wrong_token()).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let retry_after = |res: &reqwest::Response| -> u64 {
        res.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let res = open_link(&s, &l.id, &wrong_token()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&res), 600);
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited", "4th").await;
    // Locked: the right token waits too (else guessing would go on), on every route.
    let res = open_link(&s, &l.id, &l.token).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = link_content(&s, &l.id, Some(&l.token)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Per link: another link of the same file is unaffected.
    assert_eq!(
        open_link(&s, &other.id, &other.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        open_link(&s, &other.id, &wrong_token()).await.status(),
        StatusCode::UNAUTHORIZED
    );

    s.advance(Duration::from_secs(300));
    let res = open_link(&s, &l.id, &l.token).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&res), 300);
    s.advance(Duration::from_secs(300));
    let res = open_link(&s, &l.id, &l.token).await;
    assert_eq!(res.status(), StatusCode::OK, "the window has passed");
    // A new window: three more wrong tokens, then locked again.
    for _ in 0..3 {
        assert_eq!(
            open_link(&s, &l.id, &wrong_token()).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        open_link(&s, &l.id, &l.token).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Right tokens never use up the allowance.
    let (fresh, _) = link(&s, &alice, &f, None, None).await;
    for _ in 0..6 {
        assert_eq!(
            open_link(&s, &fresh.id, &fresh.token).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        link_content(&s, &fresh.id, Some(&fresh.token))
            .await
            .status(),
        StatusCode::OK
    );
    // A missing or malformed token header on content is a wrong token.
    let res = link_content(&s, &fresh.id, None).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "wrong_password", "no header").await;
    let res = link_content(&s, &fresh.id, Some("not-a-token")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = link_content(&s, &fresh.id, Some(&wrong_token())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = link_content(&s, &fresh.id, Some(&fresh.token)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(links_of(&s, &alice, &f).await.len(), 3);
}

async fn link_downloads_are_counted_whole_and_never_by_head(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "twice.bin", &random_bytes(100_000)).await;
    let (l, _) = link(&s, &alice, &f, None, Some(2)).await;
    let downloads = || async { links_of(&s, &alice, &f).await[0]["downloads"].clone() };

    // HEAD never consumes.
    for _ in 0..3 {
        let res = s
            .http
            .head(s.url(&format!("/api/links/{}/content", l.id)))
            .header(TOKEN_HEADER, &l.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()[header::ALLOW], "GET");
    }
    assert_eq!(downloads().await, 0);

    // Range is ignored: the whole ciphertext, every time.
    let res = s
        .http
        .get(s.url(&format!("/api/links/{}/content", l.id)))
        .header(TOKEN_HEADER, &l.token)
        .header(header::RANGE, "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "application/octet-stream");
    assert_eq!(
        h[header::CONTENT_LENGTH],
        f.ciphertext.len().to_string().as_str()
    );
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::ACCEPT_RANGES], "none");
    assert!(h.get(header::CONTENT_RANGE).is_none());
    let bytes = res.bytes().await.unwrap();
    assert!(bytes[..] == f.ciphertext[..]);
    // The recipient decrypts it with the key the link unwraps.
    let opened = json_of(open_link(&s, &l.id, &l.token).await).await;
    assert_eq!(opened["remaining"], 1);
    let wrapped = b64::decode(opened["wrapped_key"].as_str().unwrap()).unwrap();
    let key = l.keys.unwrap_file_key(&wrapped, &l.id_bytes()).unwrap();
    assert!(decrypt(&key, &f.id, &bytes) == f.plaintext);
    assert_eq!(downloads().await, 1);
    assert_eq!(links_of(&s, &alice, &f).await[0]["remaining"], 1);

    // A wrong token downloads nothing and counts nothing.
    let res = link_content(&s, &l.id, Some(&wrong_token())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(downloads().await, 1);

    let res = link_content(&s, &l.id, Some(&l.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap()[..] == f.ciphertext[..]);
    let res = link_content(&s, &l.id, Some(&l.token)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text().await.unwrap(), LINK_GONE);
    assert!(links_of(&s, &alice, &f).await.is_empty(), "used up");

    // Without a limit, downloads are counted and nothing runs out.
    let (free, info) = link(&s, &alice, &f, None, None).await;
    assert_eq!(info["remaining"], Value::Null);
    for _ in 0..3 {
        let res = link_content(&s, &free.id, Some(&free.token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.bytes().await.unwrap();
    }
    let listed = links_of(&s, &alice, &f).await;
    assert_eq!(
        (&listed[0]["downloads"], &listed[0]["remaining"]),
        (&json!(3), &Value::Null)
    );
}

async fn parallel_downloads_never_exceed_the_limit(b: Backend) {
    const N: u32 = 3;
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "popular", &random_bytes(150_000)).await;
    let (l, _) = link(&s, &alice, &f, None, Some(N)).await;
    let fetches = (0..N + 5).map(|_| async {
        let res = link_content(&s, &l.id, Some(&l.token)).await;
        let status = res.status();
        (status, res.bytes().await.unwrap())
    });
    let results = futures_util::future::join_all(fetches).await;
    let served: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .collect();
    let refused: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::NOT_FOUND)
        .collect();
    let statuses: Vec<StatusCode> = results.iter().map(|r| r.0).collect();
    assert_eq!(
        (served.len(), refused.len()),
        (N as usize, 5),
        "{statuses:?}"
    );
    for (_, bytes) in served {
        assert!(bytes[..] == f.ciphertext[..], "whole ciphertext");
    }
    for (_, body) in refused {
        assert_eq!(&body[..], LINK_GONE.as_bytes());
    }
    assert_eq!(link_info(&s, &l.id).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        open_link(&s, &l.id, &l.token).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn every_unavailable_link_answers_the_same_404(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "f", b"f").await;
    let g = upload(&s, &alice, "g", b"g").await;
    let (expired, _) = link(&s, &alice, &f, Some(s.clock.now_ms() + 3_600_000), None).await;
    let (revoked, _) = link(&s, &alice, &f, None, None).await;
    let (used_up, _) = link(&s, &alice, &f, None, Some(1)).await;
    let (of_deleted, _) = link(&s, &alice, &g, None, None).await;

    let res = link_content(&s, &used_up.id, Some(&used_up.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap();
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}/links/{}", f.id, revoked.id),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}/links/{}", f.id, revoked.id),
        Some(&alice),
        None,
    )
    .await;
    expect_error(res, StatusCode::NOT_FOUND, "not_found", "revoking twice").await;
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}", g.id),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Before expiry the expiring link works; after it, it is gone like the rest.
    assert_eq!(link_info(&s, &expired.id).await.status(), StatusCode::OK);
    s.advance(HOUR);

    let (unknown, _) = make_link(&f, None);
    let cases: Vec<(&str, String, String)> = vec![
        ("unknown", unknown.id.clone(), unknown.token.clone()),
        ("malformed", "not-a-link".into(), unknown.token.clone()),
        (
            "upper case",
            expired.id.to_uppercase(),
            expired.token.clone(),
        ),
        ("expired", expired.id.clone(), expired.token.clone()),
        ("revoked", revoked.id.clone(), revoked.token.clone()),
        ("used up", used_up.id.clone(), used_up.token.clone()),
        (
            "file deleted",
            of_deleted.id.clone(),
            of_deleted.token.clone(),
        ),
    ];
    for (what, id, token) in cases {
        let answers = [
            link_info(&s, &id).await,
            open_link(&s, &id, &token).await,
            open_link(&s, &id, &wrong_token()).await,
            link_content(&s, &id, Some(&token)).await,
            link_content(&s, &id, None).await,
        ];
        for res in answers {
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{what}");
            assert_eq!(
                res.headers()[header::CONTENT_TYPE],
                "application/json",
                "{what}"
            );
            assert_eq!(res.text().await.unwrap(), LINK_GONE, "{what}");
        }
    }
    assert!(links_of(&s, &alice, &f).await.is_empty());
}

async fn the_janitor_purges_dead_links_and_expired_grants(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let carol = user(&s, "carol").await;
    let f = upload(&s, &alice, "f", b"f").await;
    let soon = s.clock.now_ms() + 3_600_000;
    let (_, _) = link(&s, &alice, &f, Some(soon), None).await;
    let (used_up, _) = link(&s, &alice, &f, None, Some(1)).await;
    let (forever, _) = link(&s, &alice, &f, None, None).await;
    let (limited, _) = link(&s, &alice, &f, None, Some(2)).await;
    grant(&s, &alice, &f, &bob, Some(soon)).await;
    grant(&s, &alice, &f, &carol, None).await;
    let res = link_content(&s, &used_up.id, Some(&used_up.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap();
    let res = link_content(&s, &limited.id, Some(&limited.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap();

    let janitor = s.janitor().await;
    let first = janitor.run_once().await.unwrap();
    assert_eq!((first.expired_grants, first.dead_links), (0, 1));
    assert_eq!(count_rows(&s, "links", &f).await, 3);
    s.advance(HOUR);
    let second = janitor.run_once().await.unwrap();
    assert_eq!((second.expired_grants, second.dead_links), (1, 1));
    assert_eq!(count_rows(&s, "links", &f).await, 2);
    assert_eq!(count_rows(&s, "grants", &f).await, 1);
    let third = janitor.run_once().await.unwrap();
    assert_eq!((third.expired_grants, third.dead_links), (0, 0));

    // What lives on still works.
    assert_eq!(
        open_link(&s, &forever.id, &forever.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        open_link(&s, &limited.id, &limited.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(shared_with(&s, &carol).await.len(), 1);
    assert!(shared_with(&s, &bob).await.is_empty());
    assert_eq!(links_of(&s, &alice, &f).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Contacts

async fn put_contact(s: &TestServer, u: &User, name: &str, sealed: Value) -> reqwest::Response {
    let path = format!("/api/contacts/{name}");
    call(
        s,
        Method::PUT,
        &path,
        Some(u),
        Some(json!({ "sealed": sealed })),
    )
    .await
}

async fn contacts_of(s: &TestServer, u: &User) -> Vec<Value> {
    get_json(s, "/api/contacts", u).await["contacts"]
        .as_array()
        .unwrap()
        .clone()
}

async fn contacts_are_stored_replaced_and_deleted_per_owner(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let put = |u, name, sealed| put_contact(&s, u, name, sealed);
    let contacts = |u| contacts_of(&s, u);
    let t0 = s.clock.now_ms();
    let first = b64::encode(&random_bytes(95));
    assert_eq!(
        put(&alice, "Carol", json!(first)).await.status(),
        StatusCode::NO_CONTENT
    );
    // A name nobody has is fine: the record is the browser's business.
    let other = b64::encode(&random_bytes(512));
    assert_eq!(
        put(&alice, "bob", json!(other)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        contacts(&alice).await,
        vec![
            json!({ "username": "bob", "sealed": other, "updated_at": t0 }),
            json!({ "username": "carol", "sealed": first, "updated_at": t0 }),
        ]
    );
    s.advance(Duration::from_secs(5));
    let second = b64::encode(&random_bytes(1));
    assert_eq!(
        put(&alice, "carol", json!(second)).await.status(),
        StatusCode::NO_CONTENT
    );
    let listed = contacts(&alice).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[1],
        json!({ "username": "carol", "sealed": second, "updated_at": t0 + 5000 })
    );

    // Another user sees and touches none of them.
    assert!(contacts(&bob).await.is_empty());
    let res = call(&s, Method::DELETE, "/api/contacts/carol", Some(&bob), None).await;
    expect_error(
        res,
        StatusCode::NOT_FOUND,
        "not_found",
        "bob deletes alice's",
    )
    .await;
    assert_eq!(
        put(&bob, "carol", json!(first)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(contacts(&alice).await[1]["sealed"], second.as_str());

    // Malformed: nothing stored.
    for (name, sealed) in [
        ("x", json!(first)),
        ("no%20spaces", json!(first)),
        ("dave", json!(b64::encode(&random_bytes(513)))),
        ("dave", json!("")),
        ("dave", json!("***")),
        ("dave", json!(null)),
    ] {
        let res = put(&alice, name, sealed.clone()).await;
        expect_error(
            res,
            StatusCode::BAD_REQUEST,
            "invalid",
            &format!("{name} {sealed}"),
        )
        .await;
    }
    let res = s
        .send(
            Method::PUT,
            "/api/contacts/dave",
            Some(&alice.cookie),
            Some(
                json!({ "sealed": first, "verified": true })
                    .to_string()
                    .into(),
            ),
        )
        .await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid", "unknown field").await;
    assert_eq!(contacts(&alice).await.len(), 2);

    let res = call(
        &s,
        Method::DELETE,
        "/api/contacts/CAROL",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = call(
        &s,
        Method::DELETE,
        "/api/contacts/carol",
        Some(&alice),
        None,
    )
    .await;
    expect_error(res, StatusCode::NOT_FOUND, "not_found", "deleting twice").await;
    let listed = contacts(&alice).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["username"], "bob");
    assert_eq!(contacts(&bob).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Format v2: grants are signed for the grantee's current key, the grants a user made, and what
// shares and links tell about the owner

/// Posts the grant body of `f` from `by` to `to` and returns that body (what was signed).
async fn grant_with_body(
    s: &TestServer,
    by: &User,
    f: &File,
    to: &User,
    expires_at: Option<i64>,
) -> Value {
    let body = grant_body(by, f, to, expires_at);
    let path = format!("/api/files/{}/grants", f.id);
    let res = call(s, Method::POST, &path, Some(by), Some(body.clone())).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    body
}

async fn outgoing_grants(s: &TestServer, u: &User) -> Vec<Value> {
    get_json(s, "/api/grants", u).await["grants"]
        .as_array()
        .unwrap()
        .clone()
}

fn key_b64(key: &PublicKey) -> String {
    b64::encode(&key.to_bytes())
}

async fn a_grant_for_a_key_that_is_not_the_grantees_current_one_is_409(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let carol = user(&s, "carol").await;
    let f = upload(&s, &alice, "for bob", b"for bob only").await;
    let path = format!("/api/files/{}/grants", f.id);

    let stranger = IdentityKeyPair::generate(&mut OsRng).public_key();
    let mut mixed = grant_body(&alice, &f, &bob, None);
    mixed["grantee_key"] = json!(key_b64(&carol.reg.keys.public_key()));
    let attempts = [
        (
            "carol's key, named bob",
            grant_body_for_key(&alice, &f, "bob", &carol.reg.keys.public_key(), None),
        ),
        (
            "a key nobody has",
            grant_body_for_key(&alice, &f, "bob", &stranger, None),
        ),
        (
            "alice's own key, named bob",
            grant_body_for_key(&alice, &f, "bob", &alice.reg.keys.public_key(), None),
        ),
        ("wrapped to bob, claimed for carol's key", mixed),
    ];
    for (what, body) in attempts {
        let res = call(&s, Method::POST, &path, Some(&alice), Some(body)).await;
        expect_error(res, StatusCode::CONFLICT, "conflict", what).await;
    }
    assert!(grants_of(&s, &alice, &f).await.is_empty());
    assert!(shared_with(&s, &bob).await.is_empty());

    // Bob's key changes after alice looked it up: the grant she prepared is refused.
    let stale = grant_body(&alice, &f, &bob, None);
    let new_identity = IdentityKeyPair::generate(&mut OsRng);
    let new_key = new_identity.public_key();
    s.replace_public_key("bob", new_key.to_bytes()).await;
    let res = call(&s, Method::POST, &path, Some(&alice), Some(stale.clone())).await;
    expect_error(res, StatusCode::CONFLICT, "conflict", "bob's old key").await;
    assert!(grants_of(&s, &alice, &f).await.is_empty());
    assert!(outgoing_grants(&s, &alice).await.is_empty());

    // Looked up again, the key is the new one, and a grant made for it goes through.
    let looked_up = get_json(&s, "/api/users/bob/key", &alice).await;
    assert_eq!(looked_up["public_key"], key_b64(&new_key).as_str());
    let fresh = grant_body_for_key(&alice, &f, "bob", &new_key, None);
    let res = call(&s, Method::POST, &path, Some(&alice), Some(fresh.clone())).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let shared = shared_with(&s, &bob).await;
    assert_eq!(shared.len(), 1);
    let wrapped = b64::decode(shared[0]["wrapped_key"].as_str().unwrap()).unwrap();
    assert_eq!(shared[0]["wrapped_key"], fresh["wrapped_key"]);
    let key = unwrap_file_key(&new_identity, &wrapped, &file_id(&f.id)).unwrap();
    assert!(key.export() == f.key.export());
    // Re-sending the stale one now would replace a good grant: still refused, and the good one
    // stays.
    let res = call(&s, Method::POST, &path, Some(&alice), Some(stale)).await;
    expect_error(res, StatusCode::CONFLICT, "conflict", "stale again").await;
    assert_eq!(
        shared_with(&s, &bob).await[0]["wrapped_key"],
        fresh["wrapped_key"]
    );
}

async fn unsigned_grant_bodies_are_refused(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "a.txt", b"abc").await;
    let path = format!("/api/files/{}/grants", f.id);
    let good = grant_body(&alice, &f, &bob, None);
    let with = |field: &str, value: Value| {
        let mut v = good.clone();
        v[field] = value;
        v
    };
    let without = |fields: &[&str]| {
        let mut v = good.clone();
        for field in fields {
            v.as_object_mut().unwrap().remove(*field);
        }
        v
    };
    let signature = b64::decode(good["signature"].as_str().unwrap()).unwrap();
    let retagged = |tag: u8| {
        let mut sig = signature.clone();
        sig[0] = tag;
        with("signature", json!(b64::encode(&sig)))
    };
    for (what, body) in [
        // The format-v1 body: no signature, no key.
        ("v1 body", without(&["signature", "grantee_key"])),
        ("no signature", without(&["signature"])),
        ("no grantee key", without(&["grantee_key"])),
        ("null signature", with("signature", json!(null))),
        ("empty signature", with("signature", json!(""))),
        ("not base64", with("signature", json!("***"))),
        (
            "64 bytes",
            with("signature", json!(b64::encode(&signature[..64]))),
        ),
        (
            "66 bytes",
            with(
                "signature",
                json!(b64::encode(&[&signature[..], &[0]].concat())),
            ),
        ),
        ("tag 0x09", retagged(0x09)),
        ("tag 0x00", retagged(0x00)),
        (
            "the wrapped key as signature",
            with("signature", good["wrapped_key"].clone()),
        ),
    ] {
        let res = call(&s, Method::POST, &path, Some(&alice), Some(body)).await;
        expect_error(res, StatusCode::BAD_REQUEST, "invalid", what).await;
    }
    assert!(grants_of(&s, &alice, &f).await.is_empty());
    assert!(shared_with(&s, &bob).await.is_empty());
    let res = call(&s, Method::POST, &path, Some(&alice), Some(good)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// What `GET /api/grants` lists for a grant made with `body` from `f` to `to`.
fn outgoing_entry(f: &File, to: &User, body: &Value, created_at: i64) -> Value {
    json!({
        "file_id": f.id,
        "grantee": to.name,
        "grantee_public_key": key_b64(&to.reg.keys.public_key()),
        "granted_key": body["grantee_key"],
        "wrapped_key": body["wrapped_key"],
        "signature": body["signature"],
        "created_at": created_at,
        "expires_at": body["expires_at"],
    })
}

async fn the_grants_list_shows_only_the_callers_own_live_grants(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let carol = user(&s, "carol").await;
    let dave = user(&s, "dave").await;
    let f = upload(&s, &alice, "f", b"f").await;
    let g = upload(&s, &alice, "g", b"g").await;
    let h = upload(&s, &bob, "h", b"h").await;
    let now = s.clock.now_ms();
    let f_bob = grant_with_body(&s, &alice, &f, &bob, None).await;
    let f_carol = grant_with_body(&s, &alice, &f, &carol, Some(now + 3_600_000)).await;
    let g_bob = grant_with_body(&s, &alice, &g, &bob, Some(now + DAY_MS)).await;
    let h_alice = grant_with_body(&s, &bob, &h, &alice, None).await;
    let h_carol = grant_with_body(&s, &bob, &h, &carol, None).await;

    // By file id, then by grantee (bob registered before carol).
    let mut want = vec![
        outgoing_entry(&f, &bob, &f_bob, now),
        outgoing_entry(&f, &carol, &f_carol, now),
        outgoing_entry(&g, &bob, &g_bob, now),
    ];
    want.sort_by(|x, y| x["file_id"].as_str().cmp(&y["file_id"].as_str()));
    assert_eq!(outgoing_grants(&s, &alice).await, want);
    assert_eq!(
        outgoing_grants(&s, &bob).await,
        vec![
            outgoing_entry(&h, &alice, &h_alice, now),
            outgoing_entry(&h, &carol, &h_carol, now),
        ]
    );
    // Being granted something is not making a grant.
    assert!(outgoing_grants(&s, &carol).await.is_empty());
    assert!(outgoing_grants(&s, &dave).await.is_empty());
    // Each signature is the sharer's, over what is listed.
    for entry in outgoing_grants(&s, &alice).await {
        let granted =
            PublicKey::from_bytes(&b64::decode(entry["granted_key"].as_str().unwrap()).unwrap())
                .unwrap();
        verify_grant(
            &alice.reg.keys.public_key(),
            &file_id(entry["file_id"].as_str().unwrap()),
            &granted,
            &b64::decode(entry["wrapped_key"].as_str().unwrap()).unwrap(),
            entry["expires_at"].as_i64(),
            &b64::decode(entry["signature"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
    }

    // An expired grant and a revoked one drop out.
    s.advance(HOUR);
    let listed = outgoing_grants(&s, &alice).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(!listed.contains(&outgoing_entry(&f, &carol, &f_carol, now)));
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}/grants/bob", g.id),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        outgoing_grants(&s, &alice).await,
        vec![outgoing_entry(&f, &bob, &f_bob, now)]
    );
    // A grantee leaving removes it from the sharer's list too.
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/shared/{}", h.id),
        Some(&carol),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        outgoing_grants(&s, &bob).await,
        vec![outgoing_entry(&h, &alice, &h_alice, now)]
    );

    // When a grantee's key changes, the list shows both the key now and the one granted to.
    let new_key = IdentityKeyPair::generate(&mut OsRng).public_key();
    s.replace_public_key("bob", new_key.to_bytes()).await;
    let listed = outgoing_grants(&s, &alice).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["grantee_public_key"], key_b64(&new_key).as_str());
    assert_eq!(
        listed[0]["granted_key"],
        key_b64(&bob.reg.keys.public_key()).as_str()
    );
}

async fn v1_files_and_grants_are_shared_without_records_or_signatures(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "old", b"from format v1").await;
    let fid = file_id(&f.id);
    let body = grant_with_body(&s, &alice, &f, &bob, None).await;
    let own_wrap = wrap_file_key(&alice.reg.keys.public_key(), &f.key, &fid, &mut OsRng);
    s.make_v1_file(&f.id, own_wrap).await;
    s.make_v1_grants(&f.id).await;

    let shared = shared_with(&s, &bob).await;
    assert_eq!(shared.len(), 1);
    let entry = &shared[0];
    assert_eq!(entry["sharer"], "alice");
    assert_eq!(
        entry["sharer_public_key"],
        key_b64(&alice.reg.keys.public_key()).as_str()
    );
    assert_eq!(entry["version_record"], Value::Null);
    assert_eq!(entry["grant_signature"], Value::Null);
    assert_eq!(entry["wrapped_key"], body["wrapped_key"]);
    let wrapped = b64::decode(entry["wrapped_key"].as_str().unwrap()).unwrap();
    let key = unwrap_file_key(&bob.reg.keys.identity, &wrapped, &fid).unwrap();
    let sealed = b64::decode(entry["sealed_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(open_metadata(&key, &fid, &sealed).unwrap().name, "old");
    let listed = outgoing_grants(&s, &alice).await;
    assert_eq!(
        listed,
        vec![json!({
            "file_id": f.id, "grantee": "bob",
            "grantee_public_key": key_b64(&bob.reg.keys.public_key()),
            "granted_key": null, "wrapped_key": body["wrapped_key"], "signature": null,
            "created_at": s.clock.now_ms(), "expires_at": null,
        })]
    );

    // Granting again signs it; upgrading the file gives it a record the grantee can check.
    let again = grant_with_body(&s, &alice, &f, &bob, None).await;
    assert_eq!(
        shared_with(&s, &bob).await[0]["grant_signature"],
        again["signature"]
    );
    let upgrade = version_fields(
        &alice.reg.keys,
        &fid,
        &FileVersion {
            number: 1,
            content: ContentBinding::Unbound,
        },
        &sealed,
        &f.key,
    );
    let res = call(
        &s,
        Method::PUT,
        &format!("/api/files/{}/metadata", f.id),
        Some(&alice),
        Some(upgrade.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let entry = shared_with(&s, &bob).await[0].clone();
    assert_eq!(entry["version_record"], upgrade["version_record"]);
    let record = b64::decode(entry["version_record"].as_str().unwrap()).unwrap();
    let version =
        verify_file_version(&alice.reg.keys.public_key(), &fid, &record, &sealed).unwrap();
    assert_eq!(version.content, ContentBinding::Unbound);
}

async fn a_link_open_returns_the_owners_public_key_and_the_version_record(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "linked.txt", b"via a link").await;
    let fid = file_id(&f.id);
    let (l, _) = link(&s, &alice, &f, None, None).await;
    let owners_entry = get_json(&s, "/api/files", &alice).await["files"][0].clone();

    let opened = json_of(open_link(&s, &l.id, &l.token).await).await;
    let alice_key = alice.reg.keys.public_key();
    assert_eq!(opened["owner_public_key"], key_b64(&alice_key).as_str());
    // The visitor's browser checks that the link id binds this owner and file, and that the
    // owner signed this version (of this metadata).
    let owner =
        PublicKey::from_bytes(&b64::decode(opened["owner_public_key"].as_str().unwrap()).unwrap())
            .unwrap();
    assert!(l.secret.is_link_id(&l.id_bytes(), &owner, &fid));
    assert!(!l
        .secret
        .is_link_id(&l.id_bytes(), &bob.reg.keys.public_key(), &fid));
    assert_eq!(opened["version_record"], owners_entry["version_record"]);
    assert_eq!(opened["sealed_metadata"], owners_entry["sealed_metadata"]);
    let record = b64::decode(opened["version_record"].as_str().unwrap()).unwrap();
    let sealed = b64::decode(opened["sealed_metadata"].as_str().unwrap()).unwrap();
    let version = verify_file_version(&owner, &fid, &record, &sealed).unwrap();
    assert_eq!(
        version,
        FileVersion::first(ContentDigest::of_ciphertext(&f.ciphertext).unwrap())
    );
    let wrapped = b64::decode(opened["wrapped_key"].as_str().unwrap()).unwrap();
    let key = l.keys.unwrap_file_key(&wrapped, &l.id_bytes()).unwrap();
    assert_eq!(
        open_metadata(&key, &fid, &sealed).unwrap().name,
        "linked.txt"
    );

    // After a rename the link shows the new version.
    let meta = FileMetadata {
        name: "renamed.txt".into(),
        mime: "text/plain".into(),
        size: 10,
        modified_ms: 0,
    };
    let renamed = seal_metadata(&f.key, &fid, &meta, &mut OsRng).unwrap();
    let next = version_fields(
        &alice.reg.keys,
        &fid,
        &version.next().unwrap(),
        &renamed,
        &f.key,
    );
    let res = call(
        &s,
        Method::PUT,
        &format!("/api/files/{}/metadata", f.id),
        Some(&alice),
        Some(next.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let opened = json_of(open_link(&s, &l.id, &l.token).await).await;
    assert_eq!(opened["version_record"], next["version_record"]);
    assert_eq!(opened["sealed_metadata"], next["sealed_metadata"]);
    let record = b64::decode(opened["version_record"].as_str().unwrap()).unwrap();
    assert_eq!(
        verify_file_version(&owner, &fid, &record, &renamed)
            .unwrap()
            .number,
        2
    );

    // A file from format v1 has no record; the owner's key is there all the same.
    let g = upload(&s, &alice, "old", b"old").await;
    let (lg, _) = link(&s, &alice, &g, None, None).await;
    let own_wrap = wrap_file_key(&alice_key, &g.key, &file_id(&g.id), &mut OsRng);
    s.make_v1_file(&g.id, own_wrap).await;
    let opened = json_of(open_link(&s, &lg.id, &lg.token).await).await;
    assert_eq!(opened["version_record"], Value::Null);
    assert_eq!(opened["owner_public_key"], key_b64(&alice_key).as_str());
    assert_eq!(opened["file_id"], g.id.as_str());
}

// ---------------------------------------------------------------------------------------------
// The account record

/// The largest sealed account record the server takes (29 + 256 · 1300 bytes).
const MAX_RECORD: usize = 29 + 256 * 1300;

fn sealed_record(u: &User, revision: u64, contacts: Vec<PinnedContact>) -> Vec<u8> {
    let record = AccountRecord {
        revision,
        legacy_slots_upgraded: true,
        contacts,
    };
    seal_account_record(
        &u.reg.keys.account_key,
        &u.reg.keys.public_key(),
        &record,
        &mut OsRng,
    )
    .unwrap()
}

fn pin(name: &str, key: PublicKey) -> PinnedContact {
    PinnedContact {
        username: name.into(),
        public_key: key,
        trust: Trust::Accepted,
    }
}

async fn put_record(
    s: &TestServer,
    u: &User,
    expected_revision: Option<u64>,
    revision: u64,
    sealed: &[u8],
) -> reqwest::Response {
    let body = json!({
        "expected_revision": expected_revision,
        "revision": revision,
        "sealed": b64::encode(sealed),
    });
    call(s, Method::PUT, "/api/account-record", Some(u), Some(body)).await
}

async fn get_record(s: &TestServer, u: &User) -> reqwest::Response {
    call(s, Method::GET, "/api/account-record", Some(u), None).await
}

/// The caller's stored record, `None` for `404 not_found`.
async fn record_of(s: &TestServer, u: &User) -> Option<Value> {
    let res = get_record(s, u).await;
    if res.status() == StatusCode::NOT_FOUND {
        expect_error(res, StatusCode::NOT_FOUND, "not_found", "no record").await;
        return None;
    }
    assert_eq!(res.status(), StatusCode::OK);
    Some(json_of(res).await)
}

async fn expect_204(res: reqwest::Response, what: &str) {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT, "{what}: {text}");
    assert!(text.is_empty(), "{what}: {text}");
}

async fn the_account_record_is_created_read_and_replaced_by_revision(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let t0 = s.clock.now_ms();
    assert_eq!(record_of(&s, &alice).await, None);

    let r1 = sealed_record(&alice, 1, vec![pin("bob", bob.reg.keys.public_key())]);
    assert_eq!(r1.len(), 29 + 256);
    expect_204(put_record(&s, &alice, None, 1, &r1).await, "first").await;
    let stored = record_of(&s, &alice).await.unwrap();
    assert_eq!(
        stored,
        json!({ "revision": 1, "sealed": b64::encode(&r1), "updated_at": t0 })
    );
    let opened = open_account_record(
        &alice.reg.keys.account_key,
        &alice.reg.keys.public_key(),
        &b64::decode(stored["sealed"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(opened.revision, 1);
    assert_eq!(
        opened.contact("bob").unwrap().public_key,
        bob.reg.keys.public_key()
    );

    // A second "first" write (another tab that found none) is a conflict.
    let res = put_record(&s, &alice, None, 1, &sealed_record(&alice, 1, vec![])).await;
    expect_error(res, StatusCode::CONFLICT, "conflict", "second first").await;
    assert_eq!(record_of(&s, &alice).await.unwrap(), stored);

    s.advance(Duration::from_secs(5));
    let r2 = sealed_record(&alice, 2, vec![]);
    expect_204(put_record(&s, &alice, Some(1), 2, &r2).await, "1 -> 2").await;
    let stored = record_of(&s, &alice).await.unwrap();
    assert_eq!(
        stored,
        json!({ "revision": 2, "sealed": b64::encode(&r2), "updated_at": t0 + 5000 })
    );

    // Writes that name a revision other than the stored one are conflicts and change nothing:
    // a stale one, one from the future, and "none" while one exists.
    s.advance(Duration::from_secs(5));
    for (what, expected, revision) in [
        ("stale", Some(1), 3),
        ("ahead", Some(3), 4),
        ("far ahead", Some(1000), 1001),
        ("as if none", None, 3),
    ] {
        let sealed = sealed_record(&alice, revision, vec![]);
        let res = put_record(&s, &alice, expected, revision, &sealed).await;
        expect_error(res, StatusCode::CONFLICT, "conflict", what).await;
        assert_eq!(record_of(&s, &alice).await.unwrap(), stored, "{what}");
    }
    // Revisions only go up, though they may jump.
    for (what, expected, revision) in [
        ("same", Some(2), 2),
        ("down", Some(2), 1),
        ("zero", Some(2), 0),
        ("zero as first", None, 0),
    ] {
        let res = put_record(&s, &alice, expected, revision, &r2).await;
        expect_error(res, StatusCode::BAD_REQUEST, "invalid", what).await;
        assert_eq!(record_of(&s, &alice).await.unwrap(), stored, "{what}");
    }
    let r10 = sealed_record(&alice, 10, vec![]);
    expect_204(put_record(&s, &alice, Some(2), 10, &r10).await, "2 -> 10").await;
    assert_eq!(record_of(&s, &alice).await.unwrap()["revision"], 10);

    // Leaving `expected_revision` out means "none": it creates bob's first record, and is a
    // conflict for alice, who has one.
    let first =
        |u: &User| json!({ "revision": 1, "sealed": b64::encode(&sealed_record(u, 1, vec![])) });
    let res = call(
        &s,
        Method::PUT,
        "/api/account-record",
        Some(&bob),
        Some(first(&bob)),
    )
    .await;
    expect_204(res, "bob, no expected_revision").await;
    assert_eq!(record_of(&s, &bob).await.unwrap()["revision"], 1);
    let res = call(
        &s,
        Method::PUT,
        "/api/account-record",
        Some(&alice),
        Some(first(&alice)),
    )
    .await;
    expect_error(
        res,
        StatusCode::CONFLICT,
        "conflict",
        "alice, no expected_revision",
    )
    .await;
    assert_eq!(record_of(&s, &alice).await.unwrap()["revision"], 10);
}

async fn parallel_account_record_writers_from_one_revision_exactly_one_wins(b: Backend) {
    const TABS: u64 = 6;
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let mut expected = None;
    for revision in 1..=3u64 {
        let records: Vec<Vec<u8>> = (0..TABS)
            .map(|_| sealed_record(&alice, revision, vec![]))
            .collect();
        let writes = records
            .iter()
            .map(|r| put_record(&s, &alice, expected, revision, r));
        let results = futures_util::future::join_all(writes).await;
        let statuses: Vec<StatusCode> = results.iter().map(|r| r.status()).collect();
        let mut winner = None;
        for (tab, res) in results.into_iter().enumerate() {
            match res.status() {
                StatusCode::NO_CONTENT => winner = Some(tab),
                StatusCode::CONFLICT => {
                    expect_error(res, StatusCode::CONFLICT, "conflict", "loser").await
                }
                other => panic!(
                    "revision {revision}: {other}: {}",
                    res.text().await.unwrap()
                ),
            }
        }
        let wins = statuses
            .iter()
            .filter(|s| **s == StatusCode::NO_CONTENT)
            .count();
        assert_eq!(wins, 1, "revision {revision}: {statuses:?}");
        let stored = record_of(&s, &alice).await.unwrap();
        assert_eq!(stored["revision"], revision);
        assert_eq!(
            stored["sealed"],
            b64::encode(&records[winner.unwrap()]).as_str()
        );
        expected = Some(revision);
    }
}

async fn another_user_can_never_read_or_overwrite_my_account_record(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let mine = sealed_record(&alice, 1, vec![pin("bob", bob.reg.keys.public_key())]);
    expect_204(put_record(&s, &alice, None, 1, &mine).await, "alice").await;
    let stored = record_of(&s, &alice).await.unwrap();

    // Bob has none: he reads nothing, and naming alice's revision finds nothing of his.
    assert_eq!(record_of(&s, &bob).await, None);
    let theirs = sealed_record(&bob, 2, vec![]);
    let res = put_record(&s, &bob, Some(1), 2, &theirs).await;
    expect_error(
        res,
        StatusCode::CONFLICT,
        "conflict",
        "bob names alice's revision",
    )
    .await;
    assert_eq!(record_of(&s, &bob).await, None);
    assert_eq!(record_of(&s, &alice).await.unwrap(), stored);

    // His own first record is his alone; alice's does not move, whatever he writes.
    let his = sealed_record(&bob, 1, vec![]);
    expect_204(put_record(&s, &bob, None, 1, &his).await, "bob's first").await;
    let his2 = sealed_record(&bob, 2, vec![]);
    expect_204(
        put_record(&s, &bob, Some(1), 2, &his2).await,
        "bob's second",
    )
    .await;
    // A copy of alice's sealed record stored as his does not touch hers either.
    expect_204(put_record(&s, &bob, Some(2), 3, &mine).await, "bob copies").await;
    assert_eq!(record_of(&s, &bob).await.unwrap()["revision"], 3);
    assert_eq!(record_of(&s, &alice).await.unwrap(), stored);
    // And it would not open as his (it is sealed under alice's account key, for her key).
    assert!(
        open_account_record(&bob.reg.keys.account_key, &bob.reg.keys.public_key(), &mine).is_err()
    );
    let res = put_record(&s, &alice, Some(1), 2, &sealed_record(&alice, 2, vec![])).await;
    expect_204(res, "alice goes on from her own revision").await;
    assert_eq!(record_of(&s, &bob).await.unwrap()["revision"], 3);
}

async fn malformed_account_records_are_400_and_store_nothing(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let shaped = |len: usize, tag: u8| {
        let mut v = random_bytes(len);
        v[0] = tag;
        json!(b64::encode(&v))
    };
    let good = json!({
        "expected_revision": null,
        "revision": 1,
        "sealed": b64::encode(&sealed_record(&alice, 1, vec![])),
    });
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
    let mut extra = good.clone();
    extra["user_id"] = json!(1);
    for (what, body) in [
        ("no blocks", with("sealed", shaped(29, 0x0A))),
        ("not whole blocks", with("sealed", shaped(29 + 255, 0x0A))),
        ("one byte more", with("sealed", shaped(29 + 257, 0x0A))),
        ("contact blob", with("sealed", shaped(29 + 256, 0x07))),
        ("metadata blob", with("sealed", shaped(29 + 256, 0x05))),
        (
            "over the largest",
            with("sealed", shaped(MAX_RECORD + 256, 0x0A)),
        ),
        ("empty", with("sealed", json!(""))),
        ("not base64", with("sealed", json!("***"))),
        ("null sealed", with("sealed", json!(null))),
        ("no sealed", without("sealed")),
        ("no revision", without("revision")),
        ("revision 0", with("revision", json!(0))),
        ("negative revision", with("revision", json!(-1))),
        ("fractional revision", with("revision", json!(1.5))),
        ("string revision", with("revision", json!("1"))),
        ("revision over i64", with("revision", json!(1u64 << 63))),
        ("negative expected", with("expected_revision", json!(-1))),
        ("string expected", with("expected_revision", json!("0"))),
        ("unknown field", extra),
        ("not an object", json!([1])),
    ] {
        let res = call(
            &s,
            Method::PUT,
            "/api/account-record",
            Some(&alice),
            Some(body),
        )
        .await;
        expect_error(res, StatusCode::BAD_REQUEST, "invalid", what).await;
        assert_eq!(record_of(&s, &alice).await, None, "{what}");
    }
    let res = s
        .send(
            Method::PUT,
            "/api/account-record",
            Some(&alice.cookie),
            Some("{".into()),
        )
        .await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid", "not JSON").await;
    // The largest record is accepted (the server cannot look inside: a shape is all it checks).
    let largest = shaped(MAX_RECORD, 0x0A);
    let res = call(
        &s,
        Method::PUT,
        "/api/account-record",
        Some(&alice),
        Some(with("sealed", largest.clone())),
    )
    .await;
    expect_204(res, "largest").await;
    assert_eq!(record_of(&s, &alice).await.unwrap()["sealed"], largest);
}

async fn a_200_kb_account_record_is_accepted_and_an_over_limit_body_is_413(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    // 1000 contacts with long names: what a busy account's record grows to.
    let key = bob.reg.keys.public_key();
    let contacts: Vec<PinnedContact> = (0..1000)
        .map(|i| pin(&format!("{i:04}-{}", "x".repeat(135)), key.clone()))
        .collect();
    let big = sealed_record(&alice, 1, contacts);
    assert!(
        big.len() > 200_000 && big.len() < MAX_RECORD,
        "{}",
        big.len()
    );
    let body = json!({ "expected_revision": null, "revision": 1, "sealed": b64::encode(&big) });
    assert!(
        body.to_string().len() > 4 * 64 * 1024,
        "far over the JSON limit"
    );
    expect_204(put_record(&s, &alice, None, 1, &big).await, "200 KB").await;
    let stored = record_of(&s, &alice).await.unwrap();
    assert_eq!(stored["sealed"], b64::encode(&big).as_str());
    let opened = open_account_record(
        &alice.reg.keys.account_key,
        &alice.reg.keys.public_key(),
        &b64::decode(stored["sealed"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(opened.contacts.len(), 1000);

    // A body over the route's limit is refused before it is read: with a Content-Length, and
    // streamed without one. Each on its own client (the server may close the connection
    // without reading the body, and a pooled connection must not be reused after that).
    let mut huge = random_bytes(29 + 256 * 1400);
    huge[0] = 0x0A;
    let body = json!({ "expected_revision": 1, "revision": 2, "sealed": b64::encode(&huge) })
        .to_string()
        .into_bytes();
    let res = reqwest::Client::new()
        .put(s.url("/api/account-record"))
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let res = reqwest::Client::new()
        .put(s.url("/api/account-record"))
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(record_of(&s, &alice).await.unwrap(), stored);

    // The larger limit is this route's only: the rest of the API keeps its 64 KiB.
    let res = reqwest::Client::new()
        .put(s.url("/api/contacts/bob"))
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .body(json!({ "sealed": b64::encode(&big[..100_000]) }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

// ---------------------------------------------------------------------------------------------
// Authentication and the cross-site guard

async fn anonymous_callers_get_401_and_public_link_routes_need_no_account(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "f", b"f").await;
    grant(&s, &alice, &f, &bob, None).await;
    let (l, body) = {
        let (l, body) = make_link(&f, None);
        let path = format!("/api/files/{}/links", f.id);
        let res = call(&s, Method::POST, &path, Some(&alice), Some(body.clone())).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        (l, body)
    };
    let id = &f.id;
    for (method, path, body) in [
        (Method::GET, "/api/users/bob/key".to_string(), None),
        (
            Method::POST,
            format!("/api/files/{id}/grants"),
            Some(grant_body(&alice, &f, &bob, None)),
        ),
        (Method::GET, format!("/api/files/{id}/grants"), None),
        (Method::DELETE, format!("/api/files/{id}/grants/bob"), None),
        (Method::GET, "/api/shared".to_string(), None),
        (Method::GET, "/api/grants".to_string(), None),
        (Method::GET, format!("/api/shared/{id}/content"), None),
        (Method::DELETE, format!("/api/shared/{id}"), None),
        (Method::POST, format!("/api/files/{id}/links"), Some(body)),
        (Method::GET, format!("/api/files/{id}/links"), None),
        (
            Method::DELETE,
            format!("/api/files/{id}/links/{}", l.id),
            None,
        ),
        (Method::GET, "/api/contacts".to_string(), None),
        (
            Method::PUT,
            "/api/contacts/bob".to_string(),
            Some(json!({ "sealed": "AQ" })),
        ),
        (Method::DELETE, "/api/contacts/bob".to_string(), None),
        (Method::GET, "/api/account-record".to_string(), None),
        (
            Method::PUT,
            "/api/account-record".to_string(),
            Some(json!({
                "expected_revision": null,
                "revision": 1,
                "sealed": b64::encode(&sealed_record(&alice, 1, vec![])),
            })),
        ),
    ] {
        let res = call(&s, method.clone(), &path, None, body.clone()).await;
        expect_error(
            res,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            &format!("{method} {path}"),
        )
        .await;
        let res = s
            .send(
                method.clone(),
                &path,
                Some("forged-session"),
                body.map(|b| b.to_string().into()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Nothing changed.
    assert_eq!(grants_of(&s, &alice, &f).await.len(), 1);
    assert_eq!(links_of(&s, &alice, &f).await.len(), 1);

    // Cross-site writes are refused like the vault's.
    let res = s
        .http
        .post(s.url(&format!("/api/files/{id}/grants")))
        .header("sec-fetch-site", "cross-site")
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .body(grant_body(&alice, &f, &bob, None).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The account record sits outside the API's body limit, not outside the guard.
    let res = s
        .http
        .put(s.url("/api/account-record"))
        .header("sec-fetch-site", "cross-site")
        .header(
            header::COOKIE,
            format!("__Host-coffer_session={}", alice.cookie),
        )
        .body(
            json!({
                "expected_revision": null,
                "revision": 1,
                "sealed": b64::encode(&sealed_record(&alice, 1, vec![])),
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(record_of(&s, &alice).await, None);

    // The public side needs nothing: no cookie, no browser headers.
    assert_eq!(link_info(&s, &l.id).await.status(), StatusCode::OK);
    let res = s
        .http
        .post(s.url(&format!("/api/links/{}/open", l.id)))
        .body(json!({ "token": l.token }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A bearer token works like the session on the authenticated routes.
    let res = s
        .post(
            "/api/tokens/create",
            json!({ "name": "cli", "days": 1 }),
            Some(&bob.cookie),
        )
        .await;
    let token = json_of(res).await["token"].as_str().unwrap().to_string();
    let res = s
        .http
        .get(s.url(&format!("/api/shared/{id}/content")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap()[..] == f.ciphertext[..]);
}

// ---------------------------------------------------------------------------------------------
// Nothing logs a link token (or its digest): the token only travels in a header or a body.

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

fn captured_log() -> CapturedLog {
    static LOG: OnceLock<CapturedLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = CapturedLog::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        log
    })
    .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_tokens_and_digests_reach_no_log() {
    let log = captured_log();
    let s = TestServer::start(Backend::Sqlite, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "f", b"logged?").await;
    let (l, body) = make_link(&f, None);
    let res = call(
        &s,
        Method::POST,
        &format!("/api/files/{}/links", f.id),
        Some(&alice),
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        open_link(&s, &l.id, &l.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        open_link(&s, &l.id, &wrong_token()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = link_content(&s, &l.id, Some(&l.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let token = b64::decode(&l.token).unwrap();
    let digest = b64::decode(body["token_digest"].as_str().unwrap()).unwrap();
    let needles = [
        l.token.clone().into_bytes(),
        hex::encode(&token).into_bytes(),
        body["token_digest"].as_str().unwrap().as_bytes().to_vec(),
        hex::encode(&digest).into_bytes(),
        format!("{:?}", &token[..8])
            .trim_end_matches(']')
            .as_bytes()
            .to_vec(),
    ];
    let logged = log.0.lock().unwrap().clone();
    assert!(
        String::from_utf8_lossy(&logged).contains(&format!("/api/links/{}/content", l.id)),
        "the log has this server's requests"
    );
    for needle in &needles {
        assert!(
            !logged.windows(needle.len()).any(|w| w == &needle[..]),
            "a link secret is in the log"
        );
    }
}
