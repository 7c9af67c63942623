use leptos::prelude::*;
use leptos_meta::Title;

/// What Coffer is and why it is safe.
#[component]
pub fn Landing() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let deleted = move || query.read().get("deleted").is_some();
    view! {
        <Title text="Coffer: your files, encrypted before they leave your device"/>
        <p class="notice" role="status" hidden=move || !deleted() data-testid="account-deleted">
            "Your account and everything in it is deleted. The name is free to use again."
        </p>
        <section class="hero">
            <h1>"Your files, encrypted before they leave your device."</h1>
            <p class="lead">
                "Coffer is a file vault you run yourself. Your browser encrypts every file, \
                 its name and its details before uploading. The server stores only ciphertext: \
                 it never sees your files, their names, your password or any key that could decrypt them."
            </p>
            <p class="actions">
                <a class="button" href="/register">"Create an account"</a>
                <a class="button secondary" href="/login">"Log in"</a>
            </p>
        </section>
        <section class="features" aria-label="Why Coffer is safe">
            <article class="card">
                <h2>"Zero knowledge"</h2>
                <p>"Your password never leaves your browser. It is stretched with Argon2id into keys; \
                    the server only ever gets a one-way login proof and keys sealed under keys it does not have."</p>
            </article>
            <article class="card">
                <h2>"Modern cryptography"</h2>
                <p>"Files are sealed with AES-256-GCM in a chunked, tamper-evident stream; keys are shared with \
                    HPKE on P-256. The format is documented byte by byte."</p>
            </article>
            <article class="card">
                <h2>"Recoverable, by you only"</h2>
                <p>"At sign-up you get a recovery key. Keep it safe: without your password or \
                    that key nobody, not even the server's operator, can open your files."</p>
            </article>
        </section>
    }
}

/// Shown for any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Coffer"/>
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p><a href="/">"Go to the start page"</a></p>
        </section>
    }
}
