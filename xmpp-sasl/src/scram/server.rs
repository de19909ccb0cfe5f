//! [`ScramServer`]: the server side of SCRAM-SHA-1/256/512 and their -PLUS variants.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::client::new_nonce;
use super::hash::ScramHash;
use super::message::{self, CbFlag};
use crate::condition::SaslCondition;
use crate::credentials::saslprep;
use crate::failure::{Cause, Failure};
use crate::mechanism::Mechanism;
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};
use crate::server_policy::ServerPolicy;
use crate::store::{AccountStatus, StoreError};
use crate::transport::{ChannelBindingType, Transport};

#[derive(Debug)]
enum State {
    Initial,
    AwaitingFirst,
    SentFirst(Box<Exchange>),
    Done,
    Failed,
}

struct Exchange {
    username: String,
    authzid: Option<String>,
    /// gs2 header as sent plus the channel binding data, i.e. what `c=` must decode to.
    cbind_input: Vec<u8>,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    /// `None` for an unknown user: the exchange goes on with made-up parameters and fails at
    /// the end, so that user names cannot be harvested.
    keys: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("username", &self.username)
            .field("authzid", &self.authzid)
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

/// The server side of SCRAM.
///
/// Usually started by [`ServerSession`](crate::ServerSession); direct construction is for
/// callers that run their own negotiation.
#[derive(Debug)]
pub struct ScramServer {
    mechanism: Mechanism,
    hash: ScramHash,
    plus: bool,
    binding_types: Vec<ChannelBindingType>,
    any_plus_enabled: bool,
    unknown_user_key: Option<[u8; 32]>,
    fake_iterations: u32,
    fixed_nonce: Option<String>,
    state: State,
}

impl ScramServer {
    /// A SCRAM server for `hash`, the -PLUS variant if `plus`, with the channel binding types,
    /// unknown-user handling and iteration count of `config`.
    pub fn new(hash: ScramHash, plus: bool, config: &ServerPolicy) -> Self {
        ScramServer {
            mechanism: Mechanism::for_scram(hash, plus),
            hash,
            plus,
            binding_types: config.channel_binding_types.clone(),
            any_plus_enabled: config.mechanisms.iter().any(|m| m.is_plus()),
            unknown_user_key: config.unknown_user_key,
            fake_iterations: config.scram_iterations,
            fixed_nonce: None,
            state: State::Initial,
        }
    }

    #[cfg(test)]
    pub(crate) fn with_server_nonce(mut self, nonce: &str) -> Self {
        self.fixed_nonce = Some(nonce.to_owned());
        self
    }

    /// Whether this server would have advertised a -PLUS mechanism on this transport.
    fn supports_binding(&self, transport: &Transport) -> bool {
        self.any_plus_enabled
            && self
                .binding_types
                .iter()
                .any(|t| transport.channel_binding(*t).is_some())
    }

    fn fake_salt(&self, ctx: &mut ServerContext<'_>, username: &str) -> Vec<u8> {
        match &self.unknown_user_key {
            Some(key) => {
                let mut salt = ScramHash::Sha256.hmac(
                    key,
                    &[
                        b"scram-unknown-user",
                        self.hash.name().as_bytes(),
                        username.as_bytes(),
                    ],
                );
                salt.truncate(16);
                salt
            }
            None => {
                let mut salt = vec![0; 16];
                ctx.rng.fill_bytes(&mut salt);
                salt
            }
        }
    }

    fn client_first(
        &mut self,
        ctx: &mut ServerContext<'_>,
        data: &[u8],
    ) -> Result<ServerStep, Failure> {
        let text = std::str::from_utf8(data)
            .map_err(|_| Failure::malformed("SCRAM client-first is not UTF-8"))?;
        let cf = message::parse_client_first(text)?;
        let mut cbind_input = cf.gs2_header.as_bytes().to_vec();
        match cf.flag {
            CbFlag::P(name) => {
                if !self.plus {
                    return Err(Failure::new(
                        SaslCondition::MalformedRequest,
                        Cause::ChannelBindingFlag,
                    ));
                }
                let binding = name
                    .parse::<ChannelBindingType>()
                    .ok()
                    .filter(|t| self.binding_types.contains(t))
                    .and_then(|t| ctx.transport.channel_binding(t))
                    .ok_or_else(|| {
                        Failure::not_authorized(Cause::ChannelBindingUnsupported(
                            crate::text::truncate(name, 64),
                        ))
                    })?;
                cbind_input.extend_from_slice(binding.data());
            }
            CbFlag::Y | CbFlag::N if self.plus => {
                return Err(Failure::new(
                    SaslCondition::MalformedRequest,
                    Cause::ChannelBindingFlag,
                ));
            }
            CbFlag::Y if self.supports_binding(ctx.transport) => {
                return Err(Failure::not_authorized(Cause::ChannelBindingDowngrade));
            }
            CbFlag::Y | CbFlag::N => {}
        }
        let username = saslprep(&cf.username, "username")
            .map_err(|_| Failure::not_authorized(Cause::Saslprep))?;
        let (salt, iterations, keys) = match ctx.store.scram_credentials(&username, self.hash) {
            Ok(c) => (
                c.salt().to_vec(),
                c.iterations(),
                Some((c.stored_key().to_vec(), c.server_key().to_vec())),
            ),
            Err(StoreError::Unavailable(why)) => {
                return Err(Failure::new(
                    SaslCondition::TemporaryAuthFailure,
                    Cause::Temporary(why),
                ));
            }
            Err(StoreError::UnknownUser | StoreError::WrongPassword) => {
                (self.fake_salt(ctx, &username), self.fake_iterations, None)
            }
        };
        let server_nonce = match &self.fixed_nonce {
            Some(n) => n.clone(),
            None => new_nonce(ctx.rng),
        };
        let nonce = format!("{}{}", cf.nonce, server_nonce);
        let server_first = format!("r={nonce},s={},i={iterations}", STANDARD.encode(&salt));
        let out = server_first.clone().into_bytes();
        self.state = State::SentFirst(Box::new(Exchange {
            username,
            authzid: cf.authzid,
            cbind_input,
            client_first_bare: cf.bare.to_owned(),
            server_first,
            nonce,
            keys,
        }));
        Ok(ServerStep::Challenge(out))
    }

