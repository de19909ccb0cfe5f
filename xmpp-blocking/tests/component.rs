//! XEP-0114 components on the blocking IM server's component listener, reached by clients.

mod support;

use std::time::Duration;

use xmpp_blocking::{Client, Component, ComponentConfig, Error, Event, LoginError};
use xmpp_stream::stream_error::StreamCondition;
use xmpp_stream::xml::Element;

fn component_config(server: &xmpp_blocking::ServerHandle) -> ComponentConfig {
    let addr = server.component_addrs()[0];
    ComponentConfig::new(addr.ip().to_string(), addr.port())
}

#[test]
fn ucr_route_7_component_answers_a_client_message() {
    let (server, ca) = support::tls_server();
    let mut component = Component::connect(
        support::COMPONENT,
        support::COMPONENT_SECRET,
        &component_config(&server),
    )
    .unwrap();
    assert_eq!(component.domain(), "echo.localhost");
    // The handshake is answered before the core hears of it: wait until it has.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !server.inspect(|core| core.is_component_connected("echo.localhost")) {
        assert!(
            std::time::Instant::now() < deadline,
            "component never registered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
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
    assert_eq!(got.ns(), "jabber:component:accept");
    let from = got.attr("from").unwrap().to_owned();
    assert_eq!(from, alice.jid().as_str());
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
    component.close().unwrap();
}

/// A wrong secret is the server's `not-authorized`, and an unknown domain its `host-unknown`,
/// both as the typed login error (the peer's reason, not a complaint about its header).
#[test]
fn a_refused_component_gets_the_servers_reason() {
    let (server, _ca) = support::tls_server();
    let refused = |domain: &str, secret: &str| match Component::connect(
        domain,
        secret,
        &component_config(&server),
    ) {
        Err(Error::Login(LoginError::Stream { error, by_peer })) => {
            assert!(by_peer, "{domain}: the server's error");
            error.condition()
        }
        other => panic!("{domain}: {other:?}"),
    };
    assert_eq!(
        refused("echo.localhost", "wrong"),
        StreamCondition::NotAuthorized
    );
    assert_eq!(
        refused("other.localhost", "s3cret"),
        StreamCondition::HostUnknown
    );
    Component::connect("echo.localhost", "s3cret", &component_config(&server))
        .unwrap()
        .close()
        .unwrap();
}

/// XEP-0114 leaves a second connection for a connected domain to the server: the live one
/// keeps it, the newcomer's stream ends with `<conflict/>`.
#[test]
fn a_second_component_for_a_connected_domain_gets_conflict() {
    let (server, _ca) = support::tls_server();
    let first = Component::connect("echo.localhost", "s3cret", &component_config(&server)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !server.inspect(|core| core.is_component_connected("echo.localhost")) {
        assert!(
            std::time::Instant::now() < deadline,
            "component never registered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The handshake succeeds (the machine accepts the secret); the core then closes it.
    let mut second = Component::connect("echo.localhost", "s3cret", &component_config(&server))
        .expect("the handshake itself is accepted");
    let condition = loop {
        match second.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(Event::StreamError(e))) => break e.condition(),
            Ok(Some(Event::Closed(reason))) => panic!("closed without an error: {reason:?}"),
            Ok(Some(_)) => {}
            Ok(None) => panic!("the second component was not closed"),
            Err(Error::Stream { error, .. }) => break error.condition(),
            Err(e) => panic!("{e:?}"),
        }
    };
    assert_eq!(condition, StreamCondition::Conflict);
    first.close().unwrap();
}
