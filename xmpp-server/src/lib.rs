//! A sans-IO XMPP server core: sessions of client and component streams, resource binding,
//! routing by typed JIDs, the RFC 6121 IM engine, offline storage, the server's own IQs and
//! hosted XEP-0114 components.
//!
//! The model is quinn-proto's `Endpoint`: [`Server`] owns no socket, runtime, clock or global
//! random generator. Its input is the stream of [`Event`](xmpp_stream::connection::Event)s of
//! each connection machine (`xmpp_stream::connection::Connection`), tagged with the
//! [`ConnectionId`] the adapter got from [`Server::open_client`] or [`Server::open_component`],
//! and the wall-clock time; its output is [`Action`]s for connection ids: send a stanza, answer
//! a bind request, close with a stream error. Everything an adapter does is move bytes between
//! sockets and machines and carry out actions; `xmpp_tokio::serve_im` and
//! `xmpp_blocking::ImServer` are such adapters. Storage is a synchronous trait ([`Storage`],
//! [`MemoryStorage`] by default; the module docs of [`storage`] say why).
//!
//! What it does, by RFC section:
//! - resource binding (RFC 6120 §7) with a [`ResourceConflict`] policy, resources unique per
//!   account (UCR-BIND-7), several sessions per account (UCR-BIND-2);
//! - routing (RFC 6120 §10, RFC 6121 §8): `from` stamped with the session's full JID, the
//!   stream's `xml:lang` added where missing, bare-JID delivery by priority (negative
//!   priority excluded), full-JID fallbacks, offline storage with XEP-0203 delay stamps,
//!   error bounces with the right condition; stanzas to hosted components and from them;
//! - presence, subscriptions and rosters through [`xmpp_im::server::ServerEngine`];
//! - the server's IQs: disco#info and disco#items (listing the components), ping, version,
//!   entity time; everything else `service-unavailable`, in-band registration included;
//! - XEP-0258 security labels ([`labels`]): the label catalog, and a deployment's policy deciding
//!   by label whether a message may be sent and delivered.
//!
//! Not yet: server-to-server routing (stanzas for other domains are bounced with
//! `remote-server-not-found`), multi-user chat.
//!
//! ```
//! use std::time::SystemTime;
//! use xmpp_server::{Action, Config, Server};
//! use xmpp_stream::bind::BindDecision;
//! use xmpp_stream::connection::{AuthMethod, Event};
//! use xmpp_stream::xml::Element;
//!
//! # struct Rng(u64);
//! # impl rand_core::RngCore for Rng {
//! #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
//! #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
//! #     fn fill_bytes(&mut self, d: &mut [u8]) { d.fill(7) }
//! #     fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core::Error> { d.fill(7); Ok(()) }
//! # }
//! # impl rand_core::CryptoRng for Rng {}
//! let mut server = Server::new(Config::new(["example.com"]), Box::new(Rng(0)));
//! let now = SystemTime::now();
//!
//! // Two clients log in; their machines report authentication and bind requests.
//! let mut login = |server: &mut Server, user: &str, resource: &str| {
//!     let conn = server.open_client();
//!     let mechanism = AuthMethod::from_sasl_name("SCRAM-SHA-1");
//!     let identity = format!("{user}@example.com");
//!     server.handle_event(conn, Event::Authenticated { mechanism, identity }, now).unwrap();
//!     server.handle_event(conn, Event::BindRequest { resource: Some(resource.into()) }, now).unwrap();
//!     assert_eq!(
//!         server.poll_action(),
//!         Some(Action::Bind { conn, decision: BindDecision::Accept(resource.into()) })
//!     );
//!     conn
//! };
//! let juliet = login(&mut server, "juliet", "balcony");
//! let romeo = login(&mut server, "romeo", "orchard");
//!
//! // Romeo pings the server: the answer goes back to his connection.
//! let ping: Element = "<iq xmlns='jabber:client' type='get' id='p1' to='example.com'>\
//!                      <ping xmlns='urn:xmpp:ping'/></iq>".parse()?;
//! server.handle_event(romeo, Event::Stanza(ping), now)?;
//! match server.poll_action() {
//!     Some(Action::Send { conn, stanza }) => {
//!         assert_eq!(conn, romeo);
//!         assert_eq!(stanza.attr("type"), Some("result"));
//!         assert_eq!(stanza.attr("from"), Some("example.com"));
//!     }
//!     other => panic!("{other:?}"),
//! }
//!
//! // A message to Juliet's full JID goes to her connection, stamped with Romeo's.
//! let msg: Element = "<message xmlns='jabber:client' type='chat' to='juliet@example.com/balcony'>\
//!                     <body>Hi</body></message>".parse()?;
//! server.handle_event(romeo, Event::Stanza(msg), now)?;
//! match server.poll_action() {
//!     Some(Action::Send { conn, stanza }) => {
//!         assert_eq!(conn, juliet);
//!         assert_eq!(stanza.attr("from"), Some("romeo@example.com/orchard"));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod config;
pub mod labels;
pub mod resumption;
mod route;
mod server;
mod server_iq;
mod sessions;
pub mod storage;

pub use action::{Action, ConnectionId};
pub use config::{Component, Config, ResourceConflict, SoftwareIdentity};
pub use server::{Server, UnknownConnection};
pub use server_iq::SERVER_FEATURES;
pub use storage::{MemoryStorage, Offline, Storage};
