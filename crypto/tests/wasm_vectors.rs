//! The golden vectors, checked in Wasm (Node by default):
//! `cargo test -p coffer-crypto --target wasm32-unknown-unknown`: the v1 vectors and the v2
//! vectors (with the account proof and the device-kept account key, blob 0x0F), each also opened
//! by the independent spec implementation (`common/spec.rs`).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn golden_vectors_match_in_wasm() {
    common::vectors::check_vectors(common::vectors::VECTORS_JSON);
}

#[wasm_bindgen_test]
fn golden_vectors_v2_match_in_wasm() {
    common::vectors_v2::check_vectors_v2(common::vectors_v2::VECTORS_V2_JSON);
}
