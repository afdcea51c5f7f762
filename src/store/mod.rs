//! The store: one SQLite file (WAL mode) holding pages, extracted articles, fingerprints,
//! near-duplicate matches and links, plus the crawl frontier.
//!
//! Schema migrations are append-only and keyed by `PRAGMA user_version`, each applied in one
//! transaction (as cargo does). One owner holds the connection; other tasks talk to it over
//! channels.

use std::path::Path;

use rusqlite::Connection;

mod pages;
mod schema;

pub use pages::{
    PageInfo, blob_to_shingles, compress, content_hash, decompress, insert_page, site_of,
    site_of_url,
};

pub use schema::MIGRATIONS;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (open, migrate, query).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer copytrail (its schema version is higher than ours).
    #[error("database schema version {found} is newer than this copytrail supports ({supported})")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// A batch of pages written in one transaction was rolled back (see
    /// `crate::ingest::PageSink`): its pages are not stored.
    #[error("batch of pages lost: {0}")]
    BatchLost(String),
    /// The file is an SQLite database of something else (tables, schema version 0): copytrail
    /// does not add its tables to it.
    #[error("not a copytrail store: an SQLite database with other tables ({0}); give another --db")]
    Foreign(String),
    /// The store's schema is older than this build's and a read-only open cannot migrate it
    /// (see [`Store::open_read_only`]).
    #[error(
        "database schema version {found} is older than this copytrail's ({supported}); it is upgraded when opened for writing"
    )]
    NeedsMigration {
        /// Version in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// The store can only be opened read-only and immutable (read-only directory, no `-shm`
    /// file), but its write-ahead log holds committed pages that such an open would ignore.
    #[error(
        "its write-ahead log ({0}-wal) holds changes that cannot be read without write access to the directory; run this as the store's owner, or copy the store with its -wal file to a writable place"
    )]
    StaleWal(String),
    /// The store's `-wal` or `-shm` file (named) exists but this user cannot write it: it was
    /// left by a process of another user that could only read the store (older copytrail,
    /// or another SQLite program). SQLite then refuses every write to the store.
    #[error(
        "{0} exists but this user cannot write it (another user's process left it after reading the store); when nothing is using the store, delete it (it holds no data when the -wal file is empty) or run as its owner"
    )]
    SideFileNotWritable(String),
    /// Another process is writing pages to this store (`ingest` or `crawl`).
    #[error(
        "{0} is being written by another copytrail process (ingest or crawl); run this when it has finished"
    )]
    Busy(String),
    /// The writer lock file could not be created or locked.
    #[error("cannot take the store's writer lock {0}")]
    Lock(String),
    /// Stored data could not be (de)serialised.
    #[error("stored data is malformed: {0}")]
    Malformed(String),
}

/// Page cache of each connection, KiB (`PRAGMA cache_size`; SQLite's default is 2,000 KiB).
pub const CACHE_KIB: i64 = 64 * 1024;

/// Bytes of the database file read through a memory map (`PRAGMA mmap_size`), saving a
/// `pread` per page read.
pub const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// WAL size, in database pages, above which a commit checkpoints (`PRAGMA
/// wal_autocheckpoint`; SQLite's default is 1,000 pages = 4 MB).
pub const WAL_AUTOCHECKPOINT_PAGES: i64 = 8192;

/// The path of one of the store's SQLite side files: `<db>-wal` or `<db>-shm`.
fn side_file(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    db.with_file_name(name)
}

/// True when the store at `db` has a non-empty write-ahead log (`<db>-wal`): pages committed
/// but not yet copied into the database file.
fn wal_has_frames(db: &Path) -> bool {
    std::fs::metadata(side_file(db, "-wal")).is_ok_and(|m| m.len() > 0)
}

/// [`StoreError::Foreign`] for a database at schema `version` 0 that has tables: another
/// program's file.
fn refuse_foreign(conn: &Connection, version: i64) -> Result<(), StoreError> {
    if version != 0 {
        return Ok(());
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 5")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if tables.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Foreign(tables.join(", ")))
    }
}

