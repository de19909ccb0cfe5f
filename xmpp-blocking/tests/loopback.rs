//! Our blocking client against our blocking server on loopback, over STARTTLS + SCRAM.

mod support;

use std::time::Duration;

use xmpp_blocking::{Client, Error, Event, LoginError};
use xmpp_stream::tls_failure::{CertificateOf, CertificateProblem, TlsFailure};
use xmpp_stream::xml::Element;

const NS: &str = "jabber:client";

fn next_stanza(client: &mut Client, name: &str) -> Element {
    loop {
        match client.recv_timeout(Duration::from_secs(30)).unwrap() {
            Some(Event::Stanza(el)) if el.name() == name => return el,
            Some(_) => {}
            None => panic!("no <{name}/> arrived"),
        }
    }
}

#[test]
fn ucr_tls_1_login_over_starttls_binds_a_resource() {
    let (server, ca) = support::tls_server();
    let mut config = support::client_config(&server, &ca);
    config.resource = Some("desk".into());
    let client = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap();
    assert_eq!(client.jid().as_str(), "alice@localhost/desk");
    assert!(client_is_tls(client));
}

fn client_is_tls(mut client: Client) -> bool {
    let tls = client.driver_mut().connection().is_tls();
    client.close().unwrap();
    tls
}

