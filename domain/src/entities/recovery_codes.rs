//! `recovery_codes`: a user's one-time second-factor recovery codes, each as a keyed hash
//! (HMAC-SHA256 under the server's pepper) only; `used_at` once spent.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// Hex HMAC-SHA256 of the normalized code.
    pub code_hash: String,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
