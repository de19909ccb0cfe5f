//! [`Error`]: why a store could not be opened or an account not be managed.

use xmpp_jid::BareJid;

/// Why opening a store or managing an account failed.
///
/// Opening never repairs or resets anything: a file that is not a database, a damaged database,
/// someone else's database and a schema written by a newer version of this crate are each
/// refused with their own variant, and the data is left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file exists but is not a SQLite database (or is encrypted): nothing was changed.
    #[error("{location}: not a SQLite database (refusing to touch it)")]
    NotADatabase {
        /// The file.
        location: String,
    },
    /// The database is damaged: SQLite's integrity check failed or a read hit a malformed page.
    /// Nothing was changed; restore a backup, or salvage with `sqlite3 FILE .recover`.
    #[error("{location}: the database is corrupt: {detail}")]
    Corrupt {
        /// The file or database.
        location: String,
        /// What the check reported (its first lines).
        detail: String,
    },
    /// A valid database that this crate did not create (other tables, another application id,
    /// another format marker): nothing was changed.
    #[error("{location}: a database of another application ({detail}); refusing to use it")]
    Foreign {
        /// The file or database.
        location: String,
        /// What gave it away.
        detail: String,
    },
    /// The schema was written by a newer version of this crate: nothing was changed; run the
    /// newer server (or restore a backup made before the upgrade).
    #[error(
        "{location}: schema version {found} is newer than this build supports ({supported}); \
         upgrade the server"
    )]
    NewerSchema {
        /// The file or database.
        location: String,
        /// The version in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// `add` for an account that already has credentials.
    #[error("account {0} exists")]
    AccountExists(BareJid),
    /// `remove` or `passwd` for an account that does not exist.
    #[error("no account {0}")]
    UnknownAccount(BareJid),
    /// The password (or user name) cannot be turned into SCRAM credentials.
    #[error("credentials: {0}")]
    Credentials(#[from] xmpp_sasl::CredentialsError),
    /// The database failed (I/O, locking, constraint, connection...).
    #[error("database: {0}")]
    Database(String),
}

impl From<Error> for xmpp_im::error::StoreError {
    fn from(e: Error) -> Self {
        xmpp_im::error::StoreError(e.to_string())
    }
}
