//! Small browser helpers. Each compiles on the server as a no-op (event
//! handlers are compiled there too, but only ever run in the browser).

/// Waits long enough for the browser to paint, so a progress message shows
/// before a slow synchronous step (Argon2id) blocks the thread.
pub async fn next_paint() {
    #[cfg(feature = "hydrate")]
    gloo_timers::future::TimeoutFuture::new(40).await;
}

/// Ends the current task and goes on in a new one (a zero-delay timer, not a microtask): the
/// browser paints and handles input in between. Used to split work that would otherwise run as
/// one long task on the page's thread, e.g. unlocking the keys and then drawing the vault after
/// a login (the e2e test counts tasks over 200 ms).
pub async fn yield_to_page() {
    #[cfg(feature = "hydrate")]
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Offers `text` as a downloaded file named `filename`.
pub fn download_text(filename: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let result = (|| -> Option<()> {
            let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("text/plain;charset=utf-8");
            let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
            let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
            let document = web_sys::window()?.document()?;
            let a: web_sys::HtmlAnchorElement =
                document.create_element("a").ok()?.dyn_into().ok()?;
            a.set_href(&url);
            a.set_download(filename);
            a.click();
            web_sys::Url::revoke_object_url(&url).ok()?;
            Some(())
        })();
        if result.is_none() {
            leptos::logging::warn!("could not start the download");
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (filename, text);
}

/// Copies `text` to the clipboard (the asynchronous Clipboard API). `false` where the browser
/// refuses (no secure context, permission denied, no API): the caller then lets the user copy.
pub async fn copy_text(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::{Function, Promise, Reflect};
        use wasm_bindgen::{JsCast, JsValue};
        let attempt = async {
            let window = web_sys::window()?;
            let navigator = Reflect::get(&window, &"navigator".into()).ok()?;
            let clipboard = Reflect::get(&navigator, &"clipboard".into()).ok()?;
            let write: Function = Reflect::get(&clipboard, &"writeText".into())
                .ok()?
                .dyn_into()
                .ok()?;
            let promise: Promise = write
                .call1(&clipboard, &JsValue::from_str(text))
                .ok()?
                .dyn_into()
                .ok()?;
            wasm_bindgen_futures::JsFuture::from(promise).await.ok()
        };
        attempt.await.is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// Selects the text of the element with this id (an input, a textarea or any element), so
/// the user can copy it by hand where the Clipboard API is refused.
pub fn select_text_of(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(element) = document.get_element_by_id(id) else {
            return;
        };
        if let Ok(input) = element.clone().dyn_into::<web_sys::HtmlInputElement>() {
            input.select();
        } else if let Ok(area) = element.clone().dyn_into::<web_sys::HtmlTextAreaElement>() {
            area.select();
        } else if let (Some(selection), Ok(range)) = (
            web_sys::window().and_then(|w| w.get_selection().ok().flatten()),
            document.create_range(),
        ) {
            let _ = range.select_node_contents(&element);
            let _ = selection.remove_all_ranges();
            let _ = selection.add_range(&range);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

const USERNAME_KEY: &str = "coffer.username";
const THEME_KEY: &str = "coffer.theme";

/// The theme choices: follow the system, or pin one.
pub const THEMES: [(&str, &str); 3] = [("system", "System"), ("light", "Light"), ("dark", "Dark")];

/// The saved theme choice ("system" when none).
pub fn saved_theme() -> String {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::get::<String>(THEME_KEY)
            .ok()
            .filter(|t| THEMES.iter().any(|(v, _)| v == t))
            .unwrap_or_else(|| "system".into())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = THEME_KEY;
        "system".into()
    }
}

/// Applies a theme choice to the page (`data-theme` on `<html>`) and saves it.
pub fn apply_theme(theme: &str) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = match theme {
                "light" | "dark" => root.set_attribute("data-theme", theme),
                _ => root.remove_attribute("data-theme"),
            };
        }
        let _ = gloo_storage::LocalStorage::set(THEME_KEY, theme);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

/// The username last used to log in on this device (not a secret).
pub fn remembered_username() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::get(USERNAME_KEY).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = USERNAME_KEY;
        None
    }
}

/// Remembers the username for the next login on this device.
pub fn remember_username(username: &str) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let _ = gloo_storage::LocalStorage::set(USERNAME_KEY, username);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = username;
}

/// Forgets the remembered username (after the account is deleted).
pub fn forget_username() {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::delete(USERNAME_KEY);
    }
}

/// Password strength from 0 (trivial) to 4 (strong), with advice, judged by
/// zxcvbn in the browser; `None` on the server.
pub fn password_strength(password: &str, user_inputs: &[&str]) -> Option<(u8, String)> {
    #[cfg(feature = "hydrate")]
    {
        let entropy = zxcvbn::zxcvbn(password, user_inputs);
        let advice = entropy
            .feedback()
            .map(|f| {
                f.warning()
                    .map(|w| w.to_string())
                    .into_iter()
                    .chain(f.suggestions().iter().map(|s| s.to_string()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        Some((u8::from(entropy.score()), advice))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (password, user_inputs);
        None
    }
}

/// The password's keys for `kdf`: in the browser off the page's thread (client/kdf.rs), so the
/// page keeps painting its progress; elsewhere directly.
pub async fn derive_keys(
    password: &str,
    kdf: &crate::protocol::accounts::KdfSetup,
) -> Result<coffer_crypto::PasswordKeys, crate::error::AppError> {
    #[cfg(feature = "hydrate")]
    {
        crate::client::kdf::derive_keys(password, kdf).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        crate::keyring::derive_keys(password, kdf)
    }
}
