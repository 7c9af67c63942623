//! The dialogs over the vault page: rename, delete, export key, and the modal they share.

use leptos::{ev, html, prelude::*};

use super::*;
use crate::components::CopyButton;

#[component]
pub(super) fn Dialogs() -> impl IntoView {
    let vault = use_vault();
    // What had focus before a dialog opened (the menu item that opened it): focus goes back
    // there, or to what stands for it, when the dialog closes.
    let opener = Opener(StoredValue::new_with_storage(None));
    provide_context(opener);
    #[cfg(feature = "hydrate")]
    {
        let on_focus = window_event_listener(ev::focusin, move |ev: ev::FocusEvent| {
            if vault.dialog.with_untracked(Option::is_none) {
                let target = ev
                    .target()
                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok());
                opener.0.set_value(target);
            }
        });
        on_cleanup(move || on_focus.remove());
    }
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

/// The element that last had focus outside a dialog.
#[derive(Clone, Copy)]
struct Opener(StoredValue<Option<OpenerElement>, OpenerStorage>);

// In the browser an element (not Send: local storage). On the server nothing, in sync storage:
// a local value is dropped when the render ends, on whichever thread that is, and panics there
// if that is not the thread that made it.
#[cfg(feature = "hydrate")]
type OpenerElement = web_sys::HtmlElement;
#[cfg(feature = "hydrate")]
type OpenerStorage = LocalStorage;
#[cfg(not(feature = "hydrate"))]
type OpenerElement = ();
#[cfg(not(feature = "hydrate"))]
type OpenerStorage = SyncStorage;

/// A modal box for the vault's dialogs. Focus goes to `focus` (or the box) when it opens, stays
/// inside while it is open (Tab and Shift+Tab cycle through its controls), and goes back to
/// what opened it when it closes. Escape closes it in every state, also where focus fell to
/// the page (a button disabled while it works), as does a click on the backdrop.
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
    #[cfg(feature = "hydrate")]
    {
        let back_to = focus_trap::ReturnTo::of(use_context::<Opener>());
        let keys = window_event_listener(ev::keydown, move |ev: ev::KeyboardEvent| {
            match ev.key().as_str() {
                "Escape" => {
                    ev.prevent_default();
                    vault.dialog.set(None);
                }
                "Tab" => {
                    if let Some(panel) = panel.get_untracked() {
                        focus_trap::keep_tab_inside(&panel, &ev);
                    }
                }
                _ => {}
            }
        });
        on_cleanup(move || {
            keys.remove();
            back_to.restore();
        });
    }
    view! {
        <div class="backdrop" on:click=move |_| vault.dialog.set(None)></div>
        <div
            class="dialog card"
            role="dialog"
            aria-modal="true"
            aria-labelledby="dialog-title"
            tabindex="-1"
            data-testid="dialog"
            node_ref=panel
        >
            <h2 id="dialog-title">{title}</h2>
            {children()}
        </div>
    }
}

