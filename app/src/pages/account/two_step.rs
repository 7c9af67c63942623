//! Two-step login: an authenticator app (TOTP) as a second factor, with ten one-time recovery
//! codes. Turning it on shows a QR code and the secret as text, and takes a code from the app;
//! turning it off needs the password.

use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    api, browser,
    components::{explain, CopyButton, ErrorMessage},
    pages::forms::Progress,
    protocol::accounts::TotpSetup,
    session::use_session,
};

#[component]
pub(super) fn TwoStep() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let status = LocalResource::new(move || {
        refresh.get();
        api::two_step_status()
    });
    // The recovery codes just made, shown once.
    let fresh_codes = RwSignal::new(None::<Vec<String>>);
    view! {
        <section class="card" aria-labelledby="two-step-title">
            <h2 id="two-step-title">"Two-step login"</h2>
            <p class="muted">"With it on, logging in needs your password and a code from an \
                authenticator app on your phone, so a leaked password alone is not enough."</p>
            {move || fresh_codes.get().map(|codes| view! {
                <RecoveryCodes codes fresh_codes
                    intro="Two-step login is on. Save these recovery codes now: each works once \
                        if your phone is lost. They are not shown again."/>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) if s.totp => view! {
                            <p data-testid="two-step-state">
                                <strong>"On."</strong>
                                {format!(" {} of 10 recovery codes left.", s.recovery_codes_left)}
                            </p>
                            <TurnOff refresh/>
                        }.into_any(),
                        Ok(_) => view! {
                            <p data-testid="two-step-state">"Off."</p>
                            <TurnOn refresh fresh_codes/>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TurnOn(refresh: RwSignal<u32>, fresh_codes: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let session = use_session();
    let setup = RwSignal::new(None::<TotpSetup>);
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let begin = move |_| {
        leptos::task::spawn_local(async move {
            busy.set(Some("Making a secret for your app…"));
            let result = api::begin_totp().await;
            busy.set(None);
            match result {
                Ok(s) => {
                    error.set(None);
                    setup.set(Some(s));
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };
    let confirm = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked();
        if typed.trim().is_empty() {
            error.set(Some("Enter the 6-digit code your app shows.".into()));
            return;
        }
        leptos::task::spawn_local(async move {
            busy.set(Some("Checking the code…"));
            let result = api::totp_enable(typed).await;
            busy.set(None);
            match result {
                Ok(codes) => {
                    error.set(None);
                    code.set(String::new());
                    setup.set(None);
                    fresh_codes.set(Some(codes));
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };
    view! {
        <button type="button" on:click=begin hidden=move || setup.get().is_some()
            disabled=move || busy.get().is_some()>"Turn on two-step login"</button>
        {move || setup.get().map(|s| view! {
            <ol class="steps">
                <li>
                    "Scan this with an authenticator app (any app for TOTP codes)…"
                    <div class="qr" role="img" aria-label="QR code of the authenticator secret"
                        inner_html=s.qr_svg.clone()></div>
                </li>
                <li>
                    "…or type this secret into it:"
                    <code class="token" id="totp-secret" data-testid="totp-secret">{s.secret.clone()}</code>
                    <CopyButton text=s.secret.clone() of="totp-secret" what="Copy secret"/>
                </li>
                <li>
                    <form class="inline-form" on:submit=confirm novalidate>
                        <label for="totp-code">"The 6-digit code the app shows"</label>
                        <input id="totp-code" name="code" type="text" inputmode="numeric"
                            autocomplete="one-time-code" maxlength="6" required bind:value=code/>
                        <button type="submit" disabled=move || busy.get().is_some()>"Turn on"</button>
                    </form>
                </li>
            </ol>
        })}
        <ErrorMessage error/>
        <Progress busy/>
    }
}

/// The ten recovery codes, once: copy or download, then say they are saved.
#[component]
pub(super) fn RecoveryCodes(
    codes: Vec<String>,
    fresh_codes: RwSignal<Option<Vec<String>>>,
    /// What was turned on, and what the codes are for.
    intro: &'static str,
) -> impl IntoView {
    let text = codes.join("\n");
    let file = format!(
        "Coffer two-step login recovery codes\n\n{text}\n\nEach works once, in place of a code \
         from your authenticator app or by email.\n"
    );
    let download = move |_| browser::download_text("coffer-recovery-codes.txt", &file);
    view! {
        <div class="notice" role="status" data-testid="recovery-codes">
            <p>{intro}</p>
            <ul class="codes" id="recovery-codes-list">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <div class="button-row">
                <CopyButton text=text of="recovery-codes-list" what="Copy codes"/>
                <button type="button" class="secondary" on:click=download>"Download as text"</button>
                <button type="button" class="secondary" on:click=move |_| fresh_codes.set(None)>
                    "I saved them"
                </button>
            </div>
        </div>
    }
}

#[component]
fn TurnOff(refresh: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        if pw.is_empty() {
            error.set(Some(
                "Enter your password to turn two-step login off.".into(),
            ));
            return;
        }
        leptos::task::spawn_local(async move {
            busy.set(Some("Checking your password…"));
            let result = async {
                let auth_key = super::auth_key_of(&pw).await?;
                api::totp_disable(auth_key).await
            }
            .await;
            busy.set(None);
            match result {
                Ok(()) => {
                    password.set(String::new());
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };
    view! {
        <form class="inline-form" on:submit=on_submit novalidate>
            <label for="totp-off-password">"Password"</label>
            <input id="totp-off-password" name="password" type="password"
                autocomplete="current-password" required bind:value=password/>
            <button type="submit" class="secondary" disabled=move || busy.get().is_some()>
                "Turn off two-step login"
            </button>
        </form>
        <ErrorMessage error/>
        <Progress busy/>
    }
}
