//! The account record as the browser seals it, and reading it back.

use coffer_crypto::{seal_account_record, AccountRecord, PinnedContact};
use rand_core::OsRng;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{
    api::{call, expect_error, json_of},
    users::User,
    TestServer,
};

pub fn sealed_record(u: &User, revision: u64, contacts: Vec<PinnedContact>) -> Vec<u8> {
    let record = AccountRecord {
        revision,
        legacy_slots_upgraded: true,
        contacts,
    };
    seal_account_record(
        &u.reg.keys.account_key,
        &u.reg.keys.public_key(),
        &record,
        &mut OsRng,
    )
    .unwrap()
}

/// The caller's stored record, `None` for `404 not_found`.
pub async fn record_of(s: &TestServer, u: &User) -> Option<Value> {
    let res = call(s, Method::GET, "/api/account-record", Some(u), None).await;
    if res.status() == StatusCode::NOT_FOUND {
        expect_error(res, StatusCode::NOT_FOUND, "not_found", "no record").await;
        return None;
    }
    assert_eq!(res.status(), StatusCode::OK);
    Some(json_of(res).await)
}
