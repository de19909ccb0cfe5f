//! Typed stanza cost: bytes to a typed `Message` with a body and a thread, `xmpp-stanza`
//! (over `xmpp-stream`'s reader) against `xmpp-parsers` 0.23 (xmpp-rs: `minidom` then
//! `Message::try_from`) on the same bytes; and the reverse, typed `Message` to bytes.
//!
//! Groups (throughput in bytes of input):
//! - `stanza/parse_message`: `<message>` with `to`, `from`, `id`, `type='chat'`, a body and
//!   a thread. Ours: a long-lived `Reader::without_stream` (as on a connection), then
//!   `Message::try_from`; also `Element::parse` (a fresh reader per element). Theirs: `&str`
//!   to `minidom::Element`, then `xmpp_parsers::message::Message::try_from`.
//! - `stanza/parse_message_payloads`: the same message with a chat state, a delay and an
//!   unknown extension; then the chat state and the delay are parsed into typed values, once
//!   each, and the unknown extension is kept. Both sides do the same work and neither clones
//!   in the benchmark's code; what each library's API does itself:
//!   - ours: `Message::try_from(&Element)` borrows the element, so it clones every payload
//!     child into `Message::payloads` (the 3 payloads here: allocations for their attribute
//!     and node vectors, reference counts for the shared strings); the API has no by-value
//!     conversion that would move them. `Message::payload::<P>()` then finds the child by
//!     name and namespace and parses it from a reference (no clone). The extra row
//!     `xmpp-stanza (payload clones alone)` times that clone of the 3 payloads by itself.
//!   - theirs: `Message::try_from(minidom::Element)` moves the children into
//!     `Message::payloads`; `Message::extract_payload::<P>()` moves them out again and hands
//!     each to `P::try_from` by value (a mismatch gives the element back, no clone), then
//!     rebuilds the payload vector (one allocation per call). Payloads are in document order
//!     (chat state, delay, extension), so each extraction parses its payload at the first try.
//! - `stanza/serialize_message`: typed message to bytes (both APIs consume the message, so
//!   both sides clone it once per iteration).
//!
//! Both sides check before timing that they read the same body, thread, chat state and delay,
//! and keep the unknown extension.
//!
//! Run: `cargo bench -p xmpp-benches --bench stanza -- --warm-up-time 1 --measurement-time 3`
//! (instruction counts of the parse groups: see `run_once`).

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use xmpp_stanza::Message;
use xmpp_stanza::xep::chatstates::ChatState;
use xmpp_stanza::xep::delay::Delay;
use xmpp_stream::xml::{Element, Reader, ReaderLimits, XmlEvent};

const CHAT: &str = "<message xmlns='jabber:client' from='romeo@montague.lit/orchard' \
    to='juliet@capulet.lit/balcony' id='ktx72v49' type='chat' xml:lang='en'>\
    <body>Art thou not Romeo, and a Montague?</body>\
    <thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread></message>";

const WITH_PAYLOADS: &str = "<message xmlns='jabber:client' from='romeo@montague.lit/orchard' \
    to='juliet@capulet.lit/balcony' id='ktx72v49' type='chat' xml:lang='en'>\
    <body>Art thou not Romeo, and a Montague?</body>\
    <thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>\
    <active xmlns='http://jabber.org/protocol/chatstates'/>\
    <delay xmlns='urn:xmpp:delay' from='capulet.lit' stamp='2002-09-10T23:08:25Z'>Offline Storage</delay>\
    <x xmlns='urn:example:unknown' a='1'><y>kept</y></x></message>";

/// A reader that stays open, as on a connection: feed one element, take it.
struct Connection {
    reader: Reader,
}

impl Connection {
    fn new() -> Self {
        Connection {
            reader: Reader::without_stream(ReaderLimits::default()),
        }
    }

    fn read(&mut self, bytes: &[u8]) -> Element {
        self.reader.feed(bytes);
        match self.reader.next_event() {
            Ok(Some(XmlEvent::Element(e))) => e,
            other => panic!("corpus must parse: {other:?}"),
        }
    }
}

