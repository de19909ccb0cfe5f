//! The server's per-connection SASL state: [`ServerConfig`] (which mechanisms, under which
//! conditions, how many retries; presets per profile), [`ServerSession`] (advertisement,
//! dispatch of `<auth/>`/`<response/>`/`<abort/>`, the failed-attempts counter) and
//! [`ServerMechanismFactory`], the registration point for extension mechanisms such as GSSAPI.

use std::fmt;
use std::sync::Arc;

use crate::anonymous::AnonymousServer;
use crate::condition::Condition;
use crate::external::ExternalServer;
use crate::failure::{Cause, Failure};
use crate::mechanism::Mechanism;
use crate::plain::PlainServer;
use crate::scram::{MIN_ITERATIONS, ScramServer};
use crate::server::{ServerContext, ServerMechanism, ServerStep, Success};
use crate::transport::{ChannelBindingType, Transport};

/// Server-side SASL policy. A plain struct: start from a preset and adjust the public fields
/// or use the `with_*` methods.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Enabled mechanisms, in the order they are advertised (the receiver's preference).
    /// ANONYMOUS is enabled only by listing it here.
    pub mechanisms: Vec<Mechanism>,
    /// PLAIN is neither offered nor accepted without TLS (`encryption-required`).
    pub plain_requires_tls: bool,
    /// EXTERNAL is neither offered nor accepted without TLS.
    pub external_requires_tls: bool,
    /// Channel binding types accepted for the -PLUS mechanisms, preferred first.
    pub channel_binding_types: Vec<ChannelBindingType>,
    /// Retries allowed after a failed or aborted attempt. After `max_retries + 1` failures the
    /// session tells the caller to close the stream (RFC 6120 §6.4.5: stream error
    /// `<policy-violation/>`).
    pub max_retries: u8,
    /// The range `max_retries` is clamped to by [`ServerConfig::with_max_retries`]: 2..=5 for
    /// RFC 6120, 2..=3 for the DoD UCR (IM STIG).
    pub retry_bounds: (u8, u8),
    /// Longest accepted client message (decoded bytes); longer ones fail with
    /// `malformed-request`.
    pub max_message_len: usize,
    /// Iteration count used for the made-up SCRAM parameters of unknown users (make it match
    /// the real accounts so the two cannot be told apart).
    pub scram_iterations: u32,
    /// Key for deriving the fake salt of unknown users, so that asking twice for the same
    /// unknown user gives the same salt. Without it the fake salt is random per attempt.
    pub unknown_user_key: Option<[u8; 32]>,
    /// DIGEST-MD5 realm (the server's domain); DIGEST-MD5 is offered only when set.
    #[cfg(feature = "legacy-digest-md5")]
    pub digest_md5_realm: Option<String>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ServerConfig");
        d.field("mechanisms", &self.mechanisms)
            .field("plain_requires_tls", &self.plain_requires_tls)
            .field("external_requires_tls", &self.external_requires_tls)
            .field("channel_binding_types", &self.channel_binding_types)
            .field("max_retries", &self.max_retries)
            .field("retry_bounds", &self.retry_bounds)
            .field("max_message_len", &self.max_message_len)
            .field("scram_iterations", &self.scram_iterations)
            .field(
                "unknown_user_key",
                &self.unknown_user_key.map(|_| "<redacted>"),
            );
        #[cfg(feature = "legacy-digest-md5")]
        d.field("digest_md5_realm", &self.digest_md5_realm);
        d.finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig::rfc6120()
    }
}

const PASSWORD_AND_CERT: [Mechanism; 8] = [
    Mechanism::External,
    Mechanism::ScramSha512Plus,
    Mechanism::ScramSha256Plus,
    Mechanism::ScramSha1Plus,
    Mechanism::ScramSha512,
    Mechanism::ScramSha256,
    Mechanism::ScramSha1,
    Mechanism::Plain,
];

impl ServerConfig {
    /// RFC 6120: EXTERNAL (when a certificate proved an identity), the SCRAM family with and
    /// without channel binding, PLAIN over TLS only; no ANONYMOUS; 3 retries (bounds 2..=5).
    pub fn rfc6120() -> Self {
        ServerConfig {
            mechanisms: PASSWORD_AND_CERT.to_vec(),
            plain_requires_tls: true,
            external_requires_tls: true,
            channel_binding_types: ChannelBindingType::ALL.to_vec(),
            max_retries: 3,
            retry_bounds: (2, 5),
            max_message_len: 16 * 1024,
            scram_iterations: MIN_ITERATIONS,
            unknown_user_key: None,
            #[cfg(feature = "legacy-digest-md5")]
            digest_md5_realm: None,
        }
    }

