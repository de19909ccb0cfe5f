//! Stream-level configuration ([`Profile`]) and its named presets.
//!
//! This module owns every policy knob of the connection machines: TLS policy, TLS versions and
//! cipher suites, certificate requirements, which SASL mechanisms may be used, ANONYMOUS, the
//! SASL retry limit, dialback, the DSCP code point, legacy (pre-1.0) stream support, the
//! whitespace keepalive interval, the negotiation / idle / close timeouts, and the resource
//! [`Limits`]. A profile is a plain struct: start from a preset and change fields.
//!
//! | knob | `rfc6120()` (default) | `dod_ucr_2008()` | `nato_bcs()` |
//! |---|---|---|---|
//! | TLS | required | required (UCR-TLS-1) | required (N-20, S-01) |
//! | TLS versions | 1.2, 1.3 | 1.2, 1.3 (UCR-TLS-12) | 1.2, 1.3 (S-01 names 1.2) |
//! | cipher suites | the provider's | AES-GCM only (UCR-TLS-12) | the provider's (S-05: list not published) |
//! | revocation checked (CRLs) | no | yes (UCR-TLS-21) | no |
//! | s2s client certificate (mutual TLS) | no | yes (UCR-TLS-22) | no (F-02 recommends) |
//! | credentials before TLS | never | never (UCR-SASL-6) | never (S-14) |
//! | mechanisms | all | EXTERNAL, SCRAM, PLAIN (UCR-SASL-8, -17) | + ANONYMOUS (S-13) |
//! | ANONYMOUS | refused | refused (UCR-SASL-3) | allowed (S-13) |
//! | SASL attempts (1 + retries) | 3 (3..=6: 2..=5 retries, RFC 6120 §6.4.5) | 3 (3..=4: 2..=3 retries, UCR-SASL-27) | 3 (3..=6) |
//! | dialback (XEP-0220) | not allowed | not allowed (UCR-SASL-17) | allowed (F-03; not implemented) |
//! | DSCP | unset | unset: the value is not published (UCR-DSCP-1) | unset (out of scope) |
//! | client `from` in header | after TLS | always (UCR-ATTR-1) | after TLS |
//! | legacy version-less peers | refused | refused (UCR-ATTR-10) | refused |
//!
//! ```
//! use xmpp_stream::profile::{Profile, ProfileError, TlsPolicy, TlsVersion};
//! let mut p = Profile::dod_ucr_2008();
//! assert_eq!(p.tls, TlsPolicy::Required);
//! assert!(!p.allow_anonymous);
//! p.sasl_max_attempts = 4; // 3 retries: the most UCR-SASL-27 allows
//! assert!(p.validate().is_ok());
//! p.sasl_max_attempts = 5;
//! assert!(p.validate().is_err());
//! let mut p = Profile::dod_ucr_2008();
//! p.tls_versions.push(TlsVersion::Tls1_0);
//! assert!(matches!(p.validate(), Err(ProfileError::Rule { rule: "UCR-TLS-12", .. })));
//! ```
//!
//! Each preset names the document it follows ([`Conformance`]); [`Profile::validate`] refuses a
//! profile that breaks that document's configurable rules, with the requirement's id, so a
//! changed field cannot silently leave the profile. [`Profile::rules`] lists those rules with
//! the profile's values and where each is enforced (`docs/PROFILES.md` is generated from it).
//! The TLS rules take effect through the rustls configurations of [`crate::trust`]
//! ([`Trust::client_config_for`](crate::trust::Trust::client_config_for),
//! [`server_config_builder`](crate::trust::server_config_builder)).

use std::time::Duration;

use xmpp_sasl::Mechanism;

mod rules;

pub use rules::Rule;

