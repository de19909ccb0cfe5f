//! [`serve_im`]: a complete IM server in one call, every decision taken by the sans-IO server
//! core [`xmpp_server::Server`].
//!
//! The core decides everything an XMPP server decides (resource binding and its conflict
//! policy, routing by typed JIDs, presence and rosters through RFC 6121, offline storage with
//! XEP-0203 delay stamps, the server's own IQs, XEP-0114 components); this module moves events
//! from connections to the core and actions from the core to connections. Clients are accepted
//! by [`serve`](crate::serve)'s accept loop and driver (STARTTLS or Direct TLS, SASL),
//! components by the same loop on listeners of their own (`jabber:component:accept`, the
//! handshake against the core's [`component_auth`](xmpp_server::Config::component_auth), no
//! TLS).
//!
//! # One lock, not a core task
//!
//! The core lives in a [`std::sync::Mutex`] shared by the connection tasks. Each task feeds its
//! connection's events to the core under the lock (`Event::Closed` included; a synthetic one if
//! the task ends another way), drains
//! [`poll_action`](xmpp_server::Server::poll_action) while still holding it, and queues every
//! action into the target connection's bounded command channel with a non-waiting send. The
//! lock is never held across an `.await`. Why:
//!
//! - the core is a synchronous state machine whose every input (with the in-memory storage)
//!   takes microseconds: a dedicated core task would add a channel hop and a second queue, with
//!   its own backpressure policy, to every event, for no extra parallelism (the core is
//!   sequential either way);
//! - queueing under the lock makes every connection receive its stanzas exactly in the order
//!   the core decided them, whichever task caused them;
//! - each connection's events still reach the core in order, because one task feeds them.
//!
//! When a command channel is full: a stanza for another connection is dropped (logged), as a
//! server does for a recipient that does not read, instead of buffering without bound; a
//! close or bind for another connection is handed to a task that waits for room; an action
//! for the task's own connection, and every later one for it, is awaited after the lock is
//! released, in order, which slows the reading of that connection down (backpressure on the
//! peer that causes the work).
//!
//! # Storage that blocks
//!
//! [`serve_im`] keeps rosters and offline messages in memory
//! ([`MemoryStorage`]) and feeds the core on the connection tasks
//! themselves. [`serve_im_with`] takes any [`Storage`], e.g.
//! `xmpp_store::Store` (SQLite or PostgreSQL), whose calls block on disk or network: it feeds
//! each event to the core on tokio's blocking pool ([`tokio::task::spawn_blocking`]), the
//! connection task awaiting the result before it reads the connection's next event, so the
//! runtime's worker threads never wait for the database and each connection's events still
//! reach the core in order. This works on both runtime flavours (unlike
//! [`tokio::task::block_in_place`], which needs the multi-thread one) and costs a hand-over
//! to a pool thread per event. The core's lock is then held across the store's calls; while
//! one event waits for the database, the others wait for the lock on pool threads. Two short
//! steps still take the lock on a worker thread: registering an accepted connection, and the
//! synthetic `Closed` of a task that ends without its machine's (cancelled at shutdown); and
//! the SASL credential lookups of a database-backed credential store run on the connection
//! tasks (one indexed read per login).
//!
//! ```
//! use std::sync::Arc;
//! use xmpp_tokio::xmpp_server::{Component, Config};
//! use xmpp_tokio::{ClientConfig, ImServerConfig, connect, serve_im};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Loopback only: TLS off to keep the example short (every preset requires TLS).
//! let mut profile = xmpp_stream::profile::Profile::rfc6120();
//! profile.tls = xmpp_stream::profile::TlsPolicy::Disabled;
//! profile.allow_plaintext_auth = true;
//! let profile = Arc::new(profile);
//!
//! let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
//! store.add_user("alice", "secret", 4096, &mut rand_core::OsRng)?;
//! let mut core = Config::new(["localhost"]);
//! core.components.push(Component::new("echo.localhost", "s3cret"));
//! let mut config = ImServerConfig::new(core, None, Arc::new(store));
//! config.server.profile = profile.clone();
//! config.accounts.push("alice@localhost".parse()?);
//! let server = serve_im(
//!     [tokio::net::TcpListener::bind("127.0.0.1:0").await?],
//!     [tokio::net::TcpListener::bind("127.0.0.1:0").await?],
//!     config,
//! )?;
//!
//! let mut client = ClientConfig::plaintext(profile);
//! client.server = Some(("127.0.0.1".into(), server.client_addrs()[0].port()));
//! let session = connect(&"alice@localhost".parse()?, "secret", &client).await?;
//! assert_eq!(server.inspect(|core| core.bound_resources()), 1);
//! session.handle.close().await?;
//! server.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use xmpp_jid::BareJid;
use xmpp_server::{Action, ConnectionId, MemoryStorage, Storage};
use xmpp_stream::connection::{CloseReason, Event};

