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
pub(crate) mod model;
mod share;

use leptos::{ev, html, prelude::*};
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
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            actions::refresh(vault, session);
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

/// Above this many rows the table renders only the rows in view and a margin around them
/// (a 10 000-file vault would otherwise put every row in the page at once).
const VIRTUAL_FROM: usize = 300;
/// Rows rendered above and below the ones in view.
const OVERSCAN: usize = 25;

#[component]
fn FileTable(query: RwSignal<String>) -> impl IntoView {
    let vault = use_vault();
    let sort = RwSignal::new((SortKey::Date, false));
    let rows = Memo::new(move |_| {
        let (key, ascending) = sort.get();
        visible_rows(&vault.files.read(), &query.read(), key, ascending)
    });
    // What of the table is in view, in pixels from its body's top, and how tall a row is.
    let tbody: NodeRef<html::Tbody> = NodeRef::new();
    let view_top = RwSignal::new(0.0_f64);
    let view_height = RwSignal::new(1200.0_f64);
    let row_height = RwSignal::new(52.0_f64);
    let virtual_rows = move || rows.read().len() > VIRTUAL_FROM;
    let window = Memo::new(move |_| {
        let n = rows.read().len();
        if n <= VIRTUAL_FROM {
            return (0, n);
        }
        let h = row_height.get().max(1.0);
        let first = (view_top.get() / h).floor().max(0.0) as usize;
        let start = first.saturating_sub(OVERSCAN).min(n);
        let count = (view_height.get() / h).ceil() as usize + 2 * OVERSCAN;
        (start, (start + count).min(n))
    });
    #[cfg(feature = "hydrate")]
    {
        let measure = move || {
            let (Some(body), Some(w)) = (tbody.get_untracked(), web_sys::window()) else {
                return;
            };
            view_top.set(-body.get_bounding_client_rect().top());
            if let Some(h) = w.inner_height().ok().and_then(|h| h.as_f64()) {
                view_height.set(h);
            }
            let first_row = body
                .query_selector("tr[data-testid='file-row']")
                .ok()
                .flatten()
                .and_then(|r| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(r).ok());
            if let Some(r) = first_row {
                let h = f64::from(r.offset_height());
                if h > 0.0 && (h - row_height.get_untracked()).abs() > 0.5 {
                    row_height.set(h);
                }
            }
        };
        let on_scroll = window_event_listener(ev::scroll, move |_| measure());
        let on_resize = window_event_listener(ev::resize, move |_| measure());
        on_cleanup(move || {
            on_scroll.remove();
            on_resize.remove();
        });
        // Measure again once rows are in the page (and whenever the list changes).
        Effect::new(move |_| {
            window.track();
            measure();
        });
    }
    let spacer =
        move |rows_hidden: usize| format!("height: {}px", rows_hidden as f64 * row_height.get());
    let header = move |key: SortKey, label: &'static str| {
        let toggle = move |_| {
            sort.update(|(k, ascending)| {
                if *k == key {
                    *ascending = !*ascending;
                } else {
                    *k = key;
                    *ascending = key != SortKey::Date;
                }
            })
        };
        view! {
            <th scope="col" aria-sort=move || match sort.get() {
                (k, true) if k == key => "ascending",
                (k, false) if k == key => "descending",
                _ => "none",
            }>
                <button type="button" class="sort" on:click=toggle>
                    {label}
                    <span aria-hidden="true" class="sort-arrow">{move || match sort.get() {
                        (k, true) if k == key => " ▲",
                        (k, false) if k == key => " ▼",
                        _ => "",
                    }}</span>
                </button>
            </th>
        }
    };
    view! {
        <Show when=move || vault.loaded.get() fallback=|| view! { <p class="muted">"Loading your files…"</p> }>
            <Show when=move || !vault.files.read().is_empty() fallback=EmptyState>
                <table class="files" class:virtual=virtual_rows data-testid="file-table">
                    <caption class="visually-hidden">"Your files"</caption>
                    <thead>
                        <tr>
                            {header(SortKey::Name, "Name")}
                            {header(SortKey::Size, "Size")}
                            {header(SortKey::Date, "Uploaded")}
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody node_ref=tbody>
                        <tr class="spacer" aria-hidden="true" hidden=move || window.get().0 == 0
                            style=move || spacer(window.get().0)></tr>
                        <For
                            each=move || {
                                let (start, end) = window.get();
                                rows.read()[start..end].to_vec()
                            }
                            key=|row| (row.id.clone(), row.name.clone())
                            children=move |row| view! { <FileRowView row/> }
                        />
                        <tr class="spacer" aria-hidden="true"
                            hidden=move || window.get().1 == rows.read().len()
                            style=move || spacer(rows.read().len() - window.get().1)></tr>
                    </tbody>
                </table>
                <p class="muted" hidden=move || !rows.read().is_empty()>
                    {move || format!("No file name contains “{}”.", query.get().trim())}
                </p>
            </Show>
        </Show>
        <p class="muted" role="status" data-testid="more-to-load" hidden=move || !vault.more_to_load.get()>
            {move || format!(
                "Loading the rest of your files… {} so far. Search already covers them.",
                vault.files.read().len()
            )}
        </p>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <div class="empty-state" data-testid="vault-empty">

            <h2>"No files yet"</h2>
            <p>"Files you add will be encrypted in this browser before they are uploaded."</p>
        </div>
    }
}