/// Whether TLS is used on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TlsPolicy {
    /// TLS must be negotiated before anything else (receiver: `<starttls><required/>`
    /// alone in the first features; initiator: never continues in plaintext).
    #[default]
    Required,
    /// TLS is offered (receiver) or used when offered (initiator), but not mandatory.
    Optional,
    /// TLS is never offered or used (tests and loopback only).
    Disabled,
}

/// A TLS protocol version. The TLS backend (rustls) implements 1.2 and 1.3 only; the older
/// versions exist so that a profile can name them and [`Profile::validate`] can refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.0 (RFC 2246): not implemented by the backend.
    Tls1_0,
    /// TLS 1.1 (RFC 4346): not implemented by the backend.
    Tls1_1,
    /// TLS 1.2 (RFC 5246).
    Tls1_2,
    /// TLS 1.3 (RFC 8446).
    Tls1_3,
}

impl TlsVersion {
    /// The versions the TLS backend implements.
    pub const SUPPORTED: [TlsVersion; 2] = [TlsVersion::Tls1_2, TlsVersion::Tls1_3];

    /// `"TLS 1.2"` and so on.
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls1_0 => "TLS 1.0",
            TlsVersion::Tls1_1 => "TLS 1.1",
            TlsVersion::Tls1_2 => "TLS 1.2",
            TlsVersion::Tls1_3 => "TLS 1.3",
        }
    }

    /// The rustls version, `None` for the versions the backend does not implement.
    pub fn rustls(self) -> Option<&'static rustls::SupportedProtocolVersion> {
        match self {
            TlsVersion::Tls1_2 => Some(&rustls::version::TLS12),
            TlsVersion::Tls1_3 => Some(&rustls::version::TLS13),
            TlsVersion::Tls1_0 | TlsVersion::Tls1_1 => None,
        }
    }

    fn of(version: rustls::ProtocolVersion) -> Option<TlsVersion> {
        match version {
            rustls::ProtocolVersion::TLSv1_0 => Some(TlsVersion::Tls1_0),
            rustls::ProtocolVersion::TLSv1_1 => Some(TlsVersion::Tls1_1),
            rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls1_2),
            rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls1_3),
            _ => None,
        }
    }
}

/// The cipher suites the DoD preset allows: AES-GCM with ECDHE (TLS 1.2) and the TLS 1.3
/// AES-GCM suites, strongest first. FIPS 140 approves AES-GCM and not ChaCha20-Poly1305; UCR
/// §5.4, which holds the DoD list, is not part of the published digest (UCR-TLS-12), so this
/// list is the reading of current DoD policy and can be narrowed by the deployment.
pub const DOD_CIPHER_SUITES: [rustls::CipherSuite; 6] = [
    rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

/// The document a profile follows; [`Profile::validate`] enforces its configurable rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Conformance {
    /// RFC 6120 alone.
    #[default]
    Rfc6120,
    /// DoD UCR 2008 Change 3 §5.7.
    DodUcr2008,
    /// The NATO BCS XMPP profile.
    NatoBcs,
}

impl Conformance {
    /// The SASL retries a receiver may allow: 2..=5 (RFC 6120 §6.4.5), 2..=3 under the DoD UCR
    /// (UCR-SASL-27).
    pub fn sasl_retry_bounds(self) -> (u8, u8) {
        match self {
            Conformance::DodUcr2008 => (2, 3),
            Conformance::Rfc6120 | Conformance::NatoBcs => (2, 5),
        }
    }

    /// The document's title.
    pub fn title(self) -> &'static str {
        match self {
            Conformance::Rfc6120 => "RFC 6120 (XMPP Core)",
            Conformance::DodUcr2008 => "DoD UCR 2008 Change 3, Section 5.7",
            Conformance::NatoBcs => {
                "NATO NCIA Service Interface Profile for Basic Collaboration Services"
            }
        }
    }
}

