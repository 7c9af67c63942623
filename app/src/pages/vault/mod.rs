use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::RequireUnlocked;

/// The vault: the user's files (uploading arrives with the vault issue).
#[component]
pub fn VaultPage() -> impl IntoView {
    view! {
        <Title text="Vault · Coffer"/>
        <RequireUnlocked>
            <section class="vault">
                <h1>"Your vault"</h1>
                <div class="empty-state" data-testid="vault-empty">
                    <p class="empty-icon" aria-hidden="true">"🗄"</p>
                    <h2>"No files yet"</h2>
                    <p>"Files you add will be encrypted in this browser before they are uploaded."</p>
                </div>
            </section>
        </RequireUnlocked>
    }
}
