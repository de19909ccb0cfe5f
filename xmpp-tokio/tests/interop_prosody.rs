//! Our client against Prosody (the Debian package, installed by scripts/ci-deps and run by
//! scripts/interop/prosody.sh on loopback with throwaway config, certificate and accounts):
//! STARTTLS, SCRAM, bind, roster, subscriptions, presence and a message round trip between
//! two of our clients, one over IPv4 and one over IPv6. Fails (never skips) when Prosody is
//! missing.

#[path = "../examples/common/exchange.rs"]
mod exchange;
#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/peer.rs"]
mod peer;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::time::Duration;

use xmpp_interop::PeerServer;
use xmpp_tokio::ClientConfig;

async fn login(name: &str, host: &str, port: u16, ca: &str) -> peer::Peer {
    let mut cfg = ClientConfig::new(tls::client_trusting_pem(ca).unwrap()).with_server(host, port);
    cfg.resource = Some("interop".into());
    let client = xmpp_tokio::connect(
        &format!("{name}@localhost").parse().unwrap(),
        "secret",
        &cfg,
    )
    .await
    .unwrap_or_else(|e| panic!("{name} could not log into Prosody via {host}: {e}"));
    assert!(client.tls, "{name}: the stream runs over TLS (STARTTLS)");
    assert!(
        client.mechanism.name().starts_with("SCRAM-"),
        "{name}: {}",
        client.mechanism
    );
    assert_eq!(client.jid.as_str(), format!("{name}@localhost/interop"));
    peer::Peer::new(name, client)
}

/// UCR-GEN-12 against Prosody: our client through STARTTLS, SCRAM, bind, roster, presence
/// subscriptions and messages, on IPv4 and IPv6 loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_gen_12_our_clients_talk_through_prosody_over_ipv4_and_ipv6() {
    let prosody = PeerServer::start("prosody", "exchange", &["alice:secret", "bob:secret"]);
    let ca = prosody.ca();
    let ca = ca.to_str().unwrap();
    let run = async {
        let mut alice = login("alice", "127.0.0.1", prosody.port, ca).await;
        let mut bob = login("bob", "::1", prosody.port, ca).await;
        let got = exchange::run(&mut alice, &mut bob).await.unwrap();
        assert_eq!(
            got,
            [
                "alice@localhost/interop: ping from a",
                "bob@localhost/interop: pong from b"
            ]
        );
        alice.close().await.unwrap();
        bob.close().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("the exchange with Prosody finishes within 90 s");
}

/// A wrong password against Prosody is a typed SASL error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_sasl_29_prosody_refuses_a_wrong_password_with_not_authorized() {
    let prosody = PeerServer::start("prosody", "password", &["alice:secret", "bob:secret"]);
    let ca = prosody.ca();
    let cfg = ClientConfig::new(tls::client_trusting_pem(ca.to_str().unwrap()).unwrap())
        .with_server("127.0.0.1", prosody.port);
    let err = xmpp_tokio::connect(&"alice@localhost".parse().unwrap(), "wrong", &cfg)
        .await
        .unwrap_err();
    match err {
        xmpp_tokio::ConnectError::Login(xmpp_tokio::LoginError::Auth { condition, .. }) => {
            assert_eq!(condition, xmpp_sasl::SaslCondition::NotAuthorized)
        }
        other => panic!("unexpected {other:?}"),
    }
}
