//! What the vault page's buttons do (browser only): list, check and decrypt, upload, download,
//! rename, delete, export a key, resume or discard an interrupted upload, and the one-time
//! upgrade of a v1 account's files.
//!
//! Every file the server lists goes through `crate::trust::check_own_file` first: only files
//! whose owner key slot opens are shown as the user's; the rest are listed apart, by id.
//!
//! Transfers ride out outages (`client::http::patiently`): each row has its own [`Backoff`] and
//! says "Reconnecting… (next try in N s)" while it waits. When Coffer answers again, a file list
//! that failed to load is loaded again and a "could not reach" notice goes away.

use std::{
    cell::{Cell, RefCell},
    collections::{HashMap, HashSet},
    rc::Rc,
};

use coffer_crypto::{
    open_own_file, safe_file_name, seal_file_version, seal_metadata, unwrap_file_key,
    ContentBinding, FileKey, FileMetadata, FileVersion,
};
use leptos::{prelude::*, task::spawn_local};
use rand_core::OsRng;
use web_sys::{AbortController, File};

use super::{
    model::{
        Backoff, FileRow, Pace, RowSource, Transfer, TransferKind, TransferState, UnverifiedRow,
    },
    Dialog, Interrupted, Vault,
};
use crate::{
    client::{
        account_record,
        download::{download_into, DownloadError, Expect, Expected, Sink},
        file_id_from_hex,
        http::{self, HttpError, Outage, Reconnect, NO_BODY},
        now_ms, pending, sleep_ms, upgrade,
        upload::{self, ciphertext_size_of, Source, UploadError},
    },
    keyring::UnlockedKeys,
    protocol::{
        human_bytes,
        sharing::SharedFile,
        vault::{FileInfo, FileList, FilePage, NewVersion, UploadList},
    },
    session::Session,
    trust::{check_own_file, OwnFile, SharerTrust},
};

thread_local! {
    /// Abort controllers of running transfers, by transfer id.
    static ABORTS: RefCell<HashMap<u64, AbortController>> = RefCell::new(HashMap::new());
    /// Upload ids this tab is sending right now (not "interrupted").
    static ACTIVE: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
    /// Files whose resume was refused because they changed: "Upload as a new file" sends them.
    static RESTARTS: RefCell<HashMap<u64, File>> = RefCell::new(HashMap::new());
}

/// Coffer answers again (`crate::pwa::when_server_back`, registered by the vault page): what
/// failed for want of it is tried again, what said so goes away.
pub(crate) fn back_online(vault: Vault, session: Session) {
    // `None`: the page that registered is gone.
    let Some(load_error) = vault.load_error.try_get_untracked() else {
        return;
    };
    if vault.notice.try_get_untracked().flatten() == Some(HttpError::Network.message()) {
        vault.notice.set(None);
    }
    if load_error.is_some() {
        refresh(vault, session);
    }
}

/// A row with the decrypted `metadata` (its name made safe) of a file from `source`.
fn row_of(
    id: &str,
    metadata: &FileMetadata,
    ciphertext_size: u64,
    created_at: i64,
    content: ContentBinding,
    source: RowSource,
) -> FileRow {
    FileRow {
        id: id.to_string(),
        name: safe_file_name(&metadata.name),
        mime: metadata.mime.clone(),
        size: metadata.size,
        created_at,
        modified_ms: metadata.modified_ms,
        ciphertext_size,
        content,
        source,
        content_url: format!("/api/files/{id}/content"),
        sharer: None,
    }
}

/// A row for one of the user's own files (verified, or a v1 file accepted for its upgrade).
fn own_row(f: &FileInfo, metadata: &FileMetadata, version: Option<FileVersion>) -> FileRow {
    row_of(
        &f.id,
        metadata,
        f.ciphertext_size,
        f.created_at,
        version.map_or(ContentBinding::Unbound, |v| v.content),
        RowSource::Own {
            info: f.clone(),
            version,
        },
    )
}

/// A row for a file shared with the caller.
pub fn shared_row(
    f: &SharedFile,
    metadata: &FileMetadata,
    content: ContentBinding,
    trust: Option<SharerTrust>,
) -> FileRow {
    FileRow {
        content_url: format!("/api/shared/{}/content", f.id),
        sharer: Some((f.sharer.clone(), trust)),
        ..row_of(
            &f.id,
            metadata,
            f.ciphertext_size,
            f.shared_at,
            content,
            RowSource::Shared(f.clone()),
        )
    }
}

