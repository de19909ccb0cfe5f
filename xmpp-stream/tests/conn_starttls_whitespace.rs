//! The STARTTLS handover tolerates whitespace (DESIGN.md, interoperability rules): deployed
//! clients write a newline after `<starttls/>`, and Prosody and ejabberd accept it. Whitespace
//! between `<starttls/>` (or `<proceed/>`) and the peer's first TLS record is skipped, however
//! the reads split it; any other byte there is still refused.
//!
//! Each test runs our client machine against our server machine in memory and rewrites one
//! direction's bytes at the handover, delivering them in every possible split.

mod conn_support;

use conn_support::*;
use xmpp_stream::connection::{CloseReason, Connection, Event};
use xmpp_stream::profile::Profile;

const STARTTLS: &[u8] = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
const PROCEED: &[u8] = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
const WHITESPACE: &[u8] = b"\r\n \t\n";

/// Where the rewritten bytes go.
#[derive(Clone, Copy)]
enum Direction {
    ClientToServer,
    ServerToClient,
}

/// Moves bytes both ways until both machines settle. Each chunk travelling in `direction`
/// goes through `rewrite`, which returns the reads to deliver instead.
fn pump_rewriting(
    client: &mut Connection,
    server: &mut Connection,
    direction: Direction,
    rewrite: &mut dyn FnMut(Vec<u8>) -> Vec<Vec<u8>>,
) -> (Vec<Event>, Vec<Event>) {
    let (mut client_events, mut server_events) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        let mut moved = false;
        if let Some(b) = client.poll_transmit() {
            let reads = match direction {
                Direction::ClientToServer => rewrite(b),
                Direction::ServerToClient => vec![b],
            };
            for r in reads {
                server.handle_input(secs(0), &r);
            }
            moved = true;
        }
        while let Some(e) = server.poll_event() {
            if let Event::BindRequest { resource } = &e {
                let r = resource.clone().unwrap_or_else(|| "generated".into());
                server
                    .bind(xmpp_stream::bind::BindDecision::Accept(r))
                    .unwrap();
                moved = true;
            }
            server_events.push(e);
        }
        if let Some(b) = server.poll_transmit() {
            let reads = match direction {
                Direction::ServerToClient => rewrite(b),
                Direction::ClientToServer => vec![b],
            };
            for r in reads {
                client.handle_input(secs(0), &r);
            }
            moved = true;
        }
        while let Some(e) = client.poll_event() {
            client_events.push(e);
        }
        if !moved {
            return (client_events, server_events);
        }
    }
    panic!("the machines did not settle");
}

fn pair() -> (Connection, Connection) {
    let pki = TestPki::example();
    let c = client(ClientOpts::tls(&pki));
    let s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    (c, s)
}

/// Splits `bytes` into two reads at `at` (one read when `at` is 0 or the length).
fn split(bytes: Vec<u8>, at: usize) -> Vec<Vec<u8>> {
    if at == 0 || at >= bytes.len() {
        return vec![bytes];
    }
    vec![bytes[..at].to_vec(), bytes[at..].to_vec()]
}

fn assert_logged_in(client: &Connection, server: &Connection, what: &str) {
    assert!(
        client.is_established() && server.is_established(),
        "{what}: not established"
    );
    assert!(client.is_tls() && server.is_tls(), "{what}: not over TLS");
}

/// How the rewritten bytes are cut into reads.
#[derive(Clone, Copy)]
enum Reads {
    /// Two reads, split at this offset of the rewritten bytes.
    SplitAt(usize),
    /// One byte per read.
    Bytewise,
}

fn cut(bytes: Vec<u8>, reads: Reads) -> Vec<Vec<u8>> {
    match reads {
        Reads::SplitAt(at) => split(bytes, at),
        Reads::Bytewise => bytes.into_iter().map(|byte| vec![byte]).collect(),
    }
}

/// Runs a pair where `WHITESPACE` follows `element` (`<starttls/>` or `<proceed/>`) in the same
/// write, the element and the whitespace cut at `at` (counted from the element's start).
fn whitespace_after_element(element: &[u8], direction: Direction, at: usize) {
    let tail = element.len() + WHITESPACE.len();
    let (mut c, mut s) = pair();
    let mut rewrite = |mut b: Vec<u8>| {
        if b.ends_with(element) {
            b.extend_from_slice(WHITESPACE);
            let offset = b.len() - tail + at;
            split(b, offset)
        } else {
            vec![b]
        }
    };
    pump_rewriting(&mut c, &mut s, direction, &mut rewrite);
    assert_logged_in(&c, &s, &format!("split at {at}"));
}

