//! "Shared with me": files other users shared with this account, checked and decrypted here.
//!
//! A share is listed as coming from someone only if `crate::trust::check_shared_file` says so:
//! the sharer's key is the one pinned for that name (pinned now, the first time) and both the
//! grant and the file version are signed with it. Shares made by format v1 are listed apart, as
//! unverified; shares that fail a check are listed apart with the reason and cannot be downloaded.

use leptos::{ev, prelude::*};
use leptos_meta::Title;

use super::vault::{
    model::{human_date, FileRow, RefusedShare},
    use_vault, Transfers, Vault,
};
use crate::{
    components::RequireUnlocked, protocol::human_bytes, session::use_session, trust::SharerTrust,
};

/// The page.
#[component]
pub fn SharedPage() -> impl IntoView {
    view! {
        <Title text="Shared with me · Coffer"/>
        <RequireUnlocked>
            <SharedView/>
        </RequireUnlocked>
    }
}

/// The lists on this page beyond the vault's own `files` (the genuine shares).
#[derive(Clone, Copy)]
struct Apart {
    /// Shares made by format v1: they open, but nobody can vouch for them.
    legacy: RwSignal<Vec<FileRow>>,
    /// Shares that failed a check.
    refused: RwSignal<Vec<RefusedShare>>,
}

#[cfg(feature = "hydrate")]
fn load(vault: Vault, apart: Apart, session: crate::session::Session) {
    leptos::task::spawn_local(async move {
        use crate::{
            client::{
                account_record,
                http::{self, NO_BODY},
                sharing::pin_seen,
            },
            protocol::sharing::SharedList,
            trust::{check_shared_file, SharedCheck},
        };
        use coffer_crypto::ContentBinding;
        let Some(keys) = session.keys() else { return };
        let state = match account_record::load(&keys).await {
            Ok(loaded) => loaded.state,
            Err(e) => {
                vault.load_error.set(Some(e.message()));
                vault.loaded.set(true);
                return;
            }
        };
        match http::json::<SharedList>("GET", "/api/shared", NO_BODY).await {
            Ok(list) => {
                let (mut genuine, mut legacy, mut refused, mut new_pins) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for f in &list.files {
                    match check_shared_file(&keys, &state, f) {
                        SharedCheck::Genuine {
                            metadata,
                            content,
                            trust,
                            pin_now,
                            ..
                        } => {
                            genuine.push(super::vault::actions::shared_row(
                                f,
                                &metadata,
                                content,
                                Some(trust),
                            ));
                            // The same sharer may appear on several files; pin once.
                            if let Some(pin) = pin_now {
                                if !new_pins.iter().any(|p: &coffer_crypto::PinnedContact| {
                                    p.username == pin.username
                                }) {
                                    new_pins.push(pin);
                                }
                            }
                        }
                        SharedCheck::Legacy { metadata, .. } => {
                            legacy.push(super::vault::actions::shared_row(
                                f,
                                &metadata,
                                ContentBinding::Unbound,
                                None,
                            ))
                        }
                        SharedCheck::Refused(why) => refused.push(RefusedShare {
                            id: f.id.clone(),
                            sharer: f.sharer.clone(),
                            why: why.message(&f.sharer),
                        }),
                    }
                }
                vault.files.set(genuine);
                apart.legacy.set(legacy);
                apart.refused.set(refused);
                vault.load_error.set(None);
                if let Err(e) = pin_seen(&keys, new_pins).await {
                    vault.notice.set(Some(format!(
                        "Coffer could not remember the senders' keys: {}",
                        e.message()
                    )));
                }
            }
            Err(e) => vault.load_error.set(Some(e.message())),
        }
        vault.loaded.set(true);
    });
}

#[component]
fn SharedView() -> impl IntoView {
    let vault = Vault::new();
    provide_context(vault);
    let apart = Apart {
        legacy: RwSignal::new(Vec::new()),
        refused: RwSignal::new(Vec::new()),
    };
    let session = use_session();
    // Coffer answers again after an outage: a list that failed to load loads again, and
    // "Could not reach Coffer" goes (the vault page's mechanism, `pwa::when_server_back`).
    #[cfg(feature = "hydrate")]
    crate::pwa::when_server_back(move || {
        let Some(load_error) = vault.load_error.try_get_untracked() else {
            return;
        };
        let unreachable = crate::client::http::HttpError::Network.message();
        if vault.notice.try_get_untracked().flatten().as_ref() == Some(&unreachable) {
            vault.notice.set(None);
        }
        if load_error.is_some() {
            vault.load_error.set(None);
            load(vault, apart, session);
        }
    });
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        load(vault, apart, session);
        #[cfg(not(feature = "hydrate"))]
        let _ = session;
    });
    view! {
        <section class="vault">
            <h1>"Shared with me"</h1>
            <p class="muted">"Files other people shared with you. Names and contents are decrypted in this browser, and Coffer checks each one was signed by the person it names."</p>
            <p class="notice" role="status" hidden=move || vault.notice.get().is_none()>
                {move || vault.notice.get().unwrap_or_default()}
            </p>
            <crate::components::ErrorMessage error=vault.load_error/>
            <Transfers/>
            <Show when=move || vault.loaded.get() fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <Show when=move || !vault.files.read().is_empty() || !apart.legacy.read().is_empty() || !apart.refused.read().is_empty() fallback=|| view! {
                    <div class="empty-state" data-testid="shared-empty"><h2>"Nothing shared with you yet"</h2></div>
                }>
                    <Show when=move || !vault.files.read().is_empty()>
                        <table class="files">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"From"</th>
                                <th scope="col">"Size"</th><th scope="col">"Shared"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                <For each=move || vault.files.get() key=|r| r.id.clone()
                                    children=move |row| view! { <SharedRow row verified=true/> }/>
                            </tbody>
                        </table>
                    </Show>
                    <Unverifiable apart/>
                </Show>
            </Show>
        </section>
    }
}

