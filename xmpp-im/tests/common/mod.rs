//! Shared test fixtures: a presence payload and helpers to build engines.
#![allow(dead_code)]

use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::server::{PresencePayload, ServerConfig, ServerEngine};
use xmpp_im::store::MemoryRosterStore;

/// A presence payload: an id to tell stanzas apart, and a priority.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pres {
    pub id: u32,
    pub priority: i8,
}

impl PresencePayload for Pres {
    fn priority(&self) -> i8 {
        self.priority
    }
}

pub fn pres(id: u32) -> Pres {
    Pres { id, priority: 0 }
}

pub fn prio(id: u32, priority: i8) -> Pres {
    Pres { id, priority }
}

pub type Engine = ServerEngine<Pres, MemoryRosterStore<Pres>>;

pub fn bare(s: &str) -> BareJid {
    s.parse().unwrap()
}

pub fn full(s: &str) -> FullJid {
    s.parse().unwrap()
}

pub fn jid(s: &str) -> Jid {
    s.parse().unwrap()
}

/// An engine hosting `domain` with these accounts.
pub fn engine(domain: &str, accounts: &[&str]) -> Engine {
    let mut store = MemoryRosterStore::new();
    for a in accounts {
        store.add_account(bare(a));
    }
    ServerEngine::new(ServerConfig::new([domain]), store)
}
