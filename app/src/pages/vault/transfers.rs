//! Transfers in progress or done, and uploads interrupted by a reload.

use leptos::{ev, prelude::*};

use super::{
    model::{shown_rows, Folded},
    *,
};

#[component]
pub(crate) fn Transfers() -> impl IntoView {
    let vault = use_vault();
    // Folded rows shown again; open rows beyond the first few shown.
    let show_folded = RwSignal::new(false);
    let show_all = RwSignal::new(false);
    let clear = move |_| {
        vault
            .transfers
            .update(|t| t.retain(|t| t.state.get_untracked().is_active()));
        show_folded.set(false);
        show_all.set(false);
    };
    // Which rows show, by id, and what the folded ones add up to.
    let layout = Memo::new(move |_| {
        let list = vault.transfers.get();
        let folded: Vec<bool> = list.iter().map(|t| t.folded.get()).collect();
        let (shown, held_back) = shown_rows(&folded, show_folded.get(), show_all.get());
        let mut summary = Folded::default();
        for t in list.iter().filter(|t| t.folded.get()) {
            summary.add(t.kind, &t.state.get());
        }
        let shown: Vec<u64> = list
            .iter()
            .zip(shown)
            .filter_map(|(t, shown)| shown.then_some(t.id))
            .collect();
        (shown, held_back, summary)
    });
    let more_label = move || {
        let held_back = layout.with(|l| l.1);
        if show_all.get() {
            "Show fewer transfers".to_string()
        } else if held_back == 1 {
            "Show 1 more transfer".to_string()
        } else {
            format!("Show {held_back} more transfers")
        }
    };
    view! {
        <Show when=move || !vault.transfers.read().is_empty()>
            <section class="transfers" aria-labelledby="transfers-title">
                <div class="section-head">
                    <h2 id="transfers-title">"Transfers"</h2>
                    <button type="button" class="link-button" on:click=clear>"Clear finished"</button>
                </div>
                <ul id="transfer-list">
                    <For
                        each=move || vault.transfers.get()
                        key=|t| t.id
                        children=move |t| {
                            let id = t.id;
                            let hidden = Signal::derive(move || !layout.with(|l| l.0.contains(&id)));
                            view! { <TransferRow t hidden/> }
                        }
                    />
                </ul>
                <div class="transfer-folds">
                    <Show when=move || show_all.get() || layout.with(|l| l.1 > 0)>
                        <button type="button" class="link-button" aria-controls="transfer-list"
                            aria-expanded=move || show_all.get().to_string()
                            on:click=move |_| show_all.update(|s| *s = !*s)>{more_label}</button>
                    </Show>
                    <Show when=move || layout.with(|l| l.2.total() > 0)>
                        <span class="transfers-done" data-testid="transfers-done">
                            {move || layout.with(|l| l.2.words())}
                        </span>
                        <button type="button" class="link-button" data-testid="transfers-done-toggle"
                            aria-controls="transfer-list"
                            aria-expanded=move || show_folded.get().to_string()
                            on:click=move |_| show_folded.update(|s| *s = !*s)>
                            {move || if show_folded.get() { "Hide" } else { "Show" }}
                            <span class="visually-hidden">" finished transfers"</span>
                        </button>
                    </Show>
                </div>
            </section>
        </Show>
    }
}

#[component]
fn TransferRow(t: Transfer, #[prop(into)] hidden: Signal<bool>) -> impl IntoView {
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
        folded,
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
    let active = move || state.get().is_active();
    let state_name = move || match state.get() {
        TransferState::Running => "running",
        TransferState::Reconnecting { .. } => "reconnecting",
        TransferState::Done(_) => "done",
        TransferState::Failed(_) => "failed",
        TransferState::Cancelled => "cancelled",
    };
    let status = move || match state.get() {
        TransferState::Running => match kind {
            TransferKind::Upload => "Encrypting and uploading…".to_string(),
            TransferKind::Download => "Downloading and decrypting…".to_string(),
        },
        TransferState::Reconnecting { .. } => "Reconnecting…".to_string(),
        TransferState::Done(words) | TransferState::Failed(words) => words,
        TransferState::Cancelled => "Cancelled.".to_string(),
    };
    let figures = move || {
        let done_now = done.get();
        let running = state.get() == TransferState::Running;
        if running && done_now == 0 {
            return "Starting…".to_string();
        }
        let mut text = format!(
            "{} of {}",
            human_bytes(plain(done_now)),
            human_bytes(plain_total)
        );
        let rate = rate.get();
        if running && rate > 0.0 {
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
        <li class="transfer" data-testid="transfer" data-state=state_name
            data-folded=move || folded.get().to_string() hidden=move || hidden.get()>
            <div class="transfer-line">
                <span class="file-name">{name.clone()}</span>
                <span
                    class="transfer-status"
                    class:error=move || matches!(state.get(), TransferState::Failed(_))
                    class:waiting=move || matches!(state.get(), TransferState::Reconnecting { .. })
                    role=move || if matches!(state.get(), TransferState::Failed(_)) { "alert" } else { "status" }
                >{status}</span>
                // Apart from the status, so a screen reader is not told every second.
                <span class="muted countdown" aria-hidden="true">
                    {move || match state.get() {
                        TransferState::Reconnecting { next_try_in } => {
                            TransferState::next_try_words(next_try_in)
                        }
                        _ => String::new(),
                    }}
                </span>
                <Show when=active>
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
