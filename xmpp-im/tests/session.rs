//! The client session over connection-machine events: RFC 6121 session order, typed events,
//! IQ matching, automatic answers, reconnection with roster versioning. (Liveness, with a fake
//! clock, is tested next to the session: `src/session/tests.rs`.)

use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use xmpp_im::client::SubscriptionRequest;
use xmpp_im::session::{ClientSession, DisconnectReason, SessionEvent};
use xmpp_stanza::roster::RosterQuery;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{Condition, Iq, IqPayload, Presence, PresenceType};
use xmpp_stream::connection::{CloseReason, Event};
use xmpp_stream::xml::Element;

fn el(xml: &str) -> Element {
    xml.parse().unwrap()
}

struct T {
    s: ClientSession,
    rng: ChaCha8Rng,
}

impl T {
    fn new() -> T {
        T {
            s: ClientSession::new("juliet@example.com".parse().unwrap()),
            rng: ChaCha8Rng::seed_from_u64(3),
        }
    }
    fn ev(&mut self, e: Event) {
        self.s.handle(Instant::now(), e, &mut self.rng);
    }
    fn stanza(&mut self, xml: &str) {
        self.ev(Event::Stanza(el(xml)));
    }
    fn out(&mut self) -> Vec<Element> {
        std::iter::from_fn(|| self.s.poll_transmit()).collect()
    }
    fn events(&mut self) -> Vec<SessionEvent> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }
    /// Bound, established, roster answered with `roster` (the query XML), drained.
    fn online(&mut self, roster: &str) {
        self.ev(Event::Bound("juliet@example.com/balcony".parse().unwrap()));
        self.ev(Event::Established);
        let get = Iq::try_from(&self.out()[0]).unwrap();
        self.stanza(&format!(
            "<iq xmlns='jabber:client' type='result' id='{}'>{roster}</iq>",
            get.id
        ));
        self.out();
        self.events();
    }
}

#[test]
fn ucr_roster_24_ucr_pres_1_ucr_pres_24_the_roster_comes_before_initial_presence() {
    let mut t = T::new();
    t.ev(Event::Bound("juliet@example.com/balcony".parse().unwrap()));
    assert!(
        t.out().is_empty(),
        "nothing before the stream is established"
    );
    t.ev(Event::Established);
    let out = t.out();
    assert_eq!(out.len(), 1, "only the roster get: {out:?}");
    let get = Iq::try_from(&out[0]).unwrap();
    assert!(matches!(get.payload_kind, IqPayload::Get(_)));
    assert!(get.payload::<RosterQuery>().is_some());
    assert!(!t.s.is_online());
    // A stanza arriving meanwhile is not the roster: still no presence.
    t.stanza("<message xmlns='jabber:client' from='romeo@example.net/orchard'><body>early</body></message>");
    assert!(t.out().is_empty());
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}'><query xmlns='jabber:iq:roster' ver='7'>\
         <item jid='romeo@example.net' subscription='both'/></query></iq>",
        get.id
    ));
    let out = t.out();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].name(), "presence");
    assert!(t.s.is_online());
    assert!(
        t.events()
            .contains(&SessionEvent::Online { roster_items: 1 })
    );
}

#[test]
fn a_roster_result_from_someone_else_is_not_the_roster() {
    let mut t = T::new();
    t.ev(Event::Established);
    let get = Iq::try_from(&t.out()[0]).unwrap();
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}' from='mallory@evil.example'><query xmlns='jabber:iq:roster'/></iq>",
        get.id
    ));
    assert!(t.out().is_empty());
    assert!(!t.s.is_online());
}