    /// DoD UCR 2008 Change 3 §5.7.3.9: PLAIN over TLS only (UCR-SASL-6/8), EXTERNAL for
    /// certificates (UCR-SASL-17), SCRAM as well (RFC 6120 mandatory-to-implement), **never
    /// ANONYMOUS** (UCR-SASL-3), 2 retries, bounded to 2..=3 (UCR-SASL-27).
    pub fn dod_ucr_2008() -> Self {
        ServerConfig {
            max_retries: 2,
            retry_bounds: (2, 3),
            ..ServerConfig::rfc6120()
        }
    }

    /// NATO BCS profile (S-13, S-14): ANONYMOUS, PLAIN and EXTERNAL (both only over TLS), plus
    /// SCRAM; 3 retries (bounds 2..=5). GSSAPI is an extension to register separately.
    pub fn nato_bcs() -> Self {
        let mut c = ServerConfig::rfc6120();
        c.mechanisms.push(Mechanism::Anonymous);
        c
    }

    /// Enables or disables ANONYMOUS.
    #[must_use]
    pub fn with_anonymous(mut self, allow: bool) -> Self {
        self.mechanisms.retain(|m| *m != Mechanism::Anonymous);
        if allow {
            self.mechanisms.push(Mechanism::Anonymous);
        }
        self
    }

    /// Replaces the enabled mechanisms (advertisement order).
    #[must_use]
    pub fn with_mechanisms(mut self, mechanisms: impl IntoIterator<Item = Mechanism>) -> Self {
        self.mechanisms = mechanisms.into_iter().collect();
        self
    }

    /// Sets the number of retries, clamped to [`retry_bounds`](ServerConfig::retry_bounds).
    #[must_use]
    pub fn with_max_retries(mut self, retries: u8) -> Self {
        self.max_retries = retries.clamp(self.retry_bounds.0, self.retry_bounds.1);
        self
    }

    /// Sets the key for stable fake salts of unknown users.
    #[must_use]
    pub fn with_unknown_user_key(mut self, key: [u8; 32]) -> Self {
        self.unknown_user_key = Some(key);
        self
    }

    /// Sets the DIGEST-MD5 realm (the server's domain) and enables DIGEST-MD5 after PLAIN.
    #[cfg(feature = "legacy-digest-md5")]
    #[must_use]
    pub fn with_digest_md5(mut self, realm: &str) -> Self {
        self.digest_md5_realm = Some(realm.to_owned());
        if !self.mechanisms.contains(&Mechanism::DigestMd5) {
            let at = self
                .mechanisms
                .iter()
                .position(|m| *m == Mechanism::Anonymous)
                .unwrap_or(self.mechanisms.len());
            self.mechanisms.insert(at, Mechanism::DigestMd5);
        }
        self
    }

    /// Whether the server can bind SCRAM to this connection: a -PLUS mechanism is enabled and
    /// the transport has data of an accepted type.
    pub fn supports_channel_binding(&self, transport: &Transport) -> bool {
        self.mechanisms.iter().any(|m| m.is_plus())
            && self
                .channel_binding_types
                .iter()
                .any(|t| transport.channel_binding(*t).is_some())
    }

    /// Why `mechanism` cannot be used on this transport, or `None` if it can.
    fn refusal(&self, mechanism: Mechanism, transport: &Transport) -> Option<Failure> {
        if !self.mechanisms.contains(&mechanism) {
            let weaker = self.password_rank(mechanism).is_some_and(|rank| {
                self.mechanisms
                    .iter()
                    .filter_map(|m| self.password_rank(*m))
                    .any(|r| r < rank)
            });
            let condition = if weaker {
                Condition::MechanismTooWeak
            } else {
                Condition::InvalidMechanism
            };
            return Some(Failure::new(
                condition,
                Cause::MechanismNotOffered(mechanism.name().to_owned()),
            ));
        }
        let not_offered = || {
            Some(Failure::new(
                Condition::InvalidMechanism,
                Cause::MechanismNotOffered(mechanism.name().to_owned()),
            ))
        };
        match mechanism {
            Mechanism::Plain if self.plain_requires_tls && !transport.tls_active => {
                Some(Failure::new(
                    Condition::EncryptionRequired,
                    Cause::EncryptionRequired(mechanism),
                ))
            }
            Mechanism::External if self.external_requires_tls && !transport.tls_active => {
                Some(Failure::new(
                    Condition::EncryptionRequired,
                    Cause::EncryptionRequired(mechanism),
                ))
            }
            Mechanism::External if transport.peer_identities.is_empty() => not_offered(),
            m if m.is_plus() && !self.supports_channel_binding(transport) => not_offered(),
            #[cfg(feature = "legacy-digest-md5")]
            Mechanism::DigestMd5 if self.digest_md5_realm.is_none() => not_offered(),
            _ => None,
        }
    }

    /// Strength rank among password mechanisms (lower is stronger), `None` for the others.
    fn password_rank(&self, m: Mechanism) -> Option<usize> {
        let password = m.scram().is_some() || m == Mechanism::Plain;
        #[cfg(feature = "legacy-digest-md5")]
        let password = password || m == Mechanism::DigestMd5;
        if !password {
            return None;
        }
        Mechanism::ALL.iter().position(|x| *x == m)
    }

