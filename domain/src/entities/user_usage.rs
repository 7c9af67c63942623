//! `user_usage`: bytes each user stores and has reserved for unfinished uploads. Quota checks
//! are one conditional `UPDATE` on this row, so concurrent uploads cannot overshoot the quota.
//! `list_version` changes with every change to the user's file list or usage, in the same
//! transaction, so a cached page of the list is known to be current while it is unchanged.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub stored_bytes: i64,
    pub reserved_bytes: i64,
    /// Bumped with every change to the user's file list or usage (see migration 000010).
    pub list_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
