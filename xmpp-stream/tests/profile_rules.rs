//! The configuration rules of the DoD UCR and NATO BCS profiles: [`Profile::validate`] refuses
//! each broken rule with its requirement id, and the rustls configurations built for a profile
//! ([`Trust::client_config_for`], [`server_config_builder`]) apply its TLS versions, cipher
//! suites and certificate requirements in real handshakes.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa,
    KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
    date_time_ymd,
};
use rustls::CipherSuite;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use xmpp_sasl::Mechanism;
use xmpp_stream::connection::{ConfigError, Connection, ReceiverAuth, ReceiverConfig};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::{
    Conformance, DOD_CIPHER_SUITES, Profile, ProfileError, TlsPolicy, TlsVersion,
};
use xmpp_stream::testing::{TestRng, store, t0};
use xmpp_stream::tls::{TlsError, TlsLayer};
use xmpp_stream::trust::{Trust, TrustError, server_config_builder};

/// The id of the document rule `p` breaks, or the whole result when it is not a rule error.
fn broken_rule(p: &Profile) -> Result<&'static str, Result<(), ProfileError>> {
    match p.validate() {
        Err(ProfileError::Rule { rule, .. }) => Ok(rule),
        other => Err(other),
    }
}

fn dod() -> Profile {
    Profile::dod_ucr_2008()
}

fn nato() -> Profile {
    Profile::nato_bcs()
}

// ---------------------------------------------------------------- DoD UCR 2008

#[test]
fn ucr_tls_1_dod_profile_without_required_tls_is_refused() {
    for tls in [TlsPolicy::Optional, TlsPolicy::Disabled] {
        let mut p = dod();
        p.tls = tls;
        assert_eq!(broken_rule(&p), Ok("UCR-TLS-1"), "{tls:?}");
        // A machine is not made with it either.
        let made = Connection::receiver(
            ReceiverConfig {
                kind: StreamKind::Client,
                domains: vec!["example.com".into()],
                tls: None,
                direct_tls: false,
                auth: ReceiverAuth::Sasl(store()),
            },
            Arc::new(p),
            Box::new(TestRng::new(1)),
            t0(),
        );
        assert!(
            matches!(
                made,
                Err(ConfigError::Profile(ProfileError::Rule {
                    rule: "UCR-TLS-1",
                    ..
                }))
            ),
            "{tls:?}"
        );
    }
    let mut p = dod();
    p.tls = TlsPolicy::Optional;
    let message = p.validate().unwrap_err().to_string();
    assert!(message.contains("UCR-TLS-1"), "{message}");
}

#[test]
fn ucr_tls_12_dod_profile_refuses_tls_below_1_2_and_other_suites_than_aes_gcm() {
    for old in [TlsVersion::Tls1_0, TlsVersion::Tls1_1] {
        let mut p = dod();
        p.tls_versions.insert(0, old);
        assert_eq!(broken_rule(&p), Ok("UCR-TLS-12"), "{old:?}");
    }
    let mut p = dod();
    p.tls_versions = vec![TlsVersion::Tls1_3];
    p.cipher_suites = vec![CipherSuite::TLS13_AES_256_GCM_SHA384];
    assert_eq!(
        p.validate(),
        Ok(()),
        "a narrower choice stays within the rule"
    );
    for suite in [
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        let mut p = dod();
        p.cipher_suites.push(suite);
        assert_eq!(broken_rule(&p), Ok("UCR-TLS-12"), "{suite:?}");
    }
    // "The provider's suites" includes ChaCha20: the DoD profile must name its suites.
    let mut p = dod();
    p.cipher_suites.clear();
    assert_eq!(broken_rule(&p), Ok("UCR-TLS-12"));
    // Under plain RFC 6120 the old versions are refused by the backend, not by a rule.
    let mut p = Profile::rfc6120();
    p.tls_versions.push(TlsVersion::Tls1_0);
    assert_eq!(
        p.validate(),
        Err(ProfileError::TlsVersionUnsupported("TLS 1.0"))
    );
}