    fn client_final(
        &mut self,
        ctx: &mut ServerContext<'_>,
        ex: &Exchange,
        data: &[u8],
    ) -> Result<ServerStep, Failure> {
        let text = std::str::from_utf8(data)
            .map_err(|_| Failure::malformed("SCRAM client-final is not UTF-8"))?;
        let cf = message::parse_client_final(text)?;
        if cf.proof.len() != self.hash.output_len() {
            return Err(Failure::malformed("SCRAM proof has the wrong length"));
        }
        if !bool::from(cf.channel_binding.ct_eq(&ex.cbind_input)) {
            return Err(Failure::not_authorized(Cause::ChannelBindingMismatch));
        }
        if cf.nonce != ex.nonce {
            return Err(Failure::not_authorized(Cause::NonceMismatch));
        }
        let Some((stored_key, server_key)) = &ex.keys else {
            return Err(Failure::not_authorized(Cause::UnknownUser));
        };
        let auth_message = format!(
            "{},{},{}",
            ex.client_first_bare, ex.server_first, cf.without_proof
        );
        let client_signature = self.hash.hmac(stored_key, &[auth_message.as_bytes()]);
        let client_key: Vec<u8> = cf
            .proof
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        if !bool::from(self.hash.hash(&client_key).ct_eq(stored_key)) {
            return Err(Failure::not_authorized(Cause::InvalidCredentials));
        }
        match ctx.store.account_status(&ex.username) {
            AccountStatus::Active => {}
            AccountStatus::Disabled => {
                return Err(Failure::new(
                    SaslCondition::AccountDisabled,
                    Cause::AccountDisabled,
                ));
            }
            AccountStatus::CredentialsExpired => {
                return Err(Failure::new(
                    SaslCondition::CredentialsExpired,
                    Cause::CredentialsExpired,
                ));
            }
        }
        if let Some(authzid) = &ex.authzid {
            if !ctx.store.authorize(&ex.username, authzid) {
                return Err(Failure::new(
                    SaslCondition::InvalidAuthzid,
                    Cause::AuthzidRefused,
                ));
            }
        }
        let server_signature = self.hash.hmac(server_key, &[auth_message.as_bytes()]);
        let server_final = format!("v={}", STANDARD.encode(server_signature));
        Ok(ServerStep::Success(Success {
            additional_data: Some(server_final.into_bytes()),
            identity: Identity::User {
                authcid: ex.username.clone(),
                authzid: ex.authzid.clone(),
            },
        }))
    }
}

impl ServerMechanism for ScramServer {
    fn name(&self) -> &str {
        self.mechanism.name()
    }

    fn start(
        &mut self,
        ctx: &mut ServerContext<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<ServerStep, Failure> {
        if !matches!(self.state, State::Initial) {
            self.state = State::Failed;
            return Err(Failure::new(
                SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            ));
        }
        match initial_response {
            None => {
                self.state = State::AwaitingFirst;
                Ok(ServerStep::Challenge(Vec::new()))
            }
            Some(data) => {
                self.state = State::Failed;
                self.client_first(ctx, data)
            }
        }
    }

    fn step(
        &mut self,
        ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::AwaitingFirst => self.client_first(ctx, response),
            State::SentFirst(ex) => {
                let r = self.client_final(ctx, &ex, response);
                if r.is_ok() {
                    self.state = State::Done;
                }
                r
            }
            _ => Err(Failure::new(
                SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            )),
        }
    }
}
