//! "Keep this device unlocked": the account key survives a reload, a new tab and a PWA launch
//! without the password, and nothing in web storage opens it alone.
//!
//! Two locks (docs/CRYPTO.md §2.5): the account key is sealed (blob `0x0F`, coffer-crypto) under
//! the session's *unlock key*, which the server keeps for that session only; that blob is then
//! encrypted again with AES-256-GCM under a *device key*, a WebCrypto key made non-extractable
//! here (its bytes never exist in JS or Wasm), and only the result is put in IndexedDB with the
//! device key object. The raw account key is never stored. Ending the session (sign-out, "sign out
//! everywhere else", a password change, expiry) deletes the unlock key, so the stored copy opens
//! no more; "Lock now" and sign-out also delete the stored copy. What it trades: anyone who can
//! use this browser profile while the session lives can open the vault.

use coffer_crypto::{AccountFormat, AccountKey};
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbDatabase, IdbObjectStore, IdbRequest, IdbTransactionMode};

use crate::protocol::validation;

const DB_NAME: &str = "coffer";
const STORE: &str = "keep";
const RECORD: &str = "device";

fn js_err(what: &str) -> JsValue {
    JsValue::from_str(what)
}

/// Resolves with a request's result when it succeeds.
async fn done(req: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let on_ok = {
            let req = req.clone();
            Closure::once_into_js(move |_: web_sys::Event| {
                let _ = resolve.call1(&JsValue::NULL, &req.result().unwrap_or(JsValue::UNDEFINED));
            })
        };
        let on_err = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = reject.call1(&JsValue::NULL, &js_err("IndexedDB refused the request"));
        });
        req.set_onsuccess(Some(on_ok.unchecked_ref()));
        req.set_onerror(Some(on_err.unchecked_ref()));
    });
    JsFuture::from(promise).await
}

async fn database() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .ok_or_else(|| js_err("no window"))?
        .indexed_db()?
        .ok_or_else(|| js_err("this browser has no IndexedDB"))?;
    let open = factory.open_with_u32(DB_NAME, 1)?;
    let upgrade = {
        let open = open.clone();
        Closure::once_into_js(move |_: web_sys::Event| {
            if let Ok(db) = open.result() {
                let _ = db
                    .unchecked_into::<IdbDatabase>()
                    .create_object_store(STORE);
            }
        })
    };
    open.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    Ok(done(&open).await?.unchecked_into())
}

async fn store(mode: IdbTransactionMode) -> Result<IdbObjectStore, JsValue> {
    database()
        .await?
        .transaction_with_str_and_mode(STORE, mode)?
        .object_store(STORE)
}

fn subtle() -> Result<web_sys::SubtleCrypto, JsValue> {
    Ok(web_sys::window()
        .ok_or_else(|| js_err("no window"))?
        .crypto()?
        .subtle())
}

fn aes_gcm(iv: Option<&Uint8Array>) -> Result<Object, JsValue> {
    let params = Object::new();
    Reflect::set(&params, &"name".into(), &"AES-GCM".into())?;
    if let Some(iv) = iv {
        Reflect::set(&params, &"iv".into(), iv)?;
    } else {
        Reflect::set(&params, &"length".into(), &256.into())?;
    }
    Ok(params)
}

fn name_of(username: &str) -> String {
    validation::normalize_username(username).unwrap_or_else(|_| username.to_lowercase())
}

/// Keeps the account key on this device, sealed under the session's `unlock_key` and then under
/// a new non-extractable device key; replaces any earlier copy.
pub async fn keep(
    username: &str,
    account_key: &AccountKey,
    format: AccountFormat,
    unlock_key: &[u8],
) -> Result<(), JsValue> {
    let unlock: [u8; 32] = unlock_key
        .try_into()
        .map_err(|_| js_err("the server's unlock key is malformed"))?;
    let sealed =
        account_key.seal_for_device(&unlock, &name_of(username), format, &mut rand_core::OsRng);
    let subtle = subtle()?;
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let device: CryptoKey =
        JsFuture::from(subtle.generate_key_with_object(&aes_gcm(None)?, false, &usages)?)
            .await?
            .dyn_into()?;
    let mut iv = [0u8; 12];
    getrandom::getrandom(&mut iv).map_err(|_| js_err("no randomness"))?;
    let iv = Uint8Array::from(&iv[..]);
    let blob = JsFuture::from(subtle.encrypt_with_object_and_u8_array(
        &aes_gcm(Some(&iv))?,
        &device,
        &sealed,
    )?)
    .await?;
    let record = Object::new();
    Reflect::set(&record, &"username".into(), &name_of(username).into())?;
    Reflect::set(&record, &"device".into(), &device)?;
    Reflect::set(&record, &"iv".into(), &iv)?;
    Reflect::set(&record, &"blob".into(), &Uint8Array::new(&blob))?;
    let store = store(IdbTransactionMode::Readwrite).await?;
    done(&store.put_with_key(&record, &RECORD.into())?).await?;
    Ok(())
}

/// Whether this device keeps a copy for `username`.
pub async fn kept_for(username: &str) -> bool {
    match record().await {
        Ok(Some(r)) => Reflect::get(&r, &"username".into())
            .ok()
            .and_then(|v| v.as_string())
            .is_some_and(|u| u == name_of(username)),
        _ => false,
    }
}

async fn record() -> Result<Option<JsValue>, JsValue> {
    let store = store(IdbTransactionMode::Readonly).await?;
    let value = done(&store.get(&RECORD.into())?).await?;
    Ok((!value.is_undefined() && !value.is_null()).then_some(value))
}

/// Opens the kept copy with the session's `unlock_key`. Any failure (no copy, another account's,
/// an unlock key of another session) is an error; the caller forgets the copy then.
pub async fn restore(
    username: &str,
    unlock_key: &[u8],
) -> Result<(AccountKey, AccountFormat), JsValue> {
    let record = record()
        .await?
        .ok_or_else(|| js_err("nothing is kept on this device"))?;
    let device: CryptoKey = Reflect::get(&record, &"device".into())?.dyn_into()?;
    let iv: Uint8Array = Reflect::get(&record, &"iv".into())?.dyn_into()?;
    let blob: Uint8Array = Reflect::get(&record, &"blob".into())?.dyn_into()?;
    let sealed = JsFuture::from(subtle()?.decrypt_with_object_and_buffer_source(
        &aes_gcm(Some(&iv))?,
        &device,
        &blob,
    )?)
    .await?;
    let sealed = Uint8Array::new(&sealed).to_vec();
    let unlock: [u8; 32] = unlock_key
        .try_into()
        .map_err(|_| js_err("the server's unlock key is malformed"))?;
    AccountKey::open_for_device(&unlock, &name_of(username), &sealed)
        .map_err(|_| js_err("the kept copy does not open with this session's key"))
}

/// Deletes the kept copy (Lock now, sign-out, or a copy that no longer opens).
pub async fn forget() {
    if let Ok(store) = store(IdbTransactionMode::Readwrite).await {
        if let Ok(req) = store.delete(&RECORD.into()) {
            let _ = done(&req).await;
        }
    }
}
