//! [`GssapiClient`]: the client side of RFC 4752 over the system's GSS-API library.

use std::fmt;

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE};

use crate::client::ClientMechanism;
use crate::condition::SaslCondition;
use crate::credentials::{Credentials, CredentialsError};
use crate::failure::{Cause, Failure};
use crate::gssapi::error::{GssapiError, failure, gss_failure};
use crate::gssapi::layers::{LayerChoice, LayerOffer, SecurityLayers};
use crate::gssapi::{SERVICE, is_kerberos};

enum State {
    /// `initial_response` not called yet.
    Start,
    /// Context establishment: the server's tokens go to `gss_init_sec_context`.
    Establishing(ClientCtx),
    /// The context is established; the next challenge is the server's wrapped layer offer.
    AwaitOffer(ClientCtx),
    /// Our layer choice is sent; only `<success/>` may follow.
    Chosen,
    /// Finished, or failed: every further call fails.
    Over,
}

/// The client side of GSSAPI (Kerberos V5, RFC 4752): establishes a security context with
/// `xmpp@<service host>` from the tickets of the environment's credential cache, requires
/// mutual authentication (so the server is authenticated once the layers are negotiated),
/// and selects no security layer (TLS protects the stream) with the credentials'
/// authorization identity.
///
/// Made by [`Choice::start`](crate::Choice::start) for [`Mechanism::Gssapi`] with
/// [`Credentials::kerberos`].
///
/// [`Mechanism::Gssapi`]: crate::Mechanism::Gssapi
pub struct GssapiClient {
    target: String,
    authzid: Option<String>,
    state: State,
}

impl fmt::Debug for GssapiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Start => "start",
            State::Establishing(_) => "establishing",
            State::AwaitOffer(_) => "await-offer",
            State::Chosen => "chosen",
            State::Over => "over",
        };
        f.debug_struct("GssapiClient")
            .field("target", &self.target)
            .field("authzid", &self.authzid)
            .field("state", &state)
            .finish()
    }
}

impl GssapiClient {
    /// A client for Kerberos credentials ([`Credentials::kerberos`]); any other credentials
    /// are refused.
    pub fn new(credentials: &Credentials) -> Result<Self, CredentialsError> {
        if !credentials.kerberos {
            return Err(CredentialsError::NotKerberos);
        }
        let host = credentials
            .domain
            .as_deref()
            .ok_or(CredentialsError::MissingDomain)?;
        Ok(GssapiClient {
            target: format!("{SERVICE}@{host}"),
            authzid: credentials.authzid.clone(),
            state: State::Start,
        })
    }

    /// The host-based service name authenticated to (`xmpp@host`).
    pub fn target(&self) -> &str {
        &self.target
    }

    fn unexpected() -> Failure {
        Failure::new(SaslCondition::MalformedRequest, Cause::UnexpectedMessage)
    }

    /// Checks the established context: Kerberos V5, mutual authentication, integrity.
    fn check_established(ctx: &ClientCtx) -> Result<(), Failure> {
        let mech = ctx
            .mechanism()
            .map_err(|e| gss_failure("gss_inquire_context", e))?;
        if !is_kerberos(&mech) {
            return Err(failure(
                SaslCondition::NotAuthorized,
                GssapiError::NotKerberos,
            ));
        }
        let flags = ctx
            .flags()
            .map_err(|e| gss_failure("gss_inquire_context", e))?;
        if !flags.contains(CtxFlags::GSS_C_MUTUAL_FLAG) {
            return Err(failure(
                SaslCondition::NotAuthorized,
                GssapiError::NoMutualAuthentication,
            ));
        }
        if !flags.contains(CtxFlags::GSS_C_INTEG_FLAG) {
            return Err(failure(
                SaslCondition::NotAuthorized,
                GssapiError::NoIntegrity,
            ));
        }
        Ok(())
    }

    fn establish(&mut self, mut ctx: ClientCtx, token: Option<&[u8]>) -> Result<Vec<u8>, Failure> {
        let out = ctx
            .step(token, None)
            .map_err(|e| gss_failure("gss_init_sec_context", e))?;
        let out = out.map(|b| b.to_vec()).unwrap_or_default();
        if ctx.is_complete() {
            Self::check_established(&ctx)?;
            self.state = State::AwaitOffer(ctx);
        } else {
            if out.is_empty() {
                return Err(failure(
                    SaslCondition::MalformedRequest,
                    GssapiError::Token("gss_init_sec_context continues without a token"),
                ));
            }
            self.state = State::Establishing(ctx);
        }
        Ok(out)
    }

    fn choose(&mut self, mut ctx: ClientCtx, wrapped: &[u8]) -> Result<Vec<u8>, Failure> {
        let offer = ctx
            .unwrap(wrapped)
            .map_err(|e| gss_failure("gss_unwrap", e))?;
        let offer = LayerOffer::decode(&offer)
            .map_err(|e| failure(SaslCondition::MalformedRequest, GssapiError::Layer(e)))?;
        if !offer.layers().contains(SecurityLayers::NONE) {
            return Err(failure(
                SaslCondition::MalformedRequest,
                GssapiError::NoAcceptableLayer(offer.layers().bits()),
            ));
        }
        let choice = LayerChoice::no_layer(self.authzid.as_deref());
        let wrapped = ctx
            .wrap(false, &choice.encode())
            .map_err(|e| gss_failure("gss_wrap", e))?;
        self.state = State::Chosen;
        Ok(wrapped.to_vec())
    }
}

impl ClientMechanism for GssapiClient {
    fn name(&self) -> &str {
        "GSSAPI"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        if !matches!(self.state, State::Start) {
            self.state = State::Over;
            return Err(Self::unexpected());
        }
        self.state = State::Over;
        let target = Name::new(self.target.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
            .map_err(|e| gss_failure("gss_import_name", e))?;
        let ctx = ClientCtx::new(
            None,
            target,
            CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_INTEG_FLAG,
            Some(GSS_MECH_KRB5),
        );
        let token = self.establish(ctx, None)?;
        if token.is_empty() {
            self.state = State::Over;
            return Err(failure(
                SaslCondition::NotAuthorized,
                GssapiError::Token("gss_init_sec_context gave no initial token"),
            ));
        }
        Ok(Some(token))
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, Failure> {
        match std::mem::replace(&mut self.state, State::Over) {
            State::Establishing(ctx) => self.establish(ctx, Some(challenge)),
            State::AwaitOffer(ctx) => self.choose(ctx, challenge),
            _ => Err(Self::unexpected()),
        }
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), Failure> {
        match std::mem::replace(&mut self.state, State::Over) {
            // RFC 4752: no additional data with the success.
            State::Chosen if additional_data.is_none_or(<[u8]>::is_empty) => Ok(()),
            State::Chosen => Err(failure(
                SaslCondition::MalformedRequest,
                GssapiError::Token("additional data with the success"),
            )),
            // Success before the layers were negotiated: the server was not authenticated.
            _ => Err(Failure::new(
                SaslCondition::NotAuthorized,
                Cause::MissingServerVerification,
            )),
        }
    }
}
