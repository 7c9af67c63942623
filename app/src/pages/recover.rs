//! "Forgot your password": the recovery key opens the account key in this browser (from the copy
//! sealed under it that the server keeps), the user sets a new password, and the account key is
//! sealed again under it and under a new recovery key. The server sees neither key, only a
//! one-way proof that the browser opened the account key (docs/CRYPTO.md §2.4).

use leptos::{ev::SubmitEvent, prelude::*};
use leptos_meta::Title;

use super::{
    code_step::CodeStep,
    forms::{asks_code, new_password_problem, SubmitRow},
    register::RecoveryScreen,
};
use std::sync::Arc;

use coffer_crypto::{AccountKey, PasswordKeys, RecoveryKey};

use crate::{
    api, browser,
    components::{explain, use_gate},
    keyring,
    protocol::accounts::AccountBundle,
    session::use_session,
};

/// A reset the server took, waiting for the second factor.
struct Pending {
    account_key: AccountKey,
    password_keys: PasswordKeys,
    recovery_key: RecoveryKey,
}

/// Username, recovery key and a new password; then the new recovery key, once.
#[component]
pub fn RecoverPage() -> impl IntoView {
    let session = use_session();
    let gate = use_gate();
    let username = RwSignal::new(String::new());
    let recovery = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    // A reset for an account with two-step login waits for the code with its keys here.
    // Sync storage (Arc), not `new_local`: see the login page.
    let pending = StoredValue::new(None::<Arc<Pending>>);
    let awaiting_code = RwSignal::new(false);
    let asked = RwSignal::new(0u32);
    let code = RwSignal::new(String::new());

    // The server's answer must open to the very key the recovery key opened; then the new
    // recovery key is shown until the user says it is saved.
    let finish = move |name: String, bundle: AccountBundle, p: &Pending| {
        let keys = keyring::accept_reset_bundle(&bundle, &p.password_keys, &p.account_key)?;
        browser::remember_username(&name);
        recovery.set(String::new());
        password.set(String::new());
        confirm.set(String::new());
        code.set(String::new());
        session.unlock(keys);
        let key = p.recovery_key.to_display().to_string();
        gate.hold(move || {
            view! { <RecoveryScreen key=key.clone() username=name.clone() replaced=true/> }
                .into_any()
        });
        Ok(())
    };

    let on_code = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let typed = code.get_untracked();
        let Some(p) = pending.get_value() else {
            awaiting_code.set(false);
            return;
        };
        let name = username.get_untracked().trim().to_string();
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some("Checking the code…"));
            let result = match api::login_second_factor(typed).await {
                Ok(bundle) => finish(name, bundle, &p),
                Err(e) => Err(e),
            };
            busy.set(None);
            match result {
                Ok(()) => pending.set_value(None),
                Err(e) if asks_code(&e) => {
                    code.set(String::new());
                    asked.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    Effect::new(move |_| {
        if let Some(name) = browser::remembered_username() {
            username.set(name);
        }
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let name = username.get_untracked().trim().to_string();
        let typed = recovery.get_untracked();
        let pw = password.get_untracked();
        let problem = if name.is_empty() || typed.trim().is_empty() {
            Some("Enter your username and your recovery key.".to_string())
        } else {
            new_password_problem(&pw, &confirm.get_untracked(), &name)
        };
        if let Some(problem) = problem {
            error.set(Some(problem));
            return;
        }
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some("Looking up your account…"));
            let result = async {
                let seal = api::recovery_key(name.clone()).await?;
                let (account_key, format) = keyring::open_with_recovery(&typed, &seal)?;
                busy.set(Some("Deriving keys from your new password…"));
                // In the KDF worker: the page stays responsive.
                let kdf = keyring::new_kdf(&mut rand_core::OsRng);
                let password_keys = browser::derive_keys(&pw, &kdf).await?;
                let reset = keyring::prepare_recovery_reset_with_keys(
                    &name,
                    &account_key,
                    format,
                    kdf,
                    password_keys,
                    &mut rand_core::OsRng,
                );
                busy.set(Some("Setting your new password…"));
                let p = Arc::new(Pending {
                    account_key,
                    password_keys: reset.password_keys,
                    recovery_key: reset.recovery_key,
                });
                match api::reset_with_recovery_key(reset.request).await {
                    Ok(bundle) => finish(name.clone(), bundle, &p).map(|()| false),
                    Err(e) if asks_code(&e) => {
                        pending.set_value(Some(p));
                        Ok(true)
                    }
                    Err(e) => Err(e),
                }
            }
            .await;
            busy.set(None);
            match result {
                Ok(true) => {
                    password.set(String::new());
                    confirm.set(String::new());
                    recovery.set(String::new());
                    asked.update(|n| *n += 1);
                    awaiting_code.set(true);
                }
                Ok(false) => {}
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    view! {
        <Title text="Use your recovery key · Coffer"/>
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <p>"Your recovery key (the one you saved when you made the account) lets you set a new \
                password. Without your password or your recovery key, " <strong>"nobody can restore \
                your files"</strong>", not even whoever runs this Coffer: they never had the keys."</p>
            <form on:submit=on_code novalidate hidden=move || !awaiting_code.get()
                data-testid="second-factor">
                <CodeStep active=awaiting_code asked code error id="recover-code"
                    intro="Your new password is set."/>
                <SubmitRow error busy label="Continue"/>
            </form>
            <form on:submit=on_submit novalidate hidden=move || awaiting_code.get()>
                <label for="recover-username">"Username"</label>
                <input id="recover-username" name="username" type="text" autocomplete="username"
                    autocapitalize="none" spellcheck="false" required bind:value=username/>
                <label for="recover-key">"Recovery key"</label>
                <input id="recover-key" name="recovery-key" type="text" autocomplete="off"
                    autocapitalize="characters" spellcheck="false" required
                    aria-describedby="recover-key-help" bind:value=recovery/>
                <p id="recover-key-help" class="help">"Groups of letters and digits, as you saved \
                    it; dashes and spaces do not matter."</p>
                <label for="recover-password">"New password"</label>
                <input id="recover-password" name="password" type="password"
                    autocomplete="new-password" required bind:value=password/>
                <label for="recover-confirm">"Repeat the new password"</label>
                <input id="recover-confirm" name="confirm" type="password"
                    autocomplete="new-password" required bind:value=confirm/>
                <SubmitRow error busy label="Set new password"/>
            </form>
            <p class="muted">"Remembered it? " <a href="/login">"Log in"</a></p>
        </section>
    }
}
