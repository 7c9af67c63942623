//! A second factor at login (issue 16):
//!
//! * `users.totp_secret`: the TOTP secret (RFC 6238, 20 bytes) once the user turned it on; the
//!   one secret the server must hold to check codes (docs/CRYPTO.md "What the server sees").
//!   `users.totp_pending`: a secret shown to the user but not yet confirmed by a code.
//!   `users.totp_last_step`: the last 30-second step a code was accepted for; a code of that
//!   step or an earlier one is refused (no replay).
//! * `recovery_codes`: ten one-time codes per user, each kept as a keyed hash only.
//! * `login_challenges`: a login whose password proof passed and that waits for its second
//!   factor, by the SHA-256 of a random ticket held in a short-lived cookie.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{big_pk, create_indexes, owned_by_user};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261216_000008_second_factor"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TotpSecret,
    TotpPending,
    TotpLastStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    Id,
    TokenHash,
    UserId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            blob_null(Users::TotpSecret),
            blob_null(Users::TotpPending),
            big_integer_null(Users::TotpLastStep),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(big_pk(RecoveryCodes::Id))
                    .col(big_integer(RecoveryCodes::UserId))
                    .col(string_len(RecoveryCodes::CodeHash, 64))
                    .col(big_integer_null(RecoveryCodes::UsedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_recovery_codes_user",
                        RecoveryCodes::Table,
                        RecoveryCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginChallenges::Table)
                    .col(big_pk(LoginChallenges::Id))
                    .col(string_len(LoginChallenges::TokenHash, 64).unique_key())
                    .col(big_integer(LoginChallenges::UserId))
                    .col(big_integer(LoginChallenges::ExpiresAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_login_challenges_user",
                        LoginChallenges::Table,
                        LoginChallenges::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                (
                    "idx_recovery_codes_user",
                    RecoveryCodes::Table.into_iden(),
                    RecoveryCodes::UserId.into_iden(),
                ),
                (
                    "idx_login_challenges_expires",
                    LoginChallenges::Table.into_iden(),
                    LoginChallenges::ExpiresAt.into_iden(),
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginChallenges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RecoveryCodes::Table).to_owned())
            .await?;
        for col in [Users::TotpLastStep, Users::TotpPending, Users::TotpSecret] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
