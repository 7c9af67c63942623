//! Email against a real SMTP server on loopback (aiosmtpd, which the test command installs) and
//! a real Coffer server on SQLite, PostgreSQL and MariaDB: an address confirmed by the code sent
//! to it, codes by email guarding every login, a send that fails while the mail server is down
//! and goes out once it is back, mail queued by a server that then stopped (HTTP side, janitor
//! and outbox) going out once, at its retry time, from the next server on the same database,
//! a server that requires a confirmed address before the first session, and neither codes nor
//! addresses in the log (nor codes in the database).

mod common;

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use coffer_app::keyring;
use coffer_domain::{entities::mail_outbox, Redacted};
use coffer_protocol::b64;
use common::{
    challenge_of, log::captured_log, session_cookie, users::PASSWORD, Backend, TestServer,
    CHALLENGE,
};
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

on_every_database!(
    an_address_is_confirmed_by_the_code_sent_to_it,
    codes_by_email_guard_every_login,
    a_send_that_fails_goes_out_once_the_mail_server_is_back,
    mail_queued_before_a_restart_goes_out_from_the_next_server,
    a_server_that_requires_email_confirms_it_before_the_first_session,
);

/// aiosmtpd on a loopback port, writing every mail it takes into a maildir.
struct MailSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl MailSink {
    fn start(port: u16) -> MailSink {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "python3 -m aiosmtpd must run (scripts/install-deps.sh installs aiosmtpd; these \
                 tests never skip themselves)",
            );
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        MailSink { child, dir }
    }

    fn mails(&self) -> Vec<String> {
        let new = self.dir.path().join("mail").join("new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        // Maildir names are `<seconds>.M<microseconds>P<pid>Q<count>.<host>`: the count orders
        // deliveries (the names themselves do not sort: microseconds are not zero-padded).
        files.sort_by_key(|f| delivery_count(f));
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect()
    }

    /// Waits for the `n`-th mail (1-based) and answers it.
    async fn nth(&self, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            assert!(Instant::now() < deadline, "mail {n} did not arrive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn delivery_count(file: &Path) -> u64 {
    let name = file.file_name().unwrap().to_string_lossy();
    let q = name.split('Q').nth(1).unwrap_or_default();
    q.split('.')
        .next()
        .unwrap_or_default()
        .parse()
        .unwrap_or(u64::MAX)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The six-digit code in a mail.
fn code_in(mail: &str) -> String {
    mail.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {mail}"))
        .to_string()
}

fn recipient(mail: &str) -> &str {
    mail.lines()
        .find_map(|l| l.strip_prefix("X-RcptTo: "))
        .unwrap_or_default()
}

async fn server(backend: Backend, port: u16, require: bool) -> TestServer {
    TestServer::start(backend, |c| {
        c.mail.smtp_url = Some(Redacted::new(format!("smtp://127.0.0.1:{port}")));
        c.mail.from = "Coffer <coffer@coffer.test>".into();
        c.mail.poll_interval = Duration::from_millis(100);
        c.mail.retry_base = Duration::from_secs(1);
        c.mail.require_email = require;
    })
    .await
}

async fn json_of(res: Response) -> Value {
    res.json().await.unwrap()
}

async fn status(s: &TestServer, cookie: &str) -> Value {
    let res = s.post("/api/email/status", json!({}), Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

async fn with_ticket(s: &TestServer, path: &str, ticket: &str, body: Value) -> Response {
    s.http
        .post(s.url(path))
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, s.url(""))
        .header(header::COOKIE, format!("{CHALLENGE}={ticket}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn auth_key(s: &TestServer, cookie: &str) -> String {
    let bundle = s.account(cookie).await.unwrap();
    let keys = keyring::derive_keys(PASSWORD, &bundle.kdf).unwrap();
    b64::encode(keys.auth_key().as_bytes())
}

/// Asks the server to mail a confirmation code to `address` (any text: the server judges it).
async fn set_address(s: &TestServer, cookie: &str, address: &str) -> Response {
    s.post(
        "/api/email/set",
        json!({ "address": address }),
        Some(cookie),
    )
    .await
}

/// Sets `address` and confirms it with the code mailed to it (mail number `n` in the sink).
async fn confirm(s: &TestServer, sink: &MailSink, cookie: &str, address: &str, n: usize) {
    let res = set_address(s, cookie, address).await;
    assert_eq!(res.status(), StatusCode::OK);
    let code = code_in(&sink.nth(n).await);
    let res = s
        .post("/api/email/verify", json!({ "code": code }), Some(cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Neither the codes nor the addresses are in the server's log, and the codes are not in the
/// SQLite file (only a nonce per code is stored).
fn nowhere(s: &TestServer, backend: Backend, log: &str, codes: &[String], addresses: &[&str]) {
    for code in codes {
        assert!(!log.contains(code.as_str()), "code {code} in the log");
    }
    for address in addresses {
        assert!(!log.contains(address), "an address in the log");
    }
    if let Backend::Sqlite = backend {
        let db = std::fs::read(Path::new(&s.config.data_dir).join("coffer.db")).unwrap();
        for code in codes {
            assert!(
                !db.windows(code.len()).any(|w| w == code.as_bytes()),
                "code {code} in the database"
            );
        }
    }
}

async fn an_address_is_confirmed_by_the_code_sent_to_it(backend: Backend) {
    let log = captured_log("debug");
    let port = free_port();
    let sink = MailSink::start(port);
    let s = server(backend, port, false).await;
    let cookie = s.register_ok("mira", PASSWORD).await;
    let before = status(&s, &cookie).await;
    assert_eq!(before["available"], true);
    assert!(before.get("address").is_none());
    assert_eq!(before["verified"], false);

    let address = format!("mira.{}@example.com", backend_name(backend));
    let res = set_address(&s, &cookie, "not an address").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = set_address(&s, &cookie, &address).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mail = sink.nth(1).await;
    assert_eq!(recipient(&mail), address);
    assert!(mail.contains("Subject: Confirm your email address for Coffer"));
    assert!(mail.contains("From: Coffer <coffer@coffer.test>"));
    let code = code_in(&mail);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = s
        .post("/api/email/verify", json!({ "code": wrong }), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status(&s, &cookie).await["verified"], false);
    let res = s
        .post("/api/email/verify", json!({ "code": code }), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = json_of(res).await;
    assert_eq!(after["verified"], true);
    assert_eq!(after["address"], address.as_str());
    assert_eq!(after["last_mail"]["delivery"], "sent");

    // A new address starts over: unconfirmed until its own code comes back; the old code is
    // spent.
    let other = format!("mira2.{}@example.com", backend_name(backend));
    let res = set_address(&s, &cookie, &other).await;
    assert_eq!(json_of(res).await["verified"], false);
    let res = s
        .post("/api/email/verify", json!({ "code": code }), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a spent code");
    let second = code_in(&sink.nth(2).await);
    assert_eq!(recipient(&sink.nth(2).await), other);
    // Removing needs the password.
    let res = s
        .post(
            "/api/email/remove",
            json!({ "auth_key": b64::encode(&[1u8; 32]) }),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let key = auth_key(&s, &cookie).await;
    let res = s
        .post(
            "/api/email/remove",
            json!({ "auth_key": key }),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(json_of(res).await.get("address").is_none());

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    nowhere(&s, backend, &log, &[code, second], &[&address, &other]);
}

async fn codes_by_email_guard_every_login(backend: Backend) {
    let log = captured_log("debug");
    let port = free_port();
    let sink = MailSink::start(port);
    let s = server(backend, port, false).await;
    let cookie = s.register_ok("otto", PASSWORD).await;
    // Not before the address is confirmed.
    let res = s
        .post("/api/email/codes/on", json!({}), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let address = format!("otto.{}@example.com", backend_name(backend));
    confirm(&s, &sink, &cookie, &address, 1).await;
    let res = s
        .post("/api/email/codes/on", json!({}), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let recovery: Vec<String> = res.json().await.unwrap();
    assert_eq!(recovery.len(), 10, "recovery codes, for a lost mailbox");
    let two_step: Value = json_of(s.post("/api/totp/status", json!({}), Some(&cookie)).await).await;
    assert_eq!(two_step["email_codes"], true);

    // The password alone gives no session and no sealed keys; a code goes out.
    let res = s.login("otto", PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&res).is_none());
    let ticket = challenge_of(&res).expect("a challenge cookie");
    let body = json_of(res).await;
    assert_eq!(body["error"], "second_factor_required");
    assert!(body.get("sealed_account_key").is_none());
    let mail = sink.nth(2).await;
    assert!(mail.contains("Subject: Your Coffer login code"));
    let code = code_in(&mail);
    let info = json_of(with_ticket(&s, "/api/login/challenge", &ticket, json!({})).await).await;
    assert_eq!(info["purpose"], "second_factor");
    assert_eq!(info["email"], true);
    assert_eq!(info["totp"], false);
    assert_eq!(info["email_hint"], "o•••@example.com");
    assert_eq!(info["last_mail"]["delivery"], "sent");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = with_ticket(
        &s,
        "/api/login/second-factor",
        &ticket,
        json!({ "code": wrong }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = with_ticket(
        &s,
        "/api/login/second-factor",
        &ticket,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(session_cookie(&res).is_some());
    assert!(json_of(res).await.get("sealed_account_key").is_some());

    // The code was for that login only, and once: a new login needs a new one ("send again"
    // makes it).
    let res = s.login("otto", PASSWORD, None).await;
    let ticket2 = challenge_of(&res).unwrap();
    let res = with_ticket(
        &s,
        "/api/login/second-factor",
        &ticket2,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let again = sink.nth(3).await;
    let res = with_ticket(&s, "/api/login/challenge/email", &ticket2, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let fresh = code_in(&sink.nth(4).await);
    let res = with_ticket(
        &s,
        "/api/login/second-factor",
        &ticket2,
        json!({ "code": fresh }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A recovery code works too (a lost mailbox).
    let res = s.login("otto", PASSWORD, None).await;
    let ticket3 = challenge_of(&res).unwrap();
    let res = with_ticket(
        &s,
        "/api/login/second-factor",
        &ticket3,
        json!({ "code": recovery[0] }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Off needs the password; then the password alone logs in again.
    let res = s
        .post(
            "/api/email/codes/off",
            json!({ "auth_key": b64::encode(&[2u8; 32]) }),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let key = auth_key(&s, &cookie).await;
    let res = s
        .post(
            "/api/email/codes/off",
            json!({ "auth_key": key }),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        s.login("otto", PASSWORD, None).await.status(),
        StatusCode::OK
    );

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    nowhere(
        &s,
        backend,
        &log,
        &[code, code_in(&again), fresh],
        &[&address],
    );
}

async fn a_send_that_fails_goes_out_once_the_mail_server_is_back(backend: Backend) {
    let log = captured_log("debug");
    let (s, port, cookie, address) = queued_while_the_mail_server_is_down(backend, "rhea").await;
    // It stays queued, across the wait, until the mail server is back.
    let sink = MailSink::start(port);
    assert!(sink.mails().is_empty());
    s.advance(Duration::from_secs(2));
    let mail = sink.nth(1).await;
    assert_eq!(recipient(&mail), address);
    let after = until_delivery(&s, &cookie, "sent").await;
    assert_eq!(after["last_mail"]["attempts"], 2);
    assert!(after["last_mail"].get("error").is_none());
    let code = code_in(&mail);
    let res = s
        .post("/api/email/verify", json!({ "code": code }), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("outbox: not sent: The mail server could not be reached."));
    nowhere(&s, backend, &log, &[code], &[&address]);
}

/// A server whose mail server is down (nothing listens on the port it is given), a user who
/// asked it to confirm an address, and the first try failed: the user sees that, and that Coffer
/// tries again in a second. Answers the server, the mail port, the user's cookie and the address.
async fn queued_while_the_mail_server_is_down(
    backend: Backend,
    name: &str,
) -> (TestServer, u16, String, String) {
    let port = free_port();
    let s = server(backend, port, false).await;
    let cookie = s.register_ok(name, PASSWORD).await;
    let address = format!("{name}.{}@example.com", backend_name(backend));
    let res = set_address(&s, &cookie, &address).await;
    assert_eq!(res.status(), StatusCode::OK);
    let failed = until_delivery(&s, &cookie, "retrying").await;
    assert_eq!(failed["last_mail"]["attempts"], 1);
    assert_eq!(
        failed["last_mail"]["error"],
        "The mail server could not be reached."
    );
    assert_eq!(failed["last_mail"]["next_try_in_seconds"], 1);
    (s, port, cookie, address)
}

/// Waits until the status of the last mail shows `delivery`, and answers the status.
async fn until_delivery(s: &TestServer, cookie: &str, delivery: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = status(s, cookie).await;
        if now["last_mail"]["delivery"] == delivery {
            return now;
        }
        assert!(Instant::now() < deadline, "never {delivery}: {now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn mail_queued_before_a_restart_goes_out_from_the_next_server(backend: Backend) {
    let log = captured_log("debug");
    // Server A, while the mail server is down, queues a mail and fails to send it once.
    let (a, port, cookie, address) = queued_while_the_mail_server_is_down(backend, "iris").await;

    // A stops altogether: HTTP side, janitor and outbox. Only the database remembers the mail:
    // with the mail server back and the retry time past, nothing of A sends it (A's outbox
    // looked every 100 ms).
    let stopped = a.stop().await;
    let sink = MailSink::start(port);
    stopped.clock.advance(Duration::from_secs(2));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        sink.mails().is_empty(),
        "server A still sends after it stopped"
    );
    // Server B on the same database, data directory and settings sends it.
    let b = stopped.start_again().await;
    let mail = sink.nth(1).await;
    assert_eq!(recipient(&mail), address);
    assert!(mail.contains("Subject: Confirm your email address for Coffer"));
    let after = until_delivery(&b, &cookie, "sent").await;
    assert_eq!(
        after["last_mail"]["attempts"], 2,
        "A's failed try, then B's"
    );
    assert!(after["last_mail"].get("error").is_none());

    // Once: past any lease and any wait, B does not send it again, and the queue held one mail.
    b.advance(Duration::from_secs(3 * 60));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(sink.mails().len(), 1, "the mail went out more than once");
    let db = b.db().await;
    let rows = <mail_outbox::Entity as sea_orm::EntityTrait>::find()
        .all(&db)
        .await
        .unwrap();
    db.close().await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].sent_at.is_some() && rows[0].failed_at.is_none());
    assert_eq!(rows[0].attempts, 2);

    // The code in it, derived under the secrets in the database, confirms the address on B.
    let code = code_in(&mail);
    let res = b
        .post("/api/email/verify", json!({ "code": code }), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let confirmed = json_of(res).await;
    assert_eq!(confirmed["verified"], true);
    assert_eq!(confirmed["address"], address.as_str());

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    nowhere(&b, backend, &log, &[code], &[&address]);
}

async fn a_server_that_requires_email_confirms_it_before_the_first_session(backend: Backend) {
    let port = free_port();
    let sink = MailSink::start(port);
    let s = server(backend, port, true).await;
    // No address, no account.
    let (res, _) = s.register("nell", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let address = format!("nell.{}@example.com", backend_name(backend));
    let mut rng = rand_core::OsRng;
    let reg = keyring::prepare_registration("nell", &address, PASSWORD, &mut rng).unwrap();
    let res = s
        .post(
            "/api/register",
            json!({ "request": serde_json::to_value(&reg.request).unwrap() }),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&res).is_none(), "no session before the code");
    let ticket = challenge_of(&res).expect("a challenge cookie");
    assert_eq!(json_of(res).await["error"], "email_verification_required");
    let info = json_of(with_ticket(&s, "/api/login/challenge", &ticket, json!({})).await).await;
    assert_eq!(info["purpose"], "verify_email");
    assert_eq!(info["email"], true);
    let mail = sink.nth(1).await;
    assert_eq!(recipient(&mail), address);

    // A login meanwhile asks for the same: the password alone is not enough.
    let res = s.login("nell", PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(res).await["error"], "email_verification_required");

    let res = with_ticket(
        &s,
        "/api/login/second-factor",
        &ticket,
        json!({ "code": code_in(&mail) }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res).expect("the session, once confirmed");
    assert_eq!(status(&s, &cookie).await["verified"], true);
    assert_eq!(status(&s, &cookie).await["required"], true);
    // From now on the password is enough.
    assert_eq!(
        s.login("nell", PASSWORD, None).await.status(),
        StatusCode::OK
    );
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::Mysql => "mysql",
    }
}
