//! The vault: the user's files, decrypted in this browser; upload by picker or drag and drop,
//! download, rename, delete, export a key, resume interrupted uploads.
//!
//! The page renders only with unlocked keys, i.e. in the browser; the server compiles the views
//! but never runs the actions (hence the `dead_code` allowance there).
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

mod access;
#[cfg(feature = "hydrate")]
pub(crate) mod actions;
mod create_link;
mod dialogs;
pub(crate) mod model;
mod share;
mod table;
mod transfers;

use dialogs::Dialogs;
pub(crate) use dialogs::Modal;
use table::FileTable;
use transfers::InterruptedUploads;
pub(crate) use transfers::Transfers;

use leptos::{ev, prelude::*};
use leptos_meta::Title;

use crate::{
    components::{ErrorMessage, RequireUnlocked},
    protocol::{
        human_bytes,
        vault::{UploadInfo, Usage},
    },
    resume::PendingUpload,
    session::use_session,
    trust::RecordState,
};
use model::{human_date, human_duration, type_icon, visible_rows};
pub use model::{FileRow, SortKey, Transfer, TransferKind, TransferState, UnverifiedRow};

/// An upload the server holds unfinished, and what this browser knows about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Interrupted {
    /// The server's view.
    pub info: UploadInfo,
    /// This browser's record (needed to resume), if it started the upload.
    pub record: Option<PendingUpload>,
    /// The decrypted name, if the record opened.
    pub name: Option<String>,
}

/// The dialog on top of the page, if any.
#[derive(Clone, Debug)]
pub enum Dialog {
    /// Rename a file.
    Rename(FileRow),
    /// Confirm deleting a file.
    Delete(FileRow),
    /// Share with a user.
    Share(FileRow),
    /// Create a link.
    Link(FileRow),
    /// Who has access.
    Access(FileRow),
    /// Show a file's key.
    ExportKey {
        /// The file.
        row: FileRow,
        /// Its exported key (`coffer-key-v1:…`).
        key: String,
    },
}

/// The vault page's state, shared by its parts through context.
#[derive(Clone, Copy)]
pub struct Vault {
    pub(crate) files: RwSignal<Vec<FileRow>>,
    /// Files the server lists here that this account did not make (shown apart).
    pub(crate) unverified: RwSignal<Vec<UnverifiedRow>>,
    /// The account record as judged at the last load (`None` before it loaded).
    pub(crate) record_state: RwSignal<Option<RecordState>>,
    usage: RwSignal<Option<Usage>>,
    pub(crate) loaded: RwSignal<bool>,
    /// More pages of the file list are still loading in the background.
    pub(crate) more_to_load: RwSignal<bool>,
    /// Counts refreshes, so a page of an older one that arrives late is dropped.
    pub(crate) load_generation: StoredValue<u64>,
    pub(crate) load_error: RwSignal<Option<String>>,
    pub(crate) transfers: RwSignal<Vec<Transfer>>,
    interrupted: RwSignal<Vec<Interrupted>>,
    dialog: RwSignal<Option<Dialog>>,
    pub(crate) notice: RwSignal<Option<String>>,
    next_id: StoredValue<u64>,
    /// The page's reactive owner: transfers are created under it, not under the component whose
    /// button started them (an interrupted-upload row goes away as its resume starts, and
    /// signals made under it would go with it).
    pub(crate) owner: StoredValue<Option<Owner>>,
}

impl Vault {
    pub(crate) fn new() -> Self {
        Self {
            files: RwSignal::new(Vec::new()),
            unverified: RwSignal::new(Vec::new()),
            record_state: RwSignal::new(None),
            usage: RwSignal::new(None),
            loaded: RwSignal::new(false),
            more_to_load: RwSignal::new(false),
            load_generation: StoredValue::new(0),
            load_error: RwSignal::new(None),
            transfers: RwSignal::new(Vec::new()),
            interrupted: RwSignal::new(Vec::new()),
            dialog: RwSignal::new(None),
            notice: RwSignal::new(None),
            next_id: StoredValue::new(1),
            owner: StoredValue::new(Owner::current()),
        }
    }
}

pub(crate) fn use_vault() -> Vault {
    expect_context::<Vault>()
}

/// The vault page.
#[component]
pub fn VaultPage() -> impl IntoView {
    view! {
        <Title text="Vault · Coffer"/>
        <RequireUnlocked>
            <VaultView/>
        </RequireUnlocked>
    }
}

#[cfg(feature = "hydrate")]
fn upload_all(vault: Vault, files: Vec<web_sys::File>) {
    let session = use_session();
    for file in files {
        actions::start_upload(vault, session, file, None);
    }
}

#[cfg(feature = "hydrate")]
fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