#[test]
fn ucr_tls_12_dod_tls_configs_negotiate_only_the_profiles_versions_and_suites() {
    let ca = TestCa::new();
    let leaf = ca.issue(&["example.com"], 2);
    let trust = ca.trust();
    let dod_server = dod_server_config(&leaf, None, StreamKind::Client);
    // Our DoD client against our DoD server: an AES-GCM suite of the list.
    let mut client = TlsLayer::client(trust.client_config_for(&dod()).unwrap(), "example.com")
        .expect("client session");
    let mut server = TlsLayer::server(dod_server.clone(), None).unwrap();
    handshake(&mut client, &mut server).unwrap();
    let suite = client_suite(&client);
    assert!(DOD_CIPHER_SUITES.contains(&suite), "{suite:?}");
    // A peer that offers only ChaCha20 (TLS 1.3) or only TLS 1.2 with ChaCha20 is refused by
    // the DoD server.
    for (version, suite) in [
        (
            TlsVersion::Tls1_3,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ),
        (
            TlsVersion::Tls1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ),
    ] {
        let mut other = Profile::rfc6120();
        other.tls_versions = vec![version];
        other.cipher_suites = vec![suite];
        let mut client =
            TlsLayer::client(trust.client_config_for(&other).unwrap(), "example.com").unwrap();
        let mut server = TlsLayer::server(dod_server.clone(), None).unwrap();
        assert!(
            matches!(
                handshake(&mut client, &mut server),
                Err(TlsError::Protocol(_))
            ),
            "{suite:?}"
        );
    }
    // The DoD client refuses a server that offers only ChaCha20.
    let mut chacha = Profile::rfc6120();
    chacha.cipher_suites = vec![
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    let chacha_server = server_config_builder(&chacha, None, StreamKind::Client)
        .unwrap()
        .with_single_cert(vec![leaf.cert.clone()], leaf.key.clone_key())
        .unwrap();
    let mut client =
        TlsLayer::client(trust.client_config_for(&dod()).unwrap(), "example.com").unwrap();
    let mut server = TlsLayer::server(Arc::new(chacha_server), None).unwrap();
    assert!(handshake(&mut client, &mut server).is_err());
    // A DoD profile narrowed to TLS 1.2 negotiates TLS 1.2.
    let mut tls12 = dod();
    tls12.tls_versions = vec![TlsVersion::Tls1_2];
    let mut client =
        TlsLayer::client(trust.client_config_for(&tls12).unwrap(), "example.com").unwrap();
    let mut server = TlsLayer::server(dod_server, None).unwrap();
    handshake(&mut client, &mut server).unwrap();
    assert_eq!(
        client.peer_identity().unwrap().protocol.as_deref(),
        Some("TLSv1_2")
    );
    assert!(DOD_CIPHER_SUITES.contains(&client_suite(&client)));
    // A profile the rules refuse gives no configuration at all.
    let mut broken = dod();
    broken.tls_versions.push(TlsVersion::Tls1_0);
    assert!(matches!(
        trust.client_config_for(&broken),
        Err(TrustError::Profile(ProfileError::Rule {
            rule: "UCR-TLS-12",
            ..
        }))
    ));
}

#[test]
fn ucr_tls_21_dod_client_config_checks_revocation_and_refuses_a_trust_that_does_not() {
    let ca = TestCa::new();
    let p = dod();
    assert_eq!(
        Trust::certificates(vec![ca.der()])
            .client_config_for(&p)
            .unwrap_err(),
        TrustError::RevocationNotChecked,
        "no CRL"
    );
    assert_eq!(
        ca.trust()
            .allow_unknown_revocation_status()
            .client_config_for(&p)
            .unwrap_err(),
        TrustError::RevocationNotChecked,
        "unknown status accepted"
    );
    assert_eq!(
        Trust::insecure_skip_verify()
            .client_config_for(&p)
            .unwrap_err(),
        TrustError::RevocationNotChecked,
        "verification skipped"
    );
    // The profile field is the rule: without it the same trust is accepted.
    let mut relaxed = dod();
    relaxed.check_revocation = false;
    assert_eq!(broken_rule(&relaxed), Ok("UCR-TLS-21"));
    assert!(
        Trust::certificates(vec![ca.der()])
            .client_config_for(&Profile::rfc6120())
            .is_ok()
    );
    // With the CA's CRL: the good certificate is accepted, the revoked one refused.
    let config = ca.trust().client_config_for(&p).unwrap();
    let server = dod_server_config(&ca.issue(&["example.com"], 2), None, StreamKind::Client);
    let mut c = TlsLayer::client(config.clone(), "example.com").unwrap();
    let mut s = TlsLayer::server(server, None).unwrap();
    handshake(&mut c, &mut s).unwrap();
    let revoked = dod_server_config(
        &ca.issue(&["example.com"], REVOKED),
        None,
        StreamKind::Client,
    );
    let mut c = TlsLayer::client(config, "example.com").unwrap();
    let mut s = TlsLayer::server(revoked, None).unwrap();
    let err = handshake(&mut c, &mut s).unwrap_err();
    assert!(
        matches!(
            err,
            TlsError::Protocol(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Revoked
            ))
        ),
        "{err:?}"
    );
}

