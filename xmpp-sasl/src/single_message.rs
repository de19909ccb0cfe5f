//! The exchange shared by PLAIN, EXTERNAL and ANONYMOUS: the client sends one message, as its
//! initial response or after an empty challenge; the server decides on that message; nothing
//! else may be exchanged. Each mechanism keeps only what its message means.

use crate::condition::SaslCondition;
use crate::failure::{Cause, Failure};
use crate::server::ServerStep;

/// The failure for a message that the exchange does not allow at this point.
pub(crate) fn unexpected() -> Failure {
    Failure::new(SaslCondition::MalformedRequest, Cause::UnexpectedMessage)
}

/// The client's half: when its one message may go out, and whether the outcome is acceptable.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClientExchange {
    sent: bool,
    done: bool,
}

impl ClientExchange {
    /// The message as the initial response; only once.
    pub(crate) fn initial_response(&mut self, message: &[u8]) -> Result<Option<Vec<u8>>, Failure> {
        if self.sent || self.done {
            self.done = true;
            return Err(unexpected());
        }
        self.sent = true;
        Ok(Some(message.to_vec()))
    }

    /// An empty challenge before the message was sent asks for it; anything else is an error.
    pub(crate) fn step(&mut self, challenge: &[u8], message: &[u8]) -> Result<Vec<u8>, Failure> {
        if self.sent || self.done || !challenge.is_empty() {
            self.done = true;
            return Err(unexpected());
        }
        self.sent = true;
        Ok(message.to_vec())
    }

    /// Success is acceptable once the message went out, and only without additional data.
    pub(crate) fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        let ok = self.sent && !self.done && additional_data.is_none_or(<[u8]>::is_empty);
        // Whatever the verdict, the exchange is over.
        self.done = true;
        if ok { Ok(()) } else { Err(unexpected()) }
    }
}

/// The server's half: asks for the message when it did not come with `<auth/>`, and hands it
/// to the mechanism's decision exactly once.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ServerExchange {
    awaiting: bool,
    finished: bool,
}

impl ServerExchange {
    /// `<auth/>`: decides on the initial response, or answers with an empty challenge.
    pub(crate) fn start(
        &mut self,
        initial_response: Option<&[u8]>,
        decide: impl FnOnce(&[u8]) -> Result<ServerStep, Failure>,
    ) -> Result<ServerStep, Failure> {
        if self.awaiting || self.finished {
            return Err(unexpected());
        }
        match initial_response {
            None => {
                self.awaiting = true;
                Ok(ServerStep::Challenge(Vec::new()))
            }
            Some(message) => {
                self.finished = true;
                decide(message)
            }
        }
    }

    /// `<response/>` to the empty challenge: decides on it; any other response is an error.
    pub(crate) fn step(
        &mut self,
        response: &[u8],
        decide: impl FnOnce(&[u8]) -> Result<ServerStep, Failure>,
    ) -> Result<ServerStep, Failure> {
        if !self.awaiting || self.finished {
            self.finished = true;
            return Err(unexpected());
        }
        self.awaiting = false;
        self.finished = true;
        decide(response)
    }
}
