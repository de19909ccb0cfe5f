//! The connection state machine: one sans-IO machine per XML stream, for the initiating
//! and the receiving side of client-to-server, server-to-server and component streams.
//!
//! This module owns the negotiation (headers, features, STARTTLS, SASL, resource binding,
//! the legacy session, the XEP-0114 handshake), stanza passing with `from` validation,
//! keepalives, the closing handshake, stream errors and the timers. It never touches a
//! socket or a clock: the caller feeds bytes and time in and takes bytes and events out.
//!
//! ```text
//! conn.handle_input(now, &bytes)   // bytes from the wire, any split
//! conn.handle_timeout(now)         // when poll_timeout() says so
//! conn.handle_eof(now)             // the peer closed the transport
//! conn.poll_transmit()             // bytes to write, in order
//! conn.poll_event()                // Event::StreamOpened, TlsEstablished, ..., Closed
//! conn.poll_timeout()              // the next deadline
//! conn.send(stanza) / conn.close() / conn.close_with_error(err)
//! ```
//!
//! A client and a server machine talking in memory (TLS is switched off here to keep the
//! example short; every preset requires it):
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use xmpp_stream::bind::BindDecision;
//! use xmpp_stream::connection::*;
//! use xmpp_stream::header::StreamKind;
//! use xmpp_stream::profile::{Profile, TlsPolicy};
//! # struct Rng(u64);
//! # impl rand_core::RngCore for Rng {
//! #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
//! #     fn next_u64(&mut self) -> u64 { self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1); self.0 >> 11 }
//! #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u64() as u8 } }
//! #     fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core::Error> { self.fill_bytes(d); Ok(()) }
//! # }
//! # impl rand_core::CryptoRng for Rng {}
//! let mut profile = Profile::rfc6120();
//! profile.tls = TlsPolicy::Disabled;
//! profile.allow_plaintext_auth = true;
//! let profile = Arc::new(profile);
//! let mut store = xmpp_sasl::MemoryStore::new().with_domain("example.com");
//! store.add_user("juliet", "r0m30", 4096, &mut Rng(1)).unwrap();
//! let now = Instant::now();
//! let mut server = Connection::receiver(
//!     ReceiverConfig {
//!         kind: StreamKind::Client,
//!         domains: vec!["example.com".into()],
//!         tls: None,
//!         direct_tls: false,
//!         auth: ReceiverAuth::Sasl(Arc::new(store)),
//!     },
//!     profile.clone(), Box::new(Rng(2)), now,
//! ).unwrap();
//! let mut client = Connection::initiator(
//!     InitiatorConfig {
//!         kind: StreamKind::Client,
//!         to: "example.com".into(),
//!         from: Some("juliet@example.com".into()),
//!         tls: None,
//!         direct_tls: false,
//!         auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::password("juliet", "r0m30").unwrap()),
//!         resource: Some("balcony".into()),
//!     },
//!     profile, Box::new(Rng(3)), now,
//! ).unwrap();
//! // The adapter's loop, with the network replaced by two function calls.
//! for _ in 0..20 {
//!     if let Some(bytes) = client.poll_transmit() { server.handle_input(now, &bytes); }
//!     while let Some(event) = server.poll_event() {
//!         if let Event::BindRequest { resource } = event {
//!             server.bind(BindDecision::Accept(resource.unwrap_or_else(|| "r".into()))).unwrap();
//!         }
//!     }
//!     if let Some(bytes) = server.poll_transmit() { client.handle_input(now, &bytes); }
//!     while client.poll_event().is_some() {}
//! }
//! assert!(client.is_established() && server.is_established());
//! assert_eq!(client.bound_jid().unwrap().as_str(), "juliet@example.com/balcony");
//! ```
//!
//! Role rules are data ([`Role`], [`StreamKind`]); the same code runs every combination.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use rand_core::CryptoRngCore;
use rustls::pki_types::CertificateDer;
use xmpp_jid::{BareJid, FullJid, Jid};

use crate::auth::{ClientAuth, ClientAuthStep, ServerAuth, ServerAuthStep};
use crate::bind::{self, BindDecision, BindError, BindOutcome};
use crate::component;
use crate::features::Features;
use crate::framing::{Framer, Inbound};
use crate::header::{self, Role, StreamKind, Version};
use crate::profile::{Profile, TlsPolicy};
use crate::stream_error::{Condition, StreamError};
use crate::tls::{PeerIdentity, TlsError, TlsLayer};
use crate::tls_failure::TlsFailure;
use crate::xml::{Element, StreamHeader, Writer, ns};

/// What the machine reports to the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A stream header was received (once per stream, i.e. after every restart).
    StreamOpened {
        /// The stream id (ours on the receiving side, the peer's on the initiating side).
        id: String,
        /// The peer's `from`.
        from: Option<String>,
        /// The peer's `to`.
        to: Option<String>,
        /// The negotiated version (`None`: a pre-1.0 or component stream).
        version: Option<Version>,
        /// The stream's language.
        lang: Option<String>,
    },
    /// TLS is established (STARTTLS or Direct TLS); what the peer proved.
    TlsEstablished(PeerIdentity),
    /// Authentication succeeded. The identity is the account's bare JID (c2s), the peer's
    /// domain (s2s) or the component's domain.
    Authenticated {
        /// The SASL mechanism, or `handshake` for XEP-0114.
        mechanism: String,
        /// Who authenticated.
        identity: String,
    },
    /// A SASL attempt failed (initiator: the server's `<failure/>`; receiver: an attempt
    /// was refused). The stream stays open on the receiving side until the retry limit.
    AuthFailed {
        /// The SASL failure condition name (`not-authorized`, ...).
        condition: String,
        /// The failure's text, if any.
        text: Option<String>,
    },
    /// Receiving c2s side: the client asks to bind a resource (`None`: generate one).
    /// Answer with [`Connection::bind`]; input is held until then.
    BindRequest {
        /// The requested resource.
        resource: Option<String>,
    },
    /// A resource is bound (both sides): the session's full JID.
    Bound(FullJid),
    /// Negotiation is complete: stanzas may flow.
    Established,
    /// A stanza (or other first-level element) from the peer.
    Stanza(Element),
    /// The peer sent a stream error.
    StreamError(StreamError),
    /// The stream is over; close the transport once `poll_transmit` is drained.
    Closed(CloseReason),
}

/// Why a stream ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CloseReason {
    /// Both closing tags were exchanged.
    Graceful,
    /// We closed and the peer's closing tag did not come in time.
    CloseTimeout,
    /// We sent this stream error.
    LocalError(StreamError),
    /// The peer sent this stream error.
    PeerError(StreamError),
    /// The transport was closed without a closing handshake.
    TransportClosed,
    /// TLS failed (handshake, certificate or record layer); no closing tag was sent.
    TlsFailed(TlsFailure),
    /// The receiver answered `<starttls/>` with `<failure/>`.
    StartTlsFailed,
    /// The initiator gave up negotiating (policy or failure), after sending its closing tag.
    NegotiationFailed(String),
}

/// Why [`Connection::send`] refused an element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Negotiation is not complete yet.
    #[error("the stream is not established yet")]
    NotReady,
    /// The stream is closing or closed.
    #[error("the stream is closed")]
    Closed,
    /// Too many bytes are waiting for `poll_transmit`.
    #[error("pending output over the limit ({0} bytes)")]
    Backpressure(usize),
    /// This side of an s2s stream carries no stanzas (RFC 6120 §4.3: one stream per
    /// direction).
    #[error("a receiving s2s stream does not send stanzas")]
    WrongDirection,
    /// The element is in another stream kind's content namespace.
    #[error("element namespace {0:?} does not match the stream's content namespace")]
    WrongNamespace(String),
    /// The element cannot be written (invalid name or forbidden character).
    #[error("element cannot be serialised: {0}")]
    Write(String),
}

/// Errors in a machine's configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The profile is inconsistent.
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// TLS is required or Direct TLS asked for, but no TLS configuration was given.
    #[error("TLS is required but no TLS configuration was given")]
    MissingTls,
    /// The TLS layer could not be created.
    #[error("TLS setup failed: {0}")]
    Tls(#[from] TlsError),
    /// A setting does not fit the stream kind (e.g. a c2s initiator without a JID).
    #[error("invalid setup: {0}")]
    Invalid(&'static str),
}

/// How the initiating side authenticates.
pub enum InitiatorAuth {
    /// SASL with these credentials (c2s password, certificate for EXTERNAL, ANONYMOUS).
    Sasl(xmpp_sasl::Credentials),
    /// The XEP-0114 handshake with this shared secret (component streams).
    ComponentSecret(String),
}

impl fmt::Debug for InitiatorAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitiatorAuth::Sasl(c) => f.debug_tuple("Sasl").field(c).finish(),
            InitiatorAuth::ComponentSecret(_) => f.write_str("ComponentSecret(..)"),
        }
    }
}

