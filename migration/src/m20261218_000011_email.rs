//! Email (issue 16): addresses verified by a code, one-time codes by email as a second factor,
//! and an outbox that survives a restart.
//!
//! * `users.email_verified_at`: when `users.email` was confirmed by a code sent to it (`NULL`:
//!   not confirmed). `users.email_login_codes`: the user asked for a code by email at login.
//! * `login_challenges.purpose`: what a waiting login must show before its session starts:
//!   `second_factor` (a TOTP, recovery or emailed code) or `verify_email` (a code sent to the
//!   address, on servers with `COFFER_REQUIRE_EMAIL`).
//! * `email_codes`: one row per code sent. The code itself is never stored: it is derived from
//!   the row's random `nonce` under a server key (HMAC), so the outbox can write it into the mail
//!   at send time and the check recomputes it. `challenge_id` ties a login code to its login.
//! * `mail_outbox`: mail waiting to go out, with its tries, the next try's time, a lease (an
//!   instance sending it), and the last failure in words that name no address.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{big_pk, create_indexes, owned_by_user};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261218_000011_email"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    EmailVerifiedAt,
    EmailLoginCodes,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    Purpose,
}

#[derive(DeriveIden)]
enum EmailCodes {
    Table,
    Id,
    UserId,
    Purpose,
    ChallengeId,
    Nonce,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    UserId,
    CodeId,
    Kind,
    ToAddress,
    CreatedAt,
    NextAttemptAt,
    Attempts,
    LeaseUntil,
    SentAt,
    FailedAt,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            big_integer_null(Users::EmailVerifiedAt),
            boolean(Users::EmailLoginCodes).default(false).take(),
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
            .alter_table(
                Table::alter()
                    .table(LoginChallenges::Table)
                    .add_column(
                        string_len(LoginChallenges::Purpose, 16)
                            .default("second_factor")
                            .take(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailCodes::Table)
                    .col(big_pk(EmailCodes::Id))
                    .col(big_integer(EmailCodes::UserId))
                    .col(string_len(EmailCodes::Purpose, 16))
                    .col(big_integer_null(EmailCodes::ChallengeId))
                    .col(blob(EmailCodes::Nonce))
                    .col(big_integer(EmailCodes::ExpiresAt))
                    .col(big_integer_null(EmailCodes::UsedAt))
                    .col(big_integer(EmailCodes::CreatedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_email_codes_user",
                        EmailCodes::Table,
                        EmailCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(big_pk(MailOutbox::Id))
                    .col(big_integer(MailOutbox::UserId))
                    .col(big_integer_null(MailOutbox::CodeId))
                    .col(string_len(MailOutbox::Kind, 16))
                    .col(string_len(MailOutbox::ToAddress, 254))
                    .col(big_integer(MailOutbox::CreatedAt))
                    .col(big_integer(MailOutbox::NextAttemptAt))
                    .col(integer(MailOutbox::Attempts).default(0))
                    .col(big_integer_null(MailOutbox::LeaseUntil))
                    .col(big_integer_null(MailOutbox::SentAt))
                    .col(big_integer_null(MailOutbox::FailedAt))
                    .col(string_len_null(MailOutbox::LastError, 200))
                    .foreign_key(&mut owned_by_user(
                        "fk_mail_outbox_user",
                        MailOutbox::Table,
                        MailOutbox::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                (
                    "idx_email_codes_user",
                    EmailCodes::Table.into_iden(),
                    EmailCodes::UserId.into_iden(),
                ),
                (
                    "idx_mail_outbox_user",
                    MailOutbox::Table.into_iden(),
                    MailOutbox::UserId.into_iden(),
                ),
                (
                    "idx_mail_outbox_next",
                    MailOutbox::Table.into_iden(),
                    MailOutbox::NextAttemptAt.into_iden(),
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EmailCodes::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginChallenges::Table)
                    .drop_column(LoginChallenges::Purpose)
                    .to_owned(),
            )
            .await?;
        for col in [Users::EmailLoginCodes, Users::EmailVerifiedAt] {
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
