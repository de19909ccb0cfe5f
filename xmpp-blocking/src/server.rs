//! [`ImServer`]: a complete IM server over `std::net`, one thread per connection, every
//! decision taken by the sans-IO server core [`xmpp_server::Server`].
//!
//! The core decides everything an XMPP server decides (resource binding and its conflict
//! policy, routing by typed JIDs, presence and rosters through RFC 6121, offline storage with
//! XEP-0203 delay stamps, the server's own IQs, XEP-0114 components); this module only moves
//! bytes and carries out the core's actions:
//!
//! - one [`Mutex`] holds the core and the inbox of every connection. A connection thread reads
//!   its socket into its receiving machine, feeds each event to the core under the lock
//!   (`Event::Closed` included, or a synthetic one if the thread ends another way), drains
//!   [`poll_action`](xmpp_server::Server::poll_action) while still holding it, and dispatches:
//!   actions for other connections go to their inboxes (so every inbox receives in the order
//!   the core decided), actions for its own connection are carried out on its own machine
//!   right after the lock is released;
//! - an inbox is a bounded [`SyncSender`] of commands (send a stanza, answer a bind, close
//!   with a stream error). A recipient that does not read loses stanzas beyond
//!   [`ServerConfig::inbox_capacity`] (logged) instead of making the server buffer without
//!   bound; commands other than stanzas have slots of their own and are never lost;
//! - connection threads look at their inbox and the shutdown flag every
//!   [`ServerConfig::tick`] while they wait for input.
//!
//! Clients connect on the address of [`ImServer::bind`] (STARTTLS or Direct TLS, SASL against
//! [`ServerConfig::store`]); XEP-0114 components on the addresses of
//! [`ImServer::bind_components`] (no TLS, the handshake against the core's
//! [`components`](xmpp_server::Config::components)).
//!
//! Storage: [`ImServer::bind`] keeps rosters and offline messages in memory
//! ([`MemoryStorage`]); [`ImServer::bind_with_storage`] takes any
//! [`Storage`], such as `xmpp_store::Store` (SQLite or PostgreSQL),
//! which the core then calls directly on the connection threads (blocking there is fine).
//!
//! Enough for tests, rigs, a component host or a small deployment; for thousands of
//! connections use the async adapter (`xmpp_tokio::serve_im`), which drives the same core.
//!
//! ```
//! use std::sync::Arc;
//! use xmpp_blocking::{ImServer, ServerConfig};
//! use xmpp_blocking::xmpp_server::{Component, Config};
//!
//! # let profile = xmpp_stream::profile::Profile::rfc6120();
//! # let tls = None;
//! let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
//! store.add_user("alice", "secret", 4096, &mut rand_core::OsRng)?;
//! let mut core = Config::new(["localhost"]);
//! core.components.push(Component::new("echo.localhost", "s3cret"));
//! let mut config = ServerConfig::new(core, Arc::new(profile), tls, Arc::new(store));
//! config.accounts.push("alice@localhost".parse()?);
//! let server = ImServer::bind("127.0.0.1:0", config)?
//!     .bind_components("127.0.0.1:0")?
//!     .spawn()?;
//! println!("clients on {}, components on {:?}", server.local_addr(), server.component_addrs());
//! server.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use rustls::pki_types::CertificateDer;
use xmpp_jid::BareJid;
use xmpp_server::{Action, ConnectionId, MemoryStorage, Storage};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{
    CloseReason, Connection, Event, ReceiverAuth, ReceiverConfig, SendError,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::stream_error::{StreamCondition, StreamError};
use xmpp_stream::stream_management::ResumeDecision;
use xmpp_stream::xml::Element;

use crate::driver::Driver;
use crate::error::Error;

/// Inbox slots kept for commands other than stanzas: the core asks another connection's thread
/// for at most one close (it forgets the session at once, or waits for it to hand its session
/// to a resumption) and one resumption answer (the session handed over), never for a bind.
const CONTROL_SLOTS: usize = 3;

/// What an [`ImServer`] serves, and its limits.
#[derive(Clone)]
pub struct ServerConfig {
    /// The server core's setup: the hosted domains, the XEP-0114 components, the resource
    /// conflict policy, offline storage limits, what disco#info and version say.
    pub core: xmpp_server::Config,
    /// Accounts made known to the core before they first log in, so that messages to them
    /// are kept offline rather than bounced (an account is also made known when it
    /// authenticates). Typically every account of [`store`](Self::store).
    pub accounts: Vec<BareJid>,
    /// The client accounts' credentials (SASL).
    pub store: Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>,
    /// Stream policy, for client and component streams (components never use TLS).
    pub profile: Arc<Profile>,
    /// TLS configuration and the certificate presented (for channel binding), for clients.
    pub tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    /// Clients use Direct TLS (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
    /// How often a connection thread looks at its inbox and the shutdown flag.
    pub tick: Duration,
    /// Most stanzas queued for one connection by others; beyond it they are dropped.
    pub inbox_capacity: usize,
    /// Most connections (clients and components) served at once; further ones are closed at
    /// accept.
    pub max_connections: usize,
    /// DiffServ code point (0..=63) for outgoing packets (UCR-DSCP-1); `None`: unmarked.
    pub dscp: Option<u8>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("core", &self.core)
            .field("accounts", &self.accounts.len())
            .field("profile", &self.profile)
            .field("tls", &self.tls.is_some())
            .field("direct_tls", &self.direct_tls)
            .field("tick", &self.tick)
            .field("inbox_capacity", &self.inbox_capacity)
            .field("max_connections", &self.max_connections)
            .field("dscp", &self.dscp)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// The core's setup `core`, with clients authenticated against `store`, and the default
    /// limits (20 ms tick, 1024 stanzas per inbox, 1024 connections); no accounts known in
    /// advance.
    pub fn new(
        core: xmpp_server::Config,
        profile: Arc<Profile>,
        tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
        store: Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>,
    ) -> Self {
        ServerConfig {
            core,
            accounts: Vec::new(),
            store,
            profile,
            tls,
            direct_tls: false,
            tick: Duration::from_millis(20),
            inbox_capacity: 1024,
            max_connections: 1024,
            dscp: None,
        }
    }
}

/// What another connection's thread asks a connection's thread to do.
#[derive(Debug)]
enum Command {
    Send(Element),
    Bind(BindDecision),
    Close(StreamError),
    Resume(ResumeDecision),
}

impl Command {
    /// The command carrying out `action` (`None` for an action this adapter does not know:
    /// `Action` is non-exhaustive).
    fn of(action: Action) -> Option<Command> {
        match action {
            Action::Send { stanza, .. } => Some(Command::Send(stanza)),
            Action::Bind { decision, .. } => Some(Command::Bind(decision)),
            Action::Close { error, .. } => Some(Command::Close(error)),
            Action::Resume { decision, .. } => Some(Command::Resume(decision)),
            other => {
                tracing::warn!(?other, "unknown server action ignored");
                None
            }
        }
    }
}

/// One connection's inbox, with the count of stanzas in it.
struct Inbox {
    tx: SyncSender<Command>,
    stanzas: Arc<AtomicUsize>,
}

/// The core and the inboxes, under one lock.
struct State<S: Storage> {
    core: xmpp_server::Server<S>,
    inboxes: HashMap<ConnectionId, Inbox>,
}

/// What every thread of one server shares.
struct Shared<S: Storage> {
    state: Mutex<State<S>>,
    config: ServerConfig,
    stop: AtomicBool,
    live: AtomicUsize,
}

impl<S: Storage> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Feeds one event of `conn` to the core; dispatches what it decided for other
    /// connections and returns what it decided for `conn` itself.
    fn feed(&self, conn: ConnectionId, event: Event) -> Vec<Command> {
        self.feed_with_inbox(conn, event, None)
    }

    /// [`feed`](Self::feed); with `Detached` (the stream ended with a managed session) the
    /// stanzas still in `inbox` go back to the core first, under the same lock: they join
    /// the session before anything the core routes from then on.
    fn feed_with_inbox(
        &self,
        conn: ConnectionId,
        event: Event,
        inbox: Option<(&Receiver<Command>, &AtomicUsize)>,
    ) -> Vec<Command> {
        let closed = matches!(event, Event::Closed(_));
        let mut state = self.lock();
        if let (Event::Detached(_), Some((inbox, stanzas))) = (&event, inbox) {
            while let Ok(command) = inbox.try_recv() {
                if let Command::Send(stanza) = command {
                    stanzas.fetch_sub(1, Ordering::SeqCst);
                    state.core.undelivered(conn, stanza);
                }
            }
        }
        // Events after the core closed the connection are ignored, and a second `Closed`
        // refused: either way there is nothing to do.
        let _ = state.core.handle_event(conn, event, SystemTime::now());
        let own = state.dispatch_all(Some(conn), self.config.inbox_capacity);
        if closed {
            state.inboxes.remove(&conn);
        }
        own
    }

    /// A stanza `conn`'s ended stream could not take: the core keeps it with the session or
    /// routes it again ([`xmpp_server::Server::undelivered`]).
    fn hand_back(&self, conn: ConnectionId, stanza: Element) {
        let mut state = self.lock();
        state.core.undelivered(conn, stanza);
        state.dispatch_all(None, self.config.inbox_capacity);
    }

    /// Ends the resumption windows that are over (XEP-0198) and dispatches what follows.
    fn tick(&self) {
        let mut state = self.lock();
        let now = SystemTime::now();
        if state.core.poll_timeout().is_some_and(|due| due <= now) {
            state.core.handle_timeout(now);
            state.dispatch_all(None, self.config.inbox_capacity);
        }
    }
}

