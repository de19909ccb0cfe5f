//! The SQLite backend: one connection, WAL journal, foreign keys on, checked on open.

use std::path::Path;
use std::time::Duration;

use rusqlite::{CachedStatement, Connection, ErrorCode, OpenFlags};

use crate::db::{Db, Dialect, Row, Value};
use crate::error::Error;

/// `PRAGMA application_id` of our files ("XMPS"): `file(1)` and this crate tell them apart.
pub(crate) const APPLICATION_ID: i64 = 0x584d_5053;

/// When SQLite makes a commit durable (`PRAGMA synchronous`), in WAL mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// Every commit is on disk before it returns (an `fsync` of the WAL per transaction):
    /// what the server acknowledged survives a crash of the process, of the operating system
    /// and a power loss.
    #[default]
    Full,
    /// Commits reach the operating system at once and the disk at checkpoints: what the
    /// server acknowledged survives a crash (`kill -9`) of the process, but a power loss or
    /// an operating-system crash may lose the last transactions (never corrupting the file).
    Normal,
}

/// How a SQLite store is opened.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// When commits are durable (default [`Synchronous::Full`]).
    pub synchronous: Synchronous,
    /// Run `PRAGMA integrity_check` on open instead of the faster `quick_check` (which
    /// skips index-to-table consistency); both read the whole file.
    pub full_integrity_check: bool,
    /// How long a statement waits for a lock another process holds (an admin command while
    /// the server runs) before failing (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Full,
            full_integrity_check: false,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

pub(crate) struct SqliteDb {
    conn: Connection,
    location: String,
}

/// Our error for a SQLite error met while opening `location`.
fn open_error(location: &str, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::NotADatabase {
            location: location.to_owned(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            location: location.to_owned(),
            detail: e.to_string(),
        },
        _ => Error::Database(format!("{location}: {e}")),
    }
}

fn db_error(location: &str, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Error::Corrupt {
            location: location.to_owned(),
            detail: e.to_string(),
        },
        _ => Error::Database(e.to_string()),
    }
}

impl SqliteDb {
    /// Opens (creating if missing) the file at `path`, or an in-memory database for `None`,
    /// and checks its integrity; the caller checks what it holds, then
    /// [`configure`](Self::configure)s it.
    pub(crate) fn open(path: Option<&Path>, options: &SqliteOptions) -> Result<Self, Error> {
        let location = path.map_or_else(|| ":memory:".to_owned(), |p| p.display().to_string());
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match path {
            Some(p) => Connection::open_with_flags(p, flags),
            None => Connection::open_in_memory(),
        }
        .map_err(|e| open_error(&location, e))?;
        let err = |e| open_error(&location, e);
        conn.busy_timeout(options.busy_timeout).map_err(err)?;
        // The first read of the header: a file that is not a database fails here.
        let app_id: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(err)?;
        if app_id != 0 && app_id != APPLICATION_ID {
            return Err(Error::Foreign {
                location,
                detail: format!("application id {app_id:#x}"),
            });
        }
        let check = if options.full_integrity_check {
            "PRAGMA integrity_check"
        } else {
            "PRAGMA quick_check"
        };
        let mut stmt = conn.prepare(check).map_err(err)?;
        let report: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        drop(stmt);
        if report != ["ok"] {
            let mut detail: Vec<String> = report.into_iter().take(5).collect();
            if detail.is_empty() {
                detail.push("the check reported nothing".into());
            }
            return Err(Error::Corrupt {
                location,
                detail: detail.join("; "),
            });
        }
        Ok(SqliteDb { conn, location })
    }

    /// Switches to the write-ahead log and sets durability and foreign keys: only once the
    /// file is known to be ours, since the journal mode is written into the file.
    pub(crate) fn configure(
        &mut self,
        path: Option<&Path>,
        options: &SqliteOptions,
    ) -> Result<(), Error> {
        let (conn, location) = (&self.conn, self.location.as_str());
        let err = |e| open_error(location, e);
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        if path.is_some() && !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Database(format!(
                "{location}: cannot use the WAL journal (got {mode})"
            )));
        }
        let sync = match options.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;"
        ))
        .map_err(err)?;
        Ok(())
    }

    /// Marks the file as ours (after the schema is in place).
    pub(crate) fn mark(&mut self) -> Result<(), Error> {
        self.conn
            .execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
            .map_err(|e| db_error(&self.location, e))
    }
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Int(i) => V::Integer(*i),
        Value::Text(s) => V::Text(s.clone()),
        Value::Blob(b) => V::Blob(b.clone()),
    }
}

fn from_sql(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef as V;
    match v {
        V::Null => Value::Null,
        V::Integer(i) => Value::Int(i),
        // Never written by this crate; kept readable as text.
        V::Real(f) => Value::Text(f.to_string()),
        V::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        V::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// Binds `params[i]` to the parameter named `$i+1`: SQLite numbers `$N` parameters in order
/// of first appearance, not by N, so binding by position would swap `$2 ... $1`.
fn bind(location: &str, stmt: &mut CachedStatement<'_>, params: &[Value]) -> Result<(), Error> {
    for (i, p) in params.iter().enumerate() {
        let name = format!("${}", i + 1);
        let index = stmt
            .parameter_index(&name)
            .map_err(|e| db_error(location, e))?
            .ok_or_else(|| Error::Database(format!("statement has no parameter {name}")))?;
        stmt.raw_bind_parameter(index, to_sql(p))
            .map_err(|e| db_error(location, e))?;
    }
    if stmt.parameter_count() != params.len() {
        return Err(Error::Database(format!(
            "statement has {} parameters, {} given",
            stmt.parameter_count(),
            params.len()
        )));
    }
    Ok(())
}

impl Db for SqliteDb {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| db_error(&self.location, e))?;
        bind(&self.location, &mut stmt, params)?;
        let n = stmt
            .raw_execute()
            .map_err(|e| db_error(&self.location, e))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| db_error(&self.location, e))?;
        let columns = stmt.column_count();
        bind(&self.location, &mut stmt, params)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| db_error(&self.location, e))? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(from_sql(
                    row.get_ref(i).map_err(|e| db_error(&self.location, e))?,
                ));
            }
            out.push(values);
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| db_error(&self.location, e))
    }

    fn begin_write(&mut self) -> Result<(), Error> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn location(&self) -> &str {
        &self.location
    }
}