/// Setup of an initiating machine (a client, an originating server, a component).
#[derive(Debug)]
pub struct InitiatorConfig {
    /// Stream kind.
    pub kind: StreamKind,
    /// The domain to connect to (`to` of the header; the TLS name to verify).
    pub to: String,
    /// c2s: the account's bare JID; s2s: our domain; component: unused.
    pub from: Option<String>,
    /// TLS client configuration (roots, CRLs, client certificate). Required unless the
    /// profile disables TLS.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// XEP-0368 Direct TLS: TLS from the first byte, no STARTTLS.
    pub direct_tls: bool,
    /// Authentication.
    pub auth: InitiatorAuth,
    /// c2s: the resource to ask for (`None`: let the server generate one).
    pub resource: Option<String>,
}

/// How the receiving side authenticates its peers.
pub enum ReceiverAuth {
    /// SASL against this credential store.
    Sasl(Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>),
    /// XEP-0114 components: (component domain, shared secret) pairs.
    Components(Vec<(String, String)>),
}

impl fmt::Debug for ReceiverAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiverAuth::Sasl(_) => f.write_str("Sasl(..)"),
            ReceiverAuth::Components(c) => {
                f.debug_list().entries(c.iter().map(|(d, _)| d)).finish()
            }
        }
    }
}

/// Setup of a receiving machine (a server accepting clients, peers or components).
#[derive(Debug)]
pub struct ReceiverConfig {
    /// Stream kind.
    pub kind: StreamKind,
    /// The domains this server serves; the first is the default `from` for setup errors.
    pub domains: Vec<String>,
    /// TLS server configuration and the end-entity certificate it presents (for
    /// `tls-server-end-point` channel binding).
    pub tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    /// XEP-0368 Direct TLS: TLS from the first byte.
    pub direct_tls: bool,
    /// Authentication.
    pub auth: ReceiverAuth,
}

/// Where the machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the peer's header (initial or response).
    AwaitHeader,
    /// Initiator: header received, waiting for `<stream:features/>`.
    AwaitFeatures,
    /// Receiver: features sent, waiting for the initiator's next negotiation step.
    Negotiating,
    /// Initiator: `<starttls/>` sent.
    AwaitProceed,
    /// TLS handshake after `<proceed/>` (STARTTLS).
    TlsHandshake,
    /// A SASL exchange is running.
    Sasl,
    /// Initiator: bind request sent.
    AwaitBind,
    /// Receiver: a bind request is waiting for the application's decision.
    AwaitBindDecision,
    /// Initiator: legacy session request sent.
    AwaitSession,
    /// Component handshake (both sides).
    AwaitHandshake,
    /// Stanzas flow.
    Established,
    /// Our closing tag is sent; waiting for the peer's.
    Closing,
    /// Over.
    Closed,
}

/// Negotiation progress, discarded in parts at each restart.
#[derive(Debug, Default)]
struct Progress {
    tls_done: bool,
    /// STARTTLS began and no byte of the peer's first TLS record has arrived yet: whitespace
    /// until then is skipped (see [`Connection::feed_ciphertext`]).
    tls_handover: bool,
    /// Authenticated identity (c2s: bare JID, s2s: domain, component: domain).
    identity: Option<String>,
    bound: Option<FullJid>,
    /// Receiver: our response header was sent for the current stream.
    header_sent: bool,
    /// The current stream id.
    stream_id: Option<String>,
    /// The domain we answer as (receiver) on the current stream.
    local_domain: Option<String>,
    /// Peer's `from` on the current stream.
    peer_from: Option<String>,
    /// Negotiated stream version (`None`: legacy or component).
    version: Option<Version>,
    /// Stream language.
    lang: Option<String>,
    /// Pending IQ id (bind / session) on either side.
    pending_iq: Option<String>,
    /// Initiator: a requested resource was refused with conflict once already.
    bind_retried: bool,
    /// Initiator: the server offered a mandatory legacy session.
    session_wanted: bool,
    /// Receiver: `<auth/>` attempts refused because TLS was not negotiated yet.
    plaintext_auth_attempts: u8,
    /// Receiver: legacy session done.
    session_done: bool,
    /// Negotiation completed (stanzas flowed on this stream); after our closing tag,
    /// only such a stream still delivers the peer's stanzas.
    established: bool,
}

/// Role-specific setup, boxed to keep the machine small.
enum Setup {
    Initiator {
        to: String,
        from: Option<String>,
        tls: Option<Arc<rustls::ClientConfig>>,
        auth: Option<ClientAuth>,
        component_secret: Option<String>,
        resource: Option<String>,
    },
    Receiver {
        domains: Vec<String>,
        tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
        auth: Option<ServerAuth>,
        components: Vec<(String, String)>,
    },
}

/// Timers, all optional.
#[derive(Debug, Default, Clone, Copy)]
struct Timers {
    now: Option<Instant>,
    negotiation_deadline: Option<Instant>,
    close_deadline: Option<Instant>,
    next_keepalive: Option<Instant>,
    idle_deadline: Option<Instant>,
}

/// Event slots kept on an idle connection.
const IDLE_EVENT_CAPACITY: usize = 4;

