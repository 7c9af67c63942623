//! `account_records`: one sealed account record per user (blob 0x0A: the contact list and the
//! account's format flags), opaque to the server. It is replaced only by a writer that names the
//! revision it read, so two tabs cannot overwrite each other's pins unnoticed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The revision the browser says is sealed inside (the browser checks; the server orders).
    pub revision: i64,
    pub sealed: Vec<u8>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
