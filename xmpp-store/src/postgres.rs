//! The PostgreSQL backend (feature `postgres`): the synchronous `postgres` client on a thread
//! of its own.
//!
//! The `postgres` client drives a private tokio runtime and must not be called from a thread
//! that runs async tasks (it would panic); the server's credential lookups happen on such
//! threads. So the client lives on a dedicated thread and every call is a message to it and a
//! blocking wait for the answer, from any thread.

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread::JoinHandle;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use crate::db::{Db, Dialect, Row, Value};
use crate::error::Error;

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => i.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
        params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, postgres::Error> {
        let stmt = self.statement(sql)?;
        self.client.execute(&stmt, &Self::params(params))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, postgres::Error> {
        let stmt = self.statement(sql)?;
        let rows = self.client.query(&stmt, &Self::params(params))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                let v = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)?
                        .map(|v| Value::Int(v.into()))
                } else if *ty == Type::INT2 {
                    row.try_get::<_, Option<i16>>(i)?
                        .map(|v| Value::Int(v.into()))
                } else if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(i)?.map(Value::from)
                } else if *ty == Type::BYTEA {
                    row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob)
                } else if [Type::TEXT, Type::VARCHAR, Type::NAME, Type::BPCHAR].contains(ty) {
                    row.try_get::<_, Option<String>>(i)?.map(Value::Text)
                } else {
                    // `void` (advisory locks) and anything this crate never reads.
                    None
                };
                values.push(v.unwrap_or(Value::Null));
            }
            out.push(values);
        }
        Ok(out)
    }
}

type Job = Box<dyn FnOnce(&mut Conn) + Send>;

pub(crate) struct PgDb {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<JoinHandle<()>>,
    location: String,
}

fn pg_error(e: &postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => Error::Database(format!("{}: {}", db.severity(), db.message())),
        None => Error::Database(e.to_string()),
    }
}

impl PgDb {
    /// Connects with a libpq-style string (`host=127.0.0.1 port=5432 user=xmpp dbname=xmpp`)
    /// or URL, without TLS (a database on loopback or a protected network).
    pub(crate) fn connect(params: &str) -> Result<Self, Error> {
        let config: postgres::Config = params
            .parse()
            .map_err(|e| Error::Database(format!("connection string: {e}")))?;
        let location = format!(
            "postgresql database {:?}",
            config.get_dbname().unwrap_or("(default)")
        );
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::sync_channel(1);
        let worker = std::thread::Builder::new()
            .name("xmpp-store-postgres".into())
            .spawn(move || {
                let client = match config.connect(NoTls) {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(pg_error(&e)));
                        return;
                    }
                };
                let mut conn = Conn {
                    client,
                    statements: HashMap::new(),
                };
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| Error::Database(format!("cannot start the PostgreSQL thread: {e}")))?;
        match ready.recv() {
            Ok(Ok(())) => Ok(PgDb {
                jobs: Some(jobs),
                worker: Some(worker),
                location,
            }),
            Ok(Err(e)) => {
                let _ = worker.join();
                Err(e)
            }
            Err(_) => Err(Error::Database("the PostgreSQL thread ended".into())),
        }
    }

    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> R + Send + 'static,
    ) -> Result<R, Error> {
        let gone = || Error::Database("the PostgreSQL connection thread ended".into());
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl Db for PgDb {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.call(move |c| c.execute(&sql, &params).map_err(|e| pg_error(&e)))?
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.call(move |c| c.query(&sql, &params).map_err(|e| pg_error(&e)))?
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        let sql = sql.to_owned();
        self.call(move |c| c.client.batch_execute(&sql).map_err(|e| pg_error(&e)))?
    }

    fn begin_write(&mut self) -> Result<(), Error> {
        self.batch("BEGIN")
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn location(&self) -> &str {
        &self.location
    }
}
