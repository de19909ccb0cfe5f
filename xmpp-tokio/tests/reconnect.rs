//! Liveness and reconnection of `Session` against `serve_im`, through a TCP proxy the tests
//! control: cutting the link (both sockets dropped), black-holing it (bytes vanish, sockets
//! stay open), refusing new links ("server down"), or pointing new links at another server.
//! Every wait is bounded in time and every loop in count; nothing asserts a duration, only
//! orders and counts.

#[path = "../examples/common/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use xmpp_im::client::SubscriptionRequest;
use xmpp_interop::scenarios;
use xmpp_stanza::roster::{RosterItem, RosterQuery};
use xmpp_stanza::{Iq, Message, Presence, PresenceType, Show};
use xmpp_stream::connection::{CloseReason, LoginError};
use xmpp_tokio::session::{
    Backoff, DisconnectReason, Liveness, Reconnect, Session, SessionConfig, SessionEvent,
};
use xmpp_tokio::xmpp_server::Config;
use xmpp_tokio::{
    BareJid, Client, ClientConfig, ImServer, ImServerConfig, Jid, MemoryStore, OsRng,
};

/// The bound on every wait for one event.
const STEP: Duration = Duration::from_secs(10);
/// The most events any loop of these tests looks at.
const MAX_EVENTS: usize = 200;

/// A TCP proxy in front of a server.
struct Proxy {
    addr: SocketAddr,
    shared: Arc<ProxyShared>,
    accept: JoinHandle<()>,
}

struct ProxyShared {
    upstream: Mutex<SocketAddr>,
    /// New links are accepted and dropped at once.
    down: AtomicBool,
    /// Links accepted so far (dropped ones included).
    accepted: AtomicUsize,
    links: Mutex<Vec<ProxiedLink>>,
}

