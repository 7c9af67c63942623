//! Staying unlocked on a device (issue 16): `sessions.unlock_key`, a random key the server
//! keeps for one session and hands only to it; the browser's copy of the account key is sealed
//! under it (blob `0x0F`), so ending the session (sign-out, revocation, expiry) makes that copy
//! useless. `sessions.idle_ms`: a kept session's own idle span (the user chose it at login),
//! instead of `COFFER_SESSION_IDLE_MINUTES`.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261216_000009_keep_unlocked"
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    UnlockKey,
    IdleMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            blob_null(Sessions::UnlockKey),
            big_integer_null(Sessions::IdleMs),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Sessions::IdleMs, Sessions::UnlockKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
