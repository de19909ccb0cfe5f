//! Every way a login fails ends in its own typed `ConnectError`.

#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/setup.rs"]
mod setup;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::time::Duration;

use xmpp_stream::tls_failure::{CertificateOf, CertificateProblem, TlsFailure};
use xmpp_tokio::{ClientConfig, ConnectError, LoginError, connect};

async fn server() -> (setup::Reference, tls::TlsMaterial) {
    let material = tls::TlsMaterial::generate("localhost").unwrap();
    let users = [("alice".to_owned(), "secret".to_owned())];
    let r = setup::Reference::start(
        &["127.0.0.1:0".parse().unwrap()],
        "localhost",
        &users,
        &material,
    )
    .await
    .unwrap();
    (r, material)
}

fn config(r: &setup::Reference, tls: std::sync::Arc<rustls::ClientConfig>) -> ClientConfig {
    let addr = r.addrs()[0];
    ClientConfig::new(tls).with_server(addr.ip().to_string(), addr.port())
}

/// UCR-SASL-29: a wrong password is reported with the SASL condition.
#[tokio::test]
async fn ucr_sasl_29_wrong_password_is_a_sasl_error_with_its_condition() {
    let (r, m) = server().await;
    let err = connect(
        &"alice@localhost".parse().unwrap(),
        "wrong",
        &config(&r, m.client_config().unwrap()),
    )
    .await
    .unwrap_err();
    match err {
        ConnectError::Login(LoginError::Auth { condition, .. }) => {
            assert_eq!(condition, xmpp_sasl::SaslCondition::NotAuthorized)
        }
        other => panic!("unexpected {other:?}"),
    }
    r.shutdown().await;
}

/// UCR-TLS-21: an untrusted certificate names the certificate problem.
#[tokio::test]
async fn ucr_tls_21_untrusted_certificate_is_a_tls_error_naming_the_problem() {
    let (r, _m) = server().await;
    let other = tls::TlsMaterial::generate("localhost").unwrap();
    let err = connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &config(&r, other.client_config().unwrap()),
    )
    .await
    .unwrap_err();
    match err {
        ConnectError::Login(LoginError::Tls(ref failure)) => {
            assert!(
                matches!(
                    failure,
                    TlsFailure::Certificate {
                        // Both certificates are self-signed with the same issuer name: webpki
                        // finds the trusted one and its signature check fails.
                        problem: CertificateProblem::UnknownIssuer
                            | CertificateProblem::BadSignature,
                        of: CertificateOf::Peer,
                        ..
                    }
                ),
                "{failure:?}"
            );
            // The message says what to do, and the rustls error is reachable as the source.
            assert!(err.to_string().contains("--ca"), "{err}");
            // ConnectError -> LoginError -> TlsFailure -> rustls::Error.
            let chain: Vec<&dyn std::error::Error> =
                std::iter::successors(std::error::Error::source(&err), |e| e.source()).collect();
            assert!(
                chain
                    .iter()
                    .any(|s| s.downcast_ref::<rustls::Error>().is_some()),
                "{chain:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    r.shutdown().await;
}

#[tokio::test]
async fn ucr_tcp_16_explicit_host_port_refused_is_a_tcp_error_with_the_address() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let m = tls::TlsMaterial::generate("localhost").unwrap();
    let cfg = ClientConfig::new(m.client_config().unwrap()).with_server("127.0.0.1", closed.port());
    match connect(&"alice@localhost".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap_err()
    {
        ConnectError::Tcp { addr, .. } => assert_eq!(addr, Some(closed)),
        other => panic!("unexpected {other:?}"),
    }
}

/// A server that accepts TCP but never speaks: the login times out.
#[tokio::test]
async fn silent_server_is_a_timeout() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let s = l.accept().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    });
    let m = tls::TlsMaterial::generate("localhost").unwrap();
    let mut cfg = ClientConfig::new(m.client_config().unwrap()).with_server("127.0.0.1", port);
    cfg.login_timeout = Duration::from_millis(300);
    match connect(&"alice@localhost".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap_err()
    {
        ConnectError::Timeout(_, what) => assert_eq!(what, "logging in"),
        other => panic!("unexpected {other:?}"),
    }
    hold.abort();
}

/// The server's domain is checked: a stream to an unknown host ends with `host-unknown`.
#[tokio::test]
async fn unknown_domain_is_a_stream_error() {
    let (r, m) = server().await;
    let err = connect(
        &"alice@elsewhere.example".parse().unwrap(),
        "secret",
        &config(&r, m.client_config().unwrap()),
    )
    .await
    .unwrap_err();
    match err {
        ConnectError::Login(LoginError::Stream { error, by_peer }) => {
            assert_eq!(
                error.condition(),
                xmpp_stream::stream_error::StreamCondition::HostUnknown
            );
            assert!(by_peer);
        }
        other => panic!("unexpected {other:?}"),
    }
    r.shutdown().await;
}

/// XEP-0368: a Direct TLS listener and a client told to use Direct TLS on the override.
#[tokio::test]
async fn direct_tls_listener_and_client_log_in() {
    let m = tls::TlsMaterial::generate("localhost").unwrap();
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
    store
        .add_user("alice", "secret", 4096, &mut rand_core::OsRng)
        .unwrap();
    let mut config = xmpp_tokio::ServerConfig::new(
        vec!["localhost".into()],
        Some((m.server_config().unwrap(), Some(m.cert.clone()))),
        std::sync::Arc::new(store),
    );
    config.direct_tls = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = xmpp_tokio::serve(listener, config, |mut incoming| {
        tokio::spawn(async move {
            while let Some(ev) = incoming.events.next().await {
                if let xmpp_tokio::Event::BindRequest { .. } = ev {
                    let d = xmpp_stream::bind::BindDecision::Accept("d".into());
                    let _ = incoming.handle.bind(d).await;
                }
            }
        });
    })
    .unwrap();
    let mut cfg = ClientConfig::new(m.client_config().unwrap())
        .with_server("127.0.0.1", server.local_addr().port());
    cfg.direct_tls = true;
    let c = connect(&"alice@localhost".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap();
    assert!(c.tls);
    assert_eq!(c.jid.as_str(), "alice@localhost/d");
    // A STARTTLS client on the Direct TLS port does not get in.
    let mut plain = ClientConfig::new(m.client_config().unwrap())
        .with_server("127.0.0.1", server.local_addr().port());
    plain.login_timeout = Duration::from_secs(5);
    assert!(
        connect(&"alice@localhost".parse().unwrap(), "secret", &plain)
            .await
            .is_err()
    );
    c.handle.close().await.unwrap();
    server.shutdown().await;
}
