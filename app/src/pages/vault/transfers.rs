//! Transfers in progress or done, and uploads interrupted by a reload.

use leptos::{ev, prelude::*};

use super::*;

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
pub(super) fn InterruptedUploads() -> impl IntoView {
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

