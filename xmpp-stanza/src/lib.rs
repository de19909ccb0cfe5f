//! Typed XMPP stanzas over [`xmpp_stream::xml::Element`]: [`Message`], [`Presence`], [`Iq`],
//! stanza errors ([`StanzaError`], every RFC 6120 §8.3.3 [`Condition`]), IQ discipline and
//! id generation, the [`Payload`] trait for extensions, the RFC 6121 roster payload and the
//! XEP payloads the DoD UCR and NATO profiles require ([`xep`]).
//!
//! ```
//! use xmpp_stanza::{Condition, Message, MessageType, Stanza, StanzaError, xep::delay::Delay};
//! use xmpp_stream::xml::Element;
//!
//! let e: Element = "<message xmlns='jabber:client' from='romeo@montague.lit/orchard' \
//!                   to='juliet@capulet.lit' type='chat' id='m1'>\
//!                   <body>Neither, fair saint.</body>\
//!                   <delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/>\
//!                   <x xmlns='urn:example:unknown'>kept</x></message>".parse()?;
//! let msg = Message::try_from(&e)?;
//! assert_eq!(msg.kind, MessageType::Chat);
//! assert_eq!(msg.body(), Some("Neither, fair saint."));
//! let delay: Delay = msg.payload::<Delay>().unwrap()?;
//! assert_eq!(delay.stamp.to_string(), "2002-09-10T23:08:25Z");
//! // Unknown payloads are written back unchanged.
//! assert_eq!(Element::from(msg.clone()), e);
//!
//! // Error replies swap the addresses and keep the id.
//! let reply = msg.error_reply(StanzaError::new(Condition::ServiceUnavailable))?;
//! assert_eq!(reply.to.as_ref().unwrap().as_str(), "romeo@montague.lit/orchard");
//! assert_eq!(reply.id.as_deref(), Some("m1"));
//!
//! // Malformed input gives a typed error and the stanza error that answers it.
//! let bad: Element = "<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>".parse()?;
//! let err = Stanza::try_from(&bad).unwrap_err();
//! assert_eq!(err.to_string(), "<iq/> lacks the required attribute 'id'");
//! assert_eq!(err.condition(), Condition::BadRequest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//! - stanzas: [`Message`], [`Presence`], [`Iq`] (+ [`IqPayload`]), [`Stanza`], [`StanzaNs`];
//!   replies: `error_reply`, [`Iq::result_reply`], [`error_reply_element`] for elements
//!   that did not parse; [`IdGenerator`]; [`PendingIqs`] (responses matched to requests).
//! - errors: [`StanzaError`], [`Condition`], [`ErrorType`]; [`ParseError`] for bad input
//!   (with [`ParseError::to_stanza_error`]); [`ReplyError`].
//! - [`Payload`] and the payloads: [`roster`], [`xep`].
//!
//! # Leniency
//! Unknown child elements are kept as [`Element`](xmpp_stream::xml::Element)s in `payloads`
//! and written back unchanged; an unknown message type is `normal` (RFC 6121 §5.2.2). What the
//! RFCs make an error (an unknown iq or presence type, priority out of range, two bodies with
//! the same `xml:lang`, a bad JID) is a [`ParseError`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod common;
mod error;
mod iq;
mod message;
mod payload;
mod pending;
mod presence;
mod reply_error;
pub mod roster;
mod stanza;
mod stanza_error;
mod stanza_ns;
mod text;
mod util;
pub mod xep;

pub use error::ParseError;
pub use iq::{IdGenerator, Iq, IqPayload};
pub use message::{Message, MessageType, Thread};
pub use payload::Payload;
pub use pending::{PendingError, PendingIqs};
pub use presence::{Presence, PresenceType, Show};
/// The randomness traits this crate takes (rand_core 0.6), so that callers name the same
/// version whatever `rand` they use themselves.
pub use rand_core;
pub use reply_error::ReplyError;
pub use stanza::{Stanza, error_reply_element};
pub use stanza_error::{Condition, ErrorType, StanzaError};
pub use stanza_ns::StanzaNs;
pub use text::{LangText, Texts};
