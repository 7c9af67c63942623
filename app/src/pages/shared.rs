//! "Shared with me": files other users shared with this account, decrypted here.

use leptos::{ev, prelude::*};
use leptos_meta::Title;

use super::vault::{
    model::{human_bytes, human_date, FileRow},
    use_vault, Transfers, Vault,
};
use crate::{components::RequireUnlocked, session::use_session};

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

#[cfg(feature = "hydrate")]
fn load(vault: Vault, session: crate::session::Session) {
    leptos::task::spawn_local(async move {
        use crate::{
            client::http::{self, NO_BODY},
            wire::sharing::SharedList,
        };
        let Some(keys) = session.keys() else { return };
        match http::json::<SharedList>("GET", "/api/shared", NO_BODY).await {
            Ok(list) => {
                vault.files.set(
                    list.files
                        .iter()
                        .map(|f| super::vault::actions::decrypt_shared_row(&keys, f))
                        .collect(),
                );
                vault.load_error.set(None);
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
    let session = use_session();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        load(vault, session);
        #[cfg(not(feature = "hydrate"))]
        let _ = session;
    });
    view! {
        <section class="vault">
            <h1>"Shared with me"</h1>
            <p class="muted">"Files other people shared with you. Names and contents are decrypted in this browser."</p>
            <p class="notice" role="status" hidden=move || vault.notice.get().is_none()>
                {move || vault.notice.get().unwrap_or_default()}
            </p>
            <crate::components::ErrorMessage error=vault.load_error/>
            <Transfers/>
            <Show when=move || vault.loaded.get() fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <Show when=move || !vault.files.read().is_empty() fallback=|| view! {
                    <div class="empty-state" data-testid="shared-empty"><h2>"Nothing shared with you yet"</h2></div>
                }>
                    <table class="files">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"From"</th>
                            <th scope="col">"Size"</th><th scope="col">"Shared"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            <For each=move || vault.files.get() key=|r| r.id.clone()
                                children=move |row| view! { <SharedRow row/> }/>
                        </tbody>
                    </table>
                </Show>
            </Show>
        </section>
    }
}

#[component]
fn SharedRow(row: FileRow) -> impl IntoView {
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
    view! {
        <tr data-testid="shared-row">
            <td class="name"><span class="file-name" data-testid="file-name">{name.clone()}</span></td>
            <td>{row.owner.clone().unwrap_or_default()}</td>
            <td class="size">{human_bytes(row.size)}</td>
            <td class="date">{human_date(row.created_at)}</td>
            <td class="actions">
                <button type="button" on:click=download disabled=!row.readable
                    aria-label=format!("Download {name}")>"Download"</button>
                <button type="button" class="secondary" on:click=remove
                    aria-label=format!("Remove {name} from my list")>"Remove"</button>
            </td>
        </tr>
    }
}