/// Shares Coffer cannot vouch for: v1 shares (downloadable as unverified) and refused ones.
#[component]
fn Unverifiable(apart: Apart) -> impl IntoView {
    let vault = use_vault();
    view! {
        <Show when=move || !apart.legacy.read().is_empty() || !apart.refused.read().is_empty()>
            <section class="card unverified" aria-labelledby="unverifiable-title" data-testid="unverifiable-shares">
                <h2 id="unverifiable-title">"Shares Coffer cannot verify"</h2>
                <Show when=move || !apart.refused.read().is_empty()>
                    <ul>
                        <For each=move || apart.refused.get() key=|r| r.id.clone() children=move |r| {
                            let id = r.id.clone();
                            let remove = move |_: ev::MouseEvent| {
                                let id = id.clone();
                                #[cfg(feature = "hydrate")]
                                leptos::task::spawn_local(async move {
                                    match crate::client::sharing::leave(&id).await {
                                        Ok(()) => {
                                            apart.refused.update(|list| list.retain(|x| x.id != id));
                                            vault.notice.set(Some("Removed from your list.".into()));
                                        }
                                        Err(e) => vault.notice.set(Some(e.message())),
                                    }
                                });
                                #[cfg(not(feature = "hydrate"))]
                                let _ = (id, vault);
                            };
                            view! {
                                <li data-testid="refused-share">
                                    <span>{format!("A file said to be from {}", r.sharer)}</span>
                                    <span class="error" role="alert">{r.why.clone()}</span>
                                    <button type="button" class="secondary small" on:click=remove>"Remove"</button>
                                </li>
                            }
                        }/>
                    </ul>
                </Show>
                <Show when=move || !apart.legacy.read().is_empty()>
                    <p class="muted">"These were shared before Coffer signed shares: they open, but nothing proves who made them. Ask the sender to share them again."</p>
                    <table class="files">
                        <tbody>
                            <For each=move || apart.legacy.get() key=|r| r.id.clone()
                                children=move |row| view! { <SharedRow row verified=false/> }/>
                        </tbody>
                    </table>
                </Show>
            </section>
        </Show>
    }
}

#[component]
fn SharedRow(row: FileRow, verified: bool) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let name = row.name.clone();
    let download = {
        let row = row.clone();
        move |_: ev::MouseEvent| {
            #[cfg(feature = "hydrate")]
            super::vault::actions::start_download(vault, session, row.clone());
            #[cfg(not(feature = "hydrate"))]
            let _ = &row;
        }
    };
    let id = row.id.clone();
    let remove = move |_: ev::MouseEvent| {
        let id = id.clone();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::client::sharing::leave(&id).await {
                Ok(()) => {
                    vault.files.update(|f| f.retain(|r| r.id != id));
                    vault.notice.set(Some("Removed from your list.".into()));
                }
                Err(e) => vault.notice.set(Some(e.message())),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, session, vault);
    };
    let (from, badge) = match &row.sharer {
        Some((who, Some(SharerTrust::Verified))) => (who.clone(), "verified"),
        Some((who, Some(SharerTrust::NotYetVerified))) => (who.clone(), "not yet verified"),
        Some((who, None)) => (format!("says {who}"), "cannot be verified"),
        None => (String::new(), ""),
    };
    let label = if verified {
        format!("Download {name}")
    } else {
        format!("Download {name} (unverified)")
    };
    view! {
        <tr data-testid=if verified { "shared-row" } else { "legacy-share" }>
            <td class="name"><span class="file-name" data-testid="file-name">{name.clone()}</span></td>
            <td data-testid="shared-from">
                <span>{from}</span>" "
                <span class=format!("badge badge-{}", badge.replace(' ', "-")) data-testid="sharer-trust">{badge}</span>
            </td>
            <td class="size">{human_bytes(row.size)}</td>
            <td class="date">{human_date(row.created_at)}</td>
            <td class="actions">
                <button type="button" on:click=download aria-label=label>
                    {if verified { "Download" } else { "Download (unverified)" }}
                </button>
                <button type="button" class="secondary" on:click=remove
                    aria-label=format!("Remove {name} from my list")>"Remove"</button>
            </td>
        </tr>
    }
}
