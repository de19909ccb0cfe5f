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

/// XEP-0198 against ejabberd's mod_stream_mgmt, both directions: alice's link (through a
/// proxy) goes dead with a message of hers in flight and bob's messages for her arriving at
/// ejabberd meanwhile; she resumes on a new connection: bob gets hers once, she gets his once,
/// and her session (full JID) is the same. Then a `Session` bot (carol) through the same
/// proxy survives two cuts without losing or duplicating a message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xep0198_resumption_against_ejabberd_in_both_directions() {
    let ejabberd = start("sm");
    let proxy =
        xmpp_interop::CutProxy::start(format!("127.0.0.1:{}", ejabberd.port).parse().unwrap())
            .unwrap();
    let run = async {
        let ca = ejabberd.ca();
        let trust = tls::client_trusting_pem(ca.to_str().unwrap()).unwrap();
        let mut cfg =
            ClientConfig::new(trust.clone()).with_server("127.0.0.1", proxy.addr().port());
        cfg.resource = Some("phone".into());
        let alice_jid = "alice@localhost".parse().unwrap();
        let mut alice = xmpp_tokio::connect(&alice_jid, "secret", &cfg)
            .await
            .unwrap();
        let mut bob = login("bob", "127.0.0.1", &ejabberd).await;
        let chat = |to: &str, body: &str| {
            xmpp_stream::xml::Element::builder("message", "jabber:client")
                .attr("to", to.to_owned())
                .attr("type", "chat")
                .child(
                    xmpp_stream::xml::Element::builder("body", "jabber:client")
                        .text(body.to_owned()),
                )
                .build()
        };
        let body_of = |el: &xmpp_stream::xml::Element| {
            (el.name() == "message")
                .then(|| {
                    el.child("body", "jabber:client")
                        .map(|b| b.text().to_string())
                })
                .flatten()
        };
        // Stream management is on: a message both ways before anything goes wrong.
        alice
            .handle
            .send(chat("bob@localhost/interop", "a1"))
            .await
            .unwrap();
        assert_eq!(
            bob.expect("a1", Duration::from_secs(20), body_of)
                .await
                .unwrap(),
            "a1"
        );
        bob.send(chat("alice@localhost/phone", "b1")).await.unwrap();
        let mut alice_got = Vec::new();
        while alice_got.is_empty() {
            if let xmpp_tokio::Event::Stanza(el) =
                alice.events.next().await.expect("alice's stream is open")
            {
                alice_got.extend(body_of(&el));
            }
        }
        // The link goes dead: alice's a2 and bob's b2, b3 are swallowed or held by ejabberd.
        proxy.blackhole();
        alice
            .handle
            .send(chat("bob@localhost/interop", "a2"))
            .await
            .unwrap();
        bob.send(chat("alice@localhost/phone", "b2")).await.unwrap();
        bob.send(chat("alice@localhost/phone", "b3")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(proxy.cut(), 1);
        let mut previous = None;
        while let Some(ev) = alice.events.next().await {
            match ev {
                xmpp_tokio::Event::Detached(s) => previous = Some(*s),
                xmpp_tokio::Event::Stanza(el) => alice_got.extend(body_of(&el)),
                _ => {}
            }
        }
        let previous = previous.expect("the session comes out of the closed stream");
        assert!(previous.is_resumable(), "ejabberd grants resumption");
        // a2 was never acknowledged (a1 may not be either: no `<r/>` was due yet; ejabberd's
        // `h` in `<resumed/>` says it was handled, so it is not sent twice).
        let unacked: Vec<_> = previous.unacked().filter_map(body_of).collect();
        assert_eq!(
            unacked.last().map(String::as_str),
            Some("a2"),
            "{unacked:?}"
        );
        let mut alice = xmpp_tokio::Client::resume(&alice_jid, "secret", &cfg, previous)
            .await
            .unwrap();
        assert!(alice.resumed, "ejabberd resumed the session");
        assert_eq!(alice.jid.as_str(), "alice@localhost/phone");
        // bob gets a2 once (alice sent it again); alice gets b2 and b3 once (ejabberd did).
        assert_eq!(
            bob.expect("a2", Duration::from_secs(20), body_of)
                .await
                .unwrap(),
            "a2"
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while alice_got.len() < 3 {
            match tokio::time::timeout_at(deadline, alice.events.next()).await {
                Ok(Some(xmpp_tokio::Event::Stanza(el))) => alice_got.extend(body_of(&el)),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        assert_eq!(alice_got, ["b1", "b2", "b3"]);
        // Nothing more arrives: no duplicate either way.
        bob.send(chat("alice@localhost/phone", "b4")).await.unwrap();
        alice
            .handle
            .send(chat("bob@localhost/interop", "a3"))
            .await
            .unwrap();
        let no_second_a2 = |el: &xmpp_stream::xml::Element| match body_of(el).as_deref() {
            Some("a2") => panic!("bob got a2 twice"),
            Some("a3") => Some(()),
            _ => None,
        };
        bob.expect("a3", Duration::from_secs(20), no_second_a2)
            .await
            .unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(20), alice.events.next()).await {
                Ok(Some(xmpp_tokio::Event::Stanza(el))) => {
                    if let Some(b) = body_of(&el) {
                        assert_eq!(b, "b4", "only b4 after the resumption");
                        break;
                    }
                }
                Ok(Some(_)) => {}
                other => panic!("b4 did not arrive: {other:?}"),
            }
        }
        let _ = alice.handle.close().await;

        // The same with the session API, as a bot uses it: carol's `Session` loses its link
        // twice while bob writes; each time it resumes (the same full JID, no resync) and
        // every message reaches the application once, in order.
        let mut carol_cfg = cfg.clone();
        carol_cfg.resource = Some("bot".into());
        let carol_jid = "carol@localhost".parse().unwrap();
        let quick = xmpp_im::session::SessionConfig {
            reconnect: Some(xmpp_im::session::Reconnect {
                backoff: xmpp_im::session::Backoff {
                    initial: Duration::from_millis(20),
                    max: Duration::from_millis(200),
                    ..xmpp_im::session::Backoff::default()
                },
                max_attempts: Some(50),
                ..xmpp_im::session::Reconnect::default()
            }),
            ..xmpp_im::session::SessionConfig::default()
        };
        let mut carol =
            xmpp_tokio::Session::connect_with_config(&carol_jid, "secret", &carol_cfg, quick)
                .await
                .unwrap();
        let carol_full = carol.jid.to_string();
        let (mut got, mut resumed, mut online) = (Vec::new(), 0, 0);
        for n in 0..30 {
            if n == 10 || n == 20 {
                proxy.cut();
            }
            bob.send(chat(&carol_full, &format!("c{n}"))).await.unwrap();
        }
        while got.len() < 30 {
            let event = tokio::time::timeout(Duration::from_secs(30), carol.events.recv())
                .await
                .unwrap_or_else(|_| panic!("carol is stuck at {got:?}"))
                .expect("carol's session runs");
            match event {
                xmpp_tokio::SessionEvent::Message(m) => got.extend(m.body().map(str::to_owned)),
                xmpp_tokio::SessionEvent::Reconnected {
                    jid, resumed: r, ..
                } => {
                    assert!(r, "ejabberd resumed carol's session");
                    assert_eq!(jid.to_string(), carol_full);
                    resumed += 1;
                }
                xmpp_tokio::SessionEvent::Online { .. } => online += 1,
                xmpp_tokio::SessionEvent::Disconnected(reason) => {
                    panic!("carol gave up: {reason:?}")
                }
                _ => {}
            }
        }
        let expected: Vec<String> = (0..30).map(|n| format!("c{n}")).collect();
        assert_eq!(got, expected, "each once, in order");
        assert!(resumed >= 1, "the cuts were noticed and resumed");
        assert!(
            online <= 1,
            "a resumed session does not synchronise again: {online}"
        );
        let _ = carol.handle.close().await;
        bob.close().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the resumptions with ejabberd finish within 180 s");
}
