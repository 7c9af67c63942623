//! What the vault page's buttons do (browser only): list and decrypt, upload, download, rename,
//! delete, export a key, resume or discard an interrupted upload.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
};

use coffer_crypto::{open_metadata, plaintext_len, seal_metadata, unwrap_file_key, FileMetadata};
use leptos::{prelude::*, task::spawn_local};
use rand_core::OsRng;
use web_sys::{AbortController, File};

use super::{
    model::{human_bytes, FileRow, Transfer, TransferKind, TransferState},
    Dialog, Interrupted, Vault,
};
use crate::{
    client::{
        download::{decrypt_into, fetch_content, DownloadError, Expect, Sink},
        file_id_from_hex,
        http::{self, HttpError, NO_BODY},
        now_ms, pending,
        upload::{self, ciphertext_size_of, UploadError},
    },
    keyring::UnlockedKeys,
    session::Session,
    wire::vault::{FileInfo, FileList, Rename, UploadList},
};

thread_local! {
    /// Abort controllers of running transfers, by transfer id.
    static ABORTS: RefCell<HashMap<u64, AbortController>> = RefCell::new(HashMap::new());
    /// Upload ids this tab is sending right now (not "interrupted").
    static ACTIVE: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

fn decrypt_row(keys: &UnlockedKeys, f: &FileInfo) -> FileRow {
    let mut row = open_row(
        keys,
        &f.id,
        &f.wrapped_key,
        &f.sealed_metadata,
        f.ciphertext_size,
        f.chunk_size,
    );
    row.created_at = f.created_at;
    row
}

/// A row for a file shared with the caller.
pub fn decrypt_shared_row(keys: &UnlockedKeys, f: &crate::wire::sharing::SharedFile) -> FileRow {
    let mut row = open_row(
        keys,
        &f.id,
        &f.wrapped_key,
        &f.sealed_metadata,
        f.ciphertext_size,
        f.chunk_size,
    );
    row.created_at = f.shared_at;
    row.content_url = format!("/api/shared/{}/content", f.id);
    row.owner = Some(f.owner.clone());
    row
}

fn open_row(
    keys: &UnlockedKeys,
    id: &str,
    wrapped_key: &[u8],
    sealed_metadata: &[u8],
    ciphertext_size: u64,
    chunk_size: u32,
) -> FileRow {
    let opened = file_id_from_hex(id).and_then(|file_id| {
        let key = unwrap_file_key(&keys.identity, wrapped_key, &file_id).ok()?;
        open_metadata(&key, &file_id, sealed_metadata).ok()
    });
    let (name, mime, size, modified_ms, readable) = match opened {
        Some(m) => (m.name, m.mime, m.size, m.modified_ms, true),
        None => (
            "Unreadable file".to_string(),
            String::new(),
            plaintext_len(ciphertext_size, chunk_size).unwrap_or(0),
            0,
            false,
        ),
    };
    FileRow {
        id: id.to_string(),
        name,
        mime,
        size,
        created_at: 0,
        modified_ms,
        ciphertext_size,
        wrapped_key: wrapped_key.to_vec(),
        content_url: format!("/api/files/{id}/content"),
        owner: None,
        readable,
    }
}

fn failed(session: Session, e: &HttpError) -> String {
    if e.unauthenticated() {
        session.forget();
    }
    e.message()
}

/// Loads the file list (decrypting names here) and the unfinished uploads.
pub fn refresh(vault: Vault, session: Session) {
    spawn_local(async move {
        let Some(keys) = session.keys() else {
            return;
        };
        match http::json::<FileList>("GET", "/api/files", NO_BODY).await {
            Ok(list) => {
                vault
                    .files
                    .set(list.files.iter().map(|f| decrypt_row(&keys, f)).collect());
                vault.usage.set(Some(list.usage));
                vault.load_error.set(None);
            }
            Err(e) => vault.load_error.set(Some(failed(session, &e))),
        }
        vault.loaded.set(true);
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
                    open_metadata(&key, &id, &r.sealed_metadata)
                        .ok()
                        .map(|m| m.name)
                });
                Interrupted { info, record, name }
            })
            .collect();
        vault.interrupted.set(rows);
    });
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
    let transfer = Transfer {
        id,
        kind,
        name,
        total,
        plain_total,
        done: RwSignal::new(0),
        rate: RwSignal::new(0.0),
        state: RwSignal::new(TransferState::Running),
    };
    vault.transfers.update(|t| t.insert(0, transfer.clone()));
    transfer
}

/// Least time between two progress redraws of a transfer row.
const PROGRESS_EVERY_MS: f64 = 200.0;

fn track(transfer: &Transfer) -> (web_sys::AbortSignal, Rc<dyn Fn(u64)>) {
    let controller = AbortController::new().expect("AbortController exists in every browser");
    let signal = controller.signal();
    ABORTS.with(|a| a.borrow_mut().insert(transfer.id, controller));
    let started = now_ms();
    let shown = std::cell::Cell::new(f64::NEG_INFINITY);
    let (done, rate, total) = (transfer.done, transfer.rate, transfer.total);
    // The row is redrawn at most every PROGRESS_EVERY_MS (and at the end): a redraw per 2 MiB
    // batch costs the page's main thread style, layout and paint work it needs for the transfer.
    let progress = Rc::new(move |bytes: u64| {
        let now = now_ms();
        if now - shown.get() < PROGRESS_EVERY_MS && bytes < total {
            return;
        }
        shown.set(now);
        done.set(bytes);
        let seconds = (now - started) / 1000.0;
        if seconds > 0.05 {
            rate.set(bytes as f64 / seconds);
        }
    });
    (signal, progress)
}