/// Opens a row's file key again (keys are never kept in signals).
pub fn file_key(keys: &UnlockedKeys, row: &FileRow) -> Option<FileKey> {
    let id = file_id_from_hex(&row.id)?;
    match &row.source {
        RowSource::Own {
            info,
            version: Some(_),
        } => open_own_file(
            &keys.account_key,
            &keys.public_key(),
            &id,
            &info.key_slot,
            info.version_record.as_deref()?,
            &info.sealed_metadata,
        )
        .ok()
        .map(|(key, _)| key),
        RowSource::Own {
            info,
            version: None,
        } => unwrap_file_key(&keys.identity, &info.key_slot, &id).ok(),
        RowSource::Shared(f) => unwrap_file_key(&keys.identity, &f.wrapped_key, &id).ok(),
    }
}

fn failed(session: Session, e: &HttpError) -> String {
    if e.unauthenticated() {
        session.forget();
    }
    e.message()
}

/// Why the file list did not load, in words; one that failed for want of the server loads again
/// by itself once it answers.
fn load_failed(session: Session, e: &HttpError) -> String {
    if e.outage() {
        "Could not reach Coffer to load your files. The list loads again by itself as soon as \
         Coffer answers."
            .into()
    } else {
        failed(session, e)
    }
}

/// Files in the first page: enough for the first screen, small enough to show at once.
const FIRST_PAGE: u32 = 100;
/// Files per later page, loaded in the background.
const LATER_PAGES: u32 = 1000;
/// Entries checked and decrypted between two yields to the page (so it stays responsive while
/// a large vault loads).
const DECRYPT_BATCH: usize = 200;

/// The own files and the others of one page, checked and decrypted.
#[derive(Default)]
struct Sorted {
    rows: Vec<FileRow>,
    unverified: Vec<UnverifiedRow>,
    /// Format-v1 slots that opened, with their rows: held back until the whole list is in (see
    /// [`refresh`]), never shown as the user's own on their own say-so.
    legacy: Vec<(FileInfo, FileRow)>,
    /// Own files with a signed version (slot 0x08) that opened.
    signed: usize,
}

fn unverified_row(f: &FileInfo) -> UnverifiedRow {
    UnverifiedRow {
        id: f.id.clone(),
        ciphertext_size: f.ciphertext_size,
        created_at: f.created_at,
    }
}

/// Checks and decrypts `files` (in batches, yielding to the page between them).
async fn sort_page(keys: &UnlockedKeys, legacy_allowed: bool, files: &[FileInfo]) -> Sorted {
    let mut out = Sorted::default();
    for (i, f) in files.iter().enumerate() {
        if i > 0 && i % DECRYPT_BATCH == 0 {
            sleep_ms(0).await;
        }
        match check_own_file(keys, legacy_allowed, f) {
            OwnFile::Verified {
                metadata, version, ..
            } => {
                out.signed += 1;
                out.rows.push(own_row(f, &metadata, Some(version)));
            }
            OwnFile::Legacy { metadata, .. } => {
                out.legacy.push((f.clone(), own_row(f, &metadata, None)));
            }
            OwnFile::Unverified => out.unverified.push(unverified_row(f)),
        }
    }
    out
}

