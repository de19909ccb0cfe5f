//! What the server core asks of its adapter: [`Action`]s addressed by [`ConnectionId`].

use std::fmt;

use xmpp_stream::bind::BindDecision;
use xmpp_stream::stream_error::StreamError;
use xmpp_stream::stream_management::ResumeDecision;
use xmpp_stream::xml::Element;

/// A connection the adapter registered with [`Server::open_client`](crate::Server::open_client)
/// or [`Server::open_component`](crate::Server::open_component). Ids are never reused by one
/// server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub(crate) u64);

impl ConnectionId {
    /// The id as a number (for logs and maps).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// One thing the adapter must do, in the order [`Server::poll_action`](crate::Server::poll_action)
/// returns them (a reply before the pushes it causes, a bind answer before stanzas to the new
/// resource).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Send this stanza on the connection (`Connection::send`). It is already addressed,
    /// stamped and in the connection's stanza namespace.
    Send {
        /// The connection.
        conn: ConnectionId,
        /// The stanza.
        stanza: Element,
    },
    /// Answer the connection's pending bind request (`Connection::bind`).
    Bind {
        /// The connection.
        conn: ConnectionId,
        /// Accept with a resource, or refuse.
        decision: BindDecision,
    },
    /// Answer the connection's pending resumption request (`Connection::resume`): accept
    /// with the parked session (its stanzas not yet acknowledged are sent again by the
    /// machine), or refuse.
    Resume {
        /// The connection.
        conn: ConnectionId,
        /// Accept with the session, or refuse.
        decision: ResumeDecision,
    },
    /// Close the connection with this stream error (`Connection::close_with_error`), e.g.
    /// `<conflict/>` when another session took its resource over. The server core has
    /// already forgotten the session; events still arriving for it are ignored.
    Close {
        /// The connection.
        conn: ConnectionId,
        /// The stream error to send.
        error: StreamError,
    },
}

impl Action {
    /// The connection the action is for.
    pub fn conn(&self) -> ConnectionId {
        match self {
            Action::Send { conn, .. }
            | Action::Bind { conn, .. }
            | Action::Resume { conn, .. }
            | Action::Close { conn, .. } => *conn,
        }
    }
}
