//! `Session` (the typed client on `xmpp_im::session::ClientSession`) against `ImServer`: the
//! session order, IQ round trips as one blocking call, typed messages, request timeouts, the
//! end of the session, and the `echo-bot` example. Every wait is bounded.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use xmpp_blocking::session::{DisconnectReason, SessionConfig};
use xmpp_blocking::xmpp_server::Config;
use xmpp_blocking::{
    ClientConfig, Error, ImServer, RequestError, ServerConfig, ServerHandle, Session, SessionEvent,
    Trust,
};
use xmpp_interop::scenarios::{self, Target};
use xmpp_jid::{BareJid, Jid};
use xmpp_stanza::roster::{RosterItem, RosterQuery};
use xmpp_stanza::xep::disco::DiscoInfo;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{Condition, Iq};
use xmpp_stream::connection::CloseReason;
use xmpp_stream::profile::Profile;
use xmpp_stream::stream_error::StreamCondition;
use xmpp_stream::testing::TestPki;
use xmpp_stream::xml::Element;

/// The bound on every wait.
const STEP: Duration = Duration::from_secs(10);

/// A server as the scenarios expect it, a client configuration for it, and its CA.
fn server() -> (
    ServerHandle,
    ClientConfig,
    rustls::pki_types::CertificateDer<'static>,
) {
    let pki = TestPki::new(&[scenarios::DOMAIN]);
    let mut config = ServerConfig::new(
        Config::new([scenarios::DOMAIN]),
        Arc::new(Profile::rfc6120()),
        Some(pki.server_config()),
        scenarios::credentials(),
    );
    config.accounts = scenarios::accounts();
    let server = ImServer::bind("127.0.0.1:0", config)
        .unwrap()
        .bind_components("127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let target = Target::new(
        server.local_addr(),
        server.component_addrs()[0],
        &Trust::certificates(vec![pki.ca.clone()]),
    );
    (server, target.client, pki.ca)
}

fn bare(user: &str) -> BareJid {
    format!("{user}@{}", scenarios::DOMAIN).parse().unwrap()
}

fn domain() -> Jid {
    scenarios::DOMAIN.parse().unwrap()
}

/// The next event, within [`STEP`].
fn next(session: &mut Session) -> SessionEvent {
    session
        .next_event(Some(STEP))
        .unwrap()
        .expect("an event in time")
}

/// Events until one that `pick` takes, within [`STEP`] in all; the others are returned too.
fn until<T>(
    session: &mut Session,
    mut pick: impl FnMut(&SessionEvent) -> Option<T>,
) -> (T, Vec<SessionEvent>) {
    let deadline = Instant::now() + STEP;
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = session
            .next_event(Some(left))
            .unwrap()
            .unwrap_or_else(|| panic!("nothing picked in time; skipped {skipped:?}"));
        match pick(&event) {
            Some(found) => return (found, skipped),
            None => skipped.push(event),
        }
    }
}

/// `user` logged in and online: its first event is `Online`, returned with the session.
fn login(user: &str, config: &ClientConfig) -> (Session, usize) {
    let mut session = Session::connect(&bare(user), scenarios::PASSWORD, config).unwrap();
    match next(&mut session) {
        SessionEvent::Online { roster_items } => (session, roster_items),
        other => panic!("{other:?} before Online"),
    }
}

/// UCR-ROSTER-24: the roster (with what the session itself added before) comes before
/// `Online`, which is the first event.
#[test]
fn ucr_roster_24_a_session_is_online_after_its_roster() {
    let (_server, config, _) = server();
    let (mut alice, items) = login("alice", &config);
    assert_eq!(items, 0);
    assert_eq!(alice.jid().to_bare(), bare("alice"));
    // A roster set is a round trip too; its push is an event.
    let set = RosterQuery {
        ver: None,
        items: vec![RosterItem::new(bare("bob").into())],
    };
    assert_eq!(alice.request(Iq::set(None, "", set), STEP), Ok(None));
    let (pushed, _) = until(&mut alice, |e| match e {
        SessionEvent::RosterPushed(jid) => Some(jid.clone()),
        _ => None,
    });
    assert_eq!(pushed, bare("bob"));
    // A second resource gets the roster before it is online.
    let (again, items) = login("alice", &config);
    assert_eq!(items, 1);
    assert_ne!(again.jid(), alice.jid());
    again.close().unwrap();
    alice.close().unwrap();
}

