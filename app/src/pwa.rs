//! The installable app: service worker registration, the offline banner, the "new version"
//! prompt and the "Install Coffer" button.
//!
//! The offline banner shows while the browser says it is offline *or* Coffer does not answer
//! this page's requests (`client::http::on_reachability`: a server that is down looks the same
//! to a user). While Coffer does not answer, `/healthz` is asked every few seconds, so the banner
//! goes (and waiting transfers try again at once) soon after it is back, even when nothing else
//! is sending.

use leptos::prelude::*;

/// What the bar at the top of every page shows.
#[derive(Clone, Copy)]
pub struct PwaState {
    /// The browser says it is offline.
    pub offline: RwSignal<bool>,
    /// Coffer did not answer this page's last request.
    pub unreachable: RwSignal<bool>,
    /// A new service worker is installed and waiting.
    pub update_ready: RwSignal<bool>,
    /// The browser offered to install the app (`beforeinstallprompt`).
    pub can_install: RwSignal<bool>,
}

#[cfg(feature = "hydrate")]
pub use browser::take_shared_files;

/// Runs `again` each time Coffer answers again after it did not, for as long as the calling
/// component lives (registered from its body). One mechanism for every page: the reachability
/// that `client::http` follows (its own requests, server functions via `crate::error`, and the
/// banner's `/healthz` probe). Pages load again what failed for want of Coffer and drop their
/// "Could not reach Coffer" (the vault, Shared with me, the Account page's lists).
pub fn when_server_back(again: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    browser::when_server_back(again);
    #[cfg(not(feature = "hydrate"))]
    let _ = again;
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{
        cell::{Cell, RefCell},
        rc::Rc,
    };

    use js_sys::{Array, Function, Reflect};
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};

    use leptos::prelude::Set;

    use super::PwaState;

    thread_local! {
        static INSTALL_EVENT: RefCell<Option<JsValue>> = const { RefCell::new(None) };
        static REGISTRATION: RefCell<Option<JsValue>> = const { RefCell::new(None) };
        static RELOADING: Cell<bool> = const { Cell::new(false) };
        static PROBING: Cell<bool> = const { Cell::new(false) };
        /// What the pages on screen do when Coffer answers again (`when_server_back`), by id.
        static ON_BACK: RefCell<Vec<(u64, OnBack)>> = const { RefCell::new(Vec::new()) };
        static NEXT_ON_BACK: Cell<u64> = const { Cell::new(0) };
    }

    /// What one page does when Coffer answers again.
    type OnBack = Rc<dyn Fn()>;

    /// See [`super::when_server_back`].
    pub fn when_server_back(again: impl Fn() + 'static) {
        let id = NEXT_ON_BACK.with(|n| n.replace(n.get() + 1));
        if id == 0 {
            crate::client::http::on_reachability(|reachable| {
                if !reachable {
                    return;
                }
                let pages: Vec<_> =
                    ON_BACK.with(|b| b.borrow().iter().map(|(_, f)| f.clone()).collect());
                for again in pages {
                    again();
                }
            });
        }
        ON_BACK.with(|b| b.borrow_mut().push((id, Rc::new(again))));
        leptos::prelude::on_cleanup(move || {
            ON_BACK.with(|b| b.borrow_mut().retain(|(i, _)| *i != id));
        });
    }

    /// Seconds between two questions to `/healthz` while Coffer does not answer.
    const PROBE_EVERY_MS: u32 = 5000;

    /// Follows whether Coffer answers; while it does not, asks it now and then (each answer, or
    /// the lack of one, is reported by `http::send` itself).
    fn watch_server(state: PwaState) {
        use crate::client::http;
        state.unreachable.set(!http::reachable());
        http::on_reachability(move |reachable| {
            state.unreachable.set(!reachable);
            if reachable || PROBING.with(|p| p.replace(true)) {
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                while !http::reachable() {
                    crate::client::sleep_ms(PROBE_EVERY_MS).await;
                    let _ = http::send("GET", "/healthz", None, &[], None).await;
                }
                PROBING.with(|p| p.set(false));
            });
        });
    }

    fn get(target: &JsValue, name: &str) -> JsValue {
        Reflect::get(target, &name.into()).unwrap_or(JsValue::UNDEFINED)
    }

    fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let f: Function = get(target, name).dyn_into()?;
        f.apply(target, &args.iter().collect::<Array>())
    }

    fn listen(target: &JsValue, event: &str, f: impl FnMut(JsValue) + 'static) {
        let closure = Closure::<dyn FnMut(JsValue)>::new(f);
        let _ = call(
            target,
            "addEventListener",
            &[event.into(), closure.as_ref().clone()],
        );
        // The listeners live as long as the page.
        closure.forget();
    }

    fn watch_waiting(state: PwaState, registration: &JsValue, container: &JsValue) {
        let has_controller = !get(container, "controller").is_null();
        if !get(registration, "waiting").is_null() && has_controller {
            state.update_ready.set(true);
        }
        let reg = registration.clone();
        let container = container.clone();
        listen(registration, "updatefound", move |_| {
            let installing = get(&reg, "installing");
            if installing.is_null() || installing.is_undefined() {
                return;
            }
            let worker = installing.clone();
            let container = container.clone();
            listen(&installing, "statechange", move |_| {
                let installed = get(&worker, "state").as_string().as_deref() == Some("installed");
                if installed && !get(&container, "controller").is_null() {
                    state.update_ready.set(true);
                }
            });
        });
    }

    pub fn start(state: PwaState) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let window: JsValue = window.into();
        let navigator = get(&window, "navigator");
        state
            .offline
            .set(get(&navigator, "onLine").as_bool() == Some(false));
        listen(&window, "online", move |_| state.offline.set(false));
        listen(&window, "offline", move |_| state.offline.set(true));
        watch_server(state);
        listen(&window, "beforeinstallprompt", move |event| {
            let _ = call(&event, "preventDefault", &[]);
            INSTALL_EVENT.with(|e| *e.borrow_mut() = Some(event));
            state.can_install.set(true);
        });
        listen(&window, "appinstalled", move |_| {
            state.can_install.set(false)
        });

        let container = get(&navigator, "serviceWorker");
        if container.is_undefined() {
            return; // no service workers here (e.g. not a secure context)
        }
        listen(&container, "controllerchange", move |_| {
            if RELOADING.with(|r| r.get()) {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
        });
        let Ok(promise) = call(&container, "register", &["/sw.js".into()]) else {
            return;
        };
        let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(registration) => {
                    watch_waiting(state, &registration, &container);
                    REGISTRATION.with(|r| *r.borrow_mut() = Some(registration));
                }
                Err(e) => leptos::logging::warn!("service worker registration failed: {e:?}"),
            }
        });
    }

    pub fn apply_update() {
        let waiting = REGISTRATION.with(|r| r.borrow().as_ref().map(|reg| get(reg, "waiting")));
        match waiting {
            Some(worker) if !worker.is_null() && !worker.is_undefined() => {
                RELOADING.with(|r| r.set(true));
                let _ = call(&worker, "postMessage", &["skip-waiting".into()]);
            }
            _ => {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
        }
    }

    async fn resolve(value: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
        let promise: js_sys::Promise = value?.dyn_into()?;
        wasm_bindgen_futures::JsFuture::from(promise).await
    }

    /// Files another app shared to Coffer (Web Share Target), as the service worker left them in
    /// the local `share-inbox` cache; the inbox is emptied.
    pub async fn take_shared_files() -> Vec<web_sys::File> {
        let Some(window) = web_sys::window() else {
            return Vec::new();
        };
        let window: JsValue = window.into();
        let caches = get(&window, "caches");
        let mut files = Vec::new();
        let Ok(inbox) = resolve(call(&caches, "open", &["share-inbox".into()])).await else {
            return files;
        };
        let requests: Array = match resolve(call(&inbox, "keys", &[])).await {
            Ok(list) => list.unchecked_into(),
            Err(_) => Array::new(),
        };
        let file_class = get(&window, "File");
        for request in requests.iter() {
            let Ok(response) = resolve(call(&inbox, "match", &[request])).await else {
                continue;
            };
            let headers = get(&response, "headers");
            let header = |name: &str| {
                call(&headers, "get", &[name.into()])
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default()
            };
            let name = js_sys::decode_uri_component(&header("x-name"))
                .map(String::from)
                .unwrap_or_else(|_| "shared file".into());
            let options = js_sys::Object::new();
            let _ = Reflect::set(&options, &"type".into(), &header("content-type").into());
            if let Ok(modified) = header("x-modified").parse::<f64>() {
                let _ = Reflect::set(&options, &"lastModified".into(), &modified.into());
            }
            let Ok(blob) = resolve(call(&response, "blob", &[])).await else {
                continue;
            };
            let args = Array::of3(&Array::of1(&blob), &name.into(), &options);
            if let Ok(file) = Reflect::construct(file_class.unchecked_ref::<Function>(), &args) {
                files.push(file.unchecked_into());
            }
        }
        let _ = resolve(call(&caches, "delete", &["share-inbox".into()])).await;
        files
    }

    pub fn install(state: PwaState) {
        if let Some(event) = INSTALL_EVENT.with(|e| e.borrow_mut().take()) {
            let _ = call(&event, "prompt", &[]);
        }
        state.can_install.set(false);
    }
}

