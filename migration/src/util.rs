//! Small helpers the migrations share, so every tenant table is declared the same way.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveIden)]
pub enum Organizations {
    Table,
    Id,
}

/// The foreign key from a tenant table's `organization_id` to its organization.
pub fn organization_fk(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_organization"))
        .from(Alias::new(table), Alias::new("organization_id"))
        .to(Organizations::Table, Organizations::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// `CREATE [UNIQUE] INDEX name ON table (cols...)`.
pub fn index(name: &str, table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(Alias::new(table));
    for c in cols {
        idx.col(Alias::new(*c));
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

pub async fn create_indexes(manager: &SchemaManager<'_>, indexes: Vec<IndexCreateStatement>) -> Result<(), DbErr> {
    for idx in indexes {
        manager.create_index(idx).await?;
    }
    Ok(())
}

/// Drops tables in the order given (children before parents).
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for t in tables {
        manager.drop_table(Table::drop().table(Alias::new(*t)).to_owned()).await?;
    }
    Ok(())
}

/// Byte-order comparison on PostgreSQL (SQLite's default), so sorting and keyset pagination over folded
/// text behave the same on both databases whatever the server's locale.
pub fn binary_collated(mut col: ColumnDef, postgres: bool) -> ColumnDef {
    if postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

/// Runs this database's statements, in order (raw SQL where the two databases differ: triggers, functions).
pub async fn run_for_backend(
    manager: &SchemaManager<'_>,
    postgres: &[impl AsRef<str>],
    sqlite: &[impl AsRef<str>],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        for sql in postgres {
            db.execute_unprepared(sql.as_ref()).await?;
        }
    } else {
        for sql in sqlite {
            db.execute_unprepared(sql.as_ref()).await?;
        }
    }
    Ok(())
}
