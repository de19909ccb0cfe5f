//! Memory of XEP-0198 stream management, counted by a global allocator (live heap bytes, as
//! `xmpp-stream/tests/conn_memory.rs` counts them: the sizes asked of the allocator, not its
//! own overhead):
//!
//! - a live connection machine (c2s, plaintext, the test kit's pair) idle right after
//!   negotiation and after 20 chat messages each way, with stream management on (everything
//!   acknowledged) and off: the heap each machine keeps, before and after
//!   `release_buffers()`;
//! - the server core (`xmpp_server::Server`) with `SESSIONS` accounts (1,000 in a release
//!   build) each logged in through real machines (SCRAM, bind, `<enable resume='true'/>`,
//!   initial presence, which the server echoes and the client acknowledges): the core's heap
//!   per session while the sessions are live, once their streams dropped and the core parked
//!   them (empty queues), and with 10 messages of about 250 bytes queued for each parked
//!   session.
//!
//! The numbers are printed (run with `--nocapture`) and recorded in BENCHMARKS.md; the test
//! asserts only what must hold (everything parked, everything queued), no sizes.
//!
//! Run: `cargo test --release -p xmpp-benches --test sm_memory -- --nocapture --test-threads=1`
#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use xmpp_sasl::{MemoryStore, ScramCredentials, ScramHash};
use xmpp_server::{Action, Config, ConnectionId, Server};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{
    AuthMethod, Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::stream_management::{SmSession, SmSettings};
use xmpp_stream::testing::{
    ClientOpts, PASSWORD, TestRng, Transcript, client, plaintext_profile, plaintext_server, pump,
    rng, t0,
};
use xmpp_stream::xml::Element;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: `ptr` was allocated by `alloc` above with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The allocator counts every thread: the measuring tests run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

const DOMAIN: &str = "example.com";
/// Sessions logged in, then parked, in the core (the heap is divided by their number). Each
/// login runs PBKDF2 (4096 iterations) on the client, which a debug build (`cargo test
/// --workspace`) runs unoptimised: 100 there, to stay fast; the recorded numbers are from
/// `--release`.
const SESSIONS: usize = if cfg!(debug_assertions) { 100 } else { 1000 };
/// Messages queued for each parked session in the last step.
const QUEUED: usize = 10;
/// Messages each way before a live machine is measured.
const TRAFFIC: usize = 20;

const BODY: &str = "Parting is such sweet sorrow; good night till morrow.";

/// A chat message of about 200 bytes on the wire.
fn chat(from: Option<&str>, to: &str, id: usize) -> Element {
    let ns = "jabber:client";
    Element::builder("message", ns)
        .attr_opt("from", from.map(str::to_owned))
        .attr("to", to.to_owned())
        .attr("id", format!("b7e1c5a2-{id:04}"))
        .attr("type", "chat")
        .child(Element::builder("body", ns).text(BODY))
        .child(Element::builder(
            "active",
            "http://jabber.org/protocol/chatstates",
        ))
        .build()
}

/// Past the default ack policy's delay (30 s): the sender asks `<r/>` for what is left.
fn after_ack_delay() -> Instant {
    t0() + Duration::from_secs(31)
}

/// Lets due timers fire at `now` on both machines, then moves everything.
fn fire_timers(client: &mut Connection, server: &mut Connection, now: Instant) {
    for conn in [&mut *client, &mut *server] {
        if conn.poll_timeout().is_some_and(|t| t <= now) {
            conn.handle_timeout(now);
        }
    }
    pump(client, server, now, &mut Transcript::default());
}

/// The test kit's pair, negotiated, with stream management on both or neither, after
/// `traffic` chat messages each way (all acknowledged with stream management on). Returns
/// (client, server).
fn idle_pair(sm: bool, traffic: usize) -> (Connection, Connection) {
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    if sm {
        c.enable_stream_management(SmSettings::initiator())
            .expect("c2s");
        s.enable_stream_management(SmSettings::receiver())
            .expect("c2s");
    }
    let now = t0();
    pump(&mut c, &mut s, now, &mut Transcript::default());
    assert!(c.is_established() && s.is_established());
    for i in 0..traffic {
        c.send(&chat(None, "romeo@example.net/orchard", i))
            .expect("send");
        pump(&mut c, &mut s, now, &mut Transcript::default());
        s.send(&chat(
            Some("romeo@example.net/orchard"),
            "juliet@example.com/balcony",
            i,
        ))
        .expect("send");
        pump(&mut c, &mut s, now, &mut Transcript::default());
    }
    fire_timers(&mut c, &mut s, after_ack_delay());
    for conn in [&c, &s] {
        assert_eq!(conn.stream_management().is_some(), sm);
        if let Some(session) = conn.stream_management() {
            assert_eq!(session.unacked().len(), 0, "everything acknowledged");
        }
    }
    (c, s)
}

/// Which machine of a pair is measured: (kept, dropped).
type Pick = fn((Connection, Connection)) -> (Connection, Connection);

/// Heap kept by the machine `pick` chooses once the other (and everything else made on the
/// way) is dropped; and the same after `release_buffers()`.
fn machine_heap(sm: bool, traffic: usize, pick: Pick) -> (isize, isize) {
    let before = live();
    let (mut keep, other) = pick(idle_pair(sm, traffic));
    drop(other);
    let kept = live() - before;
    keep.release_buffers();
    let released = live() - before;
    drop(keep);
    (kept, released)
}

#[test]
fn stream_management_on_a_live_machine_is_measured() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Warm up lazily initialised statics (the test clock, the store's PBKDF2) first.
    drop(idle_pair(true, TRAFFIC));
    drop(idle_pair(false, TRAFFIC));
    println!(
        "size_of::<Connection>() = {} bytes (stream management lives behind a Box); \
         size_of::<SmSession>() = {} bytes; a queued stanza takes size_of::<Element>() + 8 = {} \
         bytes of the queue's ring buffer",
        size_of::<Connection>(),
        size_of::<SmSession>(),
        size_of::<Element>() + 8,
    );
    let server: Pick = |(c, s)| (s, c);
    let client: Pick = |(c, s)| (c, s);
    for (side, pick) in [
        ("server (receiver)", server),
        ("client (initiator)", client),
    ] {
        for traffic in [0, TRAFFIC] {
            let (off, off_released) = machine_heap(false, traffic, pick);
            let (on, on_released) = machine_heap(true, traffic, pick);
            println!(
                "idle c2s {side} after {traffic} messages each way, no TLS: heap without \
                 stream management {off} bytes ({off_released} after release_buffers), with \
                 it {on} bytes ({on_released}); stream management adds {} bytes ({})",
                on - off,
                on_released - off_released,
            );
            assert!(on > off);
        }
    }
}

/// The core and the credentials of its accounts.
struct Core {
    server: Server,
    store: Arc<MemoryStore>,
    now: SystemTime,
}

fn user(i: usize) -> String {
    format!("user{i}")
}

impl Core {
    /// A core hosting `SESSIONS` accounts `user0`, `user1`, .. (and `romeo`), with stream
    /// management (`SmSettings::receiver()`, its default), and the SCRAM credentials of all
    /// of them (one derivation per hash, shared: the test kit's password).
    fn new() -> Core {
        let mut store = MemoryStore::new().with_domain(DOMAIN);
        let mut r = TestRng(99);
        let credentials: Vec<ScramCredentials> = ScramHash::ALL
            .iter()
            .map(|&hash| ScramCredentials::generate(hash, PASSWORD, 4096, &mut r).expect("scram"))
            .collect();
        let mut server = Server::new(Config::new([DOMAIN]), rng(7));
        assert_eq!(
            server.config().stream_management,
            Some(SmSettings::receiver())
        );
        for name in (0..SESSIONS).map(user).chain(["romeo".to_owned()]) {
            for c in &credentials {
                store.insert_credentials(&name, c.clone()).expect("user");
            }
            server
                .add_account(&format!("{name}@{DOMAIN}").parse().expect("jid"))
                .expect("account");
        }
        Core {
            server,
            store: Arc::new(store),
            now: UNIX_EPOCH + Duration::from_secs(1_234_567_890),
        }
    }

    fn event(&mut self, conn: ConnectionId, event: Event) {
        self.server
            .handle_event(conn, event, self.now)
            .expect("open connection");
    }

    /// `user{i}` logs in through real machines (SCRAM, bind `balcony`, stream management
    /// with resumption), sends initial presence and acknowledges the server's echo of it.
    /// Returns the machines (client, server), settled, and the core's connection.
    fn login(&mut self, i: usize) -> (Connection, Connection, ConnectionId) {
        let profile = Arc::new(plaintext_profile());
        let name = user(i);
        let mut client = Connection::initiator(
            InitiatorConfig {
                kind: StreamKind::Client,
                to: DOMAIN.into(),
                from: Some(format!("{name}@{DOMAIN}")),
                tls: None,
                direct_tls: false,
                auth: InitiatorAuth::Sasl(
                    xmpp_sasl::Credentials::password(&name, PASSWORD).expect("credentials"),
                ),
                resource: Some("balcony".into()),
            },
            profile.clone(),
            rng(100_000 + i as u64),
            t0(),
        )
        .expect("initiator");
        client
            .enable_stream_management(SmSettings::initiator())
            .expect("c2s");
        // Each receiver draws its own stream and resumption ids.
        let mut server = Connection::receiver(
            ReceiverConfig {
                kind: StreamKind::Client,
                domains: vec![DOMAIN.into()],
                tls: None,
                direct_tls: false,
                auth: ReceiverAuth::Sasl(self.store.clone()),
            },
            profile,
            rng(200_000 + i as u64),
            t0(),
        )
        .expect("receiver");
        let sm = self.server.config().stream_management.expect("on");
        server.enable_stream_management(sm).expect("c2s");
        let conn = self.server.open_client();
        self.drive(&mut client, &mut server, conn, t0());
        assert!(client.is_established(), "{name} logged in");
        assert!(
            server.stream_management().is_some_and(|s| s.is_resumable()),
            "{name}: resumable"
        );
        client
            .send(&Element::builder("presence", "jabber:client").build())
            .expect("presence");
        self.drive(&mut client, &mut server, conn, t0());
        // The server asks `<r/>` after the delay; the client acknowledges the echo.
        if server
            .poll_timeout()
            .is_some_and(|t| t <= after_ack_delay())
        {
            server.handle_timeout(after_ack_delay());
        }
        self.drive(&mut client, &mut server, conn, after_ack_delay());
        let session = server.stream_management().expect("session");
        assert_eq!(
            session.unacked().len(),
            0,
            "{name}: the echo is acknowledged"
        );
        (client, server, conn)
    }

    /// Moves bytes, events and the core's actions until nothing moves.
    fn drive(
        &mut self,
        client: &mut Connection,
        server: &mut Connection,
        conn: ConnectionId,
        now: Instant,
    ) {
        for _ in 0..100 {
            let mut moved = false;
            if let Some(b) = client.poll_transmit() {
                server.handle_input(now, &b);
                moved = true;
            }
            while let Some(e) = server.poll_event() {
                self.event(conn, e);
                moved = true;
            }
            while let Some(action) = self.server.poll_action() {
                assert_eq!(action.conn(), conn, "{action:?}");
                match action {
                    Action::Send { stanza, .. } => server.send(&stanza).expect("send"),
                    Action::Bind { decision, .. } => server.bind(decision).expect("bind"),
                    Action::Resume { decision, .. } => server.resume(decision).expect("resume"),
                    other => panic!("{other:?}"),
                }
                moved = true;
            }
            if let Some(b) = server.poll_transmit() {
                client.handle_input(now, &b);
                moved = true;
            }
            while client.poll_event().is_some() {
                moved = true;
            }
            if !moved {
                return;
            }
        }
        panic!("never settled");
    }

    /// romeo, online through synthetic events (no machine): authenticated and bound.
    fn romeo(&mut self) -> ConnectionId {
        let conn = self.server.open_client();
        self.event(
            conn,
            Event::Authenticated {
                mechanism: AuthMethod::from_sasl_name("SCRAM-SHA-1"),
                identity: format!("romeo@{DOMAIN}"),
            },
        );
        self.event(
            conn,
            Event::BindRequest {
                resource: Some("orchard".into()),
            },
        );
        let actions: Vec<Action> = std::iter::from_fn(|| self.server.poll_action()).collect();
        assert!(
            actions.iter().any(|a| matches!(
                a,
                Action::Bind {
                    decision: BindDecision::Accept(_),
                    ..
                }
            )),
            "{actions:?}"
        );
        conn
    }
}

#[test]
fn parked_sessions_in_the_core_are_measured() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _ = t0();

    // Live sessions: every account logged in; the machines are dropped without telling the
    // core, which keeps each session as while its stream runs.
    let mut core = Core::new();
    let _romeo = core.romeo();
    drop(core.login(0));
    let base = live();
    for i in 1..SESSIONS {
        drop(core.login(i));
    }
    let live_sessions = SESSIONS - 1;
    let per_live = (live() - base) as f64 / live_sessions as f64;
    assert_eq!(core.server.bound_resources(), SESSIONS + 1);
    drop(core);

    // Parked sessions: a second core, the same logins; each stream then drops (the server
    // machine sees the transport end: `Detached`, then `Closed(TransportClosed)`) and the core
    // parks the session.
    let mut core = Core::new();
    let romeo = core.romeo();
    drop(core.login(0));
    let base = live();
    let mut conns = Vec::with_capacity(SESSIONS);
    for i in 1..SESSIONS {
        let (client, mut server, conn) = core.login(i);
        drop(client);
        server.handle_eof(after_ack_delay());
        let mut detached = false;
        while let Some(e) = server.poll_event() {
            detached |= matches!(e, Event::Detached(_));
            core.event(conn, e);
        }
        assert!(detached);
        assert!(core.server.poll_action().is_none());
        conns.push(conn);
    }
    let parked = core.server.parked_sessions();
    assert_eq!(parked, SESSIONS - 1);
    let per_parked = (live() - base - (conns.capacity() * size_of::<ConnectionId>()) as isize)
        as f64
        / parked as f64;
    assert_eq!(
        core.server.bound_resources(),
        SESSIONS + 1,
        "resources stay"
    );

    // Queued: romeo sends each parked session `QUEUED` messages, read from bytes as a machine
    // hands them over (the core stamps `from`).
    let before = live();
    for i in 1..SESSIONS {
        let to = format!("{}@{DOMAIN}/balcony", user(i));
        for k in 0..QUEUED {
            let xml = chat(None, &to, k).to_xml().expect("xml");
            let el = Element::parse(xml.as_bytes()).expect("parse");
            core.event(romeo, Event::Stanza(el));
        }
        assert!(core.server.poll_action().is_none(), "queued, not sent");
    }
    let per_queued = (live() - before) as f64 / parked as f64;
    let sample = chat(
        Some("romeo@example.com/orchard"),
        "user1@example.com/balcony",
        0,
    )
    .to_xml()
    .expect("xml");
    assert_eq!(core.server.parked_sessions(), parked);

    println!(
        "server core, {live_sessions} live c2s sessions with stream management (bound, \
         available, resumable): {per_live:.0} bytes per session"
    );
    println!(
        "server core, {parked} parked sessions (empty queue): {per_parked:.0} bytes per session"
    );
    println!(
        "server core, {QUEUED} messages of {} bytes on the wire queued per parked session: \
         {per_queued:.0} bytes more per session ({:.0} per message), {:.0} bytes per session \
         in all",
        sample.len(),
        per_queued / QUEUED as f64,
        per_parked + per_queued,
    );
    assert!(per_parked > 0.0 && per_queued > 0.0);
}
