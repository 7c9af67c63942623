//! Accounts people can live with (issue 16):
//!
//! * `users.account_proof_hash`: an Argon2id hash of the account proof (`AccountKey::proof`, a
//!   one-way derivation of the account key), so a reset with the recovery key can prove it opened
//!   the account key. Empty for accounts made before this, until their browser sends it once.
//! * `sessions.client_ip`, `sessions.user_agent`: shown in the user's list of sessions (the user
//!   agent as sent, cut to 256 characters).
//! * `api_tokens.scopes`: what a token may do, `read` and/or `write` of the vault, comma-separated.
//!   Tokens made before this keep both.
//!
//! SQLite adds one column per `ALTER TABLE`, so each column is its own statement.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261215_000007_account_lifecycle"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    AccountProofHash,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ClientIp,
    UserAgent,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Scopes,
}

async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    col: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

async fn drop(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            Users::Table,
            string_len_null(Users::AccountProofHash, 255),
        )
        .await?;
        add(
            manager,
            Sessions::Table,
            string_len_null(Sessions::ClientIp, 64),
        )
        .await?;
        add(
            manager,
            Sessions::Table,
            string_len_null(Sessions::UserAgent, 256),
        )
        .await?;
        add(
            manager,
            ApiTokens::Table,
            string_len(ApiTokens::Scopes, 32)
                .default("read,write")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, ApiTokens::Table, ApiTokens::Scopes).await?;
        drop(manager, Sessions::Table, Sessions::UserAgent).await?;
        drop(manager, Sessions::Table, Sessions::ClientIp).await?;
        drop(manager, Users::Table, Users::AccountProofHash).await
    }
}