/// Calls the core's timer (resumption windows) once a second until the server stops.
fn timer_loop<S: Storage + Send + 'static>(shared: &std::sync::Weak<Shared<S>>) {
    loop {
        thread::sleep(Duration::from_secs(1));
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        shared.tick();
    }
}

/// Starts the timer thread of a server.
fn spawn_timer<S: Storage + Send + 'static>(shared: &Arc<Shared<S>>) -> io::Result<()> {
    let weak = Arc::downgrade(shared);
    thread::Builder::new()
        .name("xmpp-timer".into())
        .spawn(move || timer_loop(&weak))
        .map(drop)
}

impl<S: Storage> State<S> {
    /// Carries the core's actions to their connections' inboxes, and returns those for
    /// `own` (the connection whose thread is feeding). A stanza for a connection whose thread
    /// has ended goes back to the core, which keeps it for the session or routes it again.
    fn dispatch_all(&mut self, own: Option<ConnectionId>, capacity: usize) -> Vec<Command> {
        let mut mine = Vec::new();
        while let Some(action) = self.core.poll_action() {
            let to = action.conn();
            let Some(command) = Command::of(action) else {
                continue;
            };
            if Some(to) == own {
                mine.push(command);
            } else if let Some(stanza) = self.dispatch(to, command, capacity) {
                self.core.undelivered(to, stanza);
            }
        }
        mine
    }

