//! Everything the store does, once for every backend: each public operation is one
//! statement or one write transaction over [`Db`].

use xmpp_im::jid::BareJid;
use xmpp_im::roster::{RosterChange, RosterContact, RosterVersion};
use xmpp_im::store::{Contact, ItemMeta, LoggedChange};
use xmpp_im::subscription::ContactState;
use xmpp_sasl::{ScramCredentials, ScramHash};
use xmpp_server::Offline;
use xmpp_stanza::{Message, Presence};

use crate::codec;
use crate::db::{Db, Row, Value, blob, int, opt_text, text, transaction};
use crate::error::Error;

/// Most removals remembered per account for versioned roster gets (as `MemoryRosterStore`).
pub(crate) const DEFAULT_MAX_REMOVALS: usize = 1024;

fn jid(j: &BareJid) -> Value {
    Value::Text(j.as_str().to_owned())
}

fn parse_jid(s: &str) -> Result<BareJid, Error> {
    BareJid::new(s).map_err(|e| Error::Database(format!("stored JID {s:?}: {e}")))
}

fn count(v: i64) -> usize {
    usize::try_from(v).unwrap_or(0)
}

fn version_value(v: RosterVersion) -> Result<Value, Error> {
    i64::try_from(v.value())
        .map(Value::Int)
        .map_err(|_| Error::Database(format!("roster version {v} out of range")))
}

fn no_account(user: &BareJid) -> Error {
    Error::Database(format!("no account {user}"))
}

/// Takes the account's row lock for the rest of the transaction (PostgreSQL: one writer per
/// account at a time; SQLite already holds the database's write lock). Fails for an unknown
/// account.
fn lock_account(db: &mut dyn Db, user: &BareJid) -> Result<(), Error> {
    match db.execute("UPDATE accounts SET jid = jid WHERE jid = $1", &[jid(user)])? {
        0 => Err(no_account(user)),
        _ => Ok(()),
    }
}

pub(crate) fn account_exists(db: &mut dyn Db, user: &BareJid) -> Result<bool, Error> {
    Ok(!db
        .query("SELECT 1 FROM accounts WHERE jid = $1", &[jid(user)])?
        .is_empty())
}

fn require_account(db: &mut dyn Db, user: &BareJid) -> Result<(), Error> {
    if account_exists(db, user)? {
        Ok(())
    } else {
        Err(no_account(user))
    }
}

pub(crate) fn open_account(db: &mut dyn Db, user: &BareJid) -> Result<(), Error> {
    db.execute(
        "INSERT INTO accounts (jid) VALUES ($1) ON CONFLICT DO NOTHING",
        &[jid(user)],
    )?;
    Ok(())
}

const CONTACT_COLUMNS: &str = "jid, state, approved, in_roster, name, groups";

fn contact_of(row: &Row) -> Result<Contact, Error> {
    let state = ContactState {
        state: codec::state_of(text(row, 1)?)?,
        approved: int(row, 2)? != 0,
    };
    let item = (int(row, 3)? != 0)
        .then(|| -> Result<ItemMeta, Error> {
            Ok(ItemMeta {
                name: opt_text(row, 4)?.map(str::to_owned),
                groups: codec::groups_of(text(row, 5)?)?,
            })
        })
        .transpose()?;
    Ok(Contact {
        jid: parse_jid(text(row, 0)?)?,
        state,
        item,
    })
}

pub(crate) fn contact(
    db: &mut dyn Db,
    user: &BareJid,
    contact: &BareJid,
) -> Result<Option<Contact>, Error> {
    let rows = db.query(
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE account = $1 AND jid = $2"),
        &[jid(user), jid(contact)],
    )?;
    match rows.first() {
        Some(row) => contact_of(row).map(Some),
        None => require_account(db, user).map(|()| None),
    }
}

pub(crate) fn contacts(db: &mut dyn Db, user: &BareJid) -> Result<Vec<Contact>, Error> {
    require_account(db, user)?;
    db.query(
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE account = $1 ORDER BY jid"),
        &[jid(user)],
    )?
    .iter()
    .map(contact_of)
    .collect()
}

pub(crate) fn item_count(db: &mut dyn Db, user: &BareJid) -> Result<usize, Error> {
    require_account(db, user)?;
    let rows = db.query(
        "SELECT COUNT(*) FROM contacts WHERE account = $1 AND in_roster = 1",
        &[jid(user)],
    )?;
    Ok(count(
        rows.first().map(|r| int(r, 0)).transpose()?.unwrap_or(0),
    ))
}

