//! [`Connection::release_buffers`] changes nothing observable: a pair of machines exchanges
//! the same bytes and reports the same events whether or not both release their buffers
//! before and after every step (plaintext, STARTTLS, Direct TLS), and a stanza split across a
//! release arrives whole.

use std::time::Instant;

use super::{Connection, Event};
use crate::bind::BindDecision;
use crate::profile::Profile;
use crate::testing::{ClientOpts, TestPki, client, plaintext_server, server, t0};
use crate::xml::Element;

/// What passed between the machines.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    c2s: Vec<u8>,
    s2c: Vec<u8>,
    client_events: Vec<String>,
    server_events: Vec<String>,
}

/// Moves bytes both ways until both machines settle (the server accepts the requested
/// resource); with `release`, both release their buffers around every step.
fn settle(
    client: &mut Connection,
    server: &mut Connection,
    now: Instant,
    release: bool,
    seen: &mut Seen,
) {
    let release_both = |c: &mut Connection, s: &mut Connection| {
        if release {
            c.release_buffers();
            s.release_buffers();
        }
    };
    for _ in 0..200 {
        release_both(client, server);
        let mut moved = false;
        if let Some(b) = client.poll_transmit() {
            seen.c2s.extend_from_slice(&b);
            release_both(client, server);
            server.handle_input(now, &b);
            moved = true;
        }
        release_both(client, server);
        while let Some(e) = server.poll_event() {
            if let Event::BindRequest { resource } = &e {
                let r = resource.clone().unwrap_or_else(|| "r".into());
                server
                    .bind(BindDecision::Accept(r))
                    .expect("a bind is pending");
                moved = true;
            }
            seen.server_events.push(format!("{e:?}"));
            release_both(client, server);
        }
        if let Some(b) = server.poll_transmit() {
            seen.s2c.extend_from_slice(&b);
            release_both(client, server);
            client.handle_input(now, &b);
            moved = true;
        }
        release_both(client, server);
        while let Some(e) = client.poll_event() {
            seen.client_events.push(format!("{e:?}"));
            release_both(client, server);
        }
        if !moved {
            return;
        }
    }
    panic!("the machines did not settle");
}

fn chat(to: &str, body: &str) -> Element {
    Element::builder("message", "jabber:client")
        .attr("to", to.to_owned())
        .attr("type", "chat")
        .child(Element::builder("body", "jabber:client").text(body.to_owned()))
        .build()
}

/// Negotiates, then sends a message each way and settles again.
fn run(mut client: Connection, mut server: Connection, release: bool) -> Seen {
    let mut seen = Seen::default();
    settle(&mut client, &mut server, t0(), release, &mut seen);
    assert!(client.is_established() && server.is_established());
    client
        .send(&chat("example.com", "to the server"))
        .expect("established");
    settle(&mut client, &mut server, t0(), release, &mut seen);
    server
        .send(&chat("juliet@example.com/balcony", &"long ".repeat(2000)))
        .expect("established");
    settle(&mut client, &mut server, t0(), release, &mut seen);
    seen
}

#[test]
fn plaintext_exchange_is_byte_identical_with_releases() {
    let kept = run(client(ClientOpts::plaintext()), plaintext_server(), false);
    let released = run(client(ClientOpts::plaintext()), plaintext_server(), true);
    assert!(
        kept.server_events
            .iter()
            .any(|e| e.contains("to the server"))
    );
    assert_eq!(kept, released);
}

#[test]
fn tls_exchange_reports_the_same_events_with_releases() {
    let pki = TestPki::example();
    for direct_tls in [false, true] {
        let make = || {
            let mut opts = ClientOpts::tls(&pki);
            opts.direct_tls = direct_tls;
            (
                client(opts),
                server(Profile::rfc6120(), Some(pki.server_config()), direct_tls),
            )
        };
        // The ciphertext differs from one TLS session to the next; what the machines
        // report does not.
        let (c, s) = make();
        let kept = run(c, s, false);
        let (c, s) = make();
        let released = run(c, s, true);
        assert!(kept.client_events.iter().any(|e| e.contains("long long")));
        assert_eq!(
            kept.client_events, released.client_events,
            "direct TLS: {direct_tls}"
        );
        assert_eq!(
            kept.server_events, released.server_events,
            "direct TLS: {direct_tls}"
        );
    }
}

#[test]
fn a_stanza_split_across_a_release_arrives_whole() {
    let (mut client, mut server) = (client(ClientOpts::plaintext()), plaintext_server());
    settle(&mut client, &mut server, t0(), false, &mut Seen::default());
    client
        .send(&chat("example.com", "split in two"))
        .expect("established");
    let bytes = client.poll_transmit().expect("the message");
    let (first, rest) = bytes.split_at(bytes.len() / 2);
    server.handle_input(t0(), first);
    assert!(server.poll_event().is_none(), "half a stanza is no event");
    server.release_buffers();
    server.handle_input(t0(), rest);
    match server.poll_event() {
        Some(Event::Stanza(el)) => {
            assert_eq!(
                el.child_text("body", "jabber:client").as_deref(),
                Some("split in two")
            );
        }
        other => panic!("{other:?}"),
    }
}
