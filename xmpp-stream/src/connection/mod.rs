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
//!
//! Where things are: this file holds the machine and its public API; `state.rs` its state
//! (the phase, typed per role so that one role's steps cannot be written on the other, the
//! role's setup and own progress, the progress both keep); `config.rs` the setup types,
//! `event.rs` what it reports, `error.rs` its refusals; `bytes.rs` the byte paths (plaintext,
//! TLS, the input loop, endings); `headers.rs` the stream headers; `receiver.rs` the receiving
//! side's negotiation (features, STARTTLS, the SASL steps, bind requests and decisions, the
//! component handshake); `initiator.rs` the initiating side's (features, STARTTLS, mechanism
//! choice, bind, session, handshake); `stanzas.rs` the address checks on established streams;
//! `login.rs` the one reading of an initiator's events as a login outcome.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use rand_core::CryptoRngCore;
use xmpp_jid::{BareJid, FullJid};

use crate::auth::{ClientAuth, ServerAuth};
use crate::bind::BindDecision;
use crate::framing::Framer;
use crate::header::{Role, StreamKind};
use crate::profile::{Profile, TlsPolicy};
use crate::stream_error::{StreamCondition, StreamError};
use crate::tls::TlsLayer;
use crate::xml::{Element, Writer};

mod bytes;
mod config;
mod error;
mod event;
mod headers;
mod initiator;
mod login;
mod receiver;
#[cfg(test)]
mod release_tests;
mod stanzas;
mod state;
mod stream_management;

pub use config::{InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig};
pub use error::{BindStateError, ConfigError, ResumeStateError, SendError};
pub use event::{AuthMethod, CloseReason, Event, NegotiationFailure};
pub use login::{LoggedIn, Login, LoginError};
use state::{Phase, Progress, Side};

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

/// Bytes of output (and encoding) buffer kept once drained: enough for a typical stanza and
/// its TLS record, so a busy connection writes without allocating, while an idle one holds
/// little (thousands of idle connections are the common case for a server).
const IDLE_OUTPUT_CAPACITY: usize = 1024;