/// One XML stream's state machine (see the [module docs](self)).
pub struct Connection {
    role: Role,
    kind: StreamKind,
    phase: Phase,
    profile: Arc<Profile>,
    rng: Box<dyn CryptoRngCore + Send>,
    framer: Framer,
    writer: Writer,
    tls: Option<Box<TlsLayer>>,
    out: Vec<u8>,
    events: VecDeque<Event>,
    progress: Progress,
    setup: Box<Setup>,
    timers: Timers,
    /// Input is held (a decision is pending or the event queue is full).
    held: bool,
    /// Scratch buffer for decrypted plaintext.
    scratch: Vec<u8>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("kind", &self.kind)
            .field("phase", &self.phase)
            .field("tls", &self.tls.is_some())
            .field("pending_out", &self.out.len())
            .field("pending_events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// An initiating machine. The initial header (or, with Direct TLS, the TLS
    /// ClientHello) is ready in [`poll_transmit`](Self::poll_transmit) at once.
    pub fn initiator(
        config: InitiatorConfig,
        profile: Arc<Profile>,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Result<Connection, ConfigError> {
        profile.validate()?;
        let needs_tls = config.direct_tls
            || (profile.tls == TlsPolicy::Required && config.kind.negotiates_features());
        if needs_tls && config.tls.is_none() {
            return Err(ConfigError::MissingTls);
        }
        let (auth, component_secret) = match (config.kind, config.auth) {
            (StreamKind::Component, InitiatorAuth::ComponentSecret(s)) => (None, Some(s)),
            (StreamKind::Component, InitiatorAuth::Sasl(_)) => {
                return Err(ConfigError::Invalid(
                    "component streams use a shared secret",
                ));
            }
            (_, InitiatorAuth::Sasl(c)) => (Some(ClientAuth::new(c)), None),
            (_, InitiatorAuth::ComponentSecret(_)) => {
                return Err(ConfigError::Invalid(
                    "only component streams use a shared secret",
                ));
            }
        };
        if config.kind == StreamKind::Client {
            match config.from.as_deref().map(BareJid::new) {
                Some(Ok(_)) => {}
                _ => {
                    return Err(ConfigError::Invalid(
                        "a c2s initiator needs its bare JID in `from`",
                    ));
                }
            }
        }
        let mut conn = Connection::blank(Role::Initiator, config.kind, profile, rng, now);
        conn.setup = Box::new(Setup::Initiator {
            to: config.to.clone(),
            from: config.from,
            tls: config.tls.clone(),
            auth,
            component_secret,
            resource: config.resource,
        });
        if config.direct_tls {
            let cfg = config.tls.ok_or(ConfigError::MissingTls)?;
            conn.tls = Some(Box::new(TlsLayer::client(cfg, &config.to)?));
        }
        conn.send_initial_header();
        conn.flush_tls();
        Ok(conn)
    }

    /// A receiving machine, waiting for the initiator's header.
    pub fn receiver(
        config: ReceiverConfig,
        profile: Arc<Profile>,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Result<Connection, ConfigError> {
        profile.validate()?;
        if config.domains.is_empty() {
            return Err(ConfigError::Invalid("a receiver needs at least one domain"));
        }
        let needs_tls = config.direct_tls
            || (profile.tls == TlsPolicy::Required && config.kind.negotiates_features());
        if needs_tls && config.tls.is_none() {
            return Err(ConfigError::MissingTls);
        }
        let (auth, components) = match (config.kind, config.auth) {
            (StreamKind::Component, ReceiverAuth::Components(c)) => (None, c),
            (StreamKind::Component, ReceiverAuth::Sasl(_)) => {
                return Err(ConfigError::Invalid("component streams use shared secrets"));
            }
            (_, ReceiverAuth::Sasl(store)) => (Some(ServerAuth::new(store)), Vec::new()),
            (_, ReceiverAuth::Components(_)) => {
                return Err(ConfigError::Invalid(
                    "only component streams use shared secrets",
                ));
            }
        };
        let mut conn = Connection::blank(Role::Receiver, config.kind, profile, rng, now);
        if config.direct_tls {
            let (cfg, cert) = config.tls.clone().ok_or(ConfigError::MissingTls)?;
            conn.tls = Some(Box::new(TlsLayer::server(cfg, cert)?));
        }
        conn.setup = Box::new(Setup::Receiver {
            domains: config.domains,
            tls: config.tls,
            auth,
            components,
        });
        Ok(conn)
    }

    fn blank(
        role: Role,
        kind: StreamKind,
        profile: Arc<Profile>,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Connection {
        let framer = Framer::new(&profile.limits);
        let timers = Timers {
            now: Some(now),
            negotiation_deadline: profile.negotiation_timeout.map(|d| now + d),
            ..Timers::default()
        };
        Connection {
            role,
            kind,
            phase: Phase::AwaitHeader,
            profile,
            rng,
            framer,
            writer: Writer::new(),
            tls: None,
            out: Vec::new(),
            events: VecDeque::new(),
            progress: Progress::default(),
            setup: Box::new(Setup::Receiver {
                domains: Vec::new(),
                tls: None,
                auth: None,
                components: Vec::new(),
            }),
            timers,
            held: false,
            scratch: Vec::new(),
        }
    }

    // ------------------------------------------------------------------ public API

    /// Which side this machine is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The stream kind.
    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// Whether negotiation is complete and stanzas flow.
    pub fn is_established(&self) -> bool {
        self.phase == Phase::Established
    }

    /// Whether the machine is closed (no more input is read, no more output made).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether the byte path runs through TLS (handshaking or established).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The current stream id, if the header exchange has happened.
    pub fn stream_id(&self) -> Option<&str> {
        self.progress.stream_id.as_deref()
    }

    /// The bound full JID (c2s), once bound.
    pub fn bound_jid(&self) -> Option<&FullJid> {
        self.progress.bound.as_ref()
    }

    /// The authenticated identity, once authenticated.
    pub fn authenticated_identity(&self) -> Option<&str> {
        self.progress.identity.as_deref()
    }

    /// Bytes from the wire. Any split is fine, down to one byte at a time.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.timers.now = Some(now);
        if self.phase == Phase::Closed || bytes.is_empty() {
            return;
        }
        self.touch_rx(now);
        if self.tls.is_some() {
            self.feed_ciphertext(bytes);
        } else {
            self.feed_plain(bytes);
        }
    }

    /// Plaintext to the XML reader. While input is held (the application has not drained
    /// events or output, or owes a bind decision) bytes wait in the reader, up to a bound.
    fn feed_plain(&mut self, bytes: &[u8]) {
        self.framer.feed(bytes);
        let waiting = self.held || self.phase == Phase::AwaitBindDecision;
        if waiting && self.framer.buffered() > self.profile.limits.max_stanza_bytes {
            self.fail(
                StreamError::new(Condition::PolicyViolation)
                    .with_text("en", "too much input while the application is busy"),
            );
            return;
        }
        self.process_input();
    }

    /// The caller's clock; call at [`poll_timeout`](Self::poll_timeout).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.timers.now = Some(now);
        if self.phase == Phase::Closed {
            return;
        }
        if let Some(d) = self.timers.close_deadline {
            if now >= d && self.phase == Phase::Closing {
                self.finish(CloseReason::CloseTimeout);
                return;
            }
        }
        if let Some(d) = self.timers.negotiation_deadline {
            if now >= d && self.phase != Phase::Established && self.phase != Phase::Closing {
                self.fail(
                    StreamError::new(Condition::ConnectionTimeout)
                        .with_text("en", "negotiation took too long"),
                );
                return;
            }
        }
        if let Some(d) = self.timers.idle_deadline {
            if now >= d && self.phase == Phase::Established {
                self.fail(StreamError::new(Condition::ConnectionTimeout));
                return;
            }
        }
        if let Some(d) = self.timers.next_keepalive {
            if now >= d && self.phase == Phase::Established {
                self.write_raw(b" ");
                self.flush_tls();
                self.touch_tx(now);
            }
        }
    }

    /// The transport reached end of file (the peer closed TCP).
    pub fn handle_eof(&mut self, now: Instant) {
        self.timers.now = Some(now);
        if self.phase != Phase::Closed {
            self.finish(CloseReason::TransportClosed);
        }
    }

    /// The bytes to write to the transport, in order (all that are pending).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.out.is_empty() {
            return None;
        }
        let out = std::mem::take(&mut self.out);
        self.resume();
        Some(out)
    }

