//! `Server::shutdown` stops accepting and ends live streams with `<system-shutdown/>`.

#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/setup.rs"]
mod setup;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::time::Duration;

use xmpp_stream::connection::{CloseReason, Event};
use xmpp_stream::stream_error::StreamCondition;
use xmpp_tokio::ClientConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_live_streams_with_system_shutdown() {
    let m = tls::TlsMaterial::generate("localhost").unwrap();
    let users = [("alice".to_owned(), "secret".to_owned())];
    let r = setup::Reference::start(&["127.0.0.1:0".parse().unwrap()], "localhost", &users, &m)
        .await
        .unwrap();
    let addr = r.addrs()[0];
    let cfg = ClientConfig::new(m.client_config().unwrap())
        .with_server(addr.ip().to_string(), addr.port());
    let mut c = xmpp_tokio::connect(&"alice@localhost".parse().unwrap(), "secret", &cfg)
        .await
        .unwrap();
    r.shutdown().await;
    let reason = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match c.events.next().await {
                Some(Event::Closed(reason)) => return Some(reason),
                Some(_) => {}
                None => return None,
            }
        }
    })
    .await
    .expect("the stream ends within 10 s");
    match reason {
        Some(CloseReason::PeerError(e)) => {
            assert_eq!(e.condition(), StreamCondition::SystemShutdown)
        }
        other => panic!("unexpected {other:?}"),
    }
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
