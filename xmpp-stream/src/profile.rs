//! Stream-level configuration ([`Profile`]) and its named presets.
//!
//! This module owns every policy knob of the connection machines: TLS policy, which SASL
//! mechanisms may be used, ANONYMOUS, the SASL retry limit, legacy (pre-1.0) stream support,
//! the whitespace keepalive interval, the negotiation / idle / close timeouts, and the
//! resource [`Limits`]. A profile is a plain struct: start from a preset and change fields.
//!
//! | knob | `rfc6120()` (default) | `dod_ucr_2008()` | `nato_bcs()` |
//! |---|---|---|---|
//! | TLS | required | required (UCR-TLS-1) | required (N-20, S-01) |
//! | credentials before TLS | never | never (UCR-SASL-6) | never (S-14) |
//! | ANONYMOUS | refused | refused (UCR-SASL-3) | allowed (S-13) |
//! | SASL attempts (1 + retries) | 3 (3..=6: 2..=5 retries, RFC 6120 §6.4.5) | 3 (3..=4: 2..=3 retries, UCR-SASL-27) | 3 (3..=6) |
//! | client `from` in header | after TLS | always (UCR-ATTR-1) | after TLS |
//! | legacy version-less peers | refused | refused | refused |
//!
//! ```
//! use xmpp_stream::profile::{Profile, TlsPolicy};
//! let mut p = Profile::dod_ucr_2008();
//! assert_eq!(p.tls, TlsPolicy::Required);
//! assert!(!p.allow_anonymous);
//! p.sasl_max_attempts = 4; // 3 retries: the most UCR-SASL-27 allows
//! assert!(p.validate().is_ok());
//! p.sasl_max_attempts = 5;
//! assert!(p.validate().is_err());
//! ```
//!
//! Each preset names the document it follows ([`Conformance`]); [`Profile::validate`] refuses a
//! profile that breaks that document's configurable rules, so a changed field cannot silently
//! leave the profile.

use std::time::Duration;

use xmpp_sasl::Mechanism;

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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Profile {
    /// The document this profile follows (set by the presets); [`validate`](Self::validate)
    /// enforces its rules.
    pub conformance: Conformance,
    /// TLS policy.
    pub tls: TlsPolicy,
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

/// A profile whose fields contradict each other or a preset's bounds.
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
}

impl Profile {
    /// RFC 6120 defaults: TLS required, no ANONYMOUS, 3 SASL attempts, version 1.0 only,
    /// 60 s negotiation timeout, 30 s close timeout, no keepalive, no idle timeout.
    pub fn rfc6120() -> Self {
        Profile {
            conformance: Conformance::Rfc6120,
            tls: TlsPolicy::Required,
            allow_plaintext_auth: false,
            mechanisms: Vec::new(),
            allow_anonymous: false,
            sasl_max_attempts: 3,
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

    /// DoD UCR 2008 Change 3 §5.7 (UCR-GEN-3): TLS required on every stream (UCR-TLS-1),
    /// PLAIN only over TLS (UCR-SASL-6), no ANONYMOUS (UCR-SASL-3), 2 SASL retries (3
    /// attempts; 2..=3 retries allowed, UCR-SASL-27), the client's bare JID in `from` of every initial header
    /// (UCR-ATTR-1), whitespace keepalive every 60 s.
    pub fn dod_ucr_2008() -> Self {
        Profile {
            conformance: Conformance::DodUcr2008,
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

    /// NATO BCS XMPP profile: TLS required (N-20, S-01), PLAIN and EXTERNAL only under TLS
    /// (S-14), ANONYMOUS supported (S-13), 3 SASL attempts.
    pub fn nato_bcs() -> Self {
        Profile {
            conformance: Conformance::NatoBcs,
            mechanisms: vec![
                Mechanism::External,
                Mechanism::ScramSha256Plus,
                Mechanism::ScramSha1Plus,
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
                Mechanism::Anonymous,
            ],
            allow_anonymous: true,
            keepalive_interval: Some(Duration::from_secs(60)),
            ..Profile::rfc6120()
        }
    }

    /// Checks that the fields are consistent with each other and with the rules of the
    /// profile's [`Conformance`] document.
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
        let rule = |field, rule, requirement| {
            Err(ProfileError::Rule {
                field,
                rule,
                requirement,
                conformance,
            })
        };
        match conformance {
            Conformance::DodUcr2008 => {
                if self.tls != TlsPolicy::Required {
                    return rule("tls", "UCR-TLS-1", "every stream is protected by TLS");
                }
                if self.allow_anonymous || self.mechanisms.contains(&Mechanism::Anonymous) {
                    return rule("allow_anonymous", "UCR-SASL-3", "ANONYMOUS is not used");
                }
                if !self.client_from_before_tls {
                    return rule(
                        "client_from_before_tls",
                        "UCR-ATTR-1",
                        "the client's initial header carries `from`",
                    );
                }
            }
            Conformance::NatoBcs => {
                if self.tls != TlsPolicy::Required {
                    return rule("tls", "N-20", "TLS is required on every stream");
                }
            }
            Conformance::Rfc6120 => {}
        }
        if self.allow_plaintext_auth && self.tls == TlsPolicy::Required {
            return Err(ProfileError::PlaintextAuthWithRequiredTls);
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

    /// Whether `mechanism` may be used under this profile (allow-list and ANONYMOUS rule).
    pub fn mechanism_allowed(&self, mechanism: Mechanism) -> bool {
        if mechanism == Mechanism::Anonymous && !self.allow_anonymous {
            return false;
        }
        self.mechanisms.is_empty() || self.mechanisms.contains(&mechanism)
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