fn ours(conn: &mut Connection, bytes: &[u8]) -> Message {
    Message::try_from(&conn.read(bytes)).expect("message parses")
}

fn theirs(text: &str) -> xmpp_parsers::message::Message {
    let e: minidom::Element = text.parse().expect("parses");
    xmpp_parsers::message::Message::try_from(e).expect("message parses")
}

fn check_same() {
    let mut conn = Connection::new();
    let a = ours(&mut conn, CHAT.as_bytes());
    let b = theirs(CHAT);
    assert_eq!(a.body(), b.bodies.get("en").map(String::as_str));
    assert_eq!(
        a.thread.as_ref().map(|t| t.id.as_str()),
        b.thread.as_ref().map(|t| t.id.as_str())
    );
    let (a, chat_state, delay) = ours_payloads(&mut conn, WITH_PAYLOADS.as_bytes());
    let (b, their_chat_state, their_delay) = theirs_payloads(WITH_PAYLOADS);
    assert_eq!(chat_state, Some(ChatState::Active));
    assert_eq!(
        their_chat_state,
        Some(xmpp_parsers::chatstates::ChatState::Active)
    );
    let (delay, their_delay) = (delay.expect("delay"), their_delay.expect("delay"));
    assert_eq!(
        delay.from.as_ref().map(|j| j.as_str()),
        their_delay.from.as_ref().map(|j| j.as_str())
    );
    assert_eq!(
        delay.stamp.unix_timestamp(),
        their_delay.stamp.0.timestamp()
    );
    assert_eq!(delay.reason, their_delay.data);
    // The unknown extension is kept on both sides (ours keeps every payload child; theirs
    // keeps what was not extracted).
    assert!(a.payloads.iter().any(|p| p.is("x", "urn:example:unknown")));
    assert_eq!(b.payloads.len(), 1);
    assert!(b.payloads[0].is("x", "urn:example:unknown"));
}

/// Ours, with typed payloads: parse the message, then the chat state and the delay (each
/// found by name and namespace and parsed from a reference).
fn ours_payloads(
    conn: &mut Connection,
    bytes: &[u8],
) -> (Message, Option<ChatState>, Option<Delay>) {
    let m = ours(conn, bytes);
    let chat_state = m.payload::<ChatState>().and_then(Result::ok);
    let delay = m.payload::<Delay>().and_then(Result::ok);
    (m, chat_state, delay)
}

/// Theirs, with typed payloads: parse the message, then extract the chat state and the delay
/// (moved out of `payloads` and parsed by value: xmpp-parsers' payload types parse from an
/// owned `minidom::Element`, and `extract_payload` is how it avoids cloning).
fn theirs_payloads(
    text: &str,
) -> (
    xmpp_parsers::message::Message,
    Option<xmpp_parsers::chatstates::ChatState>,
    Option<xmpp_parsers::delay::Delay>,
) {
    let mut m = theirs(text);
    let chat_state = m
        .extract_payload::<xmpp_parsers::chatstates::ChatState>()
        .ok()
        .flatten();
    let delay = m
        .extract_payload::<xmpp_parsers::delay::Delay>()
        .ok()
        .flatten();
    (m, chat_state, delay)
}

