//! `contacts`: the key-pinning records a user keeps about other users, sealed by their browser
//! under their account key (blob 0x07). The server stores them as opaque blobs per owner and
//! (normalized) contact username.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub owner_id: i64,
    /// Normalized like usernames (trimmed, NFKC, lower case); need not be a user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_username: String,
    /// At most 512 bytes, opaque to the server.
    pub sealed: Vec<u8>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
