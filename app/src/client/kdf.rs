//! Argon2id off the page's thread. Deriving keys from a password takes a noticeable fraction of
//! a second by design; run on the page it would freeze it (no spinner, no typing, a long task).
//! Here a module worker loads this very build's Wasm (`/pkg/coffer.js`, the same file the page
//! hydrates with) and calls [`coffer_derive_password_keys`] in it; the page waits on a message.
//! If the worker cannot start (an old browser), the page derives itself, as before.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    rc::Rc,
};

use coffer_crypto::{derive_password_keys, KdfParams, PasswordKeys, KDF_SALT_LEN};
use futures::channel::oneshot;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker, WorkerOptions, WorkerType};

use crate::{error::AppError, keyring, protocol::accounts::KdfSetup};

/// Runs in the worker: the password's two keys (auth key, then KEK; 64 bytes) for these KDF
/// inputs. Parameters outside the crypto crate's floor and ceiling are refused there too.
#[wasm_bindgen]
pub fn coffer_derive_password_keys(
    password: String,
    salt: Vec<u8>,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> Result<Vec<u8>, JsValue> {
    let salt: [u8; KDF_SALT_LEN] = salt
        .try_into()
        .map_err(|_| JsValue::from_str("malformed salt"))?;
    let params = KdfParams {
        memory_kib,
        iterations,
        parallelism,
    };
    let keys = derive_password_keys(&password, &salt, &params)
        .map_err(|_| JsValue::from_str("unsafe key derivation settings"))?;
    Ok(keys.to_bytes().to_vec())
}

/// The worker's script: loads the page's own Wasm build, then derives on request.
fn script(origin: &str) -> String {
    format!(
        "import init, {{ coffer_derive_password_keys }} from '{origin}/pkg/coffer.js';\n\
         const ready = init({{ module_or_path: '{origin}/pkg/coffer.wasm' }});\n\
         self.onmessage = async ({{ data: m }}) => {{\n\
           try {{\n\
             await ready;\n\
             const out = coffer_derive_password_keys(m.password, m.salt, m.m, m.t, m.p);\n\
             self.postMessage({{ id: m.id, out }}, [out.buffer]);\n\
           }} catch (e) {{ self.postMessage({{ id: m.id, error: String(e) }}); }}\n\
         }};\n"
    )
}

type Reply = Result<Vec<u8>, String>;

struct KdfWorker {
    worker: Worker,
    next: Cell<u32>,
    waiting: Rc<RefCell<HashMap<u32, oneshot::Sender<Reply>>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

thread_local! {
    static WORKER: RefCell<Option<Rc<KdfWorker>>> = const { RefCell::new(None) };
}

fn start() -> Result<Rc<KdfWorker>, JsValue> {
    let origin = web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window"))?
        .location()
        .origin()?;
    let parts = js_sys::Array::of1(&JsValue::from_str(&script(&origin)));
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let worker_options = WorkerOptions::new();
    worker_options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(&url, &worker_options)?;
    let waiting: Rc<RefCell<HashMap<u32, oneshot::Sender<Reply>>>> = Rc::default();
    let on_message = {
        let waiting = waiting.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            let id = Reflect::get(&data, &"id".into())
                .ok()
                .and_then(|v| v.as_f64())
                .map(|v| v as u32);
            let Some(tx) = id.and_then(|id| waiting.borrow_mut().remove(&id)) else {
                return;
            };
            let reply = match Reflect::get(&data, &"out".into()) {
                Ok(out) if out.is_instance_of::<Uint8Array>() => {
                    let out: Uint8Array = out.unchecked_into();
                    let bytes = out.to_vec();
                    out.fill(0, 0, out.length());
                    Ok(bytes)
                }
                _ => Err(Reflect::get(&data, &"error".into())
                    .ok()
                    .and_then(|e| e.as_string())
                    .unwrap_or_else(|| "the key derivation worker failed".into())),
            };
            let _ = tx.send(reply);
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Ok(Rc::new(KdfWorker {
        worker,
        next: Cell::new(1),
        waiting,
        _on_message: on_message,
    }))
}

fn worker() -> Option<Rc<KdfWorker>> {
    WORKER.with(|w| {
        let mut w = w.borrow_mut();
        if w.is_none() {
            *w = start().ok();
        }
        w.clone()
    })
}

async fn in_worker(password: &str, kdf: &KdfSetup) -> Result<PasswordKeys, String> {
    let w = worker().ok_or("no worker")?;
    let id = w.next.get();
    w.next.set(id.wrapping_add(1));
    let (tx, rx) = oneshot::channel();
    w.waiting.borrow_mut().insert(id, tx);
    let message = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&message, &k.into(), v).map(|_| ());
    set("id", &id.into())
        .and_then(|_| set("password", &password.into()))
        .and_then(|_| set("salt", &Uint8Array::from(&kdf.salt[..])))
        .and_then(|_| set("m", &kdf.params.memory_kib.into()))
        .and_then(|_| set("t", &kdf.params.iterations.into()))
        .and_then(|_| set("p", &kdf.params.parallelism.into()))
        .map_err(|_| "message")?;
    w.worker.post_message(&message).map_err(|_| "post failed")?;
    let bytes = rx.await.map_err(|_| "the worker went away")??;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| "a malformed answer")?;
    Ok(PasswordKeys::from_bytes(&bytes))
}

/// The password's keys, derived in the worker (the page stays responsive), or on the page if
/// the worker is unavailable. The same checks as [`keyring::derive_keys`] apply first.
pub async fn derive_keys(password: &str, kdf: &KdfSetup) -> Result<PasswordKeys, AppError> {
    kdf.params.validate().map_err(|_| {
        AppError::invalid(
            "The server asked for unsafe key derivation settings; refusing to use them.",
        )
    })?;
    if kdf.salt.len() != KDF_SALT_LEN {
        return Err(AppError::invalid(
            "The server sent a malformed key derivation salt.",
        ));
    }
    match in_worker(password, kdf).await {
        Ok(keys) => Ok(keys),
        Err(why) => {
            leptos::logging::warn!("key derivation on the page ({why})");
            keyring::derive_keys(password, kdf)
        }
    }
}
