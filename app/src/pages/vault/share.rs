//! "Share with a user": look the person up, show their safety number and what Coffer knows about
//! their key (with a warning when it changed), and share once the key is compared or the user
//! chose to share without verifying; the key is pinned in the account record as it is used.

use leptos::{ev, html, prelude::*};

use super::{use_vault, FileRow, Modal};
use crate::{
    components::ErrorMessage,
    session::use_session,
    trust::{ChangeReason, KeyStatus},
};

/// What the share dialog learned about the other user's key.
#[derive(Clone, Debug, PartialEq)]
struct Checked {
    username: String,
    public_key: Vec<u8>,
    fingerprint: String,
    status: KeyStatus,
}

impl Checked {
    fn blocked(&self) -> bool {
        matches!(self.status, KeyStatus::Changed { .. })
    }

    /// After a rolled-back or damaged record, confirming must replace it (the user chose to).
    fn force(&self) -> bool {
        matches!(
            self.status,
            KeyStatus::Changed {
                why: ChangeReason::RecordRolledBack | ChangeReason::RecordDamaged,
                ..
            }
        )
    }
}

/// The warning for a blocked share, in words.
fn change_warning(username: &str, why: ChangeReason) -> (String, String) {
    match why {
        ChangeReason::KeyDiffers => (
            format!("{username}'s key has changed."),
            format!(
                " The key Coffer now shows for {username} is not the one you saw before. This \
                 happens when they reset their account, or when someone is trying to read what \
                 you share. Sharing is blocked until you compare the new safety number with \
                 {username} in person or on a call."
            ),
        ),
        ChangeReason::SharedBeforeWithAnotherKey => (
            format!("{username}'s key has changed."),
            format!(
                " You shared with {username} before, using a different key than the one Coffer \
                 shows now, and your contact list no longer has it. Sharing is blocked until you \
                 compare the new safety number with {username}."
            ),
        ),
        ChangeReason::RecordRolledBack => (
            format!("Coffer cannot confirm {username}'s key."),
            format!(
                " Your contact list is older than one this browser has seen, so a key you trusted \
                 for {username} may have been removed. Sharing is blocked until you compare the \
                 safety number with {username}."
            ),
        ),
        ChangeReason::RecordDamaged => (
            format!("Coffer cannot confirm {username}'s key."),
            format!(
                " Your contact list could not be opened: it was damaged or tampered with. Sharing \
                 is blocked until you compare the safety number with {username}; confirming \
                 starts a new contact list."
            ),
        ),
    }
}