#[test]
fn wrong_password_is_an_auth_error() {
    let (server, ca) = support::tls_server();
    let err = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "wrong",
        &support::client_config(&server, &ca),
    )
    .unwrap_err();
    match err {
        Error::Login(LoginError::Auth { condition, .. }) => {
            assert_eq!(condition, xmpp_sasl::SaslCondition::NotAuthorized)
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
}

#[test]
fn ucr_tls_9_untrusted_certificate_is_a_tls_error_naming_the_problem() {
    let (server, _ca) = support::tls_server();
    let other_ca = xmpp_stream::testing::TestPki::new(&["localhost"]).ca;
    let err = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &other_ca),
    )
    .unwrap_err();
    match err {
        Error::Login(LoginError::Tls(TlsFailure::Certificate {
            problem: CertificateProblem::UnknownIssuer | CertificateProblem::BadSignature,
            of: CertificateOf::Peer,
            ..
        })) => {}
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn presence_and_a_message_round_trip() {
    let (server, ca) = support::tls_server();
    let mut alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap();
    let mut bob = Client::connect(
        &"bob@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap();

    // Initial presence: reflected to the sender's own resources (alice and bob are not
    // contacts, so neither sees the other's: the presence scenarios of `im_server.rs`).
    bob.send(&Element::new("presence", NS)).unwrap();
    let reflected = next_stanza(&mut bob, "presence");
    assert_eq!(reflected.attr("from"), Some(bob.jid().as_str()));
    alice.send(&Element::new("presence", NS)).unwrap();
    let reflected = next_stanza(&mut alice, "presence");
    assert_eq!(reflected.attr("from"), Some(alice.jid().as_str()));

    // alice -> bob and back.
    let mut msg = Element::new("message", NS);
    msg.set_attr("to", "bob@localhost");
    msg.set_attr("type", "chat");
    let mut body = Element::new("body", NS);
    body.push_text("hello bob");
    msg.push_child(body);
    alice.send(&msg).unwrap();
    let got = next_stanza(&mut bob, "message");
    assert_eq!(got.attr("from"), Some(alice.jid().as_str()));
    assert_eq!(got.child_text("body", NS).as_deref(), Some("hello bob"));

    let mut answer = Element::new("message", NS);
    answer.set_attr("to", alice.jid().as_str().to_owned());
    let mut body = Element::new("body", NS);
    body.push_text("hello alice");
    answer.push_child(body);
    bob.send(&answer).unwrap();
    let back = next_stanza(&mut alice, "message");
    assert_eq!(back.attr("from"), Some(bob.jid().as_str()));
    assert_eq!(back.child_text("body", NS).as_deref(), Some("hello alice"));

    alice.close().unwrap();
    bob.close().unwrap();
}

#[test]
fn roster_get_is_answered_and_unknown_recipient_bounces() {
    let (server, ca) = support::tls_server();
    let mut alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap();
    let mut iq = Element::new("iq", NS);
    iq.set_attr("type", "get");
    iq.set_attr("id", "r1");
    iq.push_child(Element::new("query", "jabber:iq:roster"));
    alice.send(&iq).unwrap();
    let result = next_stanza(&mut alice, "iq");
    assert_eq!(result.attr("id"), Some("r1"));
    assert_eq!(result.attr("type"), Some("result"));
    assert!(result.has_child("query", "jabber:iq:roster"));

    let mut msg = Element::new("message", NS);
    msg.set_attr("to", "nobody@localhost");
    alice.send(&msg).unwrap();
    let bounce = next_stanza(&mut alice, "message");
    assert_eq!(bounce.attr("type"), Some("error"));
    alice.close().unwrap();
}

#[test]
fn recv_timeout_returns_none_when_nothing_arrives() {
    let (server, ca) = support::tls_server();
    let mut alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap();
    assert!(
        alice
            .recv_timeout(Duration::from_millis(50))
            .unwrap()
            .is_none()
    );
    alice.close().unwrap();
}

#[test]
fn direct_tls_login() {
    let (server, ca) = support::tls_server_with(true);
    let mut config = support::client_config(&server, &ca);
    config.direct_tls = true;
    let client = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap();
    assert_eq!(client.jid().to_bare().as_str(), "alice@localhost");
    assert!(client_is_tls(client));
}

#[test]
fn ucr_stream_23_close_completes_the_closing_handshake_and_frees_the_route() {
    let (server, ca) = support::tls_server();
    let alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap();
    let jid = alice.jid().clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    // The core binds the resource before the client hears of it.
    assert!(server.inspect(|core| core.connection_of(&jid).is_some()));
    // Ok means the server's closing tag came back (a timeout or a drop is an error).
    alice.close().unwrap();
    while server.inspect(|core| core.connection_of(&jid).is_some() || core.connections() > 0) {
        assert!(std::time::Instant::now() < deadline, "route never freed");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn connections_over_the_limit_are_refused_and_the_slot_comes_back() {
    let (server, ca) = support::tls_server_custom(|c| c.max_connections = 1);
    let alice = Client::connect(
        &"alice@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap();
    let err = Client::connect(
        &"bob@localhost".parse().unwrap(),
        "secret",
        &support::client_config(&server, &ca),
    )
    .unwrap_err();
    assert!(!err.is_timeout(), "refused, not left hanging: {err:?}");
    alice.close().unwrap();
    // The slot is free once alice's thread ends.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match Client::connect(
            &"bob@localhost".parse().unwrap(),
            "secret",
            &support::client_config(&server, &ca),
        ) {
            Ok(bob) => {
                bob.close().unwrap();
                break;
            }
            Err(e) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "slot never freed: {e}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

#[test]
fn ucr_dscp_1_client_marks_its_packets() {
    let (server, ca) = support::tls_server_custom(|c| c.dscp = Some(46));
    let mut config = support::client_config(&server, &ca);
    config.dscp = Some(34);
    let mut alice =
        Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap();
    let stream = alice.driver_mut().get_ref();
    assert_eq!(xmpp_blocking::socket::dscp(stream).unwrap(), 34);
    alice.close().unwrap();
}

#[test]
fn ucr_dscp_1_out_of_range_dscp_is_a_config_error() {
    let (server, ca) = support::tls_server();
    let mut config = support::client_config(&server, &ca);
    config.dscp = Some(64);
    let err = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn anonymous_login_with_connect_with_gets_a_generated_identity() {
    let mut profile = xmpp_stream::profile::Profile::rfc6120();
    profile.allow_anonymous = true;
    let profile = std::sync::Arc::new(profile);
    let (server, ca) = support::tls_server_custom(|c| c.profile = profile.clone());
    let mut config = support::client_config(&server, &ca);
    config.profile = profile;
    let client = Client::connect_with(
        &"localhost".parse().unwrap(),
        xmpp_sasl::Credentials::anonymous(),
        &config,
    )
    .unwrap();
    assert_eq!(client.jid().domain(), "localhost");
    assert!(client.jid().node().is_some(), "{}", client.jid());
    client.close().unwrap();
}

#[test]
fn ucr_sasl_3_anonymous_is_refused_by_the_default_profile() {
    let (server, ca) = support::tls_server();
    let mut config = support::client_config(&server, &ca);
    std::sync::Arc::make_mut(&mut config.profile).allow_anonymous = true;
    let err = Client::connect_with(
        &"localhost".parse().unwrap(),
        xmpp_sasl::Credentials::anonymous(),
        &config,
    )
    .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    assert!(
        matches!(
            err,
            Error::Login(LoginError::Auth { .. } | LoginError::Negotiation(_))
        ),
        "{err:?}"
    );
}
