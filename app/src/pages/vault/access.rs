//! "Who has access": the people and links a file is shared with, revoking them, copying a link
//! again (from its secret sealed under the account key; older links cannot be), and
//! re-encrypting the file with a new key.

use leptos::prelude::*;

use super::{use_vault, FileRow, Modal};
use crate::{
    components::{CopyButton, ErrorMessage},
    protocol::sharing::{GrantInfo, LinkInfo},
    session::use_session,
};

/// A link as the owner's list shows it: its facts and, where its secret was kept for the owner,
/// its whole URL again.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct LinkRow {
    info: LinkInfo,
    /// `Some(url)`, or `None` with the reason in `why_not`.
    url: Option<String>,
    why_not: &'static str,
}

#[cfg(feature = "hydrate")]
fn link_row(keys: Option<&crate::keyring::UnlockedKeys>, file_id: &str, info: LinkInfo) -> LinkRow {
    use crate::client::sharing::{link_again, LinkAgain};
    let again = keys.map_or(LinkAgain::Unreadable, |k| link_again(k, file_id, &info));
    let (url, why_not) = match again {
        LinkAgain::Url(url) => (Some(url), ""),
        LinkAgain::Older => (
            None,
            "This link was made before Coffer could show links again: it cannot be copied.",
        ),
        LinkAgain::Unreadable => (
            None,
            "This link's key does not open with your account: it cannot be copied.",
        ),
    };
    LinkRow { info, url, why_not }
}

/// The id of the element showing a link's URL (what its Copy button selects where copying is
/// refused). `CopyButton` takes a `&'static str`, so each link id's element id is made once and
/// kept for the page's life (a few dozen bytes per link shown).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn url_element_id(link_id: &str) -> &'static str {
    thread_local! {
        static IDS: std::cell::RefCell<std::collections::HashMap<String, &'static str>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    IDS.with(|ids| {
        *ids.borrow_mut()
            .entry(link_id.to_string())
            .or_insert_with(|| Box::leak(format!("link-url-{link_id}").into_boxed_str()))
    })
}

#[component]
pub(super) fn AccessDialog(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let revoked = RwSignal::new(None::<String>);
    let grants = RwSignal::new(Vec::<GrantInfo>::new());
    let links = RwSignal::new(Vec::<LinkRow>::new());
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
                            let keys = session.keys();
                            links.set(
                                l.into_iter()
                                    .map(|info| link_row(keys.as_deref(), &file_id, info))
                                    .collect(),
                            );
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
                        {move || links.get().into_iter().map(|row| {
                            let l = &row.info;
                            let id = l.link_id.clone();
                            let short = format!("…{}", &l.link_id[l.link_id.len().saturating_sub(6)..]);
                            let left = match l.remaining {
                                Some(1) => "1 download left".to_string(),
                                Some(n) => format!("{n} downloads left"),
                                None => "unlimited downloads".into(),
                            };
                            let until = l.expires_at.map(|t| format!("expires {}", super::model::human_date(t))).unwrap_or_else(|| "no expiry".into());
                            let pw = if l.has_password { " · password" } else { "" };
                            let named = if l.show_sender { " · shows your name" } else { "" };
                            let element = url_element_id(&l.link_id);
                            let copy = match row.url.clone() {
                                Some(url) => view! {
                                    <p class="link-url" id=element data-testid="link-again">{url.clone()}</p>
                                    <CopyButton text=url of=element what=format!("Copy link {short}")/>
                                }.into_any(),
                                None => view! {
                                    <p class="muted link-not-again" data-testid="link-not-again">{row.why_not}</p>
                                }.into_any(),
                            };
                            view! {
                                <li data-testid="link" class="link-row">
                                    <span class="muted">{short.clone()}</span>
                                    <span data-testid="link-facts">{format!("{left} · {until}{pw}{named}")}</span>
                                    <button type="button" class="link-button" aria-label=format!("Revoke link {short}")
                                        on:click=move |_| revoke_link.with_value(|f| f(id.clone()))>"Revoke"</button>
                                    {copy}
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
