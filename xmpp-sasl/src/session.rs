//! The server's per-connection SASL state: [`ServerSession`] (advertisement under its
//! [`ServerPolicy`], dispatch of `<auth/>`/`<response/>`/`<abort/>`, the failed-attempts
//! counter) and [`ServerMechanismFactory`], the registration point for extension mechanisms
//! such as GSSAPI (`gssapi::GssapiServer`, feature `gssapi`).

use std::fmt;
use std::sync::Arc;

use crate::anonymous::AnonymousServer;
use crate::condition::SaslCondition;
use crate::external::ExternalServer;
use crate::failure::{Cause, Failure};
use crate::mechanism::Mechanism;
use crate::plain::PlainServer;
use crate::scram::ScramServer;
use crate::server::{ServerContext, ServerMechanism, ServerStep, Success};
use crate::server_policy::ServerPolicy;
use crate::transport::{ChannelBindingType, Transport};

/// A fresh built-in server mechanism, set up from `config`; the failure for a variant whose
/// server side is an extension (GSSAPI).
fn start(config: &ServerPolicy, mechanism: Mechanism) -> Result<Box<dyn ServerMechanism>, Failure> {
    Ok(match mechanism {
        Mechanism::Plain => Box::new(PlainServer::new()),
        Mechanism::External => Box::new(ExternalServer::new()),
        Mechanism::Anonymous => Box::new(AnonymousServer::new()),
        #[cfg(feature = "legacy-digest-md5")]
        Mechanism::DigestMd5 => Box::new(crate::digest_md5::DigestMd5Server::new(
            config.digest_md5_realm.as_deref().unwrap_or_default(),
        )),
        #[cfg(feature = "gssapi")]
        Mechanism::Gssapi => {
            return Err(Failure::new(
                SaslCondition::InvalidMechanism,
                Cause::MechanismNotOffered(mechanism.name().to_owned()),
            ));
        }
        m => {
            let (hash, plus) = m
                .scram()
                .unwrap_or((crate::scram::ScramHash::Sha256, false));
            Box::new(ScramServer::new(hash, plus, config))
        }
    })
}

/// Makes server mechanisms that are not built into [`ServerPolicy`] (GSSAPI, which needs a
/// keytab and a principal mapping, or mechanisms of other crates): register one with
/// [`ServerSession::with_extension`], or hand it to a connection machine with the credential
/// store ([`ExtendedStore`](crate::ExtendedStore)).
pub trait ServerMechanismFactory: fmt::Debug + Send + Sync {
    /// The registered mechanism name (see
    /// [`is_valid_mechanism_name`](crate::is_valid_mechanism_name)).
    fn name(&self) -> &str;
    /// Whether to offer and accept the mechanism on this transport.
    fn is_offered(&self, transport: &Transport) -> bool;
    /// A fresh mechanism for one exchange.
    fn start(&self) -> Box<dyn ServerMechanism>;
}

/// What the stream layer must do after a client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOutcome {
    /// Send `<challenge/>` with this data.
    Challenge(Vec<u8>),
    /// Send `<success/>` (with the additional data, if any) and restart the stream.
    Success(Success),
    /// Send `<failure/>` with the failure's condition (and text). If `close` is set, the retry
    /// limit is exhausted: then send the stream error `<policy-violation/>` and close
    /// (UCR-SASL-28).
    Failure {
        /// What failed.
        failure: Failure,
        /// The retry limit is exhausted.
        close: bool,
    },
}

/// The SASL state of one server-side connection: current exchange and failed-attempt counter.
///
/// ```
/// use xmpp_sasl::{ServerPolicy, ServerSession, Transport};
/// let session = ServerSession::new(ServerPolicy::dod_ucr_2008());
/// // Before TLS nothing that needs TLS is offered; ANONYMOUS never is under the DoD profile.
/// assert_eq!(
///     session.offered(&Transport::plaintext()),
///     ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1"]
/// );
/// assert!(session.offered(&Transport::tls()).contains(&"PLAIN"));
/// ```
#[derive(Debug)]
pub struct ServerSession {
    config: ServerPolicy,
    extensions: Vec<Arc<dyn ServerMechanismFactory>>,
    active: Option<Box<dyn ServerMechanism>>,
    mechanism: Option<String>,
    failures: u32,
    authenticated: bool,
}

impl ServerSession {
    /// A session with no attempt made yet.
    pub fn new(config: ServerPolicy) -> Self {
        ServerSession {
            config,
            extensions: Vec::new(),
            active: None,
            mechanism: None,
            failures: 0,
            authenticated: false,
        }
    }

    /// Registers an extension mechanism. Extensions are advertised before the built-ins, in
    /// registration order, and take precedence over a built-in of the same name.
    #[must_use]
    pub fn with_extension(mut self, factory: Arc<dyn ServerMechanismFactory>) -> Self {
        self.extensions.push(factory);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ServerPolicy {
        &self.config
    }

    /// The mechanism names to advertise in `<mechanisms/>` on this transport, in order.
    pub fn offered(&self, transport: &Transport) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .extensions
            .iter()
            .filter(|e| e.is_offered(transport))
            .map(|e| e.name())
            .collect();
        for m in self.config.offered(transport) {
            if !out.contains(&m.name()) {
                out.push(m.name());
            }
        }
        out
    }

