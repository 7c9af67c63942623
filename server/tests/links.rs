//! Share links over HTTP against a real server: validation, tokens, the per-link rate limit, the
//! atomic download counter, expiry, revocation, what opening tells about the owner, and that no
//! link secret reaches the log; with them, the cases that span a file's grants and links (who may
//! reach the owner routes, deleting a file, the janitor, anonymous callers). Every case runs on
//! SQLite, PostgreSQL and MariaDB. Files are real Coffer ciphertext uploaded through the vault
//! API as format v2, and link keys are derived with the crypto crate, as the browser does.

mod common;

use std::time::Duration;

use coffer_crypto::{
    open_metadata, seal_metadata, verify_file_version, wrap_file_key, ContentDigest, FileMetadata,
    FileVersion, LinkKeys, LinkSecret, PublicKey,
};
use coffer_domain::Clock;
use coffer_protocol::b64;
use common::{
    account_record::{record_of, sealed_record},
    api::{call, expect_error, get_json, json_of},
    file_id,
    files::{decrypt, put_metadata, random_bytes, upload, Upload, CHUNK},
    links::{link, make_link, Link},
    log::captured_log,
    sharing::{grant, grant_body, grants_of, key_b64, shared_with},
    users::{long_sessions, user, User},
    version_fields, Backend, TestServer, DAY_MS, HOUR,
};
use rand_core::OsRng;
use reqwest::{header, Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const TOKEN_HEADER: &str = "x-coffer-link-token";
const LINK_GONE: &str = r#"{"error":"not_found","message":"This link is no longer available."}"#;

on_every_database!(
    non_owners_get_404_on_every_owner_route,
    deleting_a_file_removes_its_grants_and_links,
    links_are_validated_when_created,
    a_link_opens_with_the_right_token_only_and_opening_is_not_a_download,
    wrong_tokens_are_rate_limited_per_link_and_the_window_passes,
    link_downloads_are_counted_whole_and_never_by_head,
    parallel_downloads_never_exceed_the_limit,
    every_unavailable_link_answers_the_same_404,
    the_janitor_purges_dead_links_and_expired_grants,
    anonymous_callers_get_401_and_public_link_routes_need_no_account,
    a_link_open_returns_the_owners_public_key_and_the_version_record,
    a_link_keeps_its_sealed_secret_for_the_owner_and_its_verifier_for_visitors,
    the_sender_is_named_only_when_the_owner_chose_it_and_only_after_the_token,
    malformed_sealed_secrets_and_verifiers_are_refused,
);

async fn links_of(s: &TestServer, owner: &User, f: &Upload) -> Vec<Value> {
    get_json(s, &format!("/api/files/{}/links", f.file_id), owner).await["links"]
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

fn random_hex_id() -> String {
    hex::encode(random_bytes(16))
}

/// Counts rows behind the server's back (its own connection to the test database).
async fn count_rows(s: &TestServer, table: &str, file: &Upload) -> i64 {
    let db = s.db().await;
    let sql = format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE file_id = '{}'",
        file.file_id
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

// ---------------------------------------------------------------------------------------------
// Links

async fn links_are_validated_when_created(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "a.txt", b"abc").await;
    let path = format!("/api/files/{}/links", f.file_id);
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
            "has_password": false, "sealed_secret": null, "show_sender": false,
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
        &format!("/api/files/{}/links", bobs.file_id),
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
        json!({
            "has_password": false, "password_kdf": null, "verifier": null,
            "expires_at": expires, "remaining": 5,
        })
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
        assert_eq!(opened["file_id"], f.file_id.as_str());
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
        let fid = file_id(&f.file_id);
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
        &format!("/api/files/{}/links", f.file_id),
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
    assert!(decrypt(&key, &f.file_id, &bytes) == f.plaintext);
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
        &format!("/api/files/{}/links/{}", f.file_id, revoked.id),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}/links/{}", f.file_id, revoked.id),
        Some(&alice),
        None,
    )
    .await;
    expect_error(res, StatusCode::NOT_FOUND, "not_found", "revoking twice").await;
    let res = call(
        &s,
        Method::DELETE,
        &format!("/api/files/{}", g.file_id),
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

async fn a_link_open_returns_the_owners_public_key_and_the_version_record(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "linked.txt", b"via a link").await;
    let fid = file_id(&f.file_id);
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
    let res = put_metadata(&s, &alice, &f.file_id, &next).await;
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
    let own_wrap = wrap_file_key(&alice_key, &g.key, &file_id(&g.file_id), &mut OsRng);
    s.make_v1_file(&g.file_id, own_wrap).await;
    let opened = json_of(open_link(&s, &lg.id, &lg.token).await).await;
    assert_eq!(opened["version_record"], Value::Null);
    assert_eq!(opened["owner_public_key"], key_b64(&alice_key).as_str());
    assert_eq!(opened["file_id"], g.file_id.as_str());
}

/// The fields a browser of this version adds to a link's creation body: the secret sealed for
/// `owner` (blob 0x0E), the verifier, and whether the page names the owner.
fn handover_fields(owner: &User, l: &Link, body: &mut Value, show_sender: bool) -> Vec<u8> {
    let sealed = l
        .secret
        .seal_for_owner(&owner.reg.keys.account_key, &l.id_bytes(), &mut OsRng)
        .unwrap();
    body["sealed_secret"] = json!(b64::encode(&sealed));
    body["verifier"] = json!(b64::encode(&l.secret.verifier()));
    body["show_sender"] = json!(show_sender);
    sealed
}

async fn create(s: &TestServer, owner: &User, f: &Upload, body: &Value) -> reqwest::Response {
    let path = format!("/api/files/{}/links", f.file_id);
    call(s, Method::POST, &path, Some(owner), Some(body.clone())).await
}

async fn a_link_keeps_its_sealed_secret_for_the_owner_and_its_verifier_for_visitors(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "handed over.txt", b"copy me again").await;
    let expires = s.clock.now_ms() + DAY_MS;
    let (l, mut body) = make_link(&f, Some("pass word"));
    body["expires_at"] = json!(expires);
    body["max_downloads"] = json!(3);
    let sealed = handover_fields(&alice, &l, &mut body, false);
    let res = create(&s, &alice, &f, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_of(res).await;
    assert_eq!(created["sealed_secret"], b64::encode(&sealed).as_str());
    assert_eq!(created["show_sender"], false);

    // The owner's list returns the sealed secret; their account key opens it to the same link.
    let listed = links_of(&s, &alice, &f).await;
    let stored = b64::decode(listed[0]["sealed_secret"].as_str().unwrap()).unwrap();
    assert_eq!(stored, sealed);
    let again =
        LinkSecret::open_for_owner(&alice.reg.keys.account_key, &l.id_bytes(), &stored).unwrap();
    assert_eq!(*again.to_fragment(), *l.secret.to_fragment());
    assert!(again.is_link_id(
        &l.id_bytes(),
        &alice.reg.keys.public_key(),
        &file_id(&f.file_id)
    ));

    // Anyone with the link id reads the verifier, the expiry and the downloads left, never the
    // sealed secret; the fragment the visitor holds matches the verifier, an altered one not.
    let public = json_of(link_info(&s, &l.id).await).await;
    let mut fields: Vec<&str> = public
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "expires_at",
            "has_password",
            "password_kdf",
            "remaining",
            "verifier"
        ]
    );
    assert_eq!(
        (
            &public["expires_at"],
            &public["remaining"],
            &public["has_password"]
        ),
        (&json!(expires), &json!(3), &json!(true))
    );
    let verifier = b64::decode(public["verifier"].as_str().unwrap()).unwrap();
    let visitor = LinkSecret::from_fragment(&l.secret.to_fragment()).unwrap();
    assert!(visitor.matches_verifier(&verifier));
    let mut altered = l.secret.to_fragment().to_string();
    altered.replace_range(10..11, if &altered[10..11] == "Q" { "R" } else { "Q" });
    assert!(!LinkSecret::from_fragment(&altered)
        .unwrap()
        .matches_verifier(&verifier));
    assert!(!public.to_string().contains(&b64::encode(&sealed)));

    // A download lowers what the public info says is left.
    let res = link_content(&s, &l.id, Some(&l.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap();
    assert_eq!(json_of(link_info(&s, &l.id).await).await["remaining"], 2);

    // A link from a browser before this (no new fields) has none of them.
    let (old, old_body) = make_link(&f, None);
    assert_eq!(
        create(&s, &alice, &f, &old_body).await.status(),
        StatusCode::CREATED
    );
    let listed = links_of(&s, &alice, &f).await;
    let old_entry = listed
        .iter()
        .find(|e| e["link_id"] == old.id.as_str())
        .unwrap();
    assert_eq!(
        (&old_entry["sealed_secret"], &old_entry["show_sender"]),
        (&Value::Null, &json!(false))
    );
    let public = json_of(link_info(&s, &old.id).await).await;
    assert_eq!(public["verifier"], Value::Null);
    assert_eq!(
        json_of(open_link(&s, &old.id, &old.token).await).await["sender"],
        Value::Null
    );
}

async fn the_sender_is_named_only_when_the_owner_chose_it_and_only_after_the_token(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "Alice").await;
    let f = upload(&s, &alice, "from alice", b"signed, alice").await;
    let (named, mut body) = make_link(&f, None);
    handover_fields(&alice, &named, &mut body, true);
    let res = create(&s, &alice, &f, &body).await;
    assert_eq!(json_of(res).await["show_sender"], true);
    let (anonymous, mut body) = make_link(&f, None);
    handover_fields(&alice, &anonymous, &mut body, false);
    assert_eq!(
        create(&s, &alice, &f, &body).await.status(),
        StatusCode::CREATED
    );

    // Not before the token: the public info has no name.
    let public = link_info(&s, &named.id).await.text().await.unwrap();
    assert!(!public.to_lowercase().contains("alice"), "{public}");
    let res = open_link(&s, &named.id, &wrong_token()).await;
    assert!(!res.text().await.unwrap().to_lowercase().contains("alice"));
    // With it: the normalised username, and only on the link that asked for it.
    let opened = json_of(open_link(&s, &named.id, &named.token).await).await;
    assert_eq!(opened["sender"], "alice");
    let opened = json_of(open_link(&s, &anonymous.id, &anonymous.token).await).await;
    assert_eq!(opened["sender"], Value::Null);
}

