//! The futures-io driver under async-std (no tokio runtime): a client and a server machine,
//! each driven by `futures_driver`, negotiate STARTTLS + SCRAM + bind over a real socket and
//! exchange a stanza.
#![cfg(feature = "futures-io")]

#[path = "../examples/common/tls.rs"]
mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{
    Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::xml::Element;
use xmpp_tokio::futures_driver::driver;

#[test]
fn async_std_runs_both_machines_over_starttls_and_scram() {
    let result = async_std::task::block_on(async_std::future::timeout(
        Duration::from_secs(60),
        exchange(),
    ));
    assert_eq!(result.expect("finishes within 60 s"), "echo: hello");
}

async fn exchange() -> String {
    let material = tls::TlsMaterial::generate("localhost").unwrap();
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
    store
        .add_user("alice", "secret", 4096, &mut rand_core::OsRng)
        .unwrap();
    let profile = Arc::new(Profile::rfc6120());
    let listener = async_std::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();

    let server_tls = (
        material.server_config().unwrap(),
        Some(material.cert.clone()),
    );
    let server_profile = profile.clone();
    let server = async_std::task::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let conn = Connection::receiver(
            ReceiverConfig {
                kind: StreamKind::Client,
                domains: vec!["localhost".into()],
                tls: Some(server_tls),
                direct_tls: false,
                auth: ReceiverAuth::Sasl(Arc::new(store)),
            },
            server_profile,
            Box::new(rand_core::OsRng),
            Instant::now(),
        )
        .unwrap();
        let (handle, mut events, task) = driver(socket, conn, Default::default());
        let task = async_std::task::spawn(task);
        while let Some(ev) = events.next().await {
            match ev {
                Event::BindRequest { resource } => {
                    let r = resource.unwrap_or_else(|| "r".into());
                    handle.bind(BindDecision::Accept(r)).await.unwrap();
                }
                Event::Stanza(el) => {
                    let body = el.child_text("body", "jabber:client").unwrap_or_default();
                    let echo = Element::builder("message", "jabber:client")
                        .attr("to", el.attr("from").unwrap_or("").to_owned())
                        .child(
                            Element::builder("body", "jabber:client").text(format!("echo: {body}")),
                        )
                        .build();
                    handle.send(echo).await.unwrap();
                }
                _ => {}
            }
        }
        task.await;
    });

    let socket = async_std::net::TcpStream::connect(addr).await.unwrap();
    let conn = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Client,
            to: "localhost".into(),
            from: Some("alice@localhost".into()),
            tls: Some(material.client_config().unwrap()),
            direct_tls: false,
            auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::password("alice", "secret").unwrap()),
            resource: Some("std".into()),
        },
        profile,
        Box::new(rand_core::OsRng),
        Instant::now(),
    )
    .unwrap();
    let (handle, mut events, task) = driver(socket, conn, Default::default());
    let task = async_std::task::spawn(task);
    let mut tls_seen = false;
    let mut mechanism = None;
    let mut reply = String::new();
    while let Some(ev) = events.next().await {
        match ev {
            Event::TlsEstablished(_) => tls_seen = true,
            Event::Authenticated { mechanism: m, .. } => mechanism = Some(m),
            Event::Established => {
                let msg = Element::builder("message", "jabber:client")
                    .attr("to", "localhost")
                    .child(Element::builder("body", "jabber:client").text("hello"))
                    .build();
                handle.send(msg).await.unwrap();
            }
            Event::Stanza(el) => {
                reply = el
                    .child_text("body", "jabber:client")
                    .unwrap_or_default()
                    .into_owned();
                handle.close().await.unwrap();
            }
            Event::Closed(_) => break,
            _ => {}
        }
    }
    assert!(tls_seen, "STARTTLS happened");
    let mechanism = mechanism.expect("authenticated");
    assert!(mechanism.name().starts_with("SCRAM-"), "{mechanism}");
    drop(handle);
    task.await;
    server.await;
    reply
}