#[test]
fn ucr_tls_22_dod_s2s_server_config_demands_the_peer_servers_certificate() {
    let ca = TestCa::new();
    let p = dod();
    assert_eq!(
        server_config_builder(&p, None, StreamKind::Server).unwrap_err(),
        TrustError::ClientCertificatesRequired
    );
    let mut relaxed = dod();
    relaxed.s2s_mutual_tls = false;
    assert_eq!(broken_rule(&relaxed), Ok("UCR-TLS-22"));
    // The receiving server's config: a peer without a certificate is refused, one with a
    // certificate of the CA is accepted.
    let leaf = ca.issue(&["example.com"], 2);
    let s2s = dod_server_config(&leaf, Some(&ca.trust()), StreamKind::Server);
    let mut c = TlsLayer::client(ca.trust().client_config_for(&p).unwrap(), "example.com").unwrap();
    let mut s = TlsLayer::server(s2s.clone(), None).unwrap();
    assert!(handshake(&mut c, &mut s).is_err(), "no client certificate");
    let peer = ca.issue(&["example.org"], 5);
    let with_cert =
        rustls::ClientConfig::builder_with_provider(xmpp_stream::trust::provider_for(&p).unwrap())
            .with_protocol_versions(&xmpp_stream::trust::protocol_versions(&p))
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(ca.trust().server_verifier().unwrap())
            .with_client_auth_cert(vec![peer.cert.clone()], peer.key.clone_key())
            .unwrap();
    let mut c = TlsLayer::client(Arc::new(with_cert), "example.com").unwrap();
    let mut s = TlsLayer::server(s2s, None).unwrap();
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(
        s.peer_identity().unwrap().certificates.first(),
        Some(&peer.cert)
    );
    // On c2s the same profile admits clients without a certificate (they use passwords).
    let c2s = dod_server_config(&leaf, Some(&ca.trust()), StreamKind::Client);
    let mut c = TlsLayer::client(ca.trust().client_config_for(&p).unwrap(), "example.com").unwrap();
    let mut s = TlsLayer::server(c2s, None).unwrap();
    handshake(&mut c, &mut s).unwrap();
}

#[test]
fn ucr_sasl_6_dod_profile_offering_mechanisms_before_tls_is_refused() {
    let mut p = dod();
    p.allow_plaintext_auth = true;
    assert_eq!(broken_rule(&p), Ok("UCR-SASL-6"));
    // Plain RFC 6120 refuses it as a contradiction with required TLS, not as a rule.
    let mut p = Profile::rfc6120();
    p.allow_plaintext_auth = true;
    assert_eq!(
        p.validate(),
        Err(ProfileError::PlaintextAuthWithRequiredTls)
    );
}

#[test]
fn ucr_sasl_3_dod_profile_with_anonymous_is_refused() {
    let mut p = dod();
    p.allow_anonymous = true;
    assert_eq!(broken_rule(&p), Ok("UCR-SASL-3"));
    let mut p = dod();
    p.mechanisms.push(Mechanism::Anonymous);
    assert_eq!(broken_rule(&p), Ok("UCR-SASL-3"));
    // Every mechanism (an empty list) does not bring ANONYMOUS in.
    let mut p = dod();
    p.mechanisms.clear();
    assert_eq!(p.validate(), Ok(()));
    assert!(!p.mechanism_allowed(Mechanism::Anonymous));
}

#[test]
fn ucr_sasl_8_dod_profile_without_plain_is_refused() {
    let mut p = dod();
    p.mechanisms.retain(|m| *m != Mechanism::Plain);
    assert_eq!(broken_rule(&p), Ok("UCR-SASL-8"));
}

