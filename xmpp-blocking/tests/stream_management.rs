//! XEP-0198 through the blocking adapter: bob's `Session` behind a proxy that cuts his link
//! while alice's messages arrive; each cut is followed by a resumption (the same full JID,
//! no new roster or presence) and every message reaches bob's application exactly once, in
//! order. The server is `ImServer` on its own threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use xmpp_blocking::session::{Backoff, Reconnect, Session, SessionConfig, SessionEvent};
use xmpp_blocking::xmpp_server::Config;
use xmpp_blocking::{ImServer, ServerConfig, Trust};
use xmpp_interop::CutProxy;
use xmpp_interop::scenarios::{self, Target};
use xmpp_jid::BareJid;
use xmpp_stanza::Message;
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::TestPki;

const TOTAL: usize = 300;

#[test]
fn xep0198_a_blocking_session_survives_cuts_without_losing_or_duplicating_a_message() {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let mut config = ServerConfig::new(
        Config::new([scenarios::DOMAIN]),
        Arc::new(Profile::rfc6120()),
        Some(pki.server_config()),
        scenarios::credentials(),
    );
    config.accounts = scenarios::accounts();
    let server = ImServer::bind("127.0.0.1:0", config)
        .unwrap()
        .bind_components("127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let target = Target::new(
        server.local_addr(),
        server.component_addrs()[0],
        &Trust::certificates(vec![pki.ca.clone()]),
    );
    let proxy = CutProxy::start(server.local_addr()).unwrap();
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
    let bob_jid: BareJid = "bob@localhost".parse().unwrap();
    let bob_cfg = target
        .client
        .clone()
        .with_server("127.0.0.1", proxy.addr().port());
    let mut bob =
        Session::connect_with_config(&bob_jid, scenarios::PASSWORD, &bob_cfg, quick).unwrap();
    let bob_full = bob.jid().clone();
    let mut alice = Session::connect(
        &"alice@localhost".parse().unwrap(),
        scenarios::PASSWORD,
        &target.client,
    )
    .unwrap();

    let deadline = Instant::now() + Duration::from_secs(180);
    let cut_at = [TOTAL / 4, TOTAL / 2, TOTAL * 3 / 4];
    let (mut got, mut sent, mut resumed, mut online_seen) = (Vec::new(), 0, 0, false);
    while got.len() < TOTAL {
        assert!(
            Instant::now() < deadline,
            "stuck after {} messages",
            got.len()
        );
        while sent < TOTAL && sent < got.len() + 30 {
            if cut_at.contains(&sent) {
                proxy.cut();
            }
            alice
                .send(Message::chat(bob_full.clone().into(), sent.to_string()))
                .unwrap();
            sent += 1;
        }
        match bob.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(SessionEvent::Message(m)) => {
                if let Some(n) = m.body().and_then(|b| b.parse::<usize>().ok()) {
                    got.push(n);
                }
            }
            Some(SessionEvent::Reconnected {
                jid, resumed: r, ..
            }) => {
                assert!(r, "the session was resumed, not bound anew");
                assert_eq!(jid, bob_full);
                resumed += 1;
            }
            // The login's own `Online` is the first and only one.
            Some(SessionEvent::Online { .. }) => {
                assert!(!online_seen, "a resumed session needs no resync");
                online_seen = true;
            }
            Some(SessionEvent::Disconnected(reason)) => panic!("bob gave up: {reason:?}"),
            Some(_) | None => {}
        }
    }
    assert_eq!(got, (0..TOTAL).collect::<Vec<_>>(), "each once, in order");
    assert_eq!(resumed, 3, "one resumption per cut");
    alice.close().unwrap();
    bob.close().unwrap();
}
