//! The golden vectors, checked in Wasm (Node by default):
//! `cargo test -p coffer-crypto --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn golden_vectors_match_in_wasm() {
    common::vectors::check_vectors(common::vectors::VECTORS_JSON);
}
