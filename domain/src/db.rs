//! The database connection: connect, refuse a schema from a newer Coffer, migrate.

use coffer_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use crate::error::OpenError;

/// Connects to the database and brings its schema up to date. Refuses a database that a newer
/// Coffer has migrated.
pub async fn connect(url: &str) -> Result<DatabaseConnection, OpenError> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false).max_connections(16);
    let db = Database::connect(options).await?;
    refuse_newer_schema(&db).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

async fn refuse_newer_schema(db: &DatabaseConnection) -> Result<(), OpenError> {
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let rows = db
        .query_all(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await;
    // No migrations table yet: a fresh database.
    let Ok(rows) = rows else { return Ok(()) };
    for row in rows {
        let version: String = row.try_get("", "version")?;
        if !known.contains(&version) {
            return Err(OpenError::NewerSchema(version));
        }
    }
    Ok(())
}
