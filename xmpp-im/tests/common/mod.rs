//! Shared test fixtures: a presence payload and helpers to build engines.
#![allow(dead_code)]

use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::server::{EngineConfig, PresencePayload, ServerEngine};
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
    ServerEngine::new(EngineConfig::new([domain]), store)
}

use xmpp_im::roster::RosterQuery;
use xmpp_im::server::{Action, Presence};
use xmpp_im::store::{Contact, RosterStore};
use xmpp_im::subscription::{ContactState, SubscriptionState};

/// Writes consistent states on both sides of a local pair: `a_state` is a's view of b.
pub fn relate(e: &mut Engine, a: &str, b: &str, a_state: SubscriptionState) {
    use SubscriptionState as S;
    let mirror = match a_state {
        S::None => S::None,
        S::NonePendingOut => S::NonePendingIn,
        S::NonePendingIn => S::NonePendingOut,
        S::NonePendingOutIn => S::NonePendingOutIn,
        S::To => S::From,
        S::ToPendingIn => S::FromPendingOut,
        S::From => S::To,
        S::FromPendingOut => S::ToPendingIn,
        S::Both => S::Both,
    };
    let store = e.store_mut();
    store
        .save_contact(
            &bare(a),
            Contact::in_roster(bare(b), ContactState::new(a_state)),
            None,
        )
        .unwrap();
    store
        .save_contact(
            &bare(b),
            Contact::in_roster(bare(a), ContactState::new(mirror)),
            None,
        )
        .unwrap();
}

/// The subscription state `user` has for `contact` (None if there is no record).
pub fn state(e: &Engine, user: &str, contact: &str) -> Option<SubscriptionState> {
    e.store()
        .contact(&bare(user), &bare(contact))
        .unwrap()
        .map(|c| c.state.state)
}

/// Binds, asks for the roster and sends initial presence; returns the initial presence's actions.
pub fn login(e: &mut Engine, resource: &str, p: Pres) -> Vec<Action<Pres>> {
    let r = full(resource);
    e.bind(r.clone()).unwrap();
    e.roster_get(&r, None, &RosterQuery::default()).unwrap();
    e.presence_from_client(&r, None, Presence::Available(p))
        .unwrap()
}

/// The presence delivered to one resource in these actions, in order, as (from, presence).
pub fn delivered_to(actions: &[Action<Pres>], resource: &str) -> Vec<(Jid, Presence<Pres>)> {
    let r = full(resource);
    actions
        .iter()
        .filter_map(|a| match a {
            Action::DeliverPresence { to, from, presence } if *to == r => {
                Some((from.clone(), presence.clone()))
            }
            _ => None,
        })
        .collect()
}
