//! A share link, `/s/<id>#<secret>`: works without an account. The secret is read from the
//! fragment (which browsers never send to the server) and removed from the address bar at once.

use leptos::{ev, prelude::*};
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::components::ErrorMessage;

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Stage {
    Loading,
    Unavailable(String),
    /// The server's answer is not what the link was made for (another owner, file or version).
    NotGenuine(String),
    NeedsPassword,
    Ready {
        name: String,
        size: u64,
        /// A v1 link: it opens, but cannot show who made it.
        unverified_sender: bool,
    },
}

#[cfg(feature = "hydrate")]
thread_local! {
    static FRAGMENT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    static OPENED: std::cell::RefCell<Option<std::rc::Rc<crate::client::sharing::OpenedFile>>> =
        const { std::cell::RefCell::new(None) };
    static KDF: std::cell::RefCell<Option<crate::protocol::sharing::LinkKdf>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "hydrate")]
async fn open(
    link_id: String,
    password: Option<String>,
    stage: RwSignal<Stage>,
    error: RwSignal<Option<String>>,
) {
    use crate::client::sharing::{open_link, LinkError};
    let fragment = FRAGMENT.with(|f| f.borrow().clone());
    let kdf = KDF.with(|k| k.borrow().clone());
    match open_link(&link_id, &fragment, password.as_deref(), kdf.as_ref()).await {
        Ok(opened) => {
            stage.set(Stage::Ready {
                name: coffer_crypto::safe_file_name(&opened.metadata.name),
                size: opened.metadata.size,
                unverified_sender: opened.format == coffer_crypto::LinkFormat::V1,
            });
            OPENED.with(|o| *o.borrow_mut() = Some(std::rc::Rc::new(opened)));
        }
        Err(LinkError::Http(crate::client::http::HttpError::Status { status: 401, .. })) => {
            error.set(Some("Wrong password. Try again.".into()));
        }
        Err(e @ LinkError::Http(crate::client::http::HttpError::Status { status: 429, .. })) => {
            error.set(Some(e.message()));
        }
        Err(e @ LinkError::NotGenuine) => stage.set(Stage::NotGenuine(e.message())),
        Err(e) => stage.set(Stage::Unavailable(e.message())),
    }
}

