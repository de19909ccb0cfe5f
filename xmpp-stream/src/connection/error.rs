//! Refusals of the connection API: [`SendError`] (an element not sent), [`ConfigError`] (a
//! machine not made), [`BindStateError`] (a bind decision nobody asked for).

use crate::tls::TlsError;
use crate::xml::WriteError;

/// Why [`Connection::send`](super::Connection::send) refused an element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Negotiation is not complete yet.
    #[error("the stream is not established yet")]
    NotReady,
    /// The stream is closing or closed.
    #[error("the stream is closed")]
    Closed,
    /// Too many bytes are waiting for `poll_transmit`.
    #[error("pending output over the limit ({0} bytes)")]
    Backpressure(usize),
    /// This side of an s2s stream carries no stanzas (RFC 6120 §4.3: one stream per
    /// direction).
    #[error("a receiving s2s stream does not send stanzas")]
    WrongDirection,
    /// The element is in another stream kind's content namespace.
    #[error("element namespace {0:?} does not match the stream's content namespace")]
    WrongNamespace(String),
    /// Stream management's queue of unacknowledged stanzas is full (its
    /// [`QueueLimits`](crate::stream_management::QueueLimits)): nothing was sent. An
    /// acknowledgement request is on its way; try again once the peer has answered.
    #[error("too many unacknowledged stanzas ({0:?} limit)")]
    QueueFull(crate::stream_management::QueueLimit),
    /// The element cannot be written (invalid name or forbidden character).
    #[error("element cannot be serialised: {0}")]
    Write(#[from] WriteError),
}

/// Errors in a machine's configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The profile is inconsistent.
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// TLS is required or Direct TLS asked for, but no TLS configuration was given.
    #[error("TLS is required but no TLS configuration was given")]
    MissingTls,
    /// The TLS layer could not be created.
    #[error("TLS setup failed: {0}")]
    Tls(#[from] TlsError),
    /// A setting does not fit the stream kind (e.g. a c2s initiator without a JID).
    #[error("invalid setup: {0}")]
    Invalid(&'static str),
}

/// [`Connection::bind`](super::Connection::bind) was called with no bind request pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no bind request is pending")]
pub struct BindStateError;

/// [`Connection::resume`](super::Connection::resume) could not take the decision; the
/// session is handed back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeStateError {
    /// No resumption request is pending on this machine.
    #[error("no resumption request is pending")]
    NotPending(Box<crate::stream_management::ResumeDecision>),
    /// The session belongs to another account than the one that authenticated on this
    /// stream, or is not resumable: the request is still pending.
    #[error("the session is not a resumable session of this stream's account")]
    WrongSession(Box<crate::stream_management::SmSession>),
}
