//! Share links as the owner's browser makes them (natively, with the crypto crate).

use coffer_crypto::{link_token_digest, KdfParams, LinkKeys, LinkPassword, LinkSecret};
use coffer_protocol::b64;
use rand::RngCore;
use rand_core::OsRng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{
    api::{call, json_of},
    file_id,
    files::Upload,
    users::User,
    TestServer,
};

/// A share link as the owner's browser makes it; the secret stays here.
pub struct Link {
    pub id: String,
    pub secret: LinkSecret,
    pub keys: LinkKeys,
    pub token: String,
}

impl Link {
    pub fn id_bytes(&self) -> [u8; 16] {
        hex::decode(&self.id).unwrap().try_into().unwrap()
    }
}

/// Makes a link for `f` (with a password, at the lowest Argon2id cost) and its creation body.
/// Its id is the v2 one, derived from the secret, the owner's key and the file id.
pub fn make_link(f: &Upload, password: Option<&str>) -> (Link, Value) {
    let secret = LinkSecret::generate(&mut OsRng);
    let id = hex::encode(secret.link_id(&f.owner, &file_id(&f.file_id)).unwrap());
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
pub async fn link(
    s: &TestServer,
    owner: &User,
    f: &Upload,
    expires_at: Option<i64>,
    max_downloads: Option<u32>,
) -> (Link, Value) {
    let (link, mut body) = make_link(f, None);
    body["expires_at"] = json!(expires_at);
    body["max_downloads"] = json!(max_downloads);
    let path = format!("/api/files/{}/links", f.file_id);
    let res = call(s, Method::POST, &path, Some(owner), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let info = json_of(res).await;
    (link, info)
}
