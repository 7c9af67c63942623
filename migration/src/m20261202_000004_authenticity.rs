//! Authenticity against a malicious server (format v2, docs/CRYPTO.md §13):
//!
//! * `files.version` and `files.version_record`: the number of the file's current version and
//!   the owner's signed version record (blob 0x09). Files from format v1 have version 0 and no
//!   record until their owner's browser upgrades them. `files.wrapped_key` keeps its name and now
//!   holds the owner key slot (blob 0x08), or a v1 HPKE wrap (0x04) for files not yet upgraded.
//! * `grants.signature` and `grants.grantee_key`: the sharer's grant signature (blob 0x0D) and
//!   the grantee public key it was made for (so the sharer's browser can later see that a key
//!   changed, and show the old safety number); both empty for v1 grants.
//! * `account_records`: one sealed, versioned account record per user (blob 0x0A: the contact
//!   list and account flags), replaced only when the writer names the revision it read.
//!
//! SQLite adds one column per `ALTER TABLE`, so each column is its own statement.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_indexes, owned_by_user};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000004_authenticity"
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Version,
    VersionRecord,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    GrantedBy,
    Signature,
    GranteeKey,
}

#[derive(DeriveIden)]
enum AccountRecords {
    Table,
    UserId,
    Revision,
    Sealed,
    UpdatedAt,
}

/// A blob column for up to a few hundred KiB: MySQL's `BLOB` stops at 64 KiB, so it gets
/// `MEDIUMBLOB` (16 MiB); SQLite's BLOB and PostgreSQL's bytea have no such limit.
fn large_blob<T: IntoIden>(manager: &SchemaManager, col: T) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    def.not_null();
    match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::MySql => def.custom(Alias::new("MEDIUMBLOB")),
        _ => def.blob(),
    };
    def
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            big_integer(Files::Version).default(0).take(),
            blob_null(Files::VersionRecord),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Files::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [blob_null(Grants::Signature), blob_null(Grants::GranteeKey)] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Grants::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AccountRecords::Table)
                    .col(big_integer(AccountRecords::UserId).primary_key())
                    .col(big_integer(AccountRecords::Revision))
                    .col(large_blob(manager, AccountRecords::Sealed))
                    .col(big_integer(AccountRecords::UpdatedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_account_records_user",
                        AccountRecords::Table,
                        AccountRecords::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![(
                "idx_grants_granted_by",
                Grants::Table.into_iden(),
                Grants::GrantedBy.into_iden(),
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_grants_granted_by")
                    .table(Grants::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AccountRecords::Table).to_owned())
            .await?;
        for column in [Grants::GranteeKey, Grants::Signature] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Grants::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Files::VersionRecord, Files::Version] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Files::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
