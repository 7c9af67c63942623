//! Sharing: grants (a file key wrapped to another user), share links (a file key wrapped to a
//! URL-fragment secret, checked by a token digest, with an atomic download counter and a
//! per-link failure counter for wrong tokens) and contacts (sealed key-pinning records).
//!
//! Grants and links belong to a file: deleting the file deletes them (`ON DELETE CASCADE`, and
//! the server also deletes them explicitly in the same transaction). Deleting a user deletes
//! their grants, links and contacts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_indexes, drop_tables, hex_id, owned_by_user};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000003_sharing"
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    FileId,
    GranteeId,
    GrantedBy,
    WrappedKey,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Links {
    Table,
    Id,
    FileId,
    OwnerId,
    TokenDigest,
    WrappedKey,
    KdfSalt,
    KdfMemoryKib,
    KdfIterations,
    KdfParallelism,
    CreatedAt,
    ExpiresAt,
    MaxDownloads,
    Downloads,
    TokenFailures,
    FailureWindowStart,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    OwnerId,
    ContactUsername,
    Sealed,
    UpdatedAt,
}

/// A foreign key from `table.col` to `files.id`; deleting the file deletes the row.
fn belongs_to_file<T: IntoIden + 'static, C: IntoIden + 'static>(
    name: &str,
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Files::Table, Files::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(hex_id(Grants::FileId))
                    .col(big_integer(Grants::GranteeId))
                    .col(big_integer(Grants::GrantedBy))
                    .col(blob(Grants::WrappedKey))
                    .col(big_integer(Grants::CreatedAt))
                    .col(big_integer_null(Grants::ExpiresAt))
                    .primary_key(Index::create().col(Grants::FileId).col(Grants::GranteeId))
                    .foreign_key(&mut belongs_to_file(
                        "fk_grants_file",
                        Grants::Table,
                        Grants::FileId,
                    ))
                    .foreign_key(&mut owned_by_user(
                        "fk_grants_grantee",
                        Grants::Table,
                        Grants::GranteeId,
                    ))
                    .foreign_key(&mut owned_by_user(
                        "fk_grants_granted_by",
                        Grants::Table,
                        Grants::GrantedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Links::Table)
                    .col(hex_id(Links::Id).primary_key())
                    .col(hex_id(Links::FileId))
                    .col(big_integer(Links::OwnerId))
                    .col(blob(Links::TokenDigest))
                    .col(blob(Links::WrappedKey))
                    .col(blob_null(Links::KdfSalt))
                    .col(integer_null(Links::KdfMemoryKib))
                    .col(integer_null(Links::KdfIterations))
                    .col(integer_null(Links::KdfParallelism))
                    .col(big_integer(Links::CreatedAt))
                    .col(big_integer_null(Links::ExpiresAt))
                    .col(integer_null(Links::MaxDownloads))
                    .col(big_integer(Links::Downloads).default(0))
                    .col(integer(Links::TokenFailures).default(0))
                    .col(big_integer(Links::FailureWindowStart).default(0))
                    .foreign_key(&mut belongs_to_file(
                        "fk_links_file",
                        Links::Table,
                        Links::FileId,
                    ))
                    .foreign_key(&mut owned_by_user(
                        "fk_links_owner",
                        Links::Table,
                        Links::OwnerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(big_integer(Contacts::OwnerId))
                    .col(string_len(Contacts::ContactUsername, 64))
                    .col(blob(Contacts::Sealed))
                    .col(big_integer(Contacts::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Contacts::OwnerId)
                            .col(Contacts::ContactUsername),
                    )
                    .foreign_key(&mut owned_by_user(
                        "fk_contacts_owner",
                        Contacts::Table,
                        Contacts::OwnerId,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                (
                    "idx_grants_grantee",
                    Grants::Table.into_iden(),
                    Grants::GranteeId.into_iden(),
                ),
                (
                    "idx_grants_expires",
                    Grants::Table.into_iden(),
                    Grants::ExpiresAt.into_iden(),
                ),
                (
                    "idx_links_file",
                    Links::Table.into_iden(),
                    Links::FileId.into_iden(),
                ),
                (
                    "idx_links_owner",
                    Links::Table.into_iden(),
                    Links::OwnerId.into_iden(),
                ),
                (
                    "idx_links_expires",
                    Links::Table.into_iden(),
                    Links::ExpiresAt.into_iden(),
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                Contacts::Table.into_iden(),
                Links::Table.into_iden(),
                Grants::Table.into_iden(),
            ],
        )
        .await
    }
}