#[test]
fn ucr_roster_24_a_reconnected_session_asks_with_its_roster_version() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster' ver='7'><item jid='romeo@example.net' subscription='both'/></query>");
    t.ev(Event::Closed(CloseReason::TransportClosed));
    assert!(matches!(
        t.events().last(),
        Some(SessionEvent::Disconnected(DisconnectReason::Stream(
            CloseReason::TransportClosed
        )))
    ));
    t.s.reconnecting();
    t.ev(Event::Established);
    let get = Iq::try_from(&t.out()[0]).unwrap();
    assert_eq!(
        get.payload::<RosterQuery>()
            .unwrap()
            .unwrap()
            .ver
            .as_deref(),
        Some("7")
    );
    // An empty result: the cached roster is current.
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}'/>",
        get.id
    ));
    assert!(
        t.events()
            .contains(&SessionEvent::Online { roster_items: 0 })
    );
    assert_eq!(t.s.roster().len(), 1);
}

#[test]
fn requests_are_matched_to_their_responses_and_spoofed_ones_ignored() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'/>");
    let ping = Iq::get(Some("example.com".parse().unwrap()), "ignored", Ping);
    let id = t.s.request(ping, &mut t.rng).unwrap();
    let sent = Iq::try_from(&t.out()[0]).unwrap();
    assert_eq!(sent.id, id);
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{id}' from='mallory@evil.example'/>"
    ));
    assert!(
        t.events().is_empty(),
        "a response from the wrong entity is not the answer"
    );
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{id}' from='example.com'/>"
    ));
    assert_eq!(
        t.events(),
        [SessionEvent::IqResponse {
            id: id.clone(),
            result: Ok(None)
        }]
    );
    // An error answer is typed.
    let id =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "x", Ping),
            &mut t.rng,
        )
        .unwrap();
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='error' id='{id}' from='example.com'><error type='cancel'>\
         <feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    ));
    let events = t.events();
    let [SessionEvent::IqResponse { result: Err(e), .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(e.condition, Condition::FeatureNotImplemented);
}

#[test]
fn a_cancelled_request_is_forgotten_and_its_late_answer_dropped() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'/>");
    let id =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "", Ping),
            &mut t.rng,
        )
        .unwrap();
    t.out();
    assert!(t.s.cancel_request(&id));
    assert!(!t.s.cancel_request(&id), "only once");
    assert!(!t.s.cancel_request("never-sent"));
    // The late answer is no response to anything.
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{id}' from='example.com'/>"
    ));
    assert!(t.events().is_empty());
    assert!(t.out().is_empty());
    // Nor is it reported lost when the stream ends; another one still waiting is.
    let other =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "", Ping),
            &mut t.rng,
        )
        .unwrap();
    let gone =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "", Ping),
            &mut t.rng,
        )
        .unwrap();
    assert!(t.s.cancel_request(&gone));
    t.ev(Event::Closed(CloseReason::TransportClosed));
    let events = t.events();
    let lost: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::RequestLost { id } => Some(id.clone()),
            SessionEvent::IqResponse { .. } => panic!("{e:?}"),
            _ => None,
        })
        .collect();
    assert_eq!(lost, [other]);
    assert!(matches!(events.last(), Some(SessionEvent::Disconnected(_))));
}

#[test]
fn requests_still_waiting_are_reported_lost_when_the_stream_ends() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'/>");
    let a =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "", Ping),
            &mut t.rng,
        )
        .unwrap();
    let b =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "", Ping),
            &mut t.rng,
        )
        .unwrap();
    t.ev(Event::Closed(CloseReason::TransportClosed));
    let events = t.events();
    let mut answered: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::RequestLost { id } => Some(id.clone()),
            SessionEvent::IqResponse { .. } => panic!("not an answer: {e:?}"),
            _ => None,
        })
        .collect();
    answered.sort();
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(answered, expected);
    assert!(matches!(events.last(), Some(SessionEvent::Disconnected(_))));
}

