//! A minimal blocking server: one thread per connection, stanzas routed between sessions.
//!
//! Enough for tests, a component host or a small rig, not for scale (use the async adapter
//! for that). Each accepted socket gets a receiving [`Connection`]; bind requests are
//! granted (a generated resource when none is asked for or the asked one is taken); stanzas
//! addressed to a bound client or a connected component are routed to it; presence without
//! `to` is broadcast to every other session of the domain and reflected to the sender;
//! roster gets are answered with an empty roster and other IQs to the server with
//! `<service-unavailable/>`. Undeliverable messages and IQs bounce with
//! `<service-unavailable/>`.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{Connection, Event, ReceiverAuth, ReceiverConfig};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::xml::{Element, Node};

use crate::error::Error;
use crate::session::Session;

/// How the server authenticates peers.
#[derive(Clone)]
pub enum ServerAuth {
    /// Clients, with SASL against this store.
    Sasl(Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>),
    /// XEP-0114 components: (component domain, shared secret) pairs.
    Components(Vec<(String, String)>),
}

impl fmt::Debug for ServerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAuth::Sasl(_) => f.write_str("Sasl(..)"),
            ServerAuth::Components(c) => f
                .debug_tuple("Components")
                .field(&c.iter().map(|(d, _)| d).collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// One listening socket's setup.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The domains served (the first is the default).
    pub domains: Vec<String>,
    /// Stream policy.
    pub profile: Arc<Profile>,
    /// TLS configuration and the certificate presented (for channel binding).
    pub tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    /// Direct TLS (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
    /// Client (SASL) or component (handshake) streams.
    pub auth: ServerAuth,
    /// How often a connection thread looks at its inbox and the shutdown flag.
    pub tick: Duration,
    /// Most stanzas queued for one session by others; beyond it they are dropped.
    pub inbox_capacity: usize,
    /// Most connections served at once; further ones are closed at accept.
    pub max_connections: usize,
    /// DiffServ code point (0..=63) for outgoing packets (UCR-DSCP-1); `None`: unmarked.
    pub dscp: Option<u8>,
}

impl ServerConfig {
    /// A client (SASL) server for `domains` with the default limits (20 ms tick, 1024
    /// stanzas per inbox, 1024 connections).
    pub fn new(
        domains: Vec<String>,
        profile: Arc<Profile>,
        tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
        auth: ServerAuth,
    ) -> Self {
        ServerConfig {
            domains,
            profile,
            tls,
            direct_tls: false,
            auth,
            tick: Duration::from_millis(20),
            inbox_capacity: 1024,
            max_connections: 1024,
            dscp: None,
        }
    }
}

/// Where routed stanzas go: an inbox per bound address.
type Routes = Arc<Mutex<HashMap<String, SyncSender<Element>>>>;

/// The routing table shared by listeners: give two [`Server`]s the same router (e.g. a
/// c2s listener and a component listener) and their sessions reach each other.
#[derive(Clone, Default)]
pub struct Router {
    routes: Routes,
}

impl Router {
    /// An empty routing table.
    pub fn new() -> Self {
        Router::default()
    }

    /// The addresses currently reachable (bound full JIDs, component domains).
    pub fn addresses(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.routes).keys().cloned().collect();
        v.sort();
        v
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("addresses", &self.addresses())
            .finish()
    }
}

/// A bound listener, not yet accepting.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    config: Arc<ServerConfig>,
    router: Router,
}

/// A server running in background threads.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    router: Router,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds the listening socket.
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr)?,
            config: Arc::new(config),
            router: Router::new(),
        })
    }

    /// Shares `router` with other listeners instead of a table of its own.
    #[must_use]
    pub fn with_router(mut self, router: Router) -> Server {
        self.router = router;
        self
    }

    /// This listener's routing table.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections in a background thread, each served by its own thread.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let addr = self.listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let router = self.router.clone();
        let accept = thread::Builder::new()
            .name("xmpp-accept".into())
            .spawn(move || self.accept_loop(&flag))?;
        Ok(ServerHandle {
            addr,
            router,
            stop,
            accept: Some(accept),
        })
    }

    /// Accepts connections on this thread until the process ends.
    pub fn run(self) {
        self.accept_loop(&AtomicBool::new(false));
    }

    fn accept_loop(self, stop: &AtomicBool) {
        let routes: Routes = self.router.routes.clone();
        let stop_all = Arc::new(AtomicBool::new(false));
        let live = Arc::new(AtomicUsize::new(0));
        for stream in self.listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                stop_all.store(true, Ordering::SeqCst);
                break;
            }
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            if live.load(Ordering::SeqCst) >= self.config.max_connections {
                tracing::warn!("connection limit reached; connection refused");
                drop(stream);
                continue;
            }
            let config = self.config.clone();
            let routes = routes.clone();
            let stop_all = stop_all.clone();
            let counter = live.clone();
            counter.fetch_add(1, Ordering::SeqCst);
            let spawned = thread::Builder::new()
                .name("xmpp-conn".into())
                .spawn(move || {
                    if let Err(e) = serve(stream, &config, &routes, &stop_all) {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    counter.fetch_sub(1, Ordering::SeqCst);
                });
            if let Err(e) = spawned {
                live.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!(error = %e, "cannot spawn a connection thread");
            }
        }
    }
}

