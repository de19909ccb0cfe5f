//! The configuration rules of each [`Conformance`] document: what [`Profile::validate`] checks
//! and what [`Profile::rules`] (and so `docs/PROFILES.md`) reports, from one table per document.

use xmpp_sasl::Mechanism;

use super::{Conformance, DOD_CIPHER_SUITES, Profile, ProfileError, TlsPolicy, TlsVersion};

/// One configuration rule of a profile's document, with the profile's value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// The requirement's id in the document (`UCR-TLS-1`, `S-13`, `RFC 6120 §6.4.5`).
    pub id: &'static str,
    /// The [`Profile`] fields that carry the rule.
    pub field: &'static str,
    /// What the document demands, in short.
    pub requirement: &'static str,
    /// The profile's value of those fields.
    pub value: String,
    /// Whether [`Profile::validate`] refuses a value that breaks the rule. `false` for rules
    /// whose content the document does not publish, or that only a deployment can meet.
    pub checked: bool,
    /// Where the rule takes effect, as `path::Type::function` references (workspace paths),
    /// separated by `; `. Empty when nothing in the library can apply it (see `note`).
    pub enforced: &'static str,
    /// What a reader must know besides: an interpretation, a missing implementation.
    pub note: &'static str,
}

/// A rule of a document's table: the check is a function of the whole profile.
struct Def {
    id: &'static str,
    field: &'static str,
    requirement: &'static str,
    holds: Option<fn(&Profile) -> bool>,
    enforced: &'static str,
    note: &'static str,
}

const TLS_POLICY: &str = "xmpp-stream/src/connection/receiver.rs::Connection::stage_features; \
    xmpp-stream/src/connection/initiator.rs::Connection::on_features";
const TLS_CONFIG: &str = "xmpp-stream/src/trust.rs::Trust::client_config_for; \
    xmpp-stream/src/trust.rs::server_config_builder";
const PLAINTEXT_AUTH: &str = "xmpp-stream/src/connection/receiver.rs::Connection::on_auth; \
    xmpp-stream/src/connection/initiator.rs::Connection::on_features";
const MECHANISMS: &str = "xmpp-stream/src/profile.rs::Profile::mechanism_allowed; \
    xmpp-stream/src/auth.rs::server_policy; xmpp-stream/src/auth.rs::client_policy";
const ATTEMPTS: &str = "xmpp-stream/src/auth.rs::server_policy; \
    xmpp-sasl/src/session.rs::ServerSession::fail; \
    xmpp-stream/src/connection/receiver.rs::Connection::on_auth";
const VERSION: &str = "xmpp-stream/src/connection/headers.rs::Connection::on_initial_header";
const NO_DIALBACK: &str = "this library has no dialback (XEP-0220): s2s receivers \
    authenticate with SASL only, so the rule holds whatever the field says";

fn tls_required(p: &Profile) -> bool {
    p.tls == TlsPolicy::Required
}

fn no_plaintext_auth(p: &Profile) -> bool {
    !p.allow_plaintext_auth
}

fn offers(p: &Profile, m: Mechanism) -> bool {
    p.mechanism_allowed(m)
}

fn attempts_within_bounds(p: &Profile) -> bool {
    let (min, max) = p.conformance.sasl_retry_bounds();
    (min + 1..=max + 1).contains(&p.sasl_max_attempts)
}

