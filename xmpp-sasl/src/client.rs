//! [`ClientMechanism`]: the uniform interface of every client-side mechanism, built-in (GSSAPI
//! included, feature `gssapi`) or implemented by another crate.

use std::fmt;

use crate::failure::Failure;

/// The client side of one SASL exchange, as a pure step machine: bytes in, bytes out.
///
/// The stream layer drives it like this:
/// 1. [`initial_response`](ClientMechanism::initial_response): `Some(data)` goes into
///    `<auth mechanism='NAME'>` (zero-length data as `=`), `None` means `<auth/>` without data.
/// 2. For each `<challenge/>`: [`step`](ClientMechanism::step) with the decoded data gives the
///    `<response/>` data.
/// 3. On `<success/>`: [`finish`](ClientMechanism::finish) with its additional data (`None` for
///    no data). Only `Ok(())` means the client accepts the success: for SCRAM this is where
///    the server's signature is verified, so a server that does not know the password is caught
///    here and the stream must be closed.
///
/// Any `Err(Failure)` ends the exchange: send `<abort/>` (or close the stream after a failed
/// `finish`) and report the failure. After an error every further call fails too.
pub trait ClientMechanism: fmt::Debug + Send {
    /// The mechanism's registered name, for `<auth mechanism='...'>`.
    fn name(&self) -> &str;

    /// The initial response to put in `<auth/>`, if the mechanism has one.
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure>;

    /// Processes a server challenge and returns the response data.
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure>;

    /// Processes `<success/>` and its additional data; `Ok(())` means authenticated.
    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure>;
}

impl<M: ClientMechanism + ?Sized> ClientMechanism for Box<M> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        (**self).initial_response()
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        (**self).step(challenge)
    }
    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        (**self).finish(additional_data)
    }
}
