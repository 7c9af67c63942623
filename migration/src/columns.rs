//! Column and table helpers shared by the migrations, so every table is
//! declared the same way on SQLite, PostgreSQL and MySQL/MariaDB.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// A 64-bit auto-increment primary key (same type on all three databases).
pub fn big_pk<T: IntoIden>(col: T) -> ColumnDef {
    big_integer(col).auto_increment().primary_key().take()
}

/// A 32-character lower-case hex id (128 random bits), also fine as a MySQL key.
pub fn hex_id<T: IntoIden>(col: T) -> ColumnDef {
    string_len(col, 32)
}

/// A foreign key from `table.col` to `users.id`; deleting the user deletes the row.
pub fn owned_by_user<T: IntoIden + 'static, C: IntoIden + 'static>(
    name: &str,
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

/// Creates one single-column index per `(name, table, column)`.
pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: Vec<(&str, DynIden, DynIden)>,
) -> Result<(), DbErr> {
    for (name, table, col) in indexes {
        manager
            .create_index(Index::create().name(name).table(table).col(col).to_owned())
            .await?;
    }
    Ok(())
}

/// Drops the tables in the given order (dependents first).
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: Vec<DynIden>) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).to_owned())
            .await?;
    }
    Ok(())
}
