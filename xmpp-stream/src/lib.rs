//! Sans-IO XMPP streams (RFC 6120): the restricted-XML reader and writer, and one
//! connection state machine for clients, servers and components.
//!
//! ```
//! use std::{sync::Arc, time::Instant};
//! use xmpp_stream::connection::{Connection, Event, InitiatorAuth, InitiatorConfig};
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
//! profile.tls = TlsPolicy::Disabled; // every preset requires TLS; see `connection` for it
//! profile.allow_plaintext_auth = true;
//! let mut client = Connection::initiator(
//!     InitiatorConfig {
//!         kind: StreamKind::Client,
//!         to: "example.com".into(),
//!         from: Some("juliet@example.com".into()),
//!         tls: None,
//!         direct_tls: false,
//!         auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::password("juliet", "r0m30").unwrap()),
//!         resource: None,
//!     },
//!     Arc::new(profile),
//!     Box::new(Rng(1)),
//!     Instant::now(),
//! )?;
//! // Bytes for the socket: the initial stream header.
//! let bytes = client.poll_transmit().unwrap();
//! assert!(bytes.starts_with(b"<?xml version='1.0'?><stream:stream to='example.com'"));
//! // Bytes from the socket, in any split; events come out.
//! client.handle_input(Instant::now(), b"<stream:stream from='example.com' id='x1' version='1.0' ");
//! client.handle_input(Instant::now(), b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
//! assert!(matches!(client.poll_event(), Some(Event::StreamOpened { .. })));
//! # Ok::<(), xmpp_stream::connection::ConfigError>(())
//! ```
//!
//! Modules: [`xml`] (Element, Reader, Writer), [`connection`] (the machine), [`header`],
//! [`features`], [`bind`], [`component`], [`stream_error`], [`tls`], [`tls_failure`] (typed
//! TLS and certificate errors), [`trust`] (trust anchors and CRLs as rustls configurations),
//! [`profile`] (policy presets), [`resolve`] (SRV connection plans). With the `testing`
//! feature, `testing`: a deterministic random source, a fake clock, a throwaway PKI and a
//! pair of machines talking in memory, for tests of code built on this crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
pub mod bind;
pub mod component;
pub mod connection;
pub mod features;
mod framing;
pub mod header;
pub mod profile;
pub mod resolve;
pub mod server_identity;
pub mod stream_error;
pub mod stream_management;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod tls_failure;
pub mod trust;
pub mod xml;

pub use connection::{
    CloseReason, Connection, Event, InitiatorAuth, InitiatorConfig, LoginError, ReceiverAuth,
    ReceiverConfig,
};
pub use header::StreamKind;
pub use profile::Profile;
/// The randomness traits the machines take (rand_core 0.6), so that callers name the same
/// version whatever `rand` they use themselves.
pub use rand_core;
pub use trust::Trust;
pub use xml::Element;