    /// Resumes reading held input once the application has made room.
    fn resume(&mut self) {
        if self.held
            && self.phase != Phase::AwaitBindDecision
            && self.events.len() < self.profile.limits.max_pending_events
            && self.out.len() <= self.profile.limits.max_pending_output
        {
            self.held = false;
            self.process_input();
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        let ev = self.events.pop_front();
        if self.events.is_empty() && self.events.capacity() > IDLE_EVENT_CAPACITY {
            // Do not keep a burst's worth of event slots on an idle connection.
            self.events = VecDeque::new();
        }
        if ev.is_some() {
            self.resume();
        }
        ev
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        let t = &self.timers;
        let mut candidates = [None; 4];
        if self.phase == Phase::Closing {
            candidates[0] = t.close_deadline;
        } else if self.phase == Phase::Established {
            candidates[1] = t.next_keepalive;
            candidates[2] = t.idle_deadline;
        } else {
            candidates[3] = t.negotiation_deadline;
        }
        candidates.into_iter().flatten().min()
    }

    /// Sends a stanza (or other first-level element) on an established stream.
    pub fn send(&mut self, element: &Element) -> Result<(), SendError> {
        match self.phase {
            Phase::Established => {}
            Phase::Closing | Phase::Closed => return Err(SendError::Closed),
            _ => return Err(SendError::NotReady),
        }
        if self.kind == StreamKind::Server && self.role == Role::Receiver {
            return Err(SendError::WrongDirection);
        }
        let ens = element.ns();
        if ens != self.kind.content_ns() && StreamKind::from_content_ns(ens).is_some() {
            return Err(SendError::WrongNamespace(ens.to_owned()));
        }
        if self.out.len() > self.profile.limits.max_pending_output {
            return Err(SendError::Backpressure(self.out.len()));
        }
        let mut buf = Vec::new();
        self.writer
            .write_element(element, &mut buf)
            .map_err(|e| SendError::Write(e.to_string()))?;
        self.write_raw(&buf);
        self.flush_tls();
        if let Some(now) = self.timers.now {
            self.touch_tx(now);
        }
        Ok(())
    }

    /// Starts the closing handshake: sends `</stream:stream>` and waits (up to the
    /// profile's close timeout) for the peer's.
    pub fn close(&mut self) {
        match self.phase {
            Phase::Closing | Phase::Closed => {}
            _ => {
                self.write_close_tag();
                self.phase = Phase::Closing;
                self.timers.close_deadline =
                    self.timers.now.map(|n| n + self.profile.close_timeout);
            }
        }
    }

    /// Ends the stream with a stream error (e.g. `<conflict/>` when a new session takes
    /// over this one's resource, `<system-shutdown/>`).
    pub fn close_with_error(&mut self, error: StreamError) {
        if self.phase != Phase::Closed {
            self.fail(error);
        }
    }

    /// Receiving c2s side: answers the pending [`Event::BindRequest`].
    pub fn bind(&mut self, decision: BindDecision) -> Result<(), BindStateError> {
        if self.phase != Phase::AwaitBindDecision {
            return Err(BindStateError);
        }
        let id = self.progress.pending_iq.take().unwrap_or_default();
        let ns = self.kind.content_ns();
        match decision {
            BindDecision::Accept(resource) => {
                let identity = self.progress.identity.clone().unwrap_or_default();
                let full = BareJid::new(&identity)
                    .ok()
                    .and_then(|b| b.with_resource_str(&resource).ok());
                match full {
                    Some(full) => {
                        self.write_element(&bind::bind_result(ns, &id, full.as_str()));
                        self.progress.bound = Some(full.clone());
                        self.events.push_back(Event::Bound(full));
                        self.phase = Phase::Negotiating;
                        self.maybe_receiver_established();
                    }
                    None => {
                        self.write_element(&bind::bind_error(ns, &id, BindError::BadRequest));
                        self.phase = Phase::Negotiating;
                    }
                }
            }
            BindDecision::Refuse(err) => {
                self.write_element(&bind::bind_error(ns, &id, err));
                self.phase = Phase::Negotiating;
            }
        }
        self.flush_tls();
        self.held = false;
        self.process_input();
        Ok(())
    }

    /// A random resource in UUID form (RFC 4122 version 4 layout), from the machine's random
    /// source, for servers that generate resources.
    pub fn generate_resource(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let mut s = String::with_capacity(36);
        for (i, byte) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            const HEX: &[u8; 16] = b"0123456789abcdef";
            s.push(char::from(HEX[usize::from(byte >> 4)]));
            s.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        s
    }

    // ------------------------------------------------------------------ byte paths

    fn touch_rx(&mut self, now: Instant) {
        if let Some(idle) = self.profile.idle_timeout {
            self.timers.idle_deadline = Some(now + idle);
        }
    }

    fn touch_tx(&mut self, now: Instant) {
        if let Some(k) = self.profile.keepalive_interval {
            self.timers.next_keepalive = Some(now + k);
        }
    }

    /// Ciphertext in: decrypt, move TLS output to `out`, react to the end of the
    /// handshake, and feed any plaintext to the XML reader.
    ///
    /// Tolerance (DESIGN.md, interoperability rules): deployed clients write a newline after
    /// `<starttls/>` and some servers one after `<proceed/>`; Prosody and ejabberd accept it.
    /// Whitespace between the STARTTLS element and the peer's first TLS record is skipped, in
    /// whatever reads it arrives. It cannot be the start of a record (content types are 20 to
    /// 24, whitespace is 9, 10, 13 and 32), so nothing that TLS would accept is dropped; any
    /// other byte goes to rustls, which refuses it.
    fn feed_ciphertext(&mut self, bytes: &[u8]) {
        let bytes = if self.progress.tls_handover {
            let skip = bytes
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            if skip == bytes.len() {
                return;
            }
            self.progress.tls_handover = false;
            &bytes[skip..]
        } else {
            bytes
        };
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        let was_handshaking = tls.is_handshaking();
        let mut plain = std::mem::take(&mut self.scratch);
        plain.clear();
        let result = tls.read_ciphertext(bytes, &mut plain);
        tls.take_ciphertext(&mut self.out);
        match result {
            Ok(_) => {}
            Err(e) => {
                self.scratch = plain;
                self.finish(CloseReason::TlsFailed(e.into()));
                return;
            }
        }
        let handshake_done = was_handshaking && !tls.is_handshaking();
        let peer_closed = tls.peer_closed();
        if handshake_done {
            self.on_tls_established();
        }
        if !plain.is_empty() && self.phase != Phase::Closed {
            self.feed_plain(&plain);
        }
        self.scratch = plain;
        if peer_closed && self.phase != Phase::Closed {
            self.finish(CloseReason::TransportClosed);
        }
    }

    fn on_tls_established(&mut self) {
        self.progress.tls_done = true;
        if let Some(id) = self.tls.as_ref().and_then(|t| t.peer_identity()) {
            self.events.push_back(Event::TlsEstablished(id));
        }
        if self.phase == Phase::TlsHandshake {
            // STARTTLS: everything learned in the clear is discarded; a new stream begins.
            self.restart_stream();
            if self.role == Role::Initiator {
                self.send_initial_header();
            }
        }
        self.flush_tls();
    }

    /// Moves pending TLS output into `out`.
    fn flush_tls(&mut self) {
        if let Some(tls) = self.tls.as_mut() {
            tls.take_ciphertext(&mut self.out);
        }
    }

    /// Plaintext out, through TLS when active.
    fn write_raw(&mut self, bytes: &[u8]) {
        if let Some(tls) = self.tls.as_mut() {
            if tls.write_plaintext(bytes).is_err() {
                self.finish(CloseReason::TlsFailed(TlsFailure::BufferFull));
                return;
            }
            tls.take_ciphertext(&mut self.out);
        } else {
            self.out.extend_from_slice(bytes);
        }
    }

    fn write_element(&mut self, el: &Element) {
        let mut buf = Vec::new();
        if self.writer.write_element(el, &mut buf).is_ok() {
            self.write_raw(&buf);
        } else {
            tracing::warn!(name = el.name(), "internal element could not be written");
        }
    }

    fn write_close_tag(&mut self) {
        let mut buf = Vec::new();
        self.writer.write_stream_close(&mut buf);
        self.write_raw(&buf);
        self.flush_tls();
    }

    fn write_header(&mut self, header: &StreamHeader) {
        let mut buf = Vec::new();
        if self.writer.write_stream_header(header, &mut buf).is_ok() {
            self.write_raw(&buf);
        } else {
            tracing::warn!("stream header could not be written");
        }
    }

    /// Forgets the current stream (restart after TLS or SASL): parser, writer context and
    /// what was learned about the stream; buffered input bytes are kept.
    fn restart_stream(&mut self) {
        self.framer.restart();
        self.writer.reset();
        self.progress.header_sent = false;
        self.progress.stream_id = None;
        self.phase = Phase::AwaitHeader;
    }

    fn new_stream_id(&mut self) -> String {
        use base64::Engine as _;
        let mut b = [0u8; 18];
        self.rng.fill_bytes(&mut b);
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    fn new_iq_id(&mut self, prefix: &str) -> String {
        let mut b = [0u8; 6];
        self.rng.fill_bytes(&mut b);
        let mut s = String::with_capacity(prefix.len() + 12);
        s.push_str(prefix);
        for byte in b {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            s.push(char::from(HEX[usize::from(byte >> 4)]));
            s.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        s
    }

    // ------------------------------------------------------------------ ending

    /// Sends a stream error (preceded by our header if the receiver has not sent one yet),
    /// the closing tag, and ends the machine.
    fn fail(&mut self, error: StreamError) {
        if self.phase == Phase::Closed {
            return;
        }
        tracing::debug!(condition = %error.condition(), "sending stream error");
        if self.role == Role::Receiver
            && !self.progress.header_sent
            && self.phase != Phase::TlsHandshake
        {
            self.send_response_header(None, Some(Version::V1_0));
        }
        if self.phase != Phase::TlsHandshake && self.phase != Phase::Closing {
            self.write_element(&error.to_element());
            self.write_close_tag();
        }
        self.finish(CloseReason::LocalError(error));
    }

    /// Ends the machine with `reason` (no more bytes are produced except TLS alerts).
    fn finish(&mut self, reason: CloseReason) {
        if self.phase == Phase::Closed {
            return;
        }
        if let Some(tls) = self.tls.as_mut() {
            if !tls.is_handshaking() && !matches!(reason, CloseReason::TlsFailed(_)) {
                tls.send_close_notify();
            }
            tls.take_ciphertext(&mut self.out);
        }
        self.phase = Phase::Closed;
        self.held = false;
        self.events.push_back(Event::Closed(reason));
    }

    /// The initiator gives up: closing tag, then closed.
    fn give_up(&mut self, why: impl Into<String>) {
        let why = why.into();
        tracing::debug!(%why, "negotiation failed");
        self.write_close_tag();
        self.finish(CloseReason::NegotiationFailed(why));
    }

    // ------------------------------------------------------------------ input loop

    fn process_input(&mut self) {
        loop {
            if self.held
                || matches!(
                    self.phase,
                    Phase::Closed | Phase::TlsHandshake | Phase::AwaitBindDecision
                )
            {
                return;
            }
            if self.events.len() >= self.profile.limits.max_pending_events
                || self.out.len() > self.profile.limits.max_pending_output
            {
                self.held = true;
                return;
            }
            match self.framer.next() {
                Ok(None) => {
                    self.framer.release_if_empty();
                    return;
                }
                Ok(Some(Inbound::Header(h))) => self.on_header(h),
                Ok(Some(Inbound::Close)) => self.on_peer_close(),
                Ok(Some(Inbound::Element(el))) => self.on_element(el),
                Err(e) => {
                    self.fail(e);
                    return;
                }
            }
            self.flush_tls();
        }
    }

    fn on_peer_close(&mut self) {
        if self.phase != Phase::Closing {
            self.write_close_tag();
        }
        self.finish(CloseReason::Graceful);
    }

    fn on_header(&mut self, h: StreamHeader) {
        if self.phase != Phase::AwaitHeader {
            // A second header inside the stream.
            self.fail(
                StreamError::new(Condition::BadFormat).with_text("en", "unexpected stream header"),
            );
            return;
        }
        match self.role {
            Role::Receiver => self.on_initial_header(h),
            Role::Initiator => self.on_response_header(h),
        }
    }

    fn on_element(&mut self, el: Element) {
        if el.is("error", ns::STREAM) {
            let err = StreamError::from_element(&el)
                .unwrap_or_else(|_| StreamError::new(Condition::UndefinedCondition));
            self.events.push_back(Event::StreamError(err.clone()));
            if self.phase != Phase::Closing {
                self.write_close_tag();
            }
            self.finish(CloseReason::PeerError(err));
            return;
        }
        match (self.role, self.phase) {
            (_, Phase::AwaitHeader) => {
                self.fail(StreamError::new(Condition::BadFormat));
            }
            (_, Phase::Established) => self.on_stanza(el),
            (_, Phase::Closing) if self.progress.established => self.on_stanza(el),
            // We closed during negotiation: the peer's remaining negotiation elements
            // (found by the conn_structured fuzz target) are not stanzas; drop them.
            (_, Phase::Closing) => {
                tracing::debug!(element = el.name(), "element after our closing tag ignored");
            }
            (Role::Initiator, _) => self.initiator_element(el),
            (Role::Receiver, _) => self.receiver_element(el),
        }
    }

    // ------------------------------------------------------------------ headers

    fn send_initial_header(&mut self) {
        let Setup::Initiator { to, from, .. } = &*self.setup else {
            return;
        };
        let mut h = StreamHeader::new(self.kind.content_ns());
        let send_from = match self.kind {
            StreamKind::Client => self.progress.tls_done || self.profile.client_from_before_tls,
            StreamKind::Server => true,
            StreamKind::Component => false,
        };
        if send_from {
            if let Some(f) = from {
                h = h.with_from(f.clone());
            }
        }
        h = h.with_to(to.clone());
        if self.kind.negotiates_features() {
            h = h.with_version("1.0");
            h = h.with_lang(self.profile.default_lang.clone());
        }
        self.write_header(&h);
        self.flush_tls();
        self.phase = Phase::AwaitHeader;
    }

    /// Receiver: writes our response header. `version` is the negotiated one.
    fn send_response_header(&mut self, peer: Option<&StreamHeader>, version: Option<Version>) {
        let Setup::Receiver { domains, .. } = &*self.setup else {
            return;
        };
        let local = self
            .progress
            .local_domain
            .clone()
            .or_else(|| domains.first().cloned())
            .unwrap_or_default();
        let id = match self.progress.stream_id.clone() {
            Some(id) => id,
            None => {
                let id = self.new_stream_id();
                self.progress.stream_id = Some(id.clone());
                id
            }
        };
        let content_ns = peer
            .and_then(|p| p.content_ns())
            .filter(|c| *c == self.kind.content_ns())
            .unwrap_or(self.kind.content_ns())
            .to_owned();
        let mut h = StreamHeader::new(content_ns).with_from(local).with_id(id);
        if let Some(peer) = peer {
            // c2s: echo the client's `from` in `to` only if it sent one (UCR-ATTR-7);
            // s2s: `to` is the initiator's `from` (UCR-ATTR-8).
            if self.kind != StreamKind::Component {
                if let Some(f) = peer.from() {
                    h = h.with_to(f.to_owned());
                }
            }
        }
        if let Some(v) = version {
            h = h.with_version(v.to_string());
        }
        if self.kind != StreamKind::Component {
            let lang = self
                .progress
                .lang
                .clone()
                .unwrap_or_else(|| self.profile.default_lang.clone());
            h = h.with_lang(lang);
        }
        self.write_header(&h);
        self.progress.header_sent = true;
    }

    fn on_initial_header(&mut self, h: StreamHeader) {
        let Setup::Receiver {
            domains,
            components,
            ..
        } = &*self.setup
        else {
            return;
        };
        // Which domain are we? `to` must name one we serve (components: a configured one).
        let to = h.to().map(str::to_owned);
        let served = match self.kind {
            StreamKind::Component => to
                .as_deref()
                .filter(|t| components.iter().any(|(d, _)| d.eq_ignore_ascii_case(t))),
            _ => to
                .as_deref()
                .filter(|t| domains.iter().any(|d| d.eq_ignore_ascii_case(t))),
        }
        .map(str::to_owned);
        self.progress.local_domain = served.clone();
        self.progress.lang = h
            .lang()
            .filter(|l| header::is_valid_lang(l))
            .map(str::to_owned);
        let semantic = header::StreamHeaderInfo::from_xml(&h);
        let version = match header::check_initial_header(
            &semantic,
            self.kind,
            self.profile.legacy_versions,
        ) {
            Ok(v) => v,
            Err(e) => {
                self.send_response_header(Some(&h), Some(Version::V1_0));
                self.fail(e);
                return;
            }
        };
        if served.is_none() {
            self.send_response_header(Some(&h), version);
            // RFC 6120 §4.9.1.3: a missing or unknown `to` gets our header (with our own
            // domain in `from`), then <host-unknown/>.
            self.fail(StreamError::new(Condition::HostUnknown));
            return;
        }
        if self.kind == StreamKind::Server && h.from().is_none() {
            self.send_response_header(Some(&h), version);
            self.fail(
                StreamError::new(Condition::ImproperAddressing)
                    .with_text("en", "s2s header without from"),
            );
            return;
        }
        self.progress.peer_from = h.from().map(str::to_owned);
        self.progress.version = version;
        self.send_response_header(Some(&h), version);
        let id = self.progress.stream_id.clone().unwrap_or_default();
        self.events.push_back(Event::StreamOpened {
            id,
            from: h.from().map(str::to_owned),
            to,
            version,
            lang: self.progress.lang.clone(),
        });
        match self.kind {
            StreamKind::Component => {
                self.phase = Phase::AwaitHandshake;
            }
            _ if version.is_none() => {
                // Legacy (pre-1.0) peer: no features; nothing can be negotiated here.
                self.phase = Phase::Negotiating;
            }
            _ => {
                self.send_features();
            }
        }
        self.flush_tls();
    }

    fn on_response_header(&mut self, h: StreamHeader) {
        let semantic = header::StreamHeaderInfo::from_xml(&h);
        if let Err(e) = header::check_response_header(&semantic, self.kind) {
            self.fail(e);
            return;
        }
        let id = h.id().unwrap_or_default().to_owned();
        self.progress.stream_id = Some(id.clone());
        self.progress.version = semantic.version.map(|v| v.negotiate(Version::V1_0));
        self.progress.lang = h.lang().map(str::to_owned);
        self.progress.peer_from = h.from().map(str::to_owned);
        self.events.push_back(Event::StreamOpened {
            id: id.clone(),
            from: h.from().map(str::to_owned),
            to: h.to().map(str::to_owned),
            version: self.progress.version,
            lang: self.progress.lang.clone(),
        });
        if self.kind == StreamKind::Component {
            let secret = match &*self.setup {
                Setup::Initiator {
                    component_secret: Some(s),
                    ..
                } => s.clone(),
                _ => String::new(),
            };
            let digest = component::handshake_digest(&id, &secret);
            let el = Element::builder("handshake", ns::COMPONENT_ACCEPT)
                .text(digest)
                .build();
            self.write_element(&el);
            self.phase = Phase::AwaitHandshake;
        } else {
            self.phase = Phase::AwaitFeatures;
        }
    }

    // ------------------------------------------------------------------ receiver

    fn tls_available(&self) -> bool {
        matches!(&*self.setup, Setup::Receiver { tls: Some(_), .. })
            && self.profile.tls != TlsPolicy::Disabled
    }

    /// The features for the current stage (and whether negotiation is complete).
    fn stage_features(&mut self) -> Features {
        let mut f = Features::default();
        if self.progress.identity.is_none() {
            let tls_stage = !self.progress.tls_done && self.tls_available();
            if tls_stage {
                f.starttls = Some(self.profile.tls == TlsPolicy::Required);
            }
            // Mechanisms only after TLS, unless the profile allows authenticating in the
            // clear (never when TLS is required: then the first features hold STARTTLS alone).
            let may_auth = self.progress.tls_done
                || (self.profile.tls != TlsPolicy::Required && self.profile.allow_plaintext_auth);
            if may_auth {
                let transport = self.sasl_transport();
                let profile = self.profile.clone();
                if let Setup::Receiver { auth: Some(a), .. } = &mut *self.setup {
                    f.mechanisms = a.offered(&transport, &profile);
                    let types = a.channel_binding_types(&transport, &profile);
                    f.channel_bindings = (!types.is_empty()).then_some(types);
                }
                if f.mechanisms.is_empty() && !tls_stage {
                    tracing::warn!("no SASL mechanism can be offered on this stream");
                }
            }
        } else if self.kind == StreamKind::Client && self.progress.bound.is_none() {
            f.bind = true;
            if self.profile.legacy_session {
                f.session = Some(true);
            }
        }
        f
    }

    fn send_features(&mut self) {
        let f = self.stage_features();
        self.write_element(&f.to_element());
        if f.negotiation_complete() && self.progress.identity.is_some() {
            self.establish();
        } else {
            self.phase = Phase::Negotiating;
        }
    }

    fn establish(&mut self) {
        self.phase = Phase::Established;
        self.progress.established = true;
        self.timers.negotiation_deadline = None;
        if let Some(now) = self.timers.now {
            self.touch_tx(now);
            self.touch_rx(now);
        }
        self.events.push_back(Event::Established);
    }

    /// Receiver c2s: after bind, negotiation is complete (the optional legacy session may
    /// still come as an IQ on the established stream).
    fn maybe_receiver_established(&mut self) {
        if self.progress.bound.is_some() && self.phase == Phase::Negotiating {
            self.establish();
        }
    }

    fn sasl_transport(&self) -> xmpp_sasl::Transport {
        let mut t = if self.progress.tls_done {
            xmpp_sasl::Transport::tls()
        } else {
            xmpp_sasl::Transport::plaintext()
        };
        if let Some(tls) = self.tls.as_ref().filter(|_| self.progress.tls_done) {
            for kind in [
                crate::tls::ChannelBindingType::TlsExporter,
                crate::tls::ChannelBindingType::TlsServerEndPoint,
            ] {
                if let Some(cb) = tls.channel_binding(kind) {
                    t = t.with_channel_binding(crate::auth::to_sasl_binding(&cb));
                }
            }
            match &*self.setup {
                Setup::Initiator { tls: Some(cfg), .. } => {
                    if cfg.client_auth_cert_resolver.has_certs() {
                        t = t.with_client_certificate();
                    }
                }
                Setup::Receiver { .. } => {
                    if let (Some(id), Some(from)) =
                        (tls.peer_identity(), self.progress.peer_from.as_deref())
                    {
                        for name in crate::auth::certificate_identities(&id, [from]) {
                            t = t.with_peer_identity(name);
                        }
                    }
                }
                Setup::Initiator { .. } => {}
            }
        }
        t
    }

    fn receiver_element(&mut self, el: Element) {
        let ns_ = el.ns().to_owned();
        match (self.phase, ns_.as_str(), el.name()) {
            (Phase::Negotiating, ns::TLS, "starttls") => self.on_starttls(),
            (Phase::Negotiating, ns::SASL, "auth") => self.on_auth(&el),
            (Phase::Sasl, ns::SASL, "response") => self.on_sasl_response(&el),
            (Phase::Sasl, ns::SASL, "abort") | (Phase::Negotiating, ns::SASL, "abort") => {
                self.on_sasl_abort()
            }
            (Phase::AwaitHandshake, ns::COMPONENT_ACCEPT, "handshake") => {
                self.on_component_handshake(&el)
            }
            (Phase::Negotiating, _, "iq")
                if ns_ == self.kind.content_ns()
                    && self.kind == StreamKind::Client
                    && self.progress.identity.is_some()
                    && self.progress.bound.is_none() =>
            {
                self.on_bind_stage_iq(el)
            }
            (_, ns::TLS, _) | (_, ns::SASL, _) => {
                // A negotiation element out of place.
                self.fail(
                    StreamError::new(Condition::PolicyViolation)
                        .with_text("en", "negotiation element out of order"),
                );
            }
            _ => {
                // UCR-STREAM-2: no stanzas before negotiation is complete; also stanzas
                // before bind (RFC 6120 §7.1).
                self.fail(StreamError::new(Condition::NotAuthorized));
            }
        }
    }

    fn on_starttls(&mut self) {
        let offered =
            !self.progress.tls_done && self.tls_available() && self.progress.identity.is_none();
        if !offered {
            let failure = Element::new("failure", ns::TLS);
            self.write_element(&failure);
            self.write_close_tag();
            self.finish(CloseReason::StartTlsFailed);
            return;
        }
        self.write_element(&Element::new("proceed", ns::TLS));
        // TLS starts right after the `>` of <proceed/>: bytes the initiator already sent
        // after <starttls/> are TLS records.
        let rest = self.framer.take_rest();
        let Setup::Receiver {
            tls: Some((cfg, cert)),
            ..
        } = &*self.setup
        else {
            return;
        };
        match TlsLayer::server(cfg.clone(), cert.clone()) {
            Ok(layer) => {
                self.tls = Some(Box::new(layer));
                self.phase = Phase::TlsHandshake;
                self.progress.tls_handover = true;
                if !rest.is_empty() {
                    self.feed_ciphertext(&rest);
                }
            }
            Err(e) => self.finish(CloseReason::TlsFailed(e.into())),
        }
    }

    fn sasl_failure(&mut self, condition: &str, text: Option<&str>) {
        let mut f = Element::new("failure", ns::SASL);
        f.push_child(Element::new(condition.to_owned(), ns::SASL));
        if let Some(t) = text {
            f.push_child(
                Element::builder("text", ns::SASL)
                    .text(t.to_owned())
                    .build(),
            );
        }
        self.write_element(&f);
        self.events.push_back(Event::AuthFailed {
            condition: condition.to_owned(),
            text: text.map(str::to_owned),
        });
        self.phase = Phase::Negotiating;
    }

    fn on_auth(&mut self, el: &Element) {
        if self.progress.identity.is_some() {
            self.fail(
                StreamError::new(Condition::PolicyViolation)
                    .with_text("en", "already authenticated"),
            );
            return;
        }
        if !self.progress.tls_done
            && (self.profile.tls == TlsPolicy::Required || !self.profile.allow_plaintext_auth)
        {
            // UCR-TLS-18: no SASL before TLS, whatever the mechanism.
            self.progress.plaintext_auth_attempts =
                self.progress.plaintext_auth_attempts.saturating_add(1);
            self.sasl_failure("encryption-required", None);
            if self.progress.plaintext_auth_attempts >= self.profile.sasl_max_attempts {
                self.fail(
                    StreamError::new(Condition::PolicyViolation)
                        .with_text("en", "too many authentication attempts"),
                );
            }
            return;
        }
        let mechanism = el.attr("mechanism").map(str::to_owned);
        let initial = xmpp_sasl::wire::decode_auth(&el.text());
        let transport = self.sasl_transport();
        let profile = self.profile.clone();
        let Setup::Receiver {
            auth: Some(auth), ..
        } = &mut *self.setup
        else {
            self.fail(StreamError::new(Condition::InternalServerError));
            return;
        };
        let step = auth.auth(
            mechanism.as_deref(),
            initial,
            &transport,
            &profile,
            &mut *self.rng,
        );
        self.on_server_step(step);
    }

    fn on_sasl_response(&mut self, el: &Element) {
        let data = xmpp_sasl::wire::decode(&el.text());
        let transport = self.sasl_transport();
        let profile = self.profile.clone();
        let Setup::Receiver {
            auth: Some(auth), ..
        } = &mut *self.setup
        else {
            self.fail(StreamError::new(Condition::InternalServerError));
            return;
        };
        let step = auth.response(data, &transport, &profile, &mut *self.rng);
        self.on_server_step(step);
    }

    fn on_sasl_abort(&mut self) {
        let profile = self.profile.clone();
        let Setup::Receiver {
            auth: Some(auth), ..
        } = &mut *self.setup
        else {
            self.fail(StreamError::new(Condition::InternalServerError));
            return;
        };
        let step = auth.abort(&profile);
        self.on_server_step(step);
    }

    fn on_server_step(&mut self, step: ServerAuthStep) {
        match step {
            ServerAuthStep::Challenge(data) => {
                let el = Element::builder("challenge", ns::SASL)
                    .text(xmpp_sasl::wire::encode(&data))
                    .build();
                self.write_element(&el);
                self.phase = Phase::Sasl;
            }
            ServerAuthStep::Failure {
                condition,
                text,
                close,
            } => {
                self.sasl_failure(&condition, text.as_deref());
                if close {
                    // UCR-SASL-28: the retry limit is exhausted.
                    self.fail(
                        StreamError::new(Condition::PolicyViolation)
                            .with_text("en", "too many authentication attempts"),
                    );
                }
            }
            ServerAuthStep::Success {
                mechanism,
                identity,
                additional,
            } => {
                let Some(identity) = self.identity_of(identity) else {
                    self.sasl_failure("not-authorized", None);
                    return;
                };
                let el = Element::builder("success", ns::SASL)
                    .text(xmpp_sasl::wire::encode_auth(additional.as_deref()))
                    .build();
                self.write_element(&el);
                self.progress.identity = Some(identity.clone());
                self.events.push_back(Event::Authenticated {
                    mechanism,
                    identity,
                });
                // The SASL session (and its hold on the credential store) is done.
                if let Setup::Receiver { auth, .. } = &mut *self.setup {
                    *auth = None;
                }
                self.flush_tls();
                // The old stream is replaced from the `>` of <success/> on.
                self.restart_stream();
            }
        }
    }

    /// The identity a SASL success establishes: the account's bare JID for c2s, the peer's
    /// domain for s2s (`None` if it cannot be formed).
    fn identity_of(&mut self, identity: xmpp_sasl::Identity) -> Option<String> {
        let domain = self.progress.local_domain.clone().unwrap_or_default();
        match self.kind {
            StreamKind::Client => {
                let jid = match identity {
                    xmpp_sasl::Identity::User { authcid, authzid } => {
                        authzid.unwrap_or_else(|| format!("{authcid}@{domain}"))
                    }
                    xmpp_sasl::Identity::External { identity, authzid } => {
                        authzid.unwrap_or(identity)
                    }
                    xmpp_sasl::Identity::Anonymous { .. } => {
                        let node = self.generate_resource();
                        format!("{node}@{domain}")
                    }
                    _ => return None,
                };
                BareJid::new(&jid).ok().map(|b| b.as_str().to_owned())
            }
            _ => match identity {
                xmpp_sasl::Identity::External { identity, authzid } => {
                    Some(authzid.unwrap_or(identity))
                }
                xmpp_sasl::Identity::User { authcid, authzid } => Some(authzid.unwrap_or(authcid)),
                _ => None,
            },
        }
    }

    fn on_bind_stage_iq(&mut self, el: Element) {
        let id = el.attr("id").unwrap_or_default().to_owned();
        match bind::parse_bind_request(&el) {
            Some(Ok(resource)) => {
                self.progress.pending_iq = Some(id);
                self.phase = Phase::AwaitBindDecision;
                self.held = true;
                self.events.push_back(Event::BindRequest { resource });
            }
            Some(Err(())) => {
                let ns_ = self.kind.content_ns();
                self.write_element(&bind::bind_error(ns_, &id, BindError::BadRequest));
            }
            None => {
                // Anything else before bind: RFC 6120 §7.1 / UCR-STREAM-2.
                self.fail(StreamError::new(Condition::NotAuthorized));
            }
        }
    }

    fn on_component_handshake(&mut self, el: &Element) {
        let domain = self.progress.local_domain.clone().unwrap_or_default();
        let id = self.progress.stream_id.clone().unwrap_or_default();
        let secret = match &*self.setup {
            Setup::Receiver { components, .. } => components
                .iter()
                .find(|(d, _)| d.eq_ignore_ascii_case(&domain))
                .map(|(_, s)| s.clone()),
            Setup::Initiator { .. } => None,
        };
        match secret {
            Some(secret) if component::verify_handshake(&id, &secret, &el.text()) => {
                self.write_element(&Element::new("handshake", ns::COMPONENT_ACCEPT));
                self.progress.identity = Some(domain.clone());
                self.events.push_back(Event::Authenticated {
                    mechanism: "handshake".into(),
                    identity: domain,
                });
                self.establish();
            }
            _ => self.fail(StreamError::new(Condition::NotAuthorized)),
        }
    }

    // ------------------------------------------------------------------ initiator

    fn initiator_element(&mut self, el: Element) {
        let ns_ = el.ns().to_owned();
        match (self.phase, ns_.as_str(), el.name()) {
            (Phase::AwaitFeatures, ns::STREAM, "features") => self.on_features(&el),
            (Phase::AwaitProceed, ns::TLS, "proceed") => self.on_proceed(),
            (Phase::AwaitProceed, ns::TLS, "failure") => {
                // The receiver closes the stream after <failure/>; so do we.
                self.write_close_tag();
                self.finish(CloseReason::StartTlsFailed);
            }
            (Phase::Sasl, ns::SASL, "challenge") => self.on_challenge(&el),
            (Phase::Sasl, ns::SASL, "success") => self.on_success(&el),
            (Phase::Sasl, ns::SASL, "failure") | (Phase::Sasl, ns::SASL, "aborted") => {
                let condition = el
                    .children()
                    .find(|c| c.name() != "text")
                    .map(|c| c.name().to_owned())
                    .unwrap_or_else(|| {
                        if el.name() == "aborted" {
                            "aborted".into()
                        } else {
                            "not-authorized".into()
                        }
                    });
                let text = el.child_text("text", ns::SASL).map(|t| t.trim().to_owned());
                self.events.push_back(Event::AuthFailed {
                    condition: condition.clone(),
                    text,
                });
                self.give_up(format!("authentication failed: {condition}"));
            }
            (Phase::AwaitBind, _, "iq") if ns_ == self.kind.content_ns() => {
                self.on_bind_answer(&el)
            }
            (Phase::AwaitSession, _, "iq") if ns_ == self.kind.content_ns() => {
                if el.attr("id") == self.progress.pending_iq.as_deref() {
                    self.progress.pending_iq = None;
                    // An error answer to the optional legacy step is not fatal.
                    self.establish();
                } else {
                    self.fail(StreamError::new(Condition::NotAuthorized));
                }
            }
            (Phase::AwaitHandshake, ns::COMPONENT_ACCEPT, "handshake") => {
                let domain = match &*self.setup {
                    Setup::Initiator { to, .. } => to.clone(),
                    Setup::Receiver { .. } => String::new(),
                };
                self.progress.identity = Some(domain.clone());
                self.events.push_back(Event::Authenticated {
                    mechanism: "handshake".into(),
                    identity: domain,
                });
                self.establish();
            }
            _ => {
                self.fail(
                    StreamError::new(Condition::UnsupportedStanzaType)
                        .with_text("en", "unexpected element during negotiation"),
                );
            }
        }
    }

    fn on_features(&mut self, el: &Element) {
        let features = match Features::from_element(el) {
            Ok(f) => f,
            Err(e) => {
                self.fail(StreamError::new(Condition::BadFormat).with_text("en", e.to_string()));
                return;
            }
        };
        let has_tls_config = matches!(&*self.setup, Setup::Initiator { tls: Some(_), .. });
        // 1. TLS.
        if !self.progress.tls_done {
            let can_tls = has_tls_config && self.profile.tls != TlsPolicy::Disabled;
            match features.starttls {
                Some(_) if can_tls => {
                    self.write_element(&Element::new("starttls", ns::TLS));
                    self.phase = Phase::AwaitProceed;
                    return;
                }
                Some(true) => {
                    self.give_up("the server requires TLS, which is not configured");
                    return;
                }
                _ if self.profile.tls == TlsPolicy::Required => {
                    // No downgrade: a client told TLS is required never continues in plaintext.
                    self.give_up("TLS is required but the server does not offer STARTTLS");
                    return;
                }
                _ => {}
            }
        }
        // 2. SASL.
        if self.progress.identity.is_none() {
            if !self.progress.tls_done && !self.profile.allow_plaintext_auth {
                self.give_up("refusing to authenticate without TLS");
                return;
            }
            if features.mechanisms.is_empty() {
                self.give_up("the server offers no SASL mechanism");
                return;
            }
            let mut transport = self.sasl_transport();
            transport.advertised_channel_bindings = features.known_channel_bindings();
            let profile = self.profile.clone();
            let Setup::Initiator {
                auth: Some(auth), ..
            } = &mut *self.setup
            else {
                self.give_up("no credentials configured");
                return;
            };
            match auth.start(&features.mechanisms, &transport, &profile, &mut *self.rng) {
                Ok((name, initial)) => {
                    let el = Element::builder("auth", ns::SASL)
                        .attr("mechanism", name)
                        .text(xmpp_sasl::wire::encode_auth(initial.as_deref()))
                        .build();
                    self.write_element(&el);
                    self.phase = Phase::Sasl;
                }
                Err(why) => self.give_up(why),
            }
            return;
        }
        // 3. Bind (c2s).
        if self.kind == StreamKind::Client && self.progress.bound.is_none() {
            if !features.bind {
                self.give_up("the server offers no resource binding");
                return;
            }
            self.progress.session_wanted = features.session == Some(false);
            self.send_bind_request(true);
            return;
        }
        self.establish();
    }

    fn send_bind_request(&mut self, with_resource: bool) {
        let resource = match &*self.setup {
            Setup::Initiator { resource, .. } if with_resource => resource.clone(),
            _ => None,
        };
        let id = self.new_iq_id("bind_");
        self.progress.pending_iq = Some(id.clone());
        let iq = bind::bind_request(self.kind.content_ns(), &id, resource.as_deref());
        self.write_element(&iq);
        self.phase = Phase::AwaitBind;
    }

    fn on_proceed(&mut self) {
        let rest = self.framer.take_rest();
        if rest
            .iter()
            .any(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            // No byte after <proceed/> may be read as XML, and the receiver may not send
            // anything before our ClientHello: these bytes are an attack or a bug. Whitespace
            // is the tolerated exception (see `feed_ciphertext`).
            self.finish(CloseReason::TlsFailed(TlsFailure::PlaintextAfterProceed));
            return;
        }
        let Setup::Initiator {
            tls: Some(cfg), to, ..
        } = &*self.setup
        else {
            return;
        };
        match TlsLayer::client(cfg.clone(), to) {
            Ok(layer) => {
                self.tls = Some(Box::new(layer));
                self.phase = Phase::TlsHandshake;
                self.progress.tls_handover = true;
                self.flush_tls();
            }
            Err(e) => self.finish(CloseReason::TlsFailed(e.into())),
        }
    }

    fn on_challenge(&mut self, el: &Element) {
        let data = match xmpp_sasl::wire::decode(&el.text()) {
            Ok(d) => d,
            Err(_) => {
                self.write_element(&Element::new("abort", ns::SASL));
                self.give_up("the server sent a badly encoded challenge");
                return;
            }
        };
        let Setup::Initiator {
            auth: Some(auth), ..
        } = &mut *self.setup
        else {
            return;
        };
        match auth.step(&data) {
            ClientAuthStep::Respond(resp) => {
                let el = Element::builder("response", ns::SASL)
                    .text(xmpp_sasl::wire::encode(&resp))
                    .build();
                self.write_element(&el);
            }
            ClientAuthStep::Abort(why) => {
                self.write_element(&Element::new("abort", ns::SASL));
                self.phase = Phase::Sasl;
                tracing::debug!(%why, "aborting SASL");
            }
        }
    }

    fn on_success(&mut self, el: &Element) {
        let additional = match xmpp_sasl::wire::decode_auth(&el.text()) {
            Ok(d) => d,
            Err(_) => {
                self.give_up("the server sent badly encoded success data");
                return;
            }
        };
        let Setup::Initiator {
            auth: auth_slot @ Some(_),
            from,
            to,
            ..
        } = &mut *self.setup
        else {
            return;
        };
        let Some(auth) = auth_slot.as_mut() else {
            return;
        };
        let mechanism = auth.mechanism_name().to_owned();
        if let Err(why) = auth.finish(additional.as_deref()) {
            // The server could not prove it knows our credentials (SCRAM): do not trust it.
            self.give_up(why);
            return;
        }
        // The credentials and the mechanism state are not needed any more: forget them.
        *auth_slot = None;
        let identity = match self.kind {
            StreamKind::Client => from.clone().unwrap_or_default(),
            _ => to.clone(),
        };
        self.progress.identity = Some(identity.clone());
        self.events.push_back(Event::Authenticated {
            mechanism,
            identity,
        });
        self.restart_stream();
        self.send_initial_header();
    }

    fn on_bind_answer(&mut self, el: &Element) {
        if el.attr("id") != self.progress.pending_iq.as_deref() {
            self.fail(StreamError::new(Condition::NotAuthorized));
            return;
        }
        self.progress.pending_iq = None;
        match bind::parse_bind_answer(el) {
            BindOutcome::Bound(jid) => match FullJid::new(&jid) {
                Ok(full) => {
                    self.progress.bound = Some(full.clone());
                    self.events.push_back(Event::Bound(full));
                    let session_needed = self.profile.legacy_session && self.server_wants_session();
                    if session_needed {
                        let id = self.new_iq_id("sess_");
                        self.progress.pending_iq = Some(id.clone());
                        self.write_element(&bind::session_request(self.kind.content_ns(), &id));
                        self.phase = Phase::AwaitSession;
                    } else {
                        self.establish();
                    }
                }
                Err(_) => self.give_up("the server assigned an invalid JID"),
            },
            BindOutcome::Refused(Some(BindError::Conflict)) if !self.progress.bind_retried => {
                // Policy 3: our resource is taken; let the server generate one.
                self.progress.bind_retried = true;
                self.send_bind_request(false);
            }
            BindOutcome::Refused(e) => {
                let why = e.map_or("unknown", BindError::condition);
                self.give_up(format!("resource binding refused: {why}"));
            }
            BindOutcome::Malformed => self.give_up("malformed bind result"),
        }
    }

    fn server_wants_session(&self) -> bool {
        self.progress.session_wanted
    }

    // ------------------------------------------------------------------ stanzas

    fn on_stanza(&mut self, mut el: Element) {
        let ns_ = el.ns().to_owned();
        if ns_ == ns::STREAM {
            self.fail(StreamError::new(Condition::UnsupportedStanzaType));
            return;
        }
        if StreamKind::from_content_ns(&ns_).is_some() && ns_ != self.kind.content_ns() {
            // UCR-NS-8.
            self.fail(StreamError::new(Condition::InvalidNamespace));
            return;
        }
        let is_stanza =
            ns_ == self.kind.content_ns() && matches!(el.name(), "message" | "presence" | "iq");
        if ns_ == self.kind.content_ns() && !is_stanza {
            self.fail(StreamError::new(Condition::UnsupportedStanzaType));
            return;
        }
        if is_stanza && self.role == Role::Receiver {
            if let Err(e) = self.check_addresses(&mut el) {
                self.fail(e);
                return;
            }
            // Legacy session IQ after bind: answer it here.
            if self.kind == StreamKind::Client
                && bind::is_session_request(&el)
                && !self.progress.session_done
            {
                self.progress.session_done = true;
                let id = el.attr("id").unwrap_or_default().to_owned();
                let reply = bind::iq_result(self.kind.content_ns(), &id);
                self.write_element(&reply);
                return;
            }
        }
        self.events.push_back(Event::Stanza(el));
    }

    /// The receiving side's `to`/`from` rules.
    fn check_addresses(&self, el: &mut Element) -> Result<(), StreamError> {
        match self.kind {
            StreamKind::Client => {
                let Some(full) = self.progress.bound.as_ref() else {
                    return Err(StreamError::new(Condition::NotAuthorized));
                };
                match el.attr("from") {
                    None => {
                        el.set_attr("from", full.as_str().to_owned());
                    }
                    Some(f) => {
                        let ok = match Jid::new(f) {
                            Ok(j) => {
                                j.as_str() == full.as_str() || j.as_str() == full.to_bare().as_str()
                            }
                            Err(_) => false,
                        };
                        if !ok {
                            // A client cannot speak for another account or resource.
                            return Err(StreamError::new(Condition::InvalidFrom));
                        }
                    }
                }
                Ok(())
            }
            StreamKind::Server | StreamKind::Component => {
                let (Some(from), Some(to)) = (el.attr("from"), el.attr("to")) else {
                    return Err(StreamError::new(Condition::ImproperAddressing));
                };
                let (Ok(from), Ok(to)) = (Jid::new(from), Jid::new(to)) else {
                    return Err(StreamError::new(Condition::ImproperAddressing));
                };
                let peer = self.progress.identity.as_deref().unwrap_or_default();
                let from_ok = match self.kind {
                    StreamKind::Component => is_same_or_subdomain(from.domain(), peer),
                    _ => from.domain().eq_ignore_ascii_case(peer),
                };
                if !from_ok {
                    return Err(StreamError::new(Condition::InvalidFrom));
                }
                if self.kind == StreamKind::Server {
                    let served = match &*self.setup {
                        Setup::Receiver { domains, .. } => {
                            domains.iter().any(|d| d.eq_ignore_ascii_case(to.domain()))
                        }
                        Setup::Initiator { .. } => true,
                    };
                    if !served {
                        return Err(StreamError::new(Condition::HostUnknown));
                    }
                }
                Ok(())
            }
        }
    }
}

/// Whether `domain` is `parent` or a subdomain of it (ASCII case-insensitive).
fn is_same_or_subdomain(domain: &str, parent: &str) -> bool {
    if domain.eq_ignore_ascii_case(parent) {
        return true;
    }
    let (d, p) = (domain.as_bytes(), parent.as_bytes());
    d.len() > p.len() + 1
        && d[d.len() - p.len() - 1] == b'.'
        && d[d.len() - p.len()..].eq_ignore_ascii_case(p)
}

/// [`Connection::bind`] was called with no bind request pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no bind request is pending")]
pub struct BindStateError;