use crate::driver::{Command, Handle, TryCommandError};
use crate::server::{Incoming, Server, ServerConfig, Streams, serve_streams};

/// What [`serve_im`] serves.
#[derive(Debug, Clone)]
pub struct ImServerConfig {
    /// The server core's setup: the hosted domains, the XEP-0114 components, the resource
    /// conflict policy, offline storage limits, what disco#info and version say.
    pub core: xmpp_server::Config,
    /// Accounts made known to the core before they first log in, so that messages to them
    /// are kept offline rather than bounced (an account is also made known when it
    /// authenticates). Typically every account of the credential store.
    pub accounts: Vec<BareJid>,
    /// The listeners' setup: TLS and credentials for clients, stream profile, connection
    /// limit (per listener), Direct TLS, DSCP, queue sizes. Its `domains` are replaced by the
    /// core's.
    pub server: ServerConfig,
}

impl ImServerConfig {
    /// The core's setup `core`, clients authenticated against `store` with `tls`, the
    /// defaults of [`ServerConfig::new`]; no accounts known in advance.
    pub fn new(
        core: xmpp_server::Config,
        tls: Option<(
            Arc<rustls::ServerConfig>,
            Option<rustls::pki_types::CertificateDer<'static>>,
        )>,
        store: Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>,
    ) -> Self {
        let server = ServerConfig::new(core.domains(), tls, store);
        ImServerConfig {
            core,
            accounts: Vec::new(),
            server,
        }
    }
}

/// A running IM server (see the [module docs](self)): its accept loops and the core, on the
/// storage `S`.
#[derive(Debug)]
pub struct ImServer<S: Storage + Send + 'static = MemoryStorage> {
    clients: Vec<Server>,
    components: Vec<Server>,
    shared: Arc<Shared<S>>,
}

impl<S: Storage + Send + 'static> ImServer<S> {
    /// The client listeners' addresses, in the order given.
    pub fn client_addrs(&self) -> Vec<SocketAddr> {
        self.clients.iter().map(Server::local_addr).collect()
    }

    /// The component listeners' addresses, in the order given.
    pub fn component_addrs(&self) -> Vec<SocketAddr> {
        self.components.iter().map(Server::local_addr).collect()
    }

    /// How many connection tasks (clients and components) are alive.
    pub fn active_connections(&self) -> usize {
        self.clients
            .iter()
            .chain(&self.components)
            .map(Server::active_connections)
            .sum()
    }

    /// Looks at the server core (bound resources, connected components, storage, rosters)
    /// under its lock; keep `f` short, every connection waits meanwhile.
    pub fn inspect<R>(&self, f: impl FnOnce(&xmpp_server::Server<S>) -> R) -> R {
        f(&self.shared.lock().core)
    }

    /// Stops every accept loop and ends every stream with `<system-shutdown/>`; returns when
    /// the accept loops have stopped.
    pub async fn shutdown(self) {
        for server in self.clients.into_iter().chain(self.components) {
            server.shutdown().await;
        }
    }
}

/// Serves IM on these listeners: clients on `clients`, XEP-0114 components on `components`
/// (either may be empty), one core for all, rosters and offline messages in memory. Must be
/// called within a tokio runtime.
///
/// # Errors
/// A listener whose address cannot be read, or an account the core's storage refuses.
pub fn serve_im(
    clients: impl IntoIterator<Item = TcpListener>,
    components: impl IntoIterator<Item = TcpListener>,
    config: ImServerConfig,
) -> std::io::Result<ImServer> {
    let storage = MemoryStorage::new(config.core.max_offline_per_account);
    start(clients, components, config, storage, false)
}

