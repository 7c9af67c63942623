//! `uploads`: an upload in progress. Its declared size is reserved against the owner's quota
//! from creation until it completes (becoming a `files` row), is cancelled or expires.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The id the file will have once complete.
    pub file_id: String,
    pub owner_id: i64,
    pub declared_size: i64,
    pub chunk_size: i32,
    pub part_size: i64,
    pub part_count: i64,
    pub storage_key: String,
    pub created_at: i64,
    /// Moved forward by every part that arrives; the janitor removes the upload after it.
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