pub(crate) fn contact_count(db: &mut dyn Db, user: &BareJid) -> Result<usize, Error> {
    require_account(db, user)?;
    let rows = db.query(
        "SELECT COUNT(*) FROM contacts WHERE account = $1",
        &[jid(user)],
    )?;
    Ok(count(
        rows.first().map(|r| int(r, 0)).transpose()?.unwrap_or(0),
    ))
}

/// (version, floor): `changes_since(v)` is exact for `floor <= v <= version`.
fn versions(db: &mut dyn Db, user: &BareJid) -> Result<(u64, u64), Error> {
    let rows = db.query(
        "SELECT roster_version, roster_floor FROM accounts WHERE jid = $1",
        &[jid(user)],
    )?;
    let row = rows.first().ok_or_else(|| no_account(user))?;
    let v = |i| int(row, i).map(|n| u64::try_from(n).unwrap_or(0));
    Ok((v(0)?, v(1)?))
}

pub(crate) fn version(db: &mut dyn Db, user: &BareJid) -> Result<RosterVersion, Error> {
    Ok(RosterVersion::new(versions(db, user)?.0))
}

/// Records `change` as the contact's latest and raises the roster version; forgets the
/// oldest removals beyond `max_removals` (raising the floor).
fn log_change(
    db: &mut dyn Db,
    user: &BareJid,
    change: &LoggedChange,
    max_removals: usize,
) -> Result<(), Error> {
    let ver = version_value(change.ver)?;
    let (removed, item) = match &change.change {
        RosterChange::Update(item) => (false, item.clone()),
        RosterChange::Remove(j) => (true, RosterContact::new(j.clone())),
    };
    db.execute(
        "INSERT INTO roster_log \
             (account, jid, ver, removed, name, groups, subscription, ask, approved) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (account, jid) DO UPDATE SET ver = excluded.ver, \
             removed = excluded.removed, name = excluded.name, groups = excluded.groups, \
             subscription = excluded.subscription, ask = excluded.ask, \
             approved = excluded.approved",
        &[
            jid(user),
            jid(change.change.jid()),
            ver.clone(),
            removed.into(),
            item.name.clone().into(),
            codec::groups_text(&item.groups).into(),
            item.subscription.as_str().into(),
            item.ask.into(),
            item.approved.into(),
        ],
    )?;
    db.execute(
        "UPDATE accounts SET roster_version = $2 WHERE jid = $1 AND roster_version < $2",
        &[jid(user), ver],
    )?;
    if removed {
        let rows = db.query(
            "SELECT COUNT(*) FROM roster_log WHERE account = $1 AND removed = 1",
            &[jid(user)],
        )?;
        let mut removals = count(rows.first().map(|r| int(r, 0)).transpose()?.unwrap_or(0));
        while removals > max_removals {
            let rows = db.query(
                "SELECT jid, ver FROM roster_log WHERE account = $1 AND removed = 1 \
                 ORDER BY ver LIMIT 1",
                &[jid(user)],
            )?;
            let Some(row) = rows.first() else { break };
            let (old, old_ver) = (text(row, 0)?.to_owned(), int(row, 1)?);
            db.execute(
                "DELETE FROM roster_log WHERE account = $1 AND jid = $2",
                &[jid(user), old.into()],
            )?;
            // A client older than this removal can no longer be brought up to date by pushes.
            db.execute(
                "UPDATE accounts SET roster_floor = $2 WHERE jid = $1 AND roster_floor < $2",
                &[jid(user), old_ver.into()],
            )?;
            removals -= 1;
        }
    }
    Ok(())
}

pub(crate) fn save_contact(
    db: &mut dyn Db,
    user: &BareJid,
    contact: Contact,
    change: Option<LoggedChange>,
    max_removals: usize,
) -> Result<(), Error> {
    transaction(db, |db| {
        lock_account(db, user)?;
        let (in_roster, name, groups) = match &contact.item {
            Some(meta) => (true, meta.name.clone(), codec::groups_text(&meta.groups)),
            None => (false, None, String::new()),
        };
        db.execute(
            "INSERT INTO contacts (account, jid, state, approved, in_roster, name, groups) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (account, jid) DO UPDATE SET state = excluded.state, \
                 approved = excluded.approved, in_roster = excluded.in_roster, \
                 name = excluded.name, groups = excluded.groups",
            &[
                jid(user),
                jid(&contact.jid),
                codec::state_name(contact.state.state).into(),
                contact.state.approved.into(),
                in_roster.into(),
                name.into(),
                groups.into(),
            ],
        )?;
        if let Some(change) = &change {
            log_change(db, user, change, max_removals)?;
        }
        Ok(())
    })
}

