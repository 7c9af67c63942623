//! Coffer's browser entry point: hydrates the server-rendered app.

#![forbid(unsafe_code)]

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the hydration script Leptos puts in every page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(coffer_app::App);
    // Lets tests (and people watching the DOM) know the page is interactive:
    // a click before hydration would be lost.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