    /// Puts a command for another connection into its inbox; a stanza whose connection's
    /// thread has ended comes back.
    fn dispatch(&self, to: ConnectionId, command: Command, capacity: usize) -> Option<Element> {
        let Some(inbox) = self.inboxes.get(&to) else {
            return match command {
                Command::Send(stanza) => Some(stanza),
                _ => None,
            };
        };
        if let Command::Send(_) = command {
            // Counted before it is queued, uncounted after it is taken: the count is never
            // below the number of stanzas queued, so control commands always find a slot.
            if inbox.stanzas.fetch_add(1, Ordering::SeqCst) >= capacity {
                inbox.stanzas.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!(%to, "recipient inbox full; stanza dropped");
                return None;
            }
            return match inbox.tx.try_send(command) {
                Ok(()) => None,
                // The connection's thread has ended: the stanza goes back to the core.
                Err(TrySendError::Disconnected(Command::Send(stanza))) => {
                    inbox.stanzas.fetch_sub(1, Ordering::SeqCst);
                    Some(stanza)
                }
                Err(_) => {
                    inbox.stanzas.fetch_sub(1, Ordering::SeqCst);
                    None
                }
            };
        }
        match inbox.tx.try_send(command) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                tracing::error!(%to, "no inbox slot for a control command")
            }
        }
        None
    }
}