const DOD: &[Def] = &[
    Def {
        id: "UCR-TLS-1",
        field: "tls",
        requirement: "every XML stream, c2s and s2s, is protected with TLS",
        holds: Some(tls_required),
        enforced: TLS_POLICY,
        note: "",
    },
    Def {
        id: "UCR-TLS-12",
        field: "tls_versions",
        requirement: "TLS follows UCR §5.4 (Information Assurance): TLS 1.2 or 1.3 only",
        holds: Some(|p| {
            p.tls_versions
                .iter()
                .all(|v| matches!(v, TlsVersion::Tls1_2 | TlsVersion::Tls1_3))
        }),
        enforced: TLS_CONFIG,
        note: "§5.4 is not published with the digest; TLS 1.2 as the floor is current DoD \
            policy (NIST SP 800-52 Rev. 2)",
    },
    Def {
        id: "UCR-TLS-12",
        field: "cipher_suites",
        requirement: "TLS follows UCR §5.4: FIPS-approved cipher suites (AES-GCM) only",
        holds: Some(|p| {
            !p.cipher_suites.is_empty()
                && p.cipher_suites
                    .iter()
                    .all(|s| DOD_CIPHER_SUITES.contains(s))
        }),
        enforced: TLS_CONFIG,
        note: "§5.4 is not published with the digest; the list is the reading of current DoD \
            policy (FIPS 140: AES-GCM, not ChaCha20-Poly1305)",
    },
    Def {
        id: "UCR-TLS-21",
        field: "check_revocation",
        requirement: "the client checks that the server certificate is unexpired, unrevoked \
            and chains to a trusted DoD CA",
        holds: Some(|p| p.check_revocation),
        enforced: "xmpp-stream/src/trust.rs::Trust::client_config_for; \
            xmpp-stream/src/trust.rs::Trust::server_verifier",
        note: "revocation by CRLs; OCSP is not evaluated",
    },
    Def {
        id: "UCR-TLS-22",
        field: "s2s_mutual_tls",
        requirement: "s2s: both servers authenticate with DoD PKI certificates (mutual TLS)",
        holds: Some(|p| p.s2s_mutual_tls),
        enforced: "xmpp-stream/src/trust.rs::server_config_builder",
        note: "",
    },
    Def {
        id: "UCR-SASL-6",
        field: "allow_plaintext_auth",
        requirement: "PLAIN only on a TLS-protected stream (no mechanism offered or used before \
            TLS)",
        holds: Some(no_plaintext_auth),
        enforced: PLAINTEXT_AUTH,
        note: "",
    },
    Def {
        id: "UCR-SASL-3",
        field: "allow_anonymous, mechanisms",
        requirement: "anonymous login is forbidden: ANONYMOUS is never offered or accepted",
        holds: Some(|p| !p.allow_anonymous && !p.mechanisms.contains(&Mechanism::Anonymous)),
        enforced: MECHANISMS,
        note: "",
    },
    Def {
        id: "UCR-SASL-8",
        field: "mechanisms",
        requirement: "after STARTTLS the server offers PLAIN",
        holds: Some(|p| offers(p, Mechanism::Plain)),
        enforced: MECHANISMS,
        note: "",
    },
    Def {
        id: "UCR-SASL-17",
        field: "mechanisms",
        requirement: "s2s: after mutual TLS the receiving server offers EXTERNAL",
        holds: Some(|p| offers(p, Mechanism::External)),
        enforced: MECHANISMS,
        note: "",
    },
    Def {
        id: "UCR-SASL-27",
        field: "sasl_max_attempts",
        requirement: "the receiver allows at least 2 and at most 3 retries (IM STIG)",
        holds: Some(attempts_within_bounds),
        enforced: ATTEMPTS,
        note: "",
    },
    Def {
        id: "UCR-SASL-17",
        field: "allow_dialback",
        requirement: "s2s authenticates with mutual TLS and SASL EXTERNAL; dialback is not part \
            of the model",
        holds: Some(|p| !p.allow_dialback),
        enforced: "",
        note: NO_DIALBACK,
    },
    Def {
        id: "UCR-ATTR-1",
        field: "client_from_before_tls",
        requirement: "the client's initial header carries `from` (its bare JID), before TLS too",
        holds: Some(|p| p.client_from_before_tls),
        enforced: "xmpp-stream/src/connection/headers.rs::Connection::send_initial_header",
        note: "",
    },
    Def {
        id: "UCR-ATTR-10",
        field: "legacy_versions",
        requirement: "the response header carries version 1.0 or higher (no version-less \
            pre-1.0 streams)",
        holds: Some(|p| !p.legacy_versions),
        enforced: VERSION,
        note: "",
    },
    Def {
        id: "UCR-DSCP-1",
        field: "dscp",
        requirement: "outgoing packets carry the DiffServ code point of ROUTINE Low-Latency Data",
        holds: None,
        enforced: "xmpp-tokio/src/socket.rs::set_dscp",
        note: "the value is in UCR Table 5.3.3-1, not published with the digest: the deployment \
            sets it (the tokio adapter's `dscp` settings; the blocking adapter has none yet)",
    },
];

