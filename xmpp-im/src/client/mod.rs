//! What a client keeps from what it receives, and the few rules it applies when sending.
//!
//! This module owns the client side of RFC 6121: [`RosterTracker`] (roster results and pushes,
//! with versions and anti-spoofing), [`PresenceTracker`] (the available resources of contacts),
//! [`ChatSessions`] (JID locking and threads of one-to-one chats), and the construction of
//! subscription stanzas ([`SubscriptionRequest`], always to a bare JID) with an optional policy
//! for answering requests ([`SubscriptionPolicy`]). [`crate::session::ClientSession`] composes
//! them over a connection machine's events.
//!
//! ```
//! use xmpp_im::client::{ChatSessions, RosterTracker};
//! use xmpp_im::delivery::MessageType;
//! use xmpp_im::jid::{BareJid, Jid};
//!
//! let romeo: BareJid = "romeo@example.net".parse().unwrap();
//! let mut chats = ChatSessions::new();
//! // The first message goes to the bare JID; the reply's full JID locks the session.
//! assert_eq!(chats.address_for(&romeo), Jid::from(romeo.clone()));
//! let reply_from: Jid = "romeo@example.net/orchard".parse().unwrap();
//! chats.incoming(&reply_from, MessageType::Chat, None);
//! assert_eq!(chats.address_for(&romeo), reply_from);
//!
//! let tracker = RosterTracker::new("juliet@example.com".parse().unwrap());
//! assert_eq!(tracker.request_ver(), None);
//! ```

mod chat;
mod presence;
mod roster;
mod subscription;

pub use chat::{ChatSession, ChatSessions, reply_type};
pub use presence::PresenceTracker;
pub use roster::{PushError, RosterTracker};
pub use subscription::{AutoAnswer, SubscriptionPolicy, SubscriptionRequest};
