//! `grants`: a file shared with another user. The owner's browser wrapped the file key to the
//! grantee's public key (blob 0x04, bound to the file id); the server only stores it and hands
//! it to the grantee while the grant lives, with the sharer's signature (blob 0x0D) that lets
//! the grantee check who made it. One grant per (file, grantee).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub file_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub grantee_id: i64,
    /// The user who made the grant (the file's owner).
    pub granted_by: i64,
    /// Blob 0x04 (114 bytes), wrapped to the grantee.
    pub wrapped_key: Vec<u8>,
    /// When the grant was (last) made.
    pub created_at: i64,
    /// The grant counts only while `now < expires_at`; `None` is forever.
    pub expires_at: Option<i64>,
    /// Blob 0x0D: the sharer's signature over (file, grantee key, wrapped key, expiry); `None`
    /// for grants made by format v1.
    pub signature: Option<Vec<u8>>,
    /// The grantee's public key the signature was made for (65 bytes); `None` for v1 grants.
    pub grantee_key: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
