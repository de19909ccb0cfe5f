//! The outcome of an initiating machine's login, decided once for every adapter: [`Login`]
//! watches the events until the stream is established ([`LoggedIn`]) or ends
//! ([`LoginError`]), so that "authentication failed, then the stream closed" means the same
//! typed error in tokio, in the blocking adapter and in an application's own loop.
//!
//! ```
//! use xmpp_stream::connection::{CloseReason, Event, Login, LoginError, NegotiationFailure};
//! let mut login = Login::new();
//! assert!(login.observe(&Event::AuthFailed {
//!     condition: xmpp_sasl::SaslCondition::NotAuthorized,
//!     text: None,
//! }).is_none());
//! let failure = NegotiationFailure::AuthenticationFailed {
//!     condition: xmpp_sasl::SaslCondition::NotAuthorized,
//!     text: None,
//! };
//! let end = login.observe(&Event::Closed(CloseReason::NegotiationFailed(failure)));
//! assert!(matches!(end, Some(Err(LoginError::Auth { .. }))));
//! ```

use xmpp_jid::FullJid;

use super::{AuthMethod, CloseReason, Event, NegotiationFailure};
use crate::stream_error::StreamError;
use crate::tls_failure::TlsFailure;

/// What a successful login established.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoggedIn {
    /// Who authenticated: the account's bare JID (c2s), our domain (s2s), the component's
    /// domain.
    pub identity: String,
    /// c2s: the bound full JID.
    pub jid: Option<FullJid>,
    /// How we authenticated.
    pub method: AuthMethod,
    /// Whether the stream runs over TLS.
    pub tls: bool,
    /// Stream management (XEP-0198): the previous session was resumed on this stream (the
    /// same full JID, what the server had not handled sent again; roster and presence are
    /// as they were).
    pub resumed: bool,
    /// Stream management: the previous session could not be resumed and these of its
    /// stanzas were never acknowledged by the server, oldest first (send them again if they
    /// still matter; a new session was bound).
    pub not_resumed: Vec<crate::xml::Element>,
    /// Stream management is on for this stream (enabled or resumed).
    pub stream_management: bool,
}

/// Why a login did not end in an established stream.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The server refused the credentials.
    #[error("authentication failed: {condition}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Auth {
        /// The SASL failure condition (RFC 6120 §6.5).
        condition: xmpp_sasl::SaslCondition,
        /// The server's text, if any.
        text: Option<String>,
    },
    /// TLS failed: a refused certificate (saying what to do) or a protocol failure.
    #[error("{0}")]
    Tls(#[source] TlsFailure),
    /// The server answered `<starttls/>` with `<failure/>`.
    #[error("the server refused STARTTLS")]
    StartTlsRefused,
    /// The stream ended with a stream error.
    #[error("stream error ({}): {error}", if *by_peer { "from the server" } else { "sent by us" })]
    Stream {
        /// The error.
        error: StreamError,
        /// Whether the server sent it.
        by_peer: bool,
    },
    /// We gave up negotiating for another reason (policy, an unusable offer, a bad answer).
    #[error("negotiation failed: {0}")]
    Negotiation(#[source] NegotiationFailure),
    /// The server closed the stream or the connection during negotiation.
    #[error("the server closed the connection during negotiation")]
    Closed,
    /// Our closing handshake timed out during negotiation.
    #[error("the closing handshake timed out during negotiation")]
    CloseTimeout,
}

impl From<CloseReason> for LoginError {
    fn from(reason: CloseReason) -> LoginError {
        match reason {
            CloseReason::NegotiationFailed(NegotiationFailure::AuthenticationFailed {
                condition,
                text,
            }) => LoginError::Auth { condition, text },
            CloseReason::NegotiationFailed(f) => LoginError::Negotiation(f),
            CloseReason::TlsFailed(f) => LoginError::Tls(f),
            CloseReason::StartTlsFailed => LoginError::StartTlsRefused,
            CloseReason::PeerError(error) => LoginError::Stream {
                error,
                by_peer: true,
            },
            CloseReason::LocalError(error) => LoginError::Stream {
                error,
                by_peer: false,
            },
            CloseReason::CloseTimeout => LoginError::CloseTimeout,
            CloseReason::Graceful | CloseReason::TransportClosed => LoginError::Closed,
        }
    }
}

/// Watches an initiating machine's events until its login is decided.
#[derive(Debug, Default, Clone)]
pub struct Login {
    identity: Option<String>,
    method: Option<AuthMethod>,
    jid: Option<FullJid>,
    tls: bool,
    peer_error: Option<StreamError>,
    resumed: bool,
    not_resumed: Vec<crate::xml::Element>,
    stream_management: bool,
}

impl Login {
    /// A login that has seen nothing yet.
    pub fn new() -> Login {
        Login::default()
    }

    /// Feeds one event; returns the outcome once it is known (`Established` or `Closed`).
    pub fn observe(&mut self, event: &Event) -> Option<Result<LoggedIn, LoginError>> {
        match event {
            Event::TlsEstablished(_) => self.tls = true,
            Event::Authenticated {
                mechanism,
                identity,
            } => {
                self.method = Some(mechanism.clone());
                self.identity = Some(identity.clone());
            }
            Event::Bound(jid) => self.jid = Some(jid.clone()),
            Event::Resumed { jid, .. } => {
                self.jid = Some(jid.clone());
                self.resumed = true;
                self.stream_management = true;
            }
            Event::ResumeFailed { unacked } => self.not_resumed = unacked.clone(),
            Event::StreamManagementEnabled { .. } => self.stream_management = true,
            Event::StreamError(e) => self.peer_error = Some(e.clone()),
            Event::Established => {
                return Some(Ok(LoggedIn {
                    identity: self.identity.take().unwrap_or_default(),
                    jid: self.jid.take(),
                    method: self.method.take().unwrap_or(AuthMethod::ComponentHandshake),
                    tls: self.tls,
                    resumed: self.resumed,
                    not_resumed: std::mem::take(&mut self.not_resumed),
                    stream_management: self.stream_management,
                }));
            }
            Event::Closed(reason) => {
                // A peer's stream error is reported even when the stream then ends for
                // another reason (its header was odd, the transport closed first).
                let reason = match (reason, self.peer_error.take()) {
                    (
                        CloseReason::Graceful
                        | CloseReason::TransportClosed
                        | CloseReason::LocalError(_),
                        Some(error),
                    ) => CloseReason::PeerError(error),
                    (reason, _) => reason.clone(),
                };
                return Some(Err(reason.into()));
            }
            _ => {}
        }
        None
    }
}