/// Loads the account record and the file list, checks and decrypts every entry here, starts
/// the one-time upgrade of v1 files if there are any, and loads the unfinished uploads.
///
/// The list comes in pages (`GET /api/files?limit=&after=`): the first, small one is shown at
/// once; the rest load, decrypt and join the list (and search) in the background. A newer
/// refresh supersedes an older one still paging.
pub fn refresh(vault: Vault, session: Session) {
    let generation = vault.load_generation.get_value() + 1;
    vault.load_generation.set_value(generation);
    let current = move || vault.load_generation.get_value() == generation;
    spawn_local(async move {
        let Some(keys) = session.keys() else {
            return;
        };
        let state = match account_record::load(&keys).await {
            Ok(loaded) => loaded.state,
            Err(e) => {
                vault.load_error.set(Some(load_failed(session, &e)));
                vault.loaded.set(true);
                return;
            }
        };
        vault.record_state.set(Some(state.clone()));
        let mut legacy_allowed = state.legacy_slots_allowed(keys.format);
        let mut legacy = Vec::new();
        let mut signed = 0;
        let mut page = FilePage {
            limit: Some(FIRST_PAGE),
            after: None,
        };
        let mut first = true;
        loop {
            let url = match &page.after {
                None => format!("/api/files?limit={}", page.limit.unwrap_or(FIRST_PAGE)),
                Some(after) => format!(
                    "/api/files?limit={}&after={}",
                    page.limit.unwrap_or(LATER_PAGES),
                    String::from(js_sys::encode_uri_component(after))
                ),
            };
            let list = match http::json::<FileList>("GET", &url, NO_BODY).await {
                Ok(list) => list,
                Err(e) => {
                    if current() {
                        vault.load_error.set(Some(load_failed(session, &e)));
                        vault.loaded.set(true);
                        vault.more_to_load.set(false);
                    }
                    return;
                }
            };
            let sorted = sort_page(&keys, legacy_allowed, &list.files).await;
            if !current() {
                return;
            }
            legacy.extend(sorted.legacy);
            signed += sorted.signed;
            if first {
                vault.files.set(sorted.rows);
                vault.unverified.set(sorted.unverified);
                vault.load_error.set(None);
                vault.loaded.set(true);
                first = false;
            } else {
                vault.files.update(|rows| rows.extend(sorted.rows));
                vault
                    .unverified
                    .update(|rows| rows.extend(sorted.unverified));
            }
            vault.usage.set(Some(list.usage));
            match list.next {
                Some(next) => {
                    vault.more_to_load.set(true);
                    page = FilePage {
                        limit: Some(LATER_PAGES),
                        after: Some(next),
                    };
                }
                None => {
                    vault.more_to_load.set(false);
                    break;
                }
            }
        }
        // The record's flag is stored by the server, which can drop the record or serve an older
        // one: a browser that never saw a record cannot tell. But the upgrade signs every own
        // file, so one own signed file proves it happened: then a v1 slot is not the user's own,
        // whatever the record says (docs/CRYPTO.md §13.3).
        if signed > 0 {
            legacy_allowed = false;
        }
        let (legacy, legacy_rows): (Vec<FileInfo>, Vec<FileRow>) = legacy.into_iter().unzip();
        if legacy_allowed {
            vault.files.update(|rows| rows.extend(legacy_rows));
        } else if !legacy.is_empty() {
            vault
                .unverified
                .update(|rows| rows.extend(legacy.iter().map(unverified_row)));
        }
        // A v1 account upgrades once, even with no v1 file left: the flag it sets is what stops
        // v1-style slots planted later from being accepted.
        if legacy_allowed {
            if !legacy.is_empty() {
                vault.notice.set(Some(
                    "Upgrading your files to signed versions (once, after this Coffer update)…"
                        .into(),
                ));
            }
            match upgrade::run(&keys, &legacy).await {
                Ok(report) => {
                    if report.files + report.grants > 0 || !report.unsigned.is_empty() {
                        vault.notice.set(Some(report.message()));
                    }
                    refresh(vault, session);
                    return;
                }
                Err(e) => vault.notice.set(Some(format!(
                    "The upgrade of your files did not finish ({e}). Coffer tries again next time."
                ))),
            }
        }
        load_interrupted(vault, &keys).await;
    });
}

async fn load_interrupted(vault: Vault, keys: &UnlockedKeys) {
    let Ok(list) = http::json::<UploadList>("GET", "/api/uploads", NO_BODY).await else {
        return;
    };
    let live: Vec<String> = list.uploads.iter().map(|u| u.upload_id.clone()).collect();
    pending::prune(&keys.username, &live);
    let records = pending::all();
    let active = ACTIVE.with(|a| a.borrow().clone());
    let rows = list
        .uploads
        .into_iter()
        .filter(|u| !active.contains(&u.upload_id))
        .map(|info| {
            let record = records
                .iter()
                .find(|r| r.upload_id == info.upload_id && r.username == keys.username)
                .cloned();
            let name = record.as_ref().and_then(|r| {
                let id = file_id_from_hex(&r.file_id)?;
                let key = unwrap_file_key(&keys.identity, &r.wrapped_key, &id).ok()?;
                coffer_crypto::open_metadata(&key, &id, &r.sealed_metadata)
                    .ok()
                    .map(|m| safe_file_name(&m.name))
            });
            Interrupted { info, record, name }
        })
        .collect();
    vault.interrupted.set(rows);
}

