//! Where the server engine keeps rosters: the [`RosterStore`] trait and an in-memory store.
//!
//! This module owns the persisted side of RFC 6121: per account, one [`Contact`] record per
//! contact (subscription state, pre-approval, and the roster item if the contact is in the roster),
//! the roster version with enough history to answer a versioned roster get with pushes (§2.6), and
//! the pending inbound subscription requests kept whole until answered (UCR-SUB-18).
//!
//! Sessions, presence and directed-presence bookkeeping are not persisted: they live in the engine.
//!
//! ```
//! use xmpp_im::store::{Contact, MemoryRosterStore, RosterStore};
//! use xmpp_im::subscription::{ContactState, SubscriptionState};
//! use xmpp_im::jid::BareJid;
//!
//! let mut store: MemoryRosterStore<String> = MemoryRosterStore::new();
//! let juliet: BareJid = "juliet@example.com".parse().unwrap();
//! store.add_account(juliet.clone());
//! let romeo: BareJid = "romeo@example.net".parse().unwrap();
//! store
//!     .save_contact(&juliet, Contact::in_roster(romeo.clone(), ContactState::new(SubscriptionState::Both)), None)
//!     .unwrap();
//! assert_eq!(store.contact(&juliet, &romeo).unwrap().unwrap().state.state, SubscriptionState::Both);
//! ```

use std::collections::BTreeMap;

use crate::error::StoreError;
use crate::jid::BareJid;
use crate::roster::{RosterChange, RosterContact, RosterVersion};
use crate::subscription::ContactState;

/// The user-editable part of a roster item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ItemMeta {
    /// The nickname.
    pub name: Option<String>,
    /// The groups.
    pub groups: Vec<String>,
}

/// Everything the server keeps about one contact of one account.
///
/// A contact can exist without being in the roster (`item: None`): a pending inbound request from
/// a JID the user never added is kept this way, invisible to roster gets, until the user answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Contact {
    /// The contact.
    pub jid: BareJid,
    /// Subscription state and pre-approval.
    pub state: ContactState,
    /// The roster item's name and groups; `None` when the contact is not in the roster.
    pub item: Option<ItemMeta>,
}

impl Contact {
    /// A contact that is in the roster, with no name and no group.
    pub fn in_roster(jid: BareJid, state: ContactState) -> Self {
        Self {
            jid,
            state,
            item: Some(ItemMeta::default()),
        }
    }

    /// A contact known only through its subscription state (not in the roster).
    pub fn hidden(jid: BareJid, state: ContactState) -> Self {
        Self {
            jid,
            state,
            item: None,
        }
    }

    /// The roster item a client sees, if the contact is in the roster.
    pub fn roster_item(&self) -> Option<RosterContact> {
        let meta = self.item.as_ref()?;
        Some(RosterContact {
            jid: self.jid.clone(),
            name: meta.name.clone(),
            groups: meta.groups.clone(),
            subscription: self.state.state.subscription(),
            ask: self.state.state.pending_out(),
            approved: self.state.approved,
        })
    }
}

/// One visible roster change with the version it produced.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoggedChange {
    /// The roster version after the change.
    pub ver: RosterVersion,
    /// The change.
    pub change: RosterChange,
}

/// Persistent storage for rosters, subscription states and pending requests.
///
/// `P` is the opaque stanza payload a pending subscription request is kept as (the whole stanza,
/// extensions included, UCR-SUB-18). All methods are synchronous and must not block for long:
/// the engine calls them while processing one stanza.
pub trait RosterStore<P> {
    /// Whether the account exists (inbound stanzas for an unknown account get RFC 6121 §8.5.1
    /// treatment).
    fn account_exists(&self, user: &BareJid) -> bool;

    /// The record of one contact.
    fn contact(&self, user: &BareJid, jid: &BareJid) -> Result<Option<Contact>, StoreError>;

    /// Every contact record of the account, in the roster or not.
    fn contacts(&self, user: &BareJid) -> Result<Vec<Contact>, StoreError>;

    /// How many contacts are in the roster (records with an item).
    fn item_count(&self, user: &BareJid) -> Result<usize, StoreError>;

    /// How many contact records there are, in the roster or not.
    fn contact_count(&self, user: &BareJid) -> Result<usize, StoreError>;

    /// The current roster version.
    fn version(&self, user: &BareJid) -> Result<RosterVersion, StoreError>;

