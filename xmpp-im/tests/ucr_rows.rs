//! Focused tests of UCR rows the client session and the server engine implement, one row's text
//! per test: roster IQs on the client side, what a client leaves without `to` or treats as
//! coming from its own account, and the server's handling of a subscription request's `to`.

mod common;

use std::time::Instant;

use common::*;
use rand_core::SeedableRng;
use xmpp_im::roster::RosterQuery as ImRosterQuery;
use xmpp_im::server::{Action, Presence};
use xmpp_im::session::{ClientSession, SessionEvent};
use xmpp_im::stanza_bridge::roster_query_from_im;
use xmpp_im::store::RosterStore;
use xmpp_im::subscription::SubscriptionType as T;
use xmpp_stanza::roster::RosterQuery;
use xmpp_stanza::{Iq, IqPayload, Message, MessageType, Presence as StanzaPresence, Stanza};
use xmpp_stream::connection::Event;
use xmpp_stream::xml::Element;

const ROSTER_NS: &str = "jabber:iq:roster";

fn rng() -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(7)
}

fn element(xml: &str) -> Element {
    xml.parse().unwrap()
}

/// A session for juliet that bound `balcony` and established its stream; returns it with the
/// roster get it sent.
fn connected() -> (ClientSession, Iq) {
    let mut s = ClientSession::new(bare("juliet@example.com"));
    let now = Instant::now();
    s.handle(
        now,
        Event::Bound(full("juliet@example.com/balcony")),
        &mut rng(),
    );
    s.handle(now, Event::Established, &mut rng());
    let get = Iq::try_from(&s.poll_transmit().expect("roster get")).unwrap();
    (s, get)
}

/// [`connected`], then a roster result with one item: the session is online.
fn online() -> ClientSession {
    let (mut s, get) = connected();
    s.handle(
        Instant::now(),
        Event::Stanza(element(&format!(
            "<iq xmlns='jabber:client' type='result' id='{}'><query xmlns='jabber:iq:roster' ver='1'>\
             <item jid='romeo@example.net' subscription='both'/></query></iq>",
            get.id
        ))),
        &mut rng(),
    );
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::Online { roster_items: 1 })
    );
    while s.poll_transmit().is_some() {}
    while s.poll_event().is_some() {}
    s
}

#[test]
fn ucr_roster_1_ucr_roster_15_roster_get_and_result_are_jabber_iq_roster_iqs() {
    let (mut s, get) = connected();
    let IqPayload::Get(query) = &get.payload_kind else {
        panic!("{get:?}")
    };
    assert!(query.is("query", ROSTER_NS), "{query:?}");
    assert_eq!(query.children().count(), 0, "a get is empty");
    // The result is processed: its items become the roster, with their attributes.
    s.handle(
        Instant::now(),
        Event::Stanza(element(&format!(
            "<iq xmlns='jabber:client' type='result' id='{}'><query xmlns='jabber:iq:roster' ver='7'>\
             <item jid='romeo@example.net' name='Romeo' subscription='both'><group>Friends</group></item>\
             <item jid='nurse@example.com' subscription='none' ask='subscribe'/></query></iq>",
            get.id
        ))),
        &mut rng(),
    );
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::Online { roster_items: 2 })
    );
    let romeo = s
        .roster()
        .get(&bare("romeo@example.net"))
        .expect("item kept");
    assert_eq!(romeo.name.as_deref(), Some("Romeo"));
    assert_eq!(romeo.groups, ["Friends"]);
    assert_eq!(romeo.subscription.as_str(), "both");
    let nurse = s.roster().get(&bare("nurse@example.com")).unwrap();
    assert!(nurse.ask);
    assert_eq!(s.roster().request_ver(), Some("7"));
}

#[test]
fn ucr_roster_23_ucr_stanza_11_a_push_is_acknowledged_and_one_without_from_is_our_own() {
    let mut s = online();
    // No `from`: from the user's own account, so it is applied and answered with a result.
    s.handle(
        Instant::now(),
        Event::Stanza(element(
            "<iq xmlns='jabber:client' type='set' id='push1'><query xmlns='jabber:iq:roster' ver='2'>\
             <item jid='nurse@example.com' subscription='none'/></query></iq>",
        )),
        &mut rng(),
    );
    let ack = Iq::try_from(&s.poll_transmit().expect("acknowledged")).unwrap();
    assert!(matches!(ack.payload_kind, IqPayload::Result(_)), "{ack:?}");
    assert_eq!(ack.id, "push1");
    assert!(s.roster().get(&bare("nurse@example.com")).is_some());
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::RosterPushed(bare("nurse@example.com")))
    );
    // From another account: not ours, refused with an error (still an answer), not applied.
    s.handle(
        Instant::now(),
        Event::Stanza(element(
            "<iq xmlns='jabber:client' type='set' id='push2' from='mallory@example.org'>\
             <query xmlns='jabber:iq:roster'><item jid='evil@example.org'/></query></iq>",
        )),
        &mut rng(),
    );
    let refusal = Iq::try_from(&s.poll_transmit().expect("answered")).unwrap();
    assert!(
        matches!(refusal.payload_kind, IqPayload::Error { .. }),
        "{refusal:?}"
    );
    assert_eq!(refusal.id, "push2");
    assert!(s.roster().get(&bare("evil@example.org")).is_none());
    // From the bare account JID: ours as well.
    s.handle(
        Instant::now(),
        Event::Stanza(element(
            "<iq xmlns='jabber:client' type='set' id='push3' from='juliet@example.com'>\
             <query xmlns='jabber:iq:roster'><item jid='tybalt@example.com'/></query></iq>",
        )),
        &mut rng(),
    );
    let ack = Iq::try_from(&s.poll_transmit().unwrap()).unwrap();
    assert!(matches!(ack.payload_kind, IqPayload::Result(_)));
    assert_eq!(ack.id, "push3");
}