impl ServerHandle {
    /// The listening address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The routing table (to share it with another listener).
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Stops accepting; open connections close at their next tick.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if self.accept.is_some() {
            self.stop_now();
        }
    }
}

fn lock(routes: &Routes) -> std::sync::MutexGuard<'_, HashMap<String, SyncSender<Element>>> {
    routes.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves one connection until it closes.
fn serve(
    stream: TcpStream,
    config: &ServerConfig,
    routes: &Routes,
    stop: &AtomicBool,
) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    if let Some(d) = config.dscp {
        crate::socket::set_dscp(&stream, d)?;
    }
    let (kind, auth) = match &config.auth {
        ServerAuth::Sasl(store) => (StreamKind::Client, ReceiverAuth::Sasl(store.clone())),
        ServerAuth::Components(c) => (StreamKind::Component, ReceiverAuth::Components(c.clone())),
    };
    let conn = Connection::receiver(
        ReceiverConfig {
            kind,
            domains: config.domains.clone(),
            tls: config.tls.clone(),
            direct_tls: config.direct_tls,
            auth,
        },
        config.profile.clone(),
        Box::new(rand_core::OsRng),
        Instant::now(),
    )?;
    let mut session = Session::tcp(conn, stream);
    let (tx, rx) = mpsc::sync_channel(config.inbox_capacity.max(1));
    let mut address: Option<String> = None;
    let result = run_session(&mut session, config, routes, stop, &tx, &rx, &mut address);
    if let Some(a) = address {
        lock(routes).remove(&a);
    }
    result
}

