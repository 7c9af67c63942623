//! `users`: one row per account. Holds only what the server needs to let the
//! owner in and to hand back their sealed keys; nothing here decrypts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Normalized (NFKC, lower case); unique.
    pub username: String,
    pub display_name: String,
    /// The user's email address, if they gave one (never logged).
    pub email: Option<String>,
    /// When `email` was confirmed by a code sent to it.
    pub email_verified_at: Option<i64>,
    /// The user asked for a code by email at every login (a second factor).
    pub email_login_codes: bool,
    /// Argon2id PHC string of the client's auth key (never the key itself).
    pub auth_hash: String,
    pub kdf_salt: Vec<u8>,
    pub kdf_memory_kib: i32,
    pub kdf_iterations: i32,
    pub kdf_parallelism: i32,
    pub sealed_account_key_password: Vec<u8>,
    pub sealed_account_key_recovery: Vec<u8>,
    pub public_key: Vec<u8>,
    pub sealed_private_key: Vec<u8>,
    pub created_at: i64,
    /// Argon2id of the account proof (`AccountKey::proof`); `None` until the browser sent it.
    pub account_proof_hash: Option<String>,
    /// The TOTP secret once the second factor is on (the server must hold it to check codes).
    pub totp_secret: Option<Vec<u8>>,
    /// A TOTP secret shown to the user, not yet confirmed by a code.
    pub totp_pending: Option<Vec<u8>>,
    /// The last 30-second step a code was accepted for (no replay of it or earlier ones).
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
