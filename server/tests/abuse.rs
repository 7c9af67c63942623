//! The server under abuse, with small budgets so each bound shows quickly: the hashing budget
//! and its 503, the limiter under a parallel burst (exactly the limit is checked), the session
//! cap, the `kdf-params` limit, the part-buffer budget, every timeout, pagination that stays put
//! while files come and go, liveness without the database, and the janitor after a crash.
//! Wherever a database is involved, on SQLite, PostgreSQL and MariaDB.

mod common;

use std::{collections::HashSet, net::SocketAddr, time::Duration};

use common::{
    api::{error_code, json_of},
    files::{begin, put_metadata, put_part, upload, PART},
    session_cookie,
    users::{user, PASSWORD},
    well_formed_version, Backend, TestServer,
};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

on_every_database!(
    a_full_hashing_queue_answers_503_with_retry_after_and_nothing_else_fails,
    a_burst_of_wrong_logins_is_checked_exactly_the_limits_number_of_times,
    sessions_beyond_the_cap_end_oldest_first,
    a_burst_of_correct_logins_past_the_session_cap_all_get_in,
    kdf_params_are_limited_per_client_for_known_and_unknown_names_alike,
    parts_beyond_the_buffer_budget_are_refused_with_503_until_room_is_made,
    once_the_global_buffer_budget_is_spent_every_user_waits,
    pages_of_files_neither_repeat_nor_skip_while_files_come_and_go,
    a_cached_page_is_never_served_after_any_instance_changed_the_list,
    the_janitor_removes_what_a_crash_left_mid_write,
);

fn addr(s: &TestServer) -> SocketAddr {
    s.base.trim_start_matches("http://").parse().unwrap()
}

async fn expect_busy(res: reqwest::Response) {
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let wait = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .to_string();
    assert!(wait.parse::<u64>().unwrap() >= 1);
    let body = json_of(res).await;
    assert_eq!(body["error"], "busy");
    assert_eq!(body["retry_after"].to_string(), wait);
}

