//! Durable storage for the [`xmpp_server`] core: accounts with salted SCRAM keys, rosters with
//! their version and change log, pending subscription requests and offline messages, in
//! SQLite (embedded, the default) or PostgreSQL (feature `postgres`).
//!
//! One [`Store`] is a database. It implements the core's synchronous
//! [`Storage`] trait (hand it to
//! [`Server::with_storage`](xmpp_server::Server::with_storage)), and
//! [`Store::credentials`] gives the SASL side ([`xmpp_sasl::CredentialStore`]) of the same
//! database for one domain. Accounts are managed with [`Store::add_account`],
//! [`Store::set_password`] and [`Store::remove_account`]; passwords are never stored, only
//! the SCRAM-SHA-1/-256/-512 keys derived from them with a fresh salt.
//!
//! ```
//! use xmpp_server::{Config, Offline, Server, Storage};
//! use xmpp_sasl::CredentialStore;
//! use xmpp_stanza::Message;
//! use xmpp_store::Store;
//!
//! let dir = std::env::temp_dir().join(format!("xmpp-store-doc-{}", std::process::id()));
//! let file = dir.join(xmpp_store::SQLITE_FILE);
//! let juliet: xmpp_jid::BareJid = "juliet@example.com".parse()?;
//! {
//!     let store = Store::open_dir(&dir)?;
//!     store.add_account(&juliet, "r0m30", 4096, &mut rand_core::OsRng)?;
//!     // The server core keeps offline messages here (the server would stamp and route them).
//!     let mut server = Server::with_storage(
//!         Config::new(["example.com"]),
//!         store.clone(),
//!         Box::new(rand_core::OsRng),
//!     );
//!     let message = Message::chat(juliet.clone().into(), "wherefore art thou?");
//!     assert_eq!(server.storage_mut().store_offline(&juliet, message)?, Offline::Stored);
//! } // Closed (a crash would do: every change is committed before the call returns).
//!
//! let mut store = Store::open(&file)?;
//! assert!(store.credentials("example.com").verify_password("juliet", "r0m30").is_ok());
//! let kept = store.take_offline(&juliet)?;
//! assert_eq!(kept.len(), 1);
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # SQLite
//!
//! [`Store::open`] (or [`Store::open_dir`]: the file [`SQLITE_FILE`] in a directory) opens or
//! creates one file, with the write-ahead log (WAL) and foreign keys on. Every logical change
//! (a roster change with its version and log entry, an offline message, an account with its
//! keys) is one transaction, committed before the call returns; with the default
//! [`Synchronous::Full`] it is on disk by then. Opening checks the file (`PRAGMA quick_check`,
//! or `integrity_check` with [`SqliteOptions::full_integrity_check`]) and what it holds, and
//! refuses with a typed [`Error`], changing nothing, a file that is not a SQLite database
//! ([`Error::NotADatabase`]), a damaged one ([`Error::Corrupt`]), another application's
//! ([`Error::Foreign`]) or one whose schema a newer version of this crate wrote
//! ([`Error::NewerSchema`]). An older schema is migrated forward in one transaction. Other
//! processes may open the file meanwhile (an account command while the server runs): writers
//! wait for each other up to [`SqliteOptions::busy_timeout`].
//!
//! # PostgreSQL
//!
//! With the feature `postgres`, [`Store::connect_postgres`] uses a PostgreSQL database
//! instead, with the same schema, transactions and checks. Several processes may use one
//! database at once without harm (schema migration takes an advisory lock, writes to one
//! account take its row lock), but the server core does not route between server processes
//! yet: one server process per database, plus account commands, is what works today. The synchronous `postgres` client runs on a thread of its own, so a store may be
//! called from any thread, async runtimes' included.
//!
//! # What a crash can lose
//!
//! Nothing the server acknowledged: an offline message is committed before the server handles
//! the sender's next stanza, a roster change (item, version and change-log entry together)
//! before its push and result are sent (`xmpp-tokio/tests/durability.rs` kills the server
//! with SIGKILL under load and checks). Offline messages are removed from the store when they
//! are handed to the recipient's connection ([`Storage::take_offline`]): without stream
//! management (XEP-0198) a crash between that and the bytes reaching the client loses them,
//! as it loses any stanza in flight to an online client.
//!
//! # Blocking
//!
//! Every call blocks until the database answered (microseconds for SQLite without `fsync`,
//! a disk flush with it, a round trip for PostgreSQL). The server core calls the store while
//! it handles an event, so an adapter runs the core where blocking is allowed:
//! `xmpp_blocking::ImServer` on its connection threads, `xmpp_tokio::serve_im_with` on tokio's
//! blocking pool.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod db;
mod error;
mod ops;
#[cfg(feature = "postgres")]
mod postgres;
mod schema;
mod sqlite;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand_core::CryptoRngCore;
use xmpp_im::error::StoreError;
use xmpp_im::roster::RosterVersion;
use xmpp_im::store::{Contact, LoggedChange, RosterStore};
use xmpp_jid::BareJid;
use xmpp_sasl::{ScramCredentials, ScramHash};
use xmpp_server::{Offline, Storage};
use xmpp_stanza::{Message, Presence};

