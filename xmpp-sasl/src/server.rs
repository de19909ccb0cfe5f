//! [`ServerMechanism`]: the uniform interface of every server-side mechanism, built-in or an
//! extension, with the [`ServerContext`] handed to each step and the [`ServerStep`] results.

use std::fmt;

use rand_core::CryptoRngCore;

use crate::failure::Failure;
use crate::store::CredentialStore;
use crate::transport::Transport;

/// What a server mechanism may use while it runs, handed in on every call so that the
/// mechanism itself owns no I/O, no store and no random source.
#[non_exhaustive]
pub struct ServerContext<'a> {
    /// Where credentials come from.
    pub store: &'a dyn CredentialStore,
    /// Random source for nonces and salts.
    pub rng: &'a mut dyn CryptoRngCore,
    /// TLS state, channel binding data and certificate identities of this connection.
    pub transport: &'a Transport,
}

impl<'a> ServerContext<'a> {
    /// A context over a store, a random source and the connection's transport facts.
    pub fn new(
        store: &'a dyn CredentialStore,
        rng: &'a mut dyn CryptoRngCore,
        transport: &'a Transport,
    ) -> Self {
        ServerContext {
            store,
            rng,
            transport,
        }
    }
}

impl fmt::Debug for ServerContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerContext")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// Who authenticated, as established by a server mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Identity {
    /// A user authenticated by a mechanism with a simple username (SCRAM, PLAIN, DIGEST-MD5,
    /// or an extension such as GSSAPI): the prepared username, and the authorization identity
    /// if one was requested and allowed.
    User {
        /// Authentication identity (for c2s the node of the account's JID).
        authcid: String,
        /// Requested and allowed authorization identity.
        authzid: Option<String>,
    },
    /// EXTERNAL: the identity proved by the certificate that was used, and the authorization
    /// identity sent by the client, if any (XEP-0178; for s2s the stream's `from` domain).
    External {
        /// Certificate identity used (one of [`Transport::peer_identities`]).
        identity: String,
        /// Authorization identity sent by the client, if any.
        authzid: Option<String>,
    },
    /// ANONYMOUS: no identity; the server assigns a temporary one.
    Anonymous {
        /// The trace information sent by the client, if any (RFC 4505).
        trace: Option<String>,
    },
}

/// A successful end of the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// Additional data for `<success/>` (SCRAM's server-final message); `None` for none.
    pub additional_data: Option<Vec<u8>>,
    /// Who authenticated.
    pub identity: Identity,
}

/// What a server mechanism answers to a client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStep {
    /// Send `<challenge/>` with this data and wait for a `<response/>`.
    Challenge(Vec<u8>),
    /// Send `<success/>`: the exchange is over.
    Success(Success),
}

/// The server side of one SASL exchange, as a pure step machine.
///
/// [`start`](ServerMechanism::start) gets the `<auth/>` initial response (`None` when there
/// was none); [`step`](ServerMechanism::step) each `<response/>`. An `Err` ends the exchange
/// with `<failure/>` and the error's condition. Extension mechanisms (GSSAPI, ...) implement
/// this trait and are registered with
/// [`ServerSession::with_extension`](crate::ServerSession::with_extension).
pub trait ServerMechanism: fmt::Debug + Send {
    /// The mechanism's registered name.
    fn name(&self) -> &str;

    /// Processes `<auth/>` and its initial response.
    fn start(
        &mut self,
        ctx: &mut ServerContext<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<ServerStep, Failure>;

    /// Processes a `<response/>`.
    fn step(&mut self, ctx: &mut ServerContext<'_>, response: &[u8])
    -> Result<ServerStep, Failure>;
}
