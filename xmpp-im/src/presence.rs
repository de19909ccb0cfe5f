//! Presence as the engines and trackers see it: a kind and an opaque payload.
//!
//! This module owns [`Presence`] (what kind of presence stanza, carrying the caller's payload
//! untouched) and [`PresencePayload`] (the one thing read from a payload: its priority). The
//! server engine and the client trackers decide who receives or believes what from these alone;
//! the stanza layer maps its typed presence onto them.
//!
//! ```
//! use xmpp_im::presence::{Presence, PresencePayload};
//!
//! #[derive(Debug, Clone, PartialEq)]
//! struct Pres { priority: i8 }
//! impl PresencePayload for Pres {
//!     fn priority(&self) -> i8 { self.priority }
//! }
//!
//! let p = Presence::Available(Pres { priority: -1 });
//! assert!(matches!(&p, Presence::Available(x) if x.priority() < 0));
//! ```

use crate::subscription::SubscriptionType;

/// What the engine needs to know about a presence payload: its priority.
///
/// Implement it for the stanza type (or handle) the server passes around.
pub trait PresencePayload: Clone {
    /// The `<priority/>` of an available presence, 0 when absent (RFC 6121 §4.7.2.3).
    fn priority(&self) -> i8;
}

/// A presence stanza, as far as the engine cares: its kind and its opaque payload.
///
/// A payload of `None` marks a stanza the engine generated (an `unavailable` for a vanished
/// resource, an auto-reply, a cancellation on roster removal): the bridge writes a minimal
/// `<presence/>` of that type. Every other stanza carries the payload it came in with, so
/// forwarded presence keeps its full XML (UCR-PRES-16, UCR-PRES-29).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Presence<P> {
    /// No `type`: available.
    Available(P),
    /// `type='unavailable'`.
    Unavailable(Option<P>),
    /// `type='probe'`.
    Probe,
    /// `subscribe`, `subscribed`, `unsubscribe` or `unsubscribed`.
    Subscription(SubscriptionType, Option<P>),
    /// `type='error'`.
    Error(P),
}
