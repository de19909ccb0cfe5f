//! A XEP-0114 component on the blocking server, reached by a client through a shared router.

mod support;

use std::sync::Arc;
use std::time::Duration;

use xmpp_blocking::{
    Client, Component, ComponentConfig, Error, Event, LoginError, Server, ServerAuth, ServerConfig,
    ServerHandle,
};
use xmpp_stream::profile::Profile;
use xmpp_stream::stream_error::Condition;
use xmpp_stream::xml::Element;

#[test]
fn ucr_route_7_component_answers_a_client_message() {
    let (c2s, ca) = support::tls_server();
    // The c2s server's router is shared with the component listener.
    let router = c2s.router().clone();
    let components = Server::bind(
        "127.0.0.1:0",
        ServerConfig {
            domains: vec!["echo.localhost".into()],
            profile: Arc::new(Profile::rfc6120()),
            tls: None,
            direct_tls: false,
            auth: ServerAuth::Components(vec![("echo.localhost".into(), "s3cret".into())]),
            tick: Duration::from_millis(20),
            inbox_capacity: 1024,
            max_connections: 1024,
            dscp: None,
        },
    )
    .unwrap()
    .with_router(router)
    .spawn()
    .unwrap();

    // The component, as an application connects one.
    let addr = components.local_addr();
    let mut component = Component::connect(
        "echo.localhost",
        "s3cret",
        ComponentConfig::new(addr.ip().to_string(), addr.port()),
    )
    .unwrap();
    assert_eq!(component.domain(), "echo.localhost");

    let mut alice = Client::connect(
        "alice@localhost",
        "secret",
        support::client_config(&c2s, &ca),
    )
    .unwrap();
    let mut msg = Element::new("message", "jabber:client");
    msg.set_attr("to", "echo.localhost");
    let mut body = Element::new("body", "jabber:client");
    body.push_text("ping");
    msg.push_child(body);
    alice.send(&msg).unwrap();

    // The component sees it (in its own namespace) and echoes it back.
    let got = loop {
        match component.recv_timeout(Duration::from_secs(60)).unwrap() {
            Some(Event::Stanza(el)) if el.name() == "message" => break el,
            Some(_) => {}
            None => panic!("the component got nothing"),
        }
    };
    let from = got.attr("from").unwrap().to_owned();
    assert!(from.starts_with("alice@localhost/"), "{from}");
    let mut echo = Element::new("message", "jabber:component:accept");
    echo.set_attr("from", "echo.localhost");
    echo.set_attr("to", from);
    let mut body = Element::new("body", "jabber:component:accept");
    body.push_text("pong");
    echo.push_child(body);
    component.send(&echo).unwrap();

    let back = loop {
        match alice.recv_timeout(Duration::from_secs(60)).unwrap() {
            Some(Event::Stanza(el)) if el.name() == "message" => break el,
            Some(_) => {}
            None => panic!("no echo"),
        }
    };
    assert_eq!(back.attr("from"), Some("echo.localhost"));
    assert_eq!(
        back.child_text("body", "jabber:client").as_deref(),
        Some("pong")
    );
    alice.close().unwrap();
}

fn component_listener(domain: &str, secret: &str) -> ServerHandle {
    Server::bind(
        "127.0.0.1:0",
        ServerConfig {
            domains: vec![domain.into()],
            profile: Arc::new(Profile::rfc6120()),
            tls: None,
            direct_tls: false,
            auth: ServerAuth::Components(vec![(domain.into(), secret.into())]),
            tick: Duration::from_millis(20),
            inbox_capacity: 1024,
            max_connections: 1024,
            dscp: None,
        },
    )
    .unwrap()
    .spawn()
    .unwrap()
}

/// A wrong secret is the server's `not-authorized`, and an unknown domain its `host-unknown`,
/// both as the typed login error (the peer's reason, not a complaint about its header).
#[test]
fn a_refused_component_gets_the_servers_reason() {
    let server = component_listener("echo.localhost", "s3cret");
    let addr = server.local_addr();
    let config = || ComponentConfig::new(addr.ip().to_string(), addr.port());
    let refused = |domain: &str, secret: &str| match Component::connect(domain, secret, config()) {
        Err(Error::Login(LoginError::Stream { error, by_peer })) => {
            assert!(by_peer, "{domain}: the server's error");
            error.condition()
        }
        other => panic!("{domain}: {other:?}"),
    };
    assert_eq!(refused("echo.localhost", "wrong"), Condition::NotAuthorized);
    assert_eq!(refused("other.localhost", "s3cret"), Condition::HostUnknown);
    Component::connect("echo.localhost", "s3cret", config())
        .unwrap()
        .close()
        .unwrap();
}
