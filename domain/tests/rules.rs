//! The domain's rules below HTTP, on in-memory SQLite and a temporary blob directory:
//! quota reservations, upload completion, the delete cascade, and the one limiter (link
//! tokens and logins). The HTTP suites in server/tests run the same rules over the wire on
//! SQLite, PostgreSQL and MariaDB; these pin the rules themselves, quickly.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use coffer_crypto::{
    ciphertext_len, link_token_digest, seal_file_version, seal_metadata, sign_grant, wrap_file_key,
    AccountKey, ContentDigest, FileId, FileKey, FileMetadata, FileVersion, IdentityKeyPair,
    KdfParams, LinkKeys, LinkSecret, StreamEncryptor,
};
use coffer_domain::{
    entities::{grants, links},
    Domain, DomainError, ManualClock, Settings, Storage, StorageConfig,
};
use coffer_migration::{Migrator, MigratorTrait};
use coffer_protocol::{
    accounts::{KdfSetup, RegisterRequest},
    sharing::{NewGrant, NewLink},
    vault::{FilePage, NewUpload, NewVersion},
};
use rand_core::OsRng;
use sea_orm::{ColumnTrait, ConnectOptions, Database, EntityTrait, PaginatorTrait, QueryFilter};

const CHUNK: u32 = 4096;
const PART: u64 = 64 * 1024;

struct World {
    domain: Domain,
    clock: Arc<ManualClock>,
    _blobs: tempfile::TempDir,
}

async fn world(tweak: impl FnOnce(&mut Settings)) -> World {
    // One connection: every connection to `sqlite::memory:` is a database of its own.
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let blobs = tempfile::tempdir().unwrap();
    let storage = Storage::open(&StorageConfig::Local {
        root: blobs.path().to_path_buf(),
    })
    .unwrap();
    let mut settings = Settings::default();
    tweak(&mut settings);
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let domain = Domain::new(db, storage, settings, clock.clone())
        .await
        .unwrap();
    World {
        domain,
        clock,
        _blobs: blobs,
    }
}

/// A user with real identity keys (the sealed blobs are only checked for shape here).
struct User {
    id: i64,
    name: String,
    account_key: AccountKey,
    identity: IdentityKeyPair,
}

async fn user(w: &World, name: &str) -> User {
    let identity = IdentityKeyPair::generate(&mut OsRng);
    let request = RegisterRequest {
        username: name.into(),
        email: None,
        auth_key: vec![7; 32],
        kdf: KdfSetup {
            salt: vec![1; coffer_crypto::KDF_SALT_LEN],
            params: KdfParams::DEFAULT,
        },
        sealed_account_key_password: vec![2; 61],
        sealed_account_key_recovery: vec![3; 61],
        public_key: identity.public_key().to_bytes().to_vec(),
        sealed_private_key: vec![4; 61],
        account_proof: None,
    };
    let id = w.domain.register(request, "192.0.2.1").await.unwrap();
    User {
        id,
        name: name.into(),
        account_key: AccountKey::generate(&mut OsRng),
        identity,
    }
}

struct Upload {
    id: String,
    file_id: FileId,
    file_hex: String,
    key: FileKey,
    ciphertext: Vec<u8>,
}

async fn begin(w: &World, u: &User, plaintext: &[u8]) -> Result<Upload, DomainError> {
    let size = ciphertext_len(plaintext.len() as u64, CHUNK).unwrap();
    let created = w
        .domain
        .create_upload(
            u.id,
            NewUpload {
                ciphertext_size: size,
                chunk_size: CHUNK,
                part_size: Some(PART),
            },
        )
        .await?;
    let file_id = FileId::from_bytes(hex::decode(&created.file_id).unwrap().try_into().unwrap());
    let key = FileKey::generate(&mut OsRng);
    let mut enc = StreamEncryptor::new(&key, &file_id, CHUNK, &mut OsRng).unwrap();
    let mut ciphertext = enc.header().to_vec();
    ciphertext.extend(enc.push(plaintext).unwrap());
    ciphertext.extend(enc.finish().unwrap());
    Ok(Upload {
        id: created.upload_id,
        file_id,
        file_hex: created.file_id,
        key,
        ciphertext,
    })
}

async fn send_part(w: &World, u: &User, up: &Upload, n: usize) -> Result<(), DomainError> {
    let part = up.ciphertext.chunks(PART as usize).nth(n).unwrap().to_vec();
    let mut body = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(part))]);
    w.domain
        .store_part(u.id, &up.id, &n.to_string(), None, &mut body)
        .await
}