    /// The channel-binding types to advertise in `<sasl-channel-binding/>` (XEP-0440) on this
    /// transport; empty when no -PLUS mechanism is offered (then the element is not sent).
    pub fn channel_binding_types(&self, transport: &Transport) -> Vec<ChannelBindingType> {
        self.config.channel_binding_types(transport)
    }

    /// Failed (or aborted) attempts so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Whether an exchange has succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Whether an exchange is in progress (a challenge is outstanding).
    pub fn in_progress(&self) -> bool {
        self.active.is_some()
    }

    /// The mechanism of the current or last exchange.
    pub fn mechanism(&self) -> Option<&str> {
        self.mechanism.as_deref()
    }

    fn fail(&mut self, failure: Failure) -> ServerOutcome {
        self.active = None;
        self.failures = self.failures.saturating_add(1);
        ServerOutcome::Failure {
            failure,
            close: self.failures > u32::from(self.config.max_retries),
        }
    }

    fn outcome(
        &mut self,
        mechanism: Box<dyn ServerMechanism>,
        result: Result<ServerStep, Failure>,
    ) -> ServerOutcome {
        match result {
            Ok(ServerStep::Challenge(data)) => {
                self.active = Some(mechanism);
                ServerOutcome::Challenge(data)
            }
            Ok(ServerStep::Success(success)) => {
                self.active = None;
                self.authenticated = true;
                ServerOutcome::Success(success)
            }
            Err(failure) => self.fail(failure),
        }
    }

    fn check_len(&self, data: Option<&[u8]>) -> Result<(), Failure> {
        match data {
            Some(d) if d.len() > self.config.max_message_len => Err(Failure::new(
                SaslCondition::MalformedRequest,
                Cause::MessageTooLong {
                    len: d.len(),
                    max: self.config.max_message_len,
                },
            )),
            _ => Ok(()),
        }
    }

    /// Handles `<auth mechanism='...'>`: `mechanism` is the attribute (`None` if missing),
    /// `initial_response` the decoded text (`None` for no text, `Some(&[])` for `=`).
    pub fn auth(
        &mut self,
        ctx: &mut ServerContext<'_>,
        mechanism: Option<&str>,
        initial_response: Option<&[u8]>,
    ) -> ServerOutcome {
        if self.authenticated || self.active.is_some() {
            return self.fail(Failure::new(
                SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            ));
        }
        if let Err(f) = self.check_len(initial_response) {
            return self.fail(f);
        }
        let Some(name) = mechanism else {
            return self.fail(Failure::new(
                SaslCondition::InvalidMechanism,
                Cause::MissingMechanism,
            ));
        };
        self.mechanism = Some(crate::text::truncate(name, 20));
        let mut mech = if let Some(ext) = self.extensions.iter().find(|e| e.name() == name) {
            if !ext.is_offered(ctx.transport) {
                return self.fail(Failure::new(
                    SaslCondition::InvalidMechanism,
                    Cause::MechanismNotOffered(ext.name().to_owned()),
                ));
            }
            ext.start()
        } else {
            let m = match name.parse::<Mechanism>() {
                Ok(m) => m,
                Err(_) => {
                    return self.fail(Failure::new(
                        SaslCondition::InvalidMechanism,
                        Cause::UnknownMechanism(crate::text::truncate(name, 20)),
                    ));
                }
            };
            if let Some(f) = self.config.refusal(m, ctx.transport) {
                return self.fail(f);
            }
            match start(&self.config, m) {
                Ok(mech) => mech,
                Err(f) => return self.fail(f),
            }
        };
        let result = mech.start(ctx, initial_response);
        self.outcome(mech, result)
    }

    /// Handles `<response/>` with its decoded data.
    pub fn response(&mut self, ctx: &mut ServerContext<'_>, data: &[u8]) -> ServerOutcome {
        let Some(mut mech) = self.active.take() else {
            return self.fail(Failure::new(
                SaslCondition::MalformedRequest,
                Cause::UnexpectedMessage,
            ));
        };
        if let Err(f) = self.check_len(Some(data)) {
            return self.fail(f);
        }
        let result = mech.step(ctx, data);
        self.outcome(mech, result)
    }

    /// Handles `<abort/>`: answers `aborted` and counts the attempt.
    pub fn abort(&mut self) -> ServerOutcome {
        self.fail(Failure::new(SaslCondition::Aborted, Cause::Aborted))
    }

    /// Turns a payload that did not decode (see [`wire`](crate::wire)) into the
    /// `incorrect-encoding` outcome, counting the attempt and ending any exchange in progress.
    pub fn bad_encoding(&mut self, error: crate::wire::WireError) -> ServerOutcome {
        self.fail(Failure::new(
            SaslCondition::IncorrectEncoding,
            Cause::Encoding(error),
        ))
    }
}
