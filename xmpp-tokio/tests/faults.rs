//! Fault tests against the reference server: clients that vanish mid-TLS, mid-SASL and
//! mid-stanza, a slowloris, and 1,000 connections opened and dropped. Each must end in its
//! connection task finishing (no task leak), the IM session released, and other clients
//! served meanwhile. Every loop is bounded in count and time.

#[path = "../examples/common/exchange.rs"]
mod exchange;
#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/peer.rs"]
mod peer;
#[path = "../examples/common/setup.rs"]
mod setup;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use xmpp_stream::connection::{Connection, Event, InitiatorAuth, InitiatorConfig};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::xml::Element;
use xmpp_tokio::ClientConfig;

const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream to='localhost' version='1.0' \
xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

struct Fixture {
    server: setup::Reference,
    material: tls::TlsMaterial,
}

async fn fixture(profile: Option<Profile>) -> Fixture {
    let material = tls::TlsMaterial::generate("localhost").unwrap();
    let users = [
        ("alice".to_owned(), "secret".to_owned()),
        ("bob".to_owned(), "secret".to_owned()),
        ("carol".to_owned(), "secret".to_owned()),
    ];
    let server = setup::Reference::start_with(
        &["127.0.0.1:0".parse().unwrap()],
        "localhost",
        &users,
        &material,
        profile,
    )
    .await
    .unwrap();
    Fixture { server, material }
}

impl Fixture {
    fn addr(&self) -> std::net::SocketAddr {
        self.server.addrs()[0]
    }

    async fn login(&self, name: &str) -> peer::Peer {
        let addr = self.addr();
        let cfg = ClientConfig::new(self.material.client_config().unwrap())
            .with_server(addr.ip().to_string(), addr.port());
        let client = xmpp_tokio::connect(
            &format!("{name}@localhost").parse().unwrap(),
            "secret",
            &cfg,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        peer::Peer::new(name, client)
    }

    /// Waits (bounded) until no connection task and no IM session is left.
    async fn settles(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.server.active_connections() > 0 || self.server.sessions() > 0 {
            assert!(
                Instant::now() < deadline,
                "{what}: {} connection task(s) and {} session(s) still alive",
                self.server.active_connections(),
                self.server.sessions()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Two other clients still log in and talk.
    async fn still_serves(&self) {
        let mut a = self.login("alice").await;
        let mut b = self.login("bob").await;
        let got = exchange::run(&mut a, &mut b).await.unwrap();
        assert_eq!(got.len(), 2);
        a.close().await.unwrap();
        b.close().await.unwrap();
    }
}

/// Drives an initiating machine over a raw socket until `stop` says so, then drops the
/// socket, optionally after writing only part of the machine's next output.
async fn drive_until(
    fx: &Fixture,
    user: &str,
    mut stop: impl FnMut(&Event, &mut Connection) -> Option<usize>,
) {
    let mut tcp = TcpStream::connect(fx.addr()).await.unwrap();
    let mut conn = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Client,
            to: "localhost".into(),
            from: Some(format!("{user}@localhost")),
            tls: Some(fx.material.client_config().unwrap()),
            direct_tls: false,
            auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::password(user, "secret").unwrap()),
            resource: Some("fault".into()),
        },
        Arc::new(Profile::rfc6120()),
        Box::new(rand_core::OsRng),
        Instant::now(),
    )
    .unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    for _ in 0..200 {
        while let Some(out) = conn.poll_transmit() {
            tcp.write_all(&out).await.unwrap();
        }
        while let Some(ev) = conn.poll_event() {
            if let Some(keep) = stop(&ev, &mut conn) {
                if let Some(out) = conn.poll_transmit() {
                    let n = keep.min(out.len());
                    tcp.write_all(&out[..n]).await.unwrap();
                }
                return; // the socket is dropped here
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf))
            .await
            .expect("the server answers")
            .unwrap();
        assert!(n > 0, "the server closed the connection first");
        conn.handle_input(Instant::now(), &buf[..n]);
    }
    panic!("the stop condition never came");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_vanishing_mid_tls_handshake_frees_its_task() {
    let fx = fixture(None).await;
    let mut tcp = TcpStream::connect(fx.addr()).await.unwrap();
    tcp.write_all(HEADER).await.unwrap();
    tcp.write_all(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("<proceed") {
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }
    // The start of a TLS ClientHello record, then gone.
    tcp.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
        .await
        .unwrap();
    drop(tcp);
    fx.settles("mid-TLS").await;
    fx.still_serves().await;
    fx.settles("after").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_vanishing_mid_sasl_frees_its_task() {
    let fx = fixture(None).await;
    // After TLS the machine sends its SASL <auth/>: send half of it and vanish.
    drive_until(&fx, "carol", |ev, _| {
        matches!(ev, Event::TlsEstablished(_)).then_some(20)
    })
    .await;
    fx.settles("mid-SASL").await;
    fx.still_serves().await;
}

/// UCR-PRES-27: a resource that vanishes in the middle of a stanza is detected as gone: its
/// task ends, its IM session is released, and the partial stanza is never delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_pres_27_client_vanishing_mid_stanza_frees_its_task_and_session() {
    let fx = fixture(None).await;
    let mut bob = fx.login("bob").await;
    bob.iq("get", None, Element::new("query", ns::NS_ROSTER))
        .await
        .unwrap();
    drive_until(&fx, "carol", |ev, conn| {
        if !matches!(ev, Event::Established) {
            return None;
        }
        let msg = Element::builder("message", "jabber:client")
            .attr("to", "bob@localhost")
            .child(Element::builder("body", "jabber:client").text("x".repeat(4000)))
            .build();
        conn.send(&msg).unwrap();
        Some(1500)
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while fx.server.active_connections() > 1 || fx.server.sessions() > 1 {
        assert!(Instant::now() < deadline, "carol's task is still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The partial message was never delivered.
    let partial = bob
        .expect("no message", Duration::from_millis(300), |e| {
            (e.name() == "message").then_some(())
        })
        .await;
    assert!(partial.is_err());
    bob.close().await.unwrap();
    fx.settles("mid-stanza").await;
}

/// A slowloris (one byte at a time, far slower than a client) is cut off by the negotiation
/// timeout, and other clients log in and talk meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_is_cut_off_and_does_not_hold_up_others() {
    let mut profile = Profile::rfc6120();
    profile.negotiation_timeout = Some(Duration::from_secs(2));
    let fx = fixture(Some(profile)).await;
    let addr = fx.addr();
    let slow = tokio::spawn(async move {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        // Bounded: at most the header's length in bytes, 200 ms apart.
        for b in HEADER {
            if tcp.write_all(&[*b]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut probe = [0u8; 512];
            match tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut probe)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                _ => {}
            }
        }
        false
    });
    fx.still_serves().await;
    assert!(slow.await.unwrap(), "the slowloris was never disconnected");
    fx.settles("slowloris").await;
}

/// 1,000 connections opened and dropped (half after sending a stream header): every
/// connection task ends, no runtime task is left behind, and the server still serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_connections_opened_and_dropped_leave_no_task() {
    let fx = fixture(None).await;
    let tasks_before = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    for i in 0..1000 {
        let mut tcp = TcpStream::connect(fx.addr()).await.unwrap();
        if i % 2 == 0 {
            let _ = tcp.write_all(HEADER).await;
        }
        drop(tcp);
    }
    fx.settles("1,000 drops").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        if now <= tasks_before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{now} tasks alive, {tasks_before} before"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fx.still_serves().await;
}