/// The link page.
#[component]
pub fn LinkPage() -> impl IntoView {
    let params = use_params_map();
    let link_id = move || params.read().get("id").unwrap_or_default();
    let stage = RwSignal::new(Stage::Loading);
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let progress = RwSignal::new((0u64, 1u64));

    Effect::new(move |_| {
        let id = link_id();
        #[cfg(feature = "hydrate")]
        {
            // Take the secret out of the address bar (and so out of history and bookmarks).
            if let Some(window) = web_sys::window() {
                let hash = window.location().hash().unwrap_or_default();
                let fragment = hash.strip_prefix('#').unwrap_or(&hash).to_string();
                if !fragment.is_empty() {
                    FRAGMENT.with(|f| *f.borrow_mut() = fragment);
                    let path = window.location().pathname().unwrap_or_default();
                    if let Ok(history) = window.history() {
                        let _ = history.replace_state_with_url(
                            &wasm_bindgen::JsValue::NULL,
                            "",
                            Some(&path),
                        );
                    }
                }
            }
            leptos::task::spawn_local(async move {
                if FRAGMENT.with(|f| f.borrow().is_empty()) {
                    stage.set(Stage::Unavailable(
                        "This link is incomplete: the part after “#” is missing. Ask for the whole link again.".into(),
                    ));
                    return;
                }
                match crate::client::sharing::link_info(&id).await {
                    Ok(info) if info.has_password => {
                        KDF.with(|k| *k.borrow_mut() = info.password_kdf);
                        stage.set(Stage::NeedsPassword);
                    }
                    Ok(_) => open(id, None, stage, error).await,
                    Err(crate::client::http::HttpError::Status { status: 404, .. }) => stage.set(
                        Stage::Unavailable("This link is no longer available.".into()),
                    ),
                    Err(e) => stage.set(Stage::Unavailable(e.message())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    });

    let on_password = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let pw = password.get_untracked();
        if pw.is_empty() {
            error.set(Some(
                "Enter the password you were given with the link.".into(),
            ));
            return;
        }
        busy.set(true);
        #[cfg(feature = "hydrate")]
        {
            let id = link_id();
            leptos::task::spawn_local(async move {
                crate::browser::next_paint().await;
                open(id, Some(pw), stage, error).await;
                busy.set(false);
            });
        }
    };

    let on_download = move |_: ev::MouseEvent| {
        error.set(None);
        status.set(None);
        #[cfg(feature = "hydrate")]
        {
            use crate::client::download::{decrypt_into, fetch_content, Expect, Expected, Sink};
            let Some(opened) = OPENED.with(|o| o.borrow().clone()) else {
                return;
            };
            let id = link_id();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let meta = &opened.metadata;
                let name = coffer_crypto::safe_file_name(&meta.name);
                let result = match Sink::choose(&name, &meta.mime, meta.size).await {
                    Ok(Some(sink)) => {
                        let controller = web_sys::AbortController::new().expect("AbortController");
                        let signal = controller.signal();
                        let url = format!("/api/links/{id}/content");
                        let headers = [("X-Coffer-Link-Token", opened.token.as_str())];
                        match fetch_content(&url, &headers, opened.ciphertext_size, &signal).await {
                            Ok(stream) => {
                                let total = opened.ciphertext_size.max(1);
                                let report = move |done: u64| progress.set((done, total));
                                decrypt_into(
                                    &stream,
                                    &opened.key,
                                    Expected {
                                        file: Expect::File(&opened.file_id),
                                        ciphertext_size: opened.ciphertext_size,
                                        content: opened.content,
                                    },
                                    sink,
                                    Some(&signal),
                                    &report,
                                )
                                .await
                                .map(|()| true)
                            }
                            Err(e) => {
                                sink.abort().await;
                                Err(e)
                            }
                        }
                    }
                    Ok(None) => Ok(false),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(true) => status.set(Some(format!("Downloaded and decrypted “{name}”."))),
                    Ok(false) => {}
                    Err(crate::client::download::DownloadError::Http(
                        crate::client::http::HttpError::Status { status: 404, .. },
                    )) => stage.set(Stage::Unavailable(
                        "This link is no longer available.".into(),
                    )),
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        }
    };

    view! {
        <Title text="A file shared with you · Coffer"/>
        <Meta name="robots" content="noindex"/>
        <section class="card narrow" data-testid="link-page">
            {move || match stage.get() {
                Stage::Loading => view! { <p class="muted">"Opening the link…"</p> }.into_any(),
                Stage::NotGenuine(why) => view! {
                    <h1>"This file could not be verified"</h1>
                    <p class="error" role="alert" data-testid="link-not-genuine">{why}</p>
                }.into_any(),
                Stage::Unavailable(why) => view! {
                    <h1>"This link is no longer available"</h1>
                    <p data-testid="link-unavailable">{why}</p>
                }.into_any(),
                Stage::NeedsPassword => view! {
                    <h1>"This file is protected by a password"</h1>
                    <form on:submit=on_password>
                        <label for="link-pw">"Password"</label>
                        <input id="link-pw" type="password" autocomplete="off" bind:value=password/>
                        <ErrorMessage error/>
                        <div class="button-row">
                            <button type="submit" disabled=move || busy.get()>"Open"</button>
                        </div>
                    </form>
                }.into_any(),
                Stage::Ready { name, size, unverified_sender } => view! {
                    <h1>"A file was shared with you"</h1>
                    <p class="file-name" data-testid="link-file-name">{name}</p>
                    <p class="muted">{crate::protocol::human_bytes(size)}" · decrypted in this browser"</p>
                    <p class="muted" data-testid="link-provenance">{if unverified_sender {
                        "This link was made by an older version of Coffer: it cannot prove who made \
                         it or that the file is unchanged since."
                    } else {
                        "Coffer checked that this is the file the link was made for, as its owner \
                         saved it."
                    }}</p>
                    <ErrorMessage error/>
                    <div class="button-row">
                        <button type="button" on:click=on_download disabled=move || busy.get()>"Download"</button>
                    </div>
                    <Show when=move || busy.get()>
                        <progress max=move || progress.get().1 as f64 value=move || progress.get().0 as f64
                            aria-label="Downloading"></progress>
                    </Show>
                    <p class="notice" role="status" data-testid="link-status" hidden=move || status.get().is_none()>
                        {move || status.get().unwrap_or_default()}
                    </p>
                }.into_any(),
            }}
        </section>
    }
}
