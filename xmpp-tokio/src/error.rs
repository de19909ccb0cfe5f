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
    /// The connection was made but the login failed: credentials refused, TLS (a certificate
    /// refused, saying what to do), STARTTLS refused, a stream error, negotiation given up,
    /// or the server closed the connection. The same type as the blocking adapter's.
    #[error("{0}")]
    Login(#[source] xmpp_stream::connection::LoginError),
    /// The login did not complete in time.
    #[error("timed out after {0:?} while {1}")]
    Timeout(std::time::Duration, &'static str),
}
