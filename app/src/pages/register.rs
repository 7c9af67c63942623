use leptos::{ev::SubmitEvent, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use super::login::SubmitRow;
use crate::{
    api, browser, components::explain, keyring, protocol::validation, session::use_session,
};

/// Lowest zxcvbn score accepted: 0 and 1 are common or trivially guessable.
const MIN_SCORE: u8 = 2;

/// Create an account: all keys are made in the browser; the recovery key is
/// shown once.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let recovery = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);

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
            .or_else(|| validation::check_password_length(&pw).err())
            .or_else(|| {
                (pw != confirm.get_untracked()).then(|| "The passwords do not match.".into())
            })
            .or_else(|| match strength.get_untracked() {
                Some((score, advice)) if score < MIN_SCORE => {
                    Some(format!("This password is too easy to guess. {advice}"))
                }
                _ => None,
            });
        if let Some(problem) = problem {
            error.set(Some(problem));
            return;
        }
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some("Creating your keys (this takes a moment)…"));
            browser::next_paint().await;
            let result = async {
                let reg = keyring::prepare_registration(&name, &mail, &pw, &mut rand_core::OsRng)?;
                busy.set(Some("Creating your account…"));
                api::register(reg.request).await?;
                Ok::<_, crate::error::AppError>((reg.recovery_key, reg.keys))
            }
            .await;
            busy.set(None);
            match result {
                Ok((recovery_key, keys)) => {
                    browser::remember_username(&name);
                    password.set(String::new());
                    confirm.set(String::new());
                    recovery.set(Some(recovery_key.to_display().to_string()));
                    session.unlock(keys);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    let download = move |_| {
        if let Some(key) = recovery.get_untracked() {
            let text = format!(
                "Coffer recovery key for {}\n\n{key}\n\nKeep this somewhere safe and offline. \
                 With it you can regain access if you forget your password.\n",
                username.get_untracked().trim()
            );
            browser::download_text("coffer-recovery-key.txt", &text);
        }
    };
    let go_on = move |_| {
        recovery.set(None);
        navigate("/vault", Default::default());
    };

    view! {
        <Title text="Create an account · Coffer"/>
        <Show
            when=move || recovery.get().is_some()
            fallback=move || view! {
                <section class="card narrow">
                    <h1>"Create your account"</h1>
                    <form on:submit=on_submit novalidate>
                        <label for="reg-username">"Username"</label>
                        <input id="reg-username" name="username" type="text" autocomplete="username"
                            autocapitalize="none" spellcheck="false" required minlength="3" maxlength="64"
                            aria-describedby="reg-username-help" bind:value=username/>
                        <p id="reg-username-help" class="help">"3 to 64 letters, digits, '.', '_' or '-'."</p>
                        <label for="reg-email">"E-mail " <span class="muted">"(optional)"</span></label>
                        <input id="reg-email" name="email" type="email" autocomplete="email" bind:value=email/>
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
        >
            <section class="card narrow" data-testid="recovery">
                <h1>"Save your recovery key"</h1>
                <p>"This is the only way back into your vault if you forget your password. \
                    It is shown once; Coffer cannot show it again or reset it for you."</p>
                <p class="recovery-key" data-testid="recovery-key">{move || recovery.get().unwrap_or_default()}</p>
                <p>
                    <button type="button" class="secondary" on:click=download>"Download as text"</button>
                </p>
                <label class="checkbox">
                    <input type="checkbox" name="saved" bind:checked=saved/>
                    " I saved my recovery key somewhere safe"
                </label>
                <button type="button" disabled=move || !saved.get() on:click=go_on.clone()>"Continue to my vault"</button>
            </section>
        </Show>
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
