//! "Decrypt a file": a `.coffer` file plus its exported key give back the plaintext, entirely in
//! this browser, without an account (and, with the PWA, offline).

use leptos::{ev, html, prelude::*};
use leptos_meta::Title;

use crate::components::ErrorMessage;

/// The name to save a decrypted `.coffer` file under (made safe like every decrypted name).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn plaintext_name(encrypted_name: &str) -> String {
    let stem = encrypted_name
        .strip_suffix(".coffer")
        .unwrap_or(encrypted_name)
        .trim();
    if stem.is_empty() {
        "decrypted-file".into()
    } else {
        coffer_crypto::safe_file_name(stem)
    }
}

/// A `.coffer` file opened far enough to decrypt: where its stream is, and the name and type to
/// save it under (from the sealed metadata of an export, docs/CRYPTO.md §6.6; from the file's
/// own name for a bare stream).
#[cfg(feature = "hydrate")]
struct CofferSource {
    stream: web_sys::ReadableStream,
    ciphertext_size: u64,
    name: String,
    mime: String,
}

#[cfg(feature = "hydrate")]
async fn open_coffer_file(
    file: &web_sys::File,
    key: &coffer_crypto::FileKey,
) -> Result<CofferSource, crate::client::download::DownloadError> {
    use crate::client::download::DownloadError;
    use coffer_crypto::{blob_len, header_file_id, open_metadata, read_coffer_file, CofferFile};
    let size = file.size();
    let head_len = (coffer_crypto::MAX_EXPORT_PREFIX + blob_len::STREAM_HEADER) as f64;
    let head = file
        .slice_with_f64_and_f64(0.0, head_len.min(size))
        .map_err(|_| DownloadError::NotCoffer)?;
    let head = wasm_bindgen_futures::JsFuture::from(head.array_buffer())
        .await
        .map_err(|_| DownloadError::NotCoffer)?;
    let head = js_sys::Uint8Array::new(&head).to_vec();
    match read_coffer_file(&head).map_err(|_| DownloadError::NotCoffer)? {
        CofferFile::Bare => Ok(CofferSource {
            stream: file.stream(),
            ciphertext_size: size as u64,
            name: plaintext_name(&file.name()),
            mime: String::new(),
        }),
        CofferFile::Export {
            sealed_metadata,
            stream_offset,
        } => {
            let header = head
                .get(stream_offset..stream_offset + blob_len::STREAM_HEADER)
                .ok_or(DownloadError::NotCoffer)?;
            let file_id = header_file_id(header).map_err(|_| DownloadError::NotCoffer)?;
            let metadata = open_metadata(key, &file_id, sealed_metadata)
                .map_err(|_| DownloadError::WrongKey)?;
            let ciphertext_size = (size as u64).saturating_sub(stream_offset as u64);
            let rest = file
                .slice_with_f64(stream_offset as f64)
                .map_err(|_| DownloadError::NotCoffer)?;
            let name = coffer_crypto::safe_file_name(&metadata.name);
            Ok(CofferSource {
                stream: rest.stream(),
                ciphertext_size,
                name: if name.is_empty() {
                    "decrypted-file".into()
                } else {
                    name
                },
                mime: metadata.mime,
            })
        }
    }
}

/// The page.
#[component]
pub fn DecryptPage() -> impl IntoView {
    let file_input: NodeRef<html::Input> = NodeRef::new();
    let key_text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let progress = RwSignal::new((0u64, 0u64));

    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        status.set(None);
        #[cfg(feature = "hydrate")]
        {
            use crate::client::download::{decrypt_into, Expect, Expected, Sink};
            let Some(file) = file_input
                .get_untracked()
                .and_then(|i| i.files())
                .and_then(|l| l.get(0))
            else {
                error.set(Some("Choose the encrypted file (.coffer) first.".into()));
                return;
            };
            let key = match coffer_crypto::FileKey::import(key_text.get_untracked().trim()) {
                Ok(key) => key,
                Err(_) => {
                    error.set(Some(
                        "That is not a Coffer file key. It starts with “coffer-key-v1:”; \
                         paste all of it."
                            .into(),
                    ));
                    return;
                }
            };
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = async {
                    let source = open_coffer_file(&file, &key).await?;
                    let size = source.ciphertext_size;
                    progress.set((0, size));
                    let Some(sink) = Sink::choose(&source.name, &source.mime, size).await? else {
                        return Ok(None);
                    };
                    status.set(Some("Decrypting…".into()));
                    let report = move |done: u64| progress.set((done, size));
                    decrypt_into(
                        &source.stream,
                        &key,
                        Expected {
                            file: Expect::FromHeader,
                            ciphertext_size: size,
                            // A stand-alone file carries no signed version.
                            content: coffer_crypto::ContentBinding::Unbound,
                        },
                        sink,
                        None,
                        &report,
                    )
                    .await?;
                    Ok::<_, crate::client::download::DownloadError>(Some(source.name))
                }
                .await;
                match result {
                    Ok(Some(name)) => status.set(Some(format!("Decrypted and saved as “{name}”."))),
                    Ok(None) => status.set(None),
                    Err(e) => {
                        status.set(None);
                        error.set(Some(e.message()));
                    }
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (file_input, key_text, busy, progress);
    };

    view! {
        <Title text="Decrypt a file · Coffer"/>
        <section class="card narrow">
            <h1>"Decrypt a file"</h1>
            <p>"Turn a file downloaded with “Download encrypted” back into the original, using the \
                key from “Export key”. Everything happens in this browser: the file and the key are \
                not sent anywhere, and no account is needed."</p>
            <form on:submit=on_submit>
                <label for="coffer-file">"Encrypted file (.coffer)"</label>
                <input id="coffer-file" type="file" node_ref=file_input required/>
                <label for="file-key">"File key"</label>
                <textarea id="file-key" rows="3" required autocomplete="off" spellcheck="false"
                    placeholder="coffer-key-v1:…" bind:value=key_text></textarea>
                <ErrorMessage error/>
                <div class="button-row">
                    <button type="submit" disabled=move || busy.get()>"Decrypt and save"</button>
                </div>
            </form>
            <Show when=move || busy.get()>
                <progress max=move || progress.get().1.max(1) as f64 value=move || progress.get().0 as f64
                    aria-label="Decrypting"></progress>
            </Show>
            <p class="notice" role="status" data-testid="decrypt-status" hidden=move || status.get().is_none()>
                {move || status.get().unwrap_or_default()}
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::plaintext_name;

    #[test]
    fn the_coffer_suffix_is_dropped_from_the_saved_name() {
        assert_eq!(plaintext_name("report.pdf.coffer"), "report.pdf");
        assert_eq!(plaintext_name("notes"), "notes");
        assert_eq!(plaintext_name(".coffer"), "decrypted-file");
        assert_eq!(plaintext_name("../x\u{202e}gpj.exe.coffer"), ".._xgpj.exe");
    }
}
