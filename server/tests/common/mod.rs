//! Test harness: a real Coffer server on 127.0.0.1:0 over a fresh database
//! (SQLite file, or a new PostgreSQL / MariaDB database per test), talked to
//! over HTTP like any client. The submodules are the browser's side of the suites that share
//! them: users, API calls, uploads, grants, the account record, and a captured log.

#![allow(dead_code)]

pub mod account_record;
pub mod api;
pub mod files;
pub mod links;
pub mod log;
pub mod sharing;
pub mod users;

use std::{sync::Arc, time::Duration};

use coffer_app::keyring::{self, UnlockedKeys};
use coffer_crypto::{blob_len, seal_file_version, FileId, FileKey, FileVersion};
use coffer_domain::{entities, ManualClock};
use coffer_protocol::{accounts::AccountBundle, b64};
use coffer_server::Config;
use rand::RngCore;
use reqwest::{header, Response, StatusCode};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// What the tests move the clock by, and set expiries with.
pub const HOUR: Duration = Duration::from_secs(3600);
pub const DAY_MS: i64 = 86_400_000;

/// Which database a test runs against.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

/// A running server plus what a test needs to drive it.
pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    _data_dir: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
    /// Its janitor and outbox.
    background: coffer_server::Background,
}

/// What is left of a server after [`TestServer::stop`]: its database, data directory, settings
/// and clock, for [`StoppedServer::start_again`]. Nothing of the old server runs any more.
pub struct StoppedServer {
    pub clock: Arc<ManualClock>,
    pub config: Config,
    _data_dir: tempfile::TempDir,
}

/// A client that talks to a test server like the app (no redirects followed).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A server on `config`'s database, storage and data directory with `clock`, on a fresh
/// loopback port: its base URL, its HTTP task, and its janitor and outbox.
async fn serve(
    config: &Config,
    clock: Arc<ManualClock>,
) -> (
    String,
    tokio::task::JoinHandle<()>,
    coffer_server::Background,
) {
    let leptos = leptos::config::LeptosOptions::builder()
        .output_name("coffer")
        .build();
    let (router, background) = coffer_server::build_with_background(config, leptos, clock)
        .await
        .expect("server builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(coffer_server::serve(
        listener,
        router,
        config.http.clone(),
        std::future::pending(),
    ));
    (base, task, background)
}

fn admin_url(backend: Backend) -> Option<String> {
    let var = match backend {
        Backend::Sqlite => return None,
        Backend::Postgres => "COFFER_TEST_POSTGRES_URL",
        Backend::Mysql => "COFFER_TEST_MYSQL_URL",
    };
    Some(std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: the {backend:?} tests need a real server. \
             Run scripts/test.sh (it starts the databases), or source the output of \
             scripts/start-databases.sh. These tests never skip themselves."
        )
    }))
}

/// The start of every test database's name: `COFFER_TEST_DB_PREFIX` when set (scripts/test.sh
/// gives each run its own, and drops that run's databases when it ends), else `coffer_test_`.
/// Either way it starts with `coffer_test_`, the only names the test role may create.
fn database_prefix() -> String {
    let prefix = std::env::var("COFFER_TEST_DB_PREFIX").unwrap_or_default();
    if prefix.is_empty() {
        return "coffer_test_".into();
    }
    let plain = prefix
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    assert!(
        prefix.starts_with("coffer_test_") && plain && prefix.len() <= 40,
        "COFFER_TEST_DB_PREFIX must start with coffer_test_ and hold only a-z, 0-9 and _ \
         (at most 40 characters), not {prefix:?}"
    );
    prefix
}