    /// The built-in mechanisms to advertise on this transport, in order. Mechanisms that need
    /// TLS are not listed before TLS; -PLUS only with channel binding data; EXTERNAL only when
    /// the certificate proved an identity.
    pub fn offered(&self, transport: &Transport) -> Vec<Mechanism> {
        self.mechanisms
            .iter()
            .copied()
            .filter(|m| self.refusal(*m, transport).is_none())
            .collect()
    }

    /// The channel-binding types to advertise on this transport (XEP-0440), preferred first:
    /// the accepted types the transport has data for, and none at all when no -PLUS mechanism
    /// is offered on it.
    pub fn channel_binding_types(&self, transport: &Transport) -> Vec<ChannelBindingType> {
        if !self.supports_channel_binding(transport) {
            return Vec::new();
        }
        self.channel_binding_types
            .iter()
            .copied()
            .filter(|t| transport.channel_binding(*t).is_some())
            .collect()
    }

    fn start(&self, mechanism: Mechanism) -> Box<dyn ServerMechanism> {
        match mechanism {
            Mechanism::Plain => Box::new(PlainServer::new()),
            Mechanism::External => Box::new(ExternalServer::new()),
            Mechanism::Anonymous => Box::new(AnonymousServer::new()),
            #[cfg(feature = "legacy-digest-md5")]
            Mechanism::DigestMd5 => Box::new(crate::digest_md5::DigestMd5Server::new(
                self.digest_md5_realm.as_deref().unwrap_or_default(),
            )),
            m => {
                let (hash, plus) = m
                    .scram()
                    .unwrap_or((crate::scram::ScramHash::Sha256, false));
                Box::new(ScramServer::new(hash, plus, self))
            }
        }
    }
}

/// Makes server mechanisms that this crate does not implement (GSSAPI, ...): register one with
/// [`ServerSession::with_extension`].
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
/// use xmpp_sasl::{ServerConfig, ServerSession, Transport};
/// let session = ServerSession::new(ServerConfig::dod_ucr_2008());
/// // Before TLS nothing that needs TLS is offered; ANONYMOUS never is under the DoD profile.
/// assert_eq!(
///     session.offered(&Transport::plaintext()),
///     ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1"]
/// );
/// assert!(session.offered(&Transport::tls()).contains(&"PLAIN"));
/// ```
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    extensions: Vec<Arc<dyn ServerMechanismFactory>>,
    active: Option<Box<dyn ServerMechanism>>,
    mechanism: Option<String>,
    failures: u32,
    authenticated: bool,
}

impl ServerSession {
    /// A session with no attempt made yet.
    pub fn new(config: ServerConfig) -> Self {
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
    pub fn config(&self) -> &ServerConfig {
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
                Condition::MalformedRequest,
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
                Condition::MalformedRequest,
                Cause::UnexpectedMessage,
            ));
        }
        if let Err(f) = self.check_len(initial_response) {
            return self.fail(f);
        }
        let Some(name) = mechanism else {
            return self.fail(Failure::new(
                Condition::InvalidMechanism,
                Cause::MissingMechanism,
            ));
        };
        self.mechanism = Some(crate::failure::truncate(name, 20));
        let mut mech = if let Some(ext) = self.extensions.iter().find(|e| e.name() == name) {
            if !ext.is_offered(ctx.transport) {
                return self.fail(Failure::new(
                    Condition::InvalidMechanism,
                    Cause::MechanismNotOffered(ext.name().to_owned()),
                ));
            }
            ext.start()
        } else {
            let m = match name.parse::<Mechanism>() {
                Ok(m) => m,
                Err(_) => {
                    return self.fail(Failure::new(
                        Condition::InvalidMechanism,
                        Cause::UnknownMechanism(crate::failure::truncate(name, 20)),
                    ));
                }
            };
            if let Some(f) = self.config.refusal(m, ctx.transport) {
                return self.fail(f);
            }
            self.config.start(m)
        };
        let result = mech.start(ctx, initial_response);
        self.outcome(mech, result)
    }

    /// Handles `<response/>` with its decoded data.
    pub fn response(&mut self, ctx: &mut ServerContext<'_>, data: &[u8]) -> ServerOutcome {
        let Some(mut mech) = self.active.take() else {
            return self.fail(Failure::new(
                Condition::MalformedRequest,
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
        self.fail(Failure::new(Condition::Aborted, Cause::Aborted))
    }

    /// Turns a payload that did not decode (see [`wire`](crate::wire)) into the
    /// `incorrect-encoding` outcome, counting the attempt and ending any exchange in progress.
    pub fn bad_encoding(&mut self, error: crate::wire::WireError) -> ServerOutcome {
        self.fail(Failure::new(
            Condition::IncorrectEncoding,
            Cause::Encoding(error),
        ))
    }
}