    /// Creates or replaces a record. `change`, when given, is the visible change the write makes:
    /// its `ver` becomes the roster version and the store must be able to replay it from
    /// [`changes_since`](Self::changes_since). Record, version and change are written atomically.
    fn save_contact(
        &mut self,
        user: &BareJid,
        contact: Contact,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError>;

    /// Deletes a record (and its pending request), atomically with `change` as for
    /// [`save_contact`](Self::save_contact).
    fn delete_contact(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError>;

    /// The changes after `since`, oldest first, at most one per contact (the latest), or `None`
    /// when the store cannot say (a version it never produced, or history it no longer keeps):
    /// the engine then sends the whole roster.
    fn changes_since(
        &self,
        user: &BareJid,
        since: RosterVersion,
    ) -> Result<Option<Vec<LoggedChange>>, StoreError>;

    /// The kept inbound subscription request from `jid`.
    fn pending_request(&self, user: &BareJid, jid: &BareJid) -> Result<Option<P>, StoreError>;

    /// Every kept inbound subscription request, ordered by contact.
    fn pending_requests(&self, user: &BareJid) -> Result<Vec<(BareJid, P)>, StoreError>;

    /// Keeps (`Some`) or forgets (`None`) the inbound subscription request from `jid`.
    fn set_pending_request(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        request: Option<P>,
    ) -> Result<(), StoreError>;
}

#[derive(Debug, Clone)]
struct Account<P> {
    contacts: BTreeMap<BareJid, Contact>,
    items: usize,
    version: RosterVersion,
    /// `changes_since(v)` is exact for every `v >= floor`.
    floor: RosterVersion,
    latest: BTreeMap<BareJid, LoggedChange>,
    by_version: BTreeMap<RosterVersion, BareJid>,
    tombstones: BTreeMap<RosterVersion, BareJid>,
    pending: BTreeMap<BareJid, P>,
}

impl<P> Account<P> {
    fn new() -> Self {
        Self {
            contacts: BTreeMap::new(),
            items: 0,
            version: RosterVersion::INITIAL,
            floor: RosterVersion::INITIAL,
            latest: BTreeMap::new(),
            by_version: BTreeMap::new(),
            tombstones: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }

    fn log(&mut self, change: LoggedChange, max_tombstones: usize) {
        let jid = change.change.jid().clone();
        if let Some(old) = self.latest.remove(&jid) {
            self.by_version.remove(&old.ver);
            self.tombstones.remove(&old.ver);
        }
        self.version = self.version.max(change.ver);
        self.by_version.insert(change.ver, jid.clone());
        if matches!(change.change, RosterChange::Remove(_)) {
            self.tombstones.insert(change.ver, jid.clone());
        }
        self.latest.insert(jid, change);
        while self.tombstones.len() > max_tombstones {
            let Some((ver, jid)) = self.tombstones.pop_first() else {
                break;
            };
            self.by_version.remove(&ver);
            self.latest.remove(&jid);
            // A client older than this removal can no longer be brought up to date by pushes.
            self.floor = self.floor.max(ver);
        }
    }
}

/// An in-memory [`RosterStore`], for tests, examples and small servers.
///
/// Removals are remembered (for versioned roster gets) up to a bound, 1024 per account by default;
/// older clients then get the full roster.
#[derive(Debug, Clone)]
pub struct MemoryRosterStore<P> {
    accounts: BTreeMap<BareJid, Account<P>>,
    max_tombstones: usize,
}

impl<P> Default for MemoryRosterStore<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> MemoryRosterStore<P> {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            accounts: BTreeMap::new(),
            max_tombstones: 1024,
        }
    }

    /// An empty store that remembers at most `n` removals per account.
    pub fn with_max_tombstones(n: usize) -> Self {
        Self {
            accounts: BTreeMap::new(),
            max_tombstones: n,
        }
    }

    /// Creates an account (no effect if it exists).
    pub fn add_account(&mut self, user: BareJid) {
        self.accounts.entry(user).or_insert_with(Account::new);
    }

    fn account(&self, user: &BareJid) -> Result<&Account<P>, StoreError> {
        self.accounts
            .get(user)
            .ok_or_else(|| StoreError(format!("no account {user}")))
    }

    fn account_mut(&mut self, user: &BareJid) -> Result<&mut Account<P>, StoreError> {
        self.accounts
            .get_mut(user)
            .ok_or_else(|| StoreError(format!("no account {user}")))
    }
}

impl<P: Clone> RosterStore<P> for MemoryRosterStore<P> {
    fn account_exists(&self, user: &BareJid) -> bool {
        self.accounts.contains_key(user)
    }

    fn contact(&self, user: &BareJid, jid: &BareJid) -> Result<Option<Contact>, StoreError> {
        Ok(self.account(user)?.contacts.get(jid).cloned())
    }

    fn contacts(&self, user: &BareJid) -> Result<Vec<Contact>, StoreError> {
        Ok(self.account(user)?.contacts.values().cloned().collect())
    }

    fn item_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        Ok(self.account(user)?.items)
    }

