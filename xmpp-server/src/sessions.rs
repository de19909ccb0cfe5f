//! Who is connected: each [`ConnectionId`]'s [`Peer`], the bound resources and the live
//! components, kept consistent with each other.

use std::collections::HashMap;

use xmpp_im::jid::{BareJid, FullJid};
use xmpp_stream::stream_management::SmSession;
use xmpp_stream::xml::Element;

use crate::action::ConnectionId;

/// What one registered connection is, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Peer {
    /// A client (c2s) stream.
    Client {
        /// The authenticated account.
        account: Option<BareJid>,
        /// The bound resource.
        jid: Option<FullJid>,
        /// The stream's `xml:lang` (UCR-STANZA-20).
        lang: Option<String>,
        /// Stream management: the session's resumption id, once enabled.
        sm_id: Option<String>,
        /// The managed session the machine handed out as its stream ended (between its
        /// `Detached` and `Closed` events).
        detached: Option<Box<SmSession>>,
        /// A resumption on another connection waits for this one's session: it closes, and
        /// its session goes there instead of being parked.
        resumed_by: Option<ConnectionId>,
        /// Stanzas the adapter could not hand to the connection (its stream had ended) before
        /// the machine's `Detached` arrived: they join the session, or are routed again.
        undelivered: Option<Vec<Element>>,
    },
    /// A client session whose stream dropped, waiting (with its resource still bound) to be
    /// resumed by the id it is parked under.
    Parked {
        /// Its full JID.
        jid: FullJid,
        /// The resumption id.
        id: String,
    },
    /// An XEP-0114 component stream.
    Component {
        /// The authenticated component domain.
        domain: Option<String>,
    },
    /// The core closed it (a `<conflict/>`, a bad `from`); its remaining events are ignored.
    Closing,
}

/// The session tables.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    pub(crate) peers: HashMap<ConnectionId, Peer>,
    pub(crate) resources: HashMap<FullJid, ConnectionId>,
    pub(crate) components: HashMap<String, ConnectionId>,
    next: u64,
}

impl Sessions {
    pub(crate) fn open(&mut self, peer: Peer) -> ConnectionId {
        self.next += 1;
        let id = ConnectionId(self.next);
        self.peers.insert(id, peer);
        id
    }

    /// Forgets what `conn` held (its resource or component domain); returns the resource it
    /// had bound. The connection stays registered as [`Peer::Closing`] if `keep` is set.
    pub(crate) fn release(&mut self, conn: ConnectionId, keep: bool) -> Option<FullJid> {
        let peer = if keep {
            self.peers.insert(conn, Peer::Closing)
        } else {
            self.peers.remove(&conn)
        };
        match peer? {
            Peer::Client { jid: Some(jid), .. } | Peer::Parked { jid, .. } => {
                if self.resources.get(&jid) == Some(&conn) {
                    self.resources.remove(&jid);
                }
                Some(jid)
            }
            Peer::Component {
                domain: Some(domain),
            } => {
                if self.components.get(&domain) == Some(&conn) {
                    self.components.remove(&domain);
                }
                None
            }
            _ => None,
        }
    }

    /// The connection of a bound resource.
    pub(crate) fn resource(&self, jid: &FullJid) -> Option<ConnectionId> {
        self.resources.get(jid).copied()
    }

    /// The connection of a live component.
    pub(crate) fn component(&self, domain: &str) -> Option<ConnectionId> {
        self.components.get(domain).copied()
    }
}