fn untrack(transfer: &Transfer) {
    ABORTS.with(|a| a.borrow_mut().remove(&transfer.id));
}

/// Stops a running transfer.
pub fn cancel(transfer_id: u64) {
    ABORTS.with(|a| {
        if let Some(controller) = a.borrow().get(&transfer_id) {
            controller.abort();
        }
    });
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
        file.name(),
        ciphertext_size.unwrap_or(0),
        file.size() as u64,
    );
    if interrupted.is_none() {
        let usage = vault.usage.get_untracked().unwrap_or_default();
        let refusal = match ciphertext_size {
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
        };
        if let Some(message) = refusal {
            transfer.state.set(TransferState::Failed(message));
            return;
        }
    }
    let (signal, progress) = track(&transfer);
    spawn_local(async move {
        let upload_id = Rc::new(RefCell::new(None::<String>));
        let result = match &interrupted {
            None => {
                let remember = upload_id.clone();
                upload::upload_new(&file, &keys, &signal, progress, move |id| {
                    ACTIVE.with(|a| a.borrow_mut().insert(id.to_string()));
                    *remember.borrow_mut() = Some(id.to_string());
                })
                .await
            }
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
                upload::resume(&file, record, info, &keys, &signal, progress).await
            }
            Some(_) => Err(UploadError::Protocol),
        };
        untrack(&transfer);
        if let Some(id) = upload_id.borrow().as_ref() {
            ACTIVE.with(|a| a.borrow_mut().remove(id));
        }
        transfer.state.set(match result {
            Ok(_) => TransferState::Done("Encrypted and stored.".into()),
            Err(UploadError::Cancelled) => TransferState::Cancelled,
            Err(e) => {
                if let UploadError::Http(http) = &e {
                    failed(session, http);
                }
                let mut message = e.message();
                if e.resumable() {
                    message.push_str(" You can resume this upload from this page.");
                }
                TransferState::Failed(message)
            }
        });
        refresh(vault, session);
    });
}

/// Downloads `row`, decrypting it into a file the user picks (or a `Blob` download).
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
        let (signal, progress) = track(&transfer);
        let result = async {
            let id = file_id_from_hex(&row.id).ok_or(DownloadError::NotCoffer)?;
            let key = unwrap_file_key(&keys.identity, &row.wrapped_key, &id)
                .map_err(|_| DownloadError::WrongKey)?;
            let stream = fetch_content(&row.content_url, &[], row.ciphertext_size, &signal).await;
            let stream = match stream {
                Ok(stream) => stream,
                Err(e) => {
                    sink.abort().await;
                    return Err(e);
                }
            };
            decrypt_into(
                &stream,
                row.ciphertext_size,
                &key,
                Expect::File(&id),
                sink,
                Some(&signal),
                &*progress,
            )
            .await
        }
        .await;
        untrack(&transfer);
        transfer.state.set(match result {
            Ok(()) => TransferState::Done("Decrypted and saved.".into()),
            Err(DownloadError::Cancelled) => TransferState::Cancelled,
            Err(e) => {
                if let DownloadError::Http(http) = &e {
                    failed(session, http);
                }
                TransferState::Failed(e.message())
            }
        });
    });
}

/// Shows the file key for `row` in a dialog.
pub fn export_key(vault: Vault, session: Session, row: FileRow) {
    let Some(keys) = session.keys() else {
        return;
    };
    let key = file_id_from_hex(&row.id)
        .and_then(|id| unwrap_file_key(&keys.identity, &row.wrapped_key, &id).ok());
    match key {
        Some(key) => vault.dialog.set(Some(Dialog::ExportKey {
            key: key.export().to_string(),
            row,
        })),
        None => vault
            .notice
            .set(Some("This file's key could not be opened.".into())),
    }
}

/// Re-seals `row`'s metadata with `new_name` and stores it.
pub async fn rename(session: Session, row: &FileRow, new_name: String) -> Result<FileRow, String> {
    let keys = session.keys().ok_or("Your keys are locked.")?;
    let id = file_id_from_hex(&row.id).ok_or("This file cannot be renamed.")?;
    let key = unwrap_file_key(&keys.identity, &row.wrapped_key, &id)
        .map_err(|_| "This file's key could not be opened.".to_string())?;
    let metadata = FileMetadata {
        name: new_name,
        mime: row.mime.clone(),
        size: row.size,
        modified_ms: row.modified_ms,
    };
    let sealed_metadata = seal_metadata(&key, &id, &metadata, &mut OsRng)
        .map_err(|_| "That name is too long.".to_string())?;
    let info: FileInfo = http::json(
        "PUT",
        &format!("/api/files/{}/metadata", row.id),
        Some(&Rename { sealed_metadata }),
    )
    .await
    .map_err(|e| failed(session, &e))?;
    Ok(decrypt_row(&keys, &info))
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
