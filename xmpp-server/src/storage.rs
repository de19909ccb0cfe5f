//! Where the server core keeps what outlives a session: the [`Storage`] trait (rosters through
//! xmpp-im's [`RosterStore`], accounts, offline messages) and [`MemoryStorage`].
//!
//! # Why a synchronous trait and not request/response actions
//!
//! Every roster operation reads before it writes: a subscription transition (RFC 6121
//! Appendix A) needs the contact's current state, and its result decides which presence and
//! pushes go out. With storage requests as outputs, the core would have to suspend each
//! transition half-way and keep it consistent with other stanzas arriving meanwhile. Like
//! rustls' `StoresServerSessions`, the core instead calls a trait while it processes one input
//! and performs no I/O itself: [`MemoryStorage`] is the default, and `xmpp-store` implements the
//! trait on disk. An adapter whose store blocks (a database) runs the core off its I/O threads
//! (tokio: on the blocking pool); the core's outputs are ordered so that a change is written
//! before any stanza that reveals it is sent.

use std::collections::{HashMap, VecDeque};

use xmpp_im::error::StoreError;
use xmpp_im::jid::BareJid;
use xmpp_im::roster::RosterVersion;
use xmpp_im::store::{Contact, LoggedChange, MemoryRosterStore, RosterStore};
use xmpp_stanza::{Message, Presence};

/// What storing an offline message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offline {
    /// Kept; it will be delivered when a resource of the account sends initial presence.
    Stored,
    /// The account's offline storage is full: the message was not kept and is bounced with
    /// `service-unavailable` (XEP-0160 §4).
    Full,
}

/// Everything the server core stores. Methods are synchronous (see the [module docs](self)).
pub trait Storage: RosterStore<Presence> {
    /// Makes sure an authenticated account has its records (a new account starts with an empty
    /// roster). Called when an account authenticates.
    ///
    /// # Errors
    /// [`StoreError`] when the store failed.
    fn open_account(&mut self, user: &BareJid) -> Result<(), StoreError>;

    /// Keeps a message for an account none of whose resources can take it.
    ///
    /// # Errors
    /// [`StoreError`] when the store failed.
    fn store_offline(&mut self, user: &BareJid, message: Message) -> Result<Offline, StoreError>;

    /// Takes the account's offline messages, oldest first, removing them from the store.
    ///
    /// # Errors
    /// [`StoreError`] when the store failed (the messages are kept).
    fn take_offline(&mut self, user: &BareJid) -> Result<Vec<Message>, StoreError>;

    /// How many messages the account has offline.
    ///
    /// # Errors
    /// [`StoreError`] when the store failed.
    fn offline_count(&self, user: &BareJid) -> Result<usize, StoreError>;
}

/// Everything in memory: lost when the process ends.
///
/// ```
/// use xmpp_server::{MemoryStorage, Offline, Storage};
/// use xmpp_stanza::Message;
///
/// let mut store = MemoryStorage::new(1);
/// let juliet = "juliet@example.com".parse().unwrap();
/// store.open_account(&juliet).unwrap();
/// assert_eq!(store.store_offline(&juliet, Message::chat(juliet.clone().into(), "one")).unwrap(), Offline::Stored);
/// assert_eq!(store.store_offline(&juliet, Message::chat(juliet.clone().into(), "two")).unwrap(), Offline::Full);
/// assert_eq!(store.take_offline(&juliet).unwrap().len(), 1);
/// assert_eq!(store.offline_count(&juliet).unwrap(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct MemoryStorage {
    rosters: MemoryRosterStore<Presence>,
    offline: HashMap<BareJid, VecDeque<Message>>,
    max_offline_per_account: usize,
}

impl MemoryStorage {
    /// An empty store keeping at most `max_offline_per_account` messages per account.
    pub fn new(max_offline_per_account: usize) -> MemoryStorage {
        MemoryStorage {
            rosters: MemoryRosterStore::new(),
            offline: HashMap::new(),
            max_offline_per_account,
        }
    }
}

impl Default for MemoryStorage {
    fn default() -> Self {
        MemoryStorage::new(100)
    }
}

impl Storage for MemoryStorage {
    fn open_account(&mut self, user: &BareJid) -> Result<(), StoreError> {
        if !self.rosters.account_exists(user) {
            self.rosters.add_account(user.clone());
        }
        Ok(())
    }

    fn store_offline(&mut self, user: &BareJid, message: Message) -> Result<Offline, StoreError> {
        let queue = self.offline.entry(user.clone()).or_default();
        if queue.len() >= self.max_offline_per_account {
            return Ok(Offline::Full);
        }
        queue.push_back(message);
        Ok(Offline::Stored)
    }

    fn take_offline(&mut self, user: &BareJid) -> Result<Vec<Message>, StoreError> {
        Ok(self.offline.remove(user).map(Vec::from).unwrap_or_default())
    }

    fn offline_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        Ok(self.offline.get(user).map_or(0, VecDeque::len))
    }
}

impl RosterStore<Presence> for MemoryStorage {
    fn account_exists(&self, user: &BareJid) -> bool {
        self.rosters.account_exists(user)
    }
    fn contact(&self, user: &BareJid, jid: &BareJid) -> Result<Option<Contact>, StoreError> {
        self.rosters.contact(user, jid)
    }
    fn contacts(&self, user: &BareJid) -> Result<Vec<Contact>, StoreError> {
        self.rosters.contacts(user)
    }
    fn item_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        self.rosters.item_count(user)
    }
    fn contact_count(&self, user: &BareJid) -> Result<usize, StoreError> {
        self.rosters.contact_count(user)
    }
    fn version(&self, user: &BareJid) -> Result<RosterVersion, StoreError> {
        self.rosters.version(user)
    }
    fn save_contact(
        &mut self,
        user: &BareJid,
        contact: Contact,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError> {
        self.rosters.save_contact(user, contact, change)
    }
    fn delete_contact(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        change: Option<LoggedChange>,
    ) -> Result<(), StoreError> {
        self.rosters.delete_contact(user, jid, change)
    }
    fn changes_since(
        &self,
        user: &BareJid,
        since: RosterVersion,
    ) -> Result<Option<Vec<LoggedChange>>, StoreError> {
        self.rosters.changes_since(user, since)
    }
    fn pending_request(
        &self,
        user: &BareJid,
        jid: &BareJid,
    ) -> Result<Option<Presence>, StoreError> {
        self.rosters.pending_request(user, jid)
    }
    fn pending_requests(&self, user: &BareJid) -> Result<Vec<(BareJid, Presence)>, StoreError> {
        self.rosters.pending_requests(user)
    }
    fn set_pending_request(
        &mut self,
        user: &BareJid,
        jid: &BareJid,
        request: Option<Presence>,
    ) -> Result<(), StoreError> {
        self.rosters.set_pending_request(user, jid, request)
    }
}
