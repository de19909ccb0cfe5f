//! Our blocking client and the `blocking-client` example against the servers people run:
//! Prosody 0.12 and ejabberd 23.01 (the Debian packages, installed by scripts/ci-deps and run
//! by scripts/interop/*.sh on loopback with throwaway config, certificate and accounts).
//! STARTTLS (required, certificate checked), SCRAM, bind, roster, presence and a message round
//! trip, over IPv4 and IPv6. ejabberd offers SCRAM-SHA-1-PLUS without advertising a binding
//! type (it binds tls-unique, which we cannot compute): our client must use SCRAM-SHA-1 there.
//! Fails (never skips) when a server is missing.

mod support;

use std::process::Stdio;
use std::time::Duration;

use xmpp_blocking::{Client, ClientConfig, Event, Trust};
use xmpp_interop::PeerServer;
use xmpp_jid::Jid;
use xmpp_stanza::{Message, MessageType, Presence};
use xmpp_stream::xml::Element;

const NS: &str = "jabber:client";

fn start(peer: &str, tag: &str) -> PeerServer {
    PeerServer::start(peer, tag, &["alice:secret", "bob:secret"])
}

fn config(server: &PeerServer, host: &str) -> ClientConfig {
    let pem = std::fs::read(server.ca()).unwrap();
    let mut config = ClientConfig::trusting(&Trust::from_pem(&pem).unwrap())
        .unwrap()
        .with_server(host, server.port);
    config.resource = Some("interop".into());
    config
}

fn next_stanza(client: &mut Client, what: &str, pick: impl Fn(&Element) -> bool) -> Element {
    loop {
        match client.recv_timeout(Duration::from_secs(30)).unwrap() {
            Some(Event::Stanza(el)) if pick(&el) => return el,
            Some(_) => {}
            None => panic!("no {what} from the server"),
        }
    }
}

#[test]
fn ucr_tcp_16_login_roster_presence_and_messages_through_prosody() {
    login_roster_presence_and_messages("prosody");
}

#[test]
fn ucr_tcp_16_login_roster_presence_and_messages_through_ejabberd() {
    login_roster_presence_and_messages("ejabberd");
}

fn login_roster_presence_and_messages(peer: &str) {
    let server = start(peer, "lib");
    let mut alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &config(&server, "127.0.0.1"),
    )
    .unwrap_or_else(|e| panic!("alice could not log into {peer} over IPv4: {e}"));
    let mut bob = Client::connect(
        &"bob@localhost".parse().unwrap(),
        "secret",
        &config(&server, "::1"),
    )
    .unwrap_or_else(|e| panic!("bob could not log into {peer} over IPv6: {e}"));
    assert_eq!(alice.jid().as_str(), "alice@localhost/interop");
    assert!(alice.driver_mut().connection().is_tls());

    // Roster.
    let mut iq = Element::new("iq", NS);
    iq.set_attr("type", "get");
    iq.set_attr("id", "roster1");
    iq.push_child(Element::new("query", "jabber:iq:roster"));
    alice.send(&iq).unwrap();
    let roster = next_stanza(&mut alice, "roster result", |e| {
        e.attr("id") == Some("roster1")
    });
    assert_eq!(roster.attr("type"), Some("result"));
    assert!(roster.has_child("query", "jabber:iq:roster"));

    // Presence: initial, then directed to bob (delivered without a subscription).
    alice.send_stanza(Presence::available()).unwrap();
    bob.send_stanza(Presence::available()).unwrap();
    let bob_full: Jid = Jid::new(bob.jid().as_str()).unwrap();
    alice
        .send_stanza(Presence::available().with_to(bob_full.clone()))
        .unwrap();
    let seen = next_stanza(&mut bob, "presence from alice", |e| {
        e.name() == "presence" && e.attr("from") == Some(alice.jid().as_str())
    });
    assert_eq!(seen.attr("type"), None);

    // Messages both ways.
    alice
        .send_stanza(Message::chat(bob_full, "hello bob"))
        .unwrap();
    let got = next_stanza(&mut bob, "message", |e| e.name() == "message");
    let got = Message::try_from(&got).unwrap();
    assert_eq!(got.body(), Some("hello bob"));
    assert_eq!(
        got.from.as_ref().map(|j| j.as_str()),
        Some(alice.jid().as_str())
    );
    bob.send_stanza(Message::chat(
        Jid::new(alice.jid().as_str()).unwrap(),
        "hello alice",
    ))
    .unwrap();
    let back = next_stanza(&mut alice, "message", |e| e.name() == "message");
    let back = Message::try_from(&back).unwrap();
    assert_eq!(back.kind, MessageType::Chat);
    assert_eq!(back.body(), Some("hello alice"));
    alice.close().unwrap();
    bob.close().unwrap();
}

#[test]
fn blocking_client_example_exchanges_messages_through_prosody() {
    example_exchanges_messages("prosody");
}

#[test]
fn blocking_client_example_exchanges_messages_through_ejabberd() {
    example_exchanges_messages("ejabberd");
}

fn example_exchanges_messages(peer: &str) {
    let server = start(peer, "example");
    let mut alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &config(&server, "127.0.0.1"),
    )
    .unwrap_or_else(|e| panic!("alice could not log into {peer}: {e}"));
    alice.send_stanza(Presence::available()).unwrap();
    let connect = format!("[::1]:{}", server.port);
    let child = support::example(
        "blocking-client",
        &[
            "--jid",
            "bob@localhost",
            "--password",
            "secret",
            "--connect",
            &connect,
            "--ca",
            server.ca().to_str().unwrap(),
            "--send",
            "alice@localhost",
            "ready",
            "--receive",
            "1",
            "--timeout",
            "60",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let ready = next_stanza(&mut alice, "the example's message", |e| {
        e.name() == "message"
    });
    let ready = Message::try_from(&ready).unwrap();
    assert_eq!(ready.body(), Some("ready"));
    let bob = ready.from.clone().expect("the server stamps from");
    assert!(bob.as_str().starts_with("bob@localhost/"), "{bob}");
    alice.send_stanza(Message::chat(bob, "hi bob")).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}: hi bob\n", alice.jid().as_str())
    );
    alice.close().unwrap();
}
