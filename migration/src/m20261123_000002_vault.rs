//! The vault: committed files, uploads in progress with the parts that arrived, and per-user
//! usage (bytes stored plus bytes reserved by unfinished uploads) for race-free quota checks.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_indexes, drop_tables, hex_id, owned_by_user};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_vault"
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OwnerId,
    CiphertextSize,
    ChunkSize,
    PartSize,
    SealedMetadata,
    WrappedKey,
    StorageKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    FileId,
    OwnerId,
    DeclaredSize,
    ChunkSize,
    PartSize,
    PartCount,
    StorageKey,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum UploadParts {
    Table,
    UploadId,
    PartNumber,
    Size,
}

#[derive(DeriveIden)]
enum UserUsage {
    Table,
    UserId,
    StoredBytes,
    ReservedBytes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(hex_id(Files::Id).primary_key())
                    .col(big_integer(Files::OwnerId))
                    .col(big_integer(Files::CiphertextSize))
                    .col(integer(Files::ChunkSize))
                    .col(big_integer(Files::PartSize))
                    .col(blob(Files::SealedMetadata))
                    .col(blob(Files::WrappedKey))
                    .col(hex_id(Files::StorageKey).unique_key())
                    .col(big_integer(Files::CreatedAt))
                    .col(big_integer(Files::UpdatedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_files_owner",
                        Files::Table,
                        Files::OwnerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Uploads::Table)
                    .col(hex_id(Uploads::Id).primary_key())
                    .col(hex_id(Uploads::FileId).unique_key())
                    .col(big_integer(Uploads::OwnerId))
                    .col(big_integer(Uploads::DeclaredSize))
                    .col(integer(Uploads::ChunkSize))
                    .col(big_integer(Uploads::PartSize))
                    .col(big_integer(Uploads::PartCount))
                    .col(hex_id(Uploads::StorageKey).unique_key())
                    .col(big_integer(Uploads::CreatedAt))
                    .col(big_integer(Uploads::ExpiresAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_uploads_owner",
                        Uploads::Table,
                        Uploads::OwnerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UploadParts::Table)
                    .col(hex_id(UploadParts::UploadId))
                    .col(big_integer(UploadParts::PartNumber))
                    .col(big_integer(UploadParts::Size))
                    .primary_key(
                        Index::create()
                            .col(UploadParts::UploadId)
                            .col(UploadParts::PartNumber),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserUsage::Table)
                    .col(big_integer(UserUsage::UserId).primary_key())
                    .col(big_integer(UserUsage::StoredBytes).default(0))
                    .col(big_integer(UserUsage::ReservedBytes).default(0))
                    .foreign_key(&mut owned_by_user(
                        "fk_user_usage_user",
                        UserUsage::Table,
                        UserUsage::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                (
                    "idx_files_owner",
                    Files::Table.into_iden(),
                    Files::OwnerId.into_iden(),
                ),
                (
                    "idx_uploads_owner",
                    Uploads::Table.into_iden(),
                    Uploads::OwnerId.into_iden(),
                ),
                (
                    "idx_uploads_expires",
                    Uploads::Table.into_iden(),
                    Uploads::ExpiresAt.into_iden(),
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                UserUsage::Table.into_iden(),
                UploadParts::Table.into_iden(),
                Uploads::Table.into_iden(),
                Files::Table.into_iden(),
            ],
        )
        .await
    }
}
