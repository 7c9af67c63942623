use leptos::{ev::SubmitEvent, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use std::sync::Arc;

use coffer_crypto::PasswordKeys;

use super::{
    code_step::CodeStep,
    forms::{asks_code, SubmitRow},
};
use crate::{
    api, browser,
    components::explain,
    error::AppError,
    keyring,
    protocol::{
        accounts::{AccountBundle, KeepSpan},
        b64, code,
    },
    session::use_session,
};

/// Log in: derive the auth key from the password in the browser, prove it to
/// the server, and unlock the sealed keys it returns.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    // After the password proof, for an account with two-step login: the keys wait here (in
    // this tab's memory) for the code.
    // Sync storage (Arc), not `new_local`: a local value is dropped with the page's owner when
    // the server finishes rendering, on whichever thread that is, and a value made on another
    // thread panics there (and ends the page's response half-way).
    let pending = StoredValue::new(None::<Arc<PasswordKeys>>);
    let awaiting_code = RwSignal::new(false);
    let asked = RwSignal::new(0u32);
    let code = RwSignal::new(String::new());
    let keep = RwSignal::new(false);
    let span = RwSignal::new("day".to_string());

    Effect::new(move |_| {
        if let Some(name) = browser::remembered_username() {
            username.set(name);
        }
    });

    // Unlocks; the caller then opens the vault in a task of its own (drawing it is the
    // heaviest step).
    let finish = move |name: String, unlocked: keyring::UnlockedKeys| {
        browser::remember_username(&name);
        password.set(String::new());
        code.set(String::new());
        session.unlock(unlocked);
    };

    let on_code = {
        let navigate = navigate.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked().is_some() {
                return;
            }
            let typed = code.get_untracked();
            if typed.trim().is_empty() {
                error.set(Some("Enter the code.".into()));
                return;
            }
            let Some(keys) = pending.get_value() else {
                awaiting_code.set(false);
                return;
            };
            error.set(None);
            let navigate = navigate.clone();
            let name = username.get_untracked();
            leptos::task::spawn_local(async move {
                busy.set(Some("Checking the code…"));
                let result = async {
                    let bundle = api::login_second_factor(typed).await?;
                    browser::yield_to_page().await;
                    let unlocked = keyring::unlock(&bundle, &keys)?;
                    send_account_proof_if_needed(&bundle, &keys, &unlocked);
                    if keep.get_untracked() {
                        busy.set(Some("Keeping this device unlocked…"));
                        keep_this_device(&keys, &unlocked, span_of(&span.get_untracked())).await;
                    }
                    Ok::<_, AppError>(unlocked)
                }
                .await;
                browser::yield_to_page().await;
                busy.set(None);
                match result {
                    Ok(unlocked) => {
                        pending.set_value(None);
                        finish(name, unlocked);
                        browser::yield_to_page().await;
                        navigate("/vault", Default::default());
                    }
                    Err(e) if e.code() == code::UNAUTHENTICATED => {
                        // The five minutes passed: start again with the password.
                        pending.set_value(None);
                        awaiting_code.set(false);
                        error.set(Some("That took too long. Log in again.".into()));
                    }
                    // The address is confirmed; now the second factor.
                    Err(e) if asks_code(&e) => {
                        code.set(String::new());
                        asked.update(|n| *n += 1);
                    }
                    Err(e) => error.set(Some(explain(session, e))),
                }
            });
        }
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let navigate = navigate.clone();
        let name = username.get_untracked();
        let pw = password.get_untracked();
        if name.trim().is_empty() || pw.is_empty() {
            error.set(Some("Enter your username and password.".into()));
            return;
        }
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some("Looking up your account…"));
            let result = async {
                let kdf = api::kdf_params(name.clone()).await?;
                busy.set(Some("Deriving your keys from your password…"));
                let keys = Arc::new(browser::derive_keys(&pw, &kdf).await?);
                busy.set(Some("Logging in…"));
                let auth_key = b64::encode(keys.auth_key().as_bytes());
                let bundle = match api::login(name.clone(), auth_key).await {
                    Err(e) if asks_code(&e) => {
                        pending.set_value(Some(keys));
                        return Ok(None);
                    }
                    other => other?,
                };
                busy.set(Some("Unlocking your keys…"));
                // The response's task ends here: unlocking, then drawing the vault, each get
                // their own task so none of them holds the page for long.
                browser::yield_to_page().await;
                let unlocked = keyring::unlock(&bundle, &keys)?;
                send_account_proof_if_needed(&bundle, &keys, &unlocked);
                if keep.get_untracked() {
                    busy.set(Some("Keeping this device unlocked…"));
                    keep_this_device(&keys, &unlocked, span_of(&span.get_untracked())).await;
                }
                Ok::<_, AppError>(Some(unlocked))
            }
            .await;
            browser::yield_to_page().await;
            busy.set(None);
            match result {
                Ok(Some(unlocked)) => {
                    finish(name, unlocked);
                    browser::yield_to_page().await;
                    navigate("/vault", Default::default());
                }
                Ok(None) => {
                    password.set(String::new());
                    asked.update(|n| *n += 1);
                    awaiting_code.set(true);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    view! {
        <Title text="Log in · Coffer"/>
        <section class="card narrow">
            <h1>"Log in"</h1>
            <form on:submit=on_code novalidate hidden=move || !awaiting_code.get()
                data-testid="second-factor">
                <CodeStep active=awaiting_code asked code error id="login-code"/>
                <SubmitRow error busy label="Continue"/>
            </form>
            <form on:submit=on_submit novalidate hidden=move || awaiting_code.get()>
                <label for="login-username">"Username"</label>
                <input id="login-username" name="username" type="text" autocomplete="username"
                    autocapitalize="none" spellcheck="false" required bind:value=username/>
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password"
                    autocomplete="current-password" required bind:value=password/>
                <label class="checkbox">
                    <input type="checkbox" name="keep" bind:checked=keep aria-controls="keep-span"/>
                    " Keep this device unlocked"
                </label>
                <div id="keep-span" hidden=move || !keep.get()>
                    <label for="login-keep-span">"For how long"</label>
                    <select id="login-keep-span" name="keep-span" bind:value=span>
                        <option value="browser">"Until the browser closes"</option>
                        <option value="day">"1 day"</option>
                        <option value="month">"30 days"</option>
                    </select>
                    <p class="help">"Reloads and new tabs open without your password. Anyone who \
                        can use this browser meanwhile can open your files: only on a device you \
                        alone use. \"Lock now\" or logging out ends it; so does signing this \
                        device out from another."</p>
                </div>
                <p class="help" hidden=move || keep.get()>"Otherwise your keys stay in this tab \
                    only: a reload or a new tab asks for your password again, and you are signed \
                    out after a while without activity (an hour by default)."</p>
                <SubmitRow error busy label="Log in"/>
            </form>
            <p class="muted">"Forgot your password? " <a href="/recover">"Use your recovery key"</a></p>
            <p class="muted">"New here? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}

fn span_of(value: &str) -> KeepSpan {
    match value {
        "browser" => KeepSpan::Browser,
        "month" => KeepSpan::Month,
        _ => KeepSpan::Day,
    }
}

/// "Keep this device unlocked": the server gives this session an unlock key (the password's auth
/// key proves it is the user asking); the browser keeps the account key sealed under it and
/// under a key of its own (client/keep.rs). If that fails the login still goes on, unlocked in
/// this tab only.
async fn keep_this_device(keys: &PasswordKeys, unlocked: &keyring::UnlockedKeys, span: KeepSpan) {
    let auth_key = b64::encode(keys.auth_key().as_bytes());
    match api::keep_device_unlocked(auth_key, span).await {
        Ok(kept) => {
            #[cfg(feature = "hydrate")]
            if let Err(e) = crate::client::keep::keep(
                &unlocked.username,
                &unlocked.account_key,
                unlocked.format,
                &kept.unlock_key,
            )
            .await
            {
                leptos::logging::warn!("could not keep the device unlocked: {e:?}");
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (kept, unlocked);
        }
        Err(e) => leptos::logging::warn!("could not keep the device unlocked: {e}"),
    }
}

/// An account made before resets with the recovery key existed has no account proof on the
/// server yet: send it once, with the auth key that proves the password (docs/CRYPTO.md §2.4).
/// In the background; a failure only means it is tried again at the next login.
fn send_account_proof_if_needed(
    bundle: &AccountBundle,
    keys: &coffer_crypto::PasswordKeys,
    unlocked: &keyring::UnlockedKeys,
) {
    if !bundle.needs_account_proof {
        return;
    }
    let auth_key = b64::encode(keys.auth_key().as_bytes());
    let proof = b64::encode(&unlocked.account_key.proof()[..]);
    leptos::task::spawn_local(async move {
        if let Err(e) = api::set_account_proof(auth_key, proof).await {
            leptos::logging::warn!("account proof not stored: {e}");
        }
    });
}

/// Unlocks the keys of a still-valid session after a reload: the password is
/// needed again because keys are never stored.
#[component]
pub fn UnlockForm(bundle: AccountBundle) -> impl IntoView {
    let session = use_session();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let username = bundle.username.clone();
    let bundle = StoredValue::new(bundle);

    // A device kept unlocked opens by itself: the session's unlock key from the server, the
    // sealed copy from this browser. A copy that no longer opens (the session changed, or was
    // ended elsewhere) is deleted, and the password is asked for as usual.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let name = bundle.with_value(|b| b.username.clone());
            if !crate::client::keep::kept_for(&name).await {
                return;
            }
            busy.set(Some("Unlocking this device…"));
            let restored = async {
                let key = api::session_unlock_key().await.ok()?;
                let key = b64::decode(&key).ok()?;
                let (account_key, format) = crate::client::keep::restore(&name, &key).await.ok()?;
                bundle
                    .with_value(|b| keyring::unlock_with_account_key(b, account_key, format))
                    .ok()
            }
            .await;
            busy.set(None);
            match restored {
                Some(unlocked) => session.unlock(unlocked),
                None => crate::client::keep::forget().await,
            }
        });
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let pw = password.get_untracked();
        if pw.is_empty() {
            error.set(Some("Enter your password.".into()));
            return;
        }
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some("Deriving your keys from your password…"));
            let kdf = bundle.with_value(|b| b.kdf.clone());
            let result = match browser::derive_keys(&pw, &kdf).await {
                Ok(keys) => bundle.with_value(|b| {
                    let unlocked = keyring::unlock(b, &keys)?;
                    send_account_proof_if_needed(b, &keys, &unlocked);
                    Ok::<_, crate::error::AppError>(unlocked)
                }),
                Err(e) => Err(e),
            };
            // Drawing the unlocked page is a task of its own (see the login form).
            browser::yield_to_page().await;
            busy.set(None);
            match result {
                Ok(unlocked) => {
                    password.set(String::new());
                    session.unlock(unlocked);
                }
                Err(_) => error.set(Some("That password is not right. Try again.".into())),
            }
        });
    };

    view! {
        <section class="card narrow" data-testid="unlock">
            <h1>"Unlock your vault"</h1>
            <p>"Welcome back, " <strong>{username}</strong> ". Your keys are never stored, \
               so enter your password to unlock them in this tab."</p>
            <form on:submit=on_submit novalidate>
                <label for="unlock-password">"Password"</label>
                <input id="unlock-password" name="password" type="password"
                    autocomplete="current-password" required bind:value=password/>
                <SubmitRow error busy label="Unlock"/>
            </form>
        </section>
    }
}
