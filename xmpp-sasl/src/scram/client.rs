//! [`ScramClient`]: the client side of SCRAM-SHA-1/256/512 and their -PLUS variants.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;

use super::hash::{MIN_ITERATIONS, ScramHash};
use super::message::{self, ServerFinal};
use crate::client::ClientMechanism;
use crate::credentials::{Credentials, CredentialsError};
use crate::failure::{Cause, Failure};
use crate::mechanism::Mechanism;
use crate::transport::ChannelBinding;

/// How the client uses channel binding, i.e. its gs2 flag (RFC 5802 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelBindingMode {
    /// `n`: no channel binding (the client has no binding data, or the server offered -PLUS but
    /// the client does not use it).
    Unused,
    /// `y`: the client could bind but the server offered no -PLUS mechanism. A server that
    /// does support channel binding fails the exchange: it detects a downgrade.
    ServerNotAdvertised,
    /// `p=<type>`: the -PLUS mechanism, bound to this data.
    Bound(ChannelBinding),
}

/// The iteration counts a client accepts from a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IterationLimits {
    /// Below this the client refuses (default 4096, RFC 7677 §4).
    pub min: u32,
    /// Above this the client refuses, so a hostile server cannot make it spin (default
    /// 10,000,000).
    pub max: u32,
}

impl Default for IterationLimits {
    fn default() -> Self {
        IterationLimits {
            min: MIN_ITERATIONS,
            max: 10_000_000,
        }
    }
}

#[derive(Debug)]
enum State {
    Initial,
    SentFirst { gs2_header: String, bare: String },
    SentFinal { server_signature: Vec<u8> },
    Verified { server_signature: Vec<u8> },
    Done,
    Failed,
}

/// The client side of SCRAM.
///
/// Usually made by [`Choice::start`](crate::Choice::start); direct construction is for
/// callers that pick the mechanism themselves.
pub struct ScramClient {
    mechanism: Mechanism,
    hash: ScramHash,
    binding: ChannelBindingMode,
    username: String,
    password: String,
    authzid: Option<String>,
    nonce: String,
    limits: IterationLimits,
    state: State,
}

impl std::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramClient")
            .field("mechanism", &self.mechanism)
            .field("binding", &self.binding)
            .field("username", &self.username)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// A fresh nonce: 18 random bytes in base64, 24 printable characters without `,`.
pub(crate) fn new_nonce(rng: &mut dyn CryptoRngCore) -> String {
    let mut raw = [0u8; 18];
    rng.fill_bytes(&mut raw);
    STANDARD.encode(raw)
}

