//! What every handler gets: the domain, the site settings and the data directory.

use std::{path::PathBuf, sync::Arc};

use axum::extract::FromRef;
use coffer_domain::Domain;
use leptos::prelude::LeptosOptions;

use crate::http::list_cache::ListCache;

/// The router's state.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub domain: Domain,
    pub data_dir: Arc<PathBuf>,
    /// Encoded pages of the file list, per owner ([`crate::http::list_cache`]).
    pub list_cache: Arc<ListCache>,
}
