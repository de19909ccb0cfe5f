//! Our tokio client and the `client` example against ejabberd 23.01 (the Debian package,
//! installed by scripts/ci-deps and run by scripts/interop/ejabberd.sh on loopback with
//! throwaway config, certificate and accounts). STARTTLS is required and the certificate is
//! checked.
//!
//! ejabberd 23.01 offers `SCRAM-SHA-1-PLUS` over TLS 1.3 without saying which channel binding it
//! computes (no XEP-0440), and it binds `tls-unique`, which rustls cannot export: a client that
//! guesses `tls-exporter` is refused ("Invalid channel binding"). Ours uses SCRAM-SHA-1 with the
//! gs2 flag `n` there. Fails (never skips) when ejabberd is missing.

mod support;

#[path = "../examples/common/exchange.rs"]
mod exchange;
#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/peer.rs"]
mod peer;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::example;
use xmpp_interop::PeerServer;
use xmpp_tokio::ClientConfig;

fn start(tag: &str) -> PeerServer {
    PeerServer::start(
        "ejabberd",
        tag,
        &["alice:secret", "bob:secret", "carol:secret"],
    )
}

async fn login(name: &str, host: &str, server: &PeerServer) -> peer::Peer {
    let ca = server.ca();
    let mut cfg = ClientConfig::new(tls::client_trusting_pem(ca.to_str().unwrap()).unwrap())
        .with_server(host, server.port);
    cfg.resource = Some("interop".into());
    let client = xmpp_tokio::connect(
        &format!("{name}@localhost").parse().unwrap(),
        "secret",
        &cfg,
    )
    .await
    .unwrap_or_else(|e| panic!("{name} could not log into ejabberd via {host}: {e}"));
    assert!(client.tls, "{name}: the stream runs over TLS (STARTTLS)");
    // -PLUS is offered but no binding type is advertised: plain SCRAM, never a guess.
    assert_eq!(
        client.mechanism,
        xmpp_tokio::AuthMethod::Sasl(xmpp_sasl::Mechanism::ScramSha1),
        "{name}"
    );
    assert_eq!(client.jid.as_str(), format!("{name}@localhost/interop"));
    peer::Peer::new(name, client)
}

/// Login (IPv4 and IPv6), roster, subscriptions, presence and messages through ejabberd.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_gen_12_our_clients_talk_through_ejabberd_over_ipv4_and_ipv6() {
    let ejabberd = start("exchange");
    let run = async {
        let mut alice = login("alice", "127.0.0.1", &ejabberd).await;
        let mut bob = login("bob", "::1", &ejabberd).await;
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

        // A wrong password is a typed SASL error.
        let ca = ejabberd.ca();
        let cfg = ClientConfig::new(tls::client_trusting_pem(ca.to_str().unwrap()).unwrap())
            .with_server("127.0.0.1", ejabberd.port);
        match xmpp_tokio::connect(&"alice@localhost".parse().unwrap(), "wrong", &cfg).await {
            Err(xmpp_tokio::ConnectError::Login(xmpp_tokio::LoginError::Auth {
                condition,
                ..
            })) => assert_eq!(condition, xmpp_sasl::SaslCondition::NotAuthorized),
            other => panic!("unexpected {other:?}"),
        }
    };
    tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("the exchange with ejabberd finishes within 90 s");
}

/// The `client` example, as a user runs it, logs in to ejabberd and delivers a message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_example_logs_in_to_ejabberd_and_sends() {
    let ejabberd = start("example");
    let mut carol = login("carol", "127.0.0.1", &ejabberd).await;
    carol
        .send(xmpp_stream::xml::Element::new("presence", "jabber:client"))
        .await
        .unwrap();
    let client = example("client");
    let connect = format!("127.0.0.1:{}", ejabberd.port);
    let ca = ejabberd.ca();
    let mut child = Command::new(client)
        .args(["--jid", "alice@localhost", "--password", "secret"])
        .args(["--connect", &connect, "--ca", ca.to_str().unwrap()])
        .args(["--send", "carol@localhost", "hello from the example"])
        .args(["--timeout", "60"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the client example did not finish within 90 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let out = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "client example failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = carol
        .expect("the example's message", Duration::from_secs(30), |el| {
            (el.name() == "message")
                .then(|| {
                    el.child("body", "jabber:client")
                        .map(|b| b.text().to_string())
                })
                .flatten()
        })
        .await
        .unwrap();
    assert_eq!(body, "hello from the example");
    carol.close().await.unwrap();
}
