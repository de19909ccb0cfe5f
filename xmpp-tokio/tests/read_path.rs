//! The driver's read path: bytes are read into a buffer on the stack only during the poll
//! that finds them, in chunks of at most `DriverConfig::read_buffer`. A stanza many times the
//! chunk size still arrives whole and in order, and the chunk size is clamped to its bounds.

use std::sync::Arc;
use std::time::Duration;

use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::Event;
use xmpp_stream::profile::{Profile, TlsPolicy};
use xmpp_stream::xml::Element;
use xmpp_tokio::{ClientConfig, ServerConfig, connect, serve};

async fn stanzas_cross_many_reads(read_buffer: usize) {
    let mut profile = Profile::rfc6120();
    profile.tls = TlsPolicy::Disabled;
    profile.allow_plaintext_auth = true;
    let profile = Arc::new(profile);
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
    store
        .add_user("reader", "secret", 4096, &mut rand_core::OsRng)
        .unwrap();
    let mut config = ServerConfig::new(vec!["localhost".into()], None, Arc::new(store));
    config.profile = profile.clone();
    config.driver.read_buffer = read_buffer;
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
    cfg.driver.read_buffer = read_buffer;
    let mut client = connect(&"reader@localhost".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap();
    let to_client = tokio::time::timeout(Duration::from_secs(10), handles_rx.recv())
        .await
        .unwrap()
        .unwrap();
    // 40 KiB bodies: dozens of reads each at the smallest chunk, several at the largest.
    let bodies: Vec<String> = (0..3u8)
        .map(|i| char::from(b'a' + i).to_string().repeat(40 * 1024))
        .collect();
    for body in &bodies {
        let stanza = Element::builder("message", "jabber:client")
            .attr("to", "reader@localhost/r")
            .child(Element::builder("body", "jabber:client").text(body.clone()))
            .build();
        to_client.send(stanza).await.unwrap();
    }
    for body in &bodies {
        let got = loop {
            match tokio::time::timeout(Duration::from_secs(10), client.events.next())
                .await
                .expect("the message arrives")
            {
                Some(Event::Stanza(el)) => break el,
                Some(Event::Closed(r)) => panic!("closed: {r:?}"),
                Some(_) => {}
                None => panic!("connection gone"),
            }
        };
        assert_eq!(
            got.child_text("body", "jabber:client").as_deref(),
            Some(body.as_str())
        );
    }
    client.handle.close().await.unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_stanzas_arrive_whole_through_small_read_chunks() {
    // Below the 512-byte floor: clamped up, still correct.
    stanzas_cross_many_reads(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_stanzas_arrive_whole_through_the_largest_read_chunk() {
    // Above MAX_READ_CHUNK: clamped down to the on-stack buffer.
    stanzas_cross_many_reads(xmpp_tokio::driver::MAX_READ_CHUNK * 4).await;
}
