//! The vault in the browser: HTTP to the vault routes, WebCrypto, and the streaming upload and
//! download pipelines. Browser only (`hydrate`); the pages call in from event handlers.
//!
//! Memory stays bounded whatever the file size: files are read with `Blob.stream()` (never in
//! small slices), ciphertext lives in JS typed arrays (never copied into Wasm memory), at most
//! [`upload::PARTS_IN_FLIGHT`] parts are buffered for sending, and downloads are written out
//! chunk batch by chunk batch (docs/ARCHITECTURE.md, "The vault in the browser").

pub mod account_record;
pub mod bytes;
pub mod download;
pub mod http;
pub mod kdf;
pub mod keep;
pub mod pending;
pub mod reencrypt;
pub mod sharing;
pub mod upgrade;
pub mod upload;
pub mod webcrypto;

pub use crate::trust::file_id_from_hex;

/// Milliseconds on a monotonic clock, for speeds and time left.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Sleeps for `ms` milliseconds without blocking the page.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}
