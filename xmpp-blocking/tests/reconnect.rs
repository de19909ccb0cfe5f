//! Liveness and reconnection of the blocking `Session` against `ImServer`, through a TCP proxy
//! the tests control: cutting the link (both sockets shut down), black-holing it (bytes
//! vanish, sockets stay open), refusing new links ("server down"), or pointing new links at
//! another server. Every wait is bounded in time and every loop in count; nothing asserts a
//! duration, only orders and counts.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use xmpp_blocking::session::{
    Backoff, DisconnectReason, Liveness, Reconnect, Session, SessionConfig, SessionEvent,
};
use xmpp_blocking::xmpp_server::Config;
use xmpp_blocking::{Client, ClientConfig, ImServer, ServerConfig, ServerHandle, Trust};
use xmpp_im::client::SubscriptionRequest;
use xmpp_interop::scenarios::{self, Target};
use xmpp_jid::{BareJid, Jid};
use xmpp_stanza::roster::{RosterItem, RosterQuery};
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{Iq, Message, Presence, PresenceType, Show};
use xmpp_stream::connection::{CloseReason, LoginError};
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::TestPki;

/// The bound on every wait for one event.
const STEP: Duration = Duration::from_secs(10);
/// The most events any loop of these tests looks at.
const MAX_EVENTS: usize = 200;

/// A TCP proxy in front of a server, on threads.
struct Proxy {
    addr: SocketAddr,
    shared: Arc<ProxyShared>,
}

struct ProxyShared {
    upstream: Mutex<SocketAddr>,
    /// New links are accepted and dropped at once.
    down: AtomicBool,
    /// Links accepted so far (dropped ones included).
    accepted: AtomicUsize,
    /// The proxy stops accepting.
    stopped: AtomicBool,
    links: Mutex<Vec<ProxiedLink>>,
}

/// One proxied connection: both sockets (to shut them down) and whether its bytes vanish.
struct ProxiedLink {
    sockets: [TcpStream; 2],
    black_hole: Arc<AtomicBool>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(ProxyShared {
            upstream: Mutex::new(upstream),
            down: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            links: Mutex::new(Vec::new()),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || accept_loop(&listener, &accepting));
        Proxy { addr, shared }
    }