/// One proxied connection: its two pumps and whether its bytes vanish.
struct ProxiedLink {
    pumps: [JoinHandle<()>; 2],
    black_hole: Arc<AtomicBool>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(ProxyShared {
            upstream: Mutex::new(upstream),
            down: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            links: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Proxy {
            addr,
            shared,
            accept,
        }
    }

    /// Drops both sockets of every current link.
    fn cut(&self) {
        for link in self.shared.links.lock().unwrap().drain(..) {
            for pump in link.pumps {
                pump.abort();
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
        self.accept.abort();
        self.cut();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<ProxyShared>) {
    while let Ok((client, _)) = listener.accept().await {
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if shared.down.load(Ordering::SeqCst) {
            continue;
        }
        let upstream = *shared.upstream.lock().unwrap();
        let Ok(server) = TcpStream::connect(upstream).await else {
            continue;
        };
        let black_hole = Arc::new(AtomicBool::new(false));
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let pumps = [
            tokio::spawn(pump(client_read, server_write, black_hole.clone())),
            tokio::spawn(pump(server_read, client_write, black_hole.clone())),
        ];
        shared
            .links
            .lock()
            .unwrap()
            .push(ProxiedLink { pumps, black_hole });
    }
}

/// Copies bytes from `from` to `to` until either side ends; in a black hole, reads and drops.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    black_hole: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if black_hole.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A server with the scenarios' accounts (or with `credentials`), its TLS material shared by
/// every server of a test so that one client configuration trusts them all.
async fn server_with(
    material: &tls::TlsMaterial,
    credentials: Arc<MemoryStore>,
) -> (ImServer, SocketAddr) {
    let mut config = ImServerConfig::new(
        Config::new([scenarios::DOMAIN]),
        Some((
            material.server_config().unwrap(),
            Some(material.cert.clone()),
        )),
        credentials,
    );
    config.accounts = scenarios::accounts();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = xmpp_tokio::serve_im([listener], [], config).unwrap();
    let addr = server.client_addrs()[0];
    (server, addr)
}

/// Without stream management: these tests are about binding anew and resynchronising
/// (`tests/stream_management.rs` is about resuming).
fn client_config(material: &tls::TlsMaterial, addr: SocketAddr) -> ClientConfig {
    let mut config =
        ClientConfig::new(material.client_config().unwrap()).with_server("127.0.0.1", addr.port());
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

async fn next(session: &mut Session) -> SessionEvent {
    tokio::time::timeout(STEP, session.events.recv())
        .await
        .expect("an event in time")
        .expect("the session is running")
}

/// Events until one `pick` takes; the ones before are returned too.
async fn until<T>(
    session: &mut Session,
    mut pick: impl FnMut(&SessionEvent) -> Option<T>,
) -> (T, Vec<SessionEvent>) {
    let mut skipped = Vec::new();
    for _ in 0..MAX_EVENTS {
        let event = next(session).await;
        match pick(&event) {
            Some(found) => return (found, skipped),
            None => skipped.push(event),
        }
    }
    panic!("nothing picked among {MAX_EVENTS} events: {skipped:?}");
}

async fn online(session: &mut Session) -> usize {
    until(session, |e| match e {
        SessionEvent::Online { roster_items } => Some(*roster_items),
        _ => None,
    })
    .await
    .0
}

async fn login(user: &str, config: &ClientConfig, session: SessionConfig) -> Session {
    let mut s = Session::connect_with_config(&bare(user), scenarios::PASSWORD, config, session)
        .await
        .unwrap();
    online(&mut s).await;
    s
}

/// The events after the session's last one: none may come, and the channel ends.
async fn assert_ended(session: &mut Session) {
    let rest = tokio::time::timeout(STEP, session.events.recv())
        .await
        .expect("the channel ends in time");
    assert_eq!(rest, None, "Disconnected is the last event");
}

/// The whole resynchronisation: a cut link comes back by itself, the roster is fetched with
/// its version (the server then sends no items), the application's own presence (not a
/// default one) reaches a subscribed contact again, messages flow both ways on the new link,
/// and closing the session makes no further connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_link_reconnects_resynchronises_and_carries_messages() {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let (server, server_addr) = server_with(&material, scenarios::credentials()).await;
    let proxy = Proxy::start(server_addr).await;
    let mut bob = login(
        "bob",
        &client_config(&material, server_addr),
        SessionConfig::default(),
    )
    .await;
    let mut alice = login(
        "alice",
        &client_config(&material, proxy.addr),
        quick_reconnect(),
    )
    .await;

    // Alice's roster gets Bob (a version with one item); Bob subscribes and she approves.
    let set = RosterQuery {
        ver: None,
        items: vec![RosterItem::new(bare("bob").into())],
    };
    assert_eq!(alice.handle.request(Iq::set(None, "", set)).await, Ok(None));
    bob.handle
        .subscription(SubscriptionRequest::subscribe(bare("alice")))
        .await
        .unwrap();
    until(&mut alice, |e| match e {
        SessionEvent::SubscriptionRequested { from, .. } if *from == bare("bob") => Some(()),
        _ => None,
    })
    .await;
    alice
        .handle
        .subscription(SubscriptionRequest::approve(bare("bob")))
        .await
        .unwrap();
    until(&mut bob, |e| match e {
        SessionEvent::Subscription(p) if p.kind == PresenceType::Subscribed => Some(()),
        _ => None,
    })
    .await;
    // Alice's own presence: away, with a status of her own.
    let mut away = Presence::available();
    away.show = Some(Show::Away);
    away.statuses.set(None, "in the garden");
    alice.handle.send(away).await.unwrap();
    let is_alice_away = |e: &SessionEvent| match e {
        SessionEvent::PresenceChanged(p)
            if p.from.as_ref().map(Jid::to_bare) == Some(bare("alice"))
                && p.show == Some(Show::Away) =>
        {
            Some(())
        }
        _ => None,
    };
    until(&mut bob, is_alice_away).await;
    // The roster push of the approval came before the presence that followed it.
    let (pushed, _) = until(&mut alice, |e| match e {
        SessionEvent::RosterPushed(jid) => Some(jid.clone()),
        _ => None,
    })
    .await;
    assert_eq!(pushed, bare("bob"));

    let before_cut = proxy.accepted();
    proxy.cut();
    let (attempt, _) = until(&mut alice, |e| match e {
        SessionEvent::Reconnecting {
            attempt, reason, ..
        } => Some((*attempt, reason.clone())),
        _ => None,
    })
    .await;
    assert_eq!(attempt.0, 1);
    assert_eq!(
        attempt.1,
        DisconnectReason::Stream(CloseReason::TransportClosed)
    );
    let (jid, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Reconnected { jid, .. } => Some(jid.clone()),
        _ => None,
    })
    .await;
    assert!(
        skipped
            .iter()
            .all(|e| matches!(e, SessionEvent::Reconnecting { .. })),
        "{skipped:?}"
    );
    assert_eq!(jid.to_bare(), bare("alice"));
    // The roster get carried the cached version: the server had nothing new to send,
    // although Alice's roster holds Bob.
    assert_eq!(online(&mut alice).await, 0);

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
    })
    .await;
    assert_eq!(status, (Some(Show::Away), Some("in the garden".to_owned())));

    // Messages after the reconnection arrive, both ways (to the new link's full JID: a
    // parked old session would take its share of messages to the bare JID).
    bob.handle
        .send(Message::chat(new_link, "are you back?"))
        .await
        .unwrap();
    let (body, _) = until(&mut alice, |e| match e {
        SessionEvent::Message(m) => m.body().map(str::to_owned),
        _ => None,
    })
    .await;
    assert_eq!(body, "are you back?");
    alice.handle.send_chat(&bare("bob"), "I am").await.unwrap();
    let (body, _) = until(&mut bob, |e| match e {
        SessionEvent::Message(m) => m.body().map(str::to_owned),
        _ => None,
    })
    .await;
    assert_eq!(body, "I am");
    assert_eq!(proxy.accepted(), before_cut + 1, "one attempt was enough");

    // Closing is the end: no reconnection after it.
    alice.handle.close().await.unwrap();
    let (reason, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        !skipped
            .iter()
            .any(|e| matches!(e, SessionEvent::Reconnecting { .. })),
        "{skipped:?}"
    );
    assert!(
        matches!(
            reason,
            DisconnectReason::Stream(CloseReason::Graceful | CloseReason::CloseTimeout)
        ),
        "{reason:?}"
    );
    assert_ended(&mut alice).await;
    assert_eq!(
        proxy.accepted(),
        before_cut + 1,
        "no connection after the close"
    );
    bob.handle.close().await.unwrap();
    server.shutdown().await;
}

/// The server is unreachable for a while: the attempts are counted one by one, each
/// announced with its delay (never above the cap), until the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_down_for_a_while_costs_attempts_then_the_session_comes_back() {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let (server, server_addr) = server_with(&material, scenarios::credentials()).await;
    let proxy = Proxy::start(server_addr).await;
    let config = quick_reconnect();
    let cap = config.reconnect.unwrap().backoff.max;
    let mut alice = login("alice", &client_config(&material, proxy.addr), config).await;

