//! Coffer's Leptos app: the pages, their components, and the server
//! functions beside them (which call `coffer-domain`, behind `ssr`).

#![forbid(unsafe_code)]
// The vault page's view types nest deeply; Leptos views need a higher limit than the default 128.
#![recursion_limit = "256"]

pub mod api;
pub mod browser;
#[cfg(feature = "hydrate")]
pub mod client;
mod components;
pub mod error;
pub mod keyring;
mod pages;
pub mod pwa;
pub mod resume;
pub mod session;
pub mod trust;

/// The wire protocol every request and response body comes from.
pub use coffer_protocol as protocol;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    components::{Gate, Gated, Header},
    pages::*,
    session::Session,
};

/// The Content-Security-Policy for app pages: scripts and styles only from
/// this origin or carrying this response's nonce; Wasm may compile; nothing
/// may frame Coffer.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data: blob:; connect-src 'self'; \
         worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(&nonce)) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="description" content="Coffer: an end-to-end-encrypted file vault."/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/icon-192.png"/>
                <meta name="theme-color" content="#2357d9"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: header, and one route per page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Session::new());
    Gate::provide();

    view! {
        <Stylesheet id="leptos" href="/pkg/coffer.css"/>
        <Title text="Coffer"/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <pwa::PwaBar/>
            <main id="main" tabindex="-1">
                <Gated>
                    <Routes fallback=NotFound>
                        <Route path=path!("") view=Landing/>
                        <Route path=path!("register") view=RegisterPage/>
                        <Route path=path!("login") view=LoginPage/>
                        <Route path=path!("recover") view=RecoverPage/>
                        <Route path=path!("vault") view=VaultPage/>
                        <Route path=path!("account") view=AccountPage/>
                        <Route path=path!("decrypt") view=DecryptPage/>
                        <Route path=path!("shared") view=SharedPage/>
                        <Route path=path!("s/:id") view=LinkPage/>
                    </Routes>
                </Gated>
            </main>
        </Router>
    }
}
