//! The server side of RFC 6121 as a pure engine: rosters, subscriptions, presence and delivery.
//!
//! [`ServerEngine`] holds the sessions of the accounts a server hosts and a [`RosterStore`]. Each
//! method takes one event (a resource bound or gone, a roster IQ, a presence stanza from a local
//! client or from a remote server) and returns the [`Action`]s the server must carry out, in
//! order: presence to deliver to a local resource or to route to a remote domain, roster pushes,
//! stanza errors, offline-message flushes. It performs no I/O, reads no clock and keeps no
//! timers; subscription state changes are written to the store before the method returns.
//!
//! Presence content is opaque: the engine is generic over a payload `P` (the stanza, or a handle to
//! it) and only reads its priority through [`PresencePayload`]. It decides who receives what, never
//! what a presence says. When both parties are local the engine runs the contact's side itself, so
//! one call yields every delivery for both accounts; a remote party gets [`Action::RoutePresence`]
//! and its server's answers come back through [`ServerEngine::presence_from_remote`].
//!
//! ```
//! use xmpp_im::jid::{BareJid, FullJid, Jid};
//! use xmpp_im::server::{Action, Presence, PresencePayload, EngineConfig, ServerEngine};
//! use xmpp_im::store::MemoryRosterStore;
//! use xmpp_im::subscription::SubscriptionType;
//!
//! #[derive(Debug, Clone, PartialEq)]
//! struct Pres(i8);
//! impl PresencePayload for Pres {
//!     fn priority(&self) -> i8 { self.0 }
//! }
//!
//! let juliet: BareJid = "juliet@example.com".parse().unwrap();
//! let romeo: BareJid = "romeo@example.com".parse().unwrap();
//! let mut store = MemoryRosterStore::new();
//! store.add_account(juliet.clone());
//! store.add_account(romeo.clone());
//! let mut server = ServerEngine::new(EngineConfig::new(["example.com"]), store);
//!
//! let balcony: FullJid = "juliet@example.com/balcony".parse().unwrap();
//! let orchard: FullJid = "romeo@example.com/orchard".parse().unwrap();
//! server.bind(balcony.clone()).unwrap();
//! server.bind(orchard.clone()).unwrap();
//! server.presence_from_client(&orchard, None, Presence::Available(Pres(0))).unwrap();
//!
//! // Juliet asks for Romeo's presence; Romeo, online, is asked.
//! let to: Jid = romeo.clone().into();
//! let actions = server
//!     .presence_from_client(&balcony, Some(&to), Presence::Subscription(SubscriptionType::Subscribe, Some(Pres(0))))
//!     .unwrap();
//! assert!(actions.iter().any(|a| matches!(a,
//!     Action::DeliverPresence { to, presence: Presence::Subscription(SubscriptionType::Subscribe, _), .. }
//!         if *to == orchard)));
//! ```

mod presence;
mod roster;
mod roster_result;
mod subscription;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::delivery::{
    DeliveryPolicy, IqDelivery, MessageDelivery, MessageType, ResourceStatus, decide_iq,
    decide_message,
};
use crate::error::{EngineError, StanzaErrorCondition, StoreError};
use crate::jid::{BareJid, FullJid, Jid, bare_domain, bare_of, full_bare, full_resource};
use crate::roster::{RosterChange, RosterContact, RosterLimits, RosterPush, RosterVersion};
use crate::store::{Contact, LoggedChange, RosterStore};

pub use roster_result::RosterResult;

pub use crate::presence::{Presence, PresencePayload};

/// One thing the server must do, in the order returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action<P> {
    /// Send this presence to a connected local resource.
    DeliverPresence {
        /// The resource.
        to: FullJid,
        /// The `from` to stamp.
        from: Jid,
        /// The presence.
        presence: Presence<P>,
    },
    /// Route this presence to a remote server (`to`'s domain).
    RoutePresence {
        /// The addressee.
        to: Jid,
        /// The `from` to stamp.
        from: Jid,
        /// The presence.
        presence: Presence<P>,
    },
    /// Send a roster push (an IQ set the bridge gives an id) to a connected local resource.
    RosterPush {
        /// The resource.
        to: FullJid,
        /// What to push.
        push: RosterPush,
    },
    /// Answer the presence stanza being processed, from this local resource, with a stanza error.
    PresenceError {
        /// The resource that sent it.
        to: FullJid,
        /// Where it was addressed.
        from: Jid,
        /// The error condition.
        condition: StanzaErrorCondition,
    },
    /// The resource just became able to receive bare-JID messages: deliver the account's stored
    /// offline messages to it.
    FlushOffline {
        /// The resource.
        to: FullJid,
    },
}