/// UCR-ELEV-42: ping and disco#info to the server, and an error answer, each one call.
#[test]
fn iq_round_trips_to_the_server_are_one_call_with_typed_answers() {
    let (_server, config, _) = server();
    let (mut alice, _) = login("alice", &config);
    // A ping: the empty result.
    assert_eq!(
        alice.request(Iq::get(Some(domain()), "", Ping), STEP),
        Ok(None)
    );
    // disco#info: the payload, typed by the caller.
    let info = alice
        .request(Iq::get(Some(domain()), "", DiscoInfo::default()), STEP)
        .unwrap()
        .expect("a disco#info payload");
    assert!(
        DiscoInfo::try_from(&info)
            .unwrap()
            .has_feature("urn:xmpp:ping")
    );
    // An error answer is typed.
    let register = Element::new("query", "jabber:iq:register");
    match alice.request(Iq::get(Some(domain()), "", register), STEP) {
        Err(RequestError::Error(e)) => assert_eq!(e.condition, Condition::ServiceUnavailable),
        other => panic!("{other:?}"),
    }
    // The answers were taken by their requests: none is left over for next_event (the
    // reflected initial presence is).
    let left: Vec<_> =
        std::iter::from_fn(|| alice.next_event(Some(Duration::from_millis(200))).unwrap())
            .collect();
    assert!(
        !left
            .iter()
            .any(|e| matches!(e, SessionEvent::IqResponse { .. })),
        "{left:?}"
    );
    alice.close().unwrap();
}

#[test]
fn an_echo_bot_answers_a_chat_message() {
    let (_server, config, _) = server();
    let (mut bot, _) = login("bob", &config);
    let (mut alice, _) = login("alice", &config);
    let bot = std::thread::spawn(move || {
        let (message, _) = until(&mut bot, |e| match e {
            SessionEvent::Message(m) => Some(m.clone()),
            _ => None,
        });
        let (Some(from), Some(body)) = (&message.from, message.body()) else {
            panic!("{message:?}")
        };
        bot.send_chat(&from.to_bare(), &format!("echo: {body}"))
            .unwrap();
        bot
    });
    alice.send_chat(&bare("bob"), "hello").unwrap();
    let (reply, _) = until(&mut alice, |e| match e {
        SessionEvent::Message(m) => Some(m.clone()),
        _ => None,
    });
    assert_eq!(reply.body(), Some("echo: hello"));
    assert_eq!(reply.from.unwrap().to_bare(), bare("bob"));
    bot.join().unwrap().close().unwrap();
    alice.close().unwrap();
}

/// A request nobody answers in time fails with `Timeout` and is forgotten: the late answer is
/// no event, and the session goes on.
#[test]
fn a_request_times_out_and_its_late_answer_is_dropped() {
    let (_server, config, _) = server();
    let (mut alice, _) = login("alice", &config);
    let (mut bob, _) = login("bob", &config);
    let to = Jid::from(bob.jid().clone());
    let query = Element::new("query", "urn:example:slow");
    let started = Instant::now();
    assert_eq!(
        alice.request(Iq::get(Some(to), "", query), Duration::from_millis(300)),
        Err(RequestError::Timeout)
    );
    assert!(started.elapsed() < STEP);
    // Bob answers late, then says so in a message.
    let (request, _) = until(&mut bob, |e| match e {
        SessionEvent::IqRequest(iq) => Some(iq.clone()),
        _ => None,
    });
    bob.answer(&request, Ok(None)).unwrap();
    bob.send_chat(&bare("alice"), "answered").unwrap();
    let (_, before) = until(&mut alice, |e| match e {
        SessionEvent::Message(m) if m.body() == Some("answered") => Some(()),
        _ => None,
    });
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, SessionEvent::IqResponse { .. })),
        "{before:?}"
    );
    // The session goes on.
    assert_eq!(
        alice.request(Iq::get(Some(domain()), "", Ping), STEP),
        Ok(None)
    );
    bob.close().unwrap();
    alice.close().unwrap();
}

