//! Tokio adapter for the sans-IO XMPP machines of [`xmpp_stream`]: a driver task per
//! connection, a client [`Client::connect`] (the free [`connect`] is the same) with SRV
//! resolution and happy eyeballs, a component [`Component::connect`], a server accept loop
//! ([`serve`]), and a complete IM server in one call ([`serve_im`]) on the sans-IO server core
//! [`xmpp_server`] (re-exported). The adapter holds no protocol logic: bytes, timers and queues
//! only.
//!
//! The accept loop alone, with bind requests answered by hand ([`serve_im`]'s docs show the
//! complete server):
//!
//! ```
//! use std::sync::Arc;
//! use xmpp_stream::bind::BindDecision;
//! use xmpp_stream::connection::Event;
//! use xmpp_stream::profile::{Profile, TlsPolicy};
//! use xmpp_tokio::{ClientConfig, ServerConfig, connect, serve};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Loopback only: TLS off to keep the example short (every preset requires TLS).
//! let mut profile = Profile::rfc6120();
//! profile.tls = TlsPolicy::Disabled;
//! profile.allow_plaintext_auth = true;
//! let profile = Arc::new(profile);
//!
//! let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
//! store.add_user("alice", "secret", 4096, &mut rand_core::OsRng)?;
//! let mut config = ServerConfig::new(vec!["localhost".into()], None, Arc::new(store));
//! config.profile = profile.clone();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = serve(listener, config, |mut incoming| {
//!     tokio::spawn(async move {
//!         while let Some(event) = incoming.events.next().await {
//!             if let Event::BindRequest { resource } = event {
//!                 let r = resource.unwrap_or_else(|| "generated".into());
//!                 let _ = incoming.handle.bind(BindDecision::Accept(r)).await;
//!             }
//!         }
//!     });
//! })?;
//!
//! let mut client = ClientConfig::plaintext(profile);
//! client.server = Some(("127.0.0.1".into(), server.local_addr().port()));
//! let session = connect(&"alice@localhost".parse()?, "secret", &client).await?;
//! assert_eq!(session.jid.to_bare().as_str(), "alice@localhost");
//! session.handle.close().await?;
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Modules: [`driver`] (the per-connection task, [`Handle`], [`Events`]), [`client`]
//! ([`Client::connect`]), [`component`] ([`Component::connect`]), [`server`] ([`serve`]),
//! [`im_server`] ([`serve_im`]: the core shared by the connection tasks, and why a lock rather
//! than a core task), [`resolve`] (SRV, A/AAAA, happy eyeballs), [`socket`] (DSCP), [`error`]
//! ([`ConnectError`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The README's Rust examples, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod client;
pub mod component;
pub mod driver;
pub mod error;
#[cfg(feature = "futures-io")]
pub mod futures_driver;
pub mod im_server;
pub mod resolve;
pub mod server;
pub mod session;
pub mod socket;

pub use client::{Client, ClientConfig, connect};
pub use component::{Component, ComponentConfig, connect_component};
pub use driver::{DriverConfig, DriverError, Events, Handle};
pub use error::ConnectError;
pub use im_server::{ImServer, ImServerConfig, serve_im, serve_im_with};
/// The operating system's random generator, for [`MemoryStore::add_user`].
pub use rand_core::OsRng;
pub use server::{Incoming, Server, ServerConfig, serve};
pub use session::{RequestError, Session, SessionEvent, SessionHandle};
pub use xmpp_jid::{BareJid, FullJid, Jid};
/// Accounts in memory (salted SCRAM keys), for [`ImServerConfig`].
pub use xmpp_sasl::MemoryStore;
/// The sans-IO server core [`serve_im`] drives (its `Config` is [`ImServerConfig::core`]).
pub use xmpp_server;
pub use xmpp_stanza::{Iq, Message, MessageType, Presence, PresenceType};
pub use xmpp_stream::connection::{AuthMethod, Event, LoginError, NegotiationFailure};
pub use xmpp_stream::server_identity::{ServerIdentity, ServerTls};
pub use xmpp_stream::stream_management::{SmSession, SmSettings};
pub use xmpp_stream::tls_failure::{CertificateProblem, TlsFailure};
pub use xmpp_stream::trust::{Trust, TrustError};
pub use xmpp_stream::xml::Element;
