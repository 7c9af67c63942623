//! Change the password: the current one proves, a new one (fresh salt) seals the same account
//! key. Files, shares, links and contacts stay as they are; every other session ends.

use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    api, browser,
    components::{explain, ErrorMessage},
    error::AppError,
    keyring,
    pages::forms::{new_password_problem, Progress},
    protocol::validation,
    session::use_session,
};

#[component]
pub(super) fn ChangePassword() -> impl IntoView {
    let session = use_session();
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let revoke_tokens = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let done = RwSignal::new(false);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let Some(keys) = session.keys() else {
            error.set(Some("Unlock your vault first.".into()));
            return;
        };
        let old = current.get_untracked();
        let new = password.get_untracked();
        let problem = if old.is_empty() {
            Some("Enter your current password.".to_string())
        } else if old == new {
            Some("The new password is the same as the current one.".to_string())
        } else {
            new_password_problem(&new, &confirm.get_untracked(), &keys.username)
        };
        if let Some(problem) = problem {
            error.set(Some(problem));
            return;
        }
        error.set(None);
        done.set(false);
        let revoke = revoke_tokens.get_untracked();
        leptos::task::spawn_local(async move {
            busy.set(Some("Checking your current password…"));
            browser::next_paint().await;
            let result = async {
                let bundle = api::current_account()
                    .await?
                    .ok_or_else(|| AppError::Unauthorized("Log in again.".into()))?;
                // Both derivations run in the KDF worker: the page stays responsive.
                let old_keys = browser::derive_keys(&old, &bundle.kdf).await?;
                if keyring::unlock(&bundle, &old_keys).is_err() {
                    return Err(AppError::invalid("The current password is not right."));
                }
                busy.set(Some("Deriving keys from your new password…"));
                validation::check_password_length(&new).map_err(AppError::Invalid)?;
                let kdf = keyring::new_kdf(&mut rand_core::OsRng);
                let new_keys = browser::derive_keys(&new, &kdf).await?;
                let request = keyring::prepare_password_change_with_keys(
                    &keys,
                    &old_keys,
                    kdf,
                    &new_keys,
                    revoke,
                    &mut rand_core::OsRng,
                );
                busy.set(Some("Saving…"));
                api::set_new_password(request).await
            }
            .await;
            busy.set(None);
            match result {
                Ok(()) => {
                    current.set(String::new());
                    password.set(String::new());
                    confirm.set(String::new());
                    done.set(true);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Change your password"</h2>
            <p class="muted">"Your files stay as they are: the new password seals the same keys. \
                Every other device you are signed in on is signed out."</p>
            <form on:submit=on_submit novalidate>
                <label for="pw-current">"Current password"</label>
                <input id="pw-current" name="current-password" type="password"
                    autocomplete="current-password" required bind:value=current/>
                <label for="pw-new">"New password"</label>
                <input id="pw-new" name="new-password" type="password" autocomplete="new-password"
                    required bind:value=password/>
                <label for="pw-confirm">"Repeat the new password"</label>
                <input id="pw-confirm" name="confirm-password" type="password"
                    autocomplete="new-password" required bind:value=confirm/>
                <label class="checkbox">
                    <input type="checkbox" name="revoke-tokens" bind:checked=revoke_tokens/>
                    " Also revoke all my API tokens"
                </label>
                <ErrorMessage error/>
                <Progress busy/>
                <p class="notice" role="status" hidden=move || !done.get() data-testid="password-changed">
                    "Your password is changed. Other devices were signed out."
                </p>
                <button type="submit" disabled=move || busy.get().is_some()>"Change password"</button>
            </form>
        </section>
    }
}