/// [`serve_im`] on `storage` (e.g. `xmpp_store::Store`), whose calls may block: the core is
/// fed on tokio's blocking pool (see [Storage that blocks](self#storage-that-blocks)). Must
/// be called within a tokio runtime, of either flavour.
///
/// # Errors
/// A listener whose address cannot be read, or an account the storage refuses.
pub fn serve_im_with<S: Storage + Send + 'static>(
    clients: impl IntoIterator<Item = TcpListener>,
    components: impl IntoIterator<Item = TcpListener>,
    config: ImServerConfig,
    storage: S,
) -> std::io::Result<ImServer<S>> {
    start(clients, components, config, storage, true)
}

fn start<S: Storage + Send + 'static>(
    clients: impl IntoIterator<Item = TcpListener>,
    components: impl IntoIterator<Item = TcpListener>,
    config: ImServerConfig,
    storage: S,
    blocking: bool,
) -> std::io::Result<ImServer<S>> {
    let ImServerConfig {
        core,
        accounts,
        mut server,
    } = config;
    server.domains = core.domains();
    server.stream_management = core.stream_management;
    let component_auth = core.component_auth();
    let mut core = xmpp_server::Server::with_storage(core, storage, Box::new(rand_core::OsRng));
    for account in &accounts {
        core.add_account(account)
            .map_err(|e| std::io::Error::other(format!("account {account}: {e}")))?;
    }
    let shared = Arc::new_cyclic(|me| Shared {
        state: Mutex::new(State {
            core,
            handles: HashMap::new(),
            overflow: HashMap::new(),
        }),
        blocking,
        me: me.clone(),
    });
    tokio::spawn(run_timer(Arc::downgrade(&shared)));
    let mut im = ImServer {
        clients: Vec::new(),
        components: Vec::new(),
        shared: shared.clone(),
    };
    let listeners = clients.into_iter().map(|l| (l, Streams::Clients)).chain(
        components
            .into_iter()
            .map(|l| (l, Streams::Components(component_auth.clone()))),
    );
    for (listener, streams) in listeners {
        let component = matches!(streams, Streams::Components(_));
        let shared = shared.clone();
        let accepted = serve_streams(listener, server.clone(), streams, move |incoming| {
            let conn = shared.open(component, &incoming.handle);
            tokio::spawn(run_connection(shared.clone(), conn, incoming));
        });
        match accepted {
            Ok(s) if component => im.components.push(s),
            Ok(s) => im.clients.push(s),
            Err(e) => {
                // The loops already started end with the runtime; stop them now.
                tokio::spawn(im.shutdown());
                return Err(e);
            }
        }
    }
    Ok(im)
}

/// The core and the command handle of every connection, under one lock.
struct State<S: Storage> {
    core: xmpp_server::Server<S>,
    handles: HashMap<ConnectionId, Handle>,
    /// Commands for connections whose queue was full, in order, waiting for room (a task
    /// per connection moves them; see [`Shared::dispatch`]).
    overflow: HashMap<ConnectionId, VecDeque<Command>>,
}

/// Most commands waiting for one connection beyond its queue; beyond it stanzas are dropped
/// (a recipient that reads nothing for this long is the one to lose them).
const MAX_OVERFLOW: usize = 1024;

struct Shared<S: Storage> {
    state: Mutex<State<S>>,
    /// Itself, for the tasks that move overflowing commands.
    me: std::sync::Weak<Shared<S>>,
    /// Feed the core on the blocking pool (its storage blocks).
    blocking: bool,
}

