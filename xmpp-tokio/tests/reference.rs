//! The reference server's IM behaviour through the adapter: offline storage flushed on
//! initial presence, errors for unknown accounts, unknown IQs answered.

#[path = "../examples/common/ns.rs"]
mod ns;
#[path = "../examples/common/peer.rs"]
mod peer;
#[path = "../examples/common/setup.rs"]
mod setup;
#[path = "../examples/common/tls.rs"]
mod tls;

use std::time::Duration;

use ns::{NS_CLIENT, NS_STANZAS};
use xmpp_stream::xml::Element;
use xmpp_tokio::ClientConfig;

async fn login(r: &setup::Reference, m: &tls::TlsMaterial, name: &str) -> peer::Peer {
    let addr = r.addrs()[0];
    let cfg = ClientConfig::new(m.client_config().unwrap())
        .with_server(addr.ip().to_string(), addr.port());
    let c = xmpp_tokio::connect(
        &format!("{name}@localhost").parse().unwrap(),
        "secret",
        &cfg,
    )
    .await
    .unwrap();
    peer::Peer::new(name, c)
}

fn chat(to: &str, body: &str) -> Element {
    Element::builder("message", NS_CLIENT)
        .attr("to", to.to_owned())
        .attr("type", "chat")
        .child(Element::builder("body", NS_CLIENT).text(body.to_owned()))
        .build()
}

fn error_condition(e: &Element) -> Option<String> {
    (e.attr("type") == Some("error"))
        .then(|| e.child("error", NS_CLIENT))
        .flatten()
        .and_then(|err| {
            err.children()
                .find(|c| c.ns() == NS_STANZAS)
                .map(|c| c.name().to_owned())
        })
}

/// UCR-ROUTE-9: a message to an account with no available resource is stored and delivered at
/// its next initial presence; a message to a nonexistent account bounces with
/// `service-unavailable`, and so does an unknown IQ to the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_route_9_offline_messages_are_flushed_and_unknown_targets_bounce() {
    let m = tls::TlsMaterial::generate("localhost").unwrap();
    let users = [
        ("alice".to_owned(), "secret".to_owned()),
        ("carol".to_owned(), "secret".to_owned()),
    ];
    let r = setup::Reference::start(&["127.0.0.1:0".parse().unwrap()], "localhost", &users, &m)
        .await
        .unwrap();
    let mut alice = login(&r, &m, "alice").await;
    alice
        .send(Element::new("presence", NS_CLIENT))
        .await
        .unwrap();
    alice
        .send(chat("carol@localhost", "while you were away"))
        .await
        .unwrap();
    alice.send(chat("nobody@localhost", "lost")).await.unwrap();
    let cond = alice
        .expect("the bounce", Duration::from_secs(10), |e| {
            (e.name() == "message")
                .then(|| error_condition(e))
                .flatten()
        })
        .await
        .unwrap();
    assert_eq!(cond, "service-unavailable");
    let err = alice
        .iq(
            "get",
            Some("localhost"),
            Element::new("query", "urn:example:unknown"),
        )
        .await
        .unwrap_err();
    assert!(err.contains("service-unavailable"), "{err}");

    // Carol logs in later: the stored message arrives after her initial presence.
    let mut carol = login(&r, &m, "carol").await;
    carol
        .send(Element::new("presence", NS_CLIENT))
        .await
        .unwrap();
    let body = carol
        .expect("the stored message", Duration::from_secs(10), |e| {
            (e.name() == "message")
                .then(|| e.child_text("body", NS_CLIENT).map(|b| b.into_owned()))
                .flatten()
        })
        .await
        .unwrap();
    assert_eq!(body, "while you were away");
    alice.close().await.unwrap();
    carol.close().await.unwrap();
    r.shutdown().await;
}