/// Without reconnection, the server shuts down while a request waits: the request fails with
/// `LinkLost` (not an error answer), `Disconnected` follows as an event, and afterwards
/// requests and sends fail at once with `Closed`.
#[test]
fn the_end_of_the_session_is_reported_and_later_requests_fail_closed() {
    let (server, config, _) = server();
    let no_reconnect = SessionConfig {
        reconnect: None,
        ..SessionConfig::default()
    };
    let mut alice =
        Session::connect_with_config(&bare("alice"), scenarios::PASSWORD, &config, no_reconnect)
            .unwrap();
    assert!(matches!(next(&mut alice), SessionEvent::Online { .. }));
    let (bob, _) = login("bob", &config);
    let to = Jid::from(bob.jid().clone());
    let shutdown = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        server.shutdown();
    });
    let started = Instant::now();
    let waiting = alice.request(
        Iq::get(Some(to), "", Element::new("query", "urn:example:slow")),
        STEP * 3,
    );
    assert_eq!(waiting, Err(RequestError::LinkLost));
    assert!(started.elapsed() < STEP * 2);
    let (reason, skipped) = until(&mut alice, |e| match e {
        SessionEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    });
    assert!(
        !skipped
            .iter()
            .any(|e| matches!(e, SessionEvent::Reconnecting { .. })),
        "reconnection is off: {skipped:?}"
    );
    match &reason {
        DisconnectReason::Stream(CloseReason::PeerError(e)) => {
            assert_eq!(e.condition(), StreamCondition::SystemShutdown)
        }
        DisconnectReason::Stream(CloseReason::TransportClosed | CloseReason::Graceful) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        alice.request(Iq::get(Some(domain()), "", Ping), STEP),
        Err(RequestError::Closed)
    );
    assert!(matches!(
        alice.send_chat(&bare("bob"), "late"),
        Err(Error::Closed(_))
    ));
    assert!(matches!(
        alice.next_event(Some(STEP)),
        Err(Error::Closed(_))
    ));
    alice.close().unwrap();
    drop(bob);
    shutdown.join().unwrap();
}

/// The `echo-bot` example: logs in, then answers a chat message with its body.
#[test]
fn the_echo_bot_example_echoes() {
    let (_server, config, ca) = server();
    let ca_path = support::ca_file(&ca, "echo-bot");
    let (host, port) = config.server.clone().unwrap();
    let mut bot = support::example(
        "echo-bot",
        &[
            "--jid",
            bare("bob").as_str(),
            "--password",
            scenarios::PASSWORD,
            "--connect",
            &format!("{host}:{port}"),
            "--ca",
            ca_path.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // The bot says when it is online.
    let mut stdout = BufReader::new(bot.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("online as bob@localhost/"), "{line:?}");
    let (mut alice, _) = login("alice", &config);
    alice.send_chat(&bare("bob"), "ping?").unwrap();
    let (reply, _) = until(&mut alice, |e| match e {
        SessionEvent::Message(m) => Some(m.clone()),
        _ => None,
    });
    assert_eq!(reply.body(), Some("ping?"));
    assert_eq!(reply.from.unwrap().to_bare(), bare("bob"));
    alice.close().unwrap();
    bot.kill().unwrap();
    bot.wait().unwrap();
    let _ = std::fs::remove_file(ca_path);
}
