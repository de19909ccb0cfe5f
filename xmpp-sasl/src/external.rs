//! EXTERNAL (RFC 4422 Appendix A) with the XEP-0178 rules, client ([`ExternalClient`]) and
//! server ([`ExternalServer`]).
//!
//! The identity comes from outside SASL: the TLS layer checks the peer's certificate and
//! puts the identities it proves into [`Transport::peer_identities`](crate::Transport).
//! The client sends an empty response (`=` on the wire, UCR-SASL-19) or, for backward
//! compatibility, an explicit authorization identity (UCR-SASL-20), which the server accepts
//! when it is one of the certificate's identities or the store authorizes it.

use crate::client::ClientMechanism;
use crate::condition::SaslCondition;
use crate::credentials::Credentials;
use crate::failure::{Cause, Failure};
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};

use crate::single_message::{ClientExchange, ServerExchange};

/// The client side of EXTERNAL.
#[derive(Debug, Clone)]
pub struct ExternalClient {
    authzid: Vec<u8>,
    exchange: ClientExchange,
}

impl ExternalClient {
    /// An EXTERNAL client; sends the credentials' authorization identity, or an empty response
    /// when there is none (the XEP-0178 recommendation).
    pub fn new(credentials: &Credentials) -> Self {
        ExternalClient {
            authzid: credentials
                .authzid
                .as_deref()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            exchange: ClientExchange::default(),
        }
    }
}

impl ClientMechanism for ExternalClient {
    fn name(&self) -> &str {
        "EXTERNAL"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        self.exchange.initial_response(&self.authzid)
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        self.exchange.step(challenge, &self.authzid)
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        self.exchange.finish(additional_data)
    }
}

/// The server side of EXTERNAL.
#[derive(Debug, Default)]
pub struct ExternalServer {
    exchange: ServerExchange,
}

impl ExternalServer {
    /// An EXTERNAL server.
    pub fn new() -> Self {
        ExternalServer::default()
    }

    fn decide(ctx: &mut ServerContext<'_>, msg: &[u8]) -> Result<ServerStep, Failure> {
        let authzid = std::str::from_utf8(msg)
            .map_err(|_| Failure::malformed("EXTERNAL authzid is not UTF-8"))?;
        let ids = &ctx.transport.peer_identities;
        let Some(first) = ids.first() else {
            return Err(Failure::not_authorized(Cause::NoExternalIdentity));
        };
        let identity = if authzid.is_empty() {
            Identity::External {
                identity: first.clone(),
                authzid: None,
            }
        } else if let Some(id) = ids.iter().find(|id| id.eq_ignore_ascii_case(authzid)) {
            Identity::External {
                identity: id.clone(),
                authzid: Some(authzid.to_owned()),
            }
        } else if let Some(id) = ids.iter().find(|id| ctx.store.authorize(id, authzid)) {
            Identity::External {
                identity: id.clone(),
                authzid: Some(authzid.to_owned()),
            }
        } else {
            return Err(Failure::new(
                SaslCondition::InvalidAuthzid,
                Cause::AuthzidRefused,
            ));
        };
        Ok(ServerStep::Success(Success {
            additional_data: None,
            identity,
        }))
    }
}

impl ServerMechanism for ExternalServer {
    fn name(&self) -> &str {
        "EXTERNAL"
    }

    fn start(
        &mut self,
        ctx: &mut ServerContext<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<ServerStep, Failure> {
        self.exchange
            .start(initial_response, |m| Self::decide(ctx, m))
    }

    fn step(
        &mut self,
        ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        self.exchange.step(response, |m| Self::decide(ctx, m))
    }
}
