//! Bring your own socket: the machines over an in-memory pipe, through the single-step
//! `process(now)` (non-blocking) and the blocking `next_event`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::pipe::{PipeEnd, pipe};
use xmpp_blocking::{Driver, Event};
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{
    Connection, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::testing::TestPki;
use xmpp_stream::xml::Element;

const NS: &str = "jabber:client";

fn machines(profile: Profile) -> (Connection, Connection) {
    let pki = TestPki::new(&["localhost"]);
    let client_tls = xmpp_blocking::Trust::certificates(vec![pki.ca.clone()])
        .client_config()
        .unwrap();
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
    store
        .add_user("juliet", "r0m30", 4096, &mut rand_core::OsRng)
        .unwrap();
    let profile = Arc::new(profile);
    let now = Instant::now();
    let server = Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Client,
            domains: vec!["localhost".into()],
            tls: Some(pki.server_config()),
            direct_tls: false,
            auth: ReceiverAuth::Sasl(Arc::new(store)),
        },
        profile.clone(),
        Box::new(rand_core::OsRng),
        now,
    )
    .unwrap();
    let client = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Client,
            to: "localhost".into(),
            from: Some("juliet@localhost".into()),
            tls: Some(client_tls),
            direct_tls: false,
            auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::password("juliet", "r0m30").unwrap()),
            resource: Some("balcony".into()),
        },
        profile,
        Box::new(rand_core::OsRng),
        now,
    )
    .unwrap();
    (client, server)
}

fn message(body: &str) -> Element {
    let mut msg = Element::new("message", NS);
    msg.set_attr("to", "juliet@localhost/balcony");
    let mut b = Element::new("body", NS);
    b.push_text(body.to_owned());
    msg.push_child(b);
    msg
}

/// Drains a driver's events, answering bind requests; returns the stanzas.
fn drain(driver: &mut Driver<PipeEnd>) -> Vec<Element> {
    let mut stanzas = Vec::new();
    while let Some(ev) = driver.poll_event() {
        match ev {
            Event::BindRequest { resource } => driver
                .connection_mut()
                .bind(BindDecision::Accept(resource.unwrap_or_else(|| "r".into())))
                .unwrap(),
            Event::Stanza(el) => stanzas.push(el),
            _ => {}
        }
    }
    stanzas
}

#[test]
fn ucr_tls_1_process_steps_negotiate_starttls_and_carry_a_stanza() {
    let (client, server) = machines(Profile::rfc6120());
    let (a, b) = pipe(true);
    let mut client = Driver::new(client, a);
    let mut server = Driver::new(server, b);
    let mut steps = 0;
    while !(client.connection().is_established() && server.connection().is_established()) {
        steps += 1;
        assert!(steps < 200, "negotiation did not finish");
        let now = Instant::now();
        client.process(now).unwrap();
        drain(&mut client);
        server.process(now).unwrap();
        drain(&mut server);
    }
    assert!(client.connection().is_tls());
    assert_eq!(
        client.connection().bound_jid().unwrap().as_str(),
        "juliet@localhost/balcony"
    );
    // A stanza from the server reaches the client through one step each.
    server
        .connection_mut()
        .send(&message("over the pipe"))
        .unwrap();
    let step = server.process(Instant::now()).unwrap();
    assert!(!step.wants_write && !step.eof);
    client.process(Instant::now()).unwrap();
    let got = drain(&mut client);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].child_text("body", NS).as_deref(),
        Some("over the pipe")
    );
}

#[test]
fn process_reports_eof_and_the_machine_closes() {
    let (client, _server) = machines(Profile::rfc6120());
    let (a, b) = pipe(true);
    let mut client = Driver::new(client, a);
    b.shutdown();
    let step = client.process(Instant::now()).unwrap();
    assert!(step.eof);
    assert!(client.connection().is_closed());
    assert!(matches!(client.poll_event(), Some(Event::Closed(_))));
}

#[test]
fn blocking_sessions_on_two_threads_exchange_a_message() {
    let (client, server) = machines(Profile::rfc6120());
    let (a, b) = pipe(false);
    let server_thread = std::thread::spawn(move || {
        let mut server = Driver::with_read_timeout(server, b, PipeEnd::set_read_timeout);
        loop {
            match server.next_event(None).unwrap() {
                Some(Event::BindRequest { resource }) => server
                    .connection_mut()
                    .bind(BindDecision::Accept(resource.unwrap()))
                    .unwrap(),
                Some(Event::Established) => break,
                _ => {}
            }
        }
        server.send(&message("hello from a thread")).unwrap();
        // Wait for the client's closing tag.
        loop {
            match server.next_event(None) {
                Ok(Some(Event::Closed(_))) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let mut client = Driver::with_read_timeout(client, a, PipeEnd::set_read_timeout);
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        match client.next_event(Some(deadline)).unwrap() {
            Some(Event::Stanza(el)) => break el.child_text("body", NS).unwrap().into_owned(),
            Some(_) => {}
            None => panic!("no stanza before the deadline"),
        }
    };
    assert_eq!(body, "hello from a thread");
    client.connection_mut().close();
    client.flush().unwrap();
    server_thread.join().unwrap();
}

#[test]
fn keepalive_is_written_from_poll_timeout_without_a_thread() {
    let mut profile = Profile::rfc6120();
    profile.keepalive_interval = Some(Duration::from_millis(20));
    let (client, server) = machines(profile);
    let (a, b) = pipe(true);
    let written = a.written.clone();
    let mut client = Driver::new(client, a);
    let mut server = Driver::new(server, b);
    while !(client.connection().is_established() && server.connection().is_established()) {
        let now = Instant::now();
        client.process(now).unwrap();
        drain(&mut client);
        server.process(now).unwrap();
        drain(&mut server);
    }
    let before = written.lock().unwrap().len();
    // The machine asks to be woken; a step at that time writes the keepalive.
    let due = client
        .connection()
        .poll_timeout()
        .expect("a keepalive timer");
    client.process(due).unwrap();
    let after = written.lock().unwrap().len();
    assert!(after > before, "no keepalive bytes were written");
}
