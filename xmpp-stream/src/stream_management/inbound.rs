//! The receiving side: [`Inbound`] counts the stanzas handled from the peer and answers
//! `<r/>` with `<a h=''/>`.

use super::counter::Counter;
use super::wire::Ack;

/// The count of stanzas handled from the peer since stream management was enabled
/// (`<enable/>` received, or `<enabled/>` received on the initiating side), modulo 2^32.
/// Only stanzas count (`<message/>`, `<presence/>`, `<iq/>`), never nonzas.
///
/// ```
/// use xmpp_stream::stream_management::{Ack, Counter, Inbound};
/// let mut inbound = Inbound::new();
/// inbound.on_stanza();
/// inbound.on_stanza();
/// assert_eq!(inbound.ack(), Ack { h: Counter::new(2) });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Inbound {
    handled: Counter,
}

impl Inbound {
    /// A count of zero (stream management just enabled).
    pub fn new() -> Inbound {
        Inbound::default()
    }

    /// A count starting at `count` (a restored session, or a test crossing the wrap).
    pub fn starting_at(count: Counter) -> Inbound {
        Inbound { handled: count }
    }

    /// Counts one stanza handled (wrapping) and returns the new count.
    pub fn on_stanza(&mut self) -> Counter {
        self.handled.increment()
    }

    /// The stanzas handled: the `h` of `<a/>`, `<resume/>` and `<resumed/>`.
    pub fn handled(&self) -> Counter {
        self.handled
    }

    /// The answer to `<r/>` (send it as soon as possible).
    pub fn ack(&self) -> Ack {
        Ack { h: self.handled }
    }
}