use crate::db::Db;
pub use crate::error::Error;
pub use crate::schema::SCHEMA_VERSION;
pub use crate::sqlite::{SqliteOptions, Synchronous};

/// The file name [`Store::open_dir`] uses in its directory.
pub const SQLITE_FILE: &str = "xmpp.sqlite3";

/// Limits a store applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Most offline messages kept per account; beyond it [`Storage::store_offline`] answers
    /// [`Offline::Full`] (default 100, as [`xmpp_server::Config::max_offline_per_account`]).
    pub max_offline_per_account: usize,
    /// Most roster removals remembered per account for versioned roster gets (RFC 6121
    /// §2.6); a client older than the oldest one forgotten gets the whole roster (default
    /// 1024, as `xmpp_im::store::MemoryRosterStore`).
    pub max_remembered_removals: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_offline_per_account: 100,
            max_remembered_removals: ops::DEFAULT_MAX_REMOVALS,
        }
    }
}

/// A database holding what the server keeps: see the [crate docs](crate).
///
/// Cloning is cheap and shares the connection (behind a lock), so the server core's storage
/// and the SASL [`Credentials`] can be the same database.
#[derive(Clone)]
pub struct Store {
    db: Arc<Mutex<Box<dyn Db>>>,
    location: Arc<str>,
    limits: Limits,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store on a database whose schema is prepared.
    fn new(db: Box<dyn Db>) -> Store {
        let location = db.location().into();
        Store {
            db: Arc::new(Mutex::new(db)),
            location,
            limits: Limits::default(),
        }
    }

    fn sqlite(path: Option<&Path>, options: &SqliteOptions) -> Result<Store, Error> {
        let mut db = sqlite::SqliteDb::open(path, options)?;
        // Refuse a foreign or newer database before anything is written to it.
        schema::inspect(&mut db)?;
        db.configure(path, options)?;
        schema::prepare(&mut db)?;
        db.mark()?;
        Ok(Store::new(Box::new(db)))
    }

