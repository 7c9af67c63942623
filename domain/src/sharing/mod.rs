//! Sharing: files shared with other users ([`grants`]), share links that need no account
//! ([`links`]), the sealed contact records a browser pins other users' keys with ([`contacts`])
//! and the versioned account record ([`account_record`]). The protocol is in docs/API.md
//! ("Sharing").
//!
//! The server only ever stores what browsers sealed or wrapped: a grant's file key is wrapped
//! to the grantee's public key (blob 0x04) and signed by the sharer (0x0D), a link's is
//! wrapped to a key derived from a secret that lives only in the URL fragment (blob 0x06), a
//! contact record or account record is sealed under the owner's account key (0x07, 0x0A).
//! Owner operations look files up by id *and* owner, grantee operations by grant, so another
//! user's ids answer exactly like missing ones. The public link operations never
//! authenticate; every way a link can be unusable answers the same [`DomainError::LinkUnavailable`].

pub mod account_record;
pub mod contacts;
pub mod grants;
pub mod links;

use sea_orm::{
    sea_query::{Expr, Query},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};

use crate::{
    entities::{files, grants as grant_rows, links as link_rows},
    DomainError,
};

/// The 404 message for a file the caller does not own (or that does not exist).
const NO_FILE: &str = "There is no such file.";
/// The 404 message for an unknown username.
const NO_USER: &str = "No Coffer user has that name.";

/// Checks an optional expiry: in the future and, if `max_ms` is given, at most that far ahead.
fn check_expiry(expires_at: Option<i64>, now: i64, max_ms: Option<i64>) -> Result<(), DomainError> {
    let Some(at) = expires_at else {
        return Ok(());
    };
    if at <= now {
        return Err(DomainError::invalid("expires_at must be in the future."));
    }
    if let Some(max) = max_ms {
        if at > now.saturating_add(max) {
            return Err(DomainError::invalid(format!(
                "expires_at may be at most {} days ahead.",
                max / 86_400_000
            )));
        }
    }
    Ok(())
}

/// Grants that count at `now`: no expiry, or one still ahead.
fn live_grant(now: i64) -> Condition {
    Condition::any()
        .add(grant_rows::Column::ExpiresAt.is_null())
        .add(grant_rows::Column::ExpiresAt.gt(now))
}

/// Links that work at `now`: not expired and not used up.
fn live_link(now: i64) -> Condition {
    use link_rows::Column;
    Condition::all()
        .add(
            Condition::any()
                .add(Column::ExpiresAt.is_null())
                .add(Column::ExpiresAt.gt(now)),
        )
        .add(
            Condition::any()
                .add(Column::MaxDownloads.is_null())
                .add(Expr::col(Column::Downloads).lt(Expr::col(Column::MaxDownloads))),
        )
}

/// The janitor's part: deletes expired grants, and links that are expired, used up or (should
/// a cascade ever have missed them) whose file is gone. Returns (grants, links) removed.
pub(crate) async fn purge(db: &impl ConnectionTrait, now: i64) -> Result<(u64, u64), DbErr> {
    let all_files = || {
        Query::select()
            .column(files::Column::Id)
            .from(files::Entity)
            .to_owned()
    };
    let grants = grant_rows::Entity::delete_many()
        .filter(
            Condition::any()
                .add(grant_rows::Column::ExpiresAt.lte(now))
                .add(grant_rows::Column::FileId.not_in_subquery(all_files())),
        )
        .exec(db)
        .await?
        .rows_affected;
    use link_rows::Column;
    let links = link_rows::Entity::delete_many()
        .filter(
            Condition::any()
                .add(Column::ExpiresAt.lte(now))
                .add(Expr::col(Column::Downloads).gte(Expr::col(Column::MaxDownloads)))
                .add(Column::FileId.not_in_subquery(all_files())),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok((grants, links))
}
