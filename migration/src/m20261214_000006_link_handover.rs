//! Links that can be handed over (issue 15):
//!
//! * `links.sealed_secret`: the link secret sealed under the owner's account key (blob 0x0E,
//!   bound to the link id), so the owner's browser can show the link again; nothing the server
//!   can open.
//! * `links.verifier`: 16 bytes derived one-way from the link secret, which a visitor's browser
//!   compares before asking for a password, so a damaged link is told apart from a wrong
//!   password.
//! * `links.show_sender`: whether the link page names the owner.
//!
//! Links made before have neither blob and do not show their sender. SQLite adds one column per
//! `ALTER TABLE`, so each column is its own statement.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261214_000006_link_handover"
    }
}

#[derive(DeriveIden)]
enum Links {
    Table,
    SealedSecret,
    Verifier,
    ShowSender,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            blob_null(Links::SealedSecret),
            blob_null(Links::Verifier),
            boolean(Links::ShowSender).default(false).take(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Links::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Links::ShowSender, Links::Verifier, Links::SealedSecret] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Links::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