/// Keeping focus in an open dialog and giving it back afterwards (browser only).
#[cfg(feature = "hydrate")]
mod focus_trap {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement, KeyboardEvent};

    const FOCUSABLE: &str =
        "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), \
        select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

    /// The controls inside `panel` that Tab can reach, in order.
    fn focusable(panel: &Element) -> Vec<HtmlElement> {
        // `querySelectorAll` through JS: its NodeList type is not among web-sys's enabled features.
        let list = js_sys::Reflect::get(panel, &"querySelectorAll".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| f.call1(panel, &FOCUSABLE.into()).ok());
        let Some(list) = list else {
            return Vec::new();
        };
        js_sys::Array::from(&list)
            .iter()
            .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
            .filter(shown)
            .collect()
    }

    /// Laid out (not `display: none`, not inside a closed `<details>`, not `hidden`).
    fn shown(element: &HtmlElement) -> bool {
        element.offset_width() > 0 || element.offset_height() > 0
    }

    fn active() -> Option<Element> {
        web_sys::window()?.document()?.active_element()
    }

    /// Tab on the last control goes to the first, Shift+Tab on the first to the last; from
    /// outside the dialog (focus fell to the page) either goes back in.
    pub(super) fn keep_tab_inside(panel: &HtmlElement, ev: &KeyboardEvent) {
        let controls = focusable(panel);
        let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
            ev.prevent_default();
            let _ = panel.focus();
            return;
        };
        let current = active();
        let at = |el: &HtmlElement| current.as_ref().is_some_and(|c| c == el.as_ref());
        let inside = current
            .as_ref()
            .is_some_and(|c| panel.contains(Some(c.as_ref())) && c != panel.as_ref() as &Element);
        let next = if ev.shift_key() {
            (!inside || at(first)).then_some(last)
        } else {
            (!inside || at(last)).then_some(first)
        };
        if let Some(next) = next {
            ev.prevent_default();
            let _ = next.focus();
        }
    }

    /// Where focus goes when a dialog closes: the control that opened it if it is still shown;
    /// for a choice in a row's "More" menu (closed by then), that menu's button; if the row was
    /// drawn again (a rename), the same row's menu button; else the page's main area.
    /// (The opener stays in the vault's [`Opener`](super::Opener), which only changes while no
    /// dialog is open; the row is noted now, while the opener is still in it.)
    pub(super) struct ReturnTo {
        opener: Option<super::Opener>,
        row_id: Option<String>,
    }

    impl ReturnTo {
        pub(super) fn of(opener: Option<super::Opener>) -> Self {
            let row_id = opener
                .and_then(|o| o.0.try_get_value().flatten())
                .and_then(|o| o.closest("[data-file-id]").ok().flatten())
                .and_then(|row| row.get_attribute("data-file-id"));
            Self { opener, row_id }
        }

        /// Moves focus once the page has redrawn without the dialog.
        pub(super) fn restore(self) {
            let Self { opener, row_id } = self;
            set_timeout(
                move || {
                    let opener = opener.and_then(|o| o.0.try_get_value().flatten());
                    // The first that really takes focus: a control in a closed menu may still
                    // measure as laid out, but cannot be focused.
                    for target in Self::candidates(opener, row_id) {
                        let _ = target.focus();
                        if active().is_some_and(|a| a == *target.as_ref()) {
                            return;
                        }
                    }
                },
                std::time::Duration::ZERO,
            );
        }

        fn candidates(opener: Option<HtmlElement>, row_id: Option<String>) -> Vec<HtmlElement> {
            let Some(document) = web_sys::window().and_then(|w| w.document()) else {
                return Vec::new();
            };
            let menu_button = |el: &HtmlElement| {
                el.closest("details")
                    .ok()
                    .flatten()
                    .and_then(|d| d.query_selector(":scope > summary").ok().flatten())
                    .and_then(|s| s.dyn_into::<HtmlElement>().ok())
            };
            let by_id = |selector: String| {
                document
                    .query_selector(&selector)
                    .ok()
                    .flatten()
                    .and_then(|s| s.dyn_into::<HtmlElement>().ok())
            };
            [
                opener.clone(),
                opener.as_ref().and_then(menu_button),
                row_id.and_then(|id| by_id(format!("[data-file-id='{id}'] details > summary"))),
                by_id("#main".into()),
            ]
            .into_iter()
            .flatten()
            .filter(|el| el.is_connected() && shown(el))
            .collect()
        }
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
    let key_for_copy = key.clone();
    view! {
        <Modal title=format!("Key for “{}”", row.name)>
            <label for="exported-key">"File key"</label>
            <textarea id="exported-key" readonly rows="3" data-testid="exported-key">{key}</textarea>
            <p class="muted">"With this key and the encrypted file (“Download encrypted”), anyone can \
                read this file on the “Decrypt a file” page, without an account. Keep it as secret \
                as the file itself."</p>
            <div class="button-row">
                <CopyButton text=key_for_copy of="exported-key" what="Copy file key"/>
                <button type="button" on:click=move |_| crate::browser::download_text(&file_name, &key_for_save)>
                    "Save as text file"
                </button>
                <button type="button" class="secondary" on:click=move |_| vault.dialog.set(None)>"Close"</button>
            </div>
        </Modal>
    }
}