#[component]
fn FileRowView(row: FileRow) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let (icon, kind) = type_icon(&row.mime);
    let name = row.name.clone();
    let on_download = {
        let row = row.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            actions::start_download(vault, session, row.clone());
            #[cfg(not(feature = "hydrate"))]
            let _ = (&row, session);
        }
    };
    let on_export = {
        let row = row.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            actions::export_key(vault, session, row.clone());
            #[cfg(not(feature = "hydrate"))]
            let _ = &row;
        }
    };
    let rename_row = row.clone();
    let delete_row = row.clone();
    let share_row = row.clone();
    let link_row = row.clone();
    let access_row = row.clone();
    let menu: NodeRef<html::Details> = NodeRef::new();
    // Any choice in the menu closes it.
    let close_menu = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(menu) = menu.get_untracked() {
            let _ = menu.remove_attribute("open");
        }
    };
    view! {
        <tr data-testid="file-row" data-file-id=row.id.clone()>
            <td class="name">
                <span class=format!("type-badge type-{}", icon.to_lowercase()) aria-hidden="true" title=kind>{icon}</span>
                <span class="visually-hidden">{kind}": "</span>
                <span class="file-name" data-testid="file-name">{name.clone()}</span>
            </td>
            <td class="size">{human_bytes(row.size)}</td>
            <td class="date">{human_date(row.created_at)}</td>
            <td class="actions">
                <button type="button" on:click=on_download
                    aria-label=format!("Download {name}")>"Download"</button>
                <details class="menu" node_ref=menu>
                    <summary aria-label=format!("More actions for {name}")>"More"</summary>
                    <div class="menu-items" on:click=close_menu>
                        <button type="button"
                            on:click=move |_| vault.dialog.set(Some(Dialog::Rename(rename_row.clone())))>
                            "Rename"
                        </button>
                        <button type="button"
                            on:click=move |_| vault.dialog.set(Some(Dialog::Share(share_row.clone())))>
                            "Share with a user"
                        </button>
                        <button type="button"
                            on:click=move |_| vault.dialog.set(Some(Dialog::Link(link_row.clone())))>
                            "Create link"
                        </button>
                        <button type="button"
                            on:click=move |_| vault.dialog.set(Some(Dialog::Access(access_row.clone())))>
                            "Who has access"
                        </button>
                        <a href=format!("/api/files/{}/export", row.id) download=format!("{name}.coffer")>
                            "Download encrypted"
                        </a>
                        <button type="button" on:click=on_export>"Export key"</button>
                        <button type="button" class="danger"
                            on:click=move |_| vault.dialog.set(Some(Dialog::Delete(delete_row.clone())))>
                            "Delete"
                        </button>
                    </div>
                </details>
            </td>
        </tr>
    }
}

