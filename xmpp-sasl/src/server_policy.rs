//! [`ServerPolicy`]: the server's SASL policy (which mechanisms, under which conditions, how
//! many retries; presets per profile) and what it allows on a given transport.

use std::fmt;

use crate::condition::SaslCondition;
use crate::failure::{Cause, Failure};
use crate::mechanism::Mechanism;
use crate::scram::MIN_ITERATIONS;
use crate::transport::{ChannelBindingType, Transport};

/// Server-side SASL policy. A plain struct: start from a preset and adjust the public fields
/// or use the `with_*` methods.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerPolicy {
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
    /// The range `max_retries` is clamped to by [`ServerPolicy::with_max_retries`]: 2..=5 for
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

impl fmt::Debug for ServerPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ServerPolicy");
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

impl Default for ServerPolicy {
    fn default() -> Self {
        ServerPolicy::rfc6120()
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

impl ServerPolicy {
    /// RFC 6120: EXTERNAL (when a certificate proved an identity), the SCRAM family with and
    /// without channel binding, PLAIN over TLS only; no ANONYMOUS; 3 retries (bounds 2..=5).
    pub fn rfc6120() -> Self {
        ServerPolicy {
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
        ServerPolicy {
            max_retries: 2,
            retry_bounds: (2, 3),
            ..ServerPolicy::rfc6120()
        }
    }

    /// NATO BCS profile (S-13, S-14): ANONYMOUS, PLAIN and EXTERNAL (both only over TLS), plus
    /// SCRAM; 3 retries (bounds 2..=5). GSSAPI is an extension to register separately
    /// (`gssapi::GssapiServer`, feature `gssapi`).
    pub fn nato_bcs() -> Self {
        let mut c = ServerPolicy::rfc6120();
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

    /// Sets the number of retries, clamped to [`retry_bounds`](ServerPolicy::retry_bounds).
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
    pub(crate) fn refusal(&self, mechanism: Mechanism, transport: &Transport) -> Option<Failure> {
        if !self.mechanisms.contains(&mechanism) {
            let weaker = self.password_rank(mechanism).is_some_and(|rank| {
                self.mechanisms
                    .iter()
                    .filter_map(|m| self.password_rank(*m))
                    .any(|r| r < rank)
            });
            let condition = if weaker {
                SaslCondition::MechanismTooWeak
            } else {
                SaslCondition::InvalidMechanism
            };
            return Some(Failure::new(
                condition,
                Cause::MechanismNotOffered(mechanism.name().to_owned()),
            ));
        }
        let not_offered = || {
            Some(Failure::new(
                SaslCondition::InvalidMechanism,
                Cause::MechanismNotOffered(mechanism.name().to_owned()),
            ))
        };
        match mechanism {
            Mechanism::Plain if self.plain_requires_tls && !transport.tls_active => {
                Some(Failure::new(
                    SaslCondition::EncryptionRequired,
                    Cause::EncryptionRequired(mechanism),
                ))
            }
            Mechanism::External if self.external_requires_tls && !transport.tls_active => {
                Some(Failure::new(
                    SaslCondition::EncryptionRequired,
                    Cause::EncryptionRequired(mechanism),
                ))
            }
            Mechanism::External if transport.peer_identities.is_empty() => not_offered(),
            m if m.is_plus() && !self.supports_channel_binding(transport) => not_offered(),
            #[cfg(feature = "legacy-digest-md5")]
            Mechanism::DigestMd5 if self.digest_md5_realm.is_none() => not_offered(),
            // The server side of GSSAPI is the extension `gssapi::GssapiServer`, registered
            // with `ServerSession::with_extension`; listed here it is never offered.
            #[cfg(feature = "gssapi")]
            Mechanism::Gssapi => not_offered(),
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
}