/// Resource limits applied to what a peer sends and to what is queued for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest top-level element (stanza or negotiation element) in bytes; bigger ones end
    /// the stream with `<policy-violation/>`. RFC 6120 §13.12 says not below 10000.
    pub max_stanza_bytes: usize,
    /// Deepest element nesting inside a stanza.
    pub max_depth: usize,
    /// Most attributes on one element (namespace declarations included).
    pub max_attributes: usize,
    /// Most bytes allowed in the stream header (initial bytes before the header's `>`).
    pub max_header_bytes: usize,
    /// Most bytes queued for the peer and not yet taken by `poll_transmit`; beyond it
    /// `send` refuses new stanzas.
    pub max_pending_output: usize,
    /// Most events queued and not yet taken by `poll_event`; beyond it input is not read
    /// until the application drains events.
    pub max_pending_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_stanza_bytes: 256 * 1024,
            max_depth: 64,
            max_attributes: 64,
            max_header_bytes: 4096,
            max_pending_output: 1024 * 1024,
            max_pending_events: 1024,
        }
    }
}

/// The configuration of a connection machine (both roles, all stream kinds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The document this profile follows (set by the presets); [`validate`](Self::validate)
    /// enforces its rules.
    pub conformance: Conformance,
    /// TLS policy.
    pub tls: TlsPolicy,
    /// TLS versions allowed. Applied by the rustls configurations built for this profile
    /// ([`Trust::client_config_for`](crate::trust::Trust::client_config_for),
    /// [`server_config_builder`](crate::trust::server_config_builder)).
    pub tls_versions: Vec<TlsVersion>,
    /// TLS cipher suites allowed, preferred first; empty means every suite of the crypto
    /// provider ([`crate::trust::provider`]). Applied like `tls_versions`.
    pub cipher_suites: Vec<rustls::CipherSuite>,
    /// The peer's certificate must be checked for revocation: the configurations built for
    /// this profile refuse a [`Trust`](crate::trust::Trust) without CRLs, one that accepts an
    /// unknown revocation status, and skipped verification.
    pub check_revocation: bool,
    /// On s2s streams the receiving server demands the initiator's certificate (mutual TLS):
    /// [`server_config_builder`](crate::trust::server_config_builder) for
    /// [`StreamKind::Server`](crate::header::StreamKind::Server) requires one.
    pub s2s_mutual_tls: bool,
    /// Allow SASL before TLS (initiator: send credentials in plaintext; receiver: offer
    /// mechanisms in plaintext). Off in every preset; only for tests and loopback.
    pub allow_plaintext_auth: bool,
    /// SASL mechanisms that may be used, in order of preference; empty means every
    /// mechanism the SASL layer supports. (Mechanisms registered as extensions of a server's
    /// SASL session, such as GSSAPI, are governed by that registration.)
    pub mechanisms: Vec<Mechanism>,
    /// Whether the ANONYMOUS mechanism may be offered or used.
    pub allow_anonymous: bool,
    /// How many SASL attempts the receiver allows before `<policy-violation/>`: 1 + retries,
    /// the retries within [`Conformance::sasl_retry_bounds`].
    pub sasl_max_attempts: u8,
    /// Whether the document lets server dialback (XEP-0220) authenticate an s2s peer that
    /// cannot do TLS + SASL EXTERNAL. This library has no dialback: s2s receivers
    /// authenticate with SASL only, whatever this says; the field records the document's rule
    /// so that a profile cannot claim the other one.
    pub allow_dialback: bool,
    /// The DiffServ code point (0..=63) for the sockets of this profile's streams, `None` to
    /// leave the system's default. The adapters set `IP_TOS` / `IPV6_TCLASS` from their own
    /// `dscp` setting (UCR-DSCP-1); this is the profile's default for it.
    pub dscp: Option<u8>,
    /// Whether a peer speaking the pre-1.0 protocol (no `version`) is accepted; if not, it
    /// gets `<unsupported-version/>`.
    pub legacy_versions: bool,
    /// Whether a c2s initiator puts `from` (its bare JID) into the header before TLS
    /// (UCR-ATTR-1 makes this a SHALL; RFC 6120 only after TLS for privacy).
    pub client_from_before_tls: bool,
    /// Whether the initiator performs the RFC 3921 session step when the server offers a
    /// non-optional `<session/>`, and the receiver offers `<session><optional/></session>`.
    pub legacy_session: bool,
    /// Interval of whitespace keepalives on an idle established stream (`None`: off).
    pub keepalive_interval: Option<Duration>,
    /// Longest time from the first byte to a negotiated stream; then `<connection-timeout/>`.
    pub negotiation_timeout: Option<Duration>,
    /// Longest silence from the peer on an established stream; then `<connection-timeout/>`.
    pub idle_timeout: Option<Duration>,
    /// How long to wait for the peer's `</stream:stream>` after ours; then closed anyway.
    pub close_timeout: Duration,
    /// The language announced when the initiator does not give one (`xml:lang`).
    pub default_lang: String,
    /// Resource limits.
    pub limits: Limits,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::rfc6120()
    }
}

