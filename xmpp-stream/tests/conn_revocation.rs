//! Certificate validation with a test CA that issues a good, a revoked and an expired
//! certificate (and a CRL), both directions: our client checking the server's certificate
//! (UCR-TLS-21), and our server checking a client certificate offered for SASL EXTERNAL
//! (UCR-TLS-22/23). Each outcome is a typed [`TlsFailure`] whose message says what to do.

mod conn_support;

use std::sync::Arc;

use conn_support::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa,
    KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
    date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use xmpp_stream::connection::{
    CloseReason, Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::tls_failure::{CertificateOf, CertificateProblem, TlsFailure};
use xmpp_stream::trust::Trust;

const GOOD: u64 = 2;
const REVOKED: u64 = 3;
const EXPIRED: u64 = 4;

struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

struct Leaf {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa { cert, key }
    }

    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// A leaf for `names` with this serial; `expired` puts its validity in 2020.
    fn issue(&self, names: &[&str], serial: u64, expired: bool) -> Leaf {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.serial_number = Some(SerialNumber::from(serial));
        params.is_ca = IsCa::ExplicitNoCa;
        params.distinguished_name.push(DnType::CommonName, names[0]);
        if expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2020, 6, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Leaf {
            cert: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }

    /// A CRL revoking `REVOKED`, current until 2100.
    fn crl(&self) -> rustls::pki_types::CertificateRevocationListDer<'static> {
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
}

fn server_config(
    leaf: &Leaf,
    client_certs: Option<&Trust>,
) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
    let builder = rustls::ServerConfig::builder_with_provider(xmpp_stream::trust::provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_certs {
        Some(trust) => builder.with_client_cert_verifier(trust.client_verifier().unwrap()),
        None => builder.with_no_client_auth(),
    };
    let cfg = builder
        .with_single_cert(vec![leaf.cert.clone()], leaf.key.clone_key())
        .unwrap();
    (Arc::new(cfg), Some(leaf.cert.clone()))
}

fn client_with(tls: Arc<rustls::ClientConfig>) -> Connection {
    let cfg = InitiatorConfig {
        kind: StreamKind::Client,
        to: "example.com".into(),
        from: Some("juliet@example.com".into()),
        tls: Some(tls),
        direct_tls: false,
        auth: InitiatorAuth::Sasl(
            xmpp_sasl::Credentials::password("juliet", "r0m30myr0m30").unwrap(),
        ),
        resource: Some("balcony".into()),
    };
    Connection::initiator(cfg, Arc::new(Profile::rfc6120()), rng(1), t0()).unwrap()
}

fn server_with(tls: (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)) -> Connection {
    let cfg = ReceiverConfig {
        kind: StreamKind::Client,
        domains: vec!["example.com".into()],
        tls: Some(tls),
        direct_tls: false,
        auth: ReceiverAuth::Sasl(store()),
    };
    Connection::receiver(cfg, Arc::new(Profile::rfc6120()), rng(2), t0()).unwrap()
}

/// Runs the pair; returns how each side closed (None: still open, i.e. logged in).
fn run(mut c: Connection, mut s: Connection) -> (Option<CloseReason>, Option<CloseReason>) {
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    let closed = |events: &[Event]| {
        events.iter().find_map(|e| match e {
            Event::Closed(r) => Some(r.clone()),
            _ => None,
        })
    };
    if closed(&t.client_events).is_none() {
        assert!(c.is_established(), "client neither closed nor established");
    }
    (closed(&t.client_events), closed(&t.server_events))
}

fn peer_problem(reason: Option<CloseReason>) -> CertificateProblem {
    match reason {
        Some(CloseReason::TlsFailed(TlsFailure::Certificate {
            problem,
            of: CertificateOf::Peer,
            ..
        })) => problem,
        other => panic!("expected a refused peer certificate, got {other:?}"),
    }
}

fn client_trust(ca: &TestCa) -> Trust {
    Trust::certificates(vec![ca.der()]).with_crls([ca.crl()])
}

#[test]
fn ucr_tls_21_a_good_server_certificate_is_accepted_with_crl_checking() {
    let ca = TestCa::new("Test CA");
    let good = ca.issue(&["example.com"], GOOD, false);
    let (c, s) = run(
        client_with(client_trust(&ca).client_config().unwrap()),
        server_with(server_config(&good, None)),
    );
    assert_eq!((c, s), (None, None));
}

#[test]
fn ucr_tls_21_a_revoked_server_certificate_is_refused() {
    let ca = TestCa::new("Test CA");
    let revoked = ca.issue(&["example.com"], REVOKED, false);
    let (c, s) = run(
        client_with(client_trust(&ca).client_config().unwrap()),
        server_with(server_config(&revoked, None)),
    );
    let problem = peer_problem(c);
    assert_eq!(problem, CertificateProblem::Revoked);
    assert!(problem.to_string().contains("revoked"));
    // The server hears about it as an alert on its own certificate.
    assert!(
        matches!(
            s,
            Some(CloseReason::TlsFailed(TlsFailure::Certificate {
                problem: CertificateProblem::Revoked,
                of: CertificateOf::Ours,
                ..
            }))
        ),
        "{s:?}"
    );
    // Without the CRL the same certificate passes: the refusal above is the CRL's doing.
    let (c, _) = run(
        client_with(Trust::certificates(vec![ca.der()]).client_config().unwrap()),
        server_with(server_config(&revoked, None)),
    );
    assert_eq!(c, None);
}

#[test]
fn ucr_tls_21_an_expired_server_certificate_is_refused() {
    let ca = TestCa::new("Test CA");
    let expired = ca.issue(&["example.com"], EXPIRED, true);
    let (c, _) = run(
        client_with(client_trust(&ca).client_config().unwrap()),
        server_with(server_config(&expired, None)),
    );
    let problem = peer_problem(c);
    assert!(
        matches!(problem, CertificateProblem::Expired { .. }),
        "{problem:?}"
    );
    assert!(problem.to_string().contains("renew"), "{problem}");
}

#[test]
fn ucr_tls_21_a_certificate_of_another_ca_is_refused_as_unknown_issuer() {
    let ca = TestCa::new("Test CA");
    let other = TestCa::new("Other CA");
    let foreign = other.issue(&["example.com"], GOOD, false);
    let (c, _) = run(
        client_with(client_trust(&ca).client_config().unwrap()),
        server_with(server_config(&foreign, None)),
    );
    let problem = peer_problem(c);
    assert_eq!(problem, CertificateProblem::UnknownIssuer);
    assert!(problem.to_string().contains("--ca"), "{problem}");
}

/// A certificate made with `openssl req -x509` and no basicConstraints override is a CA
/// certificate; trusted as its own root and presented by the server, rustls refuses it. The
/// message says why and how to make a usable one.
#[test]
fn a_ca_certificate_presented_as_the_server_certificate_is_explained() {
    let mut params = CertificateParams::new(vec!["example.com".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let leaf = Leaf {
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    };
    let (c, _) = run(
        client_with(
            Trust::certificates(vec![leaf.cert.clone()])
                .client_config()
                .unwrap(),
        ),
        server_with(server_config(&leaf, None)),
    );
    let problem = peer_problem(c.clone());
    assert_eq!(problem, CertificateProblem::CaUsedAsEndEntity);
    let message = c.map(|r| match r {
        CloseReason::TlsFailed(f) => f.to_string(),
        _ => unreachable!(),
    });
    let message = message.unwrap();
    assert!(
        message.contains("CA certificate") && message.contains("CA:FALSE"),
        "{message}"
    );
}

#[test]
fn a_certificate_for_other_names_lists_them() {
    let ca = TestCa::new("Test CA");
    let wrong = ca.issue(&["chat.example.org", "example.org"], GOOD, false);
    let (c, _) = run(
        client_with(client_trust(&ca).client_config().unwrap()),
        server_with(server_config(&wrong, None)),
    );
    match peer_problem(c) {
        CertificateProblem::WrongName {
            expected,
            presented,
        } => {
            assert_eq!(expected, "example.com");
            assert!(
                presented.iter().any(|p| p.contains("chat.example.org")),
                "{presented:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A CRL is needed for every issuer once revocation checking is on: a certificate whose status
/// cannot be known is refused; relaxing that is explicit.
#[test]
fn ucr_tls_21_a_server_certificate_of_unknown_revocation_status_is_refused() {
    let ca = TestCa::new("Test CA");
    let other = TestCa::new("Other CA");
    let good = ca.issue(&["example.com"], GOOD, false);
    // CRLs of another CA only: the server certificate's status is unknown.
    let strict = Trust::certificates(vec![ca.der()]).with_crls([other.crl()]);
    let (c, _) = run(
        client_with(strict.clone().client_config().unwrap()),
        server_with(server_config(&good, None)),
    );
    assert_eq!(peer_problem(c), CertificateProblem::UnknownRevocationStatus);
    let (c, _) = run(
        client_with(
            strict
                .allow_unknown_revocation_status()
                .client_config()
                .unwrap(),
        ),
        server_with(server_config(&good, None)),
    );
    assert_eq!(c, None);
}

fn client_with_certificate(ca: &TestCa, leaf: &Leaf) -> Connection {
    let cfg = rustls::ClientConfig::builder_with_provider(xmpp_stream::trust::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates({
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der()).unwrap();
            roots
        })
        .with_client_auth_cert(vec![leaf.cert.clone()], leaf.key.clone_key())
        .unwrap();
    client_with(Arc::new(cfg))
}

/// Server side: a revoked client certificate is refused during the handshake (before SASL
/// EXTERNAL could use it); a good one and no certificate at all are admitted.
#[test]
fn the_server_refuses_a_revoked_or_expired_client_certificate_for_external() {
    let ca = TestCa::new("Test CA");
    let server_leaf = ca.issue(&["example.com"], 10, false);
    let client_certs = Trust::certificates(vec![ca.der()]).with_crls([ca.crl()]);
    let server = || server_with(server_config(&server_leaf, Some(&client_certs)));

    let good = ca.issue(&["juliet.example.com"], GOOD, false);
    let (c, s) = run(client_with_certificate(&ca, &good), server());
    assert_eq!((c, s), (None, None), "a good client certificate");

    let (c, s) = run(
        client_with(Trust::certificates(vec![ca.der()]).client_config().unwrap()),
        server(),
    );
    assert_eq!(
        (c, s),
        (None, None),
        "no client certificate: SCRAM as usual"
    );

    let revoked = ca.issue(&["juliet.example.com"], REVOKED, false);
    let (c, s) = run(client_with_certificate(&ca, &revoked), server());
    assert_eq!(peer_problem(s), CertificateProblem::Revoked);
    assert!(
        matches!(
            c,
            Some(CloseReason::TlsFailed(TlsFailure::Certificate {
                of: CertificateOf::Ours,
                ..
            }))
        ),
        "{c:?}"
    );

    let expired = ca.issue(&["juliet.example.com"], EXPIRED, true);
    let (_, s) = run(client_with_certificate(&ca, &expired), server());
    assert!(matches!(
        peer_problem(s),
        CertificateProblem::Expired { .. }
    ));
}