/// Which listener a connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Client,
    Component,
}

/// An IM server with its listening sockets bound, not yet accepting (see the
/// [module docs](self)).
pub struct ImServer<S: Storage + Send + 'static = MemoryStorage> {
    clients: TcpListener,
    components: Vec<TcpListener>,
    shared: Arc<Shared<S>>,
}

impl<S: Storage + Send + 'static> fmt::Debug for ImServer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImServer")
            .field("clients", &self.clients.local_addr().ok())
            .field("components", &self.component_addrs().ok())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// A running [`ImServer`]: its accept loops and connections run in background threads until
/// [`shutdown`](Self::shutdown) or drop.
pub struct ServerHandle<S: Storage + Send + 'static = MemoryStorage> {
    addr: SocketAddr,
    component_addrs: Vec<SocketAddr>,
    shared: Arc<Shared<S>>,
    accept: Vec<JoinHandle<()>>,
}

impl<S: Storage + Send + 'static> fmt::Debug for ServerHandle<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .field("component_addrs", &self.component_addrs)
            .field("connections", &self.shared.live.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl ImServer {
    /// Binds the client listening socket and sets up the core (with the config's accounts),
    /// everything kept in memory ([`MemoryStorage`]).
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<ImServer> {
        let storage = MemoryStorage::new(config.core.max_offline_per_account);
        ImServer::bind_with_storage(addr, config, storage)
    }
}

impl<S: Storage + Send + 'static> ImServer<S> {
    /// Binds the client listening socket and sets up the core on `storage` (with the config's
    /// accounts), e.g. a database of `xmpp-store`. The core calls the storage while it handles
    /// an event, on the connection thread that reported it, under the core's lock: a store
    /// that blocks (a disk write, a database round trip) delays the other connections' events
    /// meanwhile, never a runtime (there is none).
    pub fn bind_with_storage(
        addr: impl ToSocketAddrs,
        config: ServerConfig,
        storage: S,
    ) -> io::Result<ImServer<S>> {
        let clients = TcpListener::bind(addr)?;
        let mut core = xmpp_server::Server::with_storage(
            config.core.clone(),
            storage,
            Box::new(rand_core::OsRng),
        );
        for account in &config.accounts {
            core.add_account(account)
                .map_err(|e| io::Error::other(format!("account {account}: {e}")))?;
        }
        Ok(ImServer {
            clients,
            components: Vec::new(),
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    core,
                    inboxes: HashMap::new(),
                }),
                config,
                stop: AtomicBool::new(false),
                live: AtomicUsize::new(0),
            }),
        })
    }

    /// Also listens for XEP-0114 component streams on `addr` (call it once per address).
    pub fn bind_components(mut self, addr: impl ToSocketAddrs) -> io::Result<ImServer<S>> {
        self.components.push(TcpListener::bind(addr)?);
        Ok(self)
    }

    /// The client listener's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.clients.local_addr()
    }

    /// The component listeners' addresses, in the order they were bound.
    pub fn component_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        self.components
            .iter()
            .map(TcpListener::local_addr)
            .collect()
    }

    /// Accepts connections in background threads (one per listener), each connection served
    /// by its own thread.
    pub fn spawn(self) -> io::Result<ServerHandle<S>> {
        let addr = self.clients.local_addr()?;
        let component_addrs = self.component_addrs()?;
        let mut handle = ServerHandle {
            addr,
            component_addrs,
            shared: self.shared.clone(),
            accept: Vec::new(),
        };
        spawn_timer(&self.shared)?;
        let listeners = std::iter::once((self.clients, Role::Client))
            .chain(self.components.into_iter().map(|l| (l, Role::Component)));
        for (listener, role) in listeners {
            let shared = self.shared.clone();
            // On failure, dropping `handle` stops the loops already started.
            let thread = thread::Builder::new()
                .name("xmpp-accept".into())
                .spawn(move || accept_loop(&listener, role, &shared))?;
            handle.accept.push(thread);
        }
        Ok(handle)
    }

    /// Accepts connections until the process ends: components in background threads, clients
    /// on this thread.
    pub fn run(self) -> io::Result<()> {
        spawn_timer(&self.shared)?;
        for listener in self.components {
            let shared = self.shared.clone();
            thread::Builder::new()
                .name("xmpp-accept".into())
                .spawn(move || accept_loop(&listener, Role::Component, &shared))?;
        }
        accept_loop(&self.clients, Role::Client, &self.shared);
        Ok(())
    }
}