    /// Opens the SQLite database at `path`, creating it if it does not exist, with the default
    /// [`SqliteOptions`].
    ///
    /// # Errors
    /// See the [crate docs](crate#sqlite): not a database, corrupt, foreign, newer schema, or
    /// the file cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, Error> {
        Store::open_with(path, &SqliteOptions::default())
    }

    /// [`open`](Self::open) with these options.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, options: &SqliteOptions) -> Result<Store, Error> {
        Store::sqlite(Some(path.as_ref()), options)
    }

    /// Opens [`SQLITE_FILE`] in `dir`, creating the directory and the file if needed (the
    /// reference server's `--data DIR`).
    ///
    /// # Errors
    /// As [`open`](Self::open), or the directory cannot be created.
    pub fn open_dir(dir: impl AsRef<Path>) -> Result<Store, Error> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Database(format!("cannot create {}: {e}", dir.display())))?;
        Store::open(dir.join(SQLITE_FILE))
    }

    /// A SQLite database in memory (tests; lost when the last clone is dropped).
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn open_in_memory() -> Result<Store, Error> {
        Store::sqlite(None, &SqliteOptions::default())
    }

    /// Connects to a PostgreSQL database (`host=127.0.0.1 port=5432 user=xmpp dbname=xmpp`,
    /// or a `postgresql://` URL; no TLS: loopback or a protected network) and prepares its
    /// schema.
    ///
    /// # Errors
    /// The connection fails, or the database is foreign or newer, as for SQLite.
    #[cfg(feature = "postgres")]
    pub fn connect_postgres(params: &str) -> Result<Store, Error> {
        let mut db = postgres::PgDb::connect(params)?;
        schema::prepare(&mut db)?;
        Ok(Store::new(Box::new(db)))
    }

    /// This store with other limits (clones made before keep theirs).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Store {
        self.limits = limits;
        self
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Where the data is (a file path, or the PostgreSQL database's name).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The schema version in the database ([`SCHEMA_VERSION`] once opened).
    ///
    /// # Errors
    /// When the database fails.
    pub fn schema_version(&self) -> Result<i64, Error> {
        schema::version(&mut **self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Box<dyn Db>> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with<R>(&self, f: impl FnOnce(&mut dyn Db) -> Result<R, Error>) -> Result<R, Error> {
        f(&mut **self.lock())
    }

    /// The SASL credential store of this database for the accounts of `domain` (a user name
    /// `alice` is the account `alice@domain`).
    pub fn credentials(&self, domain: &str) -> Credentials {
        Credentials {
            store: self.clone(),
            domain: domain.to_owned(),
        }
    }

    /// Creates an account with SCRAM-SHA-1, -256 and -512 keys derived from `password` with
    /// fresh salts and `iterations` (three PBKDF2 runs); the password itself is not kept.
    ///
    /// # Errors
    /// [`Error::AccountExists`] if it has credentials already; [`Error::Credentials`] for a
    /// password SASLprep refuses; the database's error.
    pub fn add_account(
        &self,
        user: &BareJid,
        password: &str,
        iterations: u32,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Error> {
        let creds = derive(password, iterations, rng)?;
        self.with(|db| ops::set_credentials(db, &[(user.clone(), creds)], ops::Require::New))
    }

    /// Replaces an account's keys with ones derived from a new password (fresh salts).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`] if it has no credentials; otherwise as
    /// [`add_account`](Self::add_account).
    pub fn set_password(
        &self,
        user: &BareJid,
        password: &str,
        iterations: u32,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Error> {
        let creds = derive(password, iterations, rng)?;
        self.with(|db| ops::set_credentials(db, &[(user.clone(), creds)], ops::Require::Existing))
    }

    /// Creates or updates accounts with credentials computed elsewhere (imports, or many
    /// accounts sharing precomputed keys), all in one transaction.
    ///
    /// # Errors
    /// The database's error (then nothing was written).
    pub fn put_credentials(
        &self,
        accounts: &[(BareJid, Vec<ScramCredentials>)],
    ) -> Result<(), Error> {
        self.with(|db| ops::set_credentials(db, accounts, ops::Require::Any))
    }

    /// Removes an account and everything it has: keys, roster, pending requests, offline
    /// messages (one transaction). Other accounts' rosters keep it as a contact.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`] if there is no such account; the database's error.
    pub fn remove_account(&self, user: &BareJid) -> Result<(), Error> {
        self.with(|db| ops::remove_account(db, user))
    }

    /// Every account, in byte order of its JID, with whether it has credentials (an account
    /// can exist without: one that logged in with a certificate, or was only made known).
    ///
    /// # Errors
    /// The database's error.
    pub fn accounts(&self) -> Result<Vec<(BareJid, bool)>, Error> {
        self.with(ops::accounts)
    }

    /// The SCRAM credentials of an account for one hash.
    ///
    /// # Errors
    /// The database's error.
    pub fn scram_credentials_of(
        &self,
        user: &BareJid,
        hash: ScramHash,
    ) -> Result<Option<ScramCredentials>, Error> {
        self.with(|db| ops::credentials(db, user, hash))
    }
}

fn derive(
    password: &str,
    iterations: u32,
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<ScramCredentials>, Error> {
    ScramHash::ALL
        .into_iter()
        .map(|h| ScramCredentials::generate(h, password, iterations, rng).map_err(Error::from))
        .collect()
}

impl Storage for Store {
    fn open_account(&mut self, user: &BareJid) -> Result<(), StoreError> {
        Ok(self.with(|db| ops::open_account(db, user))?)
    }

    fn store_offline(&mut self, user: &BareJid, message: Message) -> Result<Offline, StoreError> {
        let max = self.limits.max_offline_per_account;
        Ok(self.with(|db| ops::store_offline(db, user, message, max))?)
    }

    fn take_offline(&mut self, user: &BareJid) -> Result<Vec<Message>, StoreError> {
        Ok(self.with(|db| ops::take_offline(db, user))?)
    }

    fn offline_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        Ok(self.with(|db| ops::offline_count(db, user))?)
    }
}

impl RosterStore<Presence> for Store {
    fn account_exists(&self, user: &BareJid) -> bool {
        match self.with(|db| ops::account_exists(db, user)) {
            Ok(exists) => exists,
            Err(e) => {
                // The trait cannot carry the error; the stanza is then treated as for an
                // unknown account (bounced), never silently dropped.
                tracing::error!(%user, error = %e, "cannot tell whether the account exists");
                false
            }
        }
    }

    fn contact(&self, user: &BareJid, jid: &BareJid) -> Result<Option<Contact>, StoreError> {
        Ok(self.with(|db| ops::contact(db, user, jid))?)
    }

    fn contacts(&self, user: &BareJid) -> Result<Vec<Contact>, StoreError> {
        Ok(self.with(|db| ops::contacts(db, user))?)
    }

    fn item_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        Ok(self.with(|db| ops::item_count(db, user))?)
    }

    fn contact_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        Ok(self.with(|db| ops::contact_count(db, user))?)
    }

    fn version(&self, user: &BareJid) -> Result<RosterVersion, StoreError> {
        Ok(self.with(|db| ops::version(db, user))?)
    }

    fn save_contact(
        &mut self,
        user: &BareJid,
        contact: Contact,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError> {
        let max = self.limits.max_remembered_removals;
        Ok(self.with(|db| ops::save_contact(db, user, contact, change, max))?)
    }

    fn delete_contact(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError> {
        let max = self.limits.max_remembered_removals;
        Ok(self.with(|db| ops::delete_contact(db, user, jid, change, max))?)
    }

    fn changes_since(
        &self,
        user: &BareJid,
        since: RosterVersion,
    ) -> Result<Option<Vec<LoggedChange>>, StoreError> {
        Ok(self.with(|db| ops::changes_since(db, user, since))?)
    }

    fn pending_request(
        &self,
        user: &BareJid,
        jid: &BareJid,
    ) -> Result<Option<Presence>, StoreError> {
        Ok(self.with(|db| ops::pending_request(db, user, jid))?)
    }

    fn pending_requests(&self, user: &BareJid) -> Result<Vec<(BareJid, Presence)>, StoreError> {
        Ok(self.with(|db| ops::pending_requests(db, user))?)
    }

    fn set_pending_request(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        request: Option<Presence>,
    ) -> Result<(), StoreError> {
        Ok(self.with(|db| ops::set_pending_request(db, user, jid, request))?)
    }
}

/// The SASL side of a [`Store`] for one domain: [`Store::credentials`].
///
/// Only SCRAM keys are stored; PLAIN is checked against them
/// ([`CredentialStore::verify_password`](xmpp_sasl::CredentialStore::verify_password)'s
/// default). A user name that is not a valid JID local part is an unknown user. A failing
/// database answers [`xmpp_sasl::StoreError::Unavailable`] (`temporary-auth-failure`).
#[derive(Debug, Clone)]
pub struct Credentials {
    store: Store,
    domain: String,
}

impl Credentials {
    fn account(&self, username: &str) -> Option<BareJid> {
        BareJid::new(&format!("{username}@{}", self.domain)).ok()
    }
}

impl xmpp_sasl::CredentialStore for Credentials {
    fn scram_credentials(
        &self,
        username: &str,
        hash: ScramHash,
    ) -> Result<ScramCredentials, xmpp_sasl::StoreError> {
        let user = self
            .account(username)
            .ok_or(xmpp_sasl::StoreError::UnknownUser)?;
        match self.store.scram_credentials_of(&user, hash) {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(xmpp_sasl::StoreError::UnknownUser),
            Err(e) => {
                tracing::error!(%user, error = %e, "credential lookup failed");
                Err(xmpp_sasl::StoreError::Unavailable(e.to_string()))
            }
        }
    }

    /// `authzid` equal to `authcid`, or to the account's bare JID (`authcid@domain`).
    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        authcid == authzid
            || match (self.account(authcid), BareJid::new(authzid)) {
                (Some(a), Ok(z)) => a == z,
                _ => false,
            }
    }
}
