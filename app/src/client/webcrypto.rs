//! AES-256-GCM through WebCrypto (`crypto.subtle`), for file content only. The keys, nonces and
//! associated data all come from [`coffer_crypto::ChunkSchedule`]; nothing here decides anything
//! about the format. In Chromium 156 the cipher runs on the calling (main) thread, ~350-625 MB/s
//! at 64 KiB chunks (bench/, docs/PERFORMANCE.md); a Web Worker would take it off the page.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// A non-extractable AES-GCM key inside WebCrypto, with the file's associated data.
pub struct ChunkCipher {
    subtle: SubtleCrypto,
    key: CryptoKey,
    associated_data: Uint8Array,
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    Ok(window.crypto()?.subtle())
}

impl ChunkCipher {
    /// Imports the schedule's payload key (`usage` is `"encrypt"` or `"decrypt"`).
    pub async fn new(
        payload_key: &[u8; 32],
        associated_data: &[u8],
        usage: &str,
    ) -> Result<Self, JsValue> {
        let subtle = subtle()?;
        let algorithm = Object::new();
        Reflect::set(&algorithm, &"name".into(), &"AES-GCM".into())?;
        let raw = Uint8Array::from(&payload_key[..]);
        let promise = subtle.import_key_with_object(
            "raw",
            &raw,
            &algorithm,
            false,
            &Array::of1(&usage.into()),
        )?;
        // The raw copy in JS memory is overwritten at once; WebCrypto keeps its own.
        raw.fill(0, 0, 32);
        let key: CryptoKey = JsFuture::from(promise).await?.dyn_into()?;
        Ok(Self {
            subtle,
            key,
            associated_data: Uint8Array::from(associated_data),
        })
    }

    fn params(&self, nonce: &[u8; 12]) -> Result<Object, JsValue> {
        let params = Object::new();
        Reflect::set(&params, &"name".into(), &"AES-GCM".into())?;
        Reflect::set(&params, &"iv".into(), &Uint8Array::from(&nonce[..]))?;
        Reflect::set(&params, &"additionalData".into(), &self.associated_data)?;
        Ok(params)
    }

    /// Starts sealing one chunk; the promise resolves to an `ArrayBuffer` (ciphertext || tag).
    pub fn seal(&self, nonce: &[u8; 12], plaintext: &Uint8Array) -> Result<Promise, JsValue> {
        self.subtle
            .encrypt_with_object_and_js_u8_array(&self.params(nonce)?, &self.key, plaintext)
    }

    /// Starts opening one chunk; the promise rejects if the chunk fails authentication.
    pub fn open(&self, nonce: &[u8; 12], ciphertext: &Uint8Array) -> Result<Promise, JsValue> {
        self.subtle
            .decrypt_with_object_and_js_u8_array(&self.params(nonce)?, &self.key, ciphertext)
    }
}

/// Waits for a batch of promises, in order. Rejects as soon as one rejects.
pub async fn all(promises: &Array) -> Result<Array, JsValue> {
    let results = JsFuture::from(Promise::all(promises)).await?;
    Ok(results.unchecked_into())
}
