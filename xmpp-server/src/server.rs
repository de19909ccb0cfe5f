//! [`Server`]: the core's state and its one input ([`Server::handle_event`]) and one output
//! ([`Server::poll_action`]); connection lifecycle and resource binding. Where stanzas go is
//! in `route`.

use std::collections::VecDeque;
use std::time::SystemTime;

use rand_core::CryptoRngCore;
use xmpp_im::error::EngineError;
use xmpp_im::jid::{BareJid, FullJid};
use xmpp_im::server::ServerEngine;
use xmpp_stanza::{IdGenerator, Presence};
use xmpp_stream::bind::{BindDecision, BindError};
use xmpp_stream::connection::Event;
use xmpp_stream::stream_error::{StreamCondition, StreamError};

use crate::action::{Action, ConnectionId};
use crate::config::{Config, ResourceConflict};
use crate::resumption::Parking;
use crate::sessions::{Peer, Sessions};
use crate::storage::{MemoryStorage, Storage};

/// An event for a connection the server does not know (never opened, or already closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not an open connection of this server")]
pub struct UnknownConnection(pub ConnectionId);

/// The sans-IO server core; see the [crate docs](crate).
pub struct Server<S: Storage = MemoryStorage> {
    pub(crate) config: Config,
    pub(crate) engine: ServerEngine<Presence, S>,
    pub(crate) sessions: Sessions,
    pub(crate) ids: IdGenerator,
    pub(crate) rng: Box<dyn CryptoRngCore + Send>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) parking: Parking,
    /// The time of the event or timeout being handled.
    pub(crate) now: SystemTime,
}

impl<S: Storage> std::fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("connections", &self.sessions.peers.len())
            .field("resources", &self.sessions.resources.len())
            .field("components", &self.sessions.components.len())
            .field("pending_actions", &self.actions.len())
            .finish_non_exhaustive()
    }
}

impl Server<MemoryStorage> {
    /// A server keeping everything in memory, drawing stanza ids and generated resources from
    /// `rng` (the adapter hands in the operating system's generator; tests a seeded one).
    pub fn new(config: Config, rng: Box<dyn CryptoRngCore + Send>) -> Self {
        let storage = MemoryStorage::new(config.max_offline_per_account);
        Server::with_storage(config, storage, rng)
    }
}

impl<S: Storage> Server<S> {
    /// A server on this storage.
    pub fn with_storage(config: Config, storage: S, rng: Box<dyn CryptoRngCore + Send>) -> Self {
        Server {
            engine: ServerEngine::new(config.im.clone(), storage),
            config,
            sessions: Sessions::default(),
            ids: IdGenerator::new(),
            rng,
            actions: VecDeque::new(),
            parking: Parking::default(),
            now: SystemTime::UNIX_EPOCH,
        }
    }

    /// Registers an accepted client (c2s) connection; its events go to
    /// [`handle_event`](Self::handle_event) under the returned id.
    pub fn open_client(&mut self) -> ConnectionId {
        self.sessions.open(Peer::Client {
            account: None,
            jid: None,
            lang: None,
            sm_id: None,
            detached: None,
            resumed_by: None,
            undelivered: None,
        })
    }

    /// Registers an accepted XEP-0114 component connection (its machine authenticates it
    /// against [`Config::component_auth`]).
    pub fn open_component(&mut self) -> ConnectionId {
        self.sessions.open(Peer::Component { domain: None })
    }

