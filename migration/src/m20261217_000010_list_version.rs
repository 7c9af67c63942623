//! `user_usage.list_version` (issue 14): a counter bumped in the same transaction as every change
//! to a user's file list or usage (an upload reserved, completed or cancelled, a file's new
//! version, a deletion). A server caches the encoded pages of `GET /api/files` per user and
//! hands one out again only while this counter is unchanged, so any instance (they share the
//! database, not memory) sees every change at once.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261217_000010_list_version"
    }
}

#[derive(DeriveIden)]
enum UserUsage {
    Table,
    ListVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UserUsage::Table)
                    .add_column(big_integer(UserUsage::ListVersion).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UserUsage::Table)
                    .drop_column(UserUsage::ListVersion)
                    .to_owned(),
            )
            .await
    }
}
