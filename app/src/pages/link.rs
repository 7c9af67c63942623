//! A share link, `/s/<id>#<secret>`: works without an account. The secret is read from the
//! fragment (which browsers never send to the server) and removed from the address bar at once.
//!
//! The page's verdicts, each with a heading that matches its words: a damaged or incomplete link
//! (its id or secret malformed, or the secret not matching the link's verifier: found before a
//! password is asked for or a token sent), no longer available (the server's one answer for
//! expired, used up, revoked and unknown), a wrong password (only when the link is known to be
//! intact, or said to be "either" for older links without a verifier), and a file that could not
//! be verified. No verdict waits on a timeout.

use leptos::{ev, prelude::*};
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::components::ErrorMessage;

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Stage {
    Loading,
    /// The link cannot be opened: damaged, no longer available, not genuine, or the server
    /// cannot be reached. The heading and the words come from one `LinkError`.
    Failed {
        heading: &'static str,
        message: String,
        /// `link-damaged`, `link-unavailable`, `link-not-genuine` or `link-error`.
        testid: &'static str,
    },
    NeedsPassword {
        expires_at: Option<i64>,
        remaining: Option<u32>,
    },
    Ready {
        name: String,
        size: u64,
        /// A v1 link: it opens, but cannot show who made it.
        unverified_sender: bool,
        expires_at: Option<i64>,
        remaining: Option<u32>,
        /// The owner's name, if they chose to show it (the server's word).
        sender: Option<String>,
    },
}

/// "Expires tomorrow 09:30 · 3 downloads left".
fn link_facts(expires_at: Option<i64>, remaining: Option<u32>) -> String {
    let until = match expires_at {
        Some(at) => format!("Expires {}", crate::pages::vault::model::human_date(at)),
        None => "Does not expire".into(),
    };
    let left = match remaining {
        Some(1) => "1 download left".into(),
        Some(n) => format!("{n} downloads left"),
        None => "unlimited downloads".into(),
    };
    format!("{until} · {left}")
}

#[cfg(feature = "hydrate")]
thread_local! {
    static VISIT: std::cell::RefCell<Option<std::rc::Rc<crate::client::sharing::LinkVisit>>> =
        const { std::cell::RefCell::new(None) };
    static OPENED: std::cell::RefCell<Option<std::rc::Rc<crate::client::sharing::OpenedFile>>> =
        const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "hydrate")]
fn failed(e: crate::client::sharing::LinkError) -> Stage {
    use crate::client::sharing::LinkError;
    Stage::Failed {
        heading: e.heading(),
        message: e.message(),
        testid: match e {
            LinkError::Damaged => "link-damaged",
            LinkError::Unavailable => "link-unavailable",
            LinkError::NotGenuine => "link-not-genuine",
            _ => "link-error",
        },
    }
}

#[cfg(feature = "hydrate")]
async fn open(password: Option<String>, stage: RwSignal<Stage>, error: RwSignal<Option<String>>) {
    use crate::client::{
        http::HttpError,
        sharing::{open_link, LinkError},
    };
    let Some(visit) = VISIT.with(|v| v.borrow().clone()) else {
        return;
    };
    match open_link(&visit, password.as_deref()).await {
        Ok(opened) => {
            stage.set(Stage::Ready {
                name: coffer_crypto::safe_file_name(&opened.metadata.name),
                size: opened.metadata.size,
                unverified_sender: opened.format == coffer_crypto::LinkFormat::V1,
                expires_at: opened.expires_at,
                remaining: opened.remaining,
                sender: opened.sender.clone(),
            });
            OPENED.with(|o| *o.borrow_mut() = Some(std::rc::Rc::new(opened)));
        }
        // Answers to the password form stay on it.
        Err(
            e @ (LinkError::WrongPassword { .. }
            | LinkError::Http(HttpError::Status { status: 429, .. })),
        ) if password.is_some() => error.set(Some(e.message())),
        Err(e) => stage.set(failed(e)),
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
            let mut fragment = zeroize::Zeroizing::new(String::new());
            if let Some(window) = web_sys::window() {
                let hash = zeroize::Zeroizing::new(window.location().hash().unwrap_or_default());
                fragment.push_str(hash.strip_prefix('#').unwrap_or(&hash));
                if !fragment.is_empty() {
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
                match crate::client::sharing::visit_link(&id, &fragment).await {
                    Ok(visit) => {
                        let needs_password = visit.info.has_password;
                        let (expires_at, remaining) = (visit.info.expires_at, visit.info.remaining);
                        VISIT.with(|v| *v.borrow_mut() = Some(std::rc::Rc::new(visit)));
                        if needs_password {
                            stage.set(Stage::NeedsPassword {
                                expires_at,
                                remaining,
                            });
                        } else {
                            open(None, stage, error).await;
                        }
                    }
                    Err(e) => stage.set(failed(e)),
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
        leptos::task::spawn_local(async move {
            crate::browser::next_paint().await;
            open(Some(pw), stage, error).await;
            busy.set(false);
        });
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
                    )) => stage.set(failed(crate::client::sharing::LinkError::Unavailable)),
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
                Stage::Failed { heading, message, testid } => view! {
                    <h1 data-testid="link-heading">{heading}</h1>
                    <p role="alert" data-testid=testid>{message}</p>
                }.into_any(),
                Stage::NeedsPassword { expires_at, remaining } => view! {
                    <h1 data-testid="link-heading">"This file is protected by a password"</h1>
                    <p class="muted" data-testid="link-facts">{link_facts(expires_at, remaining)}</p>
                    <form on:submit=on_password>
                        <label for="link-pw">"Password"</label>
                        <input id="link-pw" type="password" autocomplete="off" bind:value=password/>
                        <ErrorMessage error/>
                        <div class="button-row">
                            <button type="submit" disabled=move || busy.get()>"Open"</button>
                        </div>
                    </form>
                }.into_any(),
                Stage::Ready { name, size, unverified_sender, expires_at, remaining, sender } => view! {
                    <h1 data-testid="link-heading">"A file was shared with you"</h1>
                    <p class="file-name" data-testid="link-file-name">{name}</p>
                    {sender.map(|who| view! {
                        <p data-testid="link-sender">"From “"{who}"” "
                            <span class="muted">"(the name is as the server gives it)"</span></p>
                    })}
                    <p class="muted" data-testid="link-size">{crate::protocol::human_bytes(size)}" · decrypted in this browser"</p>
                    <p class="muted" data-testid="link-facts">{link_facts(expires_at, remaining)}</p>
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
