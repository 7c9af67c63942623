//! The dialogs over the vault page: rename, delete, export key, and the modal they share.

use leptos::{ev, html, prelude::*};

use super::*;

#[component]
pub(super) fn Dialogs() -> impl IntoView {
    let vault = use_vault();
    move || {
        vault.dialog.get().map(|dialog| match dialog {
            Dialog::Rename(row) => view! { <RenameDialog row/> }.into_any(),
            Dialog::Delete(row) => view! { <DeleteDialog row/> }.into_any(),
            Dialog::ExportKey { row, key } => view! { <ExportKeyDialog row key/> }.into_any(),
            Dialog::Share(row) => view! { <share::ShareDialog row/> }.into_any(),
            Dialog::Link(row) => view! { <create_link::LinkDialog row/> }.into_any(),
            Dialog::Access(row) => view! { <access::AccessDialog row/> }.into_any(),
        })
    }
}

/// A modal box: Escape or the backdrop closes it; focus goes to `focus` when it opens.
#[component]
pub(crate) fn Modal(
    title: String,
    #[prop(optional)] focus: Option<NodeRef<html::Input>>,
    children: Children,
) -> impl IntoView {
    let vault = use_vault();
    let panel: NodeRef<html::Div> = NodeRef::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            if let Some(input) = focus.and_then(|f| f.get()) {
                let _ = input.focus();
                input.select();
            } else if let Some(panel) = panel.get() {
                let _ = panel.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (focus, panel);
    });
    view! {
        <div class="backdrop" on:click=move |_| vault.dialog.set(None)></div>
        <div
            class="dialog card"
            role="dialog"
            aria-modal="true"
            aria-labelledby="dialog-title"
            tabindex="-1"
            node_ref=panel
            on:keydown=move |ev: ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    vault.dialog.set(None);
                }
            }
        >
            <h2 id="dialog-title">{title}</h2>
            {children()}
        </div>
    }
}

#[component]
fn RenameDialog(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let name = RwSignal::new(row.name.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input: NodeRef<html::Input> = NodeRef::new();
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let new_name = name.get_untracked().trim().to_string();
        if new_name.is_empty() {
            error.set(Some("Enter a name.".into()));
            return;
        }
        if new_name.len() > coffer_crypto::MAX_NAME_LEN {
            error.set(Some(format!(
                "Names can be at most {} bytes long.",
                coffer_crypto::MAX_NAME_LEN
            )));
            return;
        }
        busy.set(true);
        let row = row.clone();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match actions::rename(session, &row, new_name).await {
                Ok(updated) => {
                    vault
                        .notice
                        .set(Some(format!("Renamed to “{}”.", updated.name)));
                    vault.files.update(|files| {
                        for f in files.iter_mut().filter(|f| f.id == updated.id) {
                            *f = updated.clone();
                        }
                    });
                    vault.dialog.set(None);
                }
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (row, session);
    };
    view! {
        <Modal title="Rename file".into() focus=input>
            <form on:submit=on_submit>
                <label for="rename-input">"New name"</label>
                <input id="rename-input" type="text" required bind:value=name node_ref=input
                    autocomplete="off"/>
                <p class="muted">"The new name is encrypted in this browser, like the old one."</p>
                <ErrorMessage error/>
                <div class="button-row">
                    <button type="submit" disabled=move || busy.get()>"Save name"</button>
                    <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>
                        "Cancel"
                    </button>
                </div>
            </form>
        </Modal>
    }
}

#[component]
fn DeleteDialog(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let title = format!("Delete “{}”?", row.name);
    let on_confirm = move |_| {
        busy.set(true);
        let row = row.clone();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match actions::delete(session, &row.id).await {
                Ok(()) => {
                    vault.files.update(|f| f.retain(|f| f.id != row.id));
                    vault.notice.set(Some(format!("Deleted “{}”.", row.name)));
                    vault.dialog.set(None);
                    actions::refresh(vault, session);
                }
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (row, session);
    };
    view! {
        <Modal title>
            <p>"The file is removed from Coffer for good. This cannot be undone."</p>
            <ErrorMessage error/>
            <div class="button-row">
                <button type="button" class="danger-button" on:click=on_confirm disabled=move || busy.get()>
                    "Delete"
                </button>
                <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>
                    "Cancel"
                </button>
            </div>
        </Modal>
    }
}

#[component]
fn ExportKeyDialog(row: FileRow, key: String) -> impl IntoView {
    let vault = use_vault();
    let file_name = format!("{}.key.txt", row.name);
    let key_for_save = key.clone();
    view! {
        <Modal title=format!("Key for “{}”", row.name)>
            <label for="exported-key">"File key"</label>
            <textarea id="exported-key" readonly rows="3" data-testid="exported-key">{key}</textarea>
            <p class="muted">"With this key and the encrypted file (“Download encrypted”), anyone can \
                read this file on the “Decrypt a file” page, without an account. Keep it as secret \
                as the file itself."</p>
            <div class="button-row">
                <button type="button" on:click=move |_| crate::browser::download_text(&file_name, &key_for_save)>
                    "Save as text file"
                </button>
                <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Close"</button>
            </div>
        </Modal>
    }
}