impl<S: Storage + Send + 'static> ServerHandle<S> {
    /// The client listener's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The component listeners' addresses.
    pub fn component_addrs(&self) -> &[SocketAddr] {
        &self.component_addrs
    }

    /// How many connections are being served.
    pub fn connections(&self) -> usize {
        self.shared.live.load(Ordering::SeqCst)
    }

    /// Looks at the server core (bound resources, connected components, storage, rosters)
    /// under its lock; keep `f` short, every connection waits meanwhile.
    pub fn inspect<R>(&self, f: impl FnOnce(&xmpp_server::Server<S>) -> R) -> R {
        f(&self.shared.lock().core)
    }

    /// Stops accepting; open streams end with `<system-shutdown/>` at their next tick.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accepts.
        for addr in std::iter::once(self.addr).chain(self.component_addrs.iter().copied()) {
            let _ = TcpStream::connect(addr);
        }
        for h in self.accept.drain(..) {
            let _ = h.join();
        }
    }
}

impl<S: Storage + Send + 'static> Drop for ServerHandle<S> {
    fn drop(&mut self) {
        if !self.accept.is_empty() {
            self.stop_now();
        }
    }
}

fn accept_loop<S: Storage + Send + 'static>(
    listener: &TcpListener,
    role: Role,
    shared: &Arc<Shared<S>>,
) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        if shared.live.fetch_add(1, Ordering::SeqCst) >= shared.config.max_connections {
            shared.live.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("connection limit reached; connection refused");
            drop(stream);
            continue;
        }
        let thread_shared = shared.clone();
        let spawned = thread::Builder::new()
            .name("xmpp-conn".into())
            .spawn(move || {
                if let Err(e) = serve(stream, role, &thread_shared) {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                thread_shared.live.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            shared.live.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(error = %e, "cannot spawn a connection thread");
        }
    }
}

