//! Backpressure end to end: a client that stops taking events makes its driver stop reading
//! the socket; the server's queue for it fills and `try_send` says `Full` instead of
//! buffering without bound. Bounded in count and time.

use std::sync::Arc;
use std::time::Duration;

use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::Event;
use xmpp_stream::profile::{Profile, TlsPolicy};
use xmpp_stream::xml::Element;
use xmpp_tokio::{ClientConfig, DriverError, ServerConfig, connect, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reader_fills_bounded_queues_instead_of_server_memory() {
    let mut profile = Profile::rfc6120();
    profile.tls = TlsPolicy::Disabled;
    profile.allow_plaintext_auth = true;
    let profile = Arc::new(profile);
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
    store
        .add_user("slow", "secret", 4096, &mut rand_core::OsRng)
        .unwrap();
    let mut config = ServerConfig::new(vec!["localhost".into()], None, Arc::new(store));
    config.profile = profile.clone();
    let (handles_tx, mut handles_rx) = tokio::sync::mpsc::channel(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = serve(listener, config, move |mut incoming| {
        let tx = handles_tx.clone();
        tokio::spawn(async move {
            while let Some(ev) = incoming.events.next().await {
                match ev {
                    Event::BindRequest { .. } => {
                        let _ = incoming.handle.bind(BindDecision::Accept("r".into())).await;
                    }
                    Event::Established => {
                        let _ = tx.send(incoming.handle.clone()).await;
                    }
                    _ => {}
                }
            }
        });
    })
    .unwrap();
    let mut cfg = ClientConfig::plaintext(profile);
    cfg.server = Some(("127.0.0.1".into(), server.local_addr().port()));
    // The client never reads its events after login.
    let client = connect(&"slow@localhost".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap();
    let to_client = tokio::time::timeout(Duration::from_secs(10), handles_rx.recv())
        .await
        .unwrap()
        .unwrap();
    let body = "y".repeat(16 * 1024);
    let stanza = Element::builder("message", "jabber:client")
        .attr("to", "slow@localhost/r")
        .child(Element::builder("body", "jabber:client").text(body))
        .build();
    let mut sent = 0usize;
    let mut fulls_in_a_row = 0;
    // Bounded: 100 000 stanzas of 16 KiB would be 1.6 GB; the queues fill long before. The
    // queue is "stuck full" once it stays full across five pauses: the driver is blocked on
    // the socket because the client stopped reading.
    for _ in 0..100_000 {
        match to_client.try_send(stanza.clone()) {
            Ok(()) => {
                sent += 1;
                fulls_in_a_row = 0;
            }
            Err(DriverError::Full) => {
                fulls_in_a_row += 1;
                if fulls_in_a_row == 5 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(
        fulls_in_a_row, 5,
        "the queue never stayed full ({sent} stanzas sent)"
    );
    // What was accepted is bounded by the queues and the socket buffers, not by the sender.
    assert!(sent < 100_000);
    // The stalled client can still send: its driver keeps taking commands while its events
    // wait for the application.
    let presence = Element::new("presence", "jabber:client");
    tokio::time::timeout(Duration::from_secs(10), client.handle.send(presence))
        .await
        .expect("a send is not blocked by unread events")
        .unwrap();
    drop(client);
    server.shutdown().await;
}
