//! XEP-0198 end to end over TCP: our client and `serve_im`, both sides managing the stream,
//! through a proxy that cuts every connection at random points of a 10,000-message exchange.
//! After each cut both clients resume their sessions; every message arrives exactly once, in
//! order.

#[path = "../examples/common/tls.rs"]
mod tls;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use xmpp_interop::CutProxy;
use xmpp_interop::scenarios;
use xmpp_jid::BareJid;
use xmpp_stream::xml::Element;
use xmpp_tokio::{Client, ClientConfig, DriverError, Event, ImServer, ImServerConfig, SmSession};

const MESSAGES: usize = 10_000;
/// Messages the sender may be ahead of the receiver (the parked session's queue must hold
/// what arrives while the receiver is away).
const WINDOW: usize = 100;
const CUTS: usize = 12;

/// A deterministic generator for the cut points (the seed is printed on failure).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

fn chat(to: &str, n: usize) -> Element {
    Element::builder("message", "jabber:client")
        .attr("to", to.to_owned())
        .attr("type", "chat")
        .child(Element::builder("body", "jabber:client").text(n.to_string()))
        .build()
}

/// `serve_im` with the scenarios' accounts (stream management on, as by default), and the
/// TLS material its clients trust.
async fn serve() -> (ImServer, tls::TlsMaterial) {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let mut config = ImServerConfig::new(
        scenarios::core_config(),
        Some((
            material.server_config().unwrap(),
            Some(material.cert.clone()),
        )),
        scenarios::credentials(),
    );
    config.accounts = scenarios::accounts();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = xmpp_tokio::serve_im([listener], [], config).unwrap();
    (server, material)
}

/// Waits for the session of a stream that ended, and resumes it.
async fn resume_after_close(mut client: Client, jid: &BareJid, config: &ClientConfig) -> Client {
    loop {
        match client.events.next().await {
            Some(Event::Detached(s)) => return link(jid, config, Some(*s)).await,
            Some(_) => {}
            None => panic!("{jid}: the stream ended without a session"),
        }
    }
}

