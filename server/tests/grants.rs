//! Grants over HTTP against a real server: public keys, grants (signed by the sharer, for the
//! grantee's current key) created, replaced, revoked and expired, the files shared with a user,
//! the grants a user made, and files and grants from format v1. Every case runs on SQLite,
//! PostgreSQL and MariaDB. Files are real Coffer ciphertext uploaded through the vault API as
//! format v2, and keys are wrapped, signed and derived with the crypto crate, as the browser does.
//! The cases where grants meet links are in `links.rs`.

mod common;

use std::time::Duration;

use coffer_crypto::{
    open_metadata, unwrap_file_key, verify_file_version, verify_grant, wrap_file_key,
    ContentBinding, ContentDigest, FileVersion, IdentityKeyPair, PublicKey,
};
use coffer_domain::Clock;
use coffer_protocol::b64;
use common::{
    api::{call, expect_error, get_json, json_of},
    file_id,
    files::{decrypt, put_metadata, random_bytes, upload, Upload, CHUNK, PART},
    sharing::{grant, grant_body, grant_body_for_key, grants_of, key_b64, shared_with},
    users::{long_sessions, user, User},
    version_fields, Backend, TestServer, DAY_MS, HOUR,
};
use rand_core::OsRng;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

on_every_database!(
    grants_are_created_listed_replaced_and_revoked,
    grants_to_unknown_users_or_yourself_or_malformed_are_refused,
    a_grantee_lists_downloads_and_decrypts_a_shared_file_then_leaves_it,
    an_expired_grant_is_invisible_and_its_content_is_404,
    public_keys_are_found_by_normalized_username,
    a_grant_for_a_key_that_is_not_the_grantees_current_one_is_409,
    unsigned_grant_bodies_are_refused,
    the_grants_list_shows_only_the_callers_own_live_grants,
    v1_files_and_grants_are_shared_without_records_or_signatures,
);

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
    let path = format!("/api/files/{}/grants", f.file_id);
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
    let revoke = |who: &str| format!("/api/files/{}/grants/{who}", f.file_id);
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

async fn grants_to_unknown_users_or_yourself_or_malformed_are_refused(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "a.txt", b"abc").await;
    let path = format!("/api/files/{}/grants", f.file_id);
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
    assert_eq!(listed[0]["id"], g.file_id.as_str(), "newest first");
    // The signature covers the expiry the grant has.
    let g_expiry = listed[0]["expires_at"].as_i64();
    assert!(g_expiry.is_some());
    verify_grant(
        &alice.reg.keys.public_key(),
        &file_id(&g.file_id),
        &bob.reg.keys.public_key(),
        &b64::decode(listed[0]["wrapped_key"].as_str().unwrap()).unwrap(),
        g_expiry,
        &b64::decode(listed[0]["grant_signature"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let entry = &listed[1];
    assert_eq!(entry["id"], f.file_id.as_str());
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
        .find(|e| e["id"] == f.file_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["sealed_metadata"], owners_entry["sealed_metadata"]);
    assert_eq!(entry["version_record"], owners_entry["version_record"]);
    assert_ne!(entry["wrapped_key"], owners_entry["key_slot"]);
    assert!(owners_entry.get("wrapped_key").is_none(), "{owners_entry}");
    // Bob checks who shared it and that the owner made this version, then opens it with his
    // own identity key, as his browser will.
    let fid = file_id(&f.file_id);
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

    let path = format!("/api/shared/{}/content", f.file_id);
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
    assert!(decrypt(&key, &f.file_id, &bytes) == f.plaintext);

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
    let leave = format!("/api/shared/{}", f.file_id);
    let res = call(&s, Method::DELETE, &leave, Some(&bob), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let listed = shared_with(&s, &bob).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], g.file_id.as_str());
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
        &format!("/api/files/{}/content", f.file_id),
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
    let content = format!("/api/shared/{}/content", f.file_id);

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
        &format!("/api/shared/{}", f.file_id),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}/grants/bob", f.file_id),
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
// Format v2: grants are signed for the grantee's current key, the grants a user made, and what
// shares tell about the owner

/// Posts the grant body of `f` from `by` to `to` and returns that body (what was signed).
async fn grant_with_body(
    s: &TestServer,
    by: &User,
    f: &Upload,
    to: &User,
    expires_at: Option<i64>,
) -> Value {
    let body = grant_body(by, f, to, expires_at);
    let path = format!("/api/files/{}/grants", f.file_id);
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

async fn a_grant_for_a_key_that_is_not_the_grantees_current_one_is_409(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let carol = user(&s, "carol").await;
    let f = upload(&s, &alice, "for bob", b"for bob only").await;
    let path = format!("/api/files/{}/grants", f.file_id);

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
    let key = unwrap_file_key(&new_identity, &wrapped, &file_id(&f.file_id)).unwrap();
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
    let path = format!("/api/files/{}/grants", f.file_id);
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
fn outgoing_entry(f: &Upload, to: &User, body: &Value, created_at: i64) -> Value {
    json!({
        "file_id": f.file_id,
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
        &format!("/api/files/{}/grants/bob", g.file_id),
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
        &format!("/api/shared/{}", h.file_id),
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
    let fid = file_id(&f.file_id);
    let body = grant_with_body(&s, &alice, &f, &bob, None).await;
    let own_wrap = wrap_file_key(&alice.reg.keys.public_key(), &f.key, &fid, &mut OsRng);
    s.make_v1_file(&f.file_id, own_wrap).await;
    s.make_v1_grants(&f.file_id).await;

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
            "file_id": f.file_id, "grantee": "bob",
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
    let res = put_metadata(&s, &alice, &f.file_id, &upgrade).await;
    assert_eq!(res.status(), StatusCode::OK);
    let entry = shared_with(&s, &bob).await[0].clone();
    assert_eq!(entry["version_record"], upgrade["version_record"]);
    let record = b64::decode(entry["version_record"].as_str().unwrap()).unwrap();
    let version =
        verify_file_version(&alice.reg.keys.public_key(), &fid, &record, &sealed).unwrap();
    assert_eq!(version.content, ContentBinding::Unbound);
}