fn new_transfer(
    vault: Vault,
    kind: TransferKind,
    name: String,
    total: u64,
    plain_total: u64,
) -> Transfer {
    let id = vault.next_id.get_value();
    vault.next_id.set_value(id + 1);
    let make = move || Transfer {
        id,
        kind,
        name,
        total,
        plain_total,
        done: RwSignal::new(0),
        rate: RwSignal::new(0.0),
        state: RwSignal::new(TransferState::Running),
        restartable: RwSignal::new(false),
        folded: RwSignal::new(false),
    };
    let transfer = match vault.owner.get_value() {
        Some(owner) => owner.with(make),
        None => make(),
    };
    vault.transfers.update(|t| t.insert(0, transfer.clone()));
    transfer
}

/// Least time between two progress redraws of a transfer row.
const PROGRESS_EVERY_MS: f64 = 200.0;
/// How long a finished row stays open before it folds into the "done" line.
const FOLD_AFTER_MS: u32 = 6000;
/// How often the "next try in N s" of a reconnecting row is redrawn.
const COUNTDOWN_EVERY_MS: u32 = 250;

/// What a running transfer reports to: its abort signal, its progress, and its outage.
struct Tracked {
    signal: web_sys::AbortSignal,
    progress: Rc<dyn Fn(u64)>,
    reconnect: Reconnect,
}

fn track(transfer: &Transfer) -> Tracked {
    let controller = AbortController::new().expect("AbortController exists in every browser");
    let signal = controller.signal();
    ABORTS.with(|a| a.borrow_mut().insert(transfer.id, controller));
    let shown = Cell::new(f64::NEG_INFINITY);
    let pace = Rc::new(RefCell::new(Pace::new()));
    let (done, rate, total) = (transfer.done, transfer.rate, transfer.total);
    // The row is redrawn at most every PROGRESS_EVERY_MS (and at the end): a redraw per 2 MiB
    // batch costs the page's main thread style, layout and paint work it needs for the transfer.
    let progress = {
        let pace = pace.clone();
        Rc::new(move |bytes: u64| {
            let now = now_ms();
            if now - shown.get() < PROGRESS_EVERY_MS && bytes < total {
                return;
            }
            shown.set(now);
            done.set(bytes);
            if let Some(r) = pace.borrow_mut().update(now, bytes) {
                rate.set(r);
            }
        })
    };
    let reconnect = Rc::new(RowOutage {
        backoff: Rc::new(RefCell::new(Backoff::default())),
        state: transfer.state,
        done,
        pace,
        counting_down: Rc::new(Cell::new(false)),
    });
    Tracked {
        signal,
        progress,
        reconnect,
    }
}

/// A transfer row's side of an outage: when to try again ([`Backoff`]), and the words on the row
/// while it waits. Once the transfer has ended (a cancel sent again in the background) the row
/// is left as it is.
struct RowOutage {
    backoff: Rc<RefCell<Backoff>>,
    state: RwSignal<TransferState>,
    done: RwSignal<u64>,
    pace: Rc<RefCell<Pace>>,
    /// A countdown task is running.
    counting_down: Rc<Cell<bool>>,
}

impl RowOutage {
    /// Puts the countdown on the row, if it is still going. `false` once it is not.
    fn show(state: RwSignal<TransferState>, backoff: &Backoff) -> bool {
        let Some(now) = state.try_get_untracked() else {
            return false;
        };
        if !now.is_active() {
            return false;
        }
        let next = TransferState::Reconnecting {
            next_try_in: backoff.next_try_in(now_ms()),
        };
        if now != next {
            state.set(next);
        }
        true
    }
}

impl Outage for RowOutage {
    fn failed(&self, now_ms: f64) -> f64 {
        let due = self.backoff.borrow_mut().failed(now_ms);
        Self::show(self.state, &self.backoff.borrow());
        if !self.counting_down.replace(true) {
            let (backoff, state, counting) =
                (self.backoff.clone(), self.state, self.counting_down.clone());
            spawn_local(async move {
                loop {
                    sleep_ms(COUNTDOWN_EVERY_MS).await;
                    let out = backoff.borrow().is_out();
                    if !out || !Self::show(state, &backoff.borrow()) {
                        break;
                    }
                }
                counting.set(false);
            });
        }
        due
    }