/// How the IM engine behaves. Every limit is on by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// The domains whose accounts this engine hosts; everything else is remote.
    pub domains: BTreeSet<String>,
    /// Roster content limits.
    pub roster_limits: RosterLimits,
    /// Message delivery choices (offline storage or bounce, equal priorities).
    pub delivery: DeliveryPolicy,
    /// Whether roster results and pushes carry versions (RFC 6121 §2.6); on by default.
    pub roster_versioning: bool,
    /// Approve every inbound subscription request on the user's behalf (UCR-SUB-14: off by
    /// default; per-contact pre-approval works either way).
    pub auto_approve: bool,
    /// Most connected resources per account (default 64).
    pub max_resources_per_account: usize,
    /// Most directed-presence recipients remembered per resource (default 1024); beyond it,
    /// directed available presence is refused with `resource-constraint` rather than forgotten.
    pub max_directed_per_resource: usize,
    /// Most resources of one contact whose presence is cached for an account (default 32).
    pub max_cached_resources_per_contact: usize,
}

impl EngineConfig {
    /// The defaults, hosting these domains.
    pub fn new<I, D>(domains: I) -> Self
    where
        I: IntoIterator<Item = D>,
        D: Into<String>,
    {
        Self {
            domains: domains.into_iter().map(Into::into).collect(),
            roster_limits: RosterLimits::default(),
            delivery: DeliveryPolicy::default(),
            roster_versioning: true,
            auto_approve: false,
            max_resources_per_account: 64,
            max_directed_per_resource: 1024,
            max_cached_resources_per_contact: 32,
        }
    }
}

/// One connected resource.
///
/// Memory: a server keeps one per connected resource, so it stays small (72 bytes with
/// `xmpp_stanza::Presence` as `P`): the last presence is boxed, and only while available.
#[derive(Debug, Clone)]
struct Session<P> {
    jid: FullJid,
    /// Asked for the roster: gets pushes (UCR-ROSTER-26).
    interested: bool,
    /// The last broadcast presence while available (UCR-PRES-16); `None` when not available.
    presence: Option<Box<P>>,
    /// When it last became available.
    available_seq: u64,
    /// Entities it sent directed available presence to (RFC 6121 §4.6).
    directed: BTreeSet<Jid>,
}

/// The connected resources of one account, ordered by resource (the order a map keyed by
/// resource would give), in a vector of exactly their number: most accounts have one or two,
/// and a map's node would cost eleven slots for one.
#[derive(Debug, Clone)]
struct Resources<P>(Vec<Session<P>>);

impl<P> Resources<P> {
    fn new() -> Self {
        Resources(Vec::new())
    }

    fn find(&self, resource: &str) -> Result<usize, usize> {
        self.0
            .binary_search_by(|s| full_resource(&s.jid).cmp(resource))
    }

    fn get(&self, resource: &str) -> Option<&Session<P>> {
        self.find(resource).ok().map(|i| &self.0[i])
    }

    fn get_mut(&mut self, resource: &str) -> Option<&mut Session<P>> {
        self.find(resource).ok().map(|i| &mut self.0[i])
    }

    fn contains_key(&self, resource: &str) -> bool {
        self.find(resource).is_ok()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a session for a resource not yet present (the caller checked).
    fn insert(&mut self, session: Session<P>) {
        let at = match self.find(full_resource(&session.jid)) {
            Ok(i) | Err(i) => i,
        };
        self.0.reserve_exact(1);
        self.0.insert(at, session);
    }

    fn remove(&mut self, resource: &str) {
        if let Ok(i) = self.find(resource) {
            self.0.remove(i);
        }
    }

    fn values(&self) -> std::slice::Iter<'_, Session<P>> {
        self.0.iter()
    }
}

/// The in-memory state of an account with at least one connected resource.
#[derive(Debug, Clone)]
struct Online<P> {
    resources: Resources<P>,
    /// Available presence received from contacts the user is subscribed to, per contact and
    /// sending JID, so that a new resource of the account can be told without probing again.
    contact_presence: BTreeMap<BareJid, BTreeMap<Jid, P>>,
    /// Contacts whose last presence to the user was `error` (RFC 6121 §4.4.2, errata E17).
    errored: BTreeSet<BareJid>,
}

