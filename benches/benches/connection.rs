//! Connection machine throughput: chat messages from a client machine to a server machine
//! (`xmpp_stream::connection::Connection`, c2s, both in memory), and what the way of taking
//! the machine's output costs.
//!
//! Setup, outside the timed loop: a client (`Connection::initiator`) and a server
//! (`Connection::receiver`) negotiate in memory, once per benchmark function, until both are
//! established: a deterministic random source (ChaCha20, fixed seeds), the account
//! `juliet@example.com` in an `xmpp_sasl::MemoryStore` (SCRAM, 4096 iterations), the bind
//! request accepted with `Connection::bind(BindDecision::Accept(..))`. Two pairs:
//! - `tls`: `Profile::rfc6120()` (TLS required): STARTTLS with rustls (ring provider) and a
//!   throwaway rcgen CA and server certificate for example.com, then SCRAM and bind;
//! - `plaintext`: `TlsPolicy::Disabled` and `allow_plaintext_auth` (tests and loopback only).
//!
//! Timed loop (one iteration = a batch of `BATCH` messages): the client `send`s `BATCH`
//! `<message type='chat'>` stanzas with a body (built once; `send` takes a reference) and the
//! bytes go to the server's `handle_input`; every server event is read (each must be the
//! stanza, which the server stamps with the client's full JID). Anything the server writes
//! goes back to the client the same way. Bytes are moved either
//! - after every message (`each`: a driver writing as it sends), or
//! - once after the batch (`batch`: a driver that queued a burst of sends),
//!
//! and in two ways:
//! - `poll_transmit`: `Connection::poll_transmit()` returns a `Vec<u8>` per flush (the
//!   machine hands over its buffer and starts a new one);
//! - `pending_transmit`: the borrowed API, `pending_transmit()` then `consume_transmit(n)`:
//!   the bytes are read from the machine's own buffer, which is kept (up to 1 KiB) for the
//!   next stanza.
//!
//! Throughput is in messages (criterion's `elem/s`). Results and ratios are in BENCHMARKS.md.
//!
//! Before the timings, the binary prints (to stderr)
//! - the bytes on the wire per message and the heap allocations per message of each variant
//!   (both machines, steady state), counted by the global allocator below: numbers the
//!   machine's load cannot move;
//! - the ratio poll_transmit / pending_transmit measured in alternation (two pairs, 4 batches
//!   of one then 4 of the other, the order swapped every round, 501 rounds; the median and
//!   quartiles of the per-round ratios), so that both see the same load: on a shared machine
//!   the criterion rows, taken one after the other, can differ by more than the effect
//!   (only under `cargo bench`, not when `cargo test` runs each benchmark once).
//!
//! Run: `cargo bench -p xmpp-benches --bench connection -- --warm-up-time 1 --measurement-time 3`
//! (instruction counts: see `run_once`).
#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{
    Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::{Profile, TlsPolicy};
use xmpp_stream::xml::Element;

/// Messages per timed iteration.
const BATCH: usize = 64;

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

const PASSWORD: &str = "r0m30myr0m30";

/// How the output of a machine is taken.
#[derive(Clone, Copy)]
enum Output {
    /// `poll_transmit()`: a vector per flush.
    Poll,
    /// `pending_transmit()` + `consume_transmit(n)`: borrowed.
    Borrowed,
}

/// Moves everything `from` has to write into `to`; returns the number of bytes.
fn transfer(from: &mut Connection, to: &mut Connection, now: Instant, how: Output) -> usize {
    match how {
        Output::Poll => {
            let mut moved = 0;
            while let Some(bytes) = from.poll_transmit() {
                moved += bytes.len();
                to.handle_input(now, &bytes);
            }
            moved
        }
        Output::Borrowed => {
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
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A throwaway CA and a server certificate for example.com; the TLS configurations of both
/// sides.
fn tls_configs() -> (
    Arc<rustls::ClientConfig>,
    (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>),
) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Bench CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let server_key = rcgen::KeyPair::generate().expect("key");
    let server = rcgen::CertificateParams::new(vec!["example.com".to_owned()])
        .expect("params")
        .signed_by(&server_key, &ca, &ca_key)
        .expect("certificate");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).expect("root");
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![server.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .expect("server config");
    (
        Arc::new(client),
        (Arc::new(server_cfg), Some(server.der().clone())),
    )
}

/// An established client/server pair, negotiated in memory.
fn pair(tls: bool, store: &Arc<xmpp_sasl::MemoryStore>, now: Instant) -> (Connection, Connection) {
    let mut profile = Profile::rfc6120();
    let (client_tls, server_tls) = if tls {
        let (c, s) = tls_configs();
        (Some(c), Some(s))
    } else {
        profile.tls = TlsPolicy::Disabled;
        profile.allow_plaintext_auth = true;
        (None, None)
    };
    let profile = Arc::new(profile);
    let mut client = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Client,
            to: "example.com".into(),
            from: Some("juliet@example.com".into()),
            tls: client_tls,
            direct_tls: false,
            auth: InitiatorAuth::Sasl(
                xmpp_sasl::Credentials::password("juliet", PASSWORD).expect("credentials"),
            ),
            resource: Some("balcony".into()),
        },
        profile.clone(),
        Box::new(ChaCha20Rng::seed_from_u64(1)),
        now,
    )
    .expect("initiator");
    let mut server = Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Client,
            domains: vec!["example.com".into()],
            tls: server_tls,
            direct_tls: false,
            auth: ReceiverAuth::Sasl(store.clone()),
        },
        profile,
        Box::new(ChaCha20Rng::seed_from_u64(2)),
        now,
    )
    .expect("receiver");
    for _ in 0..100 {
        let mut moved = transfer(&mut client, &mut server, now, Output::Poll);
        while let Some(event) = server.poll_event() {
            if let Event::BindRequest { resource } = event {
                let resource = resource.unwrap_or_else(|| "generated".into());
                server
                    .bind(BindDecision::Accept(resource))
                    .expect("bind decision");
            }
        }
        moved += transfer(&mut server, &mut client, now, Output::Poll);
        while client.poll_event().is_some() {}
        if moved == 0 {
            break;
        }
    }
    assert!(client.is_established() && server.is_established());
    assert_eq!(client.is_tls(), tls);
    assert_eq!(
        client.bound_jid().map(|j| j.as_str()),
        Some("juliet@example.com/balcony")
    );
    (client, server)
}

