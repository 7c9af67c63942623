//! Email on the Account page: an address confirmed by a code sent to it, what became of the
//! last mail (a send that failed says so, and when Coffer tries again), and codes by email at
//! login. Without a mail server on this Coffer, the section says so and offers nothing else.

use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    api,
    components::{explain, ErrorMessage},
    error::AppError,
    pages::forms::{in_flight, mail_words, Progress},
    protocol::accounts::EmailStatus,
    session::use_session,
};

use super::two_step::RecoveryCodes;

#[component]
pub(super) fn Email() -> impl IntoView {
    let session = use_session();
    let status = RwSignal::new(None::<EmailStatus>);
    let load_error = RwSignal::new(None::<String>);
    let refresh = RwSignal::new(0u32);
    let fresh_codes = RwSignal::new(None::<Vec<String>>);
    Effect::new(move |_| {
        refresh.get();
        leptos::task::spawn_local(async move {
            match api::email_overview().await {
                Ok(s) => {
                    let again = in_flight(s.last_mail.as_ref());
                    status.set(Some(s));
                    load_error.set(None);
                    if again {
                        // Follow the mail until it is sent or given up.
                        set_timeout(
                            move || refresh.update(|n| *n += 1),
                            std::time::Duration::from_secs(2),
                        );
                    }
                }
                Err(e) => load_error.set(Some(explain(session, e))),
            }
        });
    });
    view! {
        <section class="card" aria-labelledby="email-title" data-testid="email">
            <h2 id="email-title">"Email"</h2>
            {move || fresh_codes.get().map(|codes| view! {
                <RecoveryCodes codes fresh_codes
                    intro="Codes by email are on. Save these recovery codes now: each works once \
                        if you cannot reach your mailbox. They are not shown again."/>
            })}
            <ErrorMessage error=load_error/>
            {move || status.get().map(|s| {
                if !s.available {
                    view! {
                        <p class="muted" data-testid="email-off">"Email is not set up on this \
                            Coffer: its operator has not configured a mail server. Everything else \
                            works without it."</p>
                    }.into_any()
                } else {
                    view! { <EmailForms s refresh fresh_codes/> }.into_any()
                }
            })}
        </section>
    }
}

/// One step of the forms below, run by `act`.
type Action = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>>>>;

#[component]
fn EmailForms(
    s: EmailStatus,
    refresh: RwSignal<u32>,
    fresh_codes: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let session = use_session();
    let address = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<&'static str>);
    // One way to run an action: busy line, error in words, status again afterwards.
    let act = move |label: &'static str, fut: Action| {
        error.set(None);
        leptos::task::spawn_local(async move {
            busy.set(Some(label));
            let result = fut.await;
            busy.set(None);
            match result {
                Ok(()) => refresh.update(|n| *n += 1),
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };
    let set_address = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = address.get_untracked();
        act(
            "Sending a code…",
            Box::pin(async move {
                api::email_set(typed).await?;
                address.set(String::new());
                Ok(())
            }),
        );
    };
    let verify = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked();
        act(
            "Checking the code…",
            Box::pin(async move {
                api::email_verify(typed).await?;
                code.set(String::new());
                Ok(())
            }),
        );
    };
    let resend = move |_| {
        act(
            "Sending a new code…",
            Box::pin(async move { api::email_resend().await.map(drop) }),
        )
    };
    let codes_on = move |_| {
        act(
            "Turning codes by email on…",
            Box::pin(async move {
                let codes = api::email_codes_on().await?;
                if !codes.is_empty() {
                    fresh_codes.set(Some(codes));
                }
                Ok(())
            }),
        )
    };
    let codes_off = move |ev: SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        act(
            "Checking your password…",
            Box::pin(async move {
                let auth_key = super::auth_key_of(&pw).await?;
                api::email_codes_off(auth_key).await?;
                password.set(String::new());
                Ok(())
            }),
        );
    };
    let remove = move |ev: SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        act(
            "Checking your password…",
            Box::pin(async move {
                let auth_key = super::auth_key_of(&pw).await?;
                api::email_remove(auth_key).await?;
                password.set(String::new());
                Ok(())
            }),
        );
    };
    let needs_password = s.address.is_some();
    let pending = s.address.is_some() && !s.verified;
    let mail = s.last_mail.clone().filter(|_| pending);
    view! {
        <p data-testid="email-state">
            {match (&s.address, s.verified) {
                (None, _) => "No address. With one, Coffer can send you codes for logging in."
                    .to_string(),
                (Some(a), true) => format!("{a} (confirmed)."),
                (Some(a), false) => format!("{a} (not confirmed yet)."),
            }}
            {s.required.then_some(" This Coffer asks every account for a confirmed address.")}
        </p>
        {mail.map(|m| view! { <p role="status" data-testid="email-mail">{mail_words(&m)}</p> })}
        {pending.then(|| view! {
            <form class="inline-form" on:submit=verify novalidate>
                <label for="email-code">"The 6-digit code from the mail"</label>
                <input id="email-code" name="code" type="text" inputmode="numeric"
                    autocomplete="one-time-code" maxlength="6" required bind:value=code/>
                <button type="submit" disabled=move || busy.get().is_some()>"Confirm"</button>
                <button type="button" class="secondary" on:click=resend
                    disabled=move || busy.get().is_some()>"Send a new code"</button>
            </form>
        })}
        {(!s.login_codes).then(|| view! {
            <form class="inline-form" on:submit=set_address novalidate>
                <label for="email-address">
                    {if s.address.is_some() { "Another address" } else { "Email address" }}
                </label>
                <input id="email-address" name="email" type="email" autocomplete="email"
                    required bind:value=address/>
                <button type="submit" disabled=move || busy.get().is_some()>"Send a code"</button>
            </form>
        })}
        {(s.verified && !s.login_codes).then(|| view! {
            <p>
                <button type="button" on:click=codes_on disabled=move || busy.get().is_some()>
                    "Ask for a code by email at every login"
                </button>
            </p>
        })}
        {s.login_codes.then(|| view! {
            <p data-testid="email-codes-state"><strong>"Codes by email are on"</strong>": every \
                login asks for a code sent to this address."</p>
        })}
        {needs_password.then(|| view! {
            <form class="inline-form" novalidate
                on:submit=move |ev: SubmitEvent| if s.login_codes { codes_off(ev) } else { remove(ev) }>
                <label for="email-password">"Password"</label>
                <input id="email-password" name="password" type="password"
                    autocomplete="current-password" required bind:value=password/>
                <button type="submit" class="secondary" disabled=move || busy.get().is_some()>
                    {if s.login_codes { "Turn codes by email off" } else { "Remove the address" }}
                </button>
            </form>
        })}
        <ErrorMessage error/>
        <Progress busy/>
    }
}
