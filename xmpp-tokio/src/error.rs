//! The typed errors of [`connect`](crate::connect): one variant per way a login can fail.

use std::net::SocketAddr;

/// Why [`connect`](crate::connect) did not produce an established session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The JID or the password cannot be used (e.g. the password fails SASLprep).
    #[error("invalid credentials: {0}")]
    Credentials(String),
    /// The machine could not be set up (profile or TLS configuration).
    #[error("configuration: {0}")]
    Config(#[from] xmpp_stream::connection::ConfigError),
    /// A DNS lookup failed.
    #[error("DNS lookup of {name} failed: {reason}")]
    Dns {
        /// The name that was looked up.
        name: String,
        /// What the resolver said.
        reason: String,
    },
    /// The domain's SRV records say the service is decidedly not available (target ".").
    #[error("{0} publishes no XMPP service (SRV target \".\")")]
    NoService(String),
    /// No address could be connected to.
    #[error("TCP connection failed{}: {source}", addr.map(|a| format!(" (last tried {a})")).unwrap_or_default())]
    Tcp {
        /// The last address tried, if any was found.
        addr: Option<SocketAddr>,
        /// The last error.
        source: std::io::Error,
    },
    /// TLS failed: a refused certificate (with what is wrong and what to do) or a protocol
    /// failure; the rustls error is the source.
    #[error("{0}")]
    Tls(#[source] xmpp_stream::tls_failure::TlsFailure),
    /// The server refused STARTTLS.
    #[error("the server refused STARTTLS")]
    StartTlsRefused,
    /// SASL authentication failed with this condition.
    #[error("authentication failed: {condition}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Sasl {
        /// The SASL failure condition (`not-authorized`, ...).
        condition: String,
        /// The server's text, if any.
        text: Option<String>,
    },
    /// The stream ended with a stream error (ours or the server's).
    #[error("stream error: {condition}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Stream {
        /// The stream error condition (`host-unknown`, ...).
        condition: String,
        /// The error's text, if any.
        text: Option<String>,
    },
    /// Negotiation failed for another reason (policy, unexpected answer).
    #[error("negotiation failed: {0}")]
    Negotiation(String),
    /// The server closed the connection during negotiation.
    #[error("the server closed the connection during negotiation")]
    ClosedDuringNegotiation,
    /// The login did not complete in time.
    #[error("timed out after {0:?} while {1}")]
    Timeout(std::time::Duration, &'static str),
}