pub(crate) fn delete_contact(
    db: &mut dyn Db,
    user: &BareJid,
    contact: &BareJid,
    change: Option<LoggedChange>,
    max_removals: usize,
) -> Result<(), Error> {
    transaction(db, |db| {
        lock_account(db, user)?;
        let key = [jid(user), jid(contact)];
        db.execute("DELETE FROM contacts WHERE account = $1 AND jid = $2", &key)?;
        db.execute(
            "DELETE FROM pending_requests WHERE account = $1 AND jid = $2",
            &key,
        )?;
        if let Some(change) = &change {
            log_change(db, user, change, max_removals)?;
        }
        Ok(())
    })
}

fn logged_change_of(row: &Row) -> Result<LoggedChange, Error> {
    let contact = parse_jid(text(row, 0)?)?;
    let ver = RosterVersion::new(u64::try_from(int(row, 1)?).unwrap_or(0));
    let change = if int(row, 2)? != 0 {
        RosterChange::Remove(contact)
    } else {
        RosterChange::Update(RosterContact {
            jid: contact,
            name: opt_text(row, 3)?.map(str::to_owned),
            groups: codec::groups_of(text(row, 4)?)?,
            subscription: codec::subscription_of(text(row, 5)?)?,
            ask: int(row, 6)? != 0,
            approved: int(row, 7)? != 0,
        })
    };
    Ok(LoggedChange { ver, change })
}

pub(crate) fn changes_since(
    db: &mut dyn Db,
    user: &BareJid,
    since: RosterVersion,
) -> Result<Option<Vec<LoggedChange>>, Error> {
    let (version, floor) = versions(db, user)?;
    if since.value() > version || since.value() < floor {
        return Ok(None);
    }
    db.query(
        "SELECT jid, ver, removed, name, groups, subscription, ask, approved FROM roster_log \
         WHERE account = $1 AND ver > $2 ORDER BY ver",
        &[jid(user), version_value(since)?],
    )?
    .iter()
    .map(logged_change_of)
    .collect::<Result<Vec<_>, _>>()
    .map(Some)
}

pub(crate) fn pending_request(
    db: &mut dyn Db,
    user: &BareJid,
    contact: &BareJid,
) -> Result<Option<Presence>, Error> {
    let rows = db.query(
        "SELECT stanza FROM pending_requests WHERE account = $1 AND jid = $2",
        &[jid(user), jid(contact)],
    )?;
    match rows.first() {
        Some(row) => codec::presence_of(text(row, 0)?).map(Some),
        None => require_account(db, user).map(|()| None),
    }
}

pub(crate) fn pending_requests(
    db: &mut dyn Db,
    user: &BareJid,
) -> Result<Vec<(BareJid, Presence)>, Error> {
    require_account(db, user)?;
    db.query(
        "SELECT jid, stanza FROM pending_requests WHERE account = $1 ORDER BY jid",
        &[jid(user)],
    )?
    .iter()
    .map(|row| {
        Ok((
            parse_jid(text(row, 0)?)?,
            codec::presence_of(text(row, 1)?)?,
        ))
    })
    .collect()
}

pub(crate) fn set_pending_request(
    db: &mut dyn Db,
    user: &BareJid,
    contact: &BareJid,
    request: Option<Presence>,
) -> Result<(), Error> {
    let stanza = request.map(codec::presence_xml).transpose()?;
    transaction(db, |db| {
        lock_account(db, user)?;
        match stanza {
            Some(xml) => db.execute(
                "INSERT INTO pending_requests (account, jid, stanza) VALUES ($1, $2, $3) \
                 ON CONFLICT (account, jid) DO UPDATE SET stanza = excluded.stanza",
                &[jid(user), jid(contact), xml.into()],
            )?,
            None => db.execute(
                "DELETE FROM pending_requests WHERE account = $1 AND jid = $2",
                &[jid(user), jid(contact)],
            )?,
        };
        Ok(())
    })
}

pub(crate) fn store_offline(
    db: &mut dyn Db,
    user: &BareJid,
    message: Message,
    max: usize,
) -> Result<Offline, Error> {
    let xml = codec::message_xml(message)?;
    transaction(db, |db| {
        lock_account(db, user)?;
        if offline_count(db, user)? >= max {
            return Ok(Offline::Full);
        }
        db.execute(
            "INSERT INTO offline (account, stanza) VALUES ($1, $2)",
            &[jid(user), xml.into()],
        )?;
        Ok(Offline::Stored)
    })
}

