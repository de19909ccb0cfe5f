//! What a connection machine reports: [`Event`] and, when the stream ends, [`CloseReason`].

use xmpp_jid::FullJid;

use crate::header::Version;
use crate::stream_error::StreamError;
use crate::tls::PeerIdentity;
use crate::tls_failure::TlsFailure;
use crate::xml::Element;

/// What the machine reports to the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A stream header was received (once per stream, i.e. after every restart).
    StreamOpened {
        /// The stream id (ours on the receiving side, the peer's on the initiating side).
        id: String,
        /// The peer's `from`.
        from: Option<String>,
        /// The peer's `to`.
        to: Option<String>,
        /// The negotiated version (`None`: a pre-1.0 or component stream).
        version: Option<Version>,
        /// The stream's language.
        lang: Option<String>,
    },
    /// TLS is established (STARTTLS or Direct TLS); what the peer proved.
    TlsEstablished(PeerIdentity),
    /// Authentication succeeded. The identity is the account's bare JID (c2s), the peer's
    /// domain (s2s) or the component's domain.
    Authenticated {
        /// The SASL mechanism, or `handshake` for XEP-0114.
        mechanism: String,
        /// Who authenticated.
        identity: String,
    },
    /// A SASL attempt failed (initiator: the server's `<failure/>`; receiver: an attempt
    /// was refused). The stream stays open on the receiving side until the retry limit.
    AuthFailed {
        /// The SASL failure condition name (`not-authorized`, ...).
        condition: String,
        /// The failure's text, if any.
        text: Option<String>,
    },
    /// Receiving c2s side: the client asks to bind a resource (`None`: generate one).
    /// Answer with [`Connection::bind`]; input is held until then.
    BindRequest {
        /// The requested resource.
        resource: Option<String>,
    },
    /// A resource is bound (both sides): the session's full JID.
    Bound(FullJid),
    /// Negotiation is complete: stanzas may flow.
    Established,
    /// A stanza (or other first-level element) from the peer.
    Stanza(Element),
    /// The peer sent a stream error.
    StreamError(StreamError),
    /// The stream is over; close the transport once `poll_transmit` is drained.
    Closed(CloseReason),
}

/// Why a stream ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CloseReason {
    /// Both closing tags were exchanged.
    Graceful,
    /// We closed and the peer's closing tag did not come in time.
    CloseTimeout,
    /// We sent this stream error.
    LocalError(StreamError),
    /// The peer sent this stream error.
    PeerError(StreamError),
    /// The transport was closed without a closing handshake.
    TransportClosed,
    /// TLS failed (handshake, certificate or record layer); no closing tag was sent.
    TlsFailed(TlsFailure),
    /// The receiver answered `<starttls/>` with `<failure/>`.
    StartTlsFailed,
    /// The initiator gave up negotiating (policy or failure), after sending its closing tag.
    NegotiationFailed(String),
}
