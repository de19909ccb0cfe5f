//! The schema and its migrations, one list per dialect: version `n` is the first `n` scripts.
//! Opening a store applies the missing ones in one transaction, after checking that the
//! database is ours and not newer than this build.
//!
//! Every table is keyed by the account's bare JID (its text, as [`xmpp_jid::BareJid`] prepares
//! it) and cascades from `accounts`, so removing an account removes all it had. Later
//! features (multi-user chat rooms, stream-management resumption state) add migrations here.

use crate::db::{Db, Dialect, text, transaction};
use crate::error::Error;

/// The value of the `format` row of `xmpp_store_meta`.
pub(crate) const FORMAT: &str = "xmpp-store";

const SQLITE: &[&str] = &[
    // 1: accounts and credentials, rosters with their version and change log, pending
    // subscription requests, offline messages.
    "CREATE TABLE xmpp_store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE accounts (
         jid TEXT PRIMARY KEY,
         roster_version INTEGER NOT NULL DEFAULT 0,
         roster_floor INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE credentials (
         account TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         hash TEXT NOT NULL,
         salt BLOB NOT NULL,
         iterations INTEGER NOT NULL,
         stored_key BLOB NOT NULL,
         server_key BLOB NOT NULL,
         PRIMARY KEY (account, hash)
     );
     CREATE TABLE contacts (
         account TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         jid TEXT NOT NULL,
         state TEXT NOT NULL,
         approved INTEGER NOT NULL,
         in_roster INTEGER NOT NULL,
         name TEXT,
         groups TEXT NOT NULL,
         PRIMARY KEY (account, jid)
     );
     CREATE TABLE roster_log (
         account TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         jid TEXT NOT NULL,
         ver INTEGER NOT NULL,
         removed INTEGER NOT NULL,
         name TEXT,
         groups TEXT NOT NULL,
         subscription TEXT NOT NULL,
         ask INTEGER NOT NULL,
         approved INTEGER NOT NULL,
         PRIMARY KEY (account, jid)
     );
     CREATE INDEX roster_log_by_ver ON roster_log (account, ver);
     CREATE INDEX roster_log_removals ON roster_log (account, removed, ver);
     CREATE TABLE pending_requests (
         account TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         jid TEXT NOT NULL,
         stanza TEXT NOT NULL,
         PRIMARY KEY (account, jid)
     );
     CREATE TABLE offline (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         account TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         stanza TEXT NOT NULL
     );
     CREATE INDEX offline_by_account ON offline (account, id);",
];

// JIDs sort bytewise (COLLATE "C"), as in SQLite, whatever the cluster's locale.
#[cfg(feature = "postgres")]
const POSTGRES: &[&str] = &[
    // 1: as SQLITE[0].
    r#"CREATE TABLE xmpp_store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE accounts (
         jid TEXT COLLATE "C" PRIMARY KEY,
         roster_version BIGINT NOT NULL DEFAULT 0,
         roster_floor BIGINT NOT NULL DEFAULT 0
     );
     CREATE TABLE credentials (
         account TEXT COLLATE "C" NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         hash TEXT NOT NULL,
         salt BYTEA NOT NULL,
         iterations BIGINT NOT NULL,
         stored_key BYTEA NOT NULL,
         server_key BYTEA NOT NULL,
         PRIMARY KEY (account, hash)
     );
     CREATE TABLE contacts (
         account TEXT COLLATE "C" NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         jid TEXT COLLATE "C" NOT NULL,
         state TEXT NOT NULL,
         approved BIGINT NOT NULL,
         in_roster BIGINT NOT NULL,
         name TEXT,
         groups TEXT NOT NULL,
         PRIMARY KEY (account, jid)
     );
     CREATE TABLE roster_log (
         account TEXT COLLATE "C" NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         jid TEXT COLLATE "C" NOT NULL,
         ver BIGINT NOT NULL,
         removed BIGINT NOT NULL,
         name TEXT,
         groups TEXT NOT NULL,
         subscription TEXT NOT NULL,
         ask BIGINT NOT NULL,
         approved BIGINT NOT NULL,
         PRIMARY KEY (account, jid)
     );
     CREATE INDEX roster_log_by_ver ON roster_log (account, ver);
     CREATE INDEX roster_log_removals ON roster_log (account, removed, ver);
     CREATE TABLE pending_requests (
         account TEXT COLLATE "C" NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         jid TEXT COLLATE "C" NOT NULL,
         stanza TEXT NOT NULL,
         PRIMARY KEY (account, jid)
     );
     CREATE TABLE offline (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         account TEXT COLLATE "C" NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
         stanza TEXT NOT NULL
     );
     CREATE INDEX offline_by_account ON offline (account, id);"#,
];

