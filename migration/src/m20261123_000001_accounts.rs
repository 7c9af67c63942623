use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{big_pk, create_indexes, drop_tables, owned_by_user};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_accounts"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Email,
    AuthHash,
    KdfSalt,
    KdfMemoryKib,
    KdfIterations,
    KdfParallelism,
    SealedAccountKeyPassword,
    SealedAccountKeyRecovery,
    PublicKey,
    SealedPrivateKey,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    AbsoluteExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiTokens {
    Table,
    Id,
    TokenHash,
    UserId,
    Name,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk(Users::Id))
                    .col(string_len_uniq(Users::Username, 64))
                    .col(string_len(Users::DisplayName, 64))
                    .col(string_len_null(Users::Email, 254))
                    .col(string_len(Users::AuthHash, 255))
                    .col(blob(Users::KdfSalt))
                    .col(integer(Users::KdfMemoryKib))
                    .col(integer(Users::KdfIterations))
                    .col(integer(Users::KdfParallelism))
                    .col(blob(Users::SealedAccountKeyPassword))
                    .col(blob(Users::SealedAccountKeyRecovery))
                    .col(blob(Users::PublicKey))
                    .col(blob(Users::SealedPrivateKey))
                    .col(big_integer(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(big_pk(Sessions::Id))
                    .col(string_len_uniq(Sessions::TokenHash, 64))
                    .col(big_integer(Sessions::UserId))
                    .col(big_integer(Sessions::CreatedAt))
                    .col(big_integer(Sessions::LastSeenAt))
                    .col(big_integer(Sessions::IdleExpiresAt))
                    .col(big_integer(Sessions::AbsoluteExpiresAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_sessions_user",
                        Sessions::Table,
                        Sessions::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(big_pk(ApiTokens::Id))
                    .col(string_len_uniq(ApiTokens::TokenHash, 64))
                    .col(big_integer(ApiTokens::UserId))
                    .col(string_len(ApiTokens::Name, 100))
                    .col(big_integer(ApiTokens::CreatedAt))
                    .col(big_integer(ApiTokens::ExpiresAt))
                    .col(big_integer_null(ApiTokens::RevokedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_api_tokens_user",
                        ApiTokens::Table,
                        ApiTokens::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServerSecrets::Table)
                    .col(string_len(ServerSecrets::Name, 64).primary_key())
                    .col(blob(ServerSecrets::Value))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                (
                    "idx_sessions_user",
                    Sessions::Table.into_iden(),
                    Sessions::UserId.into_iden(),
                ),
                (
                    "idx_api_tokens_user",
                    ApiTokens::Table.into_iden(),
                    ApiTokens::UserId.into_iden(),
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                ApiTokens::Table.into_iden(),
                Sessions::Table.into_iden(),
                Users::Table.into_iden(),
                ServerSecrets::Table.into_iden(),
            ],
        )
        .await
    }
}
