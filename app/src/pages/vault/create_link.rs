//! "Create a link": a link anyone can open without an account, with an expiry, a download limit,
//! an optional password and, if the owner wants, their name on the link page. The new link is
//! shown whole with a Copy button; its secret is also kept sealed under the account key, so
//! "Who has access" can copy it again later.

use leptos::{ev, prelude::*};

use super::{use_vault, FileRow, Modal};
use crate::{
    components::{CopyButton, ErrorMessage},
    session::use_session,
};

const EXPIRY_CHOICES: [(&str, &str); 6] = [
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("604800", "7 days"),
    ("2592000", "30 days"),
    ("custom", "Custom…"),
    ("never", "Never"),
];
const LIMIT_CHOICES: [(&str, &str); 5] = [
    ("1", "1 download"),
    ("5", "5 downloads"),
    ("10", "10 downloads"),
    ("100", "100 downloads"),
    ("unlimited", "Unlimited"),
];

#[component]
pub(super) fn LinkDialog(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let expiry = RwSignal::new("604800".to_string());
    let custom = RwSignal::new(String::new());
    let limit = RwSignal::new("5".to_string());
    let password = RwSignal::new(String::new());
    let show_sender = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let url = RwSignal::new(None::<String>);
    let title = format!("Create a link to “{}”", row.name);

    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        #[cfg(feature = "hydrate")]
        {
            let now = js_sys::Date::now() as i64;
            let expires_at = match expiry.get_untracked().as_str() {
                "never" => None,
                "custom" => {
                    let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(
                        &custom.get_untracked(),
                    ));
                    let ms = when.get_time();
                    if ms.is_nan() || (ms as i64) <= now {
                        error.set(Some("Choose a date and time in the future.".into()));
                        return;
                    }
                    Some(ms as i64)
                }
                seconds => seconds.parse::<i64>().ok().map(|s| now + s * 1000),
            };
            let max_downloads = limit.get_untracked().parse::<u32>().ok();
            let pw = password.get_untracked();
            let show_sender = show_sender.get_untracked();
            let row = row.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                crate::browser::next_paint().await;
                let Some(keys) = session.keys() else { return };
                let Some(key) = super::actions::file_key(&keys, &row) else {
                    error.set(Some("This file's key could not be opened.".into()));
                    busy.set(false);
                    return;
                };
                let pw = (!pw.is_empty()).then_some(pw);
                match crate::client::sharing::create_link(
                    &keys,
                    &row.id,
                    &key,
                    expires_at,
                    max_downloads,
                    pw.as_deref(),
                    show_sender,
                )
                .await
                {
                    Ok(link) => url.set(Some(link)),
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (
            &row,
            session,
            &custom,
            &limit,
            &password,
            &show_sender,
            &url,
            &busy,
        );
    };

    view! {
        <Modal title>
            <Show when=move || url.get().is_none() fallback=move || view! {
                <p class="link-url-label" id="link-url-label">"Link"</p>
                <p id="link-url" class="link-url" data-testid="link-url" aria-labelledby="link-url-label">
                    {move || url.get().unwrap_or_default()}
                </p>
                <div class="button-row">
                    <CopyButton text=Signal::derive(move || url.get().unwrap_or_default()) of="link-url" what="Copy link"/>
                </div>
                <p class="muted">"The part after “#” is the key. Coffer keeps it only sealed under your \
                    account key, which the server cannot open, so you can copy the link again later from \
                    “Who has access”. Anyone with the link (and the password, if you set one) can download \
                    the file until it expires or runs out."</p>
                <div class="button-row">
                    <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Done"</button>
                </div>
            }>
                <form on:submit=on_submit.clone()>
                    <label for="link-expiry">"Expires after"</label>
                    <select id="link-expiry" on:change=move |ev| expiry.set(event_target_value(&ev))>
                        {EXPIRY_CHOICES.iter().map(|(v, l)| view! {
                            <option value=*v selected=move || expiry.get() == *v>{*l}</option>
                        }).collect_view()}
                    </select>
                    <Show when=move || expiry.get() == "custom">
                        <label for="link-custom">"Expiry date and time"</label>
                        <input id="link-custom" type="datetime-local" bind:value=custom/>
                    </Show>
                    <label for="link-limit">"Download limit"</label>
                    <select id="link-limit" on:change=move |ev| limit.set(event_target_value(&ev))>
                        {LIMIT_CHOICES.iter().map(|(v, l)| view! {
                            <option value=*v selected=move || limit.get() == *v>{*l}</option>
                        }).collect_view()}
                    </select>
                    <label for="link-password">"Password (optional)"</label>
                    <input id="link-password" type="password" autocomplete="new-password" bind:value=password/>
                    <p class="help">"Send the password another way than the link."</p>
                    <label class="checkbox">
                        <input type="checkbox" bind:checked=show_sender/>
                        " Show my name on the link page"
                    </label>
                    <ErrorMessage error/>
                    <div class="button-row">
                        <button type="submit" disabled=move || busy.get()>"Create link"</button>
                        <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Cancel"</button>
                    </div>
                </form>
            </Show>
        </Modal>
    }
}
