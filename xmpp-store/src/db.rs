//! The little the backends have in common: statements with positional parameters (`$1`,
//! `$2`, ... in order of first use, which SQLite and PostgreSQL both read), rows of four value
//! kinds, and transactions.

use crate::error::Error;

/// A parameter or column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Blob(v.to_vec())
    }
}

/// One result row.
pub(crate) type Row = Vec<Value>;

/// Which SQL the backend speaks, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

/// A database connection.
pub(crate) trait Db: Send {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error>;
    /// Runs a query (or a statement with `RETURNING`).
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error>;
    /// Runs statements without parameters (schema scripts, transaction control).
    fn batch(&mut self, sql: &str) -> Result<(), Error>;
    /// Starts a transaction that will write (SQLite takes the write lock at once, so that two
    /// writers never deadlock upgrading a read lock).
    fn begin_write(&mut self) -> Result<(), Error>;
    /// The SQL dialect.
    fn dialect(&self) -> Dialect;
    /// What to name in errors (a file path, a database name).
    fn location(&self) -> &str;
}

/// Runs `f` in a write transaction: committed if it returns `Ok`, rolled back otherwise.
pub(crate) fn transaction<R>(
    db: &mut dyn Db,
    f: impl FnOnce(&mut dyn Db) -> Result<R, Error>,
) -> Result<R, Error> {
    db.begin_write()?;
    match f(db) {
        Ok(r) => {
            if let Err(e) = db.batch("COMMIT") {
                let _ = db.batch("ROLLBACK");
                return Err(e);
            }
            Ok(r)
        }
        Err(e) => {
            let _ = db.batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The column's integer.
pub(crate) fn int(row: &Row, i: usize) -> Result<i64, Error> {
    match row.get(i) {
        Some(Value::Int(v)) => Ok(*v),
        other => Err(Error::Database(format!(
            "column {i}: expected an integer, found {other:?}"
        ))),
    }
}

/// The column's text.
pub(crate) fn text(row: &Row, i: usize) -> Result<&str, Error> {
    match row.get(i) {
        Some(Value::Text(v)) => Ok(v),
        other => Err(Error::Database(format!(
            "column {i}: expected text, found {other:?}"
        ))),
    }
}

/// The column's text, or `None` for NULL.
pub(crate) fn opt_text(row: &Row, i: usize) -> Result<Option<&str>, Error> {
    match row.get(i) {
        Some(Value::Null) => Ok(None),
        _ => text(row, i).map(Some),
    }
}

/// The column's bytes.
pub(crate) fn blob(row: &Row, i: usize) -> Result<&[u8], Error> {
    match row.get(i) {
        Some(Value::Blob(v)) => Ok(v),
        other => Err(Error::Database(format!(
            "column {i}: expected bytes, found {other:?}"
        ))),
    }
}