async fn a_full_hashing_queue_answers_503_with_retry_after_and_nothing_else_fails(b: Backend) {
    let s = TestServer::start(b, |c| {
        c.auth.hash_concurrency = 1;
        c.auth.hash_queue = 1;
        c.auth.login_failures_per_ip = 1000;
        c.auth.login_failures_per_account = 1000;
    })
    .await;
    s.register_ok("hasher", PASSWORD).await;
    let burst = (0..24).map(|_| s.login_with_random_key("hasher"));
    let (mut checked, mut busy) = (0, 0);
    for res in futures_util::future::join_all(burst).await {
        match res.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                expect_busy(res).await;
                busy += 1;
            }
            other => panic!("every request is answered 401 or 503, got {other}"),
        }
    }
    assert!(
        busy > 0,
        "one hashing and one waiting: the rest are refused"
    );
    assert!(checked >= 2, "{checked} checked");
    // Refused logins counted nothing: the account is not limited, and a right password works.
    let res = s.login("hasher", PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn a_burst_of_wrong_logins_is_checked_exactly_the_limits_number_of_times(b: Backend) {
    let s = TestServer::start(b, |c| {
        c.auth.login_failures_per_account = 5;
        c.auth.login_failures_per_ip = 1000;
        c.auth.hash_queue = 200;
        // Past the account's limit, this one client still gets 2 (delayed) checks.
        c.auth.locked_account_tries_per_client = 2;
        c.auth.locked_account_delay = Duration::from_millis(1);
    })
    .await;
    s.register_ok("target", PASSWORD).await;
    let burst = (0..64).map(|_| s.login_with_random_key("target"));
    let (mut checked, mut limited) = (0, 0);
    for res in futures_util::future::join_all(burst).await {
        match res.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(res.headers().contains_key(header::RETRY_AFTER));
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        (checked, limited),
        (5 + 2, 57),
        "attempts are taken before the check"
    );
}

async fn sessions_beyond_the_cap_end_oldest_first(b: Backend) {
    let s = TestServer::start(b, |c| c.auth.max_sessions_per_user = 3).await;
    let mut cookies = vec![s.register_ok("many", PASSWORD).await];
    for _ in 0..4 {
        let res = s.login("many", PASSWORD, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        cookies.push(session_cookie(&res).unwrap());
    }
    let mut alive = Vec::new();
    for cookie in &cookies {
        alive.push(s.account(cookie).await.is_some());
    }
    assert_eq!(alive, [false, false, true, true, true]);
}

async fn a_burst_of_correct_logins_past_the_session_cap_all_get_in(b: Backend) {
    // Each login inserts its session and ends the oldest beyond the cap: a parallel login's
    // clean-up may end this one's session at once (it is over the cap), which must not turn
    // this login into a 500 (the bench saw "Failed to find inserted item").
    let s = TestServer::start(b, |c| {
        c.auth.max_sessions_per_user = 1;
        c.auth.login_failures_per_ip = 1000;
        c.auth.login_failures_per_account = 1000;
        c.auth.hash_queue = 200;
    })
    .await;
    s.register_ok("crowd", PASSWORD).await;
    let kdf = s
        .post("/api/kdf-params", json!({ "username": "crowd" }), None)
        .await
        .json()
        .await
        .unwrap();
    let keys = coffer_app::keyring::derive_keys(PASSWORD, &kdf).unwrap();
    let body = json!({
        "username": "crowd",
        "auth_key": coffer_protocol::b64::encode(keys.auth_key().as_bytes()),
    });
    let burst = (0..24).map(|_| s.post("/api/login", body.clone(), None));
    for res in futures_util::future::join_all(burst).await {
        let status = res.status();
        assert_eq!(status, StatusCode::OK, "{}", res.text().await.unwrap());
    }
}

async fn kdf_params_are_limited_per_client_for_known_and_unknown_names_alike(b: Backend) {
    let s = TestServer::start(b, |c| c.auth.kdf_params_per_minute = 4).await;
    s.register_ok("known", PASSWORD).await;
    let ask = |name: &'static str| s.post("/api/kdf-params", json!({ "username": name }), None);
    for name in ["known", "nobody", "known", "nobody"] {
        assert_eq!(ask(name).await.status(), StatusCode::OK);
    }
    for name in ["known", "nobody"] {
        let res = ask(name).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let (_, code) = error_code(res).await;
        assert_eq!(code, "rate_limited");
    }
    s.advance(Duration::from_secs(61));
    assert_eq!(ask("nobody").await.status(), StatusCode::OK);
}

/// A raw HTTP/1.1 connection, to send requests as slowly or incompletely as a test wants.
struct Raw(TcpStream);

impl Raw {
    async fn connect(s: &TestServer) -> Raw {
        Raw(TcpStream::connect(addr(s)).await.unwrap())
    }

    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.write_all(bytes).await
    }

    /// The status of the response, or `None` if the server closed the connection first.
    async fn status(&mut self) -> Option<u16> {
        let mut buf = vec![0; 4096];
        let mut got = Vec::new();
        loop {
            let n = self.0.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let text = String::from_utf8_lossy(&got);
        text.split_whitespace().nth(1)?.parse().ok()
    }

    /// Whether the server closes the connection within `within` (reading whatever comes).
    async fn closed_within(&mut self, within: Duration) -> bool {
        let mut buf = vec![0; 4096];
        tokio::time::timeout(within, async {
            loop {
                match self.0.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }
}

fn part_head(s: &TestServer, cookie: &str, upload_id: &str, n: u64, len: usize) -> Vec<u8> {
    format!(
        "PUT /api/uploads/{upload_id}/parts/{n} HTTP/1.1\r\nHost: {}\r\n\
         Cookie: __Host-coffer_session={cookie}\r\nContent-Length: {len}\r\n\r\n",
        addr(s)
    )
    .into_bytes()
}

async fn parts_beyond_the_buffer_budget_are_refused_with_503_until_room_is_made(b: Backend) {
    let s = TestServer::start(b, |c| {
        c.vault.max_part_bytes = PART;
        c.vault.upload_buffer_bytes = 2 * PART;
        c.vault.upload_buffer_per_user_bytes = PART;
    })
    .await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let a = begin(&s, &alice, &common::files::random_bytes(3 * PART as usize)).await;
    let bb = begin(&s, &bob, &common::files::random_bytes(2 * PART as usize)).await;

    // Alice's part 0 arrives slowly: it holds its bytes of both budgets while it does. (A probe
    // that comes first holds alice's budget itself, and the slow part is the one refused; then
    // the slow part is sent again.)
    let part0 = a.part(0);
    let mut slow = None;
    for _ in 0..20 {
        let mut raw = Raw::connect(&s).await;
        raw.send(&part_head(&s, &alice.cookie, &a.upload_id, 0, part0.len()))
            .await
            .unwrap();
        raw.send(&part0[..1000]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Alice's budget is spent: her next part waits (503, Retry-After) ...
        let res = put_part(&s, &alice, &a, 1, a.part(1)).await;
        if res.status() == StatusCode::SERVICE_UNAVAILABLE {
            expect_busy(res).await;
            slow = Some(raw);
            break;
        }
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let mut slow = slow.expect("a second part of alice's waits while the first arrives");
    // ... while Bob, within the global budget, goes on.
    assert_eq!(
        put_part(&s, &bob, &bb, 0, bb.part(0)).await.status(),
        StatusCode::NO_CONTENT
    );
    // The slow part finishes and gives its bytes back: Alice's next part goes through.
    slow.send(&part0[1000..]).await.unwrap();
    assert_eq!(slow.status().await, Some(204));
    for n in 1..a.part_count() {
        assert_eq!(
            put_part(&s, &alice, &a, n, a.part(n)).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let done = common::files::complete(&s, &alice, &a, "budget.bin").await;
    assert_eq!(done.status(), StatusCode::CREATED);
}

async fn once_the_global_buffer_budget_is_spent_every_user_waits(b: Backend) {
    let s = TestServer::start(b, |c| {
        c.vault.max_part_bytes = PART;
        c.vault.upload_buffer_bytes = PART;
        c.vault.upload_buffer_per_user_bytes = PART;
    })
    .await;
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    // One part each, three quarters of the budget: two do not fit at once.
    let size = 3 * PART as usize / 4;
    let a = begin(&s, &alice, &common::files::random_bytes(size)).await;
    let bb = begin(&s, &bob, &common::files::random_bytes(size)).await;
    assert_eq!((a.part_count(), bb.part_count()), (1, 1));
    // Alice's part arrives slowly and holds most of the global budget while it does.
    let part0 = a.part(0);
    let mut slow = Raw::connect(&s).await;
    slow.send(&part_head(&s, &alice.cookie, &a.upload_id, 0, part0.len()))
        .await
        .unwrap();
    slow.send(&part0[..1000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Bob has his whole per-user budget, but the server has none left: 503, nothing stored.
    expect_busy(put_part(&s, &bob, &bb, 0, bb.part(0)).await).await;
    // The slow part finishes and gives its bytes back: Bob's part goes through, both complete.
    slow.send(&part0[1000..]).await.unwrap();
    assert_eq!(slow.status().await, Some(204));
    assert_eq!(
        put_part(&s, &bob, &bb, 0, bb.part(0)).await.status(),
        StatusCode::NO_CONTENT
    );
    let done = common::files::complete(&s, &alice, &a, "alice.bin").await;
    assert_eq!(done.status(), StatusCode::CREATED);
    let done = common::files::complete(&s, &bob, &bb, "bob.bin").await;
    assert_eq!(done.status(), StatusCode::CREATED);
}

async fn list_page(s: &TestServer, cookie: &str, limit: u32, after: Option<&str>) -> Value {
    let mut path = format!("/api/files?limit={limit}");
    if let Some(after) = after {
        path.push_str(&format!("&after={after}"));
    }
    let res = s.send(Method::GET, &path, Some(cookie), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

fn ids(page: &Value) -> Vec<String> {
    page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

async fn pages_of_files_neither_repeat_nor_skip_while_files_come_and_go(b: Backend) {
    let s = TestServer::start(b, |_| {}).await;
    let alice = user(&s, "alice").await;
    let mut before = Vec::new();
    for i in 0..12 {
        let f = upload(&s, &alice, &format!("f{i}"), b"x").await;
        before.push(f.file_id);
        // A few share a millisecond, most do not: ties are broken by id.
        if i % 3 == 0 {
            s.advance(Duration::from_millis(1));
        }
    }
    let first = list_page(&s, &alice.cookie, 5, None).await;
    assert_eq!(ids(&first).len(), 5);
    let cursor = first["next"].as_str().unwrap().to_string();

    // Meanwhile: three new files, and one not yet listed is deleted.
    s.advance(Duration::from_millis(5));
    for i in 0..3 {
        upload(&s, &alice, &format!("new{i}"), b"y").await;
    }
    let seen_first: HashSet<String> = ids(&first).into_iter().collect();
    let gone = before
        .iter()
        .find(|id| !seen_first.contains(*id))
        .unwrap()
        .clone();
    let res = s
        .send(
            Method::DELETE,
            &format!("/api/files/{gone}"),
            Some(&alice.cookie),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let mut seen: Vec<String> = ids(&first);
    let mut after = Some(cursor);
    while let Some(cursor) = after {
        let page = list_page(&s, &alice.cookie, 5, Some(&cursor)).await;
        seen.extend(ids(&page));
        after = page["next"].as_str().map(str::to_string);
    }
    let expected: HashSet<String> = before.iter().filter(|id| **id != gone).cloned().collect();
    assert_eq!(seen.len(), expected.len(), "no file twice: {seen:?}");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), expected);

    // Cursors are checked, and so is the page size.
    for query in [
        "limit=0",
        "limit=1001",
        "after=nonsense",
        "after=12.zz",
        "bogus=1",
    ] {
        let res = s
            .send(
                Method::GET,
                &format!("/api/files?{query}"),
                Some(&alice.cookie),
                None,
            )
            .await;
        let (status, code) = error_code(res).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid"),
            "{query}"
        );
    }
}

/// The list cache (server/src/http/list_cache.rs) keeps encoded pages per instance; every
/// change anywhere (here: on a second instance, which shares only the database) must show on
/// the next request to the first.
async fn a_cached_page_is_never_served_after_any_instance_changed_the_list(b: Backend) {
    let a = TestServer::start(b, |_| {}).await;
    let other = a.another_instance().await;
    let alice = user(&a, "alice").await;
    let mut ids_uploaded = Vec::new();
    for i in 0..3 {
        ids_uploaded.push(upload(&a, &alice, &format!("c{i}"), b"abc").await.file_id);
    }
    let first = list_page(&a, &alice.cookie, 500, None).await;
    assert_eq!(ids(&first).len(), 3);
    // Asked again unchanged: the same page (from the cache).
    assert_eq!(list_page(&a, &alice.cookie, 500, None).await, first);

    // A deletion on the other instance.
    let res = other
        .send(
            Method::DELETE,
            &format!("/api/files/{}", ids_uploaded[0]),
            Some(&alice.cookie),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let after_delete = list_page(&a, &alice.cookie, 500, None).await;
    assert_eq!(ids(&after_delete).len(), 2, "a deleted file is not listed");
    assert!(
        after_delete["usage"]["stored_bytes"].as_u64() < first["usage"]["stored_bytes"].as_u64()
    );

    // A new version (a rename) on the other instance.
    let renamed = &ids_uploaded[1];
    let version = well_formed_version(2);
    let res = put_metadata(&other, &alice, renamed, &version).await;
    assert_eq!(res.status(), StatusCode::OK);
    let after_rename = list_page(&a, &alice.cookie, 500, None).await;
    let row = after_rename["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == renamed.as_str())
        .unwrap();
    assert_eq!(
        row["version_record"], version["version_record"],
        "the new version is listed"
    );

    // An upload begun on the other instance reserves bytes: the usage on the page shows them.
    let before = after_rename["usage"]["reserved_bytes"].as_u64().unwrap();
    begin(&other, &alice, &[7u8; 1000]).await;
    let reserved = list_page(&a, &alice.cookie, 500, None).await["usage"]["reserved_bytes"]
        .as_u64()
        .unwrap();
    assert!(reserved > before, "{reserved} > {before}");

    // Another user's list is never someone else's cached page.
    let bob = user(&a, "bob").await;
    assert!(ids(&list_page(&a, &bob.cookie, 500, None).await).is_empty());

    // Gzip when asked for, once (the compression layer leaves the cached gzip alone).
    for _ in 0..2 {
        let res = a
            .http
            .get(a.url("/api/files?limit=500"))
            .header(
                header::COOKIE,
                format!("__Host-coffer_session={}", alice.cookie),
            )
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        let mut plain = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&res.bytes().await.unwrap()[..]),
            &mut plain,
        )
        .unwrap();
        let page: Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(ids(&page).len(), 2);
    }
}

async fn the_janitor_removes_what_a_crash_left_mid_write(b: Backend) {
    let s = TestServer::start(b, |c| c.vault.staging_grace = Duration::ZERO).await;
    let alice = user(&s, "alice").await;
    let up = begin(&s, &alice, &common::files::random_bytes(2 * PART as usize)).await;
    assert_eq!(
        put_part(&s, &alice, &up, 0, up.part(0)).await.status(),
        StatusCode::NO_CONTENT
    );
    let root = s.config.data_dir.join("blobs");
    let live = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("the upload's folder");
    // What a kill -9 in the middle of part writes leaves: a half-written staging file beside
    // the upload's stored part, and a folder that holds nothing but one.
    std::fs::write(live.join("1#4711"), b"half a part").unwrap();
    let orphan = root.join(coffer_domain::storage::new_blob_id());
    std::fs::create_dir(&orphan).unwrap();
    std::fs::write(orphan.join("0#99"), b"half a part").unwrap();

    let report = s.janitor().await.run_once().await.unwrap();
    assert_eq!(
        (report.stale_staging, report.orphan_blobs),
        (1, 1),
        "the live upload's staging file, and the orphan folder whole: {report:?}"
    );
    assert!(!live.join("1#4711").exists());
    assert!(live.join("0").exists(), "stored parts stay");
    assert!(!orphan.exists(), "a folder with nothing else goes");
    // The upload carries on.
    for n in 1..up.part_count() {
        assert_eq!(
            put_part(&s, &alice, &up, n, up.part(n)).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let done = common::files::complete(&s, &alice, &up, "after-crash.bin").await;
    assert_eq!(done.status(), StatusCode::CREATED);
    let again = s.janitor().await.run_once().await.unwrap();
    assert_eq!(again.stale_staging, 0);
}

// ---------------------------------------------------------------------------------------------
// Timeouts (no database involved: SQLite only)

fn quick_timeouts(c: &mut coffer_server::Config) {
    c.http.header_timeout = Duration::from_secs(1);
    c.http.body_window = Duration::from_secs(1);
    c.http.body_min_bytes_per_second = 2000;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_do_not_arrive_in_time_close_the_connection() {
    let s = TestServer::start(Backend::Sqlite, quick_timeouts).await;
    let mut raw = Raw::connect(&s).await;
    raw.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        // One byte at a time keeps no connection open.
        if raw.send(b"a").await.is_err() {
            break;
        }
    }
    assert!(raw.closed_within(Duration::from_secs(3)).await);
    // A normal client meanwhile is served.
    let res = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    let s = TestServer::start(Backend::Sqlite, quick_timeouts).await;
    let mut raw = Raw::connect(&s).await;
    raw.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(raw.status().await, Some(200));
    // Kept alive, then idle: closed after the header timeout.
    assert!(raw.closed_within(Duration::from_secs(4)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_or_trickling_body_is_cut_and_a_slow_real_one_is_not() {
    let s = TestServer::start(Backend::Sqlite, quick_timeouts).await;
    let alice = user(&s, "alice").await;
    let up = begin(&s, &alice, &common::files::random_bytes(3 * PART as usize)).await;

    // A trickle: 100 bytes a second, far below the minimum of 2000.
    let part = up.part(0);
    let mut trickle = Raw::connect(&s).await;
    trickle
        .send(&part_head(&s, &alice.cookie, &up.upload_id, 0, part.len()))
        .await
        .unwrap();
    let cut = async {
        for chunk in part.chunks(100) {
            if trickle.send(chunk).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(4), cut).await;
    let status = trickle.status().await;
    assert!(
        matches!(status, None | Some(400)),
        "a trickling part is refused or cut, got {status:?}"
    );

    // A JSON body that stalls half-way.
    let mut stalled = Raw::connect(&s).await;
    let body = br#"{"ciphertext_size": 1000, "chunk_size": 4096}"#;
    stalled
        .send(
            format!(
                "POST /api/uploads HTTP/1.1\r\nHost: x\r\nCookie: __Host-coffer_session={}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                alice.cookie,
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    stalled.send(&body[..10]).await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(5), stalled.status())
        .await
        .expect("the stalled request is answered or closed in time");
    assert!(matches!(status, None | Some(400)), "got {status:?}");

    // Slow but real: 8 KiB a quarter second (32 KiB/s), over more than one window.
    let part = up.part(1);
    let mut steady = Raw::connect(&s).await;
    steady
        .send(&part_head(&s, &alice.cookie, &up.upload_id, 1, part.len()))
        .await
        .unwrap();
    for chunk in part.chunks(8 * 1024) {
        steady.send(chunk).await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(steady.status().await, Some(204));
}

// ---------------------------------------------------------------------------------------------
// Liveness and readiness

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_needs_no_database_and_readiness_says_when_it_is_gone() {
    let s = TestServer::start(Backend::Postgres, |_| {}).await;
    let res = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The database disappears under the running server.
    let url = url::Url::parse(s.config.database_url.expose()).unwrap();
    let name = url.path().trim_start_matches('/').to_string();
    let admin = std::env::var("COFFER_TEST_POSTGRES_URL").unwrap();
    let admin = sea_orm::Database::connect(admin.as_str()).await.unwrap();
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    let res = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "alive without a database");
    let res = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_of(res).await;
    assert_eq!(body["database"], "unavailable");
}
