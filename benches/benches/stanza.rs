//! Typed stanza cost: bytes to a typed `Message` with a body and a thread, `xmpp-stanza`
//! (over `xmpp-stream`'s reader) against `xmpp-parsers` 0.23 (xmpp-rs: `minidom` then
//! `Message::try_from`) on the same bytes; and the reverse, typed `Message` to bytes.
//!
//! Groups (throughput in bytes of input):
//! - `stanza/parse_message`: `<message>` with `to`, `from`, `id`, `type='chat'`, a body and
//!   a thread. Ours: a long-lived `Reader::without_stream` (as on a connection), then
//!   `Message::try_from`; also `Element::parse` (a fresh reader per element). Theirs: `&str`
//!   to `minidom::Element`, then `xmpp_parsers::message::Message::try_from`.
//! - `stanza/parse_message_payloads`: the same message with a delay, a chat state and an
//!   unknown extension, read as typed payloads.
//! - `stanza/serialize_message`: typed message to bytes.
//!
//! Both sides check that they read the same body and thread before timing.
//!
//! Run: `cargo bench -p xmpp-benches --bench stanza -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use xmpp_stanza::Message;
use xmpp_stanza::xep::chatstates::ChatState;
use xmpp_stanza::xep::delay::Delay;
use xmpp_stream::xml::{Element, Event, Reader, ReaderLimits};

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
            Ok(Some(Event::Element(e))) => e,
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
    let a = ours(&mut conn, WITH_PAYLOADS.as_bytes());
    assert_eq!(a.payload::<ChatState>(), Some(Ok(ChatState::Active)));
    assert!(a.payload::<Delay>().is_some_and(|d| d.is_ok()));
    assert_eq!(theirs(WITH_PAYLOADS).payloads.len(), 3);
}

fn bench(c: &mut Criterion) {
    check_same();
    for (name, text) in [
        ("parse_message", CHAT),
        ("parse_message_payloads", WITH_PAYLOADS),
    ] {
        let mut group = c.benchmark_group(format!("stanza/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        let mut conn = Connection::new();
        group.bench_function("xmpp-stanza", |b| {
            b.iter(|| {
                let m = ours(&mut conn, black_box(text.as_bytes()));
                if name == "parse_message_payloads" {
                    black_box(m.payload::<ChatState>());
                    black_box(m.payload::<Delay>());
                }
                black_box(m)
            })
        });
        group.bench_function("xmpp-stanza (Element::parse)", |b| {
            b.iter(|| {
                let e = Element::parse(black_box(text.as_bytes())).expect("parses");
                black_box(Message::try_from(&e).expect("message parses"))
            })
        });
        group.bench_function("xmpp-parsers", |b| {
            b.iter(|| {
                let m = theirs(black_box(text));
                if name == "parse_message_payloads" {
                    for p in &m.payloads {
                        black_box(xmpp_parsers::chatstates::ChatState::try_from(p.clone()).ok());
                        black_box(xmpp_parsers::delay::Delay::try_from(p.clone()).ok());
                    }
                }
                black_box(m)
            })
        });
        group.finish();
    }

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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
