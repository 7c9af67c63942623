//! SeaORM entities, one per table (see `coffer-migration` for the schema).

pub mod account_records;
pub mod api_tokens;
pub mod attempts;
pub mod contacts;
pub mod email_codes;
pub mod files;
pub mod grants;
pub mod links;
pub mod login_challenges;
pub mod mail_outbox;
pub mod recovery_codes;
pub mod server_secrets;
pub mod sessions;
pub mod upload_parts;
pub mod uploads;
pub mod user_usage;
pub mod users;