    /// One event of a registered connection's machine, at wall-clock time `now` (offline
    /// messages are stamped with it; XEP-0202 answers it). [`Event::Closed`] ends the
    /// registration: the session's resources are released and its unavailable presence goes
    /// out.
    ///
    /// # Errors
    /// [`UnknownConnection`] if `conn` is not registered (or its `Closed` was already handled).
    pub fn handle_event(
        &mut self,
        conn: ConnectionId,
        event: Event,
        now: SystemTime,
    ) -> Result<(), UnknownConnection> {
        let peer = self
            .sessions
            .peers
            .get_mut(&conn)
            .ok_or(UnknownConnection(conn))?;
        self.now = now;
        match (peer, event) {
            (Peer::Client { .. }, Event::Closed(reason)) => self.client_closed(conn, &reason, now),
            // Parked: its stream is gone already; its session ends with its window.
            (Peer::Parked { .. }, Event::Closed(_)) => {}
            (_, Event::Closed(_)) => self.end_session(conn, None),
            (_, Event::Detached(session)) => self.sm_detached(conn, session, now),
            (Peer::Closing, _) => {}
            (Peer::Client { lang, .. }, Event::StreamOpened { lang: l, .. }) => *lang = l,
            // A machine authenticates once per connection; a second report changes nothing.
            (Peer::Client { account: None, .. }, Event::Authenticated { identity, .. }) => {
                self.client_authenticated(conn, &identity)
            }
            (Peer::Client { .. }, Event::BindRequest { resource }) => {
                self.bind_request(conn, resource)
            }
            (Peer::Client { .. }, Event::Stanza(el)) => self.client_stanza(conn, el, now),
            (Peer::Client { .. }, Event::StreamManagementEnabled { id }) => {
                self.sm_enabled(conn, id)
            }
            (Peer::Client { .. }, Event::ResumeRequest { previd }) => {
                self.resume_request(conn, &previd)
            }
            (Peer::Component { domain: None }, Event::Authenticated { identity, .. }) => {
                self.component_authenticated(conn, identity)
            }
            (Peer::Component { .. }, Event::Stanza(el)) => self.component_stanza(conn, el, now),
            _ => {}
        }
        Ok(())
    }

    /// The next thing the adapter must do, in order; `None` when there is nothing left.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The storage (to inspect it).
    pub fn storage(&self) -> &S {
        self.engine.store()
    }

    /// The storage (to add accounts or data before serving).
    pub fn storage_mut(&mut self) -> &mut S {
        self.engine.store_mut()
    }

    /// The RFC 6121 engine (presence and roster state, for inspection).
    pub fn engine(&self) -> &ServerEngine<Presence, S> {
        &self.engine
    }

    /// Makes an account known before it first logs in, so that messages to it are kept
    /// offline rather than bounced (adapters call it for every account of their credential
    /// store; an account is also opened when it authenticates).
    ///
    /// # Errors
    /// The store's error.
    pub fn add_account(&mut self, user: &BareJid) -> Result<(), xmpp_im::error::StoreError> {
        self.engine.store_mut().open_account(user)
    }

    /// How many connections are registered.
    pub fn connections(&self) -> usize {
        self.sessions.peers.len()
    }

    /// How many resources are bound.
    pub fn bound_resources(&self) -> usize {
        self.sessions.resources.len()
    }

    /// The connection a full JID is bound on.
    pub fn connection_of(&self, jid: &FullJid) -> Option<ConnectionId> {
        self.sessions.resource(jid)
    }

    /// Whether a component serving `domain` is connected.
    pub fn is_component_connected(&self, domain: &str) -> bool {
        self.sessions.component(domain).is_some()
    }

    pub(crate) fn push(&mut self, action: Action) {
        self.actions.push_back(action);
    }

    /// Closes `conn` with a stream error; the core forgets its session at once.
    pub(crate) fn close(&mut self, conn: ConnectionId, condition: StreamCondition) {
        self.end_session(conn, Some(StreamError::new(condition)));
    }

    /// Releases what `conn` holds; with `error`, also asks the adapter to close it.
    pub(crate) fn end_session(&mut self, conn: ConnectionId, error: Option<StreamError>) {
        let closing = error.is_some();
        let jid = self.sessions.release(conn, closing);
        if let Some(error) = error {
            self.push(Action::Close { conn, error });
        }
        if let Some(jid) = jid {
            // Unavailable presence to contacts and directed-presence recipients (RFC 6121 §4.5.2).
            match self.engine.disconnect(&jid) {
                Ok(actions) => self.execute_engine(actions),
                Err(EngineError::UnknownSession(_)) => {}
                // The session is gone from the engine either way; its store failed to say
                // whom to tell, which no stanza can answer.
                Err(_) => {}
            }
        }
    }

