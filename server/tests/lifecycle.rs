//! An account's life after registration, over HTTP against a real server on SQLite, PostgreSQL
//! and MariaDB: a new password, a reset with the recovery key, the sessions list, deleting the
//! account, and API tokens held to their scopes. The browser's side runs natively through the
//! app's own key code (coffer_app::keyring), as the tests of registration do.

mod common;

use coffer_app::keyring;
use coffer_domain::entities;
use coffer_protocol::{
    accounts::{AccountBundle, RecoverySeal},
    b64,
};
use common::{
    api::{call, expect_error, get_json, json_of},
    files::upload,
    links::link,
    session_cookie,
    sharing::{grant, shared_with},
    users::{user, User, PASSWORD},
    Backend, TestServer,
};
use rand_core::OsRng;
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

on_every_database!(
    a_new_password_replaces_the_old_and_ends_the_other_sessions,
    a_wrong_current_password_changes_nothing,
    the_recovery_key_resets_the_password_and_is_replaced,
    wrong_recovery_proofs_answer_like_unknown_names_and_are_limited,
    an_account_proof_is_planted_only_with_the_password_and_never_replaced,
    sessions_are_listed_and_ended_one_by_one_or_all_but_this,
    deleting_an_account_leaves_nothing_of_it,
    deleting_needs_the_password_and_the_typed_name,
    api_tokens_keep_to_their_scopes_and_never_reach_the_account,
);

const NEW_PASSWORD: &str = "a brand new passphrase for this";

/// The bundle a session sees (the sealed keys), as the browser asks for it.
async fn bundle(s: &TestServer, cookie: &str) -> AccountBundle {
    s.account(cookie).await.expect("the session is live")
}

/// Derives the keys of `password` for `bundle` and unlocks it.
fn unlock(b: &AccountBundle, password: &str) -> Result<keyring::UnlockedKeys, String> {
    let keys = keyring::derive_keys(password, &b.kdf).map_err(|e| e.to_string())?;
    keyring::unlock(b, &keys).map_err(|e| e.to_string())
}

/// `POST /api/password` from `u`'s browser: the old password proves, the new one seals.
async fn change_password(
    s: &TestServer,
    cookie: &str,
    old: &str,
    new: &str,
    revoke_tokens: bool,
) -> Response {
    let b = bundle(s, cookie).await;
    let keys = unlock(&b, PASSWORD).unwrap();
    let old_keys = keyring::derive_keys(old, &b.kdf).unwrap();
    let request =
        keyring::prepare_password_change(&keys, &old_keys, new, revoke_tokens, &mut OsRng).unwrap();
    s.post(
        "/api/password",
        json!({ "request": serde_json::to_value(&request).unwrap() }),
        Some(cookie),
    )
    .await
}