const NATO: &[Def] = &[
    Def {
        id: "N-20",
        field: "tls",
        requirement: "TLS protects negotiation data and stanzas (S-01: STARTTLS)",
        holds: Some(tls_required),
        enforced: TLS_POLICY,
        note: "",
    },
    Def {
        id: "S-01",
        field: "tls_versions",
        requirement: "TLS as RFC 5246 (TLS 1.2), the only version the profile references: 1.2 \
            stays available",
        holds: Some(|p| p.tls_versions.contains(&TlsVersion::Tls1_2)),
        enforced: TLS_CONFIG,
        note: "",
    },
    Def {
        id: "S-05",
        field: "cipher_suites",
        requirement: "cipher suites and hashes of TLS and SASL match the NATO PKI suites",
        holds: None,
        enforced: TLS_CONFIG,
        note: "the NATO PKI list is not published with the profile: the deployment sets \
            `cipher_suites`",
    },
    Def {
        id: "S-14",
        field: "allow_plaintext_auth",
        requirement: "PLAIN only under STARTTLS; EXTERNAL requires STARTTLS",
        holds: Some(no_plaintext_auth),
        enforced: PLAINTEXT_AUTH,
        note: "",
    },
    Def {
        id: "S-13",
        field: "allow_anonymous, mechanisms",
        requirement: "ANONYMOUS, PLAIN, GSSAPI and EXTERNAL are supported",
        holds: Some(|p| {
            p.allow_anonymous
                && [Mechanism::Anonymous, Mechanism::Plain, Mechanism::External]
                    .iter()
                    .all(|m| offers(p, *m))
        }),
        enforced: MECHANISMS,
        note: "GSSAPI is behind the `gssapi` feature (`Mechanism::Gssapi`, the server side carried \
            by the credential store), so the preset, built without it, does not list it",
    },
    Def {
        id: "S-12",
        field: "sasl_max_attempts",
        requirement: "SASL as RFC 6120 §6: 2 to 5 retries (§6.4.5)",
        holds: Some(attempts_within_bounds),
        enforced: ATTEMPTS,
        note: "",
    },
    Def {
        id: "F-03",
        field: "allow_dialback",
        requirement: "a server that cannot do TLS + SASL EXTERNAL falls back to dialback \
            (XEP-0220)",
        holds: Some(|p| p.allow_dialback),
        enforced: "",
        note: "not met: this library has no dialback, so an s2s peer without a certificate is \
            refused",
    },
    Def {
        id: "F-02",
        field: "s2s_mutual_tls",
        requirement: "RECOMMENDED: s2s peers authenticate each other with certificates",
        holds: None,
        enforced: "xmpp-stream/src/trust.rs::server_config_builder",
        note: "a recommendation: off in the preset so that the dialback fallback (F-03) stays \
            possible",
    },
    Def {
        id: "N-15",
        field: "legacy_versions",
        requirement: "the stream attributes of Table 3: version 1.0",
        holds: Some(|p| !p.legacy_versions),
        enforced: VERSION,
        note: "",
    },
];

const RFC6120: &[Def] = &[
    Def {
        id: "RFC 6120 §6.4.5",
        field: "sasl_max_attempts",
        requirement: "the receiver allows a configurable number of retries, at least 2 and no \
            more than 5",
        holds: Some(attempts_within_bounds),
        enforced: ATTEMPTS,
        note: "",
    },
    Def {
        id: "RFC 6120 §5.3.1",
        field: "tls",
        requirement: "STARTTLS is mandatory-to-negotiate when the receiver's policy says so \
            (`<required/>`)",
        holds: None,
        enforced: TLS_POLICY,
        note: "a policy choice under RFC 6120: every preset requires TLS",
    },
    Def {
        id: "RFC 6120 §13.8",
        field: "tls_versions, cipher_suites",
        requirement: "TLS with TLS_RSA_WITH_AES_128_CBC_SHA mandatory to implement",
        holds: None,
        enforced: TLS_CONFIG,
        note: "not met: rustls implements AEAD suites with forward secrecy only (RFC 9325 \
            deprecates the static-RSA CBC suite)",
    },
    Def {
        id: "RFC 6120 §13.8",
        field: "allow_plaintext_auth",
        requirement: "PLAIN is used only over TLS",
        holds: None,
        enforced: PLAINTEXT_AUTH,
        note: "`allow_plaintext_auth` with `tls = Required` is refused; without TLS it is for \
            tests and loopback",
    },
];

