//! Contacts and the account record over HTTP against a real server: contacts stored, replaced
//! and deleted per owner; the account record's revisions, compare-and-swap and its own body
//! limit. Every case runs on SQLite, PostgreSQL and MariaDB. Records are sealed with the crypto
//! crate, as the browser does.

mod common;

use std::time::Duration;

use coffer_crypto::{open_account_record, PinnedContact, PublicKey, Trust};
use coffer_domain::Clock;
use coffer_protocol::b64;
use common::{
    account_record::{record_of, sealed_record},
    api::{call, expect_error, get_json},
    files::random_bytes,
    users::{long_sessions, user, User},
    Backend, TestServer,
};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

on_every_database!(
    contacts_are_stored_replaced_and_deleted_per_owner,
    the_account_record_is_created_read_and_replaced_by_revision,
    parallel_account_record_writers_from_one_revision_exactly_one_wins,
    another_user_can_never_read_or_overwrite_my_account_record,
    malformed_account_records_are_400_and_store_nothing,
    a_200_kb_account_record_is_accepted_and_an_over_limit_body_is_413,
);

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
// The account record

/// The largest sealed account record the server takes (29 + 256 · 1300 bytes).
const MAX_RECORD: usize = 29 + 256 * 1300;

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
