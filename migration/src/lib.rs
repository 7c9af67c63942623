//! Coffer's database migrations, versioned and run at start-up.
//!
//! Every migration must work on SQLite, PostgreSQL and MySQL/MariaDB; the server
//! integration tests run them fresh on all three. Binary columns use `blob()`
//! (bytea / BLOB) and indexed secrets are stored as fixed-length hex strings so
//! MySQL can index them.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_accounts;
mod m20261123_000002_vault;
mod m20261126_000003_sharing;
mod m20261202_000004_authenticity;
mod m20261206_000005_attempts;
mod m20261214_000006_link_handover;
mod m20261215_000007_account_lifecycle;
mod m20261216_000008_second_factor;
mod m20261216_000009_keep_unlocked;
mod m20261217_000010_list_version;
mod m20261218_000011_email;

/// The migrator the server runs at start-up.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_vault::Migration),
            Box::new(m20261126_000003_sharing::Migration),
            Box::new(m20261202_000004_authenticity::Migration),
            Box::new(m20261206_000005_attempts::Migration),
            Box::new(m20261214_000006_link_handover::Migration),
            Box::new(m20261215_000007_account_lifecycle::Migration),
            Box::new(m20261216_000008_second_factor::Migration),
            Box::new(m20261216_000009_keep_unlocked::Migration),
            Box::new(m20261217_000010_list_version::Migration),
            Box::new(m20261218_000011_email::Migration),
        ]
    }
}
