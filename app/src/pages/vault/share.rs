//! Sharing dialogs on the vault page: share with a user (with key pinning), create a link, and
//! see or revoke who has access.

use leptos::{ev, html, prelude::*};

use super::{use_vault, FileRow, Modal};
use crate::{
    components::ErrorMessage,
    protocol::sharing::{GrantInfo, LinkInfo},
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

#[component]
pub(super) fn ShareDialog(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let username = RwSignal::new(String::new());
    let checked = RwSignal::new(None::<Checked>);
    let compared = RwSignal::new(false);
    let ends = RwSignal::new("never".to_string());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
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
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = session;
    };

    // What a button does: pin the shown key (confirming a change, or remembering the choice on
    // a first share), then share unless only confirming.
    #[derive(Clone, Copy, PartialEq)]
    enum Act {
        /// Confirm a changed key after comparing (no share yet).
        TrustNewKey,
        /// Share; on a first share, with a compared (verified) key.
        Share,
        /// Share on a first share without comparing, remembered as such.
        ShareUnverified,
    }
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
        let _ = (row, mark_verified, c, what, ends_after);
    };
    let act = StoredValue::new(act);

    view! {
        <Modal title focus=input>
            <form on:submit=on_look_up>
                <label for="share-username">"Username"</label>
                <input id="share-username" type="text" required autocomplete="off" bind:value=username node_ref=input/>
                <div class="button-row">
                    <button type="submit" class="secondary" disabled=move || busy.get()>"Look up"</button>
                </div>
            </form>
            <ErrorMessage error/>
            {move || checked.get().map(|c| {
                let blocked = c.blocked();
                let first_share = matches!(c.status, KeyStatus::FirstShare { .. });
                let warning = match &c.status {
                    KeyStatus::Changed { pinned, why } => {
                        let (headline, words) = change_warning(&c.username, *why);
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
                let status_words = match &c.status {
                    KeyStatus::Verified => "You marked this key as verified.".to_string(),
                    KeyStatus::Accepted => format!(
                        "You shared with {} before without comparing safety numbers.", c.username),
                    KeyStatus::FirstShare { .. } => format!(
                        "You have not shared with {} before. Compare this safety number with the one \
                         they see on their Account page (in person or on a call), or share without \
                         verifying.", c.username),
                    KeyStatus::Changed { .. } => format!(
                        "Compare it with the one {} sees on their Account page.", c.username),
                };
                view! {
                    <div class="key-check">
                        {warning}
                        <p>{format!("Safety number for {}:", c.username)}</p>
                        <p class="fingerprint" data-testid="share-fingerprint">{c.fingerprint.clone()}</p>
                        <p class="muted" data-testid="key-status">{status_words}</p>
                        <label for="share-ends">"Access ends"</label>
                        <select id="share-ends" on:change=move |ev| ends.set(event_target_value(&ev))>
                            <option value="never" selected>"Never (until you revoke it)"</option>
                            <option value="86400">"After 1 day"</option>
                            <option value="604800">"After 7 days"</option>
                            <option value="2592000">"After 30 days"</option>
                        </select>
                        <label class="checkbox">
                            <input type="checkbox" bind:checked=compared/>
                            {format!("I compared this safety number with {}", c.username)}
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
                            <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }
            })}
        </Modal>
    }
}

const EXPIRY_CHOICES: [(&str, &str); 6] = [
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("604800", "7 days"),
    ("2592000", "30 days"),
    ("custom", "Custom…"),
    ("never", "Never"),
];
const LIMIT_CHOICES: [(&str, &str); 5] = [
    ("1", "1 download"),
    ("5", "5 downloads"),
    ("10", "10 downloads"),
    ("100", "100 downloads"),
    ("unlimited", "Unlimited"),
];

#[component]
pub(super) fn LinkDialog(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let expiry = RwSignal::new("604800".to_string());
    let custom = RwSignal::new(String::new());
    let limit = RwSignal::new("5".to_string());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let url = RwSignal::new(None::<String>);
    let title = format!("Create a link to “{}”", row.name);

    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        #[cfg(feature = "hydrate")]
        {
            let now = js_sys::Date::now() as i64;
            let expires_at = match expiry.get_untracked().as_str() {
                "never" => None,
                "custom" => {
                    let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(
                        &custom.get_untracked(),
                    ));
                    let ms = when.get_time();
                    if ms.is_nan() || (ms as i64) <= now {
                        error.set(Some("Choose a date and time in the future.".into()));
                        return;
                    }
                    Some(ms as i64)
                }
                seconds => seconds.parse::<i64>().ok().map(|s| now + s * 1000),
            };
            let max_downloads = limit.get_untracked().parse::<u32>().ok();
            let pw = password.get_untracked();
            let row = row.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                crate::browser::next_paint().await;
                let Some(keys) = session.keys() else { return };
                let Some(key) = super::actions::file_key(&keys, &row) else {
                    error.set(Some("This file's key could not be opened.".into()));
                    busy.set(false);
                    return;
                };
                let pw = (!pw.is_empty()).then_some(pw);
                match crate::client::sharing::create_link(
                    &keys,
                    &row.id,
                    &key,
                    expires_at,
                    max_downloads,
                    pw.as_deref(),
                )
                .await
                {
                    Ok(link) => url.set(Some(link)),
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&row, session, &custom, &limit, &password, &url, &busy);
    };

    view! {
        <Modal title>
            <Show when=move || url.get().is_none() fallback=move || view! {
                <label for="link-url">"Link"</label>
                <input id="link-url" type="text" readonly data-testid="link-url" prop:value=move || url.get().unwrap_or_default()/>
                <p class="muted">"Copy it now: Coffer cannot show it again. The part after “#” is the key; \
                    it stays in this browser and never reaches the server. Anyone with the link (and the \
                    password, if you set one) can download the file until it expires or runs out."</p>
                <div class="button-row">
                    <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Done"</button>
                </div>
            }>
                <form on:submit=on_submit.clone()>
                    <label for="link-expiry">"Expires after"</label>
                    <select id="link-expiry" on:change=move |ev| expiry.set(event_target_value(&ev))>
                        {EXPIRY_CHOICES.iter().map(|(v, l)| view! {
                            <option value=*v selected=move || expiry.get() == *v>{*l}</option>
                        }).collect_view()}
                    </select>
                    <Show when=move || expiry.get() == "custom">
                        <label for="link-custom">"Expiry date and time"</label>
                        <input id="link-custom" type="datetime-local" bind:value=custom/>
                    </Show>
                    <label for="link-limit">"Download limit"</label>
                    <select id="link-limit" on:change=move |ev| limit.set(event_target_value(&ev))>
                        {LIMIT_CHOICES.iter().map(|(v, l)| view! {
                            <option value=*v selected=move || limit.get() == *v>{*l}</option>
                        }).collect_view()}
                    </select>
                    <label for="link-password">"Password (optional)"</label>
                    <input id="link-password" type="password" autocomplete="new-password" bind:value=password/>
                    <p class="help">"Send the password another way than the link."</p>
                    <ErrorMessage error/>
                    <div class="button-row">
                        <button type="submit" disabled=move || busy.get()>"Create link"</button>
                        <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Cancel"</button>
                    </div>
                </form>
            </Show>
        </Modal>
    }
}

