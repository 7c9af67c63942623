//! The routes that are not server functions, each a thin handler: extract (caller, path,
//! JSON body) → one domain call → respond. The protocol is in docs/API.md.

mod contacts;
mod grants;
mod links;
mod site;
mod vault;

use axum::{
    routing::{delete, get, post, put},
    Router,
};
use coffer_domain::sharing::account_record::MAX_SEALED_LEN;

use crate::state::ServerState;

/// The JSON API routes; they sit under the API's 64 KiB body limit.
pub fn api() -> Router<ServerState> {
    Router::new()
        .route("/healthz", get(site::health))
        .route("/readyz", get(site::ready))
        .route("/api/me", get(site::me))
        .route("/sw.js", get(site::service_worker))
        // The vault.
        .route(
            "/api/uploads",
            post(vault::create_upload).get(vault::list_uploads),
        )
        .route("/api/uploads/{id}/complete", post(vault::complete_upload))
        .route("/api/uploads/{id}", delete(vault::cancel_upload))
        .route("/api/files", get(vault::list_files))
        .route("/api/files/{id}", delete(vault::delete_file))
        .route("/api/files/{id}/metadata", put(vault::new_version))
        .route("/api/files/versions", post(vault::new_versions))
        .route("/api/files/{id}/content", get(vault::download))
        .route("/api/files/{id}/export", get(vault::export))
        // Sharing with users.
        .route("/api/users/{username}/key", get(grants::user_key))
        .route(
            "/api/files/{id}/grants",
            post(grants::create).get(grants::list),
        )
        .route("/api/files/{id}/grants/{grantee}", delete(grants::revoke))
        .route("/api/shared", get(grants::shared_with_me))
        .route("/api/grants", get(grants::outgoing))
        .route("/api/shared/{id}", delete(grants::leave))
        .route("/api/shared/{id}/content", get(grants::content))
        // Share links.
        .route(
            "/api/files/{id}/links",
            post(links::create).get(links::list),
        )
        .route("/api/files/{id}/links/{link_id}", delete(links::revoke))
        .route("/api/links/{id}", get(links::info))
        .route("/api/links/{id}/open", post(links::open))
        .route(
            "/api/links/{id}/content",
            get(links::content).head(links::no_head),
        )
        // Contacts (format v1).
        .route("/api/contacts", get(contacts::list))
        .route(
            "/api/contacts/{username}",
            put(contacts::put).delete(contacts::remove),
        )
}

/// The part upload route. It sits outside the API's 64 KiB body limit: the domain reads at
/// most one part (`COFFER_MAX_PART_BYTES`, or the upload's smaller part size) and stops at the
/// first byte too many.
pub fn parts() -> Router<ServerState> {
    Router::new().route("/api/uploads/{id}/parts/{n}", put(vault::upload_part))
}

/// The largest body of `PUT /api/account-record`: base64 and JSON around the sealed record.
pub const MAX_ACCOUNT_RECORD_BODY: usize = MAX_SEALED_LEN * 4 / 3 + 1024;

/// The account record routes: with their own body limit (a record of 1000 contacts is larger
/// than the API's 64 KiB).
pub fn account_record() -> Router<ServerState> {
    Router::new()
        .route(
            "/api/account-record",
            get(contacts::get_record).put(contacts::put_record),
        )
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_ACCOUNT_RECORD_BODY,
        ))
}