#[test]
fn ucr_sasl_17_dod_profile_without_external_or_with_dialback_is_refused() {
    let mut p = dod();
    p.mechanisms.retain(|m| *m != Mechanism::External);
    assert_eq!(broken_rule(&p), Ok("UCR-SASL-17"));
    let mut p = dod();
    p.allow_dialback = true;
    assert_eq!(broken_rule(&p), Ok("UCR-SASL-17"));
    assert!(!dod().allow_dialback);
}

#[test]
fn ucr_attr_1_dod_profile_without_from_before_tls_is_refused() {
    let mut p = dod();
    p.client_from_before_tls = false;
    assert_eq!(broken_rule(&p), Ok("UCR-ATTR-1"));
}

#[test]
fn ucr_attr_10_dod_profile_accepting_version_less_streams_is_refused() {
    let mut p = dod();
    p.legacy_versions = true;
    assert_eq!(broken_rule(&p), Ok("UCR-ATTR-10"));
    let mut p = Profile::rfc6120();
    p.legacy_versions = true;
    assert_eq!(p.validate(), Ok(()));
}

// ---------------------------------------------------------------- NATO BCS

#[test]
fn nato_n_20_nato_profile_without_required_tls_is_refused() {
    for tls in [TlsPolicy::Optional, TlsPolicy::Disabled] {
        let mut p = nato();
        p.tls = tls;
        assert_eq!(broken_rule(&p), Ok("N-20"), "{tls:?}");
    }
}

#[test]
fn nato_s_01_nato_profile_without_tls_1_2_is_refused() {
    let mut p = nato();
    p.tls_versions = vec![TlsVersion::Tls1_3];
    assert_eq!(broken_rule(&p), Ok("S-01"));
}

#[test]
fn nato_s_14_nato_profile_offering_mechanisms_before_tls_is_refused() {
    let mut p = nato();
    p.allow_plaintext_auth = true;
    assert_eq!(broken_rule(&p), Ok("S-14"));
}

#[test]
fn nato_s_13_nato_profile_without_anonymous_plain_or_external_is_refused() {
    let mut p = nato();
    p.allow_anonymous = false;
    assert_eq!(broken_rule(&p), Ok("S-13"));
    for m in [Mechanism::Anonymous, Mechanism::Plain, Mechanism::External] {
        let mut p = nato();
        p.mechanisms.retain(|x| *x != m);
        assert_eq!(broken_rule(&p), Ok("S-13"), "{m:?}");
    }
    assert!(nato().mechanism_allowed(Mechanism::Anonymous));
}

#[test]
fn nato_s_12_nato_profile_outside_2_to_5_retries_is_refused() {
    for (attempts, ok) in [(2, false), (3, true), (6, true), (7, false)] {
        let mut p = nato();
        p.sasl_max_attempts = attempts;
        assert_eq!(p.validate().is_ok(), ok, "{attempts} attempts");
    }
}

/// NATO F-03 (dialback as the s2s fallback): the profile carries the rule, but there is no
/// dialback to fall back to, so this test does not credit the row.
#[test]
fn a_nato_profile_forbidding_dialback_is_refused_with_f_03() {
    let mut p = nato();
    p.allow_dialback = false;
    assert_eq!(broken_rule(&p), Ok("F-03"));
}

#[test]
fn nato_n_15_nato_profile_accepting_version_less_streams_is_refused() {
    let mut p = nato();
    p.legacy_versions = true;
    assert_eq!(broken_rule(&p), Ok("N-15"));
}

// ---------------------------------------------------------------- any document

