//! SQLite schema of the crawl frontier (appended to the store's migrations).

/// Migration that creates the frontier tables. Appended after the core schema in
/// [`crate::store::MIGRATIONS`].
pub const FRONTIER_V1: &str = "
CREATE TABLE IF NOT EXISTS frontier (
    url TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
);
";