fn chat_message() -> Element {
    let ns = "jabber:client";
    Element::builder("message", ns)
        .attr("to", "romeo@example.net/orchard")
        .attr("id", "ktx72v49")
        .attr("type", "chat")
        .child(Element::builder("body", ns).text("Art thou not Romeo, and a Montague?"))
        .build()
}

/// Reads every server event: each must be the stanza.
fn read_events(server: &mut Connection) -> usize {
    let mut stanzas = 0;
    while let Some(event) = server.poll_event() {
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

/// One timed iteration: `BATCH` messages client → server, flushed after each message
/// (`flush_each`) or once, every server event read.
fn batch(
    client: &mut Connection,
    server: &mut Connection,
    msg: &Element,
    now: Instant,
    how: Output,
    flush_each: bool,
) -> usize {
    let mut received = 0;
    for _ in 0..BATCH {
        client.send(msg).expect("send");
        if flush_each {
            transfer(client, server, now, how);
            received += read_events(server);
        }
    }
    if !flush_each {
        transfer(client, server, now, how);
        received += read_events(server);
    }
    // Nothing is expected back; move it if there is.
    if transfer(server, client, now, how) > 0 {
        while client.poll_event().is_some() {}
    }
    received
}

/// The account store, the message and the (fixed) time given to the machines.
fn setup() -> (Arc<xmpp_sasl::MemoryStore>, Element, Instant) {
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("example.com");
    store
        .add_user(
            "juliet",
            PASSWORD,
            4096,
            &mut ChaCha20Rng::seed_from_u64(99),
        )
        .expect("user");
    (Arc::new(store), chat_message(), Instant::now())
}

fn bench(c: &mut Criterion, store: &Arc<xmpp_sasl::MemoryStore>, msg: &Element, now: Instant) {
    for tls in [false, true] {
        let mut group = c.benchmark_group(if tls {
            "connection/tls"
        } else {
            "connection/plaintext"
        });
        group.throughput(Throughput::Elements(BATCH as u64));
        for flush_each in [true, false] {
            for (name, how) in [
                ("poll_transmit", Output::Poll),
                ("pending_transmit", Output::Borrowed),
            ] {
                let (mut client, mut server) = pair(tls, store, now);
                // One untimed batch first: the steady state, and a check that all arrive.
                assert_eq!(
                    batch(&mut client, &mut server, msg, now, how, flush_each),
                    BATCH
                );
                let id = format!("{name}/{}", if flush_each { "each" } else { "batch" });
                group.bench_function(id, |b| {
                    b.iter(|| {
                        let received = batch(&mut client, &mut server, msg, now, how, flush_each);
                        assert_eq!(received, BATCH);
                        received
                    })
                });
            }
        }
        group.finish();
    }
}

/// Prints the bytes on the wire per message and, for every variant, the heap allocations
/// per message in the steady state (after one untimed batch), both machines together.
fn report(store: &Arc<xmpp_sasl::MemoryStore>, msg: &Element, now: Instant) {
    for tls in [false, true] {
        let mode = if tls { "tls" } else { "plaintext" };
        let (mut client, mut server) = pair(tls, store, now);
        client.send(msg).expect("send");
        let n = transfer(&mut client, &mut server, now, Output::Borrowed);
        assert_eq!(read_events(&mut server), 1);
        eprintln!("connection/{mode}: one chat message is {n} bytes on the wire");
        for flush_each in [true, false] {
            for (name, how) in [
                ("poll_transmit", Output::Poll),
                ("pending_transmit", Output::Borrowed),
            ] {
                let (mut client, mut server) = pair(tls, store, now);
                batch(&mut client, &mut server, msg, now, how, flush_each);
                let batches = 20;
                let before = ALLOCATIONS.load(Ordering::Relaxed);
                for _ in 0..batches {
                    batch(&mut client, &mut server, msg, now, how, flush_each);
                }
                let per_message = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64
                    / (batches * BATCH) as f64;
                let flush = if flush_each { "each" } else { "batch" };
                eprintln!(
                    "connection/{mode}/{name}/{flush}: {per_message:.2} allocations per message"
                );
            }
        }
    }
}

/// poll_transmit against pending_transmit, in alternation (see the top of the file).
fn alternated(store: &Arc<xmpp_sasl::MemoryStore>, msg: &Element, now: Instant) {
    const ROUNDS: usize = 501;
    const BATCHES: usize = 4;
    for tls in [false, true] {
        for flush_each in [true, false] {
            let (mut poll_client, mut poll_server) = pair(tls, store, now);
            let (mut borrowed_client, mut borrowed_server) = pair(tls, store, now);
            let time = |client: &mut Connection, server: &mut Connection, how: Output| {
                let start = Instant::now();
                for _ in 0..BATCHES {
                    black_box(batch(client, server, msg, now, how, flush_each));
                }
                start.elapsed()
            };
            time(&mut poll_client, &mut poll_server, Output::Poll);
            time(&mut borrowed_client, &mut borrowed_server, Output::Borrowed);
            let mut ratios = Vec::with_capacity(ROUNDS);
            let (mut poll_total, mut borrowed_total) = (Duration::ZERO, Duration::ZERO);
            for round in 0..ROUNDS {
                let (poll, borrowed) = if round % 2 == 0 {
                    let poll = time(&mut poll_client, &mut poll_server, Output::Poll);
                    let borrowed =
                        time(&mut borrowed_client, &mut borrowed_server, Output::Borrowed);
                    (poll, borrowed)
                } else {
                    let borrowed =
                        time(&mut borrowed_client, &mut borrowed_server, Output::Borrowed);
                    let poll = time(&mut poll_client, &mut poll_server, Output::Poll);
                    (poll, borrowed)
                };
                ratios.push(poll.as_secs_f64() / borrowed.as_secs_f64());
                poll_total += poll;
                borrowed_total += borrowed;
            }
            ratios.sort_by(f64::total_cmp);
            let quantile = |q: f64| ratios[((ROUNDS - 1) as f64 * q).round() as usize];
            let rate = |total: Duration| (ROUNDS * BATCHES * BATCH) as f64 / total.as_secs_f64();
            let mode = if tls { "tls" } else { "plaintext" };
            let flush = if flush_each { "each" } else { "batch" };
            eprintln!(
                "connection/{mode}/{flush} alternated: poll_transmit {:.0} msg/s, \
                 pending_transmit {:.0} msg/s; ratio of times poll/pending: median {:.3}, \
                 quartiles {:.3} to {:.3}",
                rate(poll_total),
                rate(borrowed_total),
                quantile(0.5),
                quantile(0.25),
                quantile(0.75),
            );
        }
    }
}

/// `CONNECTION_BENCH_ONCE=<plaintext|tls>:<poll_transmit|pending_transmit>:<each|batch>:<n>`:
/// negotiate the pair, run `n` batches of `BATCH` messages and exit, without criterion or the
/// report. For instruction counts that the machine's load cannot skew:
/// `valgrind --tool=callgrind <bench binary>` with `n` and with `0`, the difference over
/// `n * BATCH` messages (the setup, key generation and PBKDF2 included, cancels out).
fn run_once(spec: &str) {
    let usage =
        "CONNECTION_BENCH_ONCE=<plaintext|tls>:<poll_transmit|pending_transmit>:<each|batch>:<n>";
    let parts: Vec<&str> = spec.split(':').collect();
    let [mode, output, flush, n] = parts[..] else {
        panic!("{usage}, not {spec:?}");
    };
    let tls = match mode {
        "plaintext" => false,
        "tls" => true,
        _ => panic!("{usage}, not {spec:?}"),
    };
    let how = match output {
        "poll_transmit" => Output::Poll,
        "pending_transmit" => Output::Borrowed,
        _ => panic!("{usage}, not {spec:?}"),
    };
    let flush_each = match flush {
        "each" => true,
        "batch" => false,
        _ => panic!("{usage}, not {spec:?}"),
    };
    let n: usize = n.parse().expect("a count");
    let (store, msg, now) = setup();
    let (mut client, mut server) = pair(tls, &store, now);
    // The same untimed first batch as before the timings.
    batch(&mut client, &mut server, &msg, now, how, flush_each);
    for _ in 0..n {
        black_box(batch(&mut client, &mut server, &msg, now, how, flush_each));
    }
}

fn main() {
    if let Ok(spec) = std::env::var("CONNECTION_BENCH_ONCE") {
        run_once(&spec);
        return;
    }
    let (store, msg, now) = setup();
    report(&store, &msg, now);
    // Timing only makes sense in an optimised build: `cargo bench` passes `--bench`;
    // `cargo test --all-targets` (a debug build, each benchmark run once) does not.
    if std::env::args().any(|a| a == "--bench") {
        alternated(&store, &msg, now);
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &store, &msg, now);
    c.final_summary();
}
