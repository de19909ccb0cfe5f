//! The server side of RFC 4752: [`GssapiConfig`] (service, acceptor, principal mapping, TLS
//! rule), [`GssapiServer`] (the factory to register) and the exchange it starts.

use std::fmt;
use std::sync::Arc;

use libgssapi::context::{CtxFlags, SecurityContext, ServerCtx};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE, OidSet};

use crate::condition::SaslCondition;
use crate::failure::{Cause, Failure};
use crate::gssapi::error::{GssapiError, failure, gss_failure};
use crate::gssapi::layers::{LayerChoice, LayerOffer};
use crate::gssapi::principal::{Principal, PrincipalMapping};
use crate::gssapi::token::check_initial_token;
use crate::gssapi::{SERVICE, is_kerberos};
use crate::server::{Identity, ServerContext, ServerMechanism, ServerStep, Success};
use crate::session::ServerMechanismFactory;
use crate::store::AccountStatus;
use crate::transport::Transport;

/// How the server side of GSSAPI is set up. The service's key comes from the keytab of the
/// environment (`KRB5_KTNAME`, default `/etc/krb5.keytab`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GssapiConfig {
    /// The host of the service principal `xmpp/<host>@REALM` that clients authenticate to
    /// (the host-based service `xmpp@<host>`; normally the server's domain): the acceptor uses
    /// that key only. `None` accepts any `xmpp/...` key of the keytab (a server with several
    /// domains).
    pub host: Option<String>,
    /// Which principals may log in, as which account.
    pub mapping: PrincipalMapping,
    /// Offer and accept GSSAPI on a stream without TLS. Off by default: this crate negotiates
    /// no GSSAPI security layer, so without TLS the stream after authentication is
    /// unprotected.
    pub allow_without_tls: bool,
}

impl GssapiConfig {
    /// The service `xmpp/<host>`, and the default mapping: `name@<realm>` → `name`.
    pub fn new(host: &str, realm: &str) -> Self {
        GssapiConfig {
            host: Some(host.to_owned()),
            mapping: PrincipalMapping::realm(realm),
            allow_without_tls: false,
        }
    }

    /// Replaces the principal mapping.
    #[must_use]
    pub fn with_mapping(mut self, mapping: PrincipalMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// Accepts any `xmpp/...` key of the keytab instead of the one of [`host`](Self::host).
    #[must_use]
    pub fn with_any_host(mut self) -> Self {
        self.host = None;
        self
    }
}

/// The server side of GSSAPI (Kerberos V5, RFC 4752), to register with
/// [`ServerSession::with_extension`](crate::ServerSession::with_extension) (or to hand to a
/// connection machine with its store, [`ExtendedStore`](crate::ExtendedStore)).
///
/// Each exchange accepts the client's context tokens, checks that the context is Kerberos V5
/// with integrity and was made for this XMPP service, offers no security layer (TLS protects
/// the stream), and on the client's wrapped answer maps the client's principal to an account
/// ([`PrincipalMapping`]), checks the account's status and the requested authorization
/// identity with the [`CredentialStore`](crate::CredentialStore), and succeeds with
/// [`Identity::User`].
///
/// Tickets with large authorization data (Active Directory PACs of users in many groups) can
/// exceed [`ServerPolicy::max_message_len`](crate::ServerPolicy::max_message_len) (16 KiB by
/// default): raise it for such realms.
#[derive(Debug, Clone)]
pub struct GssapiServer {
    config: Arc<GssapiConfig>,
}

impl GssapiServer {
    /// A server mechanism with this configuration.
    pub fn new(config: GssapiConfig) -> Self {
        GssapiServer {
            config: Arc::new(config),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GssapiConfig {
        &self.config
    }
}

impl ServerMechanismFactory for GssapiServer {
    fn name(&self) -> &str {
        "GSSAPI"
    }

    fn is_offered(&self, transport: &Transport) -> bool {
        transport.tls_active || self.config.allow_without_tls
    }

    fn start(&self) -> Box<dyn ServerMechanism> {
        Box::new(GssapiExchange {
            config: self.config.clone(),
            state: State::Start,
        })
    }
}

enum State {
    Start,
    /// Context establishment: the client's tokens go to `gss_accept_sec_context` (the flag:
    /// the next one is the first, the initial context token).
    Accepting(ServerCtx, bool),
    /// The context is established and its last token sent: the client answers with nothing.
    AwaitEmpty(ServerCtx, Principal),
    /// The layer offer is sent: the client answers with its wrapped choice.
    AwaitChoice(ServerCtx, Principal),
    Over,
}

/// One server-side GSSAPI exchange.
struct GssapiExchange {
    config: Arc<GssapiConfig>,
    state: State,
}

impl fmt::Debug for GssapiExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start => "start",
            State::Accepting(..) => "accepting",
            State::AwaitEmpty(..) => "await-empty",
            State::AwaitChoice(..) => "await-choice",
            State::Over => "over",
        };
        f.debug_struct("GssapiExchange")
            .field("config", &self.config)
            .field("state", &state)
            .finish()
    }
}

