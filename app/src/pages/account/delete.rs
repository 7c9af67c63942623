//! Delete the account: the password and the typed username, then everything of the user's goes
//! at once (files and their content, shares both ways, links, contacts, tokens, sessions).

use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::hooks::use_navigate;

use crate::{
    api, browser,
    components::{explain, ErrorMessage},
    pages::forms::Progress,
    session::use_session,
};

#[component]
pub(super) fn DeleteAccount() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let username = session
        .keys()
        .map(|k| k.username.clone())
        .unwrap_or_default();
    let expected = StoredValue::new(username.clone());

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let pw = password.get_untracked();
        let name = typed.get_untracked();
        if pw.is_empty() {
            error.set(Some("Enter your password.".into()));
            return;
        }
        if !name.trim().eq_ignore_ascii_case(&expected.get_value()) {
            error.set(Some(format!(
                "Type your username, {}, exactly to confirm.",
                expected.get_value()
            )));
            return;
        }
        error.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            busy.set(Some("Checking your password…"));
            let result = async {
                let auth_key = super::auth_key_of(&pw).await?;
                busy.set(Some("Deleting your account…"));
                api::delete_account(auth_key, name).await
            }
            .await;
            busy.set(None);
            match result {
                Ok(()) => {
                    password.set(String::new());
                    browser::forget_username();
                    session.forget();
                    navigate("/?deleted=1", Default::default());
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    view! {
        <section class="card danger-zone" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete your account"</h2>
            <p>"This deletes every file you own, for you and for everyone you shared them with, your \
                links, contacts, tokens and sessions, at once. It cannot be undone."</p>
            <button type="button" class="secondary" aria-expanded=move || open.get().to_string()
                aria-controls="delete-form" hidden=move || open.get()
                on:click=move |_| open.set(true)>"Delete my account…"</button>
            <form id="delete-form" on:submit=on_submit novalidate hidden=move || !open.get()>
                <label for="delete-password">"Your password"</label>
                <input id="delete-password" name="password" type="password"
                    autocomplete="current-password" required bind:value=password/>
                <label for="delete-username">"Type your username, " <strong>{username}</strong> ", to confirm"</label>
                <input id="delete-username" name="username" type="text" autocomplete="off"
                    autocapitalize="none" spellcheck="false" required bind:value=typed/>
                <ErrorMessage error/>
                <Progress busy/>
                <div class="button-row">
                    <button type="submit" class="danger-button" disabled=move || busy.get().is_some()>
                        "Delete my account and files forever"
                    </button>
                    <button type="button" class="secondary" on:click=move |_| {
                        open.set(false);
                        password.set(String::new());
                        typed.set(String::new());
                        error.set(None);
                    }>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}
