//! XML reading cost: `xmpp-stream`'s reader (bytes to `Element`) against the raw `xmlparser`
//! tokenizer it is built on (the floor: tokens only, no tree, no namespaces, no checks) and
//! against `minidom` 0.19 (the element type under xmpp-rs, on `rxml`), on the same bytes.
//!
//! Groups (throughput in bytes of input):
//! - `xml/chat_message`, `xml/presence_caps`, `xml/roster_200`, `xml/stanza_50k`: one
//!   standalone element each (it declares its namespace). Our reader is a long-lived
//!   `Reader::without_stream`, as on a connection; minidom parses from `&str`.
//! - `xml/mixed_stream`: a whole stream (header, 1 roster of 200, 100 messages, 50
//!   presences, 1 large stanza, close). Ours: `Reader::new` fed the whole buffer; minidom:
//!   the document as one tree.
//!
//! Before the timings, the binary prints (and checks) how many heap allocations each
//! implementation makes per element, counted by the global allocator below.
//!
//! Run: `cargo bench -p xmpp-benches --bench xml -- --warm-up-time 1 --measurement-time 3`
//! (instruction counts: see `run_once`).
#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput};
use xmpp_benches::xml_corpus::{mixed_stream, samples};
use xmpp_stream::xml::{Element, Reader, ReaderLimits, XmlEvent};

/// Counts allocations (and reallocations) on their way to the system allocator.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// addition is a relaxed counter increment, which cannot affect the allocation.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged (see above).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Average allocations per call of `f` over `n` calls.
fn allocations_per_call(n: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm up buffers and scratch space
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..n {
        f();
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / n as f64
}

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

fn report_allocations() {
    eprintln!("heap allocations per element (steady state; reallocations counted):");
    eprintln!(
        "{:<16} {:>14} {:>16} {:>10} {:>8}",
        "sample", "xmpp-stream", "Element::parse", "minidom", "elements"
    );
    for s in samples() {
        let text = std::str::from_utf8(&s.standalone).expect("UTF-8");
        let mut conn = Connection::new();
        let ours = allocations_per_call(100, || drop(black_box(conn.read(&s.standalone))));
        let parse = allocations_per_call(100, || {
            drop(black_box(Element::parse(&s.standalone).expect("parses")));
        });
        let theirs = allocations_per_call(100, || {
            drop(black_box(text.parse::<minidom::Element>().expect("parses")));
        });
        let elements = text.matches('<').count() - text.matches("</").count();
        eprintln!(
            "{:<16} {ours:>14.1} {parse:>16.1} {theirs:>10.1} {elements:>8}",
            s.name
        );
        if s.name == "chat_message" {
            // The budget: a handful of allocations for a typical chat message. This one has
            // 6 elements: 3 with attributes and 5 with children need one exact-size vector
            // each, less the `active` and `origin-id` leaves, plus one decoded body (it holds
            // `&amp;`) and, now and then, the receive buffer. minidom makes about 100.
            assert!(ours <= 10.0, "{ours} allocations for a chat message");
        }
    }
}

fn bench_samples(c: &mut Criterion) {
    for s in samples() {
        let text = std::str::from_utf8(&s.standalone)
            .expect("UTF-8")
            .to_owned();
        let mut group = c.benchmark_group(format!("xml/{}", s.name));
        group.throughput(Throughput::Bytes(s.standalone.len() as u64));
        group.bench_function("xmlparser_raw", |b| {
            b.iter(|| {
                for token in xmlparser::Tokenizer::from(black_box(text.as_str())) {
                    black_box(token.expect("tokenizes"));
                }
            })
        });
        let mut conn = Connection::new();
        group.bench_function("xmpp_stream", |b| {
            b.iter(|| conn.read(black_box(&s.standalone)))
        });
        group.bench_function("minidom", |b| {
            b.iter(|| {
                black_box(text.as_str())
                    .parse::<minidom::Element>()
                    .expect("parses")
            })
        });
        group.finish();
    }
}

fn bench_stream(c: &mut Criterion) {
    let bytes = mixed_stream();
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    let mut group = c.benchmark_group("xml/mixed_stream");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("xmlparser_raw", |b| {
        b.iter(|| {
            for token in xmlparser::Tokenizer::from(black_box(text.as_str())) {
                black_box(token.expect("tokenizes"));
            }
        })
    });
    group.bench_function("xmpp_stream", |b| {
        b.iter(|| {
            let mut reader = Reader::new();
            reader.feed(black_box(&bytes));
            let mut n = 0;
            while let Some(event) = reader.next_event().expect("parses") {
                n += usize::from(matches!(event, XmlEvent::Element(_)));
                black_box(event);
            }
            n
        })
    });
    group.bench_function("minidom", |b| {
        b.iter(|| {
            black_box(text.as_str())
                .parse::<minidom::Element>()
                .expect("parses")
        })
    });
    group.finish();
}

/// `XML_BENCH_ONCE=<sample>:<impl>:<n>` (impl `ours`, `raw` or `minidom`; sample a name
/// from the corpus or `mixed_stream`): read the sample `n` times and exit, without criterion
/// or the allocation report. For instruction counts that the machine's load cannot skew:
/// `valgrind --tool=callgrind <bench binary>` with `n` and with `0`, the difference over `n`.
fn run_once(spec: &str) {
    let mut parts = spec.split(':');
    let (Some(name), Some(which), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("XML_BENCH_ONCE=<sample>:<ours|raw|minidom>:<n>, not {spec:?}");
    };
    let n: usize = n.parse().expect("a count");
    let bytes = if name == "mixed_stream" {
        mixed_stream()
    } else {
        samples()
            .into_iter()
            .find(|s| s.name == name)
            .expect("a sample name")
            .standalone
    };
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    let mut conn = Connection::new();
    for _ in 0..n {
        match which {
            "ours" if name == "mixed_stream" => {
                let mut reader = Reader::new();
                reader.feed(black_box(&bytes));
                while let Some(event) = reader.next_event().expect("parses") {
                    black_box(event);
                }
            }
            "ours" => drop(black_box(conn.read(black_box(&bytes)))),
            "raw" => {
                for token in xmlparser::Tokenizer::from(black_box(text.as_str())) {
                    black_box(token.expect("tokenizes"));
                }
            }
            "minidom" => drop(black_box(
                black_box(text.as_str())
                    .parse::<minidom::Element>()
                    .expect("parses"),
            )),
            other => panic!("unknown implementation {other:?}"),
        }
    }
}

fn main() {
    if let Ok(spec) = std::env::var("XML_BENCH_ONCE") {
        run_once(&spec);
        return;
    }
    report_allocations();
    let mut c = Criterion::default().configure_from_args();
    bench_samples(&mut c);
    bench_stream(&mut c);
    c.final_summary();
}