async fn malformed_sealed_secrets_and_verifiers_are_refused(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "f", b"f").await;
    let (l, mut good) = make_link(&f, None);
    let sealed = handover_fields(&alice, &l, &mut good, true);
    let with = |field: &str, value: Value| {
        let mut v = good.clone();
        v[field] = value;
        v
    };
    let relabelled = [&[0x06u8][..], &sealed[1..]].concat();
    for body in [
        with("sealed_secret", json!(b64::encode(&sealed[..60]))),
        with(
            "sealed_secret",
            json!(b64::encode(&[&sealed[..], &[0]].concat())),
        ),
        with("sealed_secret", json!(b64::encode(&relabelled))),
        with("sealed_secret", json!(b64::encode(&[0x0E; 114]))),
        with("sealed_secret", json!("not base64!")),
        with("verifier", json!(b64::encode(&[1; 15]))),
        with("verifier", json!(b64::encode(&[1; 17]))),
        with("verifier", json!(b64::encode(&[1; 32]))),
        with("verifier", json!(b64::encode(&[]))),
        with("show_sender", json!("yes")),
        with("show_sender", json!(1)),
    ] {
        let res = create(&s, &alice, &f, &body).await;
        expect_error(res, StatusCode::BAD_REQUEST, "invalid", &body.to_string()).await;
    }
    assert!(links_of(&s, &alice, &f).await.is_empty());
    // Explicit nulls are "none", like leaving them out.
    let (_, mut nulls) = make_link(&f, None);
    nulls["sealed_secret"] = Value::Null;
    nulls["verifier"] = Value::Null;
    assert_eq!(
        create(&s, &alice, &f, &nulls).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        create(&s, &alice, &f, &good).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(links_of(&s, &alice, &f).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// A file's grants and links together

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
                format!("/api/files/{}/grants", f.file_id),
                Some(grant_body(intruder, &f, &mallory, None)),
            ),
            (
                Method::GET,
                format!("/api/files/{}/grants", f.file_id),
                None,
            ),
            (
                Method::DELETE,
                format!("/api/files/{}/grants/bob", f.file_id),
                None,
            ),
            (
                Method::POST,
                format!("/api/files/{}/links", f.file_id),
                Some(link_body),
            ),
            (Method::GET, format!("/api/files/{}/links", f.file_id), None),
            (
                Method::DELETE,
                format!("/api/files/{}/links/{}", f.file_id, l.id),
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
        (Method::GET, format!("/api/shared/{}/content", f.file_id)),
        (Method::DELETE, format!("/api/shared/{}", f.file_id)),
    ] {
        let res = call(&s, method.clone(), &path, Some(&mallory), None).await;
        expect_error(res, StatusCode::NOT_FOUND, "not_found", &path).await;
    }
    // Unknown and malformed file ids for the owner look the same.
    for id in [random_hex_id(), "nope".into(), f.file_id.to_uppercase()] {
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
        &format!("/api/files/{}/grants", f.file_id),
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
        &format!("/api/files/{}", f.file_id),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(count_rows(&s, "grants", &f).await, 0);
    assert_eq!(count_rows(&s, "links", &f).await, 0);
    let listed = shared_with(&s, &bob).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], g.file_id.as_str());
    let res = call(
        &s,
        Method::GET,
        &format!("/api/shared/{}/content", f.file_id),
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
// Authentication and the cross-site guard

async fn anonymous_callers_get_401_and_public_link_routes_need_no_account(b: Backend) {
    let s = TestServer::start(b, long_sessions).await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let f = upload(&s, &alice, "f", b"f").await;
    grant(&s, &alice, &f, &bob, None).await;
    let (l, body) = {
        let (l, body) = make_link(&f, None);
        let path = format!("/api/files/{}/links", f.file_id);
        let res = call(&s, Method::POST, &path, Some(&alice), Some(body.clone())).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        (l, body)
    };
    let id = &f.file_id;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_tokens_and_digests_reach_no_log() {
    let log = captured_log("trace");
    let s = TestServer::start(Backend::Sqlite, long_sessions).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "f", b"logged?").await;
    let (l, body) = make_link(&f, None);
    let res = call(
        &s,
        Method::POST,
        &format!("/api/files/{}/links", f.file_id),
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
