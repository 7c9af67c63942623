//! The vault: committed files, uploads in progress with the parts that arrived, and per-user
//! usage (bytes stored plus bytes reserved by unfinished uploads) for race-free quota checks.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_vault"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
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

/// A 32-character lower-case hex id (128 random bits), also fine as a MySQL key.
fn hex_id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string_len(32).not_null().to_owned()
}

fn big<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn owner_fk<T: IntoIden + 'static, C: IntoIden + 'static>(
    name: &str,
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(hex_id(Files::Id).primary_key())
                    .col(big(Files::OwnerId))
                    .col(big(Files::CiphertextSize))
                    .col(ColumnDef::new(Files::ChunkSize).integer().not_null())
                    .col(big(Files::PartSize))
                    .col(ColumnDef::new(Files::SealedMetadata).blob().not_null())
                    .col(ColumnDef::new(Files::WrappedKey).blob().not_null())
                    .col(hex_id(Files::StorageKey).unique_key())
                    .col(big(Files::CreatedAt))
                    .col(big(Files::UpdatedAt))
                    .foreign_key(&mut owner_fk(
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
                    .col(big(Uploads::OwnerId))
                    .col(big(Uploads::DeclaredSize))
                    .col(ColumnDef::new(Uploads::ChunkSize).integer().not_null())
                    .col(big(Uploads::PartSize))
                    .col(big(Uploads::PartCount))
                    .col(hex_id(Uploads::StorageKey).unique_key())
                    .col(big(Uploads::CreatedAt))
                    .col(big(Uploads::ExpiresAt))
                    .foreign_key(&mut owner_fk(
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
                    .col(big(UploadParts::PartNumber))
                    .col(big(UploadParts::Size))
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
                    .col(big(UserUsage::UserId).primary_key())
                    .col(big(UserUsage::StoredBytes).default(0))
                    .col(big(UserUsage::ReservedBytes).default(0))
                    .foreign_key(&mut owner_fk(
                        "fk_user_usage_user",
                        UserUsage::Table,
                        UserUsage::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, table, col) in [
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
        ] {
            manager
                .create_index(Index::create().name(name).table(table).col(col).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UserUsage::Table.into_iden(),
            UploadParts::Table.into_iden(),
            Uploads::Table.into_iden(),
            Files::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
