//! A test kit for code built on the connection machine (feature `testing`): a deterministic
//! random source ([`TestRng`]), a fake clock ([`Clock`]), a throwaway PKI made with rcgen
//! ([`TestPki`]), machine constructors for the common setups ([`client`], [`server`],
//! [`ClientOpts`], [`component_pair`]) and a [`Pair`] of machines that talk to each other in
//! memory.
//!
//! Nothing here is fit for production: the random source is predictable, the credentials
//! are fixed and the certificates are made up. It exists so that this crate's tests, the
//! adapters' tests and applications' tests share one harness instead of each growing its own.
//!
//! A client logging in over STARTTLS with SCRAM and sending a message to the server:
//!
//! ```
//! use xmpp_stream::connection::Event;
//! use xmpp_stream::testing::{Pair, TestPki};
//! use xmpp_stream::xml::Element;
//!
//! let pki = TestPki::example();
//! let mut pair = Pair::c2s_starttls(&pki);
//! pair.pump();
//! assert!(pair.is_established());
//! assert_eq!(
//!     pair.client.bound_jid().unwrap().as_str(),
//!     "juliet@example.com/balcony"
//! );
//!
//! let message = Element::builder("message", "jabber:client")
//!     .attr("to", "romeo@example.net")
//!     .child(Element::builder("body", "jabber:client").text("Wherefore art thou?"))
//!     .build();
//! pair.take_transcript(); // forget the negotiation
//! pair.client.send(&message).unwrap();
//! pair.pump();
//! let transcript = pair.take_transcript();
//! let Some(Event::Stanza(received)) = transcript.server_events.first() else {
//!     panic!("no stanza: {:?}", transcript.server_events);
//! };
//! // The server stamps the sender's full JID.
//! assert_eq!(received.attr("from"), Some("juliet@example.com/balcony"));
//! assert_eq!(
//!     received.child_text("body", "jabber:client").as_deref(),
//!     Some("Wherefore art thou?")
//! );
//! ```
//!
//! The lower-level pieces work on two machines held separately: [`pump`] / [`pump_with`]
//! move bytes between them at a given instant, [`feed`] / [`drain`] drive one machine with
//! hand-written bytes.

mod clock;
mod machines;
mod pair;
mod pki;
mod rng;
mod tls_by_hand;

pub use clock::*;
pub use machines::*;
pub use pair::*;
pub use pki::*;
pub use rng::*;
pub use tls_by_hand::TlsByHand;
