//! `connect_component` (XEP-0114) against a component-accepting machine driven by the same
//! tokio driver: accepted with the right secret (stanzas flow both ways), refused with the
//! server's own reason otherwise (`not-authorized`, `host-unknown`) as a typed login error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use xmpp_stream::connection::{Connection, ReceiverAuth, ReceiverConfig};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::stream_error::StreamCondition;
use xmpp_stream::xml::Element;
use xmpp_tokio::driver::{self, DriverConfig};
use xmpp_tokio::{
    AuthMethod, Component, ComponentConfig, ConnectError, Event, LoginError, connect_component,
};

/// Accepts one component connection for `echo.localhost` (secret `s3cret`) and returns the
/// server side's handle and events.
async fn accept_one(
    listener: &tokio::net::TcpListener,
) -> (xmpp_tokio::Handle, xmpp_tokio::Events) {
    let (tcp, _) = listener.accept().await.unwrap();
    let conn = Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Component,
            domains: vec!["localhost".into()],
            tls: None,
            direct_tls: false,
            auth: ReceiverAuth::Components(vec![("echo.localhost".into(), "s3cret".into())]),
        },
        Arc::new(Profile::rfc6120()),
        Box::new(rand_core::OsRng),
        Instant::now(),
    )
    .unwrap();
    let (handle, events, _task) = driver::spawn(tcp, conn, DriverConfig::default(), None);
    (handle, events)
}

#[tokio::test]
async fn a_component_connects_and_exchanges_stanzas() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move { accept_one(&listener).await });
    // `Component::connect`, the same entry point as the blocking adapter's (and the same
    // function as `connect_component`).
    let mut echo = Component::connect(
        "echo.localhost",
        "s3cret",
        &ComponentConfig::new("127.0.0.1", port),
    )
    .await
    .unwrap();
    assert_eq!(echo.domain, "echo.localhost");
    let (server_handle, mut server_events) = server.await.unwrap();
    let run = async {
        // The server saw the handshake.
        loop {
            match server_events.next().await {
                Some(Event::Authenticated {
                    mechanism,
                    identity,
                }) => {
                    assert_eq!(mechanism, AuthMethod::ComponentHandshake);
                    assert_eq!(identity, "echo.localhost");
                }
                Some(Event::Established) => break,
                Some(_) => {}
                None => panic!("server side ended"),
            }
        }
        let ping = Element::builder("message", "jabber:component:accept")
            .attr("from", "alice@localhost/r")
            .attr("to", "echo.localhost")
            .child(Element::builder("body", "jabber:component:accept").text("ping"))
            .build();
        server_handle.send(ping).await.unwrap();
        let got = loop {
            match echo.events.next().await {
                Some(Event::Stanza(el)) => break el,
                Some(_) => {}
                None => panic!("component stream ended"),
            }
        };
        assert_eq!(
            got.child_text("body", "jabber:component:accept").as_deref(),
            Some("ping")
        );
        let pong = Element::builder("message", "jabber:component:accept")
            .attr("from", "echo.localhost")
            .attr("to", "alice@localhost/r")
            .child(Element::builder("body", "jabber:component:accept").text("pong"))
            .build();
        echo.handle.send(pong).await.unwrap();
        let back = loop {
            match server_events.next().await {
                Some(Event::Stanza(el)) => break el,
                Some(_) => {}
                None => panic!("server side ended"),
            }
        };
        assert_eq!(back.attr("from"), Some("echo.localhost"));
        echo.handle.close().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the exchange finishes within 30 s");
}

#[tokio::test]
async fn a_refused_component_gets_the_servers_reason() {
    for (domain, secret, expected) in [
        ("echo.localhost", "wrong", StreamCondition::NotAuthorized),
        ("other.localhost", "s3cret", StreamCondition::HostUnknown),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (_handle, mut events) = accept_one(&listener).await;
            while events.next().await.is_some() {}
        });
        let err = connect_component(domain, secret, &ComponentConfig::new("127.0.0.1", port))
            .await
            .unwrap_err();
        match err {
            ConnectError::Login(LoginError::Stream { error, by_peer }) => {
                assert!(by_peer, "{domain}");
                assert_eq!(error.condition(), expected, "{domain}");
            }
            other => panic!("{domain}: {other:?}"),
        }
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
    }
}
