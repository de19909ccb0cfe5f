//! A XEP-0114 component on the blocking server, reached by a client through a shared router.

mod support;

use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use xmpp_blocking::{Client, Event, Server, ServerAuth, ServerConfig, Session};
use xmpp_stream::connection::{Connection, InitiatorAuth, InitiatorConfig};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
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

    // The component: an initiating component machine over TCP.
    let conn = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Component,
            to: "echo.localhost".into(),
            from: None,
            tls: None,
            direct_tls: false,
            auth: InitiatorAuth::ComponentSecret("s3cret".into()),
            resource: None,
        },
        Arc::new(Profile::rfc6120()),
        Box::new(rand_core::OsRng),
        Instant::now(),
    )
    .unwrap();
    let stream = TcpStream::connect(components.local_addr()).unwrap();
    let mut component = Session::tcp(conn, stream);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !component.connection().is_established() {
        component
            .next_event(Some(deadline))
            .unwrap()
            .expect("handshake in time");
    }

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
        match component.next_event(Some(deadline)).unwrap() {
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
