//! What the form pages share (login, registration, reset, the Account page's sections, the code
//! step): the submit row with its error and progress line, the check of a new password, whether
//! the server asks for a code, and the words for what became of a code's mail.

use leptos::prelude::*;

use crate::{
    browser,
    components::ErrorMessage,
    error::AppError,
    protocol::{
        accounts::{MailDelivery, MailState},
        code, validation,
    },
};

/// Lowest zxcvbn score accepted: 0 and 1 are common or trivially guessable.
const MIN_SCORE: u8 = 2;

/// The end of a form: its error, its progress line, and the submit button
/// (disabled while busy).
#[component]
pub(crate) fn SubmitRow(
    error: RwSignal<Option<String>>,
    busy: RwSignal<Option<&'static str>>,
    label: &'static str,
) -> impl IntoView {
    view! {
        <ErrorMessage error/>
        <Progress busy/>
        <button type="submit" disabled=move || busy.get().is_some()>{label}</button>
    }
}

/// A progress line for slow steps.
#[component]
pub(crate) fn Progress(busy: RwSignal<Option<&'static str>>) -> impl IntoView {
    view! {
        <p class="progress" role="status" aria-live="polite" hidden=move || busy.get().is_none()>
            <span class="spinner" aria-hidden="true"></span>
            {move || busy.get().unwrap_or_default()}
        </p>
    }
}

/// Whether the server answered that the login waits for a code (a second factor, or a code sent
/// to the address), its ticket in a cookie.
pub(crate) fn asks_code(e: &AppError) -> bool {
    e.code() == code::SECOND_FACTOR_REQUIRED || e.code() == code::EMAIL_VERIFICATION_REQUIRED
}

/// What is wrong with a new password and its repetition, if anything: too short, not the same,
/// or too easy to guess (zxcvbn, knowing the username).
pub(crate) fn new_password_problem(
    password: &str,
    confirm: &str,
    username: &str,
) -> Option<String> {
    validation::check_password_length(password)
        .err()
        .or_else(|| (password != confirm).then(|| "The passwords do not match.".into()))
        .or_else(
            || match browser::password_strength(password, &[username, "coffer"]) {
                Some((score, advice)) if score < MIN_SCORE => {
                    Some(format!("This password is too easy to guess. {advice}"))
                }
                _ => None,
            },
        )
}

/// What the last mail's state says to the user.
pub(crate) fn mail_words(mail: &MailState) -> String {
    match mail.delivery {
        MailDelivery::Queued => "Sending the code…".into(),
        MailDelivery::Sent => "Code sent. It is good for 15 minutes.".into(),
        MailDelivery::Retrying => format!(
            "Not sent yet: {} Coffer tries again{}.",
            mail.error
                .as_deref()
                .unwrap_or("the mail server did not take it."),
            mail.next_try_in_seconds
                .map(|s| format!(" in {s} s"))
                .unwrap_or_default()
        ),
        MailDelivery::Failed => format!(
            "The code could not be sent: {} Ask for a new one.",
            mail.error
                .as_deref()
                .unwrap_or("the mail server did not take it.")
        ),
    }
}

/// Whether the mail is still on its way (worth asking again soon).
pub(crate) fn in_flight(mail: Option<&MailState>) -> bool {
    mail.is_some_and(|m| matches!(m.delivery, MailDelivery::Queued | MailDelivery::Retrying))
}
