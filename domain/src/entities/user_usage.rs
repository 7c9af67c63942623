//! `user_usage`: bytes each user stores and has reserved for unfinished uploads. Quota checks
//! are one conditional `UPDATE` on this row, so concurrent uploads cannot overshoot the quota.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub stored_bytes: i64,
    pub reserved_bytes: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