#[test]
fn tls_versions_and_suites_the_backend_lacks_are_refused() {
    let mut p = Profile::rfc6120();
    p.tls_versions.clear();
    assert_eq!(
        p.validate(),
        Err(ProfileError::NoTlsVersion(TlsPolicy::Required))
    );
    p.tls = TlsPolicy::Disabled;
    assert_eq!(p.validate(), Ok(()), "no TLS, no version needed");
    let mut p = Profile::rfc6120();
    p.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA];
    // (RFC 6120's mandatory-to-implement suite: rustls has no static-RSA CBC suite.)
    assert!(matches!(
        p.validate(),
        Err(ProfileError::UnknownCipherSuite(_))
    ));
    // TLS 1.2 allowed with TLS 1.3 suites only: TLS 1.2 could never be negotiated.
    let mut p = Profile::rfc6120();
    p.cipher_suites = vec![CipherSuite::TLS13_AES_128_GCM_SHA256];
    assert_eq!(p.validate(), Err(ProfileError::NoCipherSuiteFor("TLS 1.2")));
    let mut p = Profile::rfc6120();
    p.dscp = Some(64);
    assert_eq!(p.validate(), Err(ProfileError::Dscp(64)));
    p.dscp = Some(63);
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn every_checked_rule_of_a_preset_names_its_requirement_and_where_it_is_enforced() {
    for c in [
        Conformance::Rfc6120,
        Conformance::DodUcr2008,
        Conformance::NatoBcs,
    ] {
        let rules = Profile::preset(c).rules();
        assert!(rules.iter().any(|r| r.checked), "{c:?}");
        for r in rules {
            assert!(!r.id.is_empty() && !r.requirement.is_empty());
            for place in r.enforced.split("; ").filter(|s| !s.is_empty()) {
                let (path, item) = place.split_once("::").expect("path::item");
                let text = std::fs::read_to_string(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("..")
                        .join(path),
                )
                .unwrap_or_else(|e| panic!("{}: {path}: {e}", r.id));
                let name = item.rsplit("::").next().unwrap();
                assert!(
                    [
                        format!("fn {name}("),
                        format!("fn {name}<"),
                        format!("struct {name}")
                    ]
                    .iter()
                    .any(|needle| text.contains(needle.as_str())),
                    "{}: {place} does not define {name}",
                    r.id
                );
            }
        }
    }
}

// ---------------------------------------------------------------- helpers

const REVOKED: u64 = 3;

struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

struct Leaf {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl TestCa {
    fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params
            .distinguished_name
            .push(DnType::CommonName, "Profile Test CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa { cert, key }
    }

    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    fn issue(&self, names: &[&str], serial: u64) -> Leaf {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.serial_number = Some(SerialNumber::from(serial));
        params.is_ca = IsCa::ExplicitNoCa;
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Leaf {
            cert: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }

    /// A CRL revoking [`REVOKED`], current until 2100.
    fn crl(&self) -> CertificateRevocationListDer<'static> {
        let params = CertificateRevocationListParams {
            this_update: date_time_ymd(2020, 1, 1),
            next_update: date_time_ymd(2100, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: vec![RevokedCertParams {
                serial_number: SerialNumber::from(REVOKED),
                revocation_time: date_time_ymd(2020, 1, 1),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.cert, &self.key)
            .unwrap()
            .der()
            .clone()
    }

    /// The CA with its CRL: what the DoD profile demands.
    fn trust(&self) -> Trust {
        Trust::certificates(vec![self.der()]).with_crls([self.crl()])
    }
}

fn dod_server_config(
    leaf: &Leaf,
    client_certs: Option<&Trust>,
    kind: StreamKind,
) -> Arc<rustls::ServerConfig> {
    let config = server_config_builder(&dod(), client_certs, kind)
        .unwrap()
        .with_single_cert(vec![leaf.cert.clone()], leaf.key.clone_key())
        .unwrap();
    Arc::new(config)
}

/// Runs the handshake by moving records until neither side has anything to send.
fn handshake(client: &mut TlsLayer, server: &mut TlsLayer) -> Result<(), TlsError> {
    let mut plain = Vec::new();
    for _ in 0..20 {
        let mut c2s = Vec::new();
        client.take_ciphertext(&mut c2s);
        server.read_ciphertext(&c2s, &mut plain)?;
        let mut s2c = Vec::new();
        server.take_ciphertext(&mut s2c);
        client.read_ciphertext(&s2c, &mut plain)?;
        if c2s.is_empty() && s2c.is_empty() {
            break;
        }
    }
    if client.is_handshaking() || server.is_handshaking() {
        return Err(TlsError::Closed);
    }
    Ok(())
}

/// The cipher suite the client's session negotiated.
fn client_suite(client: &TlsLayer) -> CipherSuite {
    client
        .negotiated_cipher_suite()
        .expect("handshake complete")
}
