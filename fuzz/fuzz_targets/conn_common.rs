// Shared by the conn_* fuzz targets (included with `include!`): the fuzz credentials
// (common/store.rs), plaintext machines, and a driver that feeds bytes in arbitrary
// splits and checks the machine's invariants. The random source, the clock and the plaintext
// profile are xmpp-stream's test kit (`xmpp_stream::testing`).

use std::sync::Arc;
use std::time::Duration;

use xmpp_stream::connection::{
    Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::{Clock, plaintext_profile, rng, t0};

include!("common/store.rs");

/// The kit's plaintext profile (no TLS, PLAIN allowed) with the RFC 6120 preset's legacy
/// session (the seeds were written against it), keepalives, an idle timeout and a small
/// stanza limit.
#[allow(dead_code)]
fn conn_profile() -> Arc<Profile> {
    let mut p = plaintext_profile();
    p.legacy_session = Profile::rfc6120().legacy_session;
    p.keepalive_interval = Some(Duration::from_secs(30));
    p.idle_timeout = Some(Duration::from_secs(300));
    p.limits.max_stanza_bytes = 16 * 1024;
    Arc::new(p)
}

/// A receiver for example.com (c.example.com's secret `s` for components), random seed 7,
/// made at the kit's [`t0`].
#[allow(dead_code)]
fn conn_receiver(kind: StreamKind) -> Connection {
    let auth = match kind {
        StreamKind::Component => ReceiverAuth::Components(vec![("c.example.com".into(), "s".into())]),
        _ => ReceiverAuth::Sasl(juliet_store()),
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
        rng(7),
        t0(),
    )
    .expect("valid config")
}

/// An initiator: juliet (c2s), example.org with EXTERNAL (s2s) or c.example.com (component),
/// random seed 9, made at the kit's [`t0`].
#[allow(dead_code)]
fn conn_initiator(kind: StreamKind) -> Connection {
    let (to, from, auth) = match kind {
        StreamKind::Client => (
            "example.com",
            Some("juliet@example.com".to_owned()),
            InitiatorAuth::Sasl(
                xmpp_sasl::Credentials::password("juliet", FUZZ_PASSWORD).expect("valid"),
            ),
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
        rng(9),
        t0(),
    )
    .expect("valid config")
}

/// The first two bytes of a conn_receiver/conn_initiator input choose the machine: the
/// selector's stream kind (% 8: 0-5 c2s, 6 s2s, 7 component) and, for c2s, how many of the
/// three valid prefix `stages` precede the rest of the input (`(selector / 8) % 4`).
/// Returns the kind and the input to feed.
#[allow(dead_code)]
fn conn_input(selector: u8, stages: [&[&[u8]]; 3], rest: &[u8]) -> (StreamKind, Vec<u8>) {
    let kind = match selector % 8 {
        6 => StreamKind::Server,
        7 => StreamKind::Component,
        _ => StreamKind::Client,
    };
    let mut input = Vec::new();
    if kind == StreamKind::Client {
        let stage = usize::from((selector / 8) % 4);
        for parts in &stages[..stage] {
            for part in *parts {
                input.extend_from_slice(part);
            }
        }
    }
    input.extend_from_slice(rest);
    (kind, input)
}

#[allow(dead_code)]
/// Feeds `data` in chunks of `chunk` bytes (1..=256), answering bind requests, advancing
/// a fake clock (from the kit's [`t0`]), and checking invariants: no output or event after
/// `Closed` (beyond the events queued with it), bounded output.
fn conn_drive(conn: &mut Connection, data: &[u8], chunk: u8) {
    let chunk = usize::from(chunk).max(1);
    let mut clock = Clock::new();
    let mut closed = false;
    for piece in data.chunks(chunk) {
        let now = clock.advance(Duration::from_secs(1));
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
        conn.handle_timeout(clock.now() + Duration::from_secs(3600));
        while conn.poll_event().is_some() {}
        assert!(conn.is_closed());
    }
}