    proxy.set_down(true);
    proxy.cut();
    let mut attempts = Vec::new();
    let mut reasons = Vec::new();
    let mut seen = 0;
    let reconnected = loop {
        seen += 1;
        assert!(seen < MAX_EVENTS, "{attempts:?}");
        match next(&mut alice).await {
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
    // The first was the cut, the later ones failed attempts (accepted, then dropped).
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
    online(&mut alice).await;
    // The new link works.
    let domain: xmpp_tokio::Jid = scenarios::DOMAIN.parse().unwrap();
    assert_eq!(
        alice
            .handle
            .request(Iq::get(Some(domain), "", xmpp_stanza::xep::ping::Ping))
            .await,
        Ok(None)
    );
    alice.handle.close().await.unwrap();
    server.shutdown().await;
}

/// The password changed while the link was down: the attempt is refused, and that ends the
/// session with the typed login error, without another attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_changed_during_the_outage_ends_the_session_without_retrying() {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let (server, server_addr) = server_with(&material, scenarios::credentials()).await;
    let mut changed = MemoryStore::new().with_domain(scenarios::DOMAIN);
    changed
        .add_user("alice", "a new password", 4096, &mut OsRng)
        .unwrap();
    let (other, other_addr) = server_with(&material, Arc::new(changed)).await;
    let proxy = Proxy::start(server_addr).await;
    let mut alice = login(
        "alice",
        &client_config(&material, proxy.addr),
        quick_reconnect(),
    )
    .await;

    proxy.set_upstream(other_addr);
    proxy.cut();
    let (reason, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    })
    .await;
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
    assert_ended(&mut alice).await;
    assert_eq!(proxy.accepted(), 2, "the first link and the one attempt");
    other.shutdown().await;
    server.shutdown().await;
}