#[test]
fn roster_pushes_from_the_account_are_applied_and_acknowledged_others_refused() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'/>");
    t.stanza(
        "<iq xmlns='jabber:client' type='set' id='push1'><query xmlns='jabber:iq:roster' ver='2'>\
              <item jid='nurse@example.com' subscription='none'/></query></iq>",
    );
    let reply = Iq::try_from(&t.out()[0]).unwrap();
    assert!(matches!(reply.payload_kind, IqPayload::Result(None)));
    assert_eq!(
        t.events(),
        [SessionEvent::RosterPushed(
            "nurse@example.com".parse().unwrap()
        )]
    );
    assert!(
        t.s.roster()
            .get(&"nurse@example.com".parse().unwrap())
            .is_some()
    );
    // UCR-ROSTER-21: a push from someone else is refused and changes nothing.
    t.stanza(
        "<iq xmlns='jabber:client' type='set' id='push2' from='mallory@evil.example'>\
              <query xmlns='jabber:iq:roster'><item jid='mallory@evil.example'/></query></iq>",
    );
    let reply = Iq::try_from(&t.out()[0]).unwrap();
    assert!(matches!(reply.payload_kind, IqPayload::Error { .. }));
    assert!(t.events().is_empty());
    assert!(
        t.s.roster()
            .get(&"mallory@evil.example".parse().unwrap())
            .is_none()
    );
}

#[test]
fn pings_are_answered_and_other_requests_go_to_the_application() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'/>");
    t.stanza("<iq xmlns='jabber:client' type='get' id='p' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
    let pong = Iq::try_from(&t.out()[0]).unwrap();
    assert!(matches!(pong.payload_kind, IqPayload::Result(None)));
    assert!(t.events().is_empty());
    t.stanza("<iq xmlns='jabber:client' type='get' id='v' from='romeo@example.net/orchard'><query xmlns='jabber:iq:version'/></iq>");
    let events = t.events();
    let [SessionEvent::IqRequest(request)] = events.as_slice() else {
        panic!("{events:?}")
    };
    t.s.answer(
        request,
        Err(xmpp_stanza::StanzaError::new(Condition::ServiceUnavailable)),
    );
    let reply = Iq::try_from(&t.out()[0]).unwrap();
    assert_eq!(reply.id, "v");
    assert_eq!(reply.to.unwrap().as_str(), "romeo@example.net/orchard");
}

#[test]
fn subscription_requests_are_events_and_answers_go_to_the_bare_jid() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'/>");
    t.stanza("<presence xmlns='jabber:client' type='subscribe' from='romeo@example.net'/>");
    let events = t.events();
    let [SessionEvent::SubscriptionRequested { from, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(from.as_str(), "romeo@example.net");
    t.s.subscription(&SubscriptionRequest::approve(from.clone()));
    let p = Presence::try_from(&t.out()[0]).unwrap();
    assert_eq!(p.kind, PresenceType::Subscribed);
    assert_eq!(p.to.unwrap().as_str(), "romeo@example.net");
}

#[test]
fn presence_of_a_roster_contact_is_tracked_and_reported() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'><item jid='romeo@example.net' subscription='both'/></query>");
    t.stanza("<presence xmlns='jabber:client' from='romeo@example.net/orchard'><show>away</show></presence>");
    assert!(matches!(
        t.events().as_slice(),
        [SessionEvent::PresenceChanged(_)]
    ));
    assert!(
        t.s.presence()
            .is_available(&"romeo@example.net".parse().unwrap())
    );
    t.stanza(
        "<presence xmlns='jabber:client' type='unavailable' from='romeo@example.net/orchard'/>",
    );
    assert!(matches!(
        t.events().as_slice(),
        [SessionEvent::PresenceChanged(_)]
    ));
    assert!(
        !t.s.presence()
            .is_available(&"romeo@example.net".parse().unwrap())
    );
}

#[test]
fn an_unparsable_request_is_answered_with_the_matching_error() {
    let mut t = T::new();
    t.online("<query xmlns='jabber:iq:roster'/>");
    t.stanza("<iq xmlns='jabber:client' type='bogus' id='b' from='example.com'/>");
    let out = t.out();
    assert_eq!(out[0].attr("type"), Some("error"));
    assert!(t.events().is_empty());
}
