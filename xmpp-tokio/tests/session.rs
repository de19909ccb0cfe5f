//! `Session` (the typed client on `xmpp_im::session::ClientSession`) against `serve_im`: the
//! session order, IQ round trips as one call, typed messages, and the end of the session.

#[path = "../examples/common/tls.rs"]
mod tls;

use std::time::Duration;

use xmpp_interop::scenarios;
use xmpp_stanza::xep::disco::DiscoInfo;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{Condition, Iq};
use xmpp_tokio::session::{DisconnectReason, RequestError, Session, SessionConfig, SessionEvent};
use xmpp_tokio::xmpp_server::Config;
use xmpp_tokio::{ClientConfig, ImServer, ImServerConfig};

const STEP: Duration = Duration::from_secs(10);

async fn server() -> (ImServer, ClientConfig) {
    let material = tls::TlsMaterial::generate(scenarios::DOMAIN).unwrap();
    let mut config = ImServerConfig::new(
        Config::new([scenarios::DOMAIN]),
        Some((
            material.server_config().unwrap(),
            Some(material.cert.clone()),
        )),
        scenarios::credentials(),
    );
    config.accounts = scenarios::accounts();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = xmpp_tokio::serve_im([listener], [], config).unwrap();
    let client = ClientConfig::new(material.client_config().unwrap())
        .with_server("127.0.0.1", server.client_addrs()[0].port());
    (server, client)
}

async fn next(session: &mut Session) -> SessionEvent {
    tokio::time::timeout(STEP, session.events.recv())
        .await
        .expect("an event in time")
        .expect("the session is running")
}

async fn login(user: &str, config: &ClientConfig) -> Session {
    let jid = format!("{user}@{}", scenarios::DOMAIN).parse().unwrap();
    let mut session = Session::connect(&jid, scenarios::PASSWORD, config)
        .await
        .unwrap();
    assert!(matches!(
        next(&mut session).await,
        SessionEvent::Online { .. }
    ));
    session
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucr_roster_24_a_session_is_online_after_its_roster_and_iq_round_trips_are_one_call() {
    let (server, config) = server().await;
    let alice = login("alice", &config).await;
    let domain: xmpp_tokio::Jid = scenarios::DOMAIN.parse().unwrap();
    // A ping to the server: the empty result.
    let pong = alice
        .handle
        .request(Iq::get(Some(domain.clone()), "", Ping))
        .await;
    assert_eq!(pong, Ok(None));
    // disco#info: the typed payload.
    let info = alice
        .handle
        .request(Iq::get(Some(domain.clone()), "", DiscoInfo::default()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        DiscoInfo::try_from(&info)
            .unwrap()
            .has_feature("urn:xmpp:ping")
    );
    // An error answer is typed.
    let register = xmpp_stream::xml::Element::new("query", "jabber:iq:register");
    match alice
        .handle
        .request(Iq::get(Some(domain), "", register))
        .await
    {
        Err(RequestError::Error(e)) => assert_eq!(e.condition, Condition::ServiceUnavailable),
        other => panic!("{other:?}"),
    }
    alice.handle.close().await.unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_bot_answers_a_chat_message() {
    let (server, config) = server().await;
    let mut bot = login("bob", &config).await;
    let mut alice = login("alice", &config).await;
    let bot_task = tokio::spawn(async move {
        while let Some(event) = bot.events.recv().await {
            if let SessionEvent::Message(m) = event {
                if let (Some(from), Some(body)) = (&m.from, m.body()) {
                    bot.handle
                        .send_chat(&from.to_bare(), &format!("echo: {body}"))
                        .await
                        .unwrap();
                    return;
                }
            }
        }
    });
    let bob = format!("bob@{}", scenarios::DOMAIN).parse().unwrap();
    alice.handle.send_chat(&bob, "hello").await.unwrap();
    let reply = loop {
        if let SessionEvent::Message(m) = next(&mut alice).await {
            break m;
        }
    };
    assert_eq!(reply.body(), Some("echo: hello"));
    assert_eq!(
        reply.from.unwrap().to_bare().as_str(),
        format!("bob@{}", scenarios::DOMAIN)
    );
    tokio::time::timeout(STEP, bot_task).await.unwrap().unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_the_session_is_an_event_and_ends_waiting_requests() {
    let (server, config) = server().await;
    // Without reconnection: the first lost link ends the session.
    let jid = format!("alice@{}", scenarios::DOMAIN).parse().unwrap();
    let no_reconnect = SessionConfig {
        reconnect: None,
        ..SessionConfig::default()
    };
    let mut alice = Session::connect_with_config(&jid, scenarios::PASSWORD, &config, no_reconnect)
        .await
        .unwrap();
    assert!(matches!(
        next(&mut alice).await,
        SessionEvent::Online { .. }
    ));
    // The server goes away: the session reports it, and a later request fails at once.
    server.shutdown().await;
    loop {
        match next(&mut alice).await {
            SessionEvent::Disconnected(reason) => {
                assert!(matches!(reason, DisconnectReason::Stream(_)), "{reason:?}");
                break;
            }
            SessionEvent::Reconnecting { .. } => panic!("reconnection is off"),
            _ => {}
        }
    }
    assert!(
        tokio::time::timeout(STEP, alice.events.recv())
            .await
            .unwrap()
            .is_none(),
        "Disconnected is the last event"
    );
    let domain: xmpp_tokio::Jid = scenarios::DOMAIN.parse().unwrap();
    let late = tokio::time::timeout(STEP, alice.handle.request(Iq::get(Some(domain), "", Ping)))
        .await
        .unwrap();
    assert_eq!(late, Err(RequestError::Closed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_stream_refuses_to_write_fails_at_once() {
    let (server, config) = server().await;
    let alice = login("alice", &config).await;
    let domain: xmpp_tokio::Jid = scenarios::DOMAIN.parse().unwrap();
    // U+0001 is not allowed in XML 1.0: the machine refuses to serialize it.
    let bad = xmpp_stream::xml::Element::builder("query", "urn:example:x")
        .text("\u{1}")
        .build();
    let refused = tokio::time::timeout(
        STEP,
        alice.handle.request(Iq::get(Some(domain.clone()), "", bad)),
    )
    .await
    .expect("an answer in time, not a hang");
    match refused {
        Err(RequestError::Error(e)) => assert_eq!(e.condition, Condition::BadRequest),
        other => panic!("{other:?}"),
    }
    // The session still works.
    assert_eq!(
        alice.handle.request(Iq::get(Some(domain), "", Ping)).await,
        Ok(None)
    );
    server.shutdown().await;
}