/// The offline banner, the update prompt and the install button; starts the service worker.
#[component]
pub fn PwaBar() -> impl IntoView {
    let state = PwaState {
        offline: RwSignal::new(false),
        unreachable: RwSignal::new(false),
        update_ready: RwSignal::new(false),
        can_install: RwSignal::new(false),
    };
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::start(state);
    });
    let reload = move |_| {
        #[cfg(feature = "hydrate")]
        browser::apply_update();
    };
    let install = move |_| {
        #[cfg(feature = "hydrate")]
        browser::install(state);
    };
    view! {
        <div class="pwa-bar">
            <Show when=move || state.offline.get() || state.unreachable.get()>
                <p class="offline-banner" role="status" data-testid="offline-banner">
                    <strong>"Offline — Coffer will retry."</strong>
                    " Transfers go on by themselves when the connection is back. Files you have \
                    as .coffer can still be decrypted on the "
                    <a href="/decrypt">"Decrypt a file"</a>" page."
                </p>
            </Show>
            <Show when=move || state.update_ready.get()>
                <p class="update-banner" role="status" data-testid="update-banner">
                    "A new version is available. "
                    <button type="button" class="small" on:click=reload>"Reload"</button>
                </p>
            </Show>
            <Show when=move || state.can_install.get()>
                <button type="button" class="secondary small install-button" on:click=install>
                    "Install Coffer"
                </button>
            </Show>
        </div>
    }
}
