//! `email_codes`: one row per one-time code sent by email. The code itself is never stored: it
//! is derived from `nonce` under a server key (`ServerSecrets::email_code`), so the outbox can
//! put it in the mail when it sends it and the check recomputes it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// `verify` (confirms the address) or `login` (a second factor).
    pub purpose: String,
    /// The login this code belongs to, if any (`login_challenges.id`).
    pub challenge_id: Option<i64>,
    /// 16 random bytes the code is derived from.
    pub nonce: Vec<u8>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
