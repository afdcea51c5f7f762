//! Append-only migrations keyed by `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Core schema, version 1.
const CORE_V1: &str = "
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL
);
";

/// Every migration in order; migration `i` brings the schema to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[CORE_V1, crate::crawl::schema::FRONTIER_V1];

/// Applies the migrations the file has not seen yet, each in its own transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StoreError::TooNew {
            found: version,
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