fn run_session(
    session: &mut Session<TcpStream>,
    config: &ServerConfig,
    routes: &Routes,
    stop: &AtomicBool,
    tx: &SyncSender<Element>,
    rx: &Receiver<Element>,
    address: &mut Option<String>,
) -> Result<(), Error> {
    let mut closing = false;
    loop {
        if stop.load(Ordering::SeqCst) && !closing {
            closing = true;
            session.connection_mut().close();
        }
        while let Ok(el) = rx.try_recv() {
            if session.connection().is_established() {
                // Between a client and a component stream the content namespace changes.
                let ns = session.connection().kind().content_ns();
                let el = if el.ns() != ns && is_content_ns(el.ns()) {
                    renamespace(&el, ns)
                } else {
                    el
                };
                // A full queue drops the stanza; the sender's copy is gone either way.
                if let Err(e) = session.send(&el) {
                    tracing::debug!(error = %e, "routed stanza not delivered");
                }
            }
        }
        let event = match session.next_event(Some(Instant::now() + config.tick)) {
            Ok(Some(ev)) => ev,
            Ok(None) => continue,
            Err(Error::Closed(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        match event {
            Event::BindRequest { resource } => {
                let taken = |r: &str| {
                    let ident = session.connection().authenticated_identity().unwrap_or("");
                    lock(routes).contains_key(&format!("{ident}/{r}"))
                };
                let resource = match resource {
                    Some(r) if !taken(&r) => r,
                    _ => session.connection_mut().generate_resource(),
                };
                session
                    .connection_mut()
                    .bind(BindDecision::Accept(resource))?;
            }
            Event::Bound(jid) => {
                *address = Some(jid.as_str().to_owned());
                lock(routes).insert(jid.as_str().to_owned(), tx.clone());
            }
            Event::Authenticated { identity, .. }
                if session.connection().kind() == StreamKind::Component =>
            {
                *address = Some(identity.clone());
                lock(routes).insert(identity, tx.clone());
            }
            Event::Stanza(el) => handle_stanza(session, config, routes, address.as_deref(), el)?,
            Event::Closed(reason) => {
                tracing::debug!(?reason, "connection closed");
                return Ok(());
            }
            _ => {}
        }
    }
}

/// The inboxes a `to` address reaches: the exact address, or every resource of a bare JID.
fn recipients(routes: &Routes, to: &str) -> Vec<SyncSender<Element>> {
    let map = lock(routes);
    if let Some(tx) = map.get(to) {
        return vec![tx.clone()];
    }
    let prefix = format!("{to}/");
    let mut found: Vec<_> = map
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v.clone())
        .collect();
    if found.is_empty() {
        // A component serves a whole domain.
        let domain = to.rsplit('@').next().unwrap_or(to);
        let domain = domain.split('/').next().unwrap_or(domain);
        if let Some(tx) = map.get(domain) {
            found.push(tx.clone());
        }
    }
    found
}

fn handle_stanza(
    session: &mut Session<TcpStream>,
    config: &ServerConfig,
    routes: &Routes,
    me: Option<&str>,
    mut el: Element,
) -> Result<(), Error> {
    if el.attr("from").is_none() {
        if let Some(me) = me {
            el.set_attr("from", me.to_owned());
        }
    }
    let to = el.attr("to").map(str::to_owned);
    let for_server = match &to {
        None => true,
        Some(t) => config.domains.iter().any(|d| d == t),
    };
    match el.name() {
        "presence" if to.is_none() => {
            let everyone: Vec<(String, SyncSender<Element>)> = lock(routes)
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (addr, tx) in everyone {
                if Some(addr.as_str()) != me {
                    let mut copy = el.clone();
                    copy.set_attr("to", addr);
                    deliver(&tx, copy);
                }
            }
            // Reflected to the sender (RFC 6121 §4.2.2).
            if let Some(me) = me {
                el.set_attr("to", me.to_owned());
                session.send(&el)?;
            }
        }
        "iq" if for_server => {
            let answer = if el.attr("type") == Some("get")
                && el.has_child("query", "jabber:iq:roster")
            {
                let mut r = reply(&el, "result");
                r.push_child(Element::new("query", "jabber:iq:roster"));
                r
            } else {
                // Results and errors are never answered.
                match error_reply(&el).filter(|_| matches!(el.attr("type"), Some("get" | "set"))) {
                    Some(e) => e,
                    None => return Ok(()),
                }
            };
            session.send(&answer)?;
        }
        _ => {
            let targets = to
                .as_deref()
                .map(|t| recipients(routes, t))
                .unwrap_or_default();
            if targets.is_empty() {
                let bounce = matches!(el.name(), "message" | "iq")
                    && !matches!(el.attr("type"), Some("error" | "result"));
                if let Some(e) = error_reply(&el).filter(|_| bounce) {
                    session.send(&e)?;
                }
            }
            for tx in targets {
                deliver(&tx, el.clone());
            }
        }
    }
    Ok(())
}

/// Hands a stanza to another session's inbox; a full inbox (a slow reader) drops it
/// instead of letting the server buffer without bound.
fn deliver(tx: &SyncSender<Element>, el: Element) {
    match tx.try_send(el) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => tracing::warn!("recipient inbox full; stanza dropped"),
        Err(TrySendError::Disconnected(_)) => {}
    }
}

fn is_content_ns(ns: &str) -> bool {
    StreamKind::from_content_ns(ns).is_some()
}

/// A copy of `el` with its stream content namespace (`jabber:client`, `jabber:server`,
/// `jabber:component:accept`) replaced by `ns`, in every descendant that carries it.
fn renamespace(el: &Element, ns: &str) -> Element {
    let old = el.ns();
    let mut out = Element::new(el.name().to_owned(), ns.to_owned());
    out.set_prefix(el.prefix().map(|p| p.to_owned().into()));
    for attr in el.attrs() {
        out.set_attribute(attr.clone());
    }
    for node in el.nodes() {
        match node {
            Node::Element(child) if child.ns() == old => out.push_child(renamespace(child, ns)),
            other => out.push_node(other.clone()),
        }
    }
    out
}

/// A reply skeleton with `to`/`from` swapped and the id kept.
fn reply(el: &Element, kind: &str) -> Element {
    let mut r = Element::new(el.name().to_owned(), el.ns().to_owned());
    if let Some(id) = el.attr("id") {
        r.set_attr("id", id.to_owned());
    }
    if let Some(from) = el.attr("from") {
        r.set_attr("to", from.to_owned());
    }
    if let Some(to) = el.attr("to") {
        r.set_attr("from", to.to_owned());
    }
    r.set_attr("type", kind.to_owned());
    r
}

/// `<service-unavailable/>` for a stanza nobody can take (`None` for stanzas that must not
/// be answered, e.g. errors).
fn error_reply(el: &Element) -> Option<Element> {
    xmpp_stanza::error_reply_element(
        el,
        xmpp_stanza::StanzaError::new(xmpp_stanza::Condition::ServiceUnavailable),
    )
    .ok()
}