fn defs(conformance: Conformance) -> &'static [Def] {
    match conformance {
        Conformance::Rfc6120 => RFC6120,
        Conformance::DodUcr2008 => DOD,
        Conformance::NatoBcs => NATO,
    }
}

/// The first rule of the profile's document that the profile breaks.
pub(super) fn first_broken(p: &Profile) -> Option<ProfileError> {
    defs(p.conformance)
        .iter()
        .find(|d| d.holds.is_some_and(|holds| !holds(p)))
        .map(|d| ProfileError::Rule {
            field: d.field,
            rule: d.id,
            requirement: d.requirement,
            conformance: p.conformance,
        })
}

/// The value of `field` (a comma-separated list of field names) in `p`, for the report.
fn value(p: &Profile, field: &str) -> String {
    field
        .split(", ")
        .map(|f| match f {
            "tls" => format!("{:?}", p.tls),
            "tls_versions" => list(p.tls_versions.iter().map(|v| v.name().to_owned())),
            "cipher_suites" if p.cipher_suites.is_empty() => "the provider's".to_owned(),
            "cipher_suites" => list(p.cipher_suites.iter().map(|s| format!("{s:?}"))),
            "check_revocation" => p.check_revocation.to_string(),
            "s2s_mutual_tls" => p.s2s_mutual_tls.to_string(),
            "allow_plaintext_auth" => p.allow_plaintext_auth.to_string(),
            "allow_anonymous" => format!("allow_anonymous = {}", p.allow_anonymous),
            "mechanisms" if p.mechanisms.is_empty() => "every mechanism".to_owned(),
            "mechanisms" => list(p.mechanisms.iter().map(|m| m.name().to_owned())),
            "sasl_max_attempts" => format!(
                "{} ({} retries)",
                p.sasl_max_attempts,
                p.sasl_max_attempts.saturating_sub(1)
            ),
            "allow_dialback" => p.allow_dialback.to_string(),
            "dscp" => p.dscp.map_or("unset".to_owned(), |d| d.to_string()),
            "client_from_before_tls" => p.client_from_before_tls.to_string(),
            "legacy_versions" => p.legacy_versions.to_string(),
            other => format!("?{other}?"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// The rules of `p`'s document with `p`'s values.
pub(super) fn rules(p: &Profile) -> Vec<Rule> {
    defs(p.conformance)
        .iter()
        .map(|d| Rule {
            id: d.id,
            field: d.field,
            requirement: d.requirement,
            value: value(p, d.field),
            checked: d.holds.is_some(),
            enforced: d.enforced,
            note: d.note,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reported_field_has_a_value() {
        for c in [
            Conformance::Rfc6120,
            Conformance::DodUcr2008,
            Conformance::NatoBcs,
        ] {
            for rule in Profile::preset(c).rules() {
                assert!(!rule.value.contains('?'), "{}: {}", rule.id, rule.value);
                assert!(
                    !rule.enforced.is_empty() || !rule.note.is_empty(),
                    "{}: neither where it is enforced nor why not",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn the_presets_meet_every_checked_rule_of_their_document() {
        for c in [
            Conformance::Rfc6120,
            Conformance::DodUcr2008,
            Conformance::NatoBcs,
        ] {
            let p = Profile::preset(c);
            assert_eq!(first_broken(&p), None, "{c:?}");
            for d in defs(c) {
                if let Some(holds) = d.holds {
                    assert!(holds(&p), "{c:?} {}", d.id);
                }
            }
        }
    }
}
