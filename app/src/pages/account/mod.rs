mod delete;
mod email;
mod password;
mod sessions;
mod two_step;

use leptos::{ev::SubmitEvent, prelude::*};
use leptos_meta::Title;

use crate::{
    api,
    components::{explain, CopyButton, ErrorMessage, LogoutButton, RequireUnlocked},
    error::AppError,
    pages::vault::model::human_date,
    protocol::accounts::{ApiTokenInfo, NewApiToken},
    session::use_session,
};

/// The account: identity fingerprint, password, where it is signed in, API tokens, deletion.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account · Coffer"/>
        <RequireUnlocked>
            <AccountDetails/>
        </RequireUnlocked>
    }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let session = use_session();
    let keys = session.keys();
    let username = keys
        .as_ref()
        .map(|k| k.username.clone())
        .unwrap_or_default();
    let fingerprint = keys
        .as_ref()
        .map(|k| k.public_key().fingerprint())
        .unwrap_or_default();
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <dl class="facts">
                <dt>"Username"</dt>
                <dd data-testid="account-username">{username}</dd>
                <dt>"Safety number"</dt>
                <dd class="fingerprint" data-testid="fingerprint">{fingerprint}</dd>
            </dl>
            <p class="muted">"People you share with can compare this number with what their Coffer \
                shows for you (in person or over a call) to be sure nobody swapped your key."</p>
            <LogoutButton/>
        </section>
        <password::ChangePassword/>
        <two_step::TwoStep/>
        <email::Email/>
        <sessions::Sessions/>
        <ApiTokens/>
        <delete::DeleteAccount/>
    }
}

#[component]
fn ApiTokens() -> impl IntoView {
    let session = use_session();
    let refresh = RwSignal::new(0u32);
    let tokens = LocalResource::new(move || {
        refresh.get();
        api::list_api_tokens()
    });
    let name = RwSignal::new(String::new());
    let days = RwSignal::new("30".to_string());
    let error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<NewApiToken>);
    reload_when_back(tokens, refresh, error);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Ok(days) = days.get_untracked().trim().parse::<u32>() else {
            error.set(Some("Enter the lifetime as a whole number of days.".into()));
            return;
        };
        let token_name = name.get_untracked();
        leptos::task::spawn_local(async move {
            match api::create_api_token(token_name, days, None).await {
                Ok(token) => {
                    error.set(None);
                    name.set(String::new());
                    created.set(Some(token));
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(explain(session, e))),
            }
        });
    };

    view! {
        <section class="card">
            <h2>"API tokens"</h2>
            <p class="muted">"Tokens let scripts call Coffer's API as you. They expire, and you can revoke them."</p>
            <form class="inline-form" on:submit=on_submit>
                <label for="token-name">"Name"</label>
                <input id="token-name" type="text" required maxlength="100" bind:value=name/>
                <label for="token-days">"Days valid"</label>
                <input id="token-days" type="number" min="1" max="90" required bind:value=days/>
                <button type="submit">"Create token"</button>
            </form>
            <ErrorMessage error/>
            {move || created.get().map(|t| view! {
                <div class="notice new-token" role="status">
                    <p>"Copy this token now; it is not shown again. It works until "
                        {human_date(t.expires_at_ms)}"."</p>
                    <code class="token" id="new-token" data-testid="new-token">{t.token.clone()}</code>
                    <CopyButton text=t.token of="new-token" what="Copy token"/>
                </div>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="token-list">
                                {list.into_iter().map(|t| {
                                    let id = t.id;
                                    let revoke = move |_| {
                                        leptos::task::spawn_local(async move {
                                            if let Err(e) = api::revoke_api_token(id).await {
                                                error.set(Some(explain(session, e)));
                                            }
                                            refresh.update(|n| *n += 1);
                                        });
                                    };
                                    view! {
                                        <li>
                                            <span>{t.name.clone()}</span>
                                            <span class="muted" data-testid="token-state">{token_state(&t)}</span>
                                            <button type="button" class="link-button" disabled=t.revoked on:click=revoke
                                                aria-label=format!("Revoke token {}", t.name)>"Revoke"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// When Coffer answers again after an outage (`pwa::when_server_back`, as the vault page): a
/// list that failed to load loads again, and a "Could not reach Coffer" above it goes.
fn reload_when_back<T: 'static>(
    list: LocalResource<Result<T, AppError>>,
    refresh: RwSignal<u32>,
    error: RwSignal<Option<String>>,
) {
    crate::pwa::when_server_back(move || {
        let unreachable = AppError::Network(String::new()).to_string();
        if error.try_get_untracked().flatten().as_ref() == Some(&unreachable) {
            error.set(None);
        }
        if list
            .try_with_untracked(|r| matches!(r, Some(Err(_))))
            .unwrap_or(false)
        {
            refresh.update(|n| *n += 1);
        }
    });
}

/// A token's state in words, with its expiry: "active · expires 3 Apr 14:02", "expired
/// yesterday 09:12", "revoked".
fn token_state(token: &ApiTokenInfo) -> String {
    #[cfg(feature = "hydrate")]
    let now = js_sys::Date::now() as i64;
    #[cfg(not(feature = "hydrate"))]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let when = human_date(token.expires_at_ms);
    match (token.revoked, token.expires_at_ms <= now) {
        (true, _) => "revoked".into(),
        (false, true) => format!("expired {when}"),
        (false, false) => format!("active · expires {when}"),
    }
}

/// The auth key of `password` for the signed-in account, as the server checks it (base64): for
/// the actions that ask for the password again (deleting the account, turning two-step login
/// off). Derived off the page's thread (browser::derive_keys).
async fn auth_key_of(password: &str) -> Result<String, AppError> {
    let bundle = api::current_account()
        .await?
        .ok_or_else(|| AppError::Unauthorized("Log in again.".into()))?;
    let keys = crate::browser::derive_keys(password, &bundle.kdf).await?;
    Ok(crate::protocol::b64::encode(keys.auth_key().as_bytes()))
}
