//! Pieces shared by several pages.

use leptos::{ev, html, prelude::*};
use leptos_router::{
    components::A,
    hooks::{use_location, use_navigate},
};

use crate::{
    api, browser,
    error::AppError,
    pages::UnlockForm,
    session::{use_session, Session},
};

/// A screen the user must finish before going anywhere else (the recovery key, shown once after
/// registering): while one is held it stands in for every page, whatever the address says (a
/// Back button included), and the header offers no way out.
#[derive(Clone, Copy)]
pub struct Gate(RwSignal<Option<ViewFn>>);

impl Gate {
    /// Makes the gate for the app (held by nobody yet).
    pub fn provide() {
        provide_context(Gate(RwSignal::new(None)));
    }

    /// Shows `screen` in place of every page until [`Gate::release`].
    pub fn hold(&self, screen: impl Fn() -> AnyView + Send + Sync + 'static) {
        self.0.set(Some(ViewFn::from(screen)));
    }

    /// Lets the pages show again.
    pub fn release(&self) {
        self.0.set(None);
    }

    /// Whether a screen holds the user (tracked).
    pub fn held(&self) -> bool {
        self.0.with(Option::is_some)
    }
}

/// The gate from context.
pub fn use_gate() -> Gate {
    expect_context::<Gate>()
}

/// The pages (`children`), or the screen the gate holds instead.
#[component]
pub fn Gated(children: ChildrenFn) -> impl IntoView {
    let gate = use_gate();
    view! {
        <Show
            when=move || !gate.held()
            fallback=move || gate.0.get().map(|screen| screen.run())
        >
            {children()}
        </Show>
    }
}

/// The top bar: brand and the links that fit the session. On a phone the links fold behind a
/// Menu button and open as a list of full-width, finger-sized rows. While the gate holds a
/// screen, there are no links at all (and the brand is not one).
#[component]
pub fn Header() -> impl IntoView {
    let gate = use_gate();
    view! {
        <header class="topbar">
            <Show
                when=move || !gate.held()
                fallback=|| view! {
                    <span class="brand">
                        <span class="brand-mark" aria-hidden="true">"◆"</span>
                        " Coffer"
                    </span>
                    <p class="gate-note" data-testid="gate-note">"Save your recovery key to go on."</p>
                }
            >
                <a href="/" class="brand" aria-label="Coffer home">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Coffer"
                </a>
                <SiteMenu/>
            </Show>
        </header>
    }
}

/// The theme and the page links; a disclosure behind "Menu" on narrow screens (CSS decides:
/// on wide screens the button is hidden and the links always show).
#[component]
fn SiteMenu() -> impl IntoView {
    let session = use_session();
    let open = RwSignal::new(false);
    let toggle: NodeRef<html::Button> = NodeRef::new();
    let location = use_location();
    // A new page closes the menu.
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
            if let Some(button) = toggle.get_untracked() {
                let _ = button.focus();
            }
        }
    };
    view! {
        <button type="button" class="menu-toggle" node_ref=toggle aria-controls="site-menu"
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>
            <span class="menu-icon" aria-hidden="true"></span>
            "Menu"
        </button>
        <div id="site-menu" class="site-menu" class:open=move || open.get() on:keydown=on_keydown>
            <ThemePicker/>
            // Any link or button chosen closes the menu (also one for the page already shown).
            <nav aria-label="Main" on:click=move |_| open.set(false)>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.account.await {
                            Ok(Some(_)) => view! {
                                <A href="/vault">"Vault"</A>
                                <A href="/shared">"Shared with me"</A>
                                <A href="/account">"Account"</A>
                                <A href="/decrypt">"Decrypt a file"</A>
                                <LockButton/>
                                <LogoutButton/>
                            }.into_any(),
                            _ => view! {
                                <A href="/decrypt">"Decrypt a file"</A>
                                <A href="/login">"Log in"</A>
                                <a href="/register" class="button">"Create account"</a>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </div>
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
            #[cfg(feature = "hydrate")]
            crate::client::keep::forget().await;
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

/// "Lock now": the keys leave this tab and a device kept unlocked forgets its copy (here and
/// on the server); the session stays, so the password unlocks again.
#[component]
pub fn LockButton() -> impl IntoView {
    let session = use_session();
    let on_click = move |_| {
        leptos::task::spawn_local(async move {
            #[cfg(feature = "hydrate")]
            crate::client::keep::forget().await;
            if let Err(e) = api::lock_device().await {
                leptos::logging::warn!("lock: {e}");
            }
            session.forget();
        });
    };
    view! {
        <button type="button" class="link-button" on:click=on_click
            hidden=move || !session.unlocked.get()>"Lock now"</button>
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
