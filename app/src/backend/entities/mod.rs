//! SeaORM entities, one per table (see `coffer-migration` for the schema).

pub mod api_tokens;
pub mod server_secrets;
pub mod sessions;
pub mod users;
