//! The browser's view of who is logged in, and the unlocked keys.
//!
//! Keys live in this tab's memory only (a thread-local, never a signal that
//! could be serialized, never storage). A reload forgets them and shows the
//! unlock screen while the server session is still valid.

use std::{cell::RefCell, rc::Rc};

use leptos::prelude::*;

use crate::{api, error::AppError, keyring::UnlockedKeys, protocol::accounts::AccountBundle};

thread_local! {
    static KEYS: RefCell<Option<Rc<UnlockedKeys>>> = const { RefCell::new(None) };
}

/// Reactive session state, provided as context by `App`.
#[derive(Clone, Copy)]
pub struct Session {
    /// Bumped to make the account resource fetch again (after login/logout).
    pub version: RwSignal<u32>,
    /// Whether `KEYS` holds unlocked keys.
    pub unlocked: RwSignal<bool>,
    /// The signed-in account, if any (from the server session).
    pub account: Resource<Result<Option<AccountBundle>, AppError>>,
}

impl Session {
    /// Creates the session state and its account resource.
    pub fn new() -> Self {
        let version = RwSignal::new(0u32);
        let account = Resource::new(move || version.get(), |_| api::current_account());
        Session {
            version,
            unlocked: RwSignal::new(false),
            account,
        }
    }

    /// Stores freshly unlocked keys and refreshes the account.
    pub fn unlock(&self, keys: UnlockedKeys) {
        KEYS.with(|k| *k.borrow_mut() = Some(Rc::new(keys)));
        self.unlocked.set(true);
        self.version.update(|v| *v += 1);
    }

    /// Drops the keys (they zeroize on drop) and refreshes the account.
    pub fn forget(&self) {
        KEYS.with(|k| k.borrow_mut().take());
        self.unlocked.set(false);
        self.version.update(|v| *v += 1);
    }

    /// The unlocked keys, if any.
    pub fn keys(&self) -> Option<Rc<UnlockedKeys>> {
        KEYS.with(|k| k.borrow().clone())
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// The session from context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}