/// Handle on the SQLite store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, enables WAL and applies migrations.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the file cannot be opened or migrated; [`StoreError::TooNew`]
    /// if its schema is newer than this build; [`StoreError::SideFileNotWritable`] when the
    /// store is writable but its `-wal` or `-shm` file is not.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // SQLite opens such a store read-only without a word and fails at the first write
        // ("attempt to write a readonly database"): say which file is in the way instead.
        let writable = |p: &Path| std::fs::OpenOptions::new().write(true).open(p).is_ok();
        if writable(path) {
            for suffix in ["-wal", "-shm"] {
                let side = side_file(path, suffix);
                if side.exists() && !writable(&side) {
                    return Err(StoreError::SideFileNotWritable(side.display().to_string()));
                }
            }
        }
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// Opens an existing store without writing to it (the read commands fall back to it when
    /// [`Store::open`] cannot write): no migration and no journal-mode change, so it works on
    /// a read-only file or directory and beside a running writer. A store with no `-wal` and
    /// no `-shm` file (no writer has it open) is opened immutable (SQLite URI parameter
    /// `immutable=1`), which creates no side files; so is one SQLite cannot read read-only
    /// otherwise (no `-shm` file and a read-only directory). A writer that starts while an
    /// immutable read runs is not seen by it.
    ///
    /// # Errors
    /// [`StoreError::NeedsMigration`] if the schema is older than this build (open it with
    /// [`Store::open`] to migrate); [`StoreError::TooNew`], [`StoreError::Foreign`] as in
    /// [`Store::open`]; [`StoreError::Sqlite`] if the file cannot be read.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let version = |c: &Connection| -> rusqlite::Result<i64> {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
        };
        let uri = || {
            std::path::absolute(path)
                .ok()
                .and_then(|p| url::Url::from_file_path(p).ok())
        };
        // With neither a `-wal` nor a `-shm` file, no writer has the store open and everything
        // committed is in the file: read it immutable, so this read leaves no side files
        // behind that the store's owner could not write afterwards (SQLite creates them for
        // a WAL-mode read when the directory is writable, and a read-only connection cannot
        // remove them).
        let quiet = !side_file(path, "-wal").exists() && !side_file(path, "-shm").exists();
        let mut conn = match uri() {
            Some(uri) if quiet => Connection::open_with_flags(format!("{uri}?immutable=1"), flags)?,
            _ => Connection::open_with_flags(path, flags)?,
        };
        let found = match version(&conn) {
            Ok(v) => v,
            Err(e) => {
                let Some(uri) = uri() else {
                    return Err(e.into());
                };
                // Immutable means "ignore the WAL": refuse when it holds committed pages,
                // rather than answer from an older state of the store.
                if wal_has_frames(path) {
                    return Err(StoreError::StaleWal(path.display().to_string()));
                }
                conn = Connection::open_with_flags(format!("{uri}?immutable=1"), flags)?;
                version(&conn)?
            }
        };
        let supported = MIGRATIONS.len() as i64;
        refuse_foreign(&conn, found)?;
        if found > supported {
            return Err(StoreError::TooNew { found, supported });
        }
        if found < supported {
            return Err(StoreError::NeedsMigration { found, supported });
        }
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        Ok(Store { conn })
    }

    /// An in-memory store (tests, benchmarks).
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // Schema version 0 with tables in it: another program's database.
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        refuse_foreign(&conn, version)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // The writer touches index pages all over the postings B-tree: keep them in memory
        // (the default cache is 2 MB) and let the WAL grow to a few batches before a
        // checkpoint copies its pages back (the default 1,000 pages checkpointed after almost
        // every batch). Temporary data (statement journals of the per-page savepoints) stays
        // in memory.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        // Plans that do not depend on bound values (`SQLITE_DBCONFIG_ENABLE_QPSG`): otherwise
        // SQLite prepares again, at every call, a cached statement whose parameter values it
        // consulted while planning (measured: several of the writer's per-page statements).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        schema::migrate(&mut conn)?;
        Ok(Store { conn })
    }

    /// Takes the store's writer lock: an exclusive advisory lock (`flock`) on the database
    /// file itself — so every path to it (symbolic or hard links) shares the lock — released
    /// when the returned handle is dropped or the process ends. SQLite's own locks are
    /// `fcntl` byte-range locks, which `flock` does not interact with on local file systems.
    /// Writers of pages (`ingest`, `crawl`) keep indexes of the stored pages in memory, so two
    /// at once would each miss the other's pages. `None` for an in-memory store.
    ///
    /// # Errors
    /// [`StoreError::Busy`] when another open handle (another process, usually) holds it;
    /// [`StoreError::Lock`] when the file cannot be opened or locked.
    pub fn lock_writer(&self) -> Result<Option<std::fs::File>, StoreError> {
        let db = match self.conn.path() {
            Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
            _ => return Ok(None),
        };
        let file = std::fs::File::open(&db)
            .map_err(|e| StoreError::Lock(format!("{}: {e}", db.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(StoreError::Busy(db.display().to_string()))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                Err(StoreError::Lock(format!("{}: {e}", db.display())))
            }
        }
    }

    /// The underlying connection (for modules that own tables, such as the crawl frontier).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Mutable access to the connection (transactions).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

#[cfg(test)]
mod foreign_tests {
    use super::*;

    fn dir_listing(dir: &Path) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().unwrap().len(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_non_empty_write_ahead_log_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        std::fs::write(&db, b"").unwrap();
        assert!(!wal_has_frames(&db));
        std::fs::write(dir.path().join("s.db-wal"), b"").unwrap();
        assert!(!wal_has_frames(&db));
        std::fs::write(dir.path().join("s.db-wal"), b"frames").unwrap();
        assert!(wal_has_frames(&db));
    }

    #[test]
    fn read_only_open_reads_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let s = Store::open(&path).unwrap();
            s.conn()
                .execute("INSERT INTO origin_domains (domain) VALUES ('ft.com')", [])
                .unwrap();
        }
        let before = dir_listing(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        {
            let s = Store::open_read_only(&path).unwrap();
            assert_eq!(s.origin_domains().unwrap(), vec!["ft.com".to_string()]);
            let w = s
                .conn()
                .execute("INSERT INTO origin_domains (domain) VALUES ('x.com')", []);
            assert!(w.is_err(), "a read-only store accepted a write");
        }
        // The database is untouched and no `-wal`/`-shm` file is left beside it (another
        // user's store would be unwritable for its owner with such files left by a reader).
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(dir_listing(dir.path()), before);

        // Beside a writer that has the store open (side files exist), a read-only open sees
        // what the writer committed to its write-ahead log.
        {
            let w = Store::open(&path).unwrap();
            w.conn()
                .execute(
                    "INSERT INTO origin_domains (domain) VALUES ('bbc.co.uk')",
                    [],
                )
                .unwrap();
            let r = Store::open_read_only(&path).unwrap();
            assert_eq!(r.origin_domains().unwrap().len(), 2);
        }

        // An older schema is not migrated by a read-only open.
        Store::open(&path)
            .unwrap()
            .conn()
            .pragma_update(None, "user_version", 2)
            .unwrap();
        assert!(matches!(
            Store::open_read_only(&path).err(),
            Some(StoreError::NeedsMigration { found: 2, .. })
        ));
        // Another program's database is refused read-only too.
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE foo (x);")
            .unwrap();
        assert!(matches!(
            Store::open_read_only(&other).err(),
            Some(StoreError::Foreign(_))
        ));
    }

    #[test]
    fn a_side_file_this_user_cannot_write_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        // Tests may run as root, who can write any file: a directory stands in for a `-wal`
        // file this user cannot write.
        std::fs::create_dir(dir.path().join("s.db-wal")).unwrap();
        let e = Store::open(&path).err().expect("refused");
        assert!(
            matches!(e, StoreError::SideFileNotWritable(ref p) if p.ends_with("s.db-wal")),
            "{e}"
        );
        std::fs::remove_dir(dir.path().join("s.db-wal")).unwrap();
        assert!(Store::open(&path).is_ok());
    }

    #[test]
    fn another_programs_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE foo (x); INSERT INTO foo VALUES (1);")
                .unwrap();
        }
        let e = Store::open(&path).err().expect("refused");
        assert!(matches!(e, StoreError::Foreign(ref t) if t == "foo"), "{e}");
        let c = Connection::open(&path).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "no copytrail table was added");
        // A new, empty file becomes a store; reopening it works.
        let fresh = dir.path().join("new.db");
        drop(Store::open(&fresh).unwrap());
        Store::open(&fresh).unwrap();
    }
}