fn bench(c: &mut Criterion) {
    check_same();
    let mut group = c.benchmark_group("stanza/parse_message");
    group.throughput(Throughput::Bytes(CHAT.len() as u64));
    let mut conn = Connection::new();
    group.bench_function("xmpp-stanza", |b| {
        b.iter(|| black_box(ours(&mut conn, black_box(CHAT.as_bytes()))))
    });
    group.bench_function("xmpp-stanza (Element::parse)", |b| {
        b.iter(|| {
            let e = Element::parse(black_box(CHAT.as_bytes())).expect("parses");
            black_box(Message::try_from(&e).expect("message parses"))
        })
    });
    group.bench_function("xmpp-parsers", |b| {
        b.iter(|| black_box(theirs(black_box(CHAT))))
    });
    group.finish();

    let mut group = c.benchmark_group("stanza/parse_message_payloads");
    group.throughput(Throughput::Bytes(WITH_PAYLOADS.len() as u64));
    let mut conn = Connection::new();
    group.bench_function("xmpp-stanza", |b| {
        b.iter(|| {
            black_box(ours_payloads(
                &mut conn,
                black_box(WITH_PAYLOADS.as_bytes()),
            ))
        })
    });
    group.bench_function("xmpp-stanza (Element::parse)", |b| {
        b.iter(|| {
            let e = Element::parse(black_box(WITH_PAYLOADS.as_bytes())).expect("parses");
            let m = Message::try_from(&e).expect("message parses");
            let chat_state = m.payload::<ChatState>().and_then(Result::ok);
            let delay = m.payload::<Delay>().and_then(Result::ok);
            black_box((m, chat_state, delay))
        })
    });
    // What our API's borrowing conversion costs in this group: the clone of the 3 payload
    // children that `Message::try_from(&Element)` makes (included in the rows above).
    let parsed = conn.read(WITH_PAYLOADS.as_bytes());
    let payload_children: Vec<&Element> = parsed
        .children()
        .filter(|e| !matches!(e.name(), "body" | "thread"))
        .collect();
    assert_eq!(payload_children.len(), 3);
    group.bench_function("xmpp-stanza (payload clones alone)", |b| {
        b.iter(|| {
            let mut v = Vec::new();
            for p in black_box(&payload_children) {
                v.push((*p).clone());
            }
            black_box(v)
        })
    });
    group.bench_function("xmpp-parsers", |b| {
        b.iter(|| black_box(theirs_payloads(black_box(WITH_PAYLOADS))))
    });
    group.finish();

    let mut group = c.benchmark_group("stanza/serialize_message");
    group.throughput(Throughput::Bytes(CHAT.len() as u64));
    let mut conn = Connection::new();
    let ours_msg = ours(&mut conn, CHAT.as_bytes());
    let theirs_msg = theirs(CHAT);
    let mut out = Vec::with_capacity(512);
    group.bench_function("xmpp-stanza", |b| {
        b.iter(|| {
            out.clear();
            Element::from(black_box(ours_msg.clone()))
                .write_to(&mut out)
                .expect("writes");
            black_box(out.len())
        })
    });
    group.bench_function("xmpp-parsers", |b| {
        b.iter(|| {
            let e = minidom::Element::from(black_box(theirs_msg.clone()));
            out.clear();
            e.write_to(&mut out).expect("writes");
            black_box(out.len())
        })
    });
    group.finish();
}

/// `STANZA_BENCH_ONCE=<parse_message|parse_message_payloads>:<xmpp-stanza|xmpp-parsers>:<n>`:
/// do that group's work on that side `n` times and exit, without criterion. For instruction
/// counts that the machine's load cannot skew: `valgrind --tool=callgrind <bench binary>` with
/// `n` and with `0`, the difference over `n`.
fn run_once(spec: &str) {
    let usage = "STANZA_BENCH_ONCE=<parse_message|parse_message_payloads>:\
                 <xmpp-stanza|xmpp-parsers>:<n>";
    let parts: Vec<&str> = spec.split(':').collect();
    let [group, which, n] = parts[..] else {
        panic!("{usage}, not {spec:?}");
    };
    let n: usize = n.parse().expect("a count");
    let mut conn = Connection::new();
    for _ in 0..n {
        match (group, which) {
            ("parse_message", "xmpp-stanza") => {
                drop(black_box(ours(&mut conn, black_box(CHAT.as_bytes()))))
            }
            ("parse_message", "xmpp-parsers") => drop(black_box(theirs(black_box(CHAT)))),
            ("parse_message_payloads", "xmpp-stanza") => drop(black_box(ours_payloads(
                &mut conn,
                black_box(WITH_PAYLOADS.as_bytes()),
            ))),
            ("parse_message_payloads", "xmpp-parsers") => {
                drop(black_box(theirs_payloads(black_box(WITH_PAYLOADS))))
            }
            _ => panic!("{usage}, not {spec:?}"),
        }
    }
}

fn main() {
    if let Ok(spec) = std::env::var("STANZA_BENCH_ONCE") {
        run_once(&spec);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
