// Shared by the conn_* fuzz targets (included with `include!`): a deterministic random
// source, a cheap credential store, plaintext machines, and a driver that feeds bytes in
// arbitrary splits and checks the machine's invariants.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rand_core::{CryptoRng, RngCore};
use xmpp_stream::connection::{
    Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::{Profile, TlsPolicy};

struct ConnRng(u64);

impl RngCore for ConnRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u64() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ConnRng {}

#[allow(dead_code)]
fn conn_profile() -> Arc<Profile> {
    let mut p = Profile::rfc6120();
    p.tls = TlsPolicy::Disabled;
    p.allow_plaintext_auth = true;
    p.keepalive_interval = Some(Duration::from_secs(30));
    p.idle_timeout = Some(Duration::from_secs(300));
    p.limits.max_stanza_bytes = 16 * 1024;
    Arc::new(p)
}

#[allow(dead_code)]
fn conn_store() -> Arc<xmpp_sasl::MemoryStore> {
    static STORE: OnceLock<Arc<xmpp_sasl::MemoryStore>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut s = xmpp_sasl::MemoryStore::new().with_domain("example.com");
            s.add_user("juliet", "r0m30", 1, &mut ConnRng(1))
                .expect("valid user");
            Arc::new(s)
        })
        .clone()
}

#[allow(dead_code)]
fn conn_receiver(kind: StreamKind, now: Instant) -> Connection {
    let auth = match kind {
        StreamKind::Component => ReceiverAuth::Components(vec![("c.example.com".into(), "s".into())]),
        _ => ReceiverAuth::Sasl(conn_store()),
    };
    Connection::receiver(
        ReceiverConfig {
            kind,
            domains: vec!["example.com".into()],
            tls: None,
            direct_tls: false,
            auth,
        },
        conn_profile(),
        Box::new(ConnRng(7)),
        now,
    )
    .expect("valid config")
}

#[allow(dead_code)]
fn conn_initiator(kind: StreamKind, now: Instant) -> Connection {
    let (to, from, auth) = match kind {
        StreamKind::Client => (
            "example.com",
            Some("juliet@example.com".to_owned()),
            InitiatorAuth::Sasl(xmpp_sasl::Credentials::password("juliet", "r0m30").expect("valid")),
        ),
        StreamKind::Server => (
            "example.com",
            Some("example.org".to_owned()),
            InitiatorAuth::Sasl(xmpp_sasl::Credentials::certificate()),
        ),
        StreamKind::Component => (
            "c.example.com",
            None,
            InitiatorAuth::ComponentSecret("s".into()),
        ),
    };
    Connection::initiator(
        InitiatorConfig {
            kind,
            to: to.into(),
            from,
            tls: None,
            direct_tls: false,
            auth,
            resource: Some("r".into()),
        },
        conn_profile(),
        Box::new(ConnRng(9)),
        now,
    )
    .expect("valid config")
}

#[allow(dead_code)]
/// Feeds `data` in chunks of `chunk` bytes (1..=256), answering bind requests, advancing
/// the clock, and checking invariants: no output or event after `Closed` (beyond the
/// events queued with it), bounded output.
fn conn_drive(conn: &mut Connection, data: &[u8], chunk: u8, t0: Instant) {
    let chunk = usize::from(chunk).max(1);
    let mut now = t0;
    let mut closed = false;
    for piece in data.chunks(chunk) {
        now += Duration::from_secs(1);
        conn.handle_input(now, piece);
        let mut out = 0usize;
        while let Some(b) = conn.poll_transmit() {
            out += b.len();
        }
        assert!(out <= piece.len() * 64 + 64 * 1024, "output out of proportion");
        while let Some(e) = conn.poll_event() {
            match e {
                Event::BindRequest { .. } => {
                    let r = conn.generate_resource();
                    let _ = conn.bind(xmpp_stream::bind::BindDecision::Accept(r));
                }
                Event::Closed(_) => {
                    assert!(!closed, "closed twice");
                    closed = true;
                }
                _ => {}
            }
        }
        // Answers given while handling events (bind results) produce output too.
        while conn.poll_transmit().is_some() {}
        if closed {
            assert!(conn.is_closed());
            conn.handle_input(now, piece);
            assert!(conn.poll_transmit().is_none(), "output after close");
            assert!(conn.poll_event().is_none(), "event after close");
        }
        if let Some(t) = conn.poll_timeout() {
            if t <= now + Duration::from_secs(5) {
                conn.handle_timeout(t);
            }
        }
    }
    if !closed {
        conn.close();
        let _ = conn.poll_transmit();
        conn.handle_timeout(now + Duration::from_secs(3600));
        while conn.poll_event().is_some() {}
        assert!(conn.is_closed());
    }
}
