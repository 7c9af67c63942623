//! `files`: one row per committed file. The server holds only ciphertext-side facts: sizes,
//! the sealed metadata (blob 0x05), the owner key slot (blob 0x08) and the owner's signed version
//! record (blob 0x09). A row exists only once every part of its content is stored.

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
    /// The owner key slot (blob 0x08), or for a file from format v1 not yet upgraded the file
    /// key HPKE-wrapped to the owner (blob 0x04).
    pub wrapped_key: Vec<u8>,
    /// Random id of the stored parts (`blobs/<storage_key>/<n>`); never from user input.
    pub storage_key: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The number of the current version (in `version_record`); 0 for a v1 file not yet upgraded.
    pub version: i64,
    /// Blob 0x09: the owner's signed version record; `None` while `version` is 0.
    pub version_record: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