async fn token(s: &TestServer, cookie: &str, scopes: Option<Value>) -> String {
    let mut body = json!({ "name": "script", "days": 3 });
    if let Some(scopes) = scopes {
        body["scopes"] = scopes;
    }
    let res = s.post("/api/tokens/create", body, Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await["token"].as_str().unwrap().to_string()
}

async fn with_token(s: &TestServer, method: Method, path: &str, token: &str) -> Response {
    s.http
        .request(method, s.url(path))
        .bearer_auth(token)
        .header("sec-fetch-site", "same-origin")
        .header(reqwest::header::ORIGIN, s.url(""))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
}

async fn recovery_seal(s: &TestServer, username: &str) -> RecoverySeal {
    let res = s
        .post("/api/recovery/key", json!({ "username": username }), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn a_new_password_replaces_the_old_and_ends_the_other_sessions(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let alice = user(&s, "alice").await;
    let f = upload(&s, &alice, "plan.txt", b"the plan").await;
    let other = session_cookie(&s.login("alice", PASSWORD, None).await).unwrap();
    let kept_token = token(&s, &alice.cookie, None).await;
    let before = bundle(&s, &alice.cookie).await;

    let res = change_password(&s, &alice.cookie, PASSWORD, NEW_PASSWORD, false).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    assert!(s.account(&other).await.is_none(), "other sessions end");
    let after = bundle(&s, &alice.cookie).await;
    assert_ne!(after.kdf.salt, before.kdf.salt, "a fresh salt");
    assert!(unlock(&after, PASSWORD).is_err());
    let keys = unlock(&after, NEW_PASSWORD).expect("the new password unlocks");
    assert!(keyring::holds_account_key(
        &keys,
        &unlock(&before, PASSWORD).unwrap().account_key
    ));
    assert_eq!(after.public_key, before.public_key);

    let old_login = s.login("alice", PASSWORD, None).await;
    assert_eq!(old_login.status(), StatusCode::UNAUTHORIZED);
    let new_login = s.login("alice", NEW_PASSWORD, None).await;
    assert_eq!(new_login.status(), StatusCode::OK);
    let files = get_json(&s, "/api/files", &alice).await;
    assert_eq!(files["files"][0]["id"], f.file_id.as_str(), "files stay");
    assert_eq!(
        with_token(&s, Method::GET, "/api/me", &kept_token)
            .await
            .status(),
        StatusCode::OK,
        "tokens stay unless asked"
    );

    // Asked this time: every token ends too.
    let cookie = session_cookie(&new_login).unwrap();
    let mut b = bundle(&s, &cookie).await;
    let keys = unlock(&b, NEW_PASSWORD).unwrap();
    let old_keys = keyring::derive_keys(NEW_PASSWORD, &b.kdf).unwrap();
    let request = keyring::prepare_password_change(
        &keys,
        &old_keys,
        "third one, longer still",
        true,
        &mut OsRng,
    )
    .unwrap();
    let res = s
        .post(
            "/api/password",
            json!({ "request": serde_json::to_value(&request).unwrap() }),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        with_token(&s, Method::GET, "/api/me", &kept_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    b = bundle(&s, &cookie).await;
    assert!(unlock(&b, "third one, longer still").is_ok());
}

async fn a_wrong_current_password_changes_nothing(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let bob = user(&s, "bob").await;
    let other = session_cookie(&s.login("bob", PASSWORD, None).await).unwrap();
    let before = bundle(&s, &bob.cookie).await;
    let b = before.clone();
    let keys = unlock(&b, PASSWORD).unwrap();
    let wrong = keyring::derive_keys("not the password at all", &b.kdf).unwrap();
    let request =
        keyring::prepare_password_change(&keys, &wrong, NEW_PASSWORD, true, &mut OsRng).unwrap();
    let res = s
        .post(
            "/api/password",
            json!({ "request": serde_json::to_value(&request).unwrap() }),
            Some(&bob.cookie),
        )
        .await;
    expect_error(
        res,
        StatusCode::BAD_REQUEST,
        "invalid",
        "wrong current password",
    )
    .await;
    assert_eq!(bundle(&s, &bob.cookie).await, before);
    assert!(s.account(&other).await.is_some(), "nothing ended");
    assert_eq!(
        s.login("bob", PASSWORD, None).await.status(),
        StatusCode::OK
    );

    // A malformed request is refused before any check.
    let mut bad = serde_json::to_value(&request).unwrap();
    bad["kdf"]["salt"] = json!(b64::encode(&[1, 2, 3]));
    let res = s
        .post(
            "/api/password",
            json!({ "request": bad }),
            Some(&bob.cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

async fn the_recovery_key_resets_the_password_and_is_replaced(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let carol = user(&s, "Carol").await;
    let f = upload(&s, &carol, "notes.txt", b"carol's notes").await;
    let old_token = token(&s, &carol.cookie, None).await;
    let old_recovery = carol.reg.recovery_key.to_display();

    let seal = recovery_seal(&s, "carol").await;
    let (account_key, format) = keyring::open_with_recovery(&old_recovery, &seal).unwrap();
    let reset =
        keyring::prepare_recovery_reset("carol", &account_key, format, NEW_PASSWORD, &mut OsRng)
            .unwrap();
    let res = s
        .post(
            "/api/recovery/reset",
            json!({ "request": serde_json::to_value(&reset.request).unwrap() }),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res).expect("a reset logs in");
    let answered: AccountBundle = res.json().await.unwrap();
    let keys = keyring::unlock(&answered, &reset.password_keys).unwrap();
    assert!(keyring::holds_account_key(&keys, &account_key));

    assert!(
        s.account(&carol.cookie).await.is_none(),
        "every old session ends"
    );
    assert_eq!(
        with_token(&s, Method::GET, "/api/me", &old_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "every token ends"
    );
    assert_eq!(
        s.login("carol", PASSWORD, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.login("carol", NEW_PASSWORD, None).await.status(),
        StatusCode::OK
    );
    let seal = recovery_seal(&s, "carol").await;
    assert!(
        keyring::open_with_recovery(&old_recovery, &seal).is_err(),
        "the old recovery key stops working"
    );
    keyring::open_with_recovery(&reset.recovery_key.to_display(), &seal)
        .expect("the new one works");
    let files = call(&s, Method::GET, "/api/files", None, None).await;
    assert_eq!(files.status(), StatusCode::UNAUTHORIZED);
    let res = s.send(Method::GET, "/api/files", Some(&cookie), None).await;
    assert_eq!(json_of(res).await["files"][0]["id"], f.file_id.as_str());
}

async fn wrong_recovery_proofs_answer_like_unknown_names_and_are_limited(backend: Backend) {
    let s = TestServer::start(backend, |c| {
        c.auth.login_failures_per_account = 3;
        c.auth.login_failures_per_ip = 100;
    })
    .await;
    let dave = user(&s, "dave").await;

    // The seal for an unknown name is stable and shaped like a real one.
    let ghost = recovery_seal(&s, "nobody-here").await;
    assert_eq!(ghost, recovery_seal(&s, "nobody-here").await);
    let real = recovery_seal(&s, "dave").await;
    assert_eq!(
        ghost.sealed_account_key_recovery.len(),
        real.sealed_account_key_recovery.len()
    );
    assert_eq!(
        ghost.sealed_account_key_recovery[0],
        real.sealed_account_key_recovery[0]
    );

    let forged = |name: &str| {
        // A browser that guessed: a random account key's proof.
        let key = coffer_crypto::AccountKey::generate(&mut OsRng);
        let reset = keyring::prepare_recovery_reset(
            name,
            &key,
            coffer_crypto::AccountFormat::V2,
            NEW_PASSWORD,
            &mut OsRng,
        )
        .unwrap();
        json!({ "request": serde_json::to_value(&reset.request).unwrap() })
    };
    let unknown = s
        .post("/api/recovery/reset", forged("nobody-here"), None)
        .await;
    let (unknown_status, unknown_body) = (unknown.status(), unknown.text().await.unwrap());
    let wrong = s.post("/api/recovery/reset", forged("dave"), None).await;
    assert_eq!(
        (wrong.status(), wrong.text().await.unwrap()),
        (unknown_status, unknown_body.clone()),
        "a wrong proof and an unknown name answer alike"
    );
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    let login = s.login_with_random_key("dave").await;
    assert_eq!(
        login.text().await.unwrap(),
        unknown_body,
        "and like a wrong password"
    );
    // Resets and logins count against the same per-account limit (3 here): two so far.
    let third = s.post("/api/recovery/reset", forged("dave"), None).await;
    assert_eq!(third.status(), StatusCode::UNAUTHORIZED);
    let limited = s.post("/api/recovery/reset", forged("dave"), None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get("retry-after").is_some());
    assert!(s.account(&dave.cookie).await.is_some(), "nothing changed");
}

async fn an_account_proof_is_planted_only_with_the_password_and_never_replaced(backend: Backend) {
    use sea_orm::sea_query::Expr;
    let s = TestServer::start(backend, |_| {}).await;
    let erin = user(&s, "erin").await;
    assert!(!bundle(&s, &erin.cookie).await.needs_account_proof);

    // An account from before proofs existed.
    let db = s.db().await;
    entities::users::Entity::update_many()
        .col_expr(
            entities::users::Column::AccountProofHash,
            Expr::value(Option::<String>::None),
        )
        .exec(&db)
        .await
        .unwrap();
    let b = bundle(&s, &erin.cookie).await;
    assert!(b.needs_account_proof);
    let keys = unlock(&b, PASSWORD).unwrap();
    let auth = keyring::derive_keys(PASSWORD, &b.kdf).unwrap();
    let proof = b64::encode(&keys.account_key.proof()[..]);

    // A stolen cookie alone cannot plant a proof of its own.
    let stolen = s
        .post(
            "/api/account-proof",
            json!({ "auth_key": b64::encode(&[9u8; 32]), "proof": b64::encode(&[7u8; 32]) }),
            Some(&erin.cookie),
        )
        .await;
    expect_error(
        stolen,
        StatusCode::BAD_REQUEST,
        "invalid",
        "a wrong auth key",
    )
    .await;
    assert!(bundle(&s, &erin.cookie).await.needs_account_proof);

    let res = s
        .post(
            "/api/account-proof",
            json!({ "auth_key": b64::encode(auth.auth_key().as_bytes()), "proof": proof }),
            Some(&erin.cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!bundle(&s, &erin.cookie).await.needs_account_proof);
    let stored = entities::users::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .account_proof_hash;
    let again = s
        .post(
            "/api/account-proof",
            json!({ "auth_key": b64::encode(auth.auth_key().as_bytes()), "proof": b64::encode(&[7u8; 32]) }),
            Some(&erin.cookie),
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let after = entities::users::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .account_proof_hash;
    assert_eq!(stored, after, "a proof is never replaced");

    // The planted proof works for a reset with the recovery key.
    let seal = recovery_seal(&s, "erin").await;
    let (account_key, format) =
        keyring::open_with_recovery(&erin.reg.recovery_key.to_display(), &seal).unwrap();
    let reset =
        keyring::prepare_recovery_reset("erin", &account_key, format, NEW_PASSWORD, &mut OsRng)
            .unwrap();
    let res = s
        .post(
            "/api/recovery/reset",
            json!({ "request": serde_json::to_value(&reset.request).unwrap() }),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn sessions_are_listed_and_ended_one_by_one_or_all_but_this(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let fay = user(&s, "fay").await;
    let gus = user(&s, "gus").await;
    let phone = session_cookie(&s.login("fay", PASSWORD, None).await).unwrap();
    let laptop = session_cookie(&s.login("fay", PASSWORD, None).await).unwrap();

    let list = s
        .post("/api/sessions/list", json!({}), Some(&fay.cookie))
        .await;
    assert_eq!(list.status(), StatusCode::OK);
    let list: Vec<Value> = list.json().await.unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    for session in &list {
        assert_eq!(session["client_ip"], "127.0.0.1");
        assert!(session["created_at"].as_i64().unwrap() > 0);
        assert!(session["last_seen_at"].as_i64().unwrap() > 0);
    }

    // Another user's session id looks missing, and stays alive.
    let gus_list: Vec<Value> = s
        .post("/api/sessions/list", json!({}), Some(&gus.cookie))
        .await
        .json()
        .await
        .unwrap();
    let gus_id = gus_list[0]["id"].clone();
    let res = s
        .post(
            "/api/sessions/end",
            json!({ "id": gus_id }),
            Some(&fay.cookie),
        )
        .await;
    expect_error(
        res,
        StatusCode::NOT_FOUND,
        "not_found",
        "someone else's session",
    )
    .await;
    assert!(s.account(&gus.cookie).await.is_some());

    // End the phone's by id: the one that is neither current nor the newest.
    let phone_id = list
        .iter()
        .filter(|s| s["current"] == false)
        .map(|s| s["id"].as_i64().unwrap())
        .min()
        .unwrap();
    let res = s
        .post(
            "/api/sessions/end",
            json!({ "id": phone_id }),
            Some(&fay.cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(s.account(&phone).await.is_none());
    assert!(s.account(&laptop).await.is_some());

    let res = s
        .post("/api/sessions/end-others", json!({}), Some(&fay.cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<u64>().await.unwrap(), 1);
    assert!(s.account(&laptop).await.is_none());
    assert!(s.account(&fay.cookie).await.is_some(), "this one stays");
    assert!(s.account(&gus.cookie).await.is_some(), "nobody else's ends");
}

/// Rows anywhere that still name `user_id` (or a file of theirs).
async fn rows_of(s: &TestServer, user_id: i64, file_ids: &[String]) -> Vec<(&'static str, u64)> {
    use entities::*;
    let db = s.db().await;
    let mut found = vec![
        (
            "users",
            users::Entity::find_by_id(user_id).count(&db).await.unwrap(),
        ),
        (
            "files",
            files::Entity::find()
                .filter(files::Column::OwnerId.eq(user_id))
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "uploads",
            uploads::Entity::find()
                .filter(uploads::Column::OwnerId.eq(user_id))
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "grants",
            grants::Entity::find()
                .filter(
                    sea_orm::Condition::any()
                        .add(grants::Column::GranteeId.eq(user_id))
                        .add(grants::Column::GrantedBy.eq(user_id))
                        .add(grants::Column::FileId.is_in(file_ids.iter().cloned())),
                )
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "links",
            links::Entity::find()
                .filter(
                    sea_orm::Condition::any()
                        .add(links::Column::OwnerId.eq(user_id))
                        .add(links::Column::FileId.is_in(file_ids.iter().cloned())),
                )
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "contacts",
            contacts::Entity::find()
                .filter(contacts::Column::OwnerId.eq(user_id))
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "account_records",
            account_records::Entity::find_by_id(user_id)
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "user_usage",
            user_usage::Entity::find_by_id(user_id)
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "api_tokens",
            api_tokens::Entity::find()
                .filter(api_tokens::Column::UserId.eq(user_id))
                .count(&db)
                .await
                .unwrap(),
        ),
        (
            "sessions",
            sessions::Entity::find()
                .filter(sessions::Column::UserId.eq(user_id))
                .count(&db)
                .await
                .unwrap(),
        ),
    ];
    found.retain(|(_, n)| *n > 0);
    found
}

async fn user_id(s: &TestServer, name: &str) -> i64 {
    entities::users::Entity::find()
        .filter(entities::users::Column::Username.eq(name))
        .one(&s.db().await)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// `POST /api/account/delete` from `u`'s browser.
async fn delete(s: &TestServer, u: &User, password: &str, typed: &str) -> Response {
    let b = bundle(s, &u.cookie).await;
    let keys = keyring::derive_keys(password, &b.kdf).unwrap();
    s.post(
        "/api/account/delete",
        json!({ "auth_key": b64::encode(keys.auth_key().as_bytes()), "username": typed }),
        Some(&u.cookie),
    )
    .await
}

async fn deleting_an_account_leaves_nothing_of_it(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let hal = user(&s, "Hal").await;
    let ivy = user(&s, "ivy").await;
    let mine = upload(&s, &hal, "mine.txt", b"hal's own").await;
    let theirs = upload(&s, &ivy, "theirs.txt", b"ivy's own").await;
    grant(&s, &hal, &mine, &ivy, None).await;
    grant(&s, &ivy, &theirs, &hal, None).await;
    link(&s, &hal, &mine, None, None).await;
    let _ = token(&s, &hal.cookie, None).await;
    // An upload left unfinished, with a part.
    let pending = common::files::begin(&s, &hal, &[5u8; 100]).await;
    let part = common::files::put_part(&s, &hal, &pending, 0, pending.part(0)).await;
    assert!(part.status().is_success());
    let contact = call(
        &s,
        Method::PUT,
        "/api/contacts/ivy",
        Some(&hal),
        Some(json!({ "sealed": b64::encode(&[1u8; 80]) })),
    )
    .await;
    assert_eq!(contact.status(), StatusCode::NO_CONTENT);
    let record = call(
        &s,
        Method::PUT,
        "/api/account-record",
        Some(&hal),
        Some(json!({
            "expected_revision": null,
            "revision": 1,
            "sealed": b64::encode(&common::account_record::sealed_record(&hal, 1, vec![])),
        })),
    )
    .await;
    assert!(record.status().is_success(), "{}", record.status());
    assert_eq!(shared_with(&s, &ivy).await.len(), 1);
    let hal_id = user_id(&s, "hal").await;
    let db = s.db().await;
    let hal_keys: Vec<String> = entities::files::Entity::find()
        .filter(entities::files::Column::OwnerId.eq(hal_id))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.storage_key)
        .collect();
    let ivy_keys: Vec<String> = entities::files::Entity::find()
        .filter(entities::files::Column::OwnerId.ne(hal_id))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.storage_key)
        .collect();
    assert_eq!((hal_keys.len(), ivy_keys.len()), (1, 1));
    let rows = rows_of(&s, hal_id, std::slice::from_ref(&mine.file_id)).await;
    assert_eq!(
        rows.len(),
        10,
        "every table holds something of hal's: {rows:?}"
    );

    let res = delete(&s, &hal, PASSWORD, "hal").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    assert_eq!(
        rows_of(&s, hal_id, std::slice::from_ref(&mine.file_id)).await,
        vec![]
    );
    let blobs_after = s.storage().blob_ids().await.unwrap();
    assert!(
        !blobs_after.contains(&hal_keys[0]),
        "the file's content is gone"
    );
    assert!(blobs_after.contains(&ivy_keys[0]), "ivy's content stays");
    assert!(
        shared_with(&s, &ivy).await.is_empty(),
        "the shared file leaves the grantee's list"
    );
    assert_eq!(s.account(&hal.cookie).await, None, "the session ended");
    let ivy_files = get_json(&s, "/api/files", &ivy).await;
    assert_eq!(
        ivy_files["files"][0]["id"],
        theirs.file_id.as_str(),
        "ivy's own stay"
    );
    assert!(json_of(
        call(
            &s,
            Method::GET,
            &format!("/api/files/{}/grants", theirs.file_id),
            Some(&ivy),
            None
        )
        .await
    )
    .await["grants"]
        .as_array()
        .unwrap()
        .is_empty());

    // The name is free again, for a new account with new keys.
    let (res, _) = s.register("hal", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn deleting_needs_the_password_and_the_typed_name(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let jo = user(&s, "joan").await;
    let f = upload(&s, &jo, "keep.txt", b"still here").await;
    let res = delete(&s, &jo, "a wrong password entirely", "joan").await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid", "wrong password").await;
    let res = delete(&s, &jo, PASSWORD, "joanna").await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid", "wrong name").await;
    let files = get_json(&s, "/api/files", &jo).await;
    assert_eq!(files["files"][0]["id"], f.file_id.as_str());
    let res = s
        .post(
            "/api/account/delete",
            json!({ "auth_key": "", "username": "joan" }),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn api_tokens_keep_to_their_scopes_and_never_reach_the_account(backend: Backend) {
    let s = TestServer::start(backend, |_| {}).await;
    let kim = user(&s, "kim").await;
    let b = bundle(&s, &kim.cookie).await;
    let keys = unlock(&b, PASSWORD).unwrap();
    let auth = keyring::derive_keys(PASSWORD, &b.kdf).unwrap();
    let auth_key = b64::encode(auth.auth_key().as_bytes());
    let change =
        keyring::prepare_password_change(&keys, &auth, NEW_PASSWORD, true, &mut OsRng).unwrap();
    let f = upload(&s, &kim, "data.bin", b"some data").await;
    let read = token(&s, &kim.cookie, Some(json!(["read"]))).await;
    let write = token(&s, &kim.cookie, Some(json!(["write"]))).await;
    let both = token(&s, &kim.cookie, None).await;
    let none = s
        .post(
            "/api/tokens/create",
            json!({ "name": "nothing", "days": 1, "scopes": [] }),
            Some(&kim.cookie),
        )
        .await;
    assert_eq!(none.status(), StatusCode::BAD_REQUEST);

    let listed: Vec<Value> = s
        .post("/api/tokens/list", json!({}), Some(&kim.cookie))
        .await
        .json()
        .await
        .unwrap();
    let scopes: Vec<Value> = listed.iter().map(|t| t["scopes"].clone()).collect();
    assert!(scopes.contains(&json!(["read"])));
    assert!(scopes.contains(&json!(["write"])));
    assert!(scopes.contains(&json!(["read", "write"])));

    let content = format!("/api/files/{}/content", f.file_id);
    assert_eq!(
        with_token(&s, Method::GET, "/api/files", &read)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        with_token(&s, Method::GET, &content, &read).await.status(),
        StatusCode::OK
    );
    let res = with_token(
        &s,
        Method::DELETE,
        &format!("/api/files/{}", f.file_id),
        &read,
    )
    .await;
    expect_error(
        res,
        StatusCode::FORBIDDEN,
        "forbidden",
        "a read token deletes",
    )
    .await;
    let res = with_token(&s, Method::GET, "/api/files", &write).await;
    expect_error(
        res,
        StatusCode::FORBIDDEN,
        "forbidden",
        "a write token lists",
    )
    .await;

    // No token, whatever its scopes, reaches the account.
    for (path, body) in [
        ("/api/account", json!({})),
        ("/api/tokens/create", json!({ "name": "more", "days": 1 })),
        ("/api/tokens/list", json!({})),
        ("/api/tokens/revoke", json!({ "id": 1 })),
        (
            "/api/password",
            json!({ "request": serde_json::to_value(&change).unwrap() }),
        ),
        (
            "/api/account/delete",
            json!({ "auth_key": auth_key, "username": "kim" }),
        ),
        ("/api/sessions/list", json!({})),
        ("/api/sessions/end", json!({ "id": 1 })),
        ("/api/sessions/end-others", json!({})),
        (
            "/api/account-proof",
            json!({ "auth_key": auth_key, "proof": b64::encode(&[7u8; 32]) }),
        ),
    ] {
        let res = s
            .http
            .post(s.url(path))
            .bearer_auth(&both)
            .header("sec-fetch-site", "same-origin")
            .header(reqwest::header::ORIGIN, s.url(""))
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::FORBIDDEN, "forbidden", path).await;
    }
    assert!(
        unlock(&bundle(&s, &kim.cookie).await, PASSWORD).is_ok(),
        "the password stands"
    );
    let files = get_json(&s, "/api/files", &kim).await;
    assert_eq!(
        files["files"][0]["id"],
        f.file_id.as_str(),
        "nothing was deleted"
    );
}

mod keep_unlocked {
    //! Staying unlocked on a device: the session's unlock key, for that session only, as long
    //! as it lives.
    use super::*;
    use std::time::Duration;

    on_every_database!(
        a_kept_session_hands_its_unlock_key_to_itself_only_and_lives_as_chosen,
        the_unlock_key_dies_with_lock_sign_out_and_password_change,
    );

    async fn keep(s: &TestServer, cookie: &str, span: &str, password: &str) -> Response {
        let b = bundle(s, cookie).await;
        let keys = keyring::derive_keys(password, &b.kdf).unwrap();
        s.post(
            "/api/session/keep",
            json!({ "auth_key": b64::encode(keys.auth_key().as_bytes()), "span": span }),
            Some(cookie),
        )
        .await
    }

    async fn unlock_key(s: &TestServer, cookie: &str) -> Response {
        s.post("/api/session/unlock-key", json!({}), Some(cookie))
            .await
    }

    fn max_age(res: &Response) -> Option<String> {
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__Host-coffer_session="))
            .map(|v| {
                v.split(';')
                    .map(str::trim)
                    .find(|p| p.starts_with("Max-Age="))
                    .unwrap_or("none")
                    .to_string()
            })
    }

    async fn a_kept_session_hands_its_unlock_key_to_itself_only_and_lives_as_chosen(
        backend: Backend,
    ) {
        let s = TestServer::start(backend, |_| {}).await;
        let lena = user(&s, "lena").await;
        let other = session_cookie(&s.login("lena", PASSWORD, None).await).unwrap();
        assert_eq!(
            unlock_key(&s, &lena.cookie).await.status(),
            StatusCode::NOT_FOUND
        );

        // Only with the password.
        let res = keep(&s, &lena.cookie, "day", "not the password at all").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = keep(&s, &lena.cookie, "day", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(max_age(&res).as_deref(), Some("Max-Age=86400"));
        let kept: Value = res.json().await.unwrap();
        let key = kept["unlock_key"].as_str().unwrap().to_string();
        assert_eq!(b64::decode(&key).unwrap().len(), 32);

        let res = unlock_key(&s, &lena.cookie).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<String>().await.unwrap(), key);
        assert_eq!(
            unlock_key(&s, &other).await.status(),
            StatusCode::NOT_FOUND,
            "another session of the same user does not get it"
        );
        let token = {
            let res = s
                .post(
                    "/api/tokens/create",
                    json!({ "name": "t", "days": 1 }),
                    Some(&lena.cookie),
                )
                .await;
            json_of(res).await["token"].as_str().unwrap().to_string()
        };
        let res = s
            .http
            .post(s.url("/api/session/unlock-key"))
            .bearer_auth(&token)
            .header("sec-fetch-site", "same-origin")
            .header(reqwest::header::ORIGIN, s.url(""))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "nor does a token");

        // A day, idle or not: past the usual hour, alive; past the day, gone.
        s.advance(Duration::from_secs(3 * 3600));
        assert!(
            s.account(&lena.cookie).await.is_some(),
            "kept past the idle hour"
        );
        assert!(
            s.account(&other).await.is_none(),
            "the usual session idled out"
        );
        s.advance(Duration::from_secs(22 * 3600));
        assert!(s.account(&lena.cookie).await.is_none(), "a day is a day");

        // "Until the browser closes": a session cookie, the usual idle time.
        let cookie = session_cookie(&s.login("lena", PASSWORD, None).await).unwrap();
        let res = keep(&s, &cookie, "browser", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(max_age(&res).as_deref(), Some("none"));
        s.advance(Duration::from_secs(2 * 3600));
        assert!(s.account(&cookie).await.is_none());
    }

    async fn the_unlock_key_dies_with_lock_sign_out_and_password_change(backend: Backend) {
        let s = TestServer::start(backend, |_| {}).await;
        let mia = user(&s, "mia").await;
        assert_eq!(
            keep(&s, &mia.cookie, "month", PASSWORD).await.status(),
            StatusCode::OK
        );
        let res = s
            .post("/api/session/lock", json!({}), Some(&mia.cookie))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            unlock_key(&s, &mia.cookie).await.status(),
            StatusCode::NOT_FOUND
        );
        assert!(
            s.account(&mia.cookie).await.is_some(),
            "locking keeps the session"
        );
        s.advance(Duration::from_secs(2 * 3600));
        assert!(
            s.account(&mia.cookie).await.is_none(),
            "back to the usual lifetime"
        );

        // Signed out from elsewhere: the kept session and its key are gone.
        let laptop = session_cookie(&s.login("mia", PASSWORD, None).await).unwrap();
        assert_eq!(
            keep(&s, &laptop, "month", PASSWORD).await.status(),
            StatusCode::OK
        );
        let phone = session_cookie(&s.login("mia", PASSWORD, None).await).unwrap();
        s.post("/api/sessions/end-others", json!({}), Some(&phone))
            .await;
        assert_eq!(
            unlock_key(&s, &laptop).await.status(),
            StatusCode::UNAUTHORIZED
        );

        // A password change ends the other kept sessions too.
        let kept = session_cookie(&s.login("mia", PASSWORD, None).await).unwrap();
        assert_eq!(
            keep(&s, &kept, "day", PASSWORD).await.status(),
            StatusCode::OK
        );
        let res = change_password(&s, &phone, PASSWORD, NEW_PASSWORD, false).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            unlock_key(&s, &kept).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}