    /// Shuts both sockets of every current link down.
    fn cut(&self) {
        for link in self.shared.links.lock().unwrap().drain(..) {
            for socket in &link.sockets {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
    }

    /// Every current link stops carrying bytes, both ways, with its sockets left open.
    fn black_hole(&self) {
        for link in self.shared.links.lock().unwrap().iter() {
            link.black_hole.store(true, Ordering::SeqCst);
        }
    }

    fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    fn set_upstream(&self, upstream: SocketAddr) {
        *self.shared.upstream.lock().unwrap() = upstream;
    }

    fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stopped`.
        let _ = TcpStream::connect(self.addr);
        self.cut();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<ProxyShared>) {
    for client in listener.incoming() {
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if shared.down.load(Ordering::SeqCst) {
            continue;
        }
        let upstream = *shared.upstream.lock().unwrap();
        let Ok(server) = TcpStream::connect(upstream) else {
            continue;
        };
        let (Ok(client_reader), Ok(server_reader)) = (client.try_clone(), server.try_clone())
        else {
            continue;
        };
        let black_hole = Arc::new(AtomicBool::new(false));
        let (Ok(client_writer), Ok(server_writer)) = (client.try_clone(), server.try_clone())
        else {
            continue;
        };
        let hole = black_hole.clone();
        std::thread::spawn(move || pump(client_reader, server_writer, &hole));
        let hole = black_hole.clone();
        std::thread::spawn(move || pump(server_reader, client_writer, &hole));
        shared.links.lock().unwrap().push(ProxiedLink {
            sockets: [client, server],
            black_hole,
        });
    }
}

/// Copies bytes until either side ends; in a black hole, reads and drops.
fn pump(mut from: TcpStream, mut to: TcpStream, black_hole: &AtomicBool) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if black_hole.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// A server with `credentials` (stopped on drop) and the client configuration that reaches
/// it directly.
fn server_with(
    pki: &TestPki,
    credentials: Arc<xmpp_sasl::MemoryStore>,
) -> (ServerHandle, ClientConfig) {
    let mut config = ServerConfig::new(
        Config::new([scenarios::DOMAIN]),
        Arc::new(Profile::rfc6120()),
        Some(pki.server_config()),
        credentials,
    );
    config.accounts = scenarios::accounts();
    let server = ImServer::bind("127.0.0.1:0", config)
        .unwrap()
        .bind_components("127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let target = Target::new(
        server.local_addr(),
        server.component_addrs()[0],
        &Trust::certificates(vec![pki.ca.clone()]),
    );
    (server, unmanaged(target.client))
}

/// `config`, through the proxy.
fn via(config: &ClientConfig, proxy: &Proxy) -> ClientConfig {
    config.clone().with_server("127.0.0.1", proxy.addr.port())
}

/// Without stream management: these tests are about binding anew and resynchronising
/// (resumption is in `tests/stream_management.rs`).
fn unmanaged(mut config: ClientConfig) -> ClientConfig {
    config.stream_management = None;
    config
}

fn bare(user: &str) -> BareJid {
    format!("{user}@{}", scenarios::DOMAIN).parse().unwrap()
}

/// Quick attempts for tests: 20 ms growing to 200 ms, with jitter.
fn quick_reconnect() -> SessionConfig {
    SessionConfig {
        reconnect: Some(Reconnect {
            backoff: Backoff {
                initial: Duration::from_millis(20),
                max: Duration::from_millis(200),
                ..Backoff::default()
            },
            max_attempts: Some(50),
            ..Reconnect::default()
        }),
        ..SessionConfig::default()
    }
}

fn next(session: &mut Session) -> SessionEvent {
    session
        .next_event(Some(STEP))
        .unwrap()
        .expect("an event in time")
}

/// Events until one `pick` takes; the ones before are returned too.
fn until<T>(
    session: &mut Session,
    mut pick: impl FnMut(&SessionEvent) -> Option<T>,
) -> (T, Vec<SessionEvent>) {
    let mut skipped = Vec::new();
    for _ in 0..MAX_EVENTS {
        let event = next(session);
        match pick(&event) {
            Some(found) => return (found, skipped),
            None => skipped.push(event),
        }
    }
    panic!("nothing picked among {MAX_EVENTS} events: {skipped:?}");
}

fn online(session: &mut Session) -> usize {
    until(session, |e| match e {
        SessionEvent::Online { roster_items } => Some(*roster_items),
        _ => None,
    })
    .0
}

fn login(user: &str, config: &ClientConfig, session: SessionConfig) -> Session {
    let mut s =
        Session::connect_with_config(&bare(user), scenarios::PASSWORD, config, session).unwrap();
    online(&mut s);
    s
}

fn from_alice(p: &Presence) -> bool {
    p.from.as_ref().map(Jid::to_bare) == Some(bare("alice"))
}

/// The whole resynchronisation: a cut link comes back by itself, the roster is fetched with
/// its version (the server then sends no items), the application's own presence (not a
/// default one) reaches a subscribed contact again, messages flow both ways on the new link,
/// and closing makes no further connection.
#[test]
fn a_cut_link_reconnects_resynchronises_and_carries_messages() {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let (_server, direct) = server_with(&pki, scenarios::credentials());
    let proxy = Proxy::start(upstream(&direct));
    let mut bob = login("bob", &direct, SessionConfig::default());
    let mut alice = login("alice", &via(&direct, &proxy), quick_reconnect());

    // Alice's roster gets Bob (a version with one item); Bob subscribes and she approves.
    let set = RosterQuery {
        ver: None,
        items: vec![RosterItem::new(bare("bob").into())],
    };
    assert_eq!(alice.request(Iq::set(None, "", set), STEP), Ok(None));
    bob.subscription(SubscriptionRequest::subscribe(bare("alice")))
        .unwrap();
    until(&mut alice, |e| match e {
        SessionEvent::SubscriptionRequested { from, .. } if *from == bare("bob") => Some(()),
        _ => None,
    });
    alice
        .subscription(SubscriptionRequest::approve(bare("bob")))
        .unwrap();
    until(&mut bob, |e| match e {
        SessionEvent::Subscription(p) if p.kind == PresenceType::Subscribed => Some(()),
        _ => None,
    });
    // Alice's own presence: away, with a status of her own.
    let mut away = Presence::available();
    away.show = Some(Show::Away);
    away.statuses.set(None, "in the garden");
    alice.send(away).unwrap();
    until(&mut bob, |e| match e {
        SessionEvent::PresenceChanged(p) if from_alice(p) && p.show == Some(Show::Away) => Some(()),
        _ => None,
    });

    let before_cut = proxy.accepted();
    proxy.cut();
    let ((attempt, reason), _) = until(&mut alice, |e| match e {
        SessionEvent::Reconnecting {
            attempt, reason, ..
        } => Some((*attempt, reason.clone())),
        _ => None,
    });
    assert_eq!(attempt, 1);
    assert_eq!(
        reason,
        DisconnectReason::Stream(CloseReason::TransportClosed)
    );
    let (jid, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Reconnected { jid, .. } => Some(jid.clone()),
        _ => None,
    });
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(jid.to_bare(), bare("alice"));
    assert_eq!(alice.jid(), &jid);
    // The roster get carried the cached version: the server had nothing new to send,
    // although Alice's roster holds Bob.
    assert_eq!(online(&mut alice), 0);

    // Bob sees the new link's presence: Alice's own (not a plain one). (The old link's
    // session may stay parked on the server for XEP-0198 resumption, its resource held.)
    let new_link = Jid::from(jid.clone());
    let (status, _) = until(&mut bob, |e| match e {
        SessionEvent::PresenceChanged(p)
            if p.from.as_ref() == Some(&new_link) && p.kind == PresenceType::Available =>
        {
            Some((p.show, p.statuses.first().map(str::to_owned)))
        }
        _ => None,
    });
    assert_eq!(status, (Some(Show::Away), Some("in the garden".to_owned())));

    // Messages after the reconnection arrive, both ways (to the new link's full JID: a
    // parked old session would take its share of messages to the bare JID).
    bob.send(Message::chat(new_link, "are you back?")).unwrap();
    let (body, _) = until(&mut alice, |e| match e {
        SessionEvent::Message(m) => m.body().map(str::to_owned),
        _ => None,
    });
    assert_eq!(body, "are you back?");
    alice.send_chat(&bare("bob"), "I am").unwrap();
    let (body, _) = until(&mut bob, |e| match e {
        SessionEvent::Message(m) => m.body().map(str::to_owned),
        _ => None,
    });
    assert_eq!(body, "I am");
    assert_eq!(proxy.accepted(), before_cut + 1, "one attempt was enough");

    // Closing is the end: the session is gone, and it made no connection since.
    alice.close().unwrap();
    assert_eq!(proxy.accepted(), before_cut + 1);
    bob.close().unwrap();
}

/// The server is unreachable for a while: the attempts are counted one by one, each
/// announced with its delay (never above the cap), until the server is back.
#[test]
fn a_server_down_for_a_while_costs_attempts_then_the_session_comes_back() {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let (_server, direct) = server_with(&pki, scenarios::credentials());
    let proxy = Proxy::start(upstream(&direct));
    let config = quick_reconnect();
    let cap = config.reconnect.unwrap().backoff.max;
    let mut alice = login("alice", &via(&direct, &proxy), config);

    proxy.set_down(true);
    proxy.cut();
    let mut attempts = Vec::new();
    let mut reasons = Vec::new();
    let mut seen = 0;
    let reconnected = loop {
        seen += 1;
        assert!(seen < MAX_EVENTS, "{attempts:?}");
        match next(&mut alice) {
            SessionEvent::Reconnecting {
                attempt,
                delay,
                reason,
            } => {
                assert!(delay <= cap, "{delay:?} above the cap");
                attempts.push(attempt);
                reasons.push(reason);
                // Three failed attempts observed: the server comes back.
                if attempts.len() == 3 {
                    proxy.set_down(false);
                }
            }
            SessionEvent::Reconnected { attempt, .. } => break attempt,
            SessionEvent::Disconnected(reason) => panic!("gave up: {reason:?}"),
            // The old link's last events (its own presence reflected).
            _ => {}
        }
    };
    let expected: Vec<u32> = (1..=reconnected).collect();
    assert_eq!(attempts, expected, "one event per attempt, counted up");
    assert!(reconnected >= 3);
    assert_eq!(
        reasons[0],
        DisconnectReason::Stream(CloseReason::TransportClosed)
    );
    for reason in &reasons[1..] {
        assert!(
            matches!(
                reason,
                DisconnectReason::Login(LoginError::Closed) | DisconnectReason::ConnectFailed(_)
            ),
            "{reason:?}"
        );
    }
    online(&mut alice);
    let domain = scenarios::DOMAIN.parse().unwrap();
    assert_eq!(
        alice.request(Iq::get(Some(domain), "", Ping), STEP),
        Ok(None)
    );
    alice.close().unwrap();
}

/// The password changed while the link was down: the attempt is refused, and that ends the
/// session with the typed login error, without another attempt.
#[test]
fn a_password_changed_during_the_outage_ends_the_session_without_retrying() {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let (_server, direct) = server_with(&pki, scenarios::credentials());
    let mut changed = xmpp_sasl::MemoryStore::new().with_domain(scenarios::DOMAIN);
    changed
        .add_user("alice", "a new password", 4096, &mut rand_core::OsRng)
        .unwrap();
    let (_other, other) = server_with(&pki, Arc::new(changed));
    let proxy = Proxy::start(upstream(&direct));
    let mut alice = login("alice", &via(&direct, &proxy), quick_reconnect());

    proxy.set_upstream(upstream(&other));
    proxy.cut();
    let (reason, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    });
    assert!(
        matches!(reason, DisconnectReason::Login(LoginError::Auth { .. })),
        "{reason:?}"
    );
    let attempts: Vec<_> = skipped
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Reconnecting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1], "one attempt, no loop");
    assert!(matches!(
        alice.next_event(Some(STEP)),
        Err(xmpp_blocking::Error::Closed(_))
    ));
    assert!(matches!(
        alice.send_chat(&bare("bob"), "late"),
        Err(xmpp_blocking::Error::Closed(_))
    ));
    assert_eq!(proxy.accepted(), 2, "the first link and the one attempt");
}

/// A link that silently stops carrying bytes (sockets open) is found dead by the liveness
/// ping and replaced.
#[test]
fn a_black_holed_link_is_found_dead_by_liveness_and_replaced() {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let (_server, direct) = server_with(&pki, scenarios::credentials());
    let proxy = Proxy::start(upstream(&direct));
    let config = SessionConfig {
        // Short, yet long enough for a loaded machine to answer the login's roster get.
        liveness: Some(Liveness {
            ping_after_quiet: Duration::from_secs(1),
            ping_timeout: Duration::from_secs(1),
        }),
        ..quick_reconnect()
    };
    let mut alice = login("alice", &via(&direct, &proxy), config);

    proxy.black_hole();
    let (reason, _) = until(&mut alice, |e| match e {
        SessionEvent::Reconnecting { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        matches!(reason, DisconnectReason::Unresponsive { .. }),
        "{reason:?}"
    );
    until(&mut alice, |e| {
        matches!(e, SessionEvent::Reconnected { .. }).then_some(())
    });
    online(&mut alice);
    alice.close().unwrap();
}

/// A session started from a connected `Client` has no credentials: a lost link ends it.
#[test]
fn a_session_started_from_a_client_does_not_reconnect() {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let (_server, direct) = server_with(&pki, scenarios::credentials());
    let proxy = Proxy::start(upstream(&direct));
    let client =
        Client::connect(&bare("alice"), scenarios::PASSWORD, &via(&direct, &proxy)).unwrap();
    let mut alice = Session::start(client);
    online(&mut alice);
    proxy.cut();
    let (reason, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        reason,
        DisconnectReason::Stream(CloseReason::TransportClosed)
    );
    assert!(
        !skipped
            .iter()
            .any(|e| matches!(e, SessionEvent::Reconnecting { .. })),
        "{skipped:?}"
    );
    assert!(matches!(
        alice.next_event(Some(STEP)),
        Err(xmpp_blocking::Error::Closed(_))
    ));
    assert_eq!(proxy.accepted(), 1);
}

/// Where a direct client configuration connects.
fn upstream(direct: &ClientConfig) -> SocketAddr {
    let (host, port) = direct.server.clone().expect("the target names the server");
    SocketAddr::new(host.parse().expect("an IP literal"), port)
}