    fn contact_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        Ok(self.account(user)?.contacts.len())
    }

    fn version(&self, user: &BareJid) -> Result<RosterVersion, StoreError> {
        Ok(self.account(user)?.version)
    }

    fn save_contact(
        &mut self,
        user: &BareJid,
        contact: Contact,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError> {
        let max = self.max_tombstones;
        let account = self.account_mut(user)?;
        let added = usize::from(contact.item.is_some());
        if let Some(old) = account.contacts.insert(contact.jid.clone(), contact) {
            account.items -= usize::from(old.item.is_some());
        }
        account.items += added;
        if let Some(change) = change {
            account.log(change, max);
        }
        Ok(())
    }

    fn delete_contact(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError> {
        let max = self.max_tombstones;
        let account = self.account_mut(user)?;
        if let Some(old) = account.contacts.remove(jid) {
            account.items -= usize::from(old.item.is_some());
        }
        account.pending.remove(jid);
        if let Some(change) = change {
            account.log(change, max);
        }
        Ok(())
    }

    fn changes_since(
        &self,
        user: &BareJid,
        since: RosterVersion,
    ) -> Result<Option<Vec<LoggedChange>>, StoreError> {
        let account = self.account(user)?;
        if since > account.version || since < account.floor {
            return Ok(None);
        }
        let mut out = Vec::new();
        for (_, jid) in account.by_version.range(since.next()..) {
            if let Some(change) = account.latest.get(jid) {
                out.push(change.clone());
            }
        }
        Ok(Some(out))
    }

    fn pending_request(&self, user: &BareJid, jid: &BareJid) -> Result<Option<P>, StoreError> {
        Ok(self.account(user)?.pending.get(jid).cloned())
    }

    fn pending_requests(&self, user: &BareJid) -> Result<Vec<(BareJid, P)>, StoreError> {
        Ok(self
            .account(user)?
            .pending
            .iter()
            .map(|(j, p)| (j.clone(), p.clone()))
            .collect())
    }

    fn set_pending_request(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        request: Option<P>,
    ) -> Result<(), StoreError> {
        let account = self.account_mut(user)?;
        match request {
            Some(p) => {
                account.pending.insert(jid.clone(), p);
            }
            None => {
                account.pending.remove(jid);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::RosterContact;
    use crate::subscription::SubscriptionState;

    fn j(s: &str) -> BareJid {
        s.parse().unwrap()
    }

    fn upd(jid: &str, ver: u64) -> LoggedChange {
        LoggedChange {
            ver: RosterVersion::new(ver),
            change: RosterChange::Update(RosterContact::new(j(jid))),
        }
    }

    fn rem(jid: &str, ver: u64) -> LoggedChange {
        LoggedChange {
            ver: RosterVersion::new(ver),
            change: RosterChange::Remove(j(jid)),
        }
    }

    #[test]
    fn changes_since_keeps_only_the_latest_change_per_contact() {
        let mut s: MemoryRosterStore<()> = MemoryRosterStore::new();
        let u = j("u@x");
        s.add_account(u.clone());
        let c = |jid: &str| Contact::in_roster(j(jid), ContactState::new(SubscriptionState::None));
        s.save_contact(&u, c("a@x"), Some(upd("a@x", 1))).unwrap();
        s.save_contact(&u, c("b@x"), Some(upd("b@x", 2))).unwrap();
        s.save_contact(&u, c("a@x"), Some(upd("a@x", 3))).unwrap();
        s.delete_contact(&u, &j("b@x"), Some(rem("b@x", 4)))
            .unwrap();
        assert_eq!(s.version(&u).unwrap(), RosterVersion::new(4));
        assert_eq!(s.item_count(&u).unwrap(), 1);
        let since1 = s.changes_since(&u, RosterVersion::new(1)).unwrap().unwrap();
        assert_eq!(since1, vec![upd("a@x", 3), rem("b@x", 4)]);
        assert_eq!(
            s.changes_since(&u, RosterVersion::new(4)).unwrap(),
            Some(vec![])
        );
        assert_eq!(s.changes_since(&u, RosterVersion::new(5)).unwrap(), None);
    }

    #[test]
    fn forgotten_removals_force_a_full_roster() {
        let mut s: MemoryRosterStore<()> = MemoryRosterStore::with_max_tombstones(1);
        let u = j("u@x");
        s.add_account(u.clone());
        s.delete_contact(&u, &j("a@x"), Some(rem("a@x", 1)))
            .unwrap();
        s.delete_contact(&u, &j("b@x"), Some(rem("b@x", 2)))
            .unwrap();
        assert_eq!(s.changes_since(&u, RosterVersion::new(0)).unwrap(), None);
        assert_eq!(
            s.changes_since(&u, RosterVersion::new(1)).unwrap(),
            Some(vec![rem("b@x", 2)])
        );
    }

    #[test]
    fn unknown_accounts_are_store_errors_and_pending_requests_are_kept() {
        let mut s: MemoryRosterStore<&str> = MemoryRosterStore::new();
        assert!(s.contacts(&j("nobody@x")).is_err());
        let u = j("u@x");
        s.add_account(u.clone());
        s.set_pending_request(&u, &j("a@x"), Some("<presence type='subscribe'/>"))
            .unwrap();
        assert_eq!(
            s.pending_requests(&u).unwrap(),
            vec![(j("a@x"), "<presence type='subscribe'/>")]
        );
        s.delete_contact(&u, &j("a@x"), None).unwrap();
        assert_eq!(s.pending_request(&u, &j("a@x")).unwrap(), None);
    }
}
