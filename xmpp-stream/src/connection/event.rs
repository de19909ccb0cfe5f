//! What a connection machine reports: [`Event`] and, when the stream ends, [`CloseReason`]
//! (with [`NegotiationFailure`] when the initiating side gave up), and how an entity
//! authenticated ([`AuthMethod`]).

use std::fmt;

use xmpp_jid::FullJid;

use crate::bind::BindError;
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
        /// How: a SASL mechanism, or the XEP-0114 handshake.
        mechanism: AuthMethod,
        /// Who authenticated.
        identity: String,
    },
    /// A SASL attempt failed (initiator: the server's `<failure/>`; receiver: an attempt
    /// was refused). The stream stays open on the receiving side until the retry limit.
    AuthFailed {
        /// The SASL failure condition (RFC 6120 §6.5).
        condition: xmpp_sasl::SaslCondition,
        /// The failure's text, if any.
        text: Option<String>,
    },
    /// Receiving c2s side: the client asks to bind a resource (`None`: generate one).
    /// Answer with [`Connection::bind`](super::Connection::bind); input is held until then.
    BindRequest {
        /// The requested resource.
        resource: Option<String>,
    },
    /// A resource is bound (both sides): the session's full JID.
    Bound(FullJid),
    /// Negotiation is complete: stanzas may flow.
    Established,
    /// Stream management (XEP-0198) is on for this stream (both sides). `id` is the
    /// session's resumption id (`None`: not resumable); a server records it to find the
    /// session when a later stream asks to resume it.
    StreamManagementEnabled {
        /// The resumption id.
        id: Option<String>,
    },
    /// Receiving c2s side: the authenticated client asks to resume the session `previd`
    /// instead of binding. Answer with
    /// [`Connection::resume`](super::Connection::resume); input is held until then.
    ResumeRequest {
        /// The id the session was enabled with.
        previd: String,
    },
    /// A managed session resumed on this stream (both sides): the full JID is the old
    /// session's, and `resent` stanzas the peer had not handled were sent again. No
    /// [`Event::Bound`] comes; [`Event::Established`] follows.
    Resumed {
        /// The session's full JID.
        jid: FullJid,
        /// How many unacknowledged stanzas were sent again.
        resent: usize,
    },
    /// Initiating side: the server refused to resume the session (or no longer offers stream
    /// management). `unacked` are the old session's stanzas the server did not acknowledge,
    /// oldest first, to send again on the new session if they still matter; binding follows.
    ResumeFailed {
        /// The old session's unacknowledged stanzas.
        unacked: Vec<Element>,
    },
    /// The stream ended with a managed session (both sides; comes right before
    /// [`Event::Closed`]): a server parks it for resumption (or, after a clean close or when
    /// it is not resumable, stores or bounces its unacknowledged stanzas); a client resumes
    /// it on its next stream with
    /// [`Connection::resume_stream_management`](super::Connection::resume_stream_management).
    Detached(Box<crate::stream_management::SmSession>),
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
    NegotiationFailed(NegotiationFailure),
}

/// How an entity authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// A SASL mechanism of `xmpp-sasl`.
    Sasl(xmpp_sasl::Mechanism),
    /// A SASL mechanism registered as an extension (e.g. GSSAPI), by its name.
    SaslExtension(String),
    /// The XEP-0114 component handshake.
    ComponentHandshake,
}

impl AuthMethod {
    /// The method by its SASL name (`SCRAM-SHA-1`, ...; an unknown name is an extension).
    pub fn from_sasl_name(name: &str) -> AuthMethod {
        name.parse()
            .map(AuthMethod::Sasl)
            .unwrap_or_else(|_| AuthMethod::SaslExtension(name.to_owned()))
    }

    /// The SASL mechanism name, or `handshake` for XEP-0114.
    pub fn name(&self) -> &str {
        match self {
            AuthMethod::Sasl(m) => m.name(),
            AuthMethod::SaslExtension(name) => name,
            AuthMethod::ComponentHandshake => "handshake",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the initiating side gave up negotiating (it sent its closing tag).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationFailure {
    /// The server requires STARTTLS and this machine has no TLS configuration.
    #[error("the server requires TLS, which is not configured")]
    TlsNotConfigured,
    /// The profile requires TLS and the server does not offer STARTTLS (no downgrade).
    #[error("TLS is required but the server does not offer STARTTLS")]
    StartTlsNotOffered,
    /// The profile forbids authenticating on a stream without TLS.
    #[error("refusing to authenticate without TLS")]
    AuthenticationWithoutTls,
    /// The server's features hold no SASL mechanism.
    #[error("the server offers no SASL mechanism")]
    NoMechanismOffered,
    /// No offered mechanism is acceptable to the client's policy.
    #[error("no usable SASL mechanism: {0}")]
    NoUsableMechanism(xmpp_sasl::NegotiationError),
    /// The credentials cannot be used with the chosen mechanism (e.g. SASLprep refused them).
    #[error("the credentials cannot be used: {0}")]
    Credentials(xmpp_sasl::CredentialsError),
    /// The server refused the credentials.
    #[error("authentication failed: {condition}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    AuthenticationFailed {
        /// The SASL failure condition (RFC 6120 §6.5).
        condition: xmpp_sasl::SaslCondition,
        /// The server's text, if any.
        text: Option<String>,
    },
    /// The server's SASL messages failed our checks (a SCRAM server signature that does not
    /// verify: the server does not know the credentials; do not trust it).
    #[error("the server's SASL exchange failed our checks: {0}")]
    ServerNotVerified(xmpp_sasl::Failure),
    /// A challenge or the success data was not valid base64.
    #[error("the server sent badly encoded SASL data")]
    BadSaslEncoding,
    /// The server offers no resource binding (c2s).
    #[error("the server offers no resource binding")]
    NoBind,
    /// The server refused to bind a resource (after the conflict retry).
    #[error("resource binding refused: {}", .0.map_or("unknown", BindError::condition))]
    BindRefused(Option<BindError>),
    /// The bind result was malformed or held an invalid JID.
    #[error("malformed bind result")]
    MalformedBindResult,
}