/// Creates a fresh, uniquely named database and returns its URL.
pub async fn fresh_database(backend: Backend, data_dir: &std::path::Path) -> String {
    let Some(admin) = admin_url(backend) else {
        return format!("sqlite://{}?mode=rwc", data_dir.join("coffer.db").display());
    };
    let name = format!("{}{:016x}", database_prefix(), rand::random::<u64>());
    let db = sea_orm::Database::connect(admin.as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {backend:?} admin URL: {e}"));
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create database on {backend:?}: {e}"));
    let mut url = url::Url::parse(&admin).expect("admin URL parses");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

impl StoppedServer {
    /// A new server on this one's database, storage, data directory, settings and clock, on a
    /// fresh loopback port, with a client of its own.
    pub async fn start_again(self) -> TestServer {
        let (base, task, background) = serve(&self.config, self.clock.clone()).await;
        TestServer {
            base,
            http: client(),
            clock: self.clock,
            config: self.config,
            _data_dir: self._data_dir,
            _task: task,
            background,
        }
    }
}

impl TestServer {
    /// Starts a server on a fresh database; `tweak` adjusts the config.
    pub async fn start(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, data_dir.path()).await;
        let mut config = Config::from_vars([
            (
                "COFFER_DATA_DIR".to_string(),
                data_dir.path().display().to_string(),
            ),
            ("COFFER_DATABASE_URL".to_string(), url),
        ])
        .expect("test config is valid");
        tweak(&mut config);
        StoppedServer {
            clock: Arc::new(ManualClock::new(1_800_000_000_000)),
            config,
            _data_dir: data_dir,
        }
        .start_again()
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs JSON like the app does (same-origin headers), with an optional session cookie.
    pub async fn post(&self, path: &str, body: Value, cookie: Option<&str>) -> Response {
        let mut req = self
            .http
            .post(self.url(path))
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, &self.base)
            .json(&body);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, format!("__Host-coffer_session={c}"));
        }
        req.send().await.expect("request is sent")
    }

    /// Registers `username` with `password` through the real browser-side key code.
    pub async fn register(
        &self,
        username: &str,
        password: &str,
    ) -> (Response, keyring::Registration) {
        let mut rng = rand_core::OsRng;
        let reg = keyring::prepare_registration(username, "", password, &mut rng).unwrap();
        let body = json!({ "request": serde_json::to_value(&reg.request).unwrap() });
        (self.post("/api/register", body, None).await, reg)
    }

    /// Registers and returns the session token; panics unless it worked.
    pub async fn register_ok(&self, username: &str, password: &str) -> String {
        let (res, _) = self.register(username, password).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        session_cookie(&res).expect("register sets a session cookie")
    }

    /// Runs the browser's login: fetch KDF setup, derive, send the auth key.
    pub async fn login(&self, username: &str, password: &str, cookie: Option<&str>) -> Response {
        let kdf = self
            .post("/api/kdf-params", json!({ "username": username }), None)
            .await;
        assert_eq!(kdf.status(), StatusCode::OK);
        let kdf = kdf.json().await.unwrap();
        let keys = keyring::derive_keys(password, &kdf).unwrap();
        let auth_key = b64::encode(keys.auth_key().as_bytes());
        self.post(
            "/api/login",
            json!({ "username": username, "auth_key": auth_key }),
            cookie,
        )
        .await
    }

    /// Sends a login with a random auth key (a wrong password, without Argon2's cost).
    pub async fn login_with_random_key(&self, username: &str) -> Response {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        self.post(
            "/api/login",
            json!({ "username": username, "auth_key": b64::encode(&key) }),
            None,
        )
        .await
    }

    /// The account bundle for a session, or `None` when the session is not valid.
    pub async fn account(&self, cookie: &str) -> Option<AccountBundle> {
        let res = self.post("/api/account", json!({}), Some(cookie)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// The second-factor challenge cookie's name (secure cookies, as the test servers run).
pub const CHALLENGE: &str = "__Host-coffer_2fa";

/// The ticket a login waiting for a code was given in its challenge cookie, if any.
pub fn challenge_of(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{CHALLENGE}=")))
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.split_once('='))
        .map(|(_, t)| t.to_string())
        .filter(|t| !t.is_empty())
}

/// The session token from a response's Set-Cookie, checking its attributes.
pub fn session_cookie(res: &Response) -> Option<String> {
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-coffer_session="))?;
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "cookie lacks {attr}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "a __Host- cookie has no Domain");
    let value = cookie
        .trim_start_matches("__Host-coffer_session=")
        .split(';')
        .next()?
        .to_string();
    (!value.is_empty()).then_some(value)
}

/// Runs the named async test body once per database backend.
#[macro_export]
macro_rules! on_every_database {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Backend::Postgres).await } )*
        }
        mod mariadb {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Backend::Mysql).await } )*
        }
    };
}

/// Where a vault test stores blobs.
#[derive(Clone, Copy, Debug)]
pub enum Blobs {
    /// A directory under the test's data dir (the default configuration).
    Local,
    /// A fresh bucket on the loopback S3 server (`scripts/start-s3.sh`).
    S3,
}