impl<P> Online<P> {
    fn new() -> Self {
        Self {
            resources: Resources::new(),
            contact_presence: BTreeMap::new(),
            errored: BTreeSet::new(),
        }
    }
}

/// The server engine; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct ServerEngine<P, S> {
    config: EngineConfig,
    store: S,
    online: BTreeMap<BareJid, Online<P>>,
    seq: u64,
    /// Presence for local accounts, processed in order after the current stanza.
    queue: VecDeque<(Jid, Jid, Presence<P>)>,
}

impl<P: PresencePayload, S: RosterStore<P>> ServerEngine<P, S> {
    /// An engine with no connected resource.
    pub fn new(config: EngineConfig, store: S) -> Self {
        Self {
            config,
            store,
            online: BTreeMap::new(),
            seq: 0,
            queue: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, for administration (creating accounts). Changing subscription states behind
    /// the engine's back while resources are online is the caller's responsibility.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Whether `domain` is hosted here.
    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.config.domains.contains(domain)
    }

    /// A resource finished binding (RFC 6120 §7): it is now connected, not yet available.
    pub fn bind(&mut self, jid: FullJid) -> Result<(), EngineError> {
        let user = full_bare(&jid);
        if !self.is_local_domain(bare_domain(&user)) || !self.store.account_exists(&user) {
            return Err(EngineError::NotLocalAccount(user));
        }
        let max = self.config.max_resources_per_account;
        let online = self.online.entry(user.clone()).or_insert_with(Online::new);
        if online.resources.contains_key(full_resource(&jid)) {
            return Err(EngineError::AlreadyBound(jid));
        }
        if online.resources.len() >= max {
            return Err(EngineError::TooManyResources { account: user, max });
        }
        online.resources.insert(Session {
            jid,
            interested: false,
            presence: None,
            available_seq: 0,
            directed: BTreeSet::new(),
        });
        Ok(())
    }

    /// Whether the resource is connected.
    pub fn is_connected(&self, jid: &FullJid) -> bool {
        self.session(jid).is_some()
    }

    /// Whether the resource is available (sent initial presence and not unavailable since).
    pub fn is_available(&self, jid: &FullJid) -> bool {
        self.session(jid).is_some_and(|s| s.presence.is_some())
    }

    /// Whether the resource asked for the roster (and so gets pushes).
    pub fn is_interested(&self, jid: &FullJid) -> bool {
        self.session(jid).is_some_and(|s| s.interested)
    }

    /// The account's available resources, with their last broadcast presence.
    pub fn available_resources(&self, user: &BareJid) -> Vec<(FullJid, P)> {
        self.online
            .get(user)
            .map(|o| {
                o.resources
                    .values()
                    .filter_map(|s| Some((s.jid.clone(), P::clone(s.presence.as_deref()?))))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entities the resource sent directed available presence to and has not yet told it is
    /// unavailable.
    pub fn directed_recipients(&self, jid: &FullJid) -> Vec<Jid> {
        self.session(jid)
            .map(|s| s.directed.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Where a message goes (RFC 6121 §8; see [`crate::delivery`]).
    pub fn route_message(&self, to: &Jid, kind: MessageType) -> MessageDelivery {
        let user = bare_of(to);
        if !self.is_local_domain(bare_domain(&user)) {
            return MessageDelivery::Route(to.clone());
        }
        let statuses = self.statuses(&user);
        let resources: Vec<ResourceStatus<'_>> = statuses
            .iter()
            .map(|(j, p, s)| ResourceStatus {
                jid: j,
                priority: *p,
                available_seq: *s,
            })
            .collect();
        decide_message(
            to,
            self.store.account_exists(&user),
            &resources,
            kind,
            &self.config.delivery,
        )
    }

    /// Where an IQ request goes (RFC 6121 §8; see [`crate::delivery`]).
    pub fn route_iq(&self, to: &Jid) -> IqDelivery {
        let user = bare_of(to);
        if !self.is_local_domain(bare_domain(&user)) {
            return IqDelivery::Route(to.clone());
        }
        let statuses = self.statuses(&user);
        let resources: Vec<ResourceStatus<'_>> = statuses
            .iter()
            .map(|(j, p, s)| ResourceStatus {
                jid: j,
                priority: *p,
                available_seq: *s,
            })
            .collect();
        decide_iq(to, self.store.account_exists(&user), &resources)
    }

    fn statuses(&self, user: &BareJid) -> Vec<(FullJid, Option<i8>, u64)> {
        self.online
            .get(user)
            .map(|o| {
                o.resources
                    .values()
                    .map(|s| {
                        (
                            s.jid.clone(),
                            s.presence.as_deref().map(PresencePayload::priority),
                            s.available_seq,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn session(&self, jid: &FullJid) -> Option<&Session<P>> {
        self.online
            .get(&full_bare(jid))?
            .resources
            .get(full_resource(jid))
    }

    fn session_mut(&mut self, jid: &FullJid) -> Option<&mut Session<P>> {
        self.online
            .get_mut(&full_bare(jid))?
            .resources
            .get_mut(full_resource(jid))
    }

    fn interested(&self, user: &BareJid) -> Vec<FullJid> {
        self.online
            .get(user)
            .map(|o| {
                o.resources
                    .values()
                    .filter(|s| s.interested)
                    .map(|s| s.jid.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn available(&self, user: &BareJid) -> Vec<FullJid> {
        self.online
            .get(user)
            .map(|o| {
                o.resources
                    .values()
                    .filter(|s| s.presence.is_some())
                    .map(|s| s.jid.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends presence: processed here when `to` is local, routed otherwise.
    fn send(
        &mut self,
        from: Jid,
        to: Jid,
        presence: Presence<P>,
        out: &mut Vec<Action<P>>,
    ) -> Result<(), StoreError> {
        if self.is_local_domain(bare_domain(&bare_of(&to))) {
            // Processed once the current stanza is done, as a remote server would: the sender's
            // own pushes and deliveries come first, and nothing is processed out of order.
            self.queue.push_back((from, to, presence));
        } else {
            out.push(Action::RoutePresence { to, from, presence });
        }
        Ok(())
    }

    /// Processes the presence queued for local accounts (and what that produces), in order.
    fn drain(&mut self, out: &mut Vec<Action<P>>) -> Result<(), StoreError> {
        // Every chain of local presence is finite (an auto-reply never causes another one), so
        // this bound is never reached by correct processing; it only guarantees termination.
        let mut budget = 64 + 16 * self.queue.len();
        while let Some((from, to, presence)) = self.queue.pop_front() {
            if budget == 0 {
                self.queue.clear();
                break;
            }
            budget -= 1;
            if let Err(e) = self.inbound(from, to, presence, out) {
                self.queue.clear();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Ends a public call: on success, processes queued local presence; on failure, drops it.
    fn finish<E: From<StoreError>>(
        &mut self,
        result: Result<(), E>,
        mut out: Vec<Action<P>>,
    ) -> Result<Vec<Action<P>>, E> {
        match result {
            Ok(()) => {
                self.drain(&mut out)?;
                Ok(out)
            }
            Err(e) => {
                self.queue.clear();
                Err(e)
            }
        }
    }

    /// Writes a contact record (or deletes it when it no longer holds anything) and returns the
    /// push the change calls for, if the client-visible item changed.
    fn persist(
        &mut self,
        user: &BareJid,
        old: Option<&Contact>,
        new: Contact,
    ) -> Result<Option<RosterPush>, StoreError> {
        let old_item = old.and_then(Contact::roster_item);
        let new_item = new.roster_item();
        let change = if old_item == new_item {
            None
        } else {
            Some(match &new_item {
                Some(item) => RosterChange::Update(item.clone()),
                None => RosterChange::Remove(new.jid.clone()),
            })
        };
        let logged = match change {
            Some(change) => Some(LoggedChange {
                ver: self.store.version(user)?.next(),
                change,
            }),
            None => None,
        };
        let push = logged.as_ref().map(|l| RosterPush {
            ver: self.config.roster_versioning.then_some(l.ver),
            change: l.change.clone(),
        });
        let empty = new.item.is_none() && new.state == Default::default();
        if empty {
            if old.is_some() {
                self.store.delete_contact(user, &new.jid, logged)?;
            }
        } else {
            self.store.save_contact(user, new, logged)?;
        }
        Ok(push)
    }

    fn push_to_interested(&self, user: &BareJid, push: &RosterPush, out: &mut Vec<Action<P>>) {
        for to in self.interested(user) {
            out.push(Action::RosterPush {
                to,
                push: push.clone(),
            });
        }
    }

    fn version_of(&self, v: RosterVersion) -> Option<RosterVersion> {
        self.config.roster_versioning.then_some(v)
    }

    fn items(&self, user: &BareJid) -> Result<Vec<RosterContact>, StoreError> {
        Ok(self
            .store
            .contacts(user)?
            .iter()
            .filter_map(Contact::roster_item)
            .collect())
    }
}
