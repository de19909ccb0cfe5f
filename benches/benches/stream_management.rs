//! What XEP-0198 stream management costs a connection: chat messages between a client machine
//! and a server machine (`xmpp_stream::connection::Connection`, c2s, plaintext, in memory),
//! with stream management off and on, in the same run; and the server side's queue of
//! unacknowledged stanzas (`xmpp_stream::stream_management::SentQueue`) alone.
//!
//! Setup, outside the timed loop: the test kit's pair (`xmpp_stream::testing::client` with
//! `ClientOpts::plaintext()` and `plaintext_server()`: `juliet@example.com`, SCRAM at 4096
//! iterations, resource `balcony`), negotiated in memory until both are established. With
//! stream management on, both machines got `enable_stream_management` before negotiating
//! (`SmSettings::initiator()` and `SmSettings::receiver()`: resumable, the default ack policy
//! `<r/>` after 5 stanzas or 30 s, the default queue limits), so the client enabled it after
//! binding; the clock stands still, so only the stanza count triggers `<r/>`.
//!
//! Timed loop (one iteration = `MESSAGES` chat messages of about 200 bytes, built once):
//! - `c2s`: the client `send`s, the bytes go to the server's `handle_input`, every server
//!   event is read (each must be the stanza); what the server writes (with stream management
//!   on: the `<a/>` answering `<r/>`) goes back to the client the same way;
//! - `s2c`: the same from the server to the client (the server delivering messages).
//!
//! Bytes are moved with the borrowed API (`pending_transmit` + `consume_transmit`) either
//! after every message (`each`: a driver writing as it sends) or after every `BURST` messages
//! (`burst`). With stream management on, the sender keeps every message until acknowledged
//! (a clone of the element) and asks `<r/>` every 5; the receiver counts and answers `<a/>`.
//!
//! `stream_management/queue`: the sender's share alone, per stanza: cloning a parsed chat
//! message (`clone`), and cloning it into a `SentQueue` with an acknowledgement every 5
//! (`push_ack`: the weight, the push, the `on_ack` that drops them).
//!
//! Throughput is in messages (criterion's `elem/s`). Results and ratios are in BENCHMARKS.md.
//!
//! Before the timings, the binary prints (to stderr) the bytes on the wire and the heap
//! allocations per message of each variant (numbers the machine's load cannot move) and,
//! under `cargo bench`, the ratio on/off measured in alternation (two pairs, one iteration of
//! one then one of the other, the order swapped every round; median and quartiles of the
//! per-round ratios), so that both see the same load on a shared machine.
//!
//! Run: `cargo bench -p xmpp-benches --bench stream_management -- --warm-up-time 1 --measurement-time 3`
//! (instruction counts: see `run_once`).
#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use xmpp_stream::connection::{Connection, Event};
use xmpp_stream::stream_management::{SentQueue, SmSettings};
use xmpp_stream::testing::{ClientOpts, Transcript, client, plaintext_server, pump, t0};
use xmpp_stream::xml::Element;

/// Messages per timed iteration.
const MESSAGES: usize = 1000;
/// Messages per flush in the `burst` variants.
const BURST: usize = 50;
/// The default ack policy's count (`AckPolicy::DEFAULT.stanzas`), for the queue alone.
const ACK_EVERY: usize = 5;

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

/// Which way the messages go.
#[derive(Clone, Copy)]
enum Direction {
    /// Client to server (a user sending).
    C2s,
    /// Server to client (a server delivering).
    S2c,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::C2s => "c2s",
            Direction::S2c => "s2c",
        }
    }
}

/// How often bytes are moved.
#[derive(Clone, Copy)]
enum Flush {
    /// After every message.
    Each,
    /// After every `BURST` messages.
    Burst,
}

impl Flush {
    fn name(self) -> &'static str {
        match self {
            Flush::Each => "each",
            Flush::Burst => "burst",
        }
    }

    fn every(self) -> usize {
        match self {
            Flush::Each => 1,
            Flush::Burst => BURST,
        }
    }
}

/// Everything `from` has to write, into `to`; returns the number of bytes.
fn transfer(from: &mut Connection, to: &mut Connection, now: Instant) -> usize {
    let mut moved = 0;
    loop {
        let bytes = from.pending_transmit();
        if bytes.is_empty() {
            return moved;
        }
        let n = bytes.len();
        to.handle_input(now, bytes);
        from.consume_transmit(n);
        moved += n;
    }
}