impl<S: Storage> std::fmt::Debug for Shared<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the core: formatting must not take the lock.
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl<S: Storage + Send + 'static> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers an accepted connection with the core.
    fn open(&self, component: bool, handle: &Handle) -> ConnectionId {
        let mut state = self.lock();
        let conn = if component {
            state.core.open_component()
        } else {
            state.core.open_client()
        };
        state.handles.insert(conn, handle.clone());
        conn
    }

    /// Feeds one event of `conn` to the core and queues what it decided; returns the commands
    /// for `conn` itself that found no room (to be awaited, in order, after the lock).
    fn feed(&self, conn: ConnectionId, event: Event) -> Vec<Command> {
        let closed = matches!(event, Event::Closed(_));
        let mut state = self.lock();
        // Events after the core closed the connection are ignored, and a second `Closed`
        // refused: either way there is nothing to do.
        if matches!(event, Event::Detached(_)) {
            // The stream has ended: stanzas still waiting for room join the session before
            // anything the core routes from now on (which it keeps with the session itself).
            for command in state.overflow.remove(&conn).unwrap_or_default() {
                if let Command::Send(stanza, _) = command {
                    state.core.undelivered(conn, stanza);
                }
            }
        }
        let _ = state.core.handle_event(conn, event, SystemTime::now());
        let waiting = self.dispatch(&mut state, Some(conn));
        if closed {
            state.handles.remove(&conn);
        }
        waiting
    }

    /// A command `conn`'s ended stream refused: a stanza goes back to the core.
    fn hand_back(&self, conn: ConnectionId, command: Command) {
        if let Command::Send(stanza, _) = command {
            let mut state = self.lock();
            state.core.undelivered(conn, stanza);
            drop(self.dispatch(&mut state, None));
        }
    }

    /// Ends the resumption windows that are over (XEP-0198) and carries out what follows.
    fn tick(&self) {
        let mut state = self.lock();
        let now = SystemTime::now();
        if state.core.poll_timeout().is_some_and(|due| due <= now) {
            state.core.handle_timeout(now);
            // No connection of its own: everything that found no room waits in the overflow.
            drop(self.dispatch(&mut state, None));
        }
    }

    /// Queues the core's actions on their connections' handles; returns the commands for
    /// `own` that found no room (to be awaited, in order, after the lock).
    fn dispatch(&self, state: &mut State<S>, own: Option<ConnectionId>) -> Vec<Command> {
        let mut waiting = Vec::new();
        while let Some(action) = state.core.poll_action() {
            let to = action.conn();
            let Some(command) = command_of(action) else {
                continue;
            };
            if Some(to) == own && !waiting.is_empty() {
                // Behind an own command that is waiting for room: keep the order.
                waiting.push(*command);
                continue;
            }
            if let Some(queue) = state.overflow.get_mut(&to) {
                // Behind commands already waiting for room: keep the order.
                if queue.len() < MAX_OVERFLOW || !matches!(*command, Command::Send(..)) {
                    queue.push_back(*command);
                } else {
                    tracing::warn!(%to, "recipient not reading: stanza dropped");
                }
                continue;
            }
            let Some(handle) = state.handles.get(&to) else {
                continue;
            };
            match handle.try_command(command) {
                Ok(()) => {}
                // The stream has ended: a stanza goes back to the core (to the session, or
                // routed again), a control command has nothing left to act on.
                Err(TryCommandError::Closed(command)) => {
                    if let Command::Send(stanza, _) = *command {
                        state.core.undelivered(to, stanza);
                    }
                }
                Err(TryCommandError::Full(command)) if Some(to) == own => waiting.push(*command),
                Err(TryCommandError::Full(command)) => {
                    // A burst (a resumed session's backlog, a presence broadcast) waits for
                    // room, in order, moved by a task of its own; outside a runtime (while it
                    // is being dropped) nothing is left to deliver to.
                    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                        continue;
                    };
                    state.overflow.insert(to, VecDeque::from([*command]));
                    runtime.spawn(drain_overflow(self.me.clone(), to, handle.clone()));
                }
            }
        }
        waiting
    }
}

/// Moves the commands waiting for `to` into its queue as room appears, then stops.
async fn drain_overflow<S: Storage + Send + 'static>(
    shared: std::sync::Weak<Shared<S>>,
    to: ConnectionId,
    handle: Handle,
) {
    loop {
        let open = handle.wait_for_room().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut state = shared.lock();
        let Some(queue) = state.overflow.get_mut(&to) else {
            return;
        };
        // A command leaves the overflow only into the channel, under the lock: none is ever
        // in flight outside both, so nothing routed later overtakes it.
        let refused = match queue.pop_front() {
            None => {
                state.overflow.remove(&to);
                return;
            }
            Some(command) if !open => {
                queue.push_front(command);
                true
            }
            Some(command) => match handle.try_command(Box::new(command)) {
                Ok(()) => false,
                Err(TryCommandError::Full(command)) => {
                    queue.push_front(*command);
                    false
                }
                Err(TryCommandError::Closed(command)) => {
                    queue.push_front(*command);
                    true
                }
            },
        };
        if refused {
            // The stream has ended: what still waits goes back to the core, in order.
            let rest = state.overflow.remove(&to).unwrap_or_default();
            for command in rest {
                if let Command::Send(stanza, _) = command {
                    state.core.undelivered(to, stanza);
                }
            }
            drop(shared.dispatch(&mut state, None));
            return;
        }
    }
}