/// A profile whose fields contradict each other, its document's rules or the TLS backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// `sasl_max_attempts` allows fewer or more retries than the profile's document does.
    #[error("sasl_max_attempts = {value} is outside {min}..={max} ({conformance:?}: 1 attempt plus {} to {} retries)", min - 1, max - 1)]
    SaslAttempts {
        /// The value.
        value: u8,
        /// The fewest attempts allowed.
        min: u8,
        /// The most attempts allowed.
        max: u8,
        /// The document.
        conformance: Conformance,
    },
    /// A field contradicts a rule of the profile's document.
    #[error("{field} breaks {rule} of {conformance:?}: {requirement}")]
    Rule {
        /// The field.
        field: &'static str,
        /// The requirement's id.
        rule: &'static str,
        /// What the requirement says.
        requirement: &'static str,
        /// The document.
        conformance: Conformance,
    },
    /// A limit is zero or too small to carry a stream header or a stanza.
    #[error("limit {name} = {value} is too small (minimum {min})")]
    LimitTooSmall {
        /// Which limit.
        name: &'static str,
        /// Its value.
        value: usize,
        /// The least accepted value.
        min: usize,
    },
    /// Plaintext authentication was allowed while TLS is required.
    #[error("allow_plaintext_auth contradicts tls = Required")]
    PlaintextAuthWithRequiredTls,
    /// TLS is used but no TLS version is allowed.
    #[error("tls_versions is empty while TLS is {0:?}")]
    NoTlsVersion(TlsPolicy),
    /// A TLS version the backend does not implement.
    #[error("{0} is not implemented by the TLS backend (rustls has TLS 1.2 and 1.3)")]
    TlsVersionUnsupported(&'static str),
    /// A cipher suite the crypto provider does not have.
    #[error("cipher suite {0} is not provided by the crypto provider")]
    UnknownCipherSuite(String),
    /// An allowed TLS version without any allowed cipher suite of that version.
    #[error("no cipher suite of cipher_suites can be used with {0}")]
    NoCipherSuiteFor(&'static str),
    /// A DSCP code point outside 0..=63.
    #[error("dscp = {0} is outside 0..=63")]
    Dscp(u8),
}

impl Profile {
    /// RFC 6120 defaults: TLS required (1.2 or 1.3, the provider's cipher suites), no
    /// ANONYMOUS, 3 SASL attempts, no dialback, version 1.0 only, 60 s negotiation timeout, 30 s
    /// close timeout, no keepalive, no idle timeout.
    pub fn rfc6120() -> Self {
        Profile {
            conformance: Conformance::Rfc6120,
            tls: TlsPolicy::Required,
            tls_versions: TlsVersion::SUPPORTED.to_vec(),
            cipher_suites: Vec::new(),
            check_revocation: false,
            s2s_mutual_tls: false,
            allow_plaintext_auth: false,
            mechanisms: Vec::new(),
            allow_anonymous: false,
            sasl_max_attempts: 3,
            allow_dialback: false,
            dscp: None,
            legacy_versions: false,
            client_from_before_tls: false,
            legacy_session: true,
            keepalive_interval: None,
            negotiation_timeout: Some(Duration::from_secs(60)),
            idle_timeout: None,
            close_timeout: Duration::from_secs(30),
            default_lang: "en".to_owned(),
            limits: Limits::default(),
        }
    }

    /// DoD UCR 2008 Change 3 §5.7 (UCR-GEN-3): TLS required on every stream (UCR-TLS-1), TLS
    /// 1.2/1.3 with AES-GCM suites ([`DOD_CIPHER_SUITES`], UCR-TLS-12), revocation checked
    /// (UCR-TLS-21), mutual TLS on s2s (UCR-TLS-22), PLAIN only over TLS (UCR-SASL-6), PLAIN and
    /// EXTERNAL offered (UCR-SASL-8, UCR-SASL-17), no ANONYMOUS (UCR-SASL-3), 2 SASL retries (3
    /// attempts; 2..=3 retries allowed, UCR-SASL-27), no dialback (UCR-SASL-17), the client's
    /// bare JID in `from` of every initial header (UCR-ATTR-1), whitespace keepalive every 60 s.
    /// The DSCP code point is left unset: UCR Table 5.3.3-1, which holds it, is not published
    /// with the digest (UCR-DSCP-1); the deployment sets it.
    pub fn dod_ucr_2008() -> Self {
        Profile {
            conformance: Conformance::DodUcr2008,
            cipher_suites: DOD_CIPHER_SUITES.to_vec(),
            check_revocation: true,
            s2s_mutual_tls: true,
            mechanisms: vec![
                Mechanism::External,
                Mechanism::ScramSha256Plus,
                Mechanism::ScramSha1Plus,
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
            ],
            allow_anonymous: false,
            sasl_max_attempts: 3,
            client_from_before_tls: true,
            keepalive_interval: Some(Duration::from_secs(60)),
            ..Profile::rfc6120()
        }
    }

    /// NATO BCS XMPP profile: TLS required (N-20, S-01) with TLS 1.2 available (S-01), PLAIN and
    /// EXTERNAL only under TLS (S-14), ANONYMOUS, PLAIN and EXTERNAL offered (S-13; GSSAPI too,
    /// first, with the `gssapi` feature: a client with Kerberos credentials chooses it, a
    /// server offers it when its store registers it), dialback allowed as the s2s fallback
    /// (F-03; not implemented), 3 SASL attempts.
    pub fn nato_bcs() -> Self {
        Profile {
            conformance: Conformance::NatoBcs,
            mechanisms: vec![
                #[cfg(feature = "gssapi")]
                Mechanism::Gssapi,
                Mechanism::External,
                Mechanism::ScramSha256Plus,
                Mechanism::ScramSha1Plus,
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
                Mechanism::Anonymous,
            ],
            allow_anonymous: true,
            allow_dialback: true,
            keepalive_interval: Some(Duration::from_secs(60)),
            ..Profile::rfc6120()
        }
    }

    /// The preset of a document.
    pub fn preset(conformance: Conformance) -> Self {
        match conformance {
            Conformance::Rfc6120 => Profile::rfc6120(),
            Conformance::DodUcr2008 => Profile::dod_ucr_2008(),
            Conformance::NatoBcs => Profile::nato_bcs(),
        }
    }

    /// Checks that the fields are consistent with each other, with the rules of the
    /// profile's [`Conformance`] document (the first broken rule, with its requirement id)
    /// and with what the TLS backend implements.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let conformance = self.conformance;
        let (min, max) = conformance.sasl_retry_bounds();
        let (min, max) = (min + 1, max + 1);
        if !(min..=max).contains(&self.sasl_max_attempts) {
            return Err(ProfileError::SaslAttempts {
                value: self.sasl_max_attempts,
                min,
                max,
                conformance,
            });
        }
        if let Some(broken) = rules::first_broken(self) {
            return Err(broken);
        }
        if self.allow_plaintext_auth && self.tls == TlsPolicy::Required {
            return Err(ProfileError::PlaintextAuthWithRequiredTls);
        }
        self.validate_tls()?;
        if let Some(d) = self.dscp.filter(|d| *d > 63) {
            return Err(ProfileError::Dscp(d));
        }
        let l = &self.limits;
        for (name, value, min) in [
            ("max_stanza_bytes", l.max_stanza_bytes, 1024),
            ("max_depth", l.max_depth, 4),
            ("max_attributes", l.max_attributes, 8),
            ("max_header_bytes", l.max_header_bytes, 512),
            ("max_pending_output", l.max_pending_output, 4096),
            ("max_pending_events", l.max_pending_events, 1),
        ] {
            if value < min {
                return Err(ProfileError::LimitTooSmall { name, value, min });
            }
        }
        Ok(())
    }

    /// The TLS versions and suites against the backend: every version implemented, every suite
    /// provided, and each version with at least one suite.
    fn validate_tls(&self) -> Result<(), ProfileError> {
        if self.tls != TlsPolicy::Disabled && self.tls_versions.is_empty() {
            return Err(ProfileError::NoTlsVersion(self.tls));
        }
        if let Some(v) = self.tls_versions.iter().find(|v| v.rustls().is_none()) {
            return Err(ProfileError::TlsVersionUnsupported(v.name()));
        }
        if self.cipher_suites.is_empty() {
            return Ok(());
        }
        let provided = crate::trust::provider().cipher_suites.clone();
        let mut usable = Vec::new();
        for suite in &self.cipher_suites {
            let Some(p) = provided.iter().find(|p| p.suite() == *suite) else {
                return Err(ProfileError::UnknownCipherSuite(format!("{suite:?}")));
            };
            usable.extend(TlsVersion::of(p.version().version));
        }
        match self.tls_versions.iter().find(|v| !usable.contains(v)) {
            Some(v) => Err(ProfileError::NoCipherSuiteFor(v.name())),
            None => Ok(()),
        }
    }

    /// Whether `mechanism` may be used under this profile (allow-list and ANONYMOUS rule).
    pub fn mechanism_allowed(&self, mechanism: Mechanism) -> bool {
        if mechanism == Mechanism::Anonymous && !self.allow_anonymous {
            return false;
        }
        self.mechanisms.is_empty() || self.mechanisms.contains(&mechanism)
    }

    /// The configuration rules of this profile's document, each with its requirement id, this
    /// profile's value, whether [`validate`](Self::validate) refuses a value that breaks it, and
    /// where the rule takes effect. `docs/PROFILES.md` is this list for the three presets.
    pub fn rules(&self) -> Vec<Rule> {
        rules::rules(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate() {
        for p in [
            Profile::rfc6120(),
            Profile::dod_ucr_2008(),
            Profile::nato_bcs(),
        ] {
            assert_eq!(p.validate(), Ok(()));
        }
        assert_eq!(Profile::default(), Profile::rfc6120());
    }

    #[test]
    fn ucr_gen_3_dod_preset_raises_the_elevated_items() {
        let p = Profile::dod_ucr_2008();
        assert_eq!(p.tls, TlsPolicy::Required);
        assert!(!p.allow_plaintext_auth);
        assert!(p.client_from_before_tls);
        assert!((3..=4).contains(&p.sasl_max_attempts), "2..=3 retries");
    }

    #[test]
    fn ucr_sasl_27_a_dod_profile_outside_2_to_3_retries_is_refused() {
        for (attempts, ok) in [(2, false), (3, true), (4, true), (5, false)] {
            let mut p = Profile::dod_ucr_2008();
            p.sasl_max_attempts = attempts;
            assert_eq!(p.validate().is_ok(), ok, "{attempts} attempts");
        }
        // RFC 6120 allows 2..=5 retries.
        for (attempts, ok) in [(0, false), (2, false), (3, true), (6, true), (7, false)] {
            let mut p = Profile::rfc6120();
            p.sasl_max_attempts = attempts;
            assert_eq!(p.validate().is_ok(), ok, "{attempts} attempts");
        }
        let mut p = Profile::dod_ucr_2008();
        p.sasl_max_attempts = 9;
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "sasl_max_attempts = 9 is outside 3..=4 (DodUcr2008: 1 attempt plus 2 to 3 retries)"
        );
    }

    #[test]
    fn a_dod_or_nato_profile_that_breaks_its_documents_rules_is_refused() {
        let mut p = Profile::dod_ucr_2008();
        p.tls = TlsPolicy::Optional;
        assert!(matches!(
            p.validate(),
            Err(ProfileError::Rule {
                rule: "UCR-TLS-1",
                ..
            })
        ));
        let mut p = Profile::dod_ucr_2008();
        p.allow_anonymous = true;
        assert!(matches!(
            p.validate(),
            Err(ProfileError::Rule {
                rule: "UCR-SASL-3",
                ..
            })
        ));
        let mut p = Profile::dod_ucr_2008();
        p.client_from_before_tls = false;
        assert!(matches!(
            p.validate(),
            Err(ProfileError::Rule {
                rule: "UCR-ATTR-1",
                ..
            })
        ));
        let mut p = Profile::nato_bcs();
        p.tls = TlsPolicy::Disabled;
        assert!(matches!(
            p.validate(),
            Err(ProfileError::Rule { rule: "N-20", .. })
        ));
        // The same changes are allowed under plain RFC 6120.
        let mut p = Profile::rfc6120();
        p.tls = TlsPolicy::Optional;
        p.allow_anonymous = true;
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn ucr_sasl_3_anonymous_refused_under_dod_allowed_under_nato() {
        assert!(!Profile::dod_ucr_2008().mechanism_allowed(Mechanism::Anonymous));
        assert!(!Profile::rfc6120().mechanism_allowed(Mechanism::Anonymous));
        assert!(Profile::nato_bcs().mechanism_allowed(Mechanism::Anonymous));
        // An allow-list that names ANONYMOUS still does not override allow_anonymous.
        let mut p = Profile::rfc6120();
        p.mechanisms = vec![Mechanism::Anonymous];
        assert!(!p.mechanism_allowed(Mechanism::Anonymous));
    }

    #[test]
    fn mechanism_allow_list() {
        let p = Profile::dod_ucr_2008();
        assert!(p.mechanism_allowed(Mechanism::Plain));
        assert!(p.mechanism_allowed(Mechanism::ScramSha1));
        assert!(!p.mechanism_allowed(Mechanism::ScramSha512));
        assert!(Profile::rfc6120().mechanism_allowed(Mechanism::ScramSha512));
    }

    #[test]
    fn validate_rejects_contradictions() {
        let mut p = Profile::rfc6120();
        p.sasl_max_attempts = 0;
        assert!(matches!(
            p.validate(),
            Err(ProfileError::SaslAttempts {
                value: 0,
                min: 3,
                max: 6,
                ..
            })
        ));
        let mut p = Profile::rfc6120();
        p.allow_plaintext_auth = true;
        assert_eq!(
            p.validate(),
            Err(ProfileError::PlaintextAuthWithRequiredTls)
        );
        p.tls = TlsPolicy::Optional;
        assert_eq!(p.validate(), Ok(()));
        p.limits.max_stanza_bytes = 10;
        assert_eq!(
            p.validate(),
            Err(ProfileError::LimitTooSmall {
                name: "max_stanza_bytes",
                value: 10,
                min: 1024
            })
        );
    }
}
