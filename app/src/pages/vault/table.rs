//! The file table: sorting (by the column headers, or on a phone, where they are hidden, by the
//! "Sort by" choice), search, the rows in view of a long list, a row's actions.

use leptos::{html, prelude::*};

use super::*;

/// Above this many rows the table renders only the rows in view and a margin around them
/// (a 10 000-file vault would otherwise put every row in the page at once).
const VIRTUAL_FROM: usize = 300;
/// Rows rendered above and below the ones in view.
const OVERSCAN: usize = 25;

/// The orders the "Sort by" choice offers (the column headers reach the same ones).
const SORT_CHOICES: [(&str, SortKey, bool, &str); 6] = [
    ("date-desc", SortKey::Date, false, "Newest first"),
    ("date-asc", SortKey::Date, true, "Oldest first"),
    ("name-asc", SortKey::Name, true, "Name A–Z"),
    ("name-desc", SortKey::Name, false, "Name Z–A"),
    ("size-desc", SortKey::Size, false, "Largest first"),
    ("size-asc", SortKey::Size, true, "Smallest first"),
];

#[component]
pub(super) fn FileTable(query: RwSignal<String>) -> impl IntoView {
    let vault = use_vault();
    let sort = RwSignal::new((SortKey::Date, false));
    let rows = Memo::new(move |_| {
        let (key, ascending) = sort.get();
        visible_rows(&vault.files.read(), &query.read(), key, ascending)
    });
    let namesakes = Memo::new(move |_| model::namesake_numbers(&vault.files.read()));
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
        let on_scroll = window_event_listener(leptos::ev::scroll, move |_| measure());
        let on_resize = window_event_listener(leptos::ev::resize, move |_| measure());
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
    // Set through the CSSOM (`style:height`), which the page's CSP allows; a `style` attribute
    // it would refuse (no 'unsafe-inline' for styles).
    let spacer = move |rows_hidden: usize| format!("{}px", rows_hidden as f64 * row_height.get());
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
                <SortChoice sort/>
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
                            style:height=move || spacer(window.get().0)></tr>
                        <For
                            each=move || {
                                let (start, end) = window.get();
                                rows.read()[start..end].to_vec()
                            }
                            key=|row| (row.id.clone(), row.name.clone())
                            children=move |row| view! { <FileRowView row namesakes/> }
                        />
                        <tr class="spacer" aria-hidden="true"
                            hidden=move || window.get().1 == rows.read().len()
                            style:height=move || spacer(rows.read().len() - window.get().1)></tr>
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

/// The sort order as one choice: the column headers are hidden on a phone, and with them their
/// sort buttons.
#[component]
fn SortChoice(sort: RwSignal<(SortKey, bool)>) -> impl IntoView {
    let current = move || {
        let (key, ascending) = sort.get();
        SORT_CHOICES
            .iter()
            .find(|(_, k, a, _)| *k == key && *a == ascending)
            .map_or("date-desc", |(value, ..)| *value)
    };
    let on_change = move |ev| {
        let value = event_target_value(&ev);
        if let Some((_, key, ascending, _)) = SORT_CHOICES.iter().find(|(v, ..)| *v == value) {
            sort.set((*key, *ascending));
        }
    };
    view! {
        <div class="sort-choice">
            <label for="sort-by">"Sort by"</label>
            <select id="sort-by" on:change=on_change prop:value=current>
                {SORT_CHOICES.iter().map(|(value, _, _, label)| view! {
                    <option value=*value selected=move || current() == *value>{*label}</option>
                }).collect_view()}
            </select>
        </div>
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
fn FileRowView(
    row: FileRow,
    /// Numbers of files that share their name with another (see `model::namesake_numbers`).
    namesakes: Memo<std::collections::HashMap<String, usize>>,
) -> impl IntoView {
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
    let namesake_id = row.id.clone();
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
                {move || namesakes.read().get(&namesake_id).map(|n| view! {
                    " "
                    <span class="namesake" data-testid="namesake"
                        title=format!("Other files have this name; this one was uploaded as number {n}")>
                        <span class="visually-hidden">"number "</span>{format!("({n})")}
                    </span>
                })}
            </td>
            <td class="size">{human_bytes(row.size)}</td>
            <td class="date">
                <span class="visually-hidden">"Uploaded "</span>{human_date(row.created_at)}
            </td>
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