fn first_version(u: &User, up: &Upload) -> NewVersion {
    let meta = FileMetadata {
        name: "notes.txt".into(),
        mime: "text/plain".into(),
        size: 0,
        modified_ms: 0,
    };
    let sealed_metadata = seal_metadata(&up.key, &up.file_id, &meta, &mut OsRng).unwrap();
    let version = FileVersion::first(ContentDigest::of_ciphertext(&up.ciphertext).unwrap());
    let sealed = seal_file_version(
        &u.account_key,
        &u.identity,
        &up.file_id,
        &version,
        &sealed_metadata,
        &up.key,
        &mut OsRng,
    )
    .unwrap();
    NewVersion {
        sealed_metadata,
        key_slot: sealed.key_slot,
        version_record: sealed.record,
    }
}

async fn stored_file(w: &World, u: &User, plaintext: &[u8]) -> Upload {
    let up = begin(w, u, plaintext).await.unwrap();
    for n in 0..up.ciphertext.len().div_ceil(PART as usize) {
        send_part(w, u, &up, n).await.unwrap();
    }
    w.domain
        .complete_upload(u.id, &up.id, first_version(u, &up))
        .await
        .unwrap();
    up
}

async fn usage(w: &World, u: &User) -> (u64, u64) {
    let usage = w
        .domain
        .list_files(u.id, FilePage::default())
        .await
        .unwrap()
        .usage;
    (usage.stored_bytes, usage.reserved_bytes)
}

#[tokio::test]
async fn uploads_reserve_their_size_and_the_quota_refuses_what_does_not_fit() {
    let w = world(|s| s.vault.user_quota_bytes = 300 * 1024).await;
    let alice = user(&w, "alice").await;
    let first = begin(&w, &alice, &[0; 200 * 1024]).await.unwrap();
    let reserved = first.ciphertext.len() as u64;
    assert_eq!(usage(&w, &alice).await, (0, reserved));
    let refused = begin(&w, &alice, &[0; 200 * 1024]).await.err();
    assert!(
        matches!(refused, Some(DomainError::QuotaExceeded(_))),
        "{refused:?}"
    );
    w.domain.cancel_upload(alice.id, &first.id).await.unwrap();
    assert_eq!(usage(&w, &alice).await, (0, 0));
    let done = stored_file(&w, &alice, &[0; 200 * 1024]).await;
    assert_eq!(usage(&w, &alice).await, (done.ciphertext.len() as u64, 0));
}

#[tokio::test]
async fn an_upload_completes_only_with_every_part_and_only_once() {
    let w = world(|_| {}).await;
    let alice = user(&w, "alice").await;
    let up = begin(&w, &alice, &[9; 150 * 1024]).await.unwrap();
    send_part(&w, &alice, &up, 1).await.unwrap();
    let early = w
        .domain
        .complete_upload(alice.id, &up.id, first_version(&alice, &up))
        .await;
    match early {
        Err(DomainError::Incomplete(missing)) => assert_eq!(missing, [0, 2]),
        other => panic!("expected incomplete, got {other:?}"),
    }
    send_part(&w, &alice, &up, 0).await.unwrap();
    send_part(&w, &alice, &up, 2).await.unwrap();
    let file = w
        .domain
        .complete_upload(alice.id, &up.id, first_version(&alice, &up))
        .await
        .unwrap();
    assert_eq!(file.id, up.file_hex);
    let again = w
        .domain
        .complete_upload(alice.id, &up.id, first_version(&alice, &up))
        .await;
    assert!(matches!(again, Err(DomainError::NotFound(_))), "{again:?}");
    let listed = w
        .domain
        .list_files(alice.id, FilePage::default())
        .await
        .unwrap()
        .files;
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn a_part_zero_without_this_uploads_header_is_refused() {
    let w = world(|_| {}).await;
    let alice = user(&w, "alice").await;
    let up = begin(&w, &alice, &[1; 10]).await.unwrap();
    let mut forged = up.ciphertext.clone();
    forged[50] ^= 1; // inside the file id of the header
    let mut body = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(forged))]);
    let res = w
        .domain
        .store_part(alice.id, &up.id, "0", None, &mut body)
        .await;
    assert!(matches!(res, Err(DomainError::Invalid(_))), "{res:?}");
}