#[test]
fn ucr_roster_29_ucr_roster_35_the_client_adds_and_deletes_items_with_roster_sets() {
    let mut s = online();
    for (query, expected) in [
        (
            ImRosterQuery::set(
                bare("nurse@example.com"),
                Some("Nurse".into()),
                vec!["Household".into()],
            ),
            "<item jid='nurse@example.com' name='Nurse'><group>Household</group></item>",
        ),
        (
            ImRosterQuery::remove(bare("romeo@example.net")),
            "<item jid='romeo@example.net' subscription='remove'/>",
        ),
    ] {
        let wire: RosterQuery = roster_query_from_im(&query).unwrap();
        let id = s
            .request(Iq::set(None, "", Element::from(wire)), &mut rng())
            .unwrap();
        let sent = s.poll_transmit().expect("roster set sent");
        let iq = Iq::try_from(&sent).unwrap();
        assert!(matches!(iq.payload_kind, IqPayload::Set(_)));
        assert_eq!((iq.id.as_str(), iq.to.as_ref()), (id.as_str(), None));
        let text = sent.to_xml().unwrap();
        assert!(
            text.contains(&format!("<query xmlns='{ROSTER_NS}'>{expected}</query>")),
            "{text}"
        );
    }
}

#[test]
fn ucr_stanza_4_presence_for_the_server_to_broadcast_carries_no_to() {
    let (mut s, get) = connected();
    s.handle(
        Instant::now(),
        Event::Stanza(element(&format!(
            "<iq xmlns='jabber:client' type='result' id='{}'><query xmlns='jabber:iq:roster'/></iq>",
            get.id
        ))),
        &mut rng(),
    );
    let initial = s.poll_transmit().expect("initial presence");
    assert_eq!(initial.name(), "presence");
    assert_eq!(initial.attr("to"), None);
    // An update the application sends for broadcast has none either, and goes out as it is.
    let mut away = StanzaPresence::available();
    away.show = Some(xmpp_stanza::Show::Away);
    s.send(away);
    let update = s.poll_transmit().unwrap();
    assert_eq!((update.name(), update.attr("to")), ("presence", None));
    // Roster IQs, also for the server itself, carry none.
    assert_eq!(get.to, None);
}

#[test]
fn ucr_msg_5_a_chat_message_names_its_recipient_in_to() {
    let mut s = online();
    s.send_chat(&bare("romeo@example.net"), "Wherefore art thou?");
    let sent = Message::try_from(&s.poll_transmit().unwrap()).unwrap();
    assert_eq!(
        sent.to.as_ref().map(|j| j.as_str()),
        Some("romeo@example.net")
    );
    assert_eq!(sent.kind, MessageType::Chat);
    assert_eq!(sent.body(), Some("Wherefore art thou?"));
    // Once the contact answered from a full JID, that JID is the recipient.
    s.handle(
        Instant::now(),
        Event::Stanza(element(
            "<message xmlns='jabber:client' type='chat' from='romeo@example.net/orchard'>\
             <body>Here</body></message>",
        )),
        &mut rng(),
    );
    s.send_chat(&bare("romeo@example.net"), "Again");
    let sent = Message::try_from(&s.poll_transmit().unwrap()).unwrap();
    assert_eq!(
        sent.to.as_ref().map(|j| j.as_str()),
        Some("romeo@example.net/orchard")
    );
    assert!(matches!(
        Stanza::try_from(&Element::from(sent)),
        Ok(Stanza::Message(_))
    ));
}

#[test]
fn ucr_sub_6_a_subscription_request_to_a_full_jid_is_handled_for_the_bare_jid() {
    let mut e = engine("example.com", &["juliet@example.com"]);
    login(&mut e, "juliet@example.com/balcony", pres(1));
    let actions = e
        .presence_from_client(
            &full("juliet@example.com/balcony"),
            Some(&jid("romeo@example.net/orchard")),
            Presence::Subscription(T::Subscribe, Some(pres(2))),
        )
        .unwrap();
    let routed: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::RoutePresence { to, from, presence } => {
                Some((to.clone(), from.clone(), presence.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        routed,
        [(
            jid("romeo@example.net"),
            jid("juliet@example.com"),
            Presence::Subscription(T::Subscribe, Some(pres(2)))
        )]
    );
    // The roster holds the bare JID, never the full one.
    assert!(state(&e, "juliet@example.com", "romeo@example.net").is_some());
    let contacts = e.store().contacts(&bare("juliet@example.com")).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].jid, bare("romeo@example.net"));
}

#[test]
fn ucr_sub_10_an_undeliverable_local_request_is_answered_to_the_user() {
    let mut e = engine("example.com", &["juliet@example.com"]);
    login(&mut e, "juliet@example.com/balcony", pres(1));
    let actions = e
        .presence_from_client(
            &full("juliet@example.com/balcony"),
            Some(&jid("ghost@example.com")),
            Presence::Subscription(T::Subscribe, Some(pres(2))),
        )
        .unwrap();
    // No such local contact: the user hears back (an `unsubscribed` from the contact's JID).
    assert!(
        delivered_to(&actions, "juliet@example.com/balcony").contains(&(
            jid("ghost@example.com"),
            Presence::Subscription(T::Unsubscribed, None)
        )),
        "{actions:?}"
    );
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::RoutePresence { .. }))
    );
}
