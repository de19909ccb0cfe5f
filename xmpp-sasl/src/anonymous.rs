//! ANONYMOUS (RFC 4505), client ([`AnonymousClient`]) and server ([`AnonymousServer`]).
//!
//! Implemented for the NATO profile (which requires it) but never offered or accepted unless
//! the server configuration lists it: the DoD profile forbids anonymous login (UCR-SASL-3),
//! and so does the default configuration.

use crate::client::ClientMechanism;
use crate::credentials::Credentials;
use crate::failure::Failure;
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};

use crate::single_message::{ClientExchange, ServerExchange};

/// The client side of ANONYMOUS: sends the optional trace.
#[derive(Debug, Clone)]
pub struct AnonymousClient {
    trace: Vec<u8>,
    exchange: ClientExchange,
}

impl AnonymousClient {
    /// An ANONYMOUS client with the credentials' trace (empty if none).
    pub fn new(credentials: &Credentials) -> Self {
        AnonymousClient {
            trace: credentials
                .trace
                .as_deref()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            exchange: ClientExchange::default(),
        }
    }
}

impl ClientMechanism for AnonymousClient {
    fn name(&self) -> &str {
        "ANONYMOUS"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        self.exchange.initial_response(&self.trace)
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        self.exchange.step(challenge, &self.trace)
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        self.exchange.finish(additional_data)
    }
}

/// The server side of ANONYMOUS: accepts any well-formed trace (UTF-8, at most 255
/// characters, no NUL).
#[derive(Debug, Default)]
pub struct AnonymousServer {
    exchange: ServerExchange,
}

impl AnonymousServer {
    /// An ANONYMOUS server.
    pub fn new() -> Self {
        AnonymousServer::default()
    }

    fn accept(msg: &[u8]) -> Result<ServerStep, Failure> {
        let trace = std::str::from_utf8(msg)
            .map_err(|_| Failure::malformed("ANONYMOUS trace is not UTF-8"))?;
        if trace.contains('\0') || trace.chars().count() > 255 {
            return Err(Failure::malformed("ANONYMOUS trace is too long or has NUL"));
        }
        Ok(ServerStep::Success(Success {
            additional_data: None,
            identity: Identity::Anonymous {
                trace: (!trace.is_empty()).then(|| trace.to_owned()),
            },
        }))
    }
}

impl ServerMechanism for AnonymousServer {
    fn name(&self) -> &str {
        "ANONYMOUS"
    }

    fn start(
        &mut self,
        _ctx: &mut ServerContext<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<ServerStep, Failure> {
        self.exchange.start(initial_response, Self::accept)
    }

    fn step(
        &mut self,
        _ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        self.exchange.step(response, Self::accept)
    }
}
