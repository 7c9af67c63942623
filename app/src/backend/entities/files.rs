//! `files`: one row per committed file. The server holds only ciphertext-side facts: sizes,
//! the sealed metadata (blob 0x05) and the file key wrapped to the owner (blob 0x04). A row
//! exists only once every part of its content is stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    /// 128 random bits as 32 hex characters; the crypto file id bound into header and wrap.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_id: i64,
    pub ciphertext_size: i64,
    pub chunk_size: i32,
    /// The content is stored as parts of this size (the last holds the remainder).
    pub part_size: i64,
    pub sealed_metadata: Vec<u8>,
    pub wrapped_key: Vec<u8>,
    /// Random id of the stored parts (`blobs/<storage_key>/<n>`); never from user input.
    pub storage_key: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
