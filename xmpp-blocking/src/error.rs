//! The adapter's error type: every way a blocking connection can fail, typed.

use std::io;

use xmpp_stream::connection::{BindStateError, CloseReason, ConfigError, LoginError, SendError};
use xmpp_stream::stream_error::StreamError;

/// Why a blocking operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The JID given to [`Client::connect`](crate::Client::connect) cannot log in (it has no
    /// local part).
    #[error("invalid JID {jid:?}: {reason}")]
    Jid {
        /// The JID as given.
        jid: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration or the machine's setup was refused.
    #[error("configuration: {0}")]
    Config(String),
    /// Trust anchors or CRLs could not be used (bad PEM, no anchor, a refused CRL): the
    /// [`TrustError`](crate::TrustError) of [`Trust`](crate::Trust) and
    /// [`ClientConfig::trusting`](crate::ClientConfig::trusting).
    #[error(transparent)]
    Trust(#[from] xmpp_stream::trust::TrustError),
    /// Name resolution failed (SRV lookup or A/AAAA).
    #[error("DNS lookup of {name} failed: {reason}")]
    Dns {
        /// The name looked up.
        name: String,
        /// Why it failed.
        reason: String,
    },
    /// The domain's SRV records say the service is decidedly not available (target ".").
    #[error("{domain} publishes no XMPP service (SRV target \".\")")]
    NoService {
        /// The domain.
        domain: String,
    },
    /// No address of the resolution plan accepted a TCP connection.
    #[error("TCP connect to {target} failed: {source}")]
    Connect {
        /// The last host:port tried.
        target: String,
        /// The last error.
        source: io::Error,
    },
    /// Reading or writing the transport failed.
    #[error("transport I/O: {0}")]
    Io(#[from] io::Error),
    /// Nothing arrived (or could be written) within the configured time.
    #[error("timed out during {during}")]
    Timeout {
        /// What was going on (`login`, `write`, `close`, ...).
        during: &'static str,
    },
    /// The connection was made but the login failed: credentials refused, TLS (a certificate
    /// refused, saying what to do), STARTTLS refused, a stream error, negotiation given up,
    /// or the server closed the connection. The same type as the tokio adapter's.
    #[error("{0}")]
    Login(#[source] LoginError),
    /// The stream ended with a stream error (sent by the peer or by us).
    #[error("stream error ({}): {error}", if *by_peer { "from the peer" } else { "sent by us" })]
    Stream {
        /// The error.
        error: StreamError,
        /// Whether the peer sent it.
        by_peer: bool,
    },
    /// A bind decision was given when no bind request was pending.
    #[error(transparent)]
    Bind(#[from] BindStateError),
    /// The stream is closed; nothing more can be sent or received.
    #[error("the stream is closed ({0:?})")]
    Closed(CloseReason),
    /// The machine refused a stanza.
    #[error("send refused: {0}")]
    Send(#[from] SendError),
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e.to_string())
    }
}

impl Error {
    /// The error an established stream's end means, or `None` for a graceful close.
    pub fn from_close(reason: &CloseReason) -> Option<Error> {
        Some(match reason {
            CloseReason::Graceful => return None,
            CloseReason::CloseTimeout => Error::Timeout { during: "close" },
            CloseReason::LocalError(e) => Error::Stream {
                error: e.clone(),
                by_peer: false,
            },
            CloseReason::PeerError(e) => Error::Stream {
                error: e.clone(),
                by_peer: true,
            },
            other => Error::Closed(other.clone()),
        })
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
}