#[component]
pub(crate) fn Transfers() -> impl IntoView {
    let vault = use_vault();
    let clear = move |_| {
        vault
            .transfers
            .update(|t| t.retain(|t| t.state.get_untracked() == TransferState::Running))
    };
    view! {
        <Show when=move || !vault.transfers.read().is_empty()>
            <section class="transfers" aria-labelledby="transfers-title">
                <div class="section-head">
                    <h2 id="transfers-title">"Transfers"</h2>
                    <button type="button" class="link-button" on:click=clear>"Clear finished"</button>
                </div>
                <ul>
                    <For
                        each=move || vault.transfers.get()
                        key=|t| t.id
                        children=move |t| view! { <TransferRow t/> }
                    />
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn TransferRow(t: Transfer) -> impl IntoView {
    let Transfer {
        id,
        kind,
        name,
        total,
        plain_total,
        done,
        rate,
        state,
        restartable,
    } = t;
    // Progress counts ciphertext; the row speaks in the file's own bytes.
    let plain = move |bytes: u64| -> u64 {
        if total == 0 {
            0
        } else {
            (bytes as f64 / total as f64 * plain_total as f64).round() as u64
        }
    };
    let verb = match kind {
        TransferKind::Upload => "Uploading",
        TransferKind::Download => "Downloading",
    };
    let running = move || state.get() == TransferState::Running;
    let state_name = move || match state.get() {
        TransferState::Running => "running",
        TransferState::Done(_) => "done",
        TransferState::Failed(_) => "failed",
        TransferState::Cancelled => "cancelled",
    };
    let status = move || match state.get() {
        TransferState::Running => match kind {
            TransferKind::Upload => "Encrypting and uploading…".to_string(),
            TransferKind::Download => "Downloading and decrypting…".to_string(),
        },
        TransferState::Done(words) | TransferState::Failed(words) => words,
        TransferState::Cancelled => "Cancelled.".to_string(),
    };
    let figures = move || {
        let done_now = done.get();
        let rate = rate.get();
        let mut text = format!(
            "{} of {}",
            human_bytes(plain(done_now)),
            human_bytes(plain_total)
        );
        if state.get() == TransferState::Running && rate > 0.0 {
            text.push_str(&format!(" · {}/s", human_bytes(plain(rate as u64))));
            text.push_str(&format!(
                " · {} left",
                human_duration(total.saturating_sub(done_now) as f64 / rate)
            ));
        }
        text
    };
    let cancel_label = format!("Cancel {} {name}", verb.to_lowercase());
    let vault = use_vault();
    let session = use_session();
    let restart = move |_| {
        #[cfg(feature = "hydrate")]
        actions::restart(vault, session, id);
        #[cfg(not(feature = "hydrate"))]
        let _ = (vault, session);
    };
    let cancel = move |_| {
        #[cfg(feature = "hydrate")]
        actions::cancel(id);
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    };
    view! {
        <li class="transfer" data-testid="transfer" data-state=state_name>
            <div class="transfer-line">
                <span class="file-name">{name.clone()}</span>
                <span
                    class="transfer-status"
                    class:error=move || matches!(state.get(), TransferState::Failed(_))
                    role=move || if matches!(state.get(), TransferState::Failed(_)) { "alert" } else { "status" }
                >{status}</span>
                <Show when=running>
                    <button type="button" class="link-button" on:click=cancel
                        aria-label=cancel_label.clone()>"Cancel"</button>
                </Show>
                <Show when=move || restartable.get()>
                    <button type="button" class="small" on:click=restart>"Upload as a new file"</button>
                </Show>
            </div>
            <progress max=total.max(1) as f64 value=move || done.get() as f64
                aria-label=format!("{verb} {name}")></progress>
            <span class="muted figures">{figures}</span>
        </li>
    }
}

/// The account record was rolled back or damaged: say so, and let the user accept it.
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

#[component]
fn InterruptedUploads() -> impl IntoView {
    let vault = use_vault();
    view! {
        <Show when=move || !vault.interrupted.read().is_empty()>
            <section class="card interrupted" aria-labelledby="interrupted-title">
                <h2 id="interrupted-title">"Interrupted uploads"</h2>
                <p class="muted">"To resume, pick the same file again: it is encrypted the same way \
                    and only the missing parts are sent."</p>
                <ul>
                    <For
                        each=move || vault.interrupted.get()
                        key=|i| i.info.upload_id.clone()
                        children=move |i| view! { <InterruptedRow i/> }
                    />
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn InterruptedRow(i: Interrupted) -> impl IntoView {
    let vault = use_vault();
    let session = use_session();
    let upload_id = i.info.upload_id.clone();
    let label = i
        .name
        .clone()
        .unwrap_or_else(|| "An upload started in another browser".into());
    let arrived = format!(
        "{} of {} parts arrived",
        i.info.received_parts.len(),
        i.info.part_count
    );
    let can_resume = i.record.is_some() && i.name.is_some();
    let input_id = format!("resume-{upload_id}");
    let on_pick = {
        let i = i.clone();
        move |ev: ev::Event| {
            #[cfg(feature = "hydrate")]
            {
                let input: web_sys::HtmlInputElement = event_target(&ev);
                if let Some(file) = files_of(input.files()).into_iter().next() {
                    actions::start_upload(vault, session, file, Some(i.clone()));
                }
                input.set_value("");
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (ev, &i);
        }
    };
    let discard = {
        let upload_id = upload_id.clone();
        move |_| {
            let upload_id = upload_id.clone();
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(async move {
                match actions::discard(session, &upload_id).await {
                    Ok(()) => actions::refresh(vault, session),
                    Err(e) => vault.notice.set(Some(e)),
                }
            });
            #[cfg(not(feature = "hydrate"))]
            let _ = (upload_id, session, vault);
        }
    };
    view! {
        <li class="interrupted-row" data-testid="interrupted">
            <span class="file-name">{label.clone()}</span>
            <span class="muted">{arrived}</span>
            <Show when=move || can_resume>
                <input id=input_id.clone() class="visually-hidden" type="file" on:change=on_pick.clone()/>
                <label class="button small" for=input_id.clone()>{format!("Resume {label}")}</label>
            </Show>
            <button type="button" class="secondary small" on:click=discard.clone()>"Discard"</button>
        </li>
    }
}

#[component]
fn Dialogs() -> impl IntoView {
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