    fn answered(&self) {
        if !self.backoff.borrow_mut().answered() {
            return;
        }
        if let Some(TransferState::Reconnecting { .. }) = self.state.try_get_untracked() {
            self.state.set(TransferState::Running);
        }
        let done = self.done.try_get_untracked().unwrap_or(0);
        self.pace.borrow_mut().resume(now_ms(), done);
    }
}

fn untrack(transfer: &Transfer) {
    ABORTS.with(|a| a.borrow_mut().remove(&transfer.id));
}

/// Ends a transfer's row: a row that finished well (or was cancelled) folds into the list's
/// "done" line a few seconds later.
fn finish(transfer: &Transfer, state: TransferState) {
    let folds = matches!(state, TransferState::Done(_) | TransferState::Cancelled);
    transfer.state.set(state);
    if folds {
        let folded = transfer.folded;
        spawn_local(async move {
            sleep_ms(FOLD_AFTER_MS).await;
            folded.try_set(true);
        });
    }
}

/// Stops a running transfer.
pub fn cancel(transfer_id: u64) {
    ABORTS.with(|a| {
        if let Some(controller) = a.borrow().get(&transfer_id) {
            controller.abort();
        }
    });
}

/// After a refused resume: uploads the file again as a new file (new key, new salt).
pub fn restart(vault: Vault, session: Session, transfer_id: u64) {
    if let Some(file) = RESTARTS.with(|r| r.borrow_mut().remove(&transfer_id)) {
        vault
            .transfers
            .update(|t| t.retain(|t| t.id != transfer_id));
        start_upload(vault, session, file, None);
    }
}

/// Refuses an upload before it starts if it cannot fit.
fn refusal(vault: Vault, ciphertext_size: Option<u64>) -> Option<String> {
    let usage = vault.usage.get_untracked().unwrap_or_default();
    match ciphertext_size {
        None => Some(UploadError::TooLarge.message()),
        Some(size) if usage.max_file_bytes > 0 && size > usage.max_file_bytes => Some(format!(
            "This file is too large: Coffer stores files up to {}.",
            human_bytes(usage.max_file_bytes)
        )),
        Some(size) if usage.quota_bytes > 0 => {
            let free = usage
                .quota_bytes
                .saturating_sub(usage.stored_bytes.saturating_add(usage.reserved_bytes));
            (size > free).then(|| {
                format!(
                    "Not enough space: this file needs {}, and {} is free.",
                    human_bytes(size),
                    human_bytes(free)
                )
            })
        }
        _ => None,
    }
}

/// Encrypts and uploads `file`, or resumes `interrupted` with it.
pub fn start_upload(vault: Vault, session: Session, file: File, interrupted: Option<Interrupted>) {
    let Some(keys) = session.keys() else {
        return;
    };
    let ciphertext_size = ciphertext_size_of(file.size() as u64);
    let transfer = new_transfer(
        vault,
        TransferKind::Upload,
        safe_file_name(&file.name()),
        ciphertext_size.unwrap_or(0),
        file.size() as u64,
    );
    if interrupted.is_none() {
        if let Some(message) = refusal(vault, ciphertext_size) {
            transfer.state.set(TransferState::Failed(message));
            return;
        }
    }
    let Tracked {
        signal,
        progress,
        reconnect,
    } = track(&transfer);
    spawn_local(async move {
        let upload_id = Rc::new(RefCell::new(None::<String>));
        let result = match &interrupted {
            None => match Source::file(&file) {
                Ok(source) => {
                    let remember = upload_id.clone();
                    upload::upload_new(source, &keys, &signal, progress, &reconnect, move |id| {
                        ACTIVE.with(|a| a.borrow_mut().insert(id.to_string()));
                        *remember.borrow_mut() = Some(id.to_string());
                    })
                    .await
                }
                Err(e) => Err(e),
            },
            Some(Interrupted {
                info,
                record: Some(record),
                ..
            }) => {
                ACTIVE.with(|a| a.borrow_mut().insert(info.upload_id.clone()));
                *upload_id.borrow_mut() = Some(info.upload_id.clone());
                vault
                    .interrupted
                    .update(|list| list.retain(|i| i.info.upload_id != info.upload_id));
                upload::resume(&file, record, info, &keys, &signal, progress, &reconnect).await
            }
            Some(_) => Err(UploadError::Protocol),
        };
        untrack(&transfer);
        if let Some(id) = upload_id.borrow().as_ref() {
            ACTIVE.with(|a| a.borrow_mut().remove(id));
        }
        finish(
            &transfer,
            match result {
                Ok(_) => TransferState::Done("Encrypted and stored.".into()),
                Err(UploadError::Cancelled) => TransferState::Cancelled,
                Err(e) => {
                    if let UploadError::Http(http) = &e {
                        failed(session, http);
                    }
                    if matches!(
                        e,
                        UploadError::ChangedSinceStart | UploadError::CannotResume
                    ) {
                        RESTARTS.with(|r| r.borrow_mut().insert(transfer.id, file.clone()));
                        transfer.restartable.set(true);
                    }
                    let mut message = e.message();
                    if e.resumable() {
                        message.push_str(" You can resume this upload from this page.");
                    }
                    TransferState::Failed(message)
                }
            },
        );
        refresh(vault, session);
    });
}