impl ScramClient {
    /// A SCRAM client for `hash`; the mechanism is the -PLUS variant exactly when `binding` is
    /// [`ChannelBindingMode::Bound`]. The client nonce is drawn from `rng` here.
    pub fn new(
        hash: ScramHash,
        binding: ChannelBindingMode,
        credentials: &Credentials,
        limits: IterationLimits,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, CredentialsError> {
        let nonce = new_nonce(rng);
        Self::with_nonce(hash, binding, credentials, limits, nonce)
    }

    pub(crate) fn with_nonce(
        hash: ScramHash,
        binding: ChannelBindingMode,
        credentials: &Credentials,
        limits: IterationLimits,
        nonce: String,
    ) -> Result<Self, CredentialsError> {
        let plus = matches!(binding, ChannelBindingMode::Bound(_));
        let mechanism = Mechanism::for_scram(hash, plus);
        let (username, password) = credentials.user_password(mechanism.name())?;
        Ok(ScramClient {
            mechanism,
            hash,
            binding,
            username: username.to_owned(),
            password: password.to_owned(),
            authzid: credentials.authzid.clone(),
            nonce,
            limits,
            state: State::Initial,
        })
    }

    /// The mechanism (depends on the binding mode).
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    fn gs2_header(&self) -> String {
        let flag = match &self.binding {
            ChannelBindingMode::Unused => "n".to_owned(),
            ChannelBindingMode::ServerNotAdvertised => "y".to_owned(),
            ChannelBindingMode::Bound(b) => format!("p={}", b.kind().name()),
        };
        match &self.authzid {
            Some(a) => format!("{flag},a={},", message::escape(a)),
            None => format!("{flag},,"),
        }
    }

    fn client_final(
        &mut self,
        gs2_header: &str,
        bare: &str,
        challenge: &[u8],
    ) -> Result<Vec<u8>, Failure> {
        let server_first = std::str::from_utf8(challenge)
            .map_err(|_| Failure::malformed("SCRAM server-first is not UTF-8"))?;
        let sf = message::parse_server_first(server_first)?;
        if sf.nonce.len() <= self.nonce.len() || !sf.nonce.starts_with(&self.nonce) {
            return Err(Failure::not_authorized(Cause::NonceMismatch));
        }
        if sf.iterations < self.limits.min {
            return Err(Failure::new(
                crate::SaslCondition::MechanismTooWeak,
                Cause::IterationCountTooLow {
                    iterations: sf.iterations,
                    minimum: self.limits.min,
                },
            ));
        }
        if sf.iterations > self.limits.max {
            return Err(Failure::new(
                crate::SaslCondition::MalformedRequest,
                Cause::IterationCountTooHigh {
                    iterations: sf.iterations,
                    maximum: self.limits.max,
                },
            ));
        }
        let mut cbind_input = gs2_header.as_bytes().to_vec();
        if let ChannelBindingMode::Bound(b) = &self.binding {
            cbind_input.extend_from_slice(b.data());
        }
        let without_proof = format!("c={},r={}", STANDARD.encode(&cbind_input), sf.nonce);
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let salted = self
            .hash
            .salted_password(self.password.as_bytes(), &sf.salt, sf.iterations);
        let (client_key, stored_key, server_key) = self.hash.keys(&salted);
        let client_signature = self.hash.hmac(&stored_key, &[auth_message.as_bytes()]);
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_signature = self.hash.hmac(&server_key, &[auth_message.as_bytes()]);
        self.state = State::SentFinal { server_signature };
        Ok(format!("{without_proof},p={}", STANDARD.encode(proof)).into_bytes())
    }
}

fn verify_server_final(expected: &[u8], data: &[u8]) -> Result<(), Failure> {
    let text = std::str::from_utf8(data)
        .map_err(|_| Failure::malformed("SCRAM server-final is not UTF-8"))?;
    match message::parse_server_final(text)? {
        ServerFinal::Error(e) => Err(Failure::not_authorized(Cause::ServerError(e))),
        ServerFinal::Verifier(v) => {
            if bool::from(v.ct_eq(expected)) {
                Ok(())
            } else {
                Err(Failure::not_authorized(Cause::ServerSignatureMismatch))
            }
        }
    }
}

impl ClientMechanism for ScramClient {
    fn name(&self) -> &str {
        self.mechanism.name()
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        if !matches!(self.state, State::Initial) {
            self.state = State::Failed;
            return Err(Failure::new(
                crate::SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            ));
        }
        let gs2_header = self.gs2_header();
        let bare = format!("n={},r={}", message::escape(&self.username), self.nonce);
        let out = format!("{gs2_header}{bare}").into_bytes();
        self.state = State::SentFirst { gs2_header, bare };
        Ok(Some(out))
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let result = match state {
            State::SentFirst { gs2_header, bare } => {
                self.client_final(&gs2_header, &bare, challenge)
            }
            State::SentFinal { server_signature } => {
                // The server-final message came as a challenge (older servers): verify it and
                // answer with an empty response.
                verify_server_final(&server_signature, challenge).map(|()| {
                    self.state = State::Verified { server_signature };
                    Vec::new()
                })
            }
            _ => Err(Failure::new(
                crate::SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            )),
        };
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let result = match (state, additional_data) {
            (State::SentFinal { server_signature }, Some(data)) if !data.is_empty() => {
                verify_server_final(&server_signature, data)
            }
            (State::Verified { .. }, None) => Ok(()),
            (State::Verified { .. }, Some([])) => Ok(()),
            (State::Verified { server_signature }, Some(data)) => {
                verify_server_final(&server_signature, data)
            }
            (State::Done | State::Failed, _) => Err(Failure::new(
                crate::SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            )),
            _ => Err(Failure::not_authorized(Cause::MissingServerVerification)),
        };
        if result.is_ok() {
            self.state = State::Done;
        }
        result
    }
}
