//! Blocking adapter: the sans-IO XMPP machines of `xmpp-stream` over `std::net`, with no
//! async runtime, executor or thread pool in the dependency tree.
//!
//! - [`Client`]: resolve (SRV through [`dns::SrvResolver`], then A/AAAA), connect with
//!   timeouts, STARTTLS or Direct TLS, SASL and bind, then [`Client::send`],
//!   [`Client::recv`] / [`Client::recv_timeout`] and [`Client::close`]. Keepalives and
//!   protocol timers run from the machine's `poll_timeout` through socket read timeouts, no
//!   background thread.
//! - [`Session`]: the typed client on [`Client`] (the sans-IO
//!   [`ClientSession`](xmpp_im::session::ClientSession) of `xmpp-im`): the roster and initial
//!   presence in RFC 6121 order, typed [`SessionEvent`]s from [`Session::next_event`], an IQ
//!   round trip as one blocking call ([`Session::request`], bounded, typed [`RequestError`]).
//!   The same name and shape as the tokio adapter's `Session`.
//! - [`Driver`]: bring your own socket. Any `Read + Write` drives a
//!   [`Connection`](xmpp_stream::connection::Connection); [`Driver::process`] is the
//!   single step for integrators with their own poll loop (see `examples/mio-poll.rs`).
//! - [`ImServer`]: a complete IM server in one call, thread per connection, on the sans-IO
//!   server core [`xmpp_server`] (re-exported): binding, routing, presence and rosters,
//!   offline messages, the server's IQs, XEP-0114 components on their own listeners.
//!
//! Modules: [`client`], [`session`], [`driver`], [`server`], [`dns`] (SRV lookups feeding the core's
//! resolution plan; why no DNS crate with an async runtime is used), [`socket`] (DSCP
//! marking), [`error`]. Server certificate trust is [`Trust`] (PEM roots, the Mozilla roots,
//! CRLs), the same type as the tokio adapter's: [`ClientConfig::trusting`] turns it into a
//! configuration, [`ClientConfig::new`] takes a complete rustls configuration instead.
//!
//! Examples: `blocking-client` (the command-line contract of the tokio `client` example),
//! `echo-bot` (a bot on [`Session`]), `mio-poll` (bring your own event loop), `idle-memory`
//! (resident memory of an idle client).
//!
//! A complete server and a client on loopback (TLS switched off to keep the example short;
//! every preset requires it):
//!
//! ```
//! use std::sync::Arc;
//! use xmpp_blocking::xmpp_server::Config;
//! use xmpp_blocking::{Client, ClientConfig, Event, ImServer, ServerConfig};
//! use xmpp_stream::profile::{Profile, TlsPolicy};
//!
//! let mut profile = Profile::rfc6120();
//! profile.tls = TlsPolicy::Disabled;
//! profile.allow_plaintext_auth = true;
//! let profile = Arc::new(profile);
//! let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
//! store.add_user("alice", "secret", 4096, &mut rand_core::OsRng)?;
//! let config = ServerConfig::new(
//!     Config::new(["localhost"]),
//!     profile.clone(),
//!     None,
//!     Arc::new(store),
//! );
//! let server = ImServer::bind("127.0.0.1:0", config)?.spawn()?;
//!
//! let config = ClientConfig::plaintext(profile)
//!     .with_server("127.0.0.1", server.local_addr().port());
//! let mut client = Client::connect(&"alice@localhost".parse()?, "secret", &config)?;
//! assert_eq!(client.jid().to_bare().as_str(), "alice@localhost");
//! // The server answers a ping, from its own domain.
//! let ping = xmpp_stanza::Iq::get(Some("localhost".parse()?), "p1", xmpp_stanza::xep::ping::Ping);
//! client.send_stanza(ping)?;
//! match client.recv()? {
//!     Event::Stanza(reply) => assert_eq!(reply.attr("from"), Some("localhost")),
//!     other => panic!("{other:?}"),
//! }
//! client.close()?;
//! server.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod component;
pub mod dns;
pub mod driver;
pub mod error;
mod link;
pub mod server;
pub mod session;
pub mod socket;

pub use client::{Client, ClientConfig};
pub use component::{Component, ComponentConfig};
pub use driver::{Driver, Step};
pub use error::Error;
pub use server::{ImServer, ServerConfig, ServerHandle};
pub use session::{RequestError, Session, SessionEvent};
/// The sans-IO server core [`ImServer`] drives (its `Config` is [`ServerConfig::core`]).
pub use xmpp_server;
pub use xmpp_stream::connection::{AuthMethod, Event, LoginError, NegotiationFailure};
pub use xmpp_stream::stream_management::{SmSession, SmSettings};
pub use xmpp_stream::tls_failure::{CertificateProblem, TlsFailure};
pub use xmpp_stream::trust::{Trust, TrustError};
