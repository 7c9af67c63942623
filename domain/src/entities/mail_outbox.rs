//! `mail_outbox`: mail waiting to go out (and, for a while, what became of it). Sent by
//! `crate::mail::Outbox` on any instance: a row is taken with a lease, so two instances never
//! send it twice at once; a failure sets the next try (backoff) and `last_error`, in words that
//! name no address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The code the mail carries (`email_codes.id`).
    pub code_id: Option<i64>,
    /// `verify` or `login`.
    pub kind: String,
    pub to_address: String,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub attempts: i32,
    pub lease_until: Option<i64>,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