/// A link that silently stops carrying bytes (sockets open) is found dead by the liveness
/// ping and replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_link_is_found_dead_by_liveness_and_replaced() {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let (server, server_addr) = server_with(&material, scenarios::credentials()).await;
    let proxy = Proxy::start(server_addr).await;
    let config = SessionConfig {
        // Short, yet long enough for a loaded machine to answer the login's roster get.
        liveness: Some(Liveness {
            ping_after_quiet: Duration::from_secs(1),
            ping_timeout: Duration::from_secs(1),
        }),
        ..quick_reconnect()
    };
    let mut alice = login("alice", &client_config(&material, proxy.addr), config).await;

    proxy.black_hole();
    let (reason, _) = until(&mut alice, |e| match e {
        SessionEvent::Reconnecting { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(
        matches!(reason, DisconnectReason::Unresponsive { .. }),
        "{reason:?}"
    );
    until(&mut alice, |e| {
        matches!(e, SessionEvent::Reconnected { .. }).then_some(())
    })
    .await;
    online(&mut alice).await;
    alice.handle.close().await.unwrap();
    server.shutdown().await;
}

/// Closing while the session waits to reconnect ends it at once, without the attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_while_waiting_to_reconnect_ends_the_session() {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let (server, server_addr) = server_with(&material, scenarios::credentials()).await;
    let proxy = Proxy::start(server_addr).await;
    // A long first delay: the close comes during it.
    let config = SessionConfig {
        reconnect: Some(Reconnect {
            backoff: Backoff {
                initial: Duration::from_secs(3600),
                max: Duration::from_secs(3600),
                ..Backoff::default()
            },
            ..Reconnect::default()
        }),
        ..SessionConfig::default()
    };
    let mut alice = login("alice", &client_config(&material, proxy.addr), config).await;
    proxy.cut();
    until(&mut alice, |e| {
        matches!(e, SessionEvent::Reconnecting { attempt: 1, .. }).then_some(())
    })
    .await;
    alice.handle.close().await.unwrap();
    let (reason, _) = until(&mut alice, |e| match e {
        SessionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        reason,
        DisconnectReason::Stream(CloseReason::TransportClosed),
        "why the link had been lost"
    );
    assert_ended(&mut alice).await;
    assert_eq!(proxy.accepted(), 1, "no attempt was made");
    assert!(alice.handle.close().await.is_err(), "the session is over");
    server.shutdown().await;
}

/// A session started from a connected `Client` has no credentials: a lost link ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_started_from_a_client_does_not_reconnect() {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let (server, server_addr) = server_with(&material, scenarios::credentials()).await;
    let proxy = Proxy::start(server_addr).await;
    let client = Client::connect(
        &bare("alice"),
        scenarios::PASSWORD,
        &client_config(&material, proxy.addr),
    )
    .await
    .unwrap();
    let mut alice = Session::start(client);
    online(&mut alice).await;
    proxy.cut();
    let (reason, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    })
    .await;
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
    assert_ended(&mut alice).await;
    server.shutdown().await;
}