/// Serves one connection until it closes; the core always learns that it did.
fn serve<S: Storage + Send + 'static>(
    stream: TcpStream,
    role: Role,
    shared: &Shared<S>,
) -> Result<(), Error> {
    let config = &shared.config;
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    if let Some(d) = config.dscp {
        crate::socket::set_dscp(&stream, d)?;
    }
    let receiver = match role {
        Role::Client => ReceiverConfig {
            kind: StreamKind::Client,
            domains: config.core.domains(),
            tls: config.tls.clone(),
            direct_tls: config.direct_tls,
            auth: ReceiverAuth::Sasl(config.store.clone()),
        },
        Role::Component => ReceiverConfig {
            kind: StreamKind::Component,
            domains: config.core.domains(),
            tls: None,
            direct_tls: false,
            auth: config.core.component_auth(),
        },
    };
    let mut machine = Connection::receiver(
        receiver,
        config.profile.clone(),
        Box::new(rand_core::OsRng),
        Instant::now(),
    )?;
    if let (Role::Client, Some(sm)) = (role, config.core.stream_management) {
        machine.enable_stream_management(sm)?;
    }
    let mut session = Driver::tcp(machine, stream);
    let (tx, rx) = mpsc::sync_channel(config.inbox_capacity.max(1) + CONTROL_SLOTS);
    let stanzas = Arc::new(AtomicUsize::new(0));
    let conn = {
        let mut state = shared.lock();
        let conn = match role {
            Role::Client => state.core.open_client(),
            Role::Component => state.core.open_component(),
        };
        let inbox = Inbox {
            tx,
            stanzas: stanzas.clone(),
        };
        state.inboxes.insert(conn, inbox);
        conn
    };
    let result = run_session(&mut session, conn, shared, &rx, &stanzas);
    // Stanzas still in the inbox never reached the stream: back to the core (to the
    // session's resumption, or routed again).
    while let Ok(command) = rx.try_recv() {
        if let Command::Send(stanza) = command {
            shared.hand_back(conn, stanza);
        }
    }
    // Without the machine's `Closed` (an I/O error ended the thread), the core learns it
    // here; after it, the core refuses this one and nothing happens.
    shared.feed(conn, Event::Closed(CloseReason::TransportClosed));
    result
}

fn run_session<S: Storage + Send + 'static>(
    session: &mut Driver<TcpStream>,
    conn: ConnectionId,
    shared: &Shared<S>,
    inbox: &Receiver<Command>,
    stanzas: &AtomicUsize,
) -> Result<(), Error> {
    let mut closing = false;
    loop {
        if shared.stop.load(Ordering::SeqCst) && !closing {
            closing = true;
            session
                .connection_mut()
                .close_with_error(StreamError::new(StreamCondition::SystemShutdown));
        }
        while let Ok(command) = inbox.try_recv() {
            if let Command::Send(_) = command {
                stanzas.fetch_sub(1, Ordering::SeqCst);
            }
            if let Some(stanza) = apply(session.connection_mut(), command) {
                shared.hand_back(conn, stanza);
            }
        }
        let event = match session.next_event(Some(Instant::now() + shared.config.tick)) {
            Ok(Some(ev)) => ev,
            Ok(None) => continue,
            Err(Error::Closed(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let closed = matches!(event, Event::Closed(_));
        if let Event::Closed(reason) = &event {
            tracing::debug!(%conn, ?reason, "connection closed");
        }
        for command in shared.feed_with_inbox(conn, event, Some((inbox, stanzas))) {
            if let Some(stanza) = apply(session.connection_mut(), command) {
                shared.hand_back(conn, stanza);
            }
        }
        if closed {
            // What the machine still has to write (a closing tag, a stream error).
            let _ = session.flush();
            return Ok(());
        }
    }
}

/// Carries out a command on the connection's own machine (written out by the next
/// `next_event`); a stanza the ended stream cannot take comes back, for the core.
fn apply(machine: &mut Connection, command: Command) -> Option<Element> {
    match command {
        Command::Send(stanza) => match machine.send(&stanza) {
            Ok(()) => {}
            Err(SendError::Closed) => return Some(stanza),
            Err(e) => tracing::debug!(error = %e, "stanza not sent"),
        },
        Command::Bind(decision) => {
            if let Err(e) = machine.bind(decision) {
                tracing::debug!(error = %e, "bind answer refused");
            }
        }
        Command::Close(error) => machine.close_with_error(error),
        Command::Resume(decision) => {
            if let Err(e) = machine.resume(decision) {
                tracing::debug!(error = %e, "resumption answer refused");
            }
        }
    }
    None
}