#[tokio::test]
async fn deleting_a_file_takes_its_grants_and_links_with_it() {
    let w = world(|_| {}).await;
    let alice = user(&w, "alice").await;
    let bob = user(&w, "bob").await;
    let up = stored_file(&w, &alice, b"shared notes").await;
    let wrapped = wrap_file_key(&bob.identity.public_key(), &up.key, &up.file_id, &mut OsRng);
    let signature = sign_grant(
        &alice.identity,
        &up.file_id,
        &bob.identity.public_key(),
        &wrapped,
        None,
    );
    w.domain
        .create_grant(
            alice.id,
            &up.file_hex,
            NewGrant {
                grantee: bob.name.clone(),
                grantee_key: bob.identity.public_key().to_bytes().to_vec(),
                wrapped_key: wrapped,
                signature,
                expires_at: None,
            },
        )
        .await
        .unwrap();
    let (link_id, _) = link(&w, &alice, &up).await;
    assert_eq!(w.domain.shared_with(bob.id).await.unwrap().files.len(), 1);

    w.domain.delete_file(alice.id, &up.file_hex).await.unwrap();
    let db = w.domain.db();
    let grant_rows = grants::Entity::find()
        .filter(grants::Column::FileId.eq(up.file_hex.clone()))
        .count(db)
        .await
        .unwrap();
    let link_rows = links::Entity::find()
        .filter(links::Column::FileId.eq(up.file_hex.clone()))
        .count(db)
        .await
        .unwrap();
    assert_eq!((grant_rows, link_rows), (0, 0));
    assert!(w.domain.shared_with(bob.id).await.unwrap().files.is_empty());
    assert!(matches!(
        w.domain.link_info(&link_id).await,
        Err(DomainError::LinkUnavailable)
    ));
    assert_eq!(usage(&w, &alice).await, (0, 0));
}

/// Makes a link to `up` and returns its id and token.
async fn link(w: &World, owner: &User, up: &Upload) -> (String, [u8; 32]) {
    let secret = LinkSecret::generate(&mut OsRng);
    let keys = LinkKeys::derive(&secret, None).unwrap();
    let id = secret
        .link_id(&owner.identity.public_key(), &up.file_id)
        .unwrap();
    let token = keys.auth_token();
    w.domain
        .create_link(
            owner.id,
            &up.file_hex,
            NewLink {
                link_id: hex::encode(id),
                token_digest: link_token_digest(&token).to_vec(),
                wrapped_key: keys.wrap_file_key(&up.key, &id, &mut OsRng),
                password_kdf: None,
                expires_at: None,
                max_downloads: None,
                sealed_secret: None,
                verifier: None,
                show_sender: false,
            },
        )
        .await
        .unwrap();
    (hex::encode(id), token)
}

#[tokio::test]
async fn wrong_link_tokens_use_up_the_window_and_then_even_the_right_one_waits() {
    let w = world(|s| {
        s.vault.link_failures_per_link = 3;
        s.vault.link_window = Duration::from_secs(60);
    })
    .await;
    let alice = user(&w, "alice").await;
    let up = stored_file(&w, &alice, b"linked").await;
    let (id, token) = link(&w, &alice, &up).await;
    // A right token gives its attempt back: any number of them pass.
    for _ in 0..5 {
        w.domain.open_link(&id, &token).await.unwrap();
    }
    for _ in 0..3 {
        let wrong = w.domain.open_link(&id, &[0; 32]).await;
        assert!(
            matches!(wrong, Err(DomainError::WrongPassword)),
            "{wrong:?}"
        );
    }
    match w.domain.open_link(&id, &token).await {
        Err(DomainError::RateLimited { retry_after, .. }) => assert_eq!(retry_after, 60),
        other => panic!("expected a limit, got {other:?}"),
    }
    w.clock.advance(Duration::from_secs(60));
    w.domain.open_link(&id, &token).await.unwrap();
}

#[tokio::test]
async fn failed_logins_are_counted_before_the_check_and_a_success_clears_the_account() {
    let w = world(|s| {
        s.auth.login_failures_per_account = 2;
        s.auth.login_failures_per_ip = 100;
        s.auth.locked_account_tries_per_client = 1;
        s.auth.locked_account_delay = std::time::Duration::from_millis(1);
    })
    .await;
    let alice = user(&w, "alice").await;
    let wrong = || w.domain.login("alice", vec![8; 32], "192.0.2.9");
    assert!(matches!(wrong().await, Err(DomainError::BadCredentials)));
    // The right key clears the account's failures.
    assert_eq!(
        w.domain
            .login("Alice", vec![7; 32], "192.0.2.9")
            .await
            .unwrap(),
        alice.id
    );
    assert!(matches!(wrong().await, Err(DomainError::BadCredentials)));
    assert!(matches!(wrong().await, Err(DomainError::BadCredentials)));
    // Past the account's limit this client gets one more (delayed) check...
    assert!(matches!(wrong().await, Err(DomainError::BadCredentials)));
    // ...and then not even the right key is checked (from this client).
    let limited = w.domain.login("alice", vec![7; 32], "192.0.2.9").await;
    assert!(
        matches!(limited, Err(DomainError::RateLimited { .. })),
        "{limited:?}"
    );
    // Unknown users are limited the same way, so the limit tells nothing about who exists.
    for _ in 0..3 {
        let res = w.domain.login("nobody", vec![7; 32], "192.0.2.9").await;
        assert!(matches!(res, Err(DomainError::BadCredentials)));
    }
    let res = w.domain.login("nobody", vec![7; 32], "192.0.2.9").await;
    assert!(matches!(res, Err(DomainError::RateLimited { .. })));
}
