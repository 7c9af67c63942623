//! `links`: share links. The secret lives only in the URL fragment; the server keeps the SHA-256
//! digest of the token derived from it (never the token), the file key wrapped under the link
//! key (blob 0x06, bound to the link id), the Argon2id inputs of an optional password, limits,
//! and the download counter; for the owner, the secret sealed under their account key (blob
//! 0x0E), and for visitors a one-way verifier of the secret (migration 000006). Wrong tokens
//! are counted in `attempts` (key `link:<id>`). Revoking a link deletes its row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "links")]
pub struct Model {
    /// 128 random bits as 32 hex characters, drawn by the owner's browser.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub file_id: String,
    pub owner_id: i64,
    /// `link_token_digest(token)`, 32 bytes.
    pub token_digest: Vec<u8>,
    /// Blob 0x06 (61 bytes).
    pub wrapped_key: Vec<u8>,
    /// Argon2id salt (16 bytes) and parameters when the link has a password.
    pub kdf_salt: Option<Vec<u8>>,
    pub kdf_memory_kib: Option<i32>,
    pub kdf_iterations: Option<i32>,
    pub kdf_parallelism: Option<i32>,
    pub created_at: i64,
    /// The link works only while `now < expires_at`; `None` is until revoked.
    pub expires_at: Option<i64>,
    /// Downloads allowed; `None` is unlimited.
    pub max_downloads: Option<i32>,
    /// Downloads used; only ever changed by one conditional `UPDATE`.
    pub downloads: i64,
    /// Blob 0x0E (61 bytes): the secret sealed for the owner; `None` for older links.
    pub sealed_secret: Option<Vec<u8>>,
    /// 16 bytes derived one-way from the secret; `None` for older links.
    pub verifier: Option<Vec<u8>>,
    /// Whether the link page names the owner.
    pub show_sender: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
