//! Routing in the server core (RFC 6120 §10, RFC 6121 §8): stamping, delivery by full and bare
//! JID, priorities, offline storage, bounces, and presence that reaches contacts only.

mod support;

use support::{Harness, error_condition, sent, to};
use xmpp_server::{Action, Config};
use xmpp_stanza::Message;
use xmpp_stanza::xep::delay::Delay;
use xmpp_stream::stream_error::StreamCondition;

#[test]
fn ucr_stanza_10_from_is_the_senders_full_jid_whatever_the_client_wrote() {
    let mut h = Harness::new();
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='chat' from='tybalt@example.com/sword' \
         to='juliet@example.com/balcony'><body>hi</body></message>",
    );
    let got = to(juliet, &out);
    assert_eq!(got.len(), 1, "{out:?}");
    assert_eq!(got[0].attr("from"), Some("romeo@example.com/orchard"));
}

#[test]
fn ucr_stanza_20_the_streams_language_is_added_where_a_stanza_names_none() {
    let mut h = Harness::new();
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.authenticated("romeo", Some("it"));
    h.bind(romeo, Some("orchard"));
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='chat' to='juliet@example.com/balcony'><body>ciao</body></message>",
    );
    assert_eq!(to(juliet, &out)[0].lang(), Some("it"));
    // A stanza's own language is kept.
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='chat' xml:lang='en' to='juliet@example.com/balcony'><body>hi</body></message>",
    );
    assert_eq!(to(juliet, &out)[0].lang(), Some("en"));
}

#[test]
fn ucr_stanza_8_what_the_server_itself_sends_comes_from_its_domain() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='v1' to='example.com'><query xmlns='jabber:iq:version'/></iq>",
    );
    let reply = &to(romeo, &out)[0];
    assert_eq!(reply.attr("type"), Some("result"));
    assert_eq!(reply.attr("from"), Some("example.com"));
    assert_eq!(reply.attr("to"), Some("romeo@example.com/orchard"));
    // A message to the server itself is not handled: service-unavailable from the domain.
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' to='example.com' id='m1'><body>hello server</body></message>",
    );
    let bounce = &to(romeo, &out)[0];
    assert_eq!(bounce.attr("from"), Some("example.com"));
    assert_eq!(
        error_condition(bounce).as_deref(),
        Some("service-unavailable")
    );
}

#[test]
fn ucr_stanza_9_answers_for_the_account_carry_no_from_or_the_bare_jid() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    for (id, to_attr) in [("a", ""), ("b", " to='romeo@example.com'")] {
        let out = h.exchange(
            romeo,
            &format!("<iq xmlns='jabber:client' type='get' id='{id}'{to_attr}><query xmlns='jabber:iq:roster'/></iq>"),
        );
        let reply = &to(romeo, &out)[0];
        assert_eq!(reply.attr("type"), Some("result"), "{reply:?}");
        assert!(
            matches!(reply.attr("from"), None | Some("romeo@example.com")),
            "{reply:?}"
        );
    }
}

#[test]
fn ucr_route_11_an_iq_to_another_accounts_bare_jid_is_answered_by_the_server() {
    let mut h = Harness::new();
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='d1' to='juliet@example.com'>\
         <query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    assert!(
        to(juliet, &out).is_empty(),
        "not given to a resource: {out:?}"
    );
    let reply = &to(romeo, &out)[0];
    assert_eq!(reply.attr("type"), Some("result"));
    assert_eq!(reply.attr("from"), Some("juliet@example.com"));
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='d2' to='juliet@example.com'><query xmlns='urn:example:unknown'/></iq>",
    );
    assert_eq!(
        error_condition(&to(romeo, &out)[0]).as_deref(),
        Some("service-unavailable")
    );
}

#[test]
fn ucr_route_5_a_stanza_for_a_domain_no_stream_reaches_is_bounced_remote_server_not_found() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    for xml in [
        "<message xmlns='jabber:client' type='chat' id='m' to='mercutio@verona.example'><body>x</body></message>",
        "<iq xmlns='jabber:client' type='get' id='i' to='verona.example'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<presence xmlns='jabber:client' type='subscribe' id='p' to='mercutio@verona.example'/>",
    ] {
        let out = h.exchange(romeo, xml);
        let bounces = to(romeo, &out);
        assert!(
            bounces
                .iter()
                .any(|b| error_condition(b).as_deref() == Some("remote-server-not-found")),
            "{xml}: {out:?}"
        );
    }
}

#[test]
fn a_bare_jid_message_goes_to_the_highest_non_negative_priority() {
    let mut h = Harness::new();
    let low = h.available("juliet", "low", 1);
    let high = h.available("juliet", "high", 5);
    let hidden = h.available("juliet", "hidden", -1);
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='chat' to='juliet@example.com'><body>hi</body></message>",
    );
    assert_eq!(to(high, &out).len(), 1, "{out:?}");
    assert!(to(low, &out).is_empty());
    assert!(
        to(hidden, &out).is_empty(),
        "negative priority never gets bare-JID messages"
    );
}

