//! `sessions`: browser sessions. The cookie holds a random token; only its
//! SHA-256 is stored, so a database leak gives no usable session.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
    /// The client address the session was started from (shown to its user).
    pub client_ip: Option<String>,
    /// The user agent as sent at login, cut to 256 characters (shown to its user).
    pub user_agent: Option<String>,
    /// The key this session's device sealed its copy of the account key under (stay unlocked);
    /// handed only to this session, gone with it.
    pub unlock_key: Option<Vec<u8>>,
    /// A kept session's own idle span in ms (else `session_idle`).
    pub idle_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