/// Runs a pair where `WHITESPACE` arrives just before the first TLS record in `direction`
/// (a handshake record, content type 0x16), cut into reads as `reads` says.
fn whitespace_before_first_record(direction: Direction, reads: Reads) {
    let (mut c, mut s) = pair();
    let mut first_record = true;
    let mut rewrite = |b: Vec<u8>| {
        if first_record && b.first() == Some(&0x16) {
            first_record = false;
            cut([WHITESPACE, &b].concat(), reads)
        } else {
            vec![b]
        }
    };
    pump_rewriting(&mut c, &mut s, direction, &mut rewrite);
    assert_logged_in(&c, &s, "whitespace before the first TLS record");
}

/// A client that writes whitespace right after `<starttls/>`, in the same write: every split
/// of `<starttls/>` + whitespace into two reads.
#[test]
fn whitespace_after_starttls_in_the_same_read_is_skipped_by_the_receiver() {
    for at in 0..=STARTTLS.len() + WHITESPACE.len() {
        whitespace_after_element(STARTTLS, Direction::ClientToServer, at);
    }
}

/// Whitespace that arrives with the ClientHello (the client wrote it late): every split of
/// whitespace + the first bytes of the record, and one byte per read.
#[test]
fn whitespace_before_the_client_hello_is_skipped_in_any_split() {
    for at in 0..=WHITESPACE.len() + 3 {
        whitespace_before_first_record(Direction::ClientToServer, Reads::SplitAt(at));
    }
    whitespace_before_first_record(Direction::ClientToServer, Reads::Bytewise);
}

/// The same tolerance on the initiating side: a server that writes whitespace after
/// `<proceed/>`, in the same read or with its first TLS record.
#[test]
fn whitespace_after_proceed_is_skipped_by_the_initiator() {
    for at in 0..=PROCEED.len() + WHITESPACE.len() {
        whitespace_after_element(PROCEED, Direction::ServerToClient, at);
    }
    whitespace_before_first_record(Direction::ServerToClient, Reads::Bytewise);
}

/// Anything but whitespace between `<starttls/>` and the ClientHello is still a TLS failure on
/// the receiver, whether it arrives with the element or with the record.
#[test]
fn other_bytes_after_starttls_still_fail_tls() {
    for junk in [&b"x"[..], b"\n<", b" \0", b"\n\x0b"] {
        for with_element in [true, false] {
            let (mut c, mut s) = pair();
            let mut first_record = true;
            let mut rewrite = |b: Vec<u8>| {
                let mut b = b;
                if with_element && b.ends_with(STARTTLS) {
                    b.extend_from_slice(junk);
                } else if !with_element && first_record && b.first() == Some(&0x16) {
                    first_record = false;
                    let mut with = junk.to_vec();
                    with.extend_from_slice(&b);
                    b = with;
                }
                vec![b]
            };
            let (_, server_events) =
                pump_rewriting(&mut c, &mut s, Direction::ClientToServer, &mut rewrite);
            assert!(
                matches!(
                    server_events.last(),
                    Some(Event::Closed(CloseReason::TlsFailed(_)))
                ),
                "{junk:?} (with the element: {with_element}): {server_events:?}"
            );
            assert!(!s.is_established() && !c.is_established());
        }
    }
}

/// On the initiating side, a non-whitespace byte after `<proceed/>` is refused before TLS
/// starts (no byte after `<proceed/>` is ever read as XML).
#[test]
fn other_bytes_after_proceed_still_fail_tls() {
    for junk in [&b"x"[..], b"\n<message/>", b" \0"] {
        let (mut c, mut s) = pair();
        let mut rewrite = |b: Vec<u8>| {
            let mut b = b;
            if b.ends_with(PROCEED) {
                b.extend_from_slice(junk);
            }
            vec![b]
        };
        let (client_events, _) =
            pump_rewriting(&mut c, &mut s, Direction::ServerToClient, &mut rewrite);
        assert!(
            matches!(
                client_events.last(),
                Some(Event::Closed(CloseReason::TlsFailed(_)))
            ),
            "{junk:?}: {client_events:?}"
        );
        assert!(!client_events.iter().any(|e| matches!(e, Event::Stanza(_))));
    }
}