/// Downloads `row`, decrypting it into a file the user picks (or a `Blob` download), and
/// checking it against the owner's signed content digest.
pub fn start_download(vault: Vault, session: Session, row: FileRow) {
    spawn_local(async move {
        let Some(keys) = session.keys() else {
            return;
        };
        let sink = match Sink::choose(&row.name, &row.mime, row.size).await {
            Ok(Some(sink)) => sink,
            Ok(None) => return,
            Err(e) => {
                let t = new_transfer(vault, TransferKind::Download, row.name.clone(), 0, 0);
                t.state.set(TransferState::Failed(e.message()));
                return;
            }
        };
        let transfer = new_transfer(
            vault,
            TransferKind::Download,
            row.name.clone(),
            row.ciphertext_size,
            row.size,
        );
        let Tracked {
            signal,
            progress,
            reconnect,
        } = track(&transfer);
        let result = async {
            let opened = file_id_from_hex(&row.id)
                .ok_or(DownloadError::NotCoffer)
                .and_then(|id| Ok((id, file_key(&keys, &row).ok_or(DownloadError::WrongKey)?)));
            let (id, key) = match opened {
                Ok(opened) => opened,
                Err(e) => {
                    sink.abort().await;
                    return Err(e);
                }
            };
            download_into(
                &row.content_url,
                &key,
                Expected {
                    file: Expect::File(&id),
                    ciphertext_size: row.ciphertext_size,
                    content: row.content,
                },
                sink,
                &signal,
                &*progress,
                &reconnect,
            )
            .await
        }
        .await;
        untrack(&transfer);
        finish(
            &transfer,
            match result {
                Ok(()) => TransferState::Done("Decrypted and saved.".into()),
                Err(DownloadError::Cancelled) => TransferState::Cancelled,
                Err(e) => {
                    if let DownloadError::Http(http) = &e {
                        failed(session, http);
                    }
                    TransferState::Failed(e.message())
                }
            },
        );
    });
}

/// Shows the file key for `row` in a dialog.
pub fn export_key(vault: Vault, session: Session, row: FileRow) {
    let Some(keys) = session.keys() else {
        return;
    };
    match file_key(&keys, &row) {
        Some(key) => vault.dialog.set(Some(Dialog::ExportKey {
            key: key.export().to_string(),
            row,
        })),
        None => vault
            .notice
            .set(Some("This file's key could not be opened.".into())),
    }
}

/// The next version of one of the user's own files with `metadata` (sealed under `key`).
pub fn next_version(
    keys: &UnlockedKeys,
    row: &FileRow,
    key: &FileKey,
    metadata: &FileMetadata,
) -> Result<NewVersion, String> {
    let RowSource::Own { version, .. } = &row.source else {
        return Err("Only the owner can change a file.".into());
    };
    let id = file_id_from_hex(&row.id).ok_or("This file cannot be changed.")?;
    let next = match version {
        Some(v) => v
            .next()
            .map_err(|_| "This file has too many versions.".to_string())?,
        // A v1 file not yet upgraded: its first signed version, content not bound.
        None => FileVersion {
            number: 1,
            content: ContentBinding::Unbound,
        },
    };
    let sealed_metadata =
        seal_metadata(key, &id, metadata, &mut OsRng).map_err(|_| "That name is too long.")?;
    let sealed = seal_file_version(
        &keys.account_key,
        &keys.identity,
        &id,
        &next,
        &sealed_metadata,
        key,
        &mut OsRng,
    )
    .map_err(|_| "This file cannot be changed.".to_string())?;
    Ok(NewVersion {
        sealed_metadata,
        key_slot: sealed.key_slot,
        version_record: sealed.record,
    })
}