#[component]
pub(super) fn AccessDialog(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let revoked = RwSignal::new(None::<String>);
    let grants = RwSignal::new(Vec::<GrantInfo>::new());
    let links = RwSignal::new(Vec::<LinkInfo>::new());
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let refresh = RwSignal::new(0u32);
    let file_id = row.id.clone();
    {
        let file_id = file_id.clone();
        Effect::new(move |_| {
            refresh.get();
            #[cfg(feature = "hydrate")]
            {
                let file_id = file_id.clone();
                leptos::task::spawn_local(async move {
                    match crate::client::sharing::access(&file_id).await {
                        Ok((g, l)) => {
                            grants.set(g);
                            links.set(l);
                        }
                        Err(e) => error.set(Some(e.message())),
                    }
                    loaded.set(true);
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = &file_id;
        });
    }
    let revoke_grant = {
        let file_id = file_id.clone();
        move |grantee: String| {
            let file_id = file_id.clone();
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(async move {
                match crate::client::sharing::revoke_grant(&file_id, &grantee).await {
                    Ok(()) => revoked.set(Some(grantee)),
                    Err(e) => error.set(Some(e.message())),
                }
                refresh.update(|n| *n += 1);
            });
            #[cfg(not(feature = "hydrate"))]
            let _ = (file_id, grantee);
        }
    };
    let revoke_link = move |link_id: String| {
        let file_id = file_id.clone();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::client::sharing::revoke_link(&file_id, &link_id).await {
                Ok(()) => revoked.set(Some("the link".into())),
                Err(e) => error.set(Some(e.message())),
            }
            refresh.update(|n| *n += 1);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (file_id, link_id);
    };
    let revoke_grant = StoredValue::new(revoke_grant);
    let revoke_link = StoredValue::new(revoke_link);
    let reencrypt_row = row.clone();
    let reencrypt = move |_| {
        let row = reencrypt_row.clone();
        vault.dialog.set(None);
        #[cfg(feature = "hydrate")]
        super::actions::start_reencrypt(vault, session, row);
        #[cfg(not(feature = "hydrate"))]
        let _ = (row, session);
    };
    view! {
        <Modal title=format!("Who has access to “{}”", row.name)>
            <p class="muted">"Revoking stops future downloads from Coffer. Whoever already had the key \
                can still read the version they saw (a copy they downloaded, or the file with the key \
                they hold): to stop that, re-encrypt the file with a new key."</p>
            {move || revoked.get().map(|who| view! {
                <p class="notice" role="status" data-testid="revoked-note">{format!(
                    "Revoked {who}. Anyone who already had the key can still read the version they \
                     saw. Re-encrypt with a new key so they cannot read it again.")}</p>
            })}
            <ErrorMessage error/>
            <Show when=move || loaded.get() fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <h3>"People"</h3>
                <Show when=move || !grants.read().is_empty() fallback=|| view! { <p class="muted">"Not shared with anyone."</p> }>
                    <ul class="access-list">
                        {move || grants.get().into_iter().map(|g| {
                            let who = g.grantee.clone();
                            view! {
                                <li data-testid="grant">
                                    <span>{g.grantee.clone()}</span>
                                    <span class="muted">{match g.expires_at {
                                        Some(t) => format!("since {} · until {}", super::model::human_date(g.created_at), super::model::human_date(t)),
                                        None => format!("since {}", super::model::human_date(g.created_at)),
                                    }}</span>
                                    <button type="button" class="link-button" aria-label=format!("Revoke access for {}", g.grantee)
                                        on:click=move |_| revoke_grant.with_value(|f| f(who.clone()))>"Revoke"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </Show>
                <h3>"Links"</h3>
                <Show when=move || !links.read().is_empty() fallback=|| view! { <p class="muted">"No active links."</p> }>
                    <ul class="access-list">
                        {move || links.get().into_iter().map(|l| {
                            let id = l.link_id.clone();
                            let left = l.remaining.map(|n| format!("{n} downloads left")).unwrap_or_else(|| "unlimited downloads".into());
                            let until = l.expires_at.map(|t| format!("expires {}", super::model::human_date(t))).unwrap_or_else(|| "no expiry".into());
                            let pw = if l.has_password { " · password" } else { "" };
                            view! {
                                <li data-testid="link">
                                    <span class="muted">{format!("…{}", &l.link_id[l.link_id.len().saturating_sub(6)..])}</span>
                                    <span>{format!("{left} · {until}{pw}")}</span>
                                    <button type="button" class="link-button" aria-label=format!("Revoke link …{}", &l.link_id[l.link_id.len().saturating_sub(6)..])
                                        on:click=move |_| revoke_link.with_value(|f| f(id.clone()))>"Revoke"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </Show>
            </Show>
            <div class="button-row">
                <button type="button" class="secondary" on:click=reencrypt
                    title="New file key; the people listed keep access, links stop working">
                    "Re-encrypt with a new key"
                </button>
                <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Close"</button>
            </div>
        </Modal>
    }
}
