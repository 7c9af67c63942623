//! The step after a password proof that asks for a code: the server answered
//! `second_factor_required` (a TOTP code, a code by email or a recovery code) or
//! `email_verification_required` (a code sent to the address, on a Coffer that requires one),
//! with the login's ticket in a cookie. Asks the server what it waits for, says so, shows what
//! became of the code's mail, and offers to send it again (or to another address). The form and
//! what happens with the code are the page's (login, reset, registration).

use leptos::prelude::*;

use crate::{
    api,
    components::explain,
    pages::forms::{in_flight, mail_words},
    protocol::accounts::{ChallengeInfo, ChallengePurpose},
    session::use_session,
};

/// The code step's words, code field and mail actions. `active`: the page shows the step;
/// `asked`: bumped by the page when the server asked for a code again (the purpose may change,
/// e.g. a confirmed address followed by a second factor).
#[component]
pub fn CodeStep(
    active: RwSignal<bool>,
    asked: RwSignal<u32>,
    code: RwSignal<String>,
    error: RwSignal<Option<String>>,
    /// The code field's id.
    id: &'static str,
    /// Words before the rest (e.g. "Your new password is set.").
    #[prop(optional)]
    intro: &'static str,
) -> impl IntoView {
    let session = use_session();
    let info = RwSignal::new(None::<ChallengeInfo>);
    let poll = RwSignal::new(0u32);
    let sending = RwSignal::new(false);
    let other = RwSignal::new(String::new());
    Effect::new(move |_| {
        asked.get();
        poll.get();
        if !active.get() {
            info.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(now) = api::login_challenge().await {
                if in_flight(now.last_mail.as_ref()) {
                    set_timeout(
                        move || poll.update(|n| *n += 1),
                        std::time::Duration::from_secs(2),
                    );
                }
                info.set(Some(now));
            }
        });
    });
    let send = move |address: Option<String>| {
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        leptos::task::spawn_local(async move {
            let result = api::login_challenge_email(address).await;
            sending.set(false);
            match result {
                Ok(now) => {
                    error.set(None);
                    other.set(String::new());
                    info.set(Some(now));
                    poll.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };
    let words = move || {
        let Some(i) = info.get() else {
            return "Enter the code Coffer asks for.".to_string();
        };
        let hint = i
            .email_hint
            .clone()
            .unwrap_or_else(|| "your address".into());
        match i.purpose {
            ChallengePurpose::VerifyEmail if i.email_hint.is_some() => format!(
                "This Coffer asks you to confirm your email address first: enter the 6-digit \
                 code sent to {hint}."
            ),
            ChallengePurpose::VerifyEmail => "This Coffer asks you to confirm an email address \
                first: enter yours below, then the code sent to it."
                .into(),
            ChallengePurpose::SecondFactor => match (i.totp, i.email) {
                (true, true) => "Two-step login is on for this account. Enter the 6-digit code \
                    your authenticator app shows now, a code by email, or one of your recovery \
                    codes."
                    .into(),
                (false, true) => format!(
                    "Two-step login is on for this account: enter the 6-digit code sent to \
                     {hint}, or one of your recovery codes."
                ),
                _ => "Two-step login is on for this account. Enter the 6-digit code your \
                    authenticator app shows now, or one of your recovery codes."
                    .into(),
            },
        }
    };
    let email_on = move || info.get().is_some_and(|i| i.email);
    let mail_line = move || info.get().and_then(|i| i.last_mail).map(|m| mail_words(&m));
    let asks_address = move || {
        info.get()
            .is_some_and(|i| i.purpose == ChallengePurpose::VerifyEmail)
    };
    let send_label = move || {
        if info.get().is_some_and(|i| i.last_mail.is_some()) {
            "Send a new code"
        } else {
            "Email me a code"
        }
    };
    view! {
        <p data-testid="code-step-words">{intro}{move || (!intro.is_empty()).then_some(" ")}{words}</p>
        <label for=id>"Code"</label>
        <input id=id name="code" type="text" autocomplete="one-time-code"
            autocapitalize="characters" spellcheck="false" required bind:value=code/>
        <p role="status" class="muted" data-testid="code-mail" hidden=move || mail_line().is_none()>
            {mail_line}
        </p>
        <p hidden=move || !email_on()>
            <button type="button" class="secondary" disabled=move || sending.get()
                on:click=move |_| send(None)>{send_label}</button>
        </p>
        <div hidden=move || !asks_address()>
            <label for=format!("{id}-address")>"Use another address"</label>
            <div class="inline-form">
                <input id=format!("{id}-address") name="email" type="email" autocomplete="email"
                    bind:value=other/>
                <button type="button" class="secondary" disabled=move || sending.get()
                    on:click=move |_| {
                        let typed = other.get_untracked();
                        if typed.trim().is_empty() {
                            error.set(Some("Enter the address to send the code to.".into()));
                        } else {
                            send(Some(typed));
                        }
                    }>"Send the code there"</button>
            </div>
        </div>
    }
}
