//! Pieces shared by several pages.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api, browser,
    error::AppError,
    pages::UnlockForm,
    session::{use_session, Session},
};

/// The top bar: brand and the links that fit the session.
#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="topbar">
            <a href="/" class="brand" aria-label="Coffer home">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Coffer"
            </a>
            <ThemePicker/>
            <nav aria-label="Main">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.account.await {
                            Ok(Some(_)) => view! {
                                <a href="/vault">"Vault"</a>
                                <a href="/shared">"Shared with me"</a>
                                <a href="/account">"Account"</a>
                                <a href="/decrypt">"Decrypt a file"</a>
                                <LogoutButton/>
                            }.into_any(),
                            _ => view! {
                                <a href="/decrypt">"Decrypt a file"</a>
                                <a href="/login">"Log in"</a>
                                <a href="/register" class="button">"Create account"</a>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}

/// A Copy button for a link, key or token shown beside it (in the element with id `of`): one
/// click copies it and the button says "Copied"; where the browser refuses the clipboard, the
/// text is selected so the user can copy it by hand, and the button says so.
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: Signal<String>,
    /// The id of the element that shows the text (selected where copying is refused).
    of: &'static str,
    /// What it is, for the button's label ("Copy link", "Copy recovery key").
    #[prop(into)]
    what: String,
) -> impl IntoView {
    let state = RwSignal::new(0u8); // 0 idle, 1 copied, 2 select by hand
    let on_click = move |_| {
        let text = text.get_untracked();
        leptos::task::spawn_local(async move {
            if browser::copy_text(&text).await {
                state.set(1);
            } else {
                browser::select_text_of(of);
                state.set(2);
            }
            #[cfg(feature = "hydrate")]
            gloo_timers::future::TimeoutFuture::new(2500).await;
            state.set(0);
        });
    };
    let label = what.clone();
    view! {
        <button type="button" class="copy" data-testid="copy" aria-label=label on:click=on_click>
            {move || match state.get() {
                1 => "Copied ✓".to_string(),
                2 => "Selected: press Ctrl+C".to_string(),
                _ => what.clone(),
            }}
        </button>
        <span class="visually-hidden" role="status">
            {move || match state.get() {
                1 => "Copied to the clipboard.",
                2 => "Copying is not allowed here; the text is selected.",
                _ => "",
            }}
        </span>
    }
}

/// Light, dark, or whatever the system says; remembered on this device.
#[component]
fn ThemePicker() -> impl IntoView {
    let theme = RwSignal::new("system".to_string());
    Effect::new(move |_| {
        let saved = browser::saved_theme();
        browser::apply_theme(&saved);
        theme.set(saved);
    });
    view! {
        <div class="theme-picker">
            <label for="theme">"Theme"</label>
            <select id="theme" on:change=move |ev| {
                let value = event_target_value(&ev);
                browser::apply_theme(&value);
                theme.set(value);
            }>
                {browser::THEMES.iter().map(|(value, label)| view! {
                    <option value=*value selected=move || theme.get() == *value>{*label}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// Ends the session on the server, forgets the keys, and goes to the login page.
#[component]
pub fn LogoutButton() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    let on_click = move |_| {
        let navigate = navigate.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::logout().await;
            session.forget();
            busy.set(false);
            if let Err(e) = result {
                leptos::logging::warn!("logout: {e}");
            }
            navigate("/login", Default::default());
        });
    };
    view! {
        <button type="button" class="link-button" on:click=on_click disabled=move || busy.get()>
            "Log out"
        </button>
    }
}

/// An error message in place, announced to screen readers.
#[component]
pub fn ErrorMessage(error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="error" role="alert" aria-live="assertive" hidden=move || error.get().is_none()>
            {move || error.get().unwrap_or_default()}
        </p>
    }
}

/// Shows `children` only to a logged-in user whose keys are unlocked; offers
/// the unlock form or a login link otherwise.
#[component]
pub fn RequireUnlocked(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let unlocked = session.unlocked.get();
                Suspend::new(async move {
                    match session.account.await {
                        Ok(Some(_)) if unlocked => children.read_value()().into_any(),
                        Ok(Some(bundle)) => view! { <UnlockForm bundle/> }.into_any(),
                        Ok(None) => view! {
                            <section class="card narrow">
                                <h1>"Please log in"</h1>
                                <p>"You need to log in to see this page."</p>
                                <p><a class="button" href="/login">"Log in"</a></p>
                            </section>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Turns a server-function error into words, and forgets a dead session.
pub fn explain(session: Session, err: AppError) -> String {
    if matches!(err, AppError::Unauthorized(_)) {
        session.forget();
    }
    err.to_string()
}