/// Connects (resuming `previous` if given); retries while the server is busy parking the old
/// stream (bounded).
async fn link(jid: &BareJid, config: &ClientConfig, previous: Option<SmSession>) -> Client {
    let mut last = None;
    for _ in 0..20 {
        let attempt = match previous.clone() {
            Some(p) => Client::resume(jid, scenarios::PASSWORD, config, p).await,
            None => Client::connect(jid, scenarios::PASSWORD, config).await,
        };
        match attempt {
            Ok(c) => {
                assert!(
                    previous.is_none() || c.resumed,
                    "{jid}: the session was resumed"
                );
                return c;
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{jid} could not reconnect: {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xep0198_ten_thousand_messages_through_a_cutting_proxy_arrive_exactly_once() {
    let (server, material) = serve().await;
    let proxy = Arc::new(CutProxy::start(server.client_addrs()[0]).unwrap());
    let trust = material.client_config().unwrap();
    let client_config = |resource: &str| {
        let mut c = ClientConfig::new(trust.clone()).with_server("127.0.0.1", proxy.addr().port());
        c.resource = Some(resource.into());
        c
    };
    let (alice_cfg, bob_cfg) = (client_config("send"), client_config("recv"));
    let alice: BareJid = "alice@localhost".parse().unwrap();
    let bob: BareJid = "bob@localhost".parse().unwrap();
    let received = Arc::new(AtomicUsize::new(0));

    // Alice starts once bob's resource is bound: a chat message to a full JID that is not
    // bound would be stored offline for the bare JID (RFC 6121 §8.5.3.2.1).
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let receiver = {
        let received = received.clone();
        tokio::spawn(async move {
            let mut got = Vec::with_capacity(MESSAGES);
            let mut client = link(&bob, &bob_cfg, None).await;
            let _ = bound_tx.send(());
            while got.len() < MESSAGES {
                match client.events.next().await {
                    Some(Event::Stanza(el)) if el.name() == "message" => {
                        let n: usize = el
                            .child("body", "jabber:client")
                            .map(|b| b.text().parse().unwrap())
                            .unwrap();
                        got.push(n);
                        received.store(got.len(), Ordering::SeqCst);
                    }
                    Some(Event::Detached(session)) => {
                        // The stream is gone (`Closed` follows): resume on a new one.
                        client = link(&bob, &bob_cfg, Some(*session)).await;
                    }
                    Some(Event::Closed(reason)) => panic!("bob closed unmanaged: {reason:?}"),
                    Some(_) => {}
                    None => panic!("bob's events ended without a session"),
                }
            }
            let _ = client.handle.close().await;
            got
        })
    };

    let sender = {
        let proxy = proxy.clone();
        let received = received.clone();
        tokio::spawn(async move {
            let mut rng = Lcg(0x5eed_0198);
            let mut cuts: Vec<usize> = (0..CUTS).map(|_| rng.below(MESSAGES)).collect();
            cuts.sort_unstable();
            bound_rx.await.expect("bob is bound");
            let mut client = link(&alice, &alice_cfg, None).await;
            let mut next = 0;
            while received.load(Ordering::SeqCst) < MESSAGES {
                if cuts.first() == Some(&next) {
                    cuts.remove(0);
                    proxy.cut();
                }
                let may_send = next < MESSAGES && next < received.load(Ordering::SeqCst) + WINDOW;
                if may_send {
                    match client.handle.send(chat("bob@localhost/recv", next)).await {
                        Ok(()) => next += 1,
                        // Not handed to the machine: sent again on the new stream.
                        Err(DriverError::Closed) => {
                            client = resume_after_close(client, &alice, &alice_cfg).await;
                        }
                        Err(e) => panic!("send: {e}"),
                    }
                    continue;
                }
                // Waiting for the receiver: notice a cut meanwhile (what alice sent and the
                // server did not acknowledge waits in her session).
                tokio::select! {
                    ev = client.events.next() => match ev {
                        Some(Event::Detached(s)) => client = link(&alice, &alice_cfg, Some(*s)).await,
                        Some(_) => {}
                        None => panic!("alice's events ended without a session"),
                    },
                    () = tokio::time::sleep(Duration::from_millis(2)) => {}
                }
            }
            client
        })
    };

    let run = async {
        let got = receiver.await.unwrap();
        let alice_client = sender.await.unwrap();
        let _ = alice_client.handle.close().await;
        got
    };
    let got = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the exchange finishes within 300 s");
    let expected: Vec<usize> = (0..MESSAGES).collect();
    let mut seen = vec![0u32; MESSAGES];
    for &n in &got {
        seen[n] += 1;
    }
    let duplicated: Vec<usize> = (0..MESSAGES).filter(|&n| seen[n] > 1).collect();
    let missing: Vec<usize> = (0..MESSAGES).filter(|&n| seen[n] == 0).collect();
    assert!(
        duplicated.is_empty() && missing.is_empty(),
        "duplicated {duplicated:?}, missing {missing:?}"
    );
    if got != expected {
        let first = got
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let around = &got[first.saturating_sub(3)..(first + 8).min(got.len())];
        panic!("out of order from index {first}: {around:?}");
    }
    assert!(proxy.cuts() >= CUTS, "cuts: {}", proxy.cuts());
    server.shutdown().await;
}

/// The session API, as a bot uses it: bob's `Session` (reconnecting by default) sits behind a
/// proxy that cuts his link several times while alice's messages stream in; each time his
/// session is resumed (the same full JID, no new roster or presence) and every message
/// reaches the application exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xep0198_a_session_survives_cuts_without_losing_or_duplicating_a_message() {
    use xmpp_im::session::{Backoff, Reconnect, SessionConfig};
    use xmpp_tokio::{Session, SessionEvent};
    const TOTAL: usize = 600;
    let (server, material) = serve().await;
    let proxy = CutProxy::start(server.client_addrs()[0]).unwrap();
    let trust = material.client_config().unwrap();
    let quick = SessionConfig {
        reconnect: Some(Reconnect {
            backoff: Backoff {
                initial: Duration::from_millis(20),
                max: Duration::from_millis(200),
                ..Backoff::default()
            },
            max_attempts: Some(50),
            ..Reconnect::default()
        }),
        ..SessionConfig::default()
    };
    let bob_cfg = ClientConfig::new(trust.clone()).with_server("127.0.0.1", proxy.addr().port());
    let alice_cfg =
        ClientConfig::new(trust).with_server("127.0.0.1", server.client_addrs()[0].port());
    let bob_jid: BareJid = "bob@localhost".parse().unwrap();
    let mut bob = Session::connect_with_config(&bob_jid, scenarios::PASSWORD, &bob_cfg, quick)
        .await
        .unwrap();
    let alice = Session::connect(
        &"alice@localhost".parse().unwrap(),
        scenarios::PASSWORD,
        &alice_cfg,
    )
    .await
    .unwrap();
    let bob_full = bob.jid.clone();

    let run = async {
        let mut got: Vec<usize> = Vec::new();
        let mut resumed = 0;
        let mut sent = 0;
        // The login's own `Online` is the first (and must be the only) one.
        let mut online_seen = false;
        let cut_at = [TOTAL / 5, TOTAL / 2, TOTAL * 4 / 5];
        while got.len() < TOTAL {
            // Alice stays at most 50 ahead; the proxy cuts bob at fixed points.
            while sent < TOTAL && sent < got.len() + 50 {
                if cut_at.contains(&sent) {
                    proxy.cut();
                }
                let message = xmpp_tokio::Message::chat(bob_full.clone().into(), sent.to_string());
                alice.handle.send(message).await.unwrap();
                sent += 1;
            }
            match tokio::time::timeout(Duration::from_secs(30), bob.events.recv()).await {
                Ok(Some(SessionEvent::Message(m))) => {
                    if let Some(n) = m.body().and_then(|b| b.parse().ok()) {
                        got.push(n);
                    }
                }
                Ok(Some(SessionEvent::Reconnected {
                    jid, resumed: r, ..
                })) => {
                    assert!(r, "the session was resumed, not bound anew");
                    assert_eq!(jid, bob_full, "the same full JID");
                    resumed += 1;
                }
                Ok(Some(SessionEvent::Online { .. })) if online_seen => {
                    panic!("a resumed session needs no resync")
                }
                Ok(Some(SessionEvent::Online { .. })) => online_seen = true,
                Ok(Some(SessionEvent::Disconnected(reason))) => panic!("bob gave up: {reason:?}"),
                Ok(Some(_)) => {}
                Ok(None) => panic!("bob's session ended"),
                Err(_) => panic!("stuck after {} messages ({resumed} resumptions)", got.len()),
            }
        }
        (got, resumed)
    };
    let (got, resumed) = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("the exchange finishes within 240 s");
    assert_eq!(got, (0..TOTAL).collect::<Vec<_>>(), "each once, in order");
    assert_eq!(resumed, 3, "one resumption per cut");
    let _ = bob.handle.close().await;
    let _ = alice.handle.close().await;
    server.shutdown().await;
}

/// `Client::connect_with` takes any SASL credentials (here a password, as `connect` makes
/// them), and a client enables stream management by default: closing its stream hands the
/// session out, resumable, with nothing unacknowledged after a clean close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_credentials_and_stream_management_on_by_default() {
    let (server, material) = serve().await;
    let cfg = ClientConfig::new(material.client_config().unwrap())
        .with_server("127.0.0.1", server.client_addrs()[0].port());
    assert!(cfg.stream_management.is_some());
    let credentials = xmpp_sasl::Credentials::password("carol", scenarios::PASSWORD).unwrap();
    let mut carol = Client::connect_with(&"carol@localhost".parse().unwrap(), credentials, &cfg)
        .await
        .unwrap();
    assert_eq!(carol.jid.to_bare().as_str(), "carol@localhost");
    assert!(!carol.resumed);
    carol.handle.close().await.unwrap();
    let mut detached = None;
    while let Some(event) = carol.events.next().await {
        if let Event::Detached(s) = event {
            detached = Some(*s);
        }
    }
    let session = detached.expect("the managed session comes out of the closed stream");
    assert!(session.is_resumable());
    assert_eq!(session.unacked().len(), 0);
    server.shutdown().await;
}
