//! Where a [`Session`](super::Session)'s links come from after the first: the credentials and
//! configuration kept for reconnecting ([`Redial`]), what a lost link leaves behind for the
//! next one ([`LinkLeftovers`]), and the one function that opens a new link
//! ([`open_next_link`]). A failed attempt becomes the [`DisconnectReason`] the reconnection
//! rules of `xmpp_im::session` judge.

use xmpp_im::session::{DisconnectReason, Reconnector};
use xmpp_jid::{BareJid, FullJid};

use xmpp_stream::stream_management::SmSession;

use crate::client::{Client, ClientConfig};
use crate::error::Error;

/// What a session made by `Session::connect` keeps to log in again: the account, its
/// password, the configuration, and the reconnection counter.
pub(super) struct Redial {
    pub(super) jid: BareJid,
    pub(super) password: String,
    pub(super) config: ClientConfig,
    pub(super) reconnector: Reconnector,
}

impl std::fmt::Debug for Redial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Redial")
            .field("jid", &self.jid)
            .field("reconnector", &self.reconnector)
            .finish_non_exhaustive()
    }
}

/// What the previous link leaves to the next one.
#[derive(Debug, Clone)]
pub(super) struct LinkLeftovers {
    /// The full JID it had bound: the next link asks for the same resource.
    pub(super) bound: FullJid,
    /// Its managed session (XEP-0198), when the stream handed one out: the next link
    /// resumes it if it can.
    pub(super) managed: Option<SmSession>,
}

/// Opens the link that replaces a lost one: connects with the same credentials and
/// configuration and binds again, asking for the resource the previous link had (unless the
/// configuration names one). Blocks for at most the configuration's login timeout.
///
/// With the previous link's managed session (XEP-0198) the new link resumes it
/// (`Client::resume`): the server sends again what the old link never handled, the client
/// what the server never handled, and the session goes on (no roster get, no initial
/// presence). When the server cannot resume it, the new link binds as without one (the
/// caller sees `Client::resumed` false).
pub(super) fn open_next_link(redial: &Redial, previous: &LinkLeftovers) -> Result<Client, Error> {
    let mut config = redial.config.clone();
    if config.resource.is_none() {
        config.resource = Some(previous.bound.resource().to_owned());
    }
    match previous.managed.as_ref().filter(|s| s.is_resumable()) {
        Some(session) => Client::resume(&redial.jid, &redial.password, &config, session.clone()),
        None => Client::connect(&redial.jid, &redial.password, &config),
    }
}

/// Why an attempt failed, in the terms of the reconnection rules.
pub(super) fn attempt_failure(error: Error) -> DisconnectReason {
    match error {
        Error::Login(e) => DisconnectReason::Login(e),
        Error::Stream { error, by_peer } => {
            DisconnectReason::Login(xmpp_stream::connection::LoginError::Stream { error, by_peer })
        }
        Error::Closed(reason) => DisconnectReason::Login(reason.into()),
        Error::Jid { .. } | Error::Config(_) | Error::Trust(_) => {
            DisconnectReason::Configuration(error.to_string())
        }
        // DNS, an SRV record saying "no service" (perhaps for now), TCP, I/O, timeouts, and
        // whatever a later version adds: the server was not reached.
        other => DisconnectReason::ConnectFailed(other.to_string()),
    }
}