/// Creates a uniquely named bucket on the test S3 server and returns the storage config for it.
pub async fn fresh_s3_bucket() -> coffer_server::config::StorageConfig {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: the S3 storage tests need a real S3 API server. Run \
                 scripts/test.sh (it starts one), or eval \"$(scripts/start-s3.sh)\". These \
                 tests never skip themselves."
            )
        })
    };
    let endpoint = var("COFFER_TEST_S3_ENDPOINT");
    let bucket = format!("coffer-test-{:016x}", rand::random::<u64>());
    let res = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot reach the S3 server at {endpoint}: {e}"));
    assert!(
        res.status().is_success(),
        "creating bucket {bucket}: {}",
        res.status()
    );
    coffer_server::config::StorageConfig::S3(coffer_server::config::S3Config {
        bucket,
        endpoint: Some(endpoint),
        region: var("COFFER_TEST_S3_REGION"),
        access_key_id: Some(var("COFFER_TEST_S3_ACCESS_KEY")),
        secret_access_key: Some(coffer_server::config::Redacted::new(var(
            "COFFER_TEST_S3_SECRET_KEY",
        ))),
        allow_http: true,
    })
}

impl TestServer {
    /// Starts a server whose blobs go to `blobs`; `tweak` adjusts the config further.
    pub async fn start_vault(
        backend: Backend,
        blobs: Blobs,
        tweak: impl FnOnce(&mut Config),
    ) -> TestServer {
        let storage = match blobs {
            Blobs::Local => None,
            Blobs::S3 => Some(fresh_s3_bucket().await),
        };
        TestServer::start(backend, move |config| {
            if let Some(storage) = storage {
                config.storage = storage;
            }
            tweak(config);
        })
        .await
    }

    /// Stops this server abruptly, as a process that dies: its HTTP side (the listener closes,
    /// the client and its kept-alive connections go) and the tasks beside it (janitor,
    /// outbox) end where they are, and nothing in memory survives. The database, storage, data
    /// directory and clock stay.
    pub async fn stop(self) -> StoppedServer {
        self._task.abort();
        let _ = self._task.await;
        self.background.stop().await;
        StoppedServer {
            clock: self.clock,
            config: self.config,
            _data_dir: self._data_dir,
        }
    }

    /// Stops this server ([`TestServer::stop`]) and starts a new one on the same database,
    /// storage, data directory and clock, as a restart after a crash.
    pub async fn restart(self) -> TestServer {
        self.stop().await.start_again().await
    }

    /// A second instance on the same database, storage and clock, beside this one (as several
    /// stateless instances run at scale). It shares nothing in memory with this one.
    pub async fn another_instance(&self) -> TestServer {
        let (base, task, background) = serve(&self.config, self.clock.clone()).await;
        TestServer {
            base,
            http: self.http.clone(),
            clock: self.clock.clone(),
            config: self.config.clone(),
            _data_dir: tempfile::tempdir().unwrap(),
            _task: task,
            background,
        }
    }

    /// A janitor for this server's database and storage, run by hand in tests.
    pub async fn janitor(&self) -> coffer_domain::janitor::Janitor {
        coffer_domain::janitor::Janitor::new(
            coffer_server::open_domain(&self.config, self.clock.clone())
                .await
                .expect("domain opens"),
        )
    }

    /// The blob store this server writes to, for looking behind its back.
    pub fn storage(&self) -> coffer_domain::Storage {
        coffer_domain::Storage::open(&self.config.storage).expect("storage opens")
    }

    /// Sends a request like the app does (same-origin headers) with a session cookie.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<reqwest::Body>,
    ) -> Response {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, &self.base);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, format!("__Host-coffer_session={c}"));
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        req.send().await.expect("request is sent")
    }
}