/// What the look-up and the grant form share. The form is drawn afresh whenever `checked`
/// changes (confirming a changed key redraws it as verified); the tick and the chosen end of
/// access live here so that redraw keeps them (a new look-up clears the tick only).
#[derive(Clone, Copy)]
struct GrantState {
    checked: RwSignal<Option<Checked>>,
    compared: RwSignal<bool>,
    ends: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

/// The dialog: the username form; once a key was found, the grant form below it.
#[component]
pub(super) fn ShareDialog(row: FileRow) -> impl IntoView {
    let session = use_session();
    let username = RwSignal::new(String::new());
    let state = GrantState {
        checked: RwSignal::new(None),
        compared: RwSignal::new(false),
        ends: RwSignal::new("never".to_string()),
        error: RwSignal::new(None),
        busy: RwSignal::new(false),
    };
    let GrantState {
        checked,
        compared,
        error,
        busy,
        ..
    } = state;
    let input: NodeRef<html::Input> = NodeRef::new();
    let title = format!("Share “{}”", row.name);

    let on_look_up = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let name = username.get_untracked().trim().to_string();
        if name.is_empty() {
            error.set(Some(
                "Enter the username of the person to share with.".into(),
            ));
            return;
        }
        error.set(None);
        checked.set(None);
        compared.set(false);
        busy.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use crate::client::sharing::look_up;
            let Some(keys) = session.keys() else { return };
            match look_up(&keys, &name).await {
                Ok(found)
                    if crate::protocol::validation::normalize_username(&keys.username)
                        .ok()
                        .as_deref()
                        == Some(found.username.as_str()) =>
                {
                    error.set(Some("This is your own account; pick someone else.".into()));
                }
                Ok(found) => checked.set(Some(Checked {
                    fingerprint: found.public_key.fingerprint(),
                    public_key: found.public_key.to_bytes(),
                    username: found.username,
                    status: found.status,
                })),
                Err(e) => error.set(Some(look_up_failure(&name, &e))),
            }
            busy.set(false);
            // The disabled "Look up" button lost focus: give it to the name, to correct it.
            if error.get_untracked().is_some() {
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (session, input);
    };

    view! {
        <Modal title focus=input>
            <form on:submit=on_look_up>
                <label for="share-username">"Username"</label>
                <input id="share-username" type="text" required autocomplete="off" bind:value=username node_ref=input/>
                <div class="button-row">
                    <button type="submit" class="secondary" disabled=move || busy.get()>"Look up"</button>
                    // Until a key is found; then the grant form's row has the one Cancel.
                    <Show when=move || checked.with(Option::is_none)>
                        <CancelButton/>
                    </Show>
                </div>
            </form>
            <ErrorMessage error/>
            {move || checked.get().map(|found| view! { <GrantForm row=row.clone() found state/> })}
        </Modal>
    }
}

/// What a button of the grant form does: pin the shown key (confirming a change, or remembering
/// the choice on a first share), then share unless only confirming.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    /// Confirm a changed key after comparing (no share yet).
    TrustNewKey,
    /// Share; on a first share, with a compared (verified) key.
    Share,
    /// Share on a first share without comparing, remembered as such.
    ShareUnverified,
}