/// Reads every event: each must be a stanza. Returns how many.
fn read_stanzas(conn: &mut Connection) -> usize {
    let mut stanzas = 0;
    while let Some(event) = conn.poll_event() {
        match event {
            Event::Stanza(e) => {
                black_box(e);
                stanzas += 1;
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    stanzas
}

/// The messages of both directions (about 200 bytes each on the wire).
struct Messages {
    /// From juliet's client to romeo.
    c2s: Element,
    /// From romeo, delivered by the server to juliet's client.
    s2c: Element,
}

const BODY: &str = "Parting is such sweet sorrow; good night till morrow.";

fn messages() -> Messages {
    let ns = "jabber:client";
    let message = |from: Option<&str>, to: &str| {
        Element::builder("message", ns)
            .attr_opt("from", from.map(str::to_owned))
            .attr("to", to.to_owned())
            .attr("id", "b7e1c5a2-9d")
            .attr("type", "chat")
            .child(Element::builder("body", ns).text(BODY))
            .child(Element::builder(
                "active",
                "http://jabber.org/protocol/chatstates",
            ))
            .build()
    };
    Messages {
        c2s: message(None, "romeo@example.net/orchard"),
        s2c: message(
            Some("romeo@example.net/orchard"),
            "juliet@example.com/balcony",
        ),
    }
}

/// An established client/server pair, with stream management on both or on neither.
struct Pair {
    client: Connection,
    server: Connection,
    now: Instant,
}

/// What one run moved.
struct Moved {
    /// Stanzas received.
    stanzas: usize,
    /// Bytes from the sender.
    forth: usize,
    /// Bytes back (the `<a/>` with stream management on).
    back: usize,
}

impl Pair {
    fn new(sm: bool) -> Pair {
        let mut client = client(ClientOpts::plaintext());
        let mut server = plaintext_server();
        if sm {
            client
                .enable_stream_management(SmSettings::initiator())
                .expect("c2s");
            server
                .enable_stream_management(SmSettings::receiver())
                .expect("c2s");
        }
        let now = t0();
        pump(&mut client, &mut server, now, &mut Transcript::default());
        assert!(client.is_established() && server.is_established());
        for conn in [&client, &server] {
            assert_eq!(conn.stream_management().is_some(), sm);
            assert_eq!(
                conn.stream_management().is_some_and(|s| s.is_resumable()),
                sm
            );
        }
        while client.poll_event().is_some() {}
        while server.poll_event().is_some() {}
        Pair {
            client,
            server,
            now,
        }
    }

    /// One timed iteration: `MESSAGES` messages one way, bytes moved after every
    /// `flush.every()` of them, until both sides have nothing more to write.
    fn run(&mut self, direction: Direction, flush: Flush, msgs: &Messages) -> Moved {
        let (sender, receiver, msg) = match direction {
            Direction::C2s => (&mut self.client, &mut self.server, &msgs.c2s),
            Direction::S2c => (&mut self.server, &mut self.client, &msgs.s2c),
        };
        let now = self.now;
        let every = flush.every();
        let mut moved = Moved {
            stanzas: 0,
            forth: 0,
            back: 0,
        };
        for i in 1..=MESSAGES {
            sender.send(msg).expect("send");
            if i % every == 0 || i == MESSAGES {
                loop {
                    let forth = transfer(sender, receiver, now);
                    moved.stanzas += read_stanzas(receiver);
                    let back = transfer(receiver, sender, now);
                    assert_eq!(read_stanzas(sender), 0);
                    moved.forth += forth;
                    moved.back += back;
                    if back == 0 {
                        break;
                    }
                }
            }
        }
        moved
    }
}

fn bench(c: &mut Criterion, msgs: &Messages) {
    for direction in [Direction::C2s, Direction::S2c] {
        let mut group = c.benchmark_group(format!("stream_management/{}", direction.name()));
        group.throughput(Throughput::Elements(MESSAGES as u64));
        for flush in [Flush::Each, Flush::Burst] {
            for sm in [false, true] {
                let mut pair = Pair::new(sm);
                // One untimed iteration first: the steady state, and a check that all arrive.
                assert_eq!(pair.run(direction, flush, msgs).stanzas, MESSAGES);
                let id = format!("{}/{}", if sm { "on" } else { "off" }, flush.name());
                group.bench_function(id, |b| {
                    b.iter(|| {
                        let moved = pair.run(direction, flush, msgs);
                        assert_eq!(moved.stanzas, MESSAGES);
                        moved.stanzas
                    })
                });
            }
        }
        group.finish();
    }
    let parsed = Element::parse(msgs.s2c.to_xml().expect("xml").as_bytes()).expect("parse");
    let mut group = c.benchmark_group("stream_management/queue");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.bench_function("clone", |b| {
        b.iter(|| {
            for _ in 0..MESSAGES {
                black_box(black_box(&parsed).clone());
            }
        })
    });
    let mut queue = SentQueue::default();
    group.bench_function("push_ack", |b| b.iter(|| queue_run(&mut queue, &parsed)));
    group.finish();
}

/// `MESSAGES` clones of `msg` into the queue, acknowledged every `ACK_EVERY`.
fn queue_run(queue: &mut SentQueue, msg: &Element) -> usize {
    let mut acked = 0;
    for i in 1..=MESSAGES {
        queue.push(black_box(msg).clone()).expect("room");
        if i % ACK_EVERY == 0 {
            let h = queue.sent_count();
            acked += queue.on_ack(h).expect("ack").len();
        }
    }
    assert!(queue.is_empty());
    acked
}

/// Prints the bytes on the wire and the heap allocations per message of every variant, in
/// the steady state (after one untimed iteration), both machines together.
fn report(msgs: &Messages) {
    for direction in [Direction::C2s, Direction::S2c] {
        for flush in [Flush::Each, Flush::Burst] {
            for sm in [false, true] {
                let mut pair = Pair::new(sm);
                pair.run(direction, flush, msgs);
                let runs = 5;
                let before = ALLOCATIONS.load(Ordering::Relaxed);
                let (mut forth, mut back) = (0, 0);
                for _ in 0..runs {
                    let moved = pair.run(direction, flush, msgs);
                    forth += moved.forth;
                    back += moved.back;
                }
                let n = (runs * MESSAGES) as f64;
                let allocations = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / n;
                eprintln!(
                    "stream_management/{}/{}/{}: {:.1} bytes per message on the wire, {:.1} \
                     back; {allocations:.2} allocations per message",
                    direction.name(),
                    if sm { "on" } else { "off" },
                    flush.name(),
                    forth as f64 / n,
                    back as f64 / n,
                );
            }
        }
    }
    let parsed = Element::parse(msgs.s2c.to_xml().expect("xml").as_bytes()).expect("parse");
    let mut queue = SentQueue::default();
    queue_run(&mut queue, &parsed);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    queue_run(&mut queue, &parsed);
    let allocations = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / MESSAGES as f64;
    eprintln!("stream_management/queue/push_ack: {allocations:.2} allocations per stanza");
}

/// Stream management off against on, in alternation (see the top of the file).
fn alternated(msgs: &Messages) {
    const ROUNDS: usize = 201;
    for direction in [Direction::C2s, Direction::S2c] {
        for flush in [Flush::Each, Flush::Burst] {
            let mut off = Pair::new(false);
            let mut on = Pair::new(true);
            let time = |pair: &mut Pair| {
                let start = Instant::now();
                black_box(pair.run(direction, flush, msgs));
                start.elapsed()
            };
            time(&mut off);
            time(&mut on);
            let mut ratios = Vec::with_capacity(ROUNDS);
            let (mut off_total, mut on_total) = (Duration::ZERO, Duration::ZERO);
            for round in 0..ROUNDS {
                let (t_off, t_on) = if round % 2 == 0 {
                    let t_off = time(&mut off);
                    (t_off, time(&mut on))
                } else {
                    let t_on = time(&mut on);
                    (time(&mut off), t_on)
                };
                ratios.push(t_on.as_secs_f64() / t_off.as_secs_f64());
                off_total += t_off;
                on_total += t_on;
            }
            ratios.sort_by(f64::total_cmp);
            let quantile = |q: f64| ratios[((ROUNDS - 1) as f64 * q).round() as usize];
            let rate = |total: Duration| (ROUNDS * MESSAGES) as f64 / total.as_secs_f64();
            eprintln!(
                "stream_management/{}/{} alternated: off {:.0} msg/s, on {:.0} msg/s; \
                 ratio of times on/off: median {:.3}, quartiles {:.3} to {:.3}",
                direction.name(),
                flush.name(),
                rate(off_total),
                rate(on_total),
                quantile(0.5),
                quantile(0.25),
                quantile(0.75),
            );
        }
    }
}

/// `SM_BENCH_ONCE=<c2s|s2c>:<off|on>:<each|burst>:<n>`: negotiate the pair, run `n`
/// iterations of `MESSAGES` messages and exit, without criterion or the report. For
/// instruction counts that the machine's load cannot skew: `valgrind --tool=callgrind
/// <bench binary>` with `n` and with `0`, the difference over `n * MESSAGES` messages.
fn run_once(spec: &str) {
    let usage = "SM_BENCH_ONCE=<c2s|s2c>:<off|on>:<each|burst>:<n>";
    let parts: Vec<&str> = spec.split(':').collect();
    let [direction, sm, flush, n] = parts[..] else {
        panic!("{usage}, not {spec:?}");
    };
    let direction = match direction {
        "c2s" => Direction::C2s,
        "s2c" => Direction::S2c,
        _ => panic!("{usage}, not {spec:?}"),
    };
    let sm = match sm {
        "off" => false,
        "on" => true,
        _ => panic!("{usage}, not {spec:?}"),
    };
    let flush = match flush {
        "each" => Flush::Each,
        "burst" => Flush::Burst,
        _ => panic!("{usage}, not {spec:?}"),
    };
    let n: usize = n.parse().expect("a count");
    let msgs = messages();
    let mut pair = Pair::new(sm);
    // The same untimed first iteration as before the timings.
    pair.run(direction, flush, &msgs);
    for _ in 0..n {
        black_box(pair.run(direction, flush, &msgs).stanzas);
    }
}

fn main() {
    if let Ok(spec) = std::env::var("SM_BENCH_ONCE") {
        run_once(&spec);
        return;
    }
    let msgs = messages();
    report(&msgs);
    // Timing only makes sense in an optimised build: `cargo bench` passes `--bench`;
    // `cargo test --all-targets` (a debug build, each benchmark run once) does not.
    if std::env::args().any(|a| a == "--bench") {
        alternated(&msgs);
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &msgs);
    c.final_summary();
}
