//! ANONYMOUS (RFC 4505), client ([`AnonymousClient`]) and server ([`AnonymousServer`]).
//!
//! Implemented for the NATO profile (which requires it) but never offered or accepted unless
//! the server configuration lists it: the DoD profile forbids anonymous login (UCR-SASL-3),
//! and so does the default configuration.

use crate::client::ClientMechanism;
use crate::condition::Condition;
use crate::credentials::Credentials;
use crate::failure::{Cause, Failure};
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};

fn unexpected() -> Failure {
    Failure::new(Condition::MalformedRequest, Cause::UnexpectedMessage)
}

/// The client side of ANONYMOUS: sends the optional trace.
#[derive(Debug, Clone)]
pub struct AnonymousClient {
    trace: Vec<u8>,
    sent: bool,
    done: bool,
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
            sent: false,
            done: false,
        }
    }
}

impl ClientMechanism for AnonymousClient {
    fn name(&self) -> &str {
        "ANONYMOUS"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        if self.sent || self.done {
            self.done = true;
            return Err(unexpected());
        }
        self.sent = true;
        Ok(Some(self.trace.clone()))
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        if self.sent || self.done || !challenge.is_empty() {
            self.done = true;
            return Err(unexpected());
        }
        self.sent = true;
        Ok(self.trace.clone())
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        let ok = self.sent && !self.done && additional_data.is_none_or(<[u8]>::is_empty);
        // Whatever the verdict, the exchange is over.
        self.done = true;
        if ok { Ok(()) } else { Err(unexpected()) }
    }
}

/// The server side of ANONYMOUS: accepts any well-formed trace (UTF-8, at most 255
/// characters, no NUL).
#[derive(Debug, Default)]
pub struct AnonymousServer {
    awaiting: bool,
    finished: bool,
}

impl AnonymousServer {
    /// An ANONYMOUS server.
    pub fn new() -> Self {
        AnonymousServer::default()
    }

    fn accept(&mut self, msg: &[u8]) -> Result<ServerStep, Failure> {
        self.finished = true;
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
        if self.awaiting || self.finished {
            return Err(unexpected());
        }
        match initial_response {
            None => {
                self.awaiting = true;
                Ok(ServerStep::Challenge(Vec::new()))
            }
            Some(msg) => self.accept(msg),
        }
    }

    fn step(
        &mut self,
        _ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        if !self.awaiting || self.finished {
            self.finished = true;
            return Err(unexpected());
        }
        self.awaiting = false;
        self.accept(response)
    }
}