/// Queues one of the connection's own commands, waiting for room (the connection's input
/// waits meanwhile: backpressure); one its ended stream refuses goes back to the core.
async fn send_own<S: Storage + Send + 'static>(
    shared: &Shared<S>,
    conn: ConnectionId,
    handle: &Handle,
    mut command: Command,
) {
    loop {
        match handle.try_command(Box::new(command)) {
            Ok(()) => return,
            Err(TryCommandError::Full(back)) => {
                command = *back;
                if !handle.wait_for_room().await {
                    return shared.hand_back(conn, command);
                }
            }
            Err(TryCommandError::Closed(back)) => return shared.hand_back(conn, *back),
        }
    }
}

/// Calls the core's timer (resumption windows) once a second while the server lives.
async fn run_timer<S: Storage + Send + 'static>(shared: std::sync::Weak<Shared<S>>) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if shared.blocking {
            if tokio::task::spawn_blocking(move || shared.tick())
                .await
                .is_err()
            {
                tracing::error!("the server core failed in its timer");
                return;
            }
        } else {
            shared.tick();
        }
    }
}

/// The driver command carrying out `action` (`None` for an action this adapter does not
/// know: `Action` is non-exhaustive).
fn command_of(action: Action) -> Option<Box<Command>> {
    match action {
        Action::Send { stanza, .. } => Some(Box::new(Command::Send(stanza, None))),
        // Nobody waits for the machine's verdict: it refuses only an answer to a bind request
        // it did not make, which the core never gives.
        Action::Bind { decision, .. } => {
            Some(Box::new(Command::Bind(decision, oneshot::channel().0)))
        }
        Action::Close { error, .. } => Some(Box::new(Command::CloseWithError(error))),
        Action::Resume { decision, .. } => Some(Box::new(Command::Resume(decision))),
        other => {
            tracing::warn!(?other, "unknown server action ignored");
            None
        }
    }
}

/// Tells the core a connection is gone if its task ends without the machine's `Closed`
/// (cancelled at runtime shutdown, or its events ended early).
struct Registration<S: Storage + Send + 'static> {
    shared: Arc<Shared<S>>,
    conn: ConnectionId,
}

impl<S: Storage + Send + 'static> Drop for Registration<S> {
    fn drop(&mut self) {
        // After the machine's own `Closed`, the core refuses this one: nothing happens.
        let waiting = self
            .shared
            .feed(self.conn, Event::Closed(CloseReason::TransportClosed));
        drop(waiting);
    }
}

/// Moves one connection's events to the core until it closes.
async fn run_connection<S: Storage + Send + 'static>(
    shared: Arc<Shared<S>>,
    conn: ConnectionId,
    mut incoming: Incoming,
) {
    let registration = Registration {
        shared: shared.clone(),
        conn,
    };
    while let Some(event) = incoming.events.next().await {
        let closed = matches!(event, Event::Closed(_));
        if let Event::Closed(reason) = &event {
            tracing::debug!(%conn, peer = %incoming.peer, ?reason, "connection closed");
        }
        let waiting = if shared.blocking {
            let fed = shared.clone();
            // A panic in the core (a bug) ends this connection like a closed one.
            match tokio::task::spawn_blocking(move || fed.feed(conn, event)).await {
                Ok(waiting) => waiting,
                Err(e) => {
                    tracing::error!(%conn, error = %e, "the server core failed");
                    break;
                }
            }
        } else {
            shared.feed(conn, event)
        };
        for command in waiting {
            send_own(&shared, conn, &incoming.handle, command).await;
        }
        if closed {
            break;
        }
    }
    drop(registration);
}