fn name_of(
    name: Result<Name, libgssapi::error::Error>,
    call: &'static str,
) -> Result<Principal, Failure> {
    let name = name.map_err(|e| gss_failure(call, e))?;
    let shown = name
        .display_name()
        .map_err(|e| gss_failure("gss_display_name", e))?;
    let shown = String::from_utf8_lossy(&shown).into_owned();
    Principal::parse(&shown).map_err(|e| {
        failure(
            SaslCondition::NotAuthorized,
            GssapiError::BadName(e.to_string()),
        )
    })
}

impl GssapiExchange {
    /// The acceptor's credential: the key of `xmpp/<host>` only, or any key of the keytab.
    fn acceptor(&self) -> Result<Option<Cred>, Failure> {
        let Some(host) = &self.config.host else {
            return Ok(None);
        };
        let service = format!("{SERVICE}@{host}");
        let name = Name::new(service.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
            .map_err(|e| gss_failure("gss_import_name", e))?;
        let mechs = OidSet::singleton(GSS_MECH_KRB5)
            .map_err(|e| gss_failure("gss_add_oid_set_member", e))?;
        let cred =
            Cred::acquire(Some(&name), None, CredUsage::Accept, Some(&mechs)).map_err(|e| {
                // Whatever the library says, a server without its key cannot authenticate
                // anyone now: a deployment problem, not the client's.
                let mut f = gss_failure("gss_acquire_cred", e);
                if f.condition() != SaslCondition::TemporaryAuthFailure {
                    f = Failure::new(SaslCondition::TemporaryAuthFailure, f.cause().clone());
                }
                f
            })?;
        Ok(Some(cred))
    }

    /// Feeds a client token to the acceptor; the first must be framed as an initial context
    /// token for Kerberos V5.
    fn accept(
        &mut self,
        mut ctx: ServerCtx,
        token: &[u8],
        first: bool,
    ) -> Result<ServerStep, Failure> {
        if token.is_empty() {
            return Err(failure(
                SaslCondition::MalformedRequest,
                GssapiError::Token("empty context token"),
            ));
        }
        if first {
            check_initial_token(token)
                .map_err(|e| failure(SaslCondition::MalformedRequest, GssapiError::Token(e)))?;
        }
        let out = ctx
            .step(token, None)
            .map_err(|e| gss_failure("gss_accept_sec_context", e))?;
        let out = out.map(|b| b.to_vec()).unwrap_or_default();
        if !ctx.is_complete() {
            if out.is_empty() {
                return Err(failure(
                    SaslCondition::MalformedRequest,
                    GssapiError::Token("gss_accept_sec_context continues without a token"),
                ));
            }
            self.state = State::Accepting(ctx, false);
            return Ok(ServerStep::Challenge(out));
        }
        let client = self.check_established(&ctx)?;
        if out.is_empty() {
            self.offer(ctx, client)
        } else {
            self.state = State::AwaitEmpty(ctx, client);
            Ok(ServerStep::Challenge(out))
        }
    }

    /// Checks the established context (Kerberos V5, integrity, made for this service) and
    /// returns the client's principal.
    fn check_established(&self, ctx: &ServerCtx) -> Result<Principal, Failure> {
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
        if !flags.contains(CtxFlags::GSS_C_INTEG_FLAG) {
            return Err(failure(
                SaslCondition::NotAuthorized,
                GssapiError::NoIntegrity,
            ));
        }
        let target = name_of(ctx.target_name(), "gss_inquire_context")?;
        let for_us = match (target.components(), &self.config.host) {
            ([service, host], Some(ours)) => service == SERVICE && host.eq_ignore_ascii_case(ours),
            ([service, _], None) => service == SERVICE,
            _ => false,
        };
        if !for_us {
            return Err(failure(
                SaslCondition::NotAuthorized,
                GssapiError::WrongService(target.to_string()),
            ));
        }
        name_of(ctx.source_name(), "gss_inquire_context")
    }

    /// Sends the wrapped security-layer offer: no layer, maximum size 0.
    fn offer(&mut self, mut ctx: ServerCtx, client: Principal) -> Result<ServerStep, Failure> {
        let wrapped = ctx
            .wrap(false, &LayerOffer::NO_LAYER.encode())
            .map_err(|e| gss_failure("gss_wrap", e))?;
        self.state = State::AwaitChoice(ctx, client);
        Ok(ServerStep::Challenge(wrapped.to_vec()))
    }

    /// Checks the client's wrapped layer choice, then who logs in.
    fn decide(
        ctx: &mut ServerContext<'_>,
        mut gss: ServerCtx,
        config: &GssapiConfig,
        client: &Principal,
        wrapped: &[u8],
    ) -> Result<ServerStep, Failure> {
        let choice = gss
            .unwrap(wrapped)
            .map_err(|e| gss_failure("gss_unwrap", e))?;
        let choice = LayerChoice::decode(&choice)
            .map_err(|e| failure(SaslCondition::MalformedRequest, GssapiError::Layer(e)))?;
        if !LayerOffer::NO_LAYER.layers().contains(choice.layer()) {
            return Err(failure(
                SaslCondition::MalformedRequest,
                GssapiError::LayerNotOffered(choice.layer().bits()),
            ));
        }
        let Some(user) = config.mapping.map(client) else {
            return Err(failure(
                SaslCondition::NotAuthorized,
                GssapiError::PrincipalNotMapped(client.to_string()),
            ));
        };
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
        let authzid = choice.authzid().map(str::to_owned);
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

impl ServerMechanism for GssapiExchange {
    fn name(&self) -> &str {
        "GSSAPI"
    }

    fn start(
        &mut self,
        _ctx: &mut ServerContext<'_>,
        initial_response: Option<&[u8]>,
    ) -> Result<ServerStep, Failure> {
        if !matches!(
            std::mem::replace(&mut self.state, State::Over),
            State::Start
        ) {
            return Err(Failure::new(
                SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            ));
        }
        let ctx = ServerCtx::new(self.acceptor()?);
        match initial_response {
            Some(token) => self.accept(ctx, token, true),
            // No initial response: an empty challenge asks for the first token.
            None => {
                self.state = State::Accepting(ctx, true);
                Ok(ServerStep::Challenge(Vec::new()))
            }
        }
    }

    fn step(
        &mut self,
        ctx: &mut ServerContext<'_>,
        response: &[u8],
    ) -> Result<ServerStep, Failure> {
        match std::mem::replace(&mut self.state, State::Over) {
            State::Accepting(gss, first) => self.accept(gss, response, first),
            State::AwaitEmpty(gss, client) if response.is_empty() => self.offer(gss, client),
            State::AwaitEmpty(..) => Err(failure(
                SaslCondition::MalformedRequest,
                GssapiError::Token("data where the client answers with none"),
            )),
            State::AwaitChoice(gss, client) => {
                let config = self.config.clone();
                Self::decide(ctx, gss, &config, &client, response)
            }
            State::Start | State::Over => Err(Failure::new(
                SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            )),
        }
    }
}
