//! RFC 6121 instant messaging as pure logic: rosters, presence subscriptions, presence and
//! message delivery, for clients and for servers, with no I/O.
//!
//! - [`subscription`]: the nine subscription states and every row of the RFC 6121 Appendix A
//!   tables as pure transition functions;
//! - [`roster`]: roster items, versions, and the validation of client roster requests;
//! - [`store`]: the [`RosterStore`](store::RosterStore) trait the server engine persists through,
//!   with an in-memory implementation;
//! - [`server`]: the server engine: takes one event, returns the decisions (deliveries, routes,
//!   roster pushes, errors);
//! - [`presence`]: presence kinds with an opaque payload, and the payload's priority;
//! - [`delivery`]: where a message or IQ for a local account goes (RFC 6121 §8);
//! - [`client`]: trackers a client keeps from what it receives: roster, contacts' presence,
//!   chat-session JID locking;
//! - [`session`]: [`ClientSession`], the client side as one object over a connection machine's
//!   events: session order, typed events, IQ responses matched to requests;
//! - [`error`]: error types and the stanza error conditions this crate answers with.
//! - [`stanza_bridge`]: the typed stanzas of `xmpp-stanza` in and out of the engines and trackers
//!   (presence payload, roster IQs, actions as addressed stanzas, message/IQ routing, bounces).
//!
//! Stanza content stays opaque: the engines are generic over the presence payload and only decide
//! who receives what. [`stanza_bridge`] maps typed stanzas onto these types.
//!
//! ```
//! use xmpp_im::jid::{BareJid, FullJid, Jid};
//! use xmpp_im::roster::{RawItem, RosterQuery};
//! use xmpp_im::server::{Action, Presence, PresencePayload, RosterResult, EngineConfig, ServerEngine};
//! use xmpp_im::store::MemoryRosterStore;
//!
//! #[derive(Debug, Clone, PartialEq)]
//! struct Pres { priority: i8 }
//! impl PresencePayload for Pres {
//!     fn priority(&self) -> i8 { self.priority }
//! }
//!
//! let juliet: BareJid = "juliet@example.com".parse().unwrap();
//! let mut store = MemoryRosterStore::new();
//! store.add_account(juliet.clone());
//! let mut server = ServerEngine::new(EngineConfig::new(["example.com"]), store);
//! let balcony: FullJid = "juliet@example.com/balcony".parse().unwrap();
//! server.bind(balcony.clone()).unwrap();
//!
//! // Roster get on login: empty roster, version 0; the resource is now interested.
//! let result = server.roster_get(&balcony, None, &RosterQuery::default()).unwrap();
//! assert!(matches!(result, RosterResult::Full { ref items, .. } if items.is_empty()));
//!
//! // Add a contact: the push goes to every interested resource.
//! let query = RosterQuery { ver: None, items: vec![RawItem::new("nurse@example.com".parse::<Jid>().unwrap())] };
//! let actions = server.roster_set(&balcony, None, &query).unwrap();
//! assert!(matches!(&actions[..], [Action::RosterPush { to, .. }] if *to == balcony));
//!
//! // Initial presence: echoed to the sender, offline messages may now be flushed.
//! let actions = server.presence_from_client(&balcony, None, Presence::Available(Pres { priority: 1 })).unwrap();
//! assert!(actions.contains(&Action::FlushOffline { to: balcony.clone() }));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod delivery;
pub mod error;
pub mod jid;
pub mod presence;
pub mod roster;
pub mod server;
pub mod session;
pub mod stanza_bridge;
pub mod store;
pub mod subscription;

pub use server::{EngineConfig, ServerEngine};
pub use session::{ClientSession, SessionEvent};