/// Re-seals `row`'s metadata with `new_name` as the file's next version and stores it.
pub async fn rename(session: Session, row: &FileRow, new_name: String) -> Result<FileRow, String> {
    let keys = session.keys().ok_or("Your keys are locked.")?;
    let key = file_key(&keys, row).ok_or("This file's key could not be opened.")?;
    let metadata = FileMetadata {
        name: new_name,
        mime: row.mime.clone(),
        size: row.size,
        modified_ms: row.modified_ms,
    };
    let body = next_version(&keys, row, &key, &metadata)?;
    let info: FileInfo = http::json(
        "PUT",
        &format!("/api/files/{}/metadata", row.id),
        Some(&body),
    )
    .await
    .map_err(|e| failed(session, &e))?;
    match check_own_file(&keys, false, &info) {
        OwnFile::Verified {
            metadata, version, ..
        } => Ok(own_row(&info, &metadata, Some(version))),
        _ => Err("The server did not store the new name as sent.".into()),
    }
}

/// Deletes a file (its row at once; its content right after, on the server).
pub async fn delete(session: Session, id: &str) -> Result<(), String> {
    http::call("DELETE", &format!("/api/files/{id}"), NO_BODY)
        .await
        .map(|_| ())
        .map_err(|e| failed(session, &e))
}

/// Cancels an interrupted upload on the server.
pub async fn discard(session: Session, upload_id: &str) -> Result<(), String> {
    upload::discard(upload_id)
        .await
        .map_err(|e| failed(session, &e))
}

/// Re-encrypts `row` with a new key (see `client::reencrypt`); its people keep access.
pub fn start_reencrypt(vault: Vault, session: Session, row: FileRow) {
    let Some(keys) = session.keys() else {
        return;
    };
    let RowSource::Own { info, .. } = row.source.clone() else {
        return;
    };
    let Some(key) = file_key(&keys, &row) else {
        vault
            .notice
            .set(Some("This file's key could not be opened.".into()));
        return;
    };
    let transfer = new_transfer(
        vault,
        TransferKind::Upload,
        format!("{} (re-encrypting)", row.name),
        ciphertext_size_of(row.size).unwrap_or(0),
        row.size,
    );
    let Tracked {
        signal,
        progress,
        reconnect,
    } = track(&transfer);
    spawn_local(async move {
        let metadata = FileMetadata {
            name: row.name.clone(),
            mime: row.mime.clone(),
            size: row.size,
            modified_ms: row.modified_ms,
        };
        let result = crate::client::reencrypt::reencrypt(
            &keys,
            &info,
            &key,
            &metadata,
            row.content,
            &signal,
            progress,
            &reconnect,
        )
        .await;
        untrack(&transfer);
        match result {
            Ok(done) => {
                let mut words = format!(
                    "Re-encrypted “{}” with a new key. Links to the old version stopped working.",
                    row.name
                );
                if !done.kept.is_empty() {
                    words.push_str(&format!(" Still shared with {}.", done.kept.join(", ")));
                }
                if !done.dropped.is_empty() {
                    words.push_str(&format!(
                        " Not shared again with {} (their key could not be confirmed): share \
                         with them again if they should keep access.",
                        done.dropped.join(", ")
                    ));
                }
                finish(&transfer, TransferState::Done("Re-encrypted.".into()));
                vault.notice.set(Some(words));
            }
            Err(e) => finish(&transfer, TransferState::Failed(e.message())),
        }
        refresh(vault, session);
    });
}

/// "Keep this copy" / "Start a new contact list": the user accepts the record the server
/// returned (rolled back, or damaged and replaced by an empty one).
pub async fn accept_record(session: Session) -> Result<(), String> {
    let keys = session.keys().ok_or("Your keys are locked.")?;
    account_record::update(&keys, true, |_| {})
        .await
        .map(|_| ())
        .map_err(|e| e.message())
}
