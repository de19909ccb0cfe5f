//! EXTERNAL (RFC 4422 Appendix A) with the XEP-0178 rules, client ([`ExternalClient`]) and
//! server ([`ExternalServer`]).
//!
//! The identity comes from outside SASL: the TLS layer checks the peer's certificate and
//! puts the identities it proves into [`Transport::peer_identities`](crate::Transport).
//! The client sends an empty response (`=` on the wire, UCR-SASL-19) or, for backward
//! compatibility, an explicit authorization identity (UCR-SASL-20), which the server accepts
//! when it is one of the certificate's identities or the store authorizes it.

use crate::client::ClientMechanism;
use crate::condition::Condition;
use crate::credentials::Credentials;
use crate::failure::{Cause, Failure};
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};

fn unexpected() -> Failure {
    Failure::new(Condition::MalformedRequest, Cause::UnexpectedMessage)
}

/// The client side of EXTERNAL.
#[derive(Debug, Clone)]
pub struct ExternalClient {
    authzid: Vec<u8>,
    sent: bool,
    done: bool,
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
            sent: false,
            done: false,
        }
    }
}

impl ClientMechanism for ExternalClient {
    fn name(&self) -> &str {
        "EXTERNAL"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        if self.sent || self.done {
            self.done = true;
            return Err(unexpected());
        }
        self.sent = true;
        Ok(Some(self.authzid.clone()))
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        if self.sent || self.done || !challenge.is_empty() {
            self.done = true;
            return Err(unexpected());
        }
        self.sent = true;
        Ok(self.authzid.clone())
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        let ok = self.sent && !self.done && additional_data.is_none_or(<[u8]>::is_empty);
        // Whatever the verdict, the exchange is over.
        self.done = true;
        if ok { Ok(()) } else { Err(unexpected()) }
    }
}

/// The server side of EXTERNAL.
#[derive(Debug, Default)]
pub struct ExternalServer {
    awaiting: bool,
    finished: bool,
}

impl ExternalServer {
    /// An EXTERNAL server.
    pub fn new() -> Self {
        ExternalServer::default()
    }

    fn decide(&mut self, ctx: &mut ServerContext<'_>, msg: &[u8]) -> Result<ServerStep, Failure> {
        self.finished = true;
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
                Condition::InvalidAuthzid,
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
        if self.awaiting || self.finished {
            return Err(unexpected());
        }
        match initial_response {
            None => {
                self.awaiting = true;
                Ok(ServerStep::Challenge(Vec::new()))
            }
            Some(msg) => self.decide(ctx, msg),
        }
    }

    fn step(
        &mut self,
        ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        if !self.awaiting || self.finished {
            self.finished = true;
            return Err(unexpected());
        }
        self.awaiting = false;
        self.decide(ctx, response)
    }
}
