//! Hosted XEP-0114 components in the server core: stanzas to their domain reach them in
//! `jabber:component:accept`, theirs reach local accounts, and they speak only for their own
//! domain.

mod support;

use support::{Harness, error_condition, sent, to};
use xmpp_server::{Action, Component, Config};
use xmpp_stanza::xep::disco::DiscoItems;
use xmpp_stream::stream_error::StreamCondition;

const MUC: &str = "conference.example.com";

fn harness() -> Harness {
    let mut config = Config::new(["example.com"]);
    let mut muc = Component::new(MUC, "s3cret");
    muc.name = Some("Chatrooms".into());
    config.components.push(muc);
    config
        .components
        .push(Component::new("gateway.example.com", "other"));
    Harness::with(config)
}

#[test]
fn a_message_to_the_components_domain_reaches_it_in_the_component_namespace() {
    let mut h = harness();
    let muc = h.component(MUC);
    assert!(h.server.is_component_connected(MUC));
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<message xmlns='jabber:client' type='groupchat' to='room@conference.example.com'><body>hi</body></message>",
    );
    let got = to(muc, &out);
    assert_eq!(got.len(), 1, "{out:?}");
    assert_eq!(got[0].ns(), "jabber:component:accept");
    assert_eq!(got[0].attr("from"), Some("romeo@example.com/orchard"));
    assert_eq!(
        got[0].children().next().unwrap().ns(),
        "jabber:component:accept"
    );
}

#[test]
fn what_a_component_sends_reaches_local_accounts_in_the_client_namespace() {
    let mut h = harness();
    let muc = h.component(MUC);
    let romeo = h.available("romeo", "orchard", 0);
    // A message, and presence directed to the occupant's full JID.
    let out = h.exchange(
        muc,
        "<message xmlns='jabber:component:accept' type='groupchat' from='room@conference.example.com/juliet' \
         to='romeo@example.com/orchard'><body>hello</body></message>",
    );
    let got = to(romeo, &out);
    assert_eq!(got.len(), 1, "{out:?}");
    assert_eq!(got[0].ns(), "jabber:client");
    assert_eq!(
        got[0].attr("from"),
        Some("room@conference.example.com/juliet")
    );
    let out = h.exchange(
        muc,
        "<presence xmlns='jabber:component:accept' from='room@conference.example.com/juliet' to='romeo@example.com/orchard'/>",
    );
    assert_eq!(to(romeo, &out).len(), 1, "{out:?}");
    // An IQ request to the user's resource, and its answer back to the component.
    let out = h.exchange(
        muc,
        "<iq xmlns='jabber:component:accept' type='get' id='q1' from='conference.example.com' \
         to='romeo@example.com/orchard'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert_eq!(to(romeo, &out).len(), 1, "{out:?}");
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='result' id='q1' to='conference.example.com'/>",
    );
    let answer = to(muc, &out);
    assert_eq!(answer.len(), 1, "{out:?}");
    assert_eq!(answer[0].attr("type"), Some("result"));
}

#[test]
fn a_component_without_from_is_stamped_with_its_domain() {
    let mut h = harness();
    let muc = h.component(MUC);
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        muc,
        "<message xmlns='jabber:component:accept' to='romeo@example.com/orchard'><body>x</body></message>",
    );
    assert_eq!(to(romeo, &out)[0].attr("from"), Some(MUC));
}

#[test]
fn a_component_speaking_for_another_domain_is_closed_with_invalid_from() {
    let mut h = harness();
    let muc = h.component(MUC);
    h.available("romeo", "orchard", 0);
    h.stanza(
        muc,
        "<message xmlns='jabber:component:accept' from='juliet@example.com/balcony' to='romeo@example.com'><body>forged</body></message>",
    );
    let actions = h.actions();
    assert!(
        matches!(
            actions.as_slice(),
            [Action::Close { conn, error }] if *conn == muc && error.condition() == StreamCondition::InvalidFrom
        ),
        "{actions:?}"
    );
    assert!(!h.server.is_component_connected(MUC));
}

#[test]
fn a_second_connection_for_a_live_component_domain_gets_conflict() {
    let mut h = harness();
    let first = h.component(MUC);
    let second = h.component(MUC);
    let actions = h.actions();
    assert!(
        matches!(
            actions.as_slice(),
            [Action::Close { conn, error }] if *conn == second && error.condition() == StreamCondition::Conflict
        ),
        "{actions:?}"
    );
    assert!(h.server.is_component_connected(MUC));
    // When the first goes, the domain is free again.
    h.closed(first);
    h.component(MUC);
    assert!(h.actions().is_empty());
    assert!(h.server.is_component_connected(MUC));
}

#[test]
fn a_stanza_for_a_component_that_is_not_connected_is_bounced_service_unavailable() {
    let mut h = harness();
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='i' to='gateway.example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let reply = &to(romeo, &out)[0];
    assert_eq!(
        error_condition(reply).as_deref(),
        Some("service-unavailable")
    );
    assert_eq!(reply.attr("from"), Some("gateway.example.com"));
}

#[test]
fn disco_items_of_the_server_lists_the_hosted_components() {
    let mut h = harness();
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='d' to='example.com'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    );
    let reply = &to(romeo, &out)[0];
    let items = DiscoItems::try_from(reply.children().next().unwrap()).unwrap();
    let listed: Vec<_> = items
        .items
        .iter()
        .map(|i| (i.jid.as_str(), i.name.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [(MUC, Some("Chatrooms")), ("gateway.example.com", None)]
    );
}

#[test]
fn a_component_may_query_the_server_and_message_other_components() {
    let mut h = harness();
    let muc = h.component(MUC);
    let gateway = h.component("gateway.example.com");
    let out = h.exchange(
        muc,
        "<iq xmlns='jabber:component:accept' type='get' id='p' from='conference.example.com' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let reply = &to(muc, &out)[0];
    assert_eq!(reply.attr("type"), Some("result"));
    assert_eq!(reply.ns(), "jabber:component:accept");
    let out = h.exchange(
        muc,
        "<message xmlns='jabber:component:accept' from='conference.example.com' to='gateway.example.com'><body>x</body></message>",
    );
    assert_eq!(to(gateway, &out).len(), 1, "{out:?}");
    let _ = sent;
}
