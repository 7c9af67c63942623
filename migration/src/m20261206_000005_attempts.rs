//! One table of attempt counters for every limit (failed logins per client and per account,
//! registrations per client, wrong tokens per share link), in the database so that every
//! instance of a scaled-out Coffer counts the same attempts. A row is one key's current window:
//! when it started and how many attempts it holds. Rows of ended windows are removed by the
//! janitor.
//!
//! The per-link counter columns of `links` (`token_failures`, `failure_window_start`) move here
//! (key `link:<id>`) and are dropped; an open window of wrong tokens starts afresh once.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000005_attempts"
    }
}

#[derive(DeriveIden)]
enum Attempts {
    Table,
    Key,
    WindowStart,
    Count,
}

#[derive(DeriveIden)]
enum Links {
    Table,
    TokenFailures,
    FailureWindowStart,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attempts::Table)
                    .col(string_len(Attempts::Key, 200).primary_key())
                    .col(big_integer(Attempts::WindowStart))
                    .col(integer(Attempts::Count))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attempts_window_start")
                    .table(Attempts::Table)
                    .col(Attempts::WindowStart)
                    .to_owned(),
            )
            .await?;
        // SQLite drops one column per ALTER TABLE.
        for col in [Links::TokenFailures, Links::FailureWindowStart] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Links::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Links::Table)
                    .add_column(integer(Links::TokenFailures).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Links::Table)
                    .add_column(big_integer(Links::FailureWindowStart).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Attempts::Table).to_owned())
            .await
    }
}
