//! Coffer's wire protocol: every request and response body of the HTTP API, used by the
//! browser, the server and (later) the CLI alike, so the contract is written once.
//!
//! - Binary values travel as unpadded base64url strings ([`b64`]).
//! - Every error answer is one [`ErrorBody`] shape (`{"error", "message", …}`), server
//!   functions included.
//! - Input rules both ends apply (usernames, passwords) are in [`validation`]: the browser for
//!   instant feedback, the server for the rule that counts.
//! - Blob lengths come from `coffer-crypto` ([`blob_len`]), never re-derived.
//!
//! Serde only: no HTTP, no database, no async. Builds for native and wasm32.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod accounts;
pub mod b64;
mod bytes;
pub mod error;
pub mod sharing;
pub mod validation;
pub mod vault;

pub use bytes::human_bytes;
pub use coffer_crypto::blob_len;
pub use error::{code, ErrorBody};