pub(crate) fn take_offline(db: &mut dyn Db, user: &BareJid) -> Result<Vec<Message>, Error> {
    // One statement: what it returns is exactly what it deleted, even with other writers.
    let mut rows = db.query(
        "DELETE FROM offline WHERE account = $1 RETURNING id, stanza",
        &[jid(user)],
    )?;
    rows.sort_by_key(|r| int(r, 0).unwrap_or(0));
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        match text(row, 1).and_then(codec::message_of) {
            Ok(m) => out.push(m),
            // It could never be delivered; say so rather than block the others forever.
            Err(e) => tracing::error!(%user, error = %e, "undecodable offline message dropped"),
        }
    }
    Ok(out)
}

pub(crate) fn offline_count(db: &mut dyn Db, user: &BareJid) -> Result<usize, Error> {
    let rows = db.query(
        "SELECT COUNT(*) FROM offline WHERE account = $1",
        &[jid(user)],
    )?;
    Ok(count(
        rows.first().map(|r| int(r, 0)).transpose()?.unwrap_or(0),
    ))
}

// Accounts and credentials.

pub(crate) fn credentials(
    db: &mut dyn Db,
    user: &BareJid,
    hash: ScramHash,
) -> Result<Option<ScramCredentials>, Error> {
    let rows = db.query(
        "SELECT salt, iterations, stored_key, server_key FROM credentials \
         WHERE account = $1 AND hash = $2",
        &[jid(user), hash.name().into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let iterations = u32::try_from(int(row, 1)?)
        .map_err(|_| Error::Database("iteration count out of range".into()))?;
    ScramCredentials::new(
        hash,
        blob(row, 0)?.to_vec(),
        iterations,
        blob(row, 2)?.to_vec(),
        blob(row, 3)?.to_vec(),
    )
    .map(Some)
    .map_err(|e| Error::Database(format!("stored credentials of {user}: {e}")))
}

fn has_credentials(db: &mut dyn Db, user: &BareJid) -> Result<bool, Error> {
    Ok(!db
        .query(
            "SELECT 1 FROM credentials WHERE account = $1 LIMIT 1",
            &[jid(user)],
        )?
        .is_empty())
}

/// Replaces the account's credentials (creating the account), inside a transaction.
fn put_credentials(
    db: &mut dyn Db,
    user: &BareJid,
    creds: &[ScramCredentials],
) -> Result<(), Error> {
    open_account(db, user)?;
    db.execute("DELETE FROM credentials WHERE account = $1", &[jid(user)])?;
    for c in creds {
        db.execute(
            "INSERT INTO credentials (account, hash, salt, iterations, stored_key, server_key) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                jid(user),
                c.hash().name().into(),
                c.salt().into(),
                i64::from(c.iterations()).into(),
                c.stored_key().into(),
                c.server_key().into(),
            ],
        )?;
    }
    Ok(())
}

/// What an account operation requires of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Require {
    /// It must not have credentials yet (`add`).
    New,
    /// It must have credentials (`passwd`).
    Existing,
    /// Either (`--user` at start-up, imports).
    Any,
}

pub(crate) fn set_credentials(
    db: &mut dyn Db,
    accounts: &[(BareJid, Vec<ScramCredentials>)],
    require: Require,
) -> Result<(), Error> {
    transaction(db, |db| {
        for (user, creds) in accounts {
            match (require, has_credentials(db, user)?) {
                (Require::New, true) => return Err(Error::AccountExists(user.clone())),
                (Require::Existing, false) => return Err(Error::UnknownAccount(user.clone())),
                _ => {}
            }
            put_credentials(db, user, creds)?;
        }
        Ok(())
    })
}

pub(crate) fn remove_account(db: &mut dyn Db, user: &BareJid) -> Result<(), Error> {
    transaction(db, |db| {
        // Every table cascades from `accounts`; deleting explicitly keeps this true for a
        // SQLite connection that someone opened without foreign keys.
        for table in [
            "credentials",
            "contacts",
            "roster_log",
            "pending_requests",
            "offline",
        ] {
            db.execute(
                &format!("DELETE FROM {table} WHERE account = $1"),
                &[jid(user)],
            )?;
        }
        match db.execute("DELETE FROM accounts WHERE jid = $1", &[jid(user)])? {
            0 => Err(Error::UnknownAccount(user.clone())),
            _ => Ok(()),
        }
    })
}

pub(crate) fn accounts(db: &mut dyn Db) -> Result<Vec<(BareJid, bool)>, Error> {
    db.query(
        "SELECT jid, EXISTS (SELECT 1 FROM credentials WHERE account = jid) FROM accounts \
         ORDER BY jid",
        &[],
    )?
    .iter()
    .map(|row| {
        let has = match row.get(1) {
            Some(Value::Int(n)) => *n != 0,
            _ => false,
        };
        Ok((parse_jid(text(row, 0)?)?, has))
    })
    .collect()
}