    fn client_authenticated(&mut self, conn: ConnectionId, identity: &str) {
        let account = BareJid::new(identity).ok();
        let opened = account
            .as_ref()
            .map(|a| self.engine.store_mut().open_account(a));
        match (account, opened) {
            (Some(a), Some(Ok(()))) => {
                if let Some(Peer::Client { account, .. }) = self.sessions.peers.get_mut(&conn) {
                    *account = Some(a);
                }
            }
            // The machine authenticated something that is not an account, or the store failed.
            (None, _) => self.close(conn, StreamCondition::NotAuthorized),
            (Some(_), _) => self.close(conn, StreamCondition::InternalServerError),
        }
    }

    fn component_authenticated(&mut self, conn: ConnectionId, domain: String) {
        if self.sessions.component(&domain).is_some() {
            // XEP-0114 leaves the second connection for a domain to the server: the live one
            // keeps it and the newcomer gets <conflict/>.
            self.close(conn, StreamCondition::Conflict);
            return;
        }
        if let Some(Peer::Component { domain: d }) = self.sessions.peers.get_mut(&conn) {
            *d = Some(domain.clone());
            self.sessions.components.insert(domain, conn);
        }
    }

    fn bind_request(&mut self, conn: ConnectionId, requested: Option<String>) {
        let decision = self.bind_decision(conn, requested);
        if let BindDecision::Accept(resource) = &decision {
            let full = match self.sessions.peers.get(&conn) {
                Some(Peer::Client {
                    account: Some(a), ..
                }) => a.with_resource_str(resource).ok(),
                _ => None,
            };
            if let (Some(full), Some(Peer::Client { jid, .. })) =
                (full, self.sessions.peers.get_mut(&conn))
            {
                *jid = Some(full.clone());
                self.sessions.resources.insert(full, conn);
            }
        }
        self.push(Action::Bind { conn, decision });
    }

    fn bind_decision(&mut self, conn: ConnectionId, requested: Option<String>) -> BindDecision {
        let account = match self.sessions.peers.get(&conn) {
            Some(Peer::Client {
                account: Some(a),
                jid: None,
                ..
            }) => a.clone(),
            // Not authenticated, or bound already (one resource per stream).
            _ => return BindDecision::Refuse(BindError::NotAllowed),
        };
        let full = match requested {
            None => self.generated_resource(&account),
            Some(r) => match account.with_resource_str(&r) {
                Ok(full) => Some(full),
                Err(_) => return BindDecision::Refuse(BindError::BadRequest),
            },
        };
        let Some(mut full) = full else {
            return BindDecision::Refuse(BindError::ResourceConstraint);
        };
        if let Some(holder) = self.sessions.resource(&full) {
            match self.config.resource_conflict {
                ResourceConflict::Override => match self.generated_resource(&account) {
                    Some(other) => full = other,
                    None => return BindDecision::Refuse(BindError::ResourceConstraint),
                },
                ResourceConflict::TakeOver => self.close(holder, StreamCondition::Conflict),
                ResourceConflict::Refuse => return BindDecision::Refuse(BindError::Conflict),
            }
        }
        match self.engine.bind(full.clone()) {
            Ok(()) => BindDecision::Accept(full.resource().to_owned()),
            Err(EngineError::AlreadyBound(_)) => BindDecision::Refuse(BindError::Conflict),
            Err(EngineError::TooManyResources { .. }) => {
                BindDecision::Refuse(BindError::ResourceConstraint)
            }
            Err(_) => BindDecision::Refuse(BindError::NotAllowed),
        }
    }

    /// A fresh random resource not bound for `account` (`None` if the generator keeps
    /// colliding, which a working generator never does).
    fn generated_resource(&mut self, account: &BareJid) -> Option<FullJid> {
        (0..8).find_map(|_| {
            let full = account
                .with_resource_str(&format!("{:016x}", self.rng.next_u64()))
                .ok()?;
            (self.sessions.resource(&full).is_none()).then_some(full)
        })
    }
}