#[test]
fn a_full_jid_message_for_a_gone_resource_falls_back_to_the_bare_jid() {
    let mut h = Harness::new();
    let garden = h.available("juliet", "garden", 0);
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='chat' to='juliet@example.com/balcony'><body>hi</body></message>",
    );
    assert_eq!(to(garden, &out).len(), 1, "{out:?}");
}

#[test]
fn offline_messages_are_stamped_kept_and_delivered_on_initial_presence() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='chat' id='m1' to='juliet@example.com'><body>wherefore</body></message>",
    );
    assert!(out.is_empty(), "stored, not bounced: {out:?}");
    let juliet_bare = "juliet@example.com".parse().unwrap();
    assert_eq!(
        xmpp_server::Storage::offline_count(h.server.storage(), &juliet_bare).unwrap(),
        1
    );

    let juliet = h.online("juliet", "balcony");
    let out = h.exchange(juliet, "<presence xmlns='jabber:client'/>");
    let delivered: Vec<_> = to(juliet, &out)
        .into_iter()
        .filter(|e| e.name() == "message")
        .collect();
    assert_eq!(delivered.len(), 1, "{out:?}");
    let m = Message::try_from(&delivered[0]).unwrap();
    assert_eq!(m.body(), Some("wherefore"));
    assert_eq!(
        m.from.as_ref().unwrap().as_str(),
        "romeo@example.com/orchard"
    );
    let delay: Delay = m.payload::<Delay>().unwrap().unwrap();
    assert_eq!(delay.stamp.to_string(), "2009-02-13T23:31:30Z");
    assert_eq!(delay.from.as_ref().unwrap().as_str(), "example.com");
    assert_eq!(
        xmpp_server::Storage::offline_count(h.server.storage(), &juliet_bare).unwrap(),
        0
    );
}

#[test]
fn a_full_offline_store_bounces_service_unavailable_instead_of_dropping() {
    let mut config = Config::new(["example.com"]);
    config.max_offline_per_account = 1;
    let mut h = Harness::with(config);
    let romeo = h.available("romeo", "orchard", 0);
    let msg = "<message xmlns='jabber:client' type='chat' id='m' to='juliet@example.com'><body>x</body></message>";
    assert!(h.exchange(romeo, msg).is_empty());
    let out = h.exchange(romeo, msg);
    assert_eq!(
        error_condition(&to(romeo, &out)[0]).as_deref(),
        Some("service-unavailable")
    );
}

#[test]
fn a_message_to_an_unknown_account_is_bounced() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='chat' id='m' to='nobody@example.com'><body>x</body></message>",
    );
    assert_eq!(
        error_condition(&to(romeo, &out)[0]).as_deref(),
        Some("service-unavailable")
    );
}

#[test]
fn ucr_pres_1_broadcast_presence_reaches_subscribed_contacts_and_no_one_else() {
    let mut h = Harness::new();
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);
    let tybalt = h.available("tybalt", "street", 0);
    h.stanza(
        romeo,
        "<presence xmlns='jabber:client' type='subscribe' to='juliet@example.com'/>",
    );
    h.stanza(
        juliet,
        "<presence xmlns='jabber:client' type='subscribed' to='romeo@example.com'/>",
    );
    h.actions();
    let out = h.exchange(
        juliet,
        "<presence xmlns='jabber:client'><show>away</show></presence>",
    );
    assert!(
        to(romeo, &out).iter().any(|p| p.name() == "presence" && p.attr("from") == Some("juliet@example.com/balcony")),
        "{out:?}"
    );
    assert!(
        to(tybalt, &out).is_empty(),
        "a non-contact receives nothing: {out:?}"
    );
    // The sender gets its own presence back (RFC 6121 §4.2.2).
    assert!(to(juliet, &out).iter().any(|p| p.name() == "presence"));
}

#[test]
fn a_non_stanza_element_closes_the_stream_with_unsupported_stanza_type() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    h.stanza(romeo, "<foo xmlns='jabber:client'/>");
    let actions = h.actions();
    assert!(
        matches!(
            actions.as_slice(),
            [Action::Close { conn, error }] if *conn == romeo && error.condition() == StreamCondition::UnsupportedStanzaType
        ),
        "{actions:?}"
    );
    assert_eq!(h.server.bound_resources(), 0);
}

#[test]
fn an_unparsable_stanza_is_answered_with_the_matching_error() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='nonsense' id='x' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let reply = &to(romeo, &out)[0];
    assert_eq!(reply.attr("type"), Some("error"));
    assert_eq!(error_condition(reply).as_deref(), Some("bad-request"));
    // An error stanza is never answered, even a malformed one.
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='error' to='bad@@jid'><body>x</body></message>",
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn events_for_unknown_connections_are_typed_errors() {
    let mut h = Harness::new();
    let conn = h.available("romeo", "orchard", 0);
    h.closed(conn);
    let err = h
        .server
        .handle_event(conn, xmpp_stream::connection::Event::Established, h.now)
        .unwrap_err();
    assert_eq!(err.0, conn);
    assert!(err.to_string().contains("not an open connection"));
    let _ = sent;
}
