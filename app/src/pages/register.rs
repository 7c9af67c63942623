use leptos::{ev::SubmitEvent, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use std::sync::Arc;

use super::{
    code_step::CodeStep,
    forms::{asks_code, new_password_problem, SubmitRow},
};
use crate::{
    api, browser,
    components::{explain, use_gate, CopyButton},
    keyring::{self, UnlockedKeys},
    protocol::validation,
    session::use_session,
};

/// Create an account: all keys are made in the browser; the recovery key is
/// shown once, on a screen the user leaves only by saying they saved it (or that they accept
/// losing their files without it).
#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = use_session();
    let gate = use_gate();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    // A Coffer that requires a confirmed address: the account is made, and the session waits
    // for the code sent to it; the new keys wait here (sync storage: see the login page).
    let pending = StoredValue::new(None::<Arc<(String, UnlockedKeys)>>);
    let awaiting_code = RwSignal::new(false);
    let asked = RwSignal::new(0u32);
    let code = RwSignal::new(String::new());
    let policy = LocalResource::new(api::email_policy);
    let email_wanted = move || {
        policy
            .get()
            .and_then(|p| p.ok())
            .map(|p| (p.available, p.required))
            .unwrap_or((true, false))
    };

    // The account exists and its session started: unlock, then the recovery key's screen.
    let finish = move |name: String, recovery_key: String, keys: UnlockedKeys| {
        browser::remember_username(&name);
        password.set(String::new());
        confirm.set(String::new());
        code.set(String::new());
        session.unlock(keys);
        // The screen outlives this page (which the gate takes down): it owns copies.
        let username = name.trim().to_string();
        gate.hold(move || {
            view! { <RecoveryScreen key=recovery_key.clone() username=username.clone()/> }
                .into_any()
        });
    };

    let on_code = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let typed = code.get_untracked();
        if typed.trim().is_empty() {
            error.set(Some("Enter the code.".into()));
            return;
        }
        let Some(held) = pending.get_value() else {
            awaiting_code.set(false);
            return;
        };
        let name = username.get_untracked();
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some("Checking the code…"));
            let result = api::login_second_factor(typed).await;
            busy.set(None);
            match result {
                Ok(_) => {
                    pending.set_value(None);
                    // The only holder now (the stored copy is gone).
                    if let Ok((recovery_key, keys)) = Arc::try_unwrap(held) {
                        finish(name, recovery_key, keys);
                    }
                }
                Err(e) if asks_code(&e) => {
                    code.set(String::new());
                    asked.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    let strength = Memo::new(move |_| {
        let pw = password.get();
        if pw.is_empty() {
            return None;
        }
        let name = username.get();
        browser::password_strength(&pw, &[name.as_str(), "coffer"])
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked().is_some() {
            return;
        }
        let name = username.get_untracked();
        let mail = email.get_untracked();
        let pw = password.get_untracked();
        let problem = validation::normalize_username(&name)
            .err()
            .or_else(|| validation::normalize_email(&mail).err())
            .or_else(|| new_password_problem(&pw, &confirm.get_untracked(), &name));
        if let Some(problem) = problem {
            error.set(Some(problem));
            return;
        }
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some("Creating your keys (this takes a moment)…"));
            let result = async {
                let kdf = keyring::new_kdf(&mut rand_core::OsRng);
                let keys = browser::derive_keys(&pw, &kdf).await?;
                let reg = keyring::prepare_registration_with_keys(
                    &name,
                    &mail,
                    kdf,
                    keys,
                    &mut rand_core::OsRng,
                )?;
                busy.set(Some("Creating your account…"));
                let key = reg.recovery_key.to_display().to_string();
                match api::register(reg.request).await {
                    Ok(_) => Ok::<_, crate::error::AppError>(Some((key, reg.keys))),
                    Err(e) if asks_code(&e) => {
                        pending.set_value(Some(Arc::new((key, reg.keys))));
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            }
            .await;
            busy.set(None);
            match result {
                Ok(Some((recovery_key, keys))) => finish(name, recovery_key, keys),
                Ok(None) => {
                    password.set(String::new());
                    confirm.set(String::new());
                    asked.update(|n| *n += 1);
                    awaiting_code.set(true);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    view! {
        <Title text="Create an account · Coffer"/>
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <form on:submit=on_code novalidate hidden=move || !awaiting_code.get()
                data-testid="second-factor">
                <CodeStep active=awaiting_code asked code error id="reg-code"
                    intro="Your account is made."/>
                <SubmitRow error busy label="Continue"/>
            </form>
            <form on:submit=on_submit novalidate hidden=move || awaiting_code.get()>
                <label for="reg-username">"Username"</label>
                <input id="reg-username" name="username" type="text" autocomplete="username"
                    autocapitalize="none" spellcheck="false" required minlength="3" maxlength="64"
                    aria-describedby="reg-username-help" bind:value=username/>
                <p id="reg-username-help" class="help">"3 to 64 letters, digits, '.', '_' or '-'."</p>
                <div hidden=move || !email_wanted().0>
                    <label for="reg-email">"E-mail " <span class="muted">{move || {
                        if email_wanted().1 {
                            "(required: a code sent to it confirms it)"
                        } else {
                            "(optional)"
                        }
                    }}</span></label>
                    <input id="reg-email" name="email" type="email" autocomplete="email"
                        bind:value=email/>
                </div>
                <label for="reg-password">"Password"</label>
                <input id="reg-password" name="password" type="password" autocomplete="new-password"
                    required aria-describedby="reg-strength" bind:value=password/>
                <StrengthMeter strength/>
                <label for="reg-confirm">"Repeat the password"</label>
                <input id="reg-confirm" name="confirm" type="password" autocomplete="new-password"
                    required bind:value=confirm/>
                <SubmitRow error busy label="Create account"/>
            </form>
            <p class="muted">"Your password never leaves this browser. If you forget it, only \
                your recovery key can restore access."</p>
        </section>
    }
}

/// The recovery key, shown once: copy, download or print it, then say it is saved. Until then
/// the gate keeps every other page (and the header's links) away, and closing or reloading the
/// tab asks first. Leaving without it takes an explicit "I'll risk losing my files".
#[component]
pub(crate) fn RecoveryScreen(
    key: String,
    username: String,
    /// A reset made this key: the old one no longer works.
    #[prop(optional)]
    replaced: bool,
) -> impl IntoView {
    let gate = use_gate();
    let navigate = use_navigate();
    let saved = RwSignal::new(false);
    let risking = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let guard = window_event_listener(leptos::ev::beforeunload, |ev| ev.prevent_default());
        on_cleanup(move || guard.remove());
    }
    let text = format!(
        "Coffer recovery key for {username}\n\n{key}\n\nKeep this somewhere safe and offline. \
         With it you can regain access if you forget your password.\n"
    );
    let download = move |_| browser::download_text("coffer-recovery-key.txt", &text);
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    let go_on = move || {
        gate.release();
        navigate("/vault", Default::default());
    };
    let go_on = StoredValue::new(go_on);
    view! {
        <Title text="Save your recovery key · Coffer"/>
        <section class="card narrow recovery" data-testid="recovery" aria-labelledby="recovery-title">
            <h1 id="recovery-title">
                {if replaced { "Save your new recovery key" } else { "Save your recovery key" }}
            </h1>
            <p hidden=!replaced data-testid="recovery-replaced">"Your password is changed. The \
                recovery key you used no longer works: this one replaces it."</p>
            <p>"This is the only way back into your vault if you forget your password. \
                It is shown once; Coffer cannot show it again or reset it for you."</p>
            <p class="recovery-key" id="recovery-key" data-testid="recovery-key">{key.clone()}</p>
            <div class="button-row no-print">
                <CopyButton text=key of="recovery-key" what="Copy recovery key"/>
                <button type="button" class="secondary" on:click=download>"Download as text"</button>
                <button type="button" class="secondary" on:click=print>"Print"</button>
            </div>
            <div class="no-print">
                <label class="checkbox">
                    <input type="checkbox" name="saved" bind:checked=saved/>
                    " I saved my recovery key somewhere safe"
                </label>
                <button type="button" disabled=move || !saved.get()
                    on:click=move |_| go_on.with_value(|f| f())>"Continue to my vault"</button>
                <p>
                    <button type="button" class="link-button" aria-controls="recovery-risk"
                        aria-expanded=move || risking.get().to_string()
                        on:click=move |_| risking.update(|r| *r = !*r)>
                        "Continue without saving it"
                    </button>
                </p>
                <div id="recovery-risk" class="error" role="group" aria-labelledby="recovery-risk-words"
                    hidden=move || !risking.get()>
                    <p id="recovery-risk-words"><strong>"Without this key, a forgotten password means \
                        your files are gone for good."</strong>" Nobody can open them for you, not even \
                        whoever runs this Coffer."</p>
                    <button type="button" class="danger-button"
                        on:click=move |_| go_on.with_value(|f| f())>"I'll risk losing my files"</button>
                </div>
            </div>
        </section>
    }
}

/// Password strength as a meter with words and advice.
#[component]
fn StrengthMeter(strength: Memo<Option<(u8, String)>>) -> impl IntoView {
    const LABELS: [&str; 5] = ["Very weak", "Weak", "Fair", "Strong", "Very strong"];
    view! {
        <div id="reg-strength" class="strength" aria-live="polite">
            <meter min="0" max="4" low="2" high="3" optimum="4"
                value=move || strength.get().map(|s| s.0).unwrap_or(0)
                aria-label="Password strength"></meter>
            <span>{move || strength.get().map(|(score, advice)| {
                format!("{}. {}", LABELS[usize::from(score.min(4))], advice)
            })}</span>
        </div>
    }
}
