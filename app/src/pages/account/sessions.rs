//! Where the account is signed in: every session with when it started, when it was last seen,
//! the address and browser it came from (as sent); end any of them, or all but this one.

use leptos::prelude::*;

use crate::{
    api,
    components::{explain, ErrorMessage},
    pages::vault::model::human_date,
    protocol::accounts::SessionInfo,
    session::use_session,
};

#[component]
pub(super) fn Sessions() -> impl IntoView {
    let session = use_session();
    let refresh = RwSignal::new(0u32);
    let sessions = LocalResource::new(move || {
        refresh.get();
        api::list_sessions()
    });
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    super::reload_when_back(sessions, refresh, error);

    let end_others = move |_| {
        leptos::task::spawn_local(async move {
            match api::end_other_sessions().await {
                Ok(n) => {
                    error.set(None);
                    status.set(Some(match n {
                        0 => "There were no other sessions.".into(),
                        1 => "Signed out 1 other session.".into(),
                        n => format!("Signed out {n} other sessions."),
                    }));
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
            refresh.update(|n| *n += 1);
        });
    };

    view! {
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Where you are signed in"</h2>
            <p class="muted">"A lost or shared device? Sign it out here. The address and browser \
                are what each device sent."</p>
            <ErrorMessage error/>
            <p class="notice" role="status" hidden=move || status.get().is_none()
                data-testid="sessions-status">{move || status.get().unwrap_or_default()}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! {
                            <ul class="session-list" data-testid="session-list">
                                {list.into_iter().map(|s| view! {
                                    <SessionRow s refresh error/>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <button type="button" class="secondary" on:click=end_others>
                "Sign out everywhere else"
            </button>
        </section>
    }
}

#[component]
fn SessionRow(
    s: SessionInfo,
    refresh: RwSignal<u32>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = use_session();
    let id = s.id;
    let end = move |_| {
        leptos::task::spawn_local(async move {
            if let Err(e) = api::end_session(id).await {
                error.set(Some(explain(session, e)));
            }
            refresh.update(|n| *n += 1);
        });
    };
    let device = s
        .user_agent
        .clone()
        .unwrap_or_else(|| "Unknown browser".into());
    let address = s
        .client_ip
        .clone()
        .unwrap_or_else(|| "unknown address".into());
    let label = format!("Sign out the session started {}", human_date(s.created_at));
    view! {
        <li data-testid="session" data-current=s.current.to_string()>
            <div class="session-facts">
                <strong class="session-device" title=device.clone()>{device.clone()}</strong>
                {s.current.then(|| view! { <span class="badge" data-testid="this-device">"This device"</span> })}
                <span class="muted">
                    {format!("{address} · signed in {} · last seen {}",
                        human_date(s.created_at), human_date(s.last_seen_at))}
                </span>
            </div>
            {(!s.current).then(|| view! {
                <button type="button" class="link-button" on:click=end aria-label=label.clone()>
                    "Sign out"
                </button>
            })}
        </li>
    }
}
