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
                let size = file.size() as u64;
                let name = plaintext_name(&file.name());
                progress.set((0, size));
                let result = match Sink::choose(&name, "", size).await {
                    Ok(Some(sink)) => {
                        status.set(Some("Decrypting…".into()));
                        let report = move |done: u64| progress.set((done, size));
                        decrypt_into(
                            &file.stream(),
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
                        .await
                        .map(|()| true)
                    }
                    Ok(None) => Ok(false),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(true) => status.set(Some(format!("Decrypted and saved as “{name}”."))),
                    Ok(false) => status.set(None),
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
