//! Per-user storage accounting: bytes in committed files plus bytes reserved by unfinished
//! uploads. Reserving is one conditional `UPDATE` (`stored + reserved <= quota - size`), which
//! every supported database applies atomically to the row, so two concurrent uploads that
//! together exceed the quota cannot both get their reservation. The subtraction happens in
//! Rust with checked arithmetic, so nothing in SQL can overflow.

use coffer_protocol::human_bytes as human;
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::{
    entities::user_usage::{self, Column},
    DomainError,
};

/// What a user stores and has reserved, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub stored: i64,
    pub reserved: i64,
}

/// The user's usage (zero if they never uploaded).
pub async fn usage_of(db: &impl ConnectionTrait, user: i64) -> Result<Usage, DomainError> {
    Ok(user_usage::Entity::find_by_id(user)
        .one(db)
        .await?
        .map(|row| Usage {
            stored: row.stored_bytes,
            reserved: row.reserved_bytes,
        })
        .unwrap_or_default())
}

async fn ensure_row(db: &impl ConnectionTrait, user: i64) -> Result<(), DomainError> {
    user_usage::Entity::insert(user_usage::ActiveModel {
        user_id: Set(user),
        stored_bytes: Set(0),
        reserved_bytes: Set(0),
        list_version: Set(0),
    })
    .on_conflict(
        OnConflict::column(Column::UserId)
            .update_column(Column::UserId)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Reserves `bytes` for an upload, or explains why the quota does not allow it.
pub async fn reserve(
    db: &impl ConnectionTrait,
    user: i64,
    bytes: u64,
    quota: u64,
) -> Result<(), DomainError> {
    let refuse = |usage: Usage| {
        let used = u64::try_from(usage.stored.saturating_add(usage.reserved)).unwrap_or(0);
        DomainError::QuotaExceeded(format!(
            "This file needs {} but only {} of your {} quota is free.",
            human(bytes),
            human(quota.saturating_sub(used)),
            human(quota)
        ))
    };
    let (Ok(size), Some(room)) = (i64::try_from(bytes), quota.checked_sub(bytes)) else {
        return Err(refuse(usage_of(db, user).await?));
    };
    let room = i64::try_from(room).unwrap_or(i64::MAX);
    ensure_row(db, user).await?;
    let updated = user_usage::Entity::update_many()
        .col_expr(
            Column::ReservedBytes,
            Expr::col(Column::ReservedBytes).add(size),
        )
        .col_expr(Column::ListVersion, Expr::col(Column::ListVersion).add(1))
        .filter(Column::UserId.eq(user))
        .filter(
            Expr::expr(Expr::col(Column::StoredBytes).add(Expr::col(Column::ReservedBytes)))
                .lte(room),
        )
        .exec(db)
        .await?;
    if updated.rows_affected == 1 {
        Ok(())
    } else {
        Err(refuse(usage_of(db, user).await?))
    }
}

/// Adds `stored` and `reserved` (either may be negative) to the user's counters.
pub async fn adjust(
    db: &impl ConnectionTrait,
    user: i64,
    stored: i64,
    reserved: i64,
) -> Result<(), DomainError> {
    user_usage::Entity::update_many()
        .col_expr(
            Column::StoredBytes,
            Expr::col(Column::StoredBytes).add(stored),
        )
        .col_expr(
            Column::ReservedBytes,
            Expr::col(Column::ReservedBytes).add(reserved),
        )
        .col_expr(Column::ListVersion, Expr::col(Column::ListVersion).add(1))
        .filter(Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the user's file list as changed without a change in usage (a file's new version).
/// Call it in the transaction that makes the change.
pub async fn touch(db: &impl ConnectionTrait, user: i64) -> Result<(), DomainError> {
    ensure_row(db, user).await?;
    user_usage::Entity::update_many()
        .col_expr(Column::ListVersion, Expr::col(Column::ListVersion).add(1))
        .filter(Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(())
}

/// The version of the user's file list: it changes, in the same transaction, with every change
/// to the list or to the usage it reports (0 for a user who never uploaded).
pub async fn list_version(db: &impl ConnectionTrait, user: i64) -> Result<i64, DomainError> {
    Ok(user_usage::Entity::find_by_id(user)
        .select_only()
        .column(Column::ListVersion)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0))
}