#[component]
fn VaultView() -> impl IntoView {
    let vault = Vault::new();
    provide_context(vault);
    let session = use_session();
    #[cfg(feature = "hydrate")]
    crate::pwa::when_server_back(move || actions::back_online(vault, session));
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            // The list's first request starts in the next task: drawing the page is enough
            // for this one (right after a login both together held the page too long).
            leptos::task::spawn_local(async move {
                crate::browser::yield_to_page().await;
                actions::refresh(vault, session);
            });
            // Files shared to Coffer from another app wait in a local inbox (see public/sw.js).
            let search = web_sys::window()
                .and_then(|w| w.location().search().ok())
                .unwrap_or_default();
            if search.contains("shared=1") {
                leptos::task::spawn_local(async move {
                    let files = crate::pwa::take_shared_files().await;
                    if let Some(w) = web_sys::window() {
                        if let Ok(history) = w.history() {
                            let _ = history.replace_state_with_url(
                                &wasm_bindgen::JsValue::NULL,
                                "",
                                Some("/vault"),
                            );
                        }
                    }
                    if !files.is_empty() {
                        vault.notice.set(Some(format!(
                            "Encrypting and uploading {} shared file(s).",
                            files.len()
                        )));
                    }
                    for file in files {
                        actions::start_upload(vault, session, file, None);
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = session;
    });
    let query = RwSignal::new(String::new());
    let dragging = RwSignal::new(false);

    let on_drop = move |ev: ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        upload_all(
            vault,
            files_of(ev.data_transfer().and_then(|dt| dt.files())),
        );
    };
    let on_pick = move |ev: ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            let files = files_of(input.files());
            input.set_value("");
            upload_all(vault, files);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    view! {
        <section
            class="vault"
            class:dragging=move || dragging.get()
            data-testid="dropzone"
            on:dragover=move |ev: ev::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <div class="vault-head">
                <h1>"Your vault"</h1>
                <UsageBar/>
            </div>
            <div class="toolbar">
                <input id="file-picker" class="visually-hidden" type="file" multiple on:change=on_pick/>
                <label class="button" for="file-picker">"Add files"</label>
                <span class="muted drop-hint">"or drop them anywhere on this page. They are encrypted \
                    in this browser before they are uploaded."</span>
                <div class="search">
                    <label for="search" class="visually-hidden">"Search your files"</label>
                    <input id="search" type="search" placeholder="Search by name" bind:value=query
                        autocomplete="off"/>
                </div>
            </div>
            <p class="notice" role="status" hidden=move || vault.notice.get().is_none()>
                {move || vault.notice.get().unwrap_or_default()}
            </p>
            <ErrorMessage error=vault.load_error/>
            <RecordWarning/>
            <Transfers/>
            <InterruptedUploads/>
            <FileTable query/>
            <UnverifiedFiles/>
            <div class="drop-overlay" aria-hidden="true">"Drop to encrypt and upload"</div>
            <Dialogs/>
        </section>
    }
}

#[component]
fn UsageBar() -> impl IntoView {
    let vault = use_vault();
    move || {
        vault.usage.get().map(|u| {
            let used = u.stored_bytes.saturating_add(u.reserved_bytes);
            // <progress> takes f64; exact enough for a bar.
            let (max, value) = (u.quota_bytes.max(1) as f64, used.min(u.quota_bytes) as f64);
            view! {
                <div class="usage">
                    <progress max=max value=value aria-label="Storage used"></progress>
                    <span data-testid="usage">
                        {format!("{} of {} used", human_bytes(used), human_bytes(u.quota_bytes))}
                    </span>
                </div>
            }
        })
    }
}

#[component]
fn RecordWarning() -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let busy = RwSignal::new(false);
    let warning = move || {
        vault
            .record_state
            .get()
            .and_then(|s| model::record_warning(&s))
    };
    let accept = move |_| {
        busy.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match actions::accept_record(session).await {
                Ok(()) => actions::refresh(vault, session),
                Err(e) => vault.notice.set(Some(e)),
            }
            busy.set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = session;
    };
    move || {
        warning().map(|words| {
            view! {
                <div class="error card" role="alert" data-testid="record-warning">
                    <p>{words}</p>
                    <p class="muted">"Keeping this copy lets you share again; people whose key \
                        Coffer cannot confirm will ask you to compare safety numbers."</p>
                    <button type="button" class="secondary small" disabled=move || busy.get()
                        on:click=accept>"Keep this copy"</button>
                </div>
            }
        })
    }
}

/// Files in the vault this account did not make: never mixed in with the user's own.
#[component]
fn UnverifiedFiles() -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    view! {
        <Show when=move || !vault.unverified.read().is_empty()>
            <section class="card unverified" aria-labelledby="unverified-title" data-testid="unverified-files">
                <h2 id="unverified-title">"Files Coffer cannot verify"</h2>
                <p>"These files were not added by you and cannot be verified: the server lists them \
                    in your vault, but they do not carry your account's seal. Coffer does not open \
                    or name them. Delete them unless you know where they come from."</p>
                <ul>
                    <For each=move || vault.unverified.get() key=|u| u.id.clone() children=move |u| {
                        let id = u.id.clone();
                        let label = format!("Unverified file …{}", &u.id[u.id.len().saturating_sub(6)..]);
                        let remove = move |_| {
                            let id = id.clone();
                            #[cfg(feature = "hydrate")]
                            leptos::task::spawn_local(async move {
                                match actions::delete(session, &id).await {
                                    Ok(()) => actions::refresh(vault, session),
                                    Err(e) => vault.notice.set(Some(e)),
                                }
                            });
                            #[cfg(not(feature = "hydrate"))]
                            let _ = (id, session);
                        };
                        view! {
                            <li data-testid="unverified-file" data-file-id=u.id.clone()>
                                <span>{label.clone()}</span>
                                <span class="muted">{format!("{} encrypted · added {}",
                                    human_bytes(u.ciphertext_size), human_date(u.created_at))}</span>
                                <button type="button" class="danger small" on:click=remove
                                    aria-label=format!("Delete {label}")>"Delete"</button>
                            </li>
                        }
                    }/>
                </ul>
            </section>
        </Show>
    }
}