/// Below the key's facts: when access ends, the "I compared" tick, and the buttons that share
/// or confirm a changed key.
#[component]
fn GrantForm(row: FileRow, found: Checked, state: GrantState) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let GrantState {
        checked,
        compared,
        ends,
        error,
        busy,
    } = state;

    let act = move |what: Act| {
        let Some(c) = checked.get_untracked() else {
            return;
        };
        let mark_verified = compared.get_untracked();
        let ends_after = ends.get_untracked().parse::<i64>().ok();
        busy.set(true);
        error.set(None);
        let row = row.clone();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use crate::client::sharing::{grant, pin};
            use coffer_crypto::Trust;
            let Some(keys) = session.keys() else { return };
            let Ok(public_key) = coffer_crypto::PublicKey::from_bytes(&c.public_key) else {
                return;
            };
            let trust = match (what, &c.status) {
                (Act::ShareUnverified, _) => Some(Trust::Accepted),
                (_, KeyStatus::Verified) => None,
                (_, KeyStatus::Accepted) if !mark_verified => None,
                _ if mark_verified => Some(Trust::Verified),
                // Never reached: the buttons need the tick otherwise.
                _ => None,
            };
            if let Some(trust) = trust {
                if let Err(e) = pin(&keys, &c.username, &public_key, trust, c.force()).await {
                    error.set(Some(e.message()));
                    busy.set(false);
                    return;
                }
            }
            if what == Act::TrustNewKey {
                checked.set(Some(Checked {
                    status: KeyStatus::Verified,
                    ..c
                }));
                busy.set(false);
                return;
            }
            let Some(key) = super::actions::file_key(&keys, &row) else {
                error.set(Some("This file's key could not be opened.".into()));
                busy.set(false);
                return;
            };
            let expires_at = ends_after.map(|s| js_sys::Date::now() as i64 + s * 1000);
            match grant(&keys, &row.id, &key, &c.username, &public_key, expires_at).await {
                Ok(_) => {
                    vault
                        .notice
                        .set(Some(format!("Shared “{}” with {}.", row.name, c.username)));
                    vault.dialog.set(None);
                }
                Err(e) => {
                    error.set(Some(e.message()));
                    busy.set(false);
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (row, mark_verified, c, what, ends_after, session, vault);
    };
    let act = StoredValue::new(act);

    let blocked = found.blocked();
    let first_share = matches!(found.status, KeyStatus::FirstShare { .. });
    view! {
        <div class="key-check">
            <KeyFacts found=found.clone()/>
            <label for="share-ends">"Access ends"</label>
            // The choice is kept across a redraw (a confirmed key change), so the list shows it.
            <select id="share-ends" on:change=move |ev| ends.set(event_target_value(&ev))>
                {[
                    ("never", "Never (until you revoke it)"),
                    ("86400", "After 1 day"),
                    ("604800", "After 7 days"),
                    ("2592000", "After 30 days"),
                ]
                    .into_iter()
                    .map(|(value, label)| {
                        view! {
                            <option value=value selected=ends.get_untracked() == value>
                                {label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label class="checkbox">
                <input type="checkbox" bind:checked=compared/>
                {format!("I compared this safety number with {}", found.username)}
            </label>
            <div class="button-row">
                {if blocked {
                    view! {
                        <button type="button" disabled=move || busy.get() || !compared.get()
                            on:click=move |_| act.with_value(|a| a(Act::TrustNewKey))>"Trust the new key"</button>
                    }.into_any()
                } else if first_share {
                    view! {
                        <button type="button" disabled=move || busy.get() || !compared.get()
                            on:click=move |_| act.with_value(|a| a(Act::Share))>"Share"</button>
                        <button type="button" class="secondary" disabled=move || busy.get()
                            on:click=move |_| act.with_value(|a| a(Act::ShareUnverified))>"Share without verifying"</button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" disabled=move || busy.get()
                            on:click=move |_| act.with_value(|a| a(Act::Share))>"Share"</button>
                    }.into_any()
                }}
                <CancelButton/>
            </div>
        </div>
    }
}

/// Closes the dialog without sharing.
#[component]
fn CancelButton() -> impl IntoView {
    let vault = use_vault();
    view! {
        <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Cancel"</button>
    }
}

/// Why the look-up failed, in words: a name nobody has is said as such (the generic words for
/// a 404 are about files and uploads).
#[cfg(feature = "hydrate")]
fn look_up_failure(name: &str, e: &crate::client::http::HttpError) -> String {
    use crate::client::http::HttpError;
    match e {
        HttpError::Status { status: 404, .. } => {
            format!("No Coffer user is called ‘{name}’. Check the spelling.")
        }
        e => e.message(),
    }
}

/// What Coffer knows about the key that was found: a warning if it changed, the safety number,
/// and whether it was compared or shared with before.
#[component]
fn KeyFacts(found: Checked) -> impl IntoView {
    let warning = match &found.status {
        KeyStatus::Changed { pinned, why } => {
            let (headline, words) = change_warning(&found.username, *why);
            let before = pinned.as_ref().map(|k| k.fingerprint());
            Some(view! {
                <div class="error" role="alert" data-testid="key-changed">
                    <strong>{headline}</strong>
                    {words}
                    {before.map(|old| view! { <p class="fingerprint">"Before: "{old}</p> })}
                </div>
            })
        }
        _ => None,
    };
    let status_words = match &found.status {
        KeyStatus::Verified => "You marked this key as verified.".to_string(),
        KeyStatus::Accepted => format!(
            "You shared with {} before without comparing safety numbers.",
            found.username
        ),
        KeyStatus::FirstShare { .. } => format!(
            "You have not shared with {} before. Compare this safety number with the one \
             they see on their Account page (in person or on a call), or share without \
             verifying.",
            found.username
        ),
        KeyStatus::Changed { .. } => format!(
            "Compare it with the one {} sees on their Account page.",
            found.username
        ),
    };
    view! {
        {warning}
        <p>{format!("Safety number for {}:", found.username)}</p>
        <p class="fingerprint" data-testid="share-fingerprint">{found.fingerprint}</p>
        <p class="muted" data-testid="key-status">{status_words}</p>
    }
}
