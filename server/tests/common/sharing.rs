//! Sharing as the owner's browser does it: grants of a file key wrapped to the grantee's public
//! key and signed by the sharer, and what a grantee is shown.

use coffer_crypto::{sign_grant, wrap_file_key, PublicKey};
use coffer_protocol::b64;
use rand_core::OsRng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{
    api::{call, get_json, json_of},
    file_id,
    files::Upload,
    users::User,
    TestServer,
};

/// The body of a grant of `f` to `to` made by `by`: the file key wrapped to `to`'s public key,
/// and `by`'s signature over the file, that key, the wrapped key and the expiry.
pub fn grant_body(by: &User, f: &Upload, to: &User, expires_at: Option<i64>) -> Value {
    grant_body_for_key(by, f, &to.name, &to.reg.keys.public_key(), expires_at)
}

/// [`grant_body`] for `grantee` as known by the public key `key` (which may not be theirs).
pub fn grant_body_for_key(
    by: &User,
    f: &Upload,
    grantee: &str,
    key: &PublicKey,
    expires_at: Option<i64>,
) -> Value {
    let fid = file_id(&f.file_id);
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

pub async fn grant(
    s: &TestServer,
    owner: &User,
    f: &Upload,
    to: &User,
    expires_at: Option<i64>,
) -> Value {
    let path = format!("/api/files/{}/grants", f.file_id);
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

pub async fn grants_of(s: &TestServer, owner: &User, f: &Upload) -> Vec<Value> {
    get_json(s, &format!("/api/files/{}/grants", f.file_id), owner).await["grants"]
        .as_array()
        .unwrap()
        .clone()
}

pub async fn shared_with(s: &TestServer, u: &User) -> Vec<Value> {
    get_json(s, "/api/shared", u).await["files"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn key_b64(key: &PublicKey) -> String {
    b64::encode(&key.to_bytes())
}
