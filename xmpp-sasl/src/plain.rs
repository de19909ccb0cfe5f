//! PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`, client ([`PlainClient`]) and server
//! ([`PlainServer`]). The password travels in the clear: the negotiation layers use PLAIN only
//! on TLS-protected streams unless explicitly told otherwise (UCR-SASL-6).

use crate::client::ClientMechanism;
use crate::condition::SaslCondition;
use crate::credentials::{Credentials, CredentialsError, saslprep};
use crate::failure::{Cause, Failure};
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};
use crate::store::{AccountStatus, StoreError};

use crate::single_message::{ClientExchange, ServerExchange};

/// The client side of PLAIN. `Debug` never shows the password.
pub struct PlainClient {
    message: Vec<u8>,
    exchange: ClientExchange,
}

impl std::fmt::Debug for PlainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainClient")
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl PlainClient {
    /// A PLAIN client for username, password and optional authorization identity.
    pub fn new(credentials: &Credentials) -> Result<Self, CredentialsError> {
        let (user, pass) = credentials.user_password("PLAIN")?;
        let mut message = Vec::with_capacity(user.len() + pass.len() + 2);
        if let Some(a) = &credentials.authzid {
            message.extend_from_slice(a.as_bytes());
        }
        message.push(0);
        message.extend_from_slice(user.as_bytes());
        message.push(0);
        message.extend_from_slice(pass.as_bytes());
        Ok(PlainClient {
            message,
            exchange: ClientExchange::default(),
        })
    }
}

impl ClientMechanism for PlainClient {
    fn name(&self) -> &str {
        "PLAIN"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        self.exchange.initial_response(&self.message)
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        self.exchange.step(challenge, &self.message)
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        self.exchange.finish(additional_data)
    }
}

/// The server side of PLAIN: checks the password with
/// [`CredentialStore::verify_password`](crate::CredentialStore::verify_password).
#[derive(Debug, Default)]
pub struct PlainServer {
    exchange: ServerExchange,
}

impl PlainServer {
    /// A PLAIN server.
    pub fn new() -> Self {
        PlainServer::default()
    }

    fn verify(ctx: &mut ServerContext<'_>, msg: &[u8]) -> Result<ServerStep, Failure> {
        let mut parts = msg.split(|&b| b == 0);
        let (Some(authzid), Some(authcid), Some(passwd), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Failure::malformed("PLAIN message needs exactly two NULs"));
        };
        let utf8 = |b| {
            std::str::from_utf8(b).map_err(|_| Failure::malformed("PLAIN message is not UTF-8"))
        };
        let (authzid, authcid, passwd) = (utf8(authzid)?, utf8(authcid)?, utf8(passwd)?);
        if authcid.is_empty() || passwd.is_empty() {
            return Err(Failure::malformed("PLAIN authcid or password is empty"));
        }
        // RFC 4616 §2: preparation failing makes the verification fail.
        let user = saslprep(authcid, "username")
            .ok()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| Failure::not_authorized(Cause::Saslprep))?;
        let pass = saslprep(passwd, "password")
            .ok()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| Failure::not_authorized(Cause::Saslprep))?;
        match ctx.store.verify_password(&user, &pass) {
            Ok(()) => {}
            Err(StoreError::UnknownUser) => {
                return Err(Failure::not_authorized(Cause::UnknownUser));
            }
            Err(StoreError::WrongPassword) => {
                return Err(Failure::not_authorized(Cause::InvalidCredentials));
            }
            Err(StoreError::Unavailable(why)) => {
                return Err(Failure::new(
                    SaslCondition::TemporaryAuthFailure,
                    Cause::Temporary(why),
                ));
            }
        }
        match ctx.store.account_status(&user) {
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
        let authzid = (!authzid.is_empty()).then(|| authzid.to_owned());
        if let Some(a) = &authzid {
            if !ctx.store.authorize(&user, a) {
                return Err(Failure::new(
                    SaslCondition::InvalidAuthzid,
                    Cause::AuthzidRefused,
                ));
            }
        }
        Ok(ServerStep::Success(Success {
            additional_data: None,
            identity: Identity::User {
                authcid: user,
                authzid,
            },
        }))
    }
}

impl ServerMechanism for PlainServer {
    fn name(&self) -> &str {
        "PLAIN"
    }

    fn start(
        &mut self,
        ctx: &mut ServerContext<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<ServerStep, Failure> {
        self.exchange
            .start(initial_response, |m| Self::verify(ctx, m))
    }

    fn step(
        &mut self,
        ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        self.exchange.step(response, |m| Self::verify(ctx, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UCR-SASL-10: RFC 4616 §4 examples, byte for byte.
    #[test]
    fn ucr_sasl_10_rfc4616_client_messages() {
        let c = Credentials::password("tim", "tanstaaftanstaaf").unwrap();
        let mut m = PlainClient::new(&c).unwrap();
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"\0tim\0tanstaaftanstaaf"
        );
        let c = Credentials::password("Kurt", "xipj3plmq")
            .unwrap()
            .with_authzid("Ursel")
            .unwrap();
        let mut m = PlainClient::new(&c).unwrap();
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"Ursel\0Kurt\0xipj3plmq"
        );
        assert!(m.initial_response().is_err());
        assert!(m.finish(Some(b"x")).is_err());
    }

    #[test]
    fn plain_client_needs_a_password() {
        assert_eq!(
            PlainClient::new(&Credentials::certificate()).unwrap_err(),
            CredentialsError::MissingPassword { mechanism: "PLAIN" }
        );
    }

    #[test]
    fn plain_client_answers_an_empty_challenge_once() {
        let c = Credentials::password("tim", "pw").unwrap();
        let mut m = PlainClient::new(&c).unwrap();
        assert_eq!(m.step(b"").unwrap(), b"\0tim\0pw");
        assert!(m.finish(None).is_ok());
        assert!(m.finish(None).is_err());
        // A second challenge is an error, and ends the exchange.
        let mut m = PlainClient::new(&c).unwrap();
        assert_eq!(m.step(b"").unwrap(), b"\0tim\0pw");
        assert!(m.step(b"").is_err());
        assert!(m.finish(None).is_err());
    }
}