/// One XML stream's state machine (see the [module docs](self)).
pub struct Connection {
    kind: StreamKind,
    profile: Arc<Profile>,
    rng: Box<dyn CryptoRngCore + Send>,
    framer: Framer,
    writer: Writer,
    tls: Option<Box<TlsLayer>>,
    /// Bytes for the transport; `out[out_head..]` is still to be written.
    out: Vec<u8>,
    out_head: usize,
    /// Reused for encoding elements before TLS encrypts them.
    encode_buf: Vec<u8>,
    events: VecDeque<Event>,
    progress: Progress,
    /// The role, its phase, setup and own progress.
    side: Box<Side>,
    timers: Timers,
    /// Input is held (a decision is pending or the event queue is full).
    held: bool,
    /// Scratch buffer for decrypted plaintext.
    scratch: Vec<u8>,
    /// Stream management (XEP-0198), when turned on.
    sm: Option<Box<stream_management::SmLink>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role())
            .field("kind", &self.kind)
            .field("phase", self.side.phase_debug())
            .field("tls", &self.tls.is_some())
            .field("pending_out", &self.pending_out_len())
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
        let side = Side::Initiator {
            phase: Phase::AwaitHeader,
            to: config.to.clone(),
            from: config.from,
            tls: config.tls.clone(),
            auth,
            component_secret,
            resource: config.resource,
            refused_header: None,
            bind_retried: false,
            session_wanted: false,
        };
        let mut conn = Connection::blank(side, config.kind, profile, rng, now);
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
        // The certificate (for `tls-server-end-point`) goes to the TLS layer when it is made;
        // the side keeps the configuration (STARTTLS is offered from it) without a second
        // copy of the certificate.
        let (tls, side_tls) = match config.tls {
            Some((cfg, cert)) if config.direct_tls => (
                Some(Box::new(TlsLayer::server(cfg.clone(), cert)?)),
                Some((cfg, None)),
            ),
            Some(tls) => (None, Some(tls)),
            None if config.direct_tls => return Err(ConfigError::MissingTls),
            None => (None, None),
        };
        let side = Side::Receiver {
            phase: Phase::AwaitHeader,
            domains: config.domains,
            tls: side_tls,
            auth,
            components,
            local_domain: None,
            header_sent: false,
            plaintext_auth_attempts: 0,
            session_done: false,
        };
        let mut conn = Connection::blank(side, config.kind, profile, rng, now);
        conn.tls = tls;
        Ok(conn)
    }

    fn blank(
        side: Side,
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
            kind,
            profile,
            rng,
            framer,
            writer: Writer::new(),
            tls: None,
            out: Vec::new(),
            out_head: 0,
            encode_buf: Vec::new(),
            events: VecDeque::new(),
            progress: Progress::default(),
            side: Box::new(side),
            timers,
            held: false,
            scratch: Vec::new(),
            sm: None,
        }
    }

    // ------------------------------------------------------------------ public API

    /// Which side this machine is.
    pub fn role(&self) -> Role {
        self.side.role()
    }

    /// The stream kind.
    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// Whether negotiation is complete and stanzas flow.
    pub fn is_established(&self) -> bool {
        self.phase() == Phase::Established
    }

    /// Whether the machine is closed (no more input is read, no more output made).
    pub fn is_closed(&self) -> bool {
        self.phase() == Phase::Closed
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
        if self.phase() == Phase::Closed || bytes.is_empty() {
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
        let waiting = self.held || self.owes_decision();
        if waiting && self.framer.buffered() > self.profile.limits.max_stanza_bytes {
            self.fail(
                StreamError::new(StreamCondition::PolicyViolation)
                    .with_text("en", "too much input while the application is busy"),
            );
            return;
        }
        self.process_input();
    }

    /// The caller's clock; call at [`poll_timeout`](Self::poll_timeout).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.timers.now = Some(now);
        if self.phase() == Phase::Closed {
            return;
        }
        if let Some(d) = self.timers.close_deadline {
            if now >= d && self.phase() == Phase::Closing {
                self.finish(CloseReason::CloseTimeout);
                return;
            }
        }
        if let Some(d) = self.timers.negotiation_deadline {
            if now >= d && self.phase() != Phase::Established && self.phase() != Phase::Closing {
                self.fail(
                    StreamError::new(StreamCondition::ConnectionTimeout)
                        .with_text("en", "negotiation took too long"),
                );
                return;
            }
        }
        if let Some(d) = self.timers.idle_deadline {
            if now >= d && self.phase() == Phase::Established {
                self.fail(StreamError::new(StreamCondition::ConnectionTimeout));
                return;
            }
        }
        if let Some(d) = self.timers.next_keepalive {
            if now >= d && self.phase() == Phase::Established {
                self.write_raw(b" ");
                self.flush_tls();
                self.touch_tx(now);
            }
        }
        if self.phase() == Phase::Established {
            self.sm_handle_timeout(now);
        }
    }

    /// The transport reached end of file (the peer closed TCP).
    pub fn handle_eof(&mut self, now: Instant) {
        self.timers.now = Some(now);
        if self.phase() != Phase::Closed {
            self.finish(CloseReason::TransportClosed);
        }
    }

    /// The bytes to write to the transport, in order (all that are pending), as a new
    /// vector. [`pending_transmit`](Self::pending_transmit) and
    /// [`consume_transmit`](Self::consume_transmit) write without that allocation.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.pending_out_len() == 0 {
            return None;
        }
        let out = if self.out_head == 0 {
            std::mem::take(&mut self.out)
        } else {
            self.out[self.out_head..].to_vec()
        };
        self.consume_transmit(out.len());
        Some(out)
    }

    /// The bytes waiting for the transport, in order, borrowed (no copy): write some or all
    /// of them, then report how many with [`consume_transmit`](Self::consume_transmit).
    ///
    /// ```
    /// # fn demo(conn: &mut xmpp_stream::connection::Connection, socket: &mut impl std::io::Write) -> std::io::Result<()> {
    /// while !conn.pending_transmit().is_empty() {
    ///     let written = socket.write(conn.pending_transmit())?;
    ///     conn.consume_transmit(written);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pending_transmit(&self) -> &[u8] {
        &self.out[self.out_head..]
    }

    /// `n` bytes of [`pending_transmit`](Self::pending_transmit) were written (more than
    /// are pending counts as all). Once everything is written the buffer is reused (or, when
    /// a burst made it large, released), and input held back by full output resumes.
    pub fn consume_transmit(&mut self, n: usize) {
        self.out_head = (self.out_head + n).min(self.out.len());
        if self.out_head == self.out.len() {
            self.out_head = 0;
            if self.out.capacity() > IDLE_OUTPUT_CAPACITY {
                self.out = Vec::new();
            } else {
                self.out.clear();
            }
        }
        self.resume_input();
    }

    /// Frees the machine's work buffers that hold nothing: the output buffer once written,
    /// the encoding and decryption scratch buffers, the event queue once drained and the XML
    /// reader's input buffer and tree-building scratch space. Nothing observable changes;
    /// the next input or output allocates them again.
    ///
    /// A busy connection reuses these buffers from one stanza to the next (no allocation per
    /// stanza); an idle one does not need them. A driver calls this when negotiation is over
    /// and whenever a connection has been quiet for a while (the tokio driver: after a second
    /// without input, commands or events), so that thousands of idle connections keep only
    /// their state.
    pub fn release_buffers(&mut self) {
        if self.pending_out_len() == 0 {
            self.out = Vec::new();
            self.out_head = 0;
        }
        // Both are emptied before each use: their contents are never read again.
        self.encode_buf = Vec::new();
        self.scratch = Vec::new();
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        self.framer.release_buffers();
        self.sm_release_buffers();
    }

    /// Bytes not yet handed to the transport.
    fn pending_out_len(&self) -> usize {
        self.out.len() - self.out_head
    }

    /// Resumes reading held input once the application has made room.
    fn resume_input(&mut self) {
        if self.held
            && !self.owes_decision()
            && self.events.len() < self.profile.limits.max_pending_events
            && self.pending_out_len() <= self.profile.limits.max_pending_output
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
            self.resume_input();
        }
        ev
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase() == Phase::Closed {
            return None;
        }
        let t = &self.timers;
        let mut candidates = [None; 5];
        if self.phase() == Phase::Closing {
            candidates[0] = t.close_deadline;
        } else if self.phase() == Phase::Established {
            candidates[1] = t.next_keepalive;
            candidates[2] = t.idle_deadline;
            candidates[4] = self.sm_timeout();
        } else {
            candidates[3] = t.negotiation_deadline;
        }
        candidates.into_iter().flatten().min()
    }

    /// Sends a stanza (or other first-level element) on an established stream.
    pub fn send(&mut self, element: &Element) -> Result<(), SendError> {
        match self.phase() {
            Phase::Established => {}
            Phase::Closing | Phase::Closed => return Err(SendError::Closed),
            _ => return Err(SendError::NotReady),
        }
        if self.kind == StreamKind::Server && self.role() == Role::Receiver {
            return Err(SendError::WrongDirection);
        }
        let ens = element.ns();
        if ens != self.kind.content_ns() && StreamKind::from_content_ns(ens).is_some() {
            return Err(SendError::WrongNamespace(ens.to_owned()));
        }
        if self.pending_out_len() > self.profile.limits.max_pending_output {
            return Err(SendError::Backpressure(self.pending_out_len()));
        }
        let stanza = ens == self.kind.content_ns()
            && matches!(element.name(), "message" | "presence" | "iq");
        let managed = if stanza {
            self.sm_check_outbound(element)?
        } else {
            None
        };
        self.encode(element)?;
        if let Some(weight) = managed {
            self.sm_record_outbound(element, weight, self.timers.now);
        }
        self.flush_tls();
        if let Some(now) = self.timers.now {
            self.touch_tx(now);
        }
        Ok(())
    }

    /// Starts the closing handshake: sends `</stream:stream>` and waits (up to the
    /// profile's close timeout) for the peer's.
    pub fn close(&mut self) {
        match self.phase() {
            Phase::Closing | Phase::Closed => {}
            _ => {
                self.sm_ack_before_close();
                self.write_close_tag();
                self.set_phase(Phase::Closing);
                self.timers.close_deadline =
                    self.timers.now.map(|n| n + self.profile.close_timeout);
            }
        }
    }

    /// Ends the stream with a stream error (e.g. `<conflict/>` when a new session takes
    /// over this one's resource, `<system-shutdown/>`).
    pub fn close_with_error(&mut self, error: StreamError) {
        if self.phase() != Phase::Closed {
            self.fail(error);
        }
    }

    /// Receiving c2s side: answers the pending [`Event::BindRequest`].
    pub fn bind(&mut self, decision: BindDecision) -> Result<(), BindStateError> {
        if !self.owes_bind_decision() {
            return Err(BindStateError);
        }
        self.on_bind_decision(decision);
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
}