/// Runs the named async vault test body on SQLite and PostgreSQL, each with local and S3
/// storage, and on MariaDB with local storage.
#[macro_export]
macro_rules! on_every_vault_backend {
    ($($name:ident),* $(,)?) => {
        $crate::on_every_vault_backend!(@mod sqlite_local, Sqlite, Local; $($name),*);
        $crate::on_every_vault_backend!(@mod sqlite_s3, Sqlite, S3; $($name),*);
        $crate::on_every_vault_backend!(@mod postgres_local, Postgres, Local; $($name),*);
        $crate::on_every_vault_backend!(@mod postgres_s3, Postgres, S3; $($name),*);
        $crate::on_every_vault_backend!(@mod mariadb_local, Mysql, Local; $($name),*);
    };
    (@mod $module:ident, $db:ident, $blobs:ident; $($name:ident),*) => {
        mod $module {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   super::$name(
                       $crate::common::Backend::$db,
                       $crate::common::Blobs::$blobs,
                   )
                   .await
               } )*
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Format v2 as the owner's browser makes it, and looking behind the server's back

/// The file id a server-made hex id stands for.
pub fn file_id(hex_id: &str) -> FileId {
    FileId::from_bytes(hex::decode(hex_id).unwrap().try_into().unwrap())
}

/// The `{sealed_metadata, key_slot, version_record}` of a version as the owner's browser makes
/// it (`seal_file_version` with the account's own keys), for `POST …/complete`,
/// `PUT …/metadata` and `POST /api/files/versions`.
pub fn version_fields(
    keys: &UnlockedKeys,
    file_id: &FileId,
    version: &FileVersion,
    sealed_metadata: &[u8],
    file_key: &FileKey,
) -> Value {
    let sealed = seal_file_version(
        &keys.account_key,
        &keys.identity,
        file_id,
        version,
        sealed_metadata,
        file_key,
        &mut rand_core::OsRng,
    )
    .unwrap();
    assert_eq!(sealed.key_slot.len(), blob_len::SEALED_KEY);
    assert_eq!(sealed.record.len(), blob_len::VERSION_RECORD);
    json!({
        "sealed_metadata": b64::encode(sealed_metadata),
        "key_slot": b64::encode(&sealed.key_slot),
        "version_record": b64::encode(&sealed.record),
    })
}

/// A version body of the right shape that nobody signed (a 0x05 blob of 93 bytes, a 0x08 slot
/// of 61 bytes, a 0x09 record numbered `number` and bound to a made-up digest): what the server
/// can check is all right, so whatever it answers is about the file, not the body.
pub fn well_formed_version(number: u64) -> Value {
    let mut record = vec![0x09];
    record.extend(number.to_be_bytes());
    record.push(1);
    record.extend([7u8; 32]);
    record.extend([0u8; 64]);
    assert_eq!(record.len(), blob_len::VERSION_RECORD);
    json!({
        "sealed_metadata": b64::encode(&[5; 93]),
        "key_slot": b64::encode(&[8; 61]),
        "version_record": b64::encode(&record),
    })
}

impl TestServer {
    /// A connection of the test's own to the server's database.
    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        sea_orm::Database::connect(self.config.database_url.expose().as_str())
            .await
            .unwrap()
    }

    /// Turns a committed file back into one from format v1, as a v1 server stored it: version
    /// 0, no version record, and `wrapped_key` (a 0x04 HPKE wrap to the owner) as its key.
    pub async fn make_v1_file(&self, file_id: &str, wrapped_key: Vec<u8>) {
        use sea_orm::sea_query::Expr;
        let db = self.db().await;
        let res = entities::files::Entity::update_many()
            .col_expr(entities::files::Column::Version, Expr::value(0i64))
            .col_expr(
                entities::files::Column::VersionRecord,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(
                entities::files::Column::WrappedKey,
                Expr::value(wrapped_key),
            )
            .filter(entities::files::Column::Id.eq(file_id))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(res.rows_affected, 1);
        db.close().await.unwrap();
    }

    /// Turns every grant of `file_id` into one made by format v1: no signature, no key.
    pub async fn make_v1_grants(&self, file_id: &str) {
        use sea_orm::sea_query::Expr;
        let db = self.db().await;
        entities::grants::Entity::update_many()
            .col_expr(
                entities::grants::Column::Signature,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(
                entities::grants::Column::GranteeKey,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .filter(entities::grants::Column::FileId.eq(file_id))
            .exec(&db)
            .await
            .unwrap();
        db.close().await.unwrap();
    }

    /// Gives `username` a new public key behind the server's back (as a reset account would
    /// have), so that keys looked up before are stale.
    pub async fn replace_public_key(&self, username: &str, public_key: Vec<u8>) {
        let db = self.db().await;
        let user = entities::users::Entity::find()
            .filter(entities::users::Column::Username.eq(username))
            .one(&db)
            .await
            .unwrap()
            .expect("the user exists");
        let mut active: entities::users::ActiveModel = user.into();
        active.public_key = Set(public_key);
        sea_orm::ActiveModelTrait::update(active, &db)
            .await
            .unwrap();
        db.close().await.unwrap();
    }
}