/// The migration scripts of `dialect`.
fn migrations(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Sqlite => SQLITE,
        #[cfg(feature = "postgres")]
        Dialect::Postgres => POSTGRES,
        #[cfg(not(feature = "postgres"))]
        Dialect::Postgres => &[],
    }
}

/// The schema version this build writes (the same for every dialect).
pub const SCHEMA_VERSION: i64 = SQLITE.len() as i64;

/// Checks that the database is empty or ours and not newer, and brings it to
/// [`SCHEMA_VERSION`], in one transaction.
pub(crate) fn prepare(db: &mut dyn Db) -> Result<(), Error> {
    transaction(db, |db| {
        if db.dialect() == Dialect::Postgres {
            // Several server processes may open one database at once: one migrates.
            db.query("SELECT pg_advisory_xact_lock(5822188001)", &[])?;
        }
        let version = inspect(db)?;
        let scripts = migrations(db.dialect());
        for (i, script) in scripts.iter().enumerate().skip(version as usize) {
            tracing::info!(location = db.location(), to = i + 1, "migrating the schema");
            db.batch(script)?;
        }
        if version < SCHEMA_VERSION {
            let upsert = "INSERT INTO xmpp_store_meta (key, value) VALUES ($1, $2) \
                          ON CONFLICT (key) DO UPDATE SET value = excluded.value";
            db.execute(upsert, &["format".into(), FORMAT.into()])?;
            db.execute(
                upsert,
                &["schema_version".into(), SCHEMA_VERSION.to_string().into()],
            )?;
        }
        Ok(())
    })
}

/// The schema version of an empty (0) or our database, without writing anything; refuses a
/// foreign database or a newer schema.
pub(crate) fn inspect(db: &mut dyn Db) -> Result<i64, Error> {
    let tables = tables(db)?;
    let version = if tables.iter().any(|t| t == "xmpp_store_meta") {
        let location = db.location().to_owned();
        let rows = db.query("SELECT key, value FROM xmpp_store_meta", &[])?;
        let mut format = None;
        let mut version = None;
        for row in &rows {
            match text(row, 0)? {
                "format" => format = Some(text(row, 1)?.to_owned()),
                "schema_version" => version = Some(text(row, 1)?.to_owned()),
                _ => {}
            }
        }
        if format.as_deref() != Some(FORMAT) {
            return Err(Error::Foreign {
                location,
                detail: format!("format marker {format:?}, expected {FORMAT:?}"),
            });
        }
        let version = version.unwrap_or_default();
        version.parse::<i64>().map_err(|_| Error::Corrupt {
            location: location.clone(),
            detail: format!("schema version {version:?} is not a number"),
        })?
    } else if tables.is_empty() {
        0
    } else {
        let mut shown = tables;
        shown.truncate(5);
        return Err(Error::Foreign {
            location: db.location().to_owned(),
            detail: format!(
                "it has tables ({}) and no xmpp_store_meta",
                shown.join(", ")
            ),
        });
    };
    if version > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            location: db.location().to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 0 {
        return Err(Error::Corrupt {
            location: db.location().to_owned(),
            detail: format!("schema version {version}"),
        });
    }
    Ok(version)
}

/// The user tables in the database.
fn tables(db: &mut dyn Db) -> Result<Vec<String>, Error> {
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() ORDER BY table_name"
        }
    };
    db.query(sql, &[])?
        .iter()
        .map(|row| text(row, 0).map(str::to_owned))
        .collect()
}

/// The schema version recorded in the database (for tools and tests).
pub(crate) fn version(db: &mut dyn Db) -> Result<i64, Error> {
    let rows = db.query(
        "SELECT value FROM xmpp_store_meta WHERE key = 'schema_version'",
        &[],
    )?;
    let v = rows
        .first()
        .map(|r| text(r, 0).map(str::to_owned))
        .transpose()?
        .unwrap_or_default();
    v.parse().map_err(|_| Error::Corrupt {
        location: db.location().to_owned(),
        detail: format!("schema version {v:?}"),
    })
}
