//! XEP-0198 Stream Management (`urn:xmpp:sm:3`), the pure part: the elements on the wire,
//! the counters, the queue of unacknowledged stanzas and when to ask for acknowledgements.
//! No I/O, no clock: the connection machine (or a test) moves the elements and hands in
//! the time.
//!
//! - [`wire`]: [`Nonza`] and its elements ([`Enable`], [`Enabled`], [`Resume`], [`Resumed`],
//!   [`Failed`], [`Ack`], `<r/>`, the `<sm/>` feature), read strictly with
//!   `TryFrom<&Element>` ([`WireError`]) and written with `From<Nonza> for Element`.
//! - [`Counter`]: a stanza count modulo 2^32, and the check that an `h` does not
//!   acknowledge more than was sent ([`SmError::HandledCountTooHigh`], which ends the stream
//!   with `<undefined-condition/>`).
//! - [`SentQueue`]: every stanza sent after enabling, kept until acknowledged, within
//!   [`QueueLimits`] ([`QueueFull`] refuses a send), retransmitted on resumption, handed
//!   back when the session ends without one.
//! - [`Inbound`]: the count of stanzas handled from the peer, and the `<a/>` answering `<r/>`.
//! - [`AckRequester`]: when to send `<r/>` ([`AckPolicy`]: after N stanzas or T seconds).
//!
//! Both peers count from zero: the initiating entity its sent stanzas from `<enable/>` and
//! its handled ones from `<enabled/>`, the receiving entity its handled ones from
//! `<enable/>` and its sent ones from `<enabled/>`. Only stanzas count, never nonzas. The
//! counts survive a cut: a resumed session goes on with the same [`SentQueue`] and
//! [`Inbound`].
//!
//! Two peers exchange stanzas, an acknowledgement, a cut, and a resumption with
//! retransmission:
//!
//! ```
//! use xmpp_stream::stream_management::*;
//! use xmpp_stream::xml::{ns, Element};
//! // Every nonza goes through XML and back, as on a real stream.
//! let wire = |n: Nonza| -> Nonza {
//!     let xml = Element::from(n).to_xml().unwrap();
//!     Nonza::try_from(&Element::parse(xml.as_bytes()).unwrap()).unwrap()
//! };
//! let message = |id: &str| Element::builder("message", ns::CLIENT).attr("id", id.to_owned()).build();
//!
//! // After binding, the client enables stream management with resumption; the server
//! // agrees. Each side starts its counts.
//! let Nonza::Enable(enable) = wire(Enable { resume: true, max: None }.into()) else { panic!() };
//! let (mut client_out, mut client_in) = (SentQueue::default(), Inbound::new());
//! let (mut server_out, mut server_in) = (SentQueue::default(), Inbound::new());
//! let enabled = Enabled { id: Some("sm-1".into()), resume: enable.resume, ..Enabled::default() };
//! let Nonza::Enabled(enabled) = wire(enabled.into()) else { panic!() };
//!
//! // The client sends three messages and asks for an acknowledgement (`<r/>`); the server
//! // handled all three and answers `<a h='3'/>`.
//! for id in ["m1", "m2", "m3"] {
//!     client_out.push(message(id))?; // record first, then send
//!     server_in.on_stanza();
//! }
//! let Nonza::Ack(ack) = wire(server_in.ack().into()) else { panic!() };
//! assert_eq!(client_out.on_ack(ack.h)?.len(), 3);
//! assert!(client_out.is_empty());
//!
//! // Two more messages: m4 arrives, then the link drops with m5 and a message from the
//! // server in flight.
//! client_out.push(message("m4"))?;
//! server_in.on_stanza();
//! client_out.push(message("m5"))?;
//! server_out.push(message("s1"))?;
//!
//! // On a new stream, authenticated again, the client resumes instead of binding: each
//! // side learns what the other handled and sends the rest again, in order.
//! let resume = Resume { previd: enabled.id.unwrap(), h: client_in.handled() };
//! let Nonza::Resume(resume) = wire(resume.into()) else { panic!() };
//! // (The server application checks `resume.previd` is a session of this account.)
//! let server_resend = server_out.resumed(resume.h)?;
//! let resumed = Resumed { previd: resume.previd, h: server_in.handled() };
//! let Nonza::Resumed(resumed) = wire(resumed.into()) else { panic!() };
//! let client_resend = client_out.resumed(resumed.h)?;
//! assert_eq!(client_resend, [message("m5")]); // m4 was handled: not sent twice
//! assert_eq!(server_resend, [message("s1")]);
//!
//! // The retransmissions count as they arrive; the acknowledgements empty both queues.
//! server_in.on_stanza();
//! client_in.on_stanza();
//! client_out.on_ack(server_in.handled())?;
//! server_out.on_ack(client_in.handled())?;
//! assert!(client_out.is_empty() && server_out.is_empty());
//!
//! // An acknowledgement of more than was sent is a protocol error that ends the stream.
//! let err = client_out.on_ack(Counter::new(99)).unwrap_err();
//! assert_eq!(err.to_stream_error().condition().as_str(), "undefined-condition");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! When a session ends without being resumed (closed cleanly, or its resumption window
//! over), [`SentQueue::into_unacked`] hands back what the peer may not have received: a
//! server stores the messages for offline delivery or bounces them (RFC 6121 §8.5), a client
//! sends them again on its new session.

mod condition;
mod counter;
mod inbound;
mod outbound;
mod policy;
mod session;
pub mod wire;

pub use condition::{FailedCondition, UnknownFailedCondition};
pub use counter::{Counter, ParseCounterError, SmError};
pub use inbound::Inbound;
pub use outbound::{QueueFull, QueueLimit, QueueLimits, SentQueue, weight};
pub use policy::{AckPolicy, AckRequester};
pub use session::{ResumeDecision, SmSession, SmSettings};
pub use wire::{Ack, BadValue, Enable, Enabled, Failed, Nonza, Resume, Resumed, WireError, is_sm};

/// The XEP-0198 namespace (version 3).
pub const NS: &str = "urn:xmpp:sm:3";
