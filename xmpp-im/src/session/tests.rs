//! The session's liveness timer with a fake clock (an `Instant` moved by hand, never slept
//! on), and the resynchronisation of a new link.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use xmpp_stanza::roster::RosterQuery;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{Iq, IqPayload, Presence, PresenceType, Show};
use xmpp_stream::connection::{CloseReason, Event};
use xmpp_stream::xml::Element;

use super::*;

const QUIET: Duration = Duration::from_secs(60);
const ANSWER: Duration = Duration::from_secs(30);

/// A session and its fake clock.
struct Clocked {
    s: ClientSession,
    rng: ChaCha8Rng,
    now: Instant,
}

impl Clocked {
    fn new(liveness: Option<Liveness>) -> Clocked {
        let config = SessionConfig {
            liveness,
            reconnect: None,
        };
        Clocked {
            s: ClientSession::with_config("juliet@example.com".parse().unwrap(), &config),
            rng: ChaCha8Rng::seed_from_u64(5),
            now: Instant::now(),
        }
    }

    fn default_liveness() -> Clocked {
        Clocked::new(Some(Liveness::default()))
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.s.handle_timeout(self.now);
    }

    fn ev(&mut self, event: Event) {
        self.s.handle(self.now, event, &mut self.rng);
    }

    fn stanza(&mut self, xml: &str) {
        self.ev(Event::Stanza(xml.parse::<Element>().unwrap()));
    }

    fn out(&mut self) -> Vec<Element> {
        std::iter::from_fn(|| self.s.poll_transmit()).collect()
    }

    fn events(&mut self) -> Vec<SessionEvent> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }

    /// Bound, established, the roster answered with `ver` and one contact; drained.
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

    /// The pings among what the session sent.
    fn pings(&mut self) -> Vec<Iq> {
        self.out()
            .iter()
            .filter_map(|e| Iq::try_from(e).ok())
            .filter(|iq| iq.payload::<Ping>().is_some())
            .collect()
    }
}

const ROSTER: &str = "<query xmlns='jabber:iq:roster' ver='7'><item jid='romeo@example.net' subscription='both'/></query>";

#[test]
fn a_quiet_link_is_pinged_at_the_end_of_the_quiet_interval_and_not_before() {
    let mut t = Clocked::default_liveness();
    t.online(ROSTER);
    let start = t.now;
    assert_eq!(t.s.poll_timeout(), Some(start + QUIET));
    t.advance(QUIET - Duration::from_millis(1));
    assert!(t.pings().is_empty(), "not before the interval");
    t.advance(Duration::from_millis(1));
    let pings = t.pings();
    assert_eq!(pings.len(), 1);
    assert!(matches!(pings[0].payload_kind, IqPayload::Get(_)));
    assert_eq!(pings[0].to.as_ref().unwrap().as_str(), "example.com");
    assert_eq!(t.s.poll_timeout(), Some(start + QUIET + ANSWER));
    // Firing again early changes nothing: one ping per quiet period.
    t.advance(Duration::from_secs(1));
    assert!(t.pings().is_empty());
    assert!(t.events().is_empty());
}

#[test]
fn an_answered_ping_keeps_the_link_and_the_next_one_waits_a_full_interval() {
    let mut t = Clocked::default_liveness();
    t.online(ROSTER);
    t.advance(QUIET);
    let ping = t.pings().remove(0);
    t.advance(Duration::from_secs(5));
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}' from='example.com'/>",
        ping.id
    ));
    assert!(t.events().is_empty(), "the pong is no event");
    let answered = t.now;
    assert_eq!(t.s.poll_timeout(), Some(answered + QUIET));
    t.advance(ANSWER * 2);
    assert!(t.events().is_empty(), "no death after an answer");
    assert!(t.s.is_online());
}

#[test]
fn a_silent_link_is_reported_dead_with_the_silence_and_its_requests_lost() {
    let mut t = Clocked::default_liveness();
    t.online(ROSTER);
    let id =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "", Ping),
            &mut t.rng,
        )
        .unwrap();
    t.out();
    t.advance(QUIET);
    assert_eq!(t.pings().len(), 1);
    t.advance(ANSWER - Duration::from_millis(1));
    assert!(t.events().is_empty(), "not dead before the timeout");
    t.advance(Duration::from_millis(1));
    assert_eq!(
        t.events(),
        [
            SessionEvent::RequestLost { id },
            SessionEvent::Disconnected(DisconnectReason::Unresponsive {
                silent_for: QUIET + ANSWER
            }),
        ]
    );
    assert_eq!(t.s.poll_timeout(), None, "no timer on a dead link");
    // What the dropped transport might still report is ignored: one end only.
    t.ev(Event::Closed(CloseReason::TransportClosed));
    t.advance(QUIET * 3);
    assert!(t.events().is_empty());
    assert!(t.out().is_empty());
}

#[test]
fn incoming_traffic_postpones_the_ping() {
    let mut t = Clocked::default_liveness();
    t.online(ROSTER);
    for _ in 0..5 {
        t.advance(QUIET - Duration::from_secs(1));
        t.stanza("<message xmlns='jabber:client' from='romeo@example.net/orchard'><body>still here</body></message>");
        assert_eq!(t.s.poll_timeout(), Some(t.now + QUIET));
    }
    assert!(t.pings().is_empty(), "a busy link is never pinged");
    // Traffic while a ping waits also answers it.
    t.advance(QUIET);
    assert_eq!(t.pings().len(), 1);
    t.advance(ANSWER / 2);
    t.stanza("<presence xmlns='jabber:client' from='romeo@example.net/orchard'/>");
    t.advance(ANSWER);
    assert!(
        !t.events()
            .iter()
            .any(|e| matches!(e, SessionEvent::Disconnected(_)))
    );
}

#[test]
fn an_error_answer_to_the_ping_proves_liveness_too() {
    for condition in ["service-unavailable", "feature-not-implemented"] {
        let mut t = Clocked::default_liveness();
        t.online(ROSTER);
        t.advance(QUIET);
        let ping = t.pings().remove(0);
        t.stanza(&format!(
            "<iq xmlns='jabber:client' type='error' id='{}' from='example.com'><ping xmlns='urn:xmpp:ping'/>\
             <error type='cancel'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
            ping.id
        ));
        assert!(
            t.events().is_empty(),
            "{condition}: no event for the ping's answer"
        );
        t.advance(ANSWER);
        assert!(t.events().is_empty(), "{condition}: not dead");
        assert!(t.s.is_online());
    }
}

#[test]
fn liveness_off_sets_no_timer_and_a_zero_interval_does_not_ping_in_a_loop() {
    let mut t = Clocked::new(None);
    t.online(ROSTER);
    assert_eq!(t.s.poll_timeout(), None);
    t.advance(QUIET * 100);
    assert!(t.out().is_empty());

    let mut t = Clocked::new(Some(Liveness {
        ping_after_quiet: Duration::ZERO,
        ping_timeout: Duration::ZERO,
    }));
    t.online(ROSTER);
    assert_eq!(t.s.poll_timeout(), Some(t.now + MIN_LIVENESS_INTERVAL));
    t.s.handle_timeout(t.now);
    assert!(t.pings().is_empty(), "nothing is due yet");
    t.advance(MIN_LIVENESS_INTERVAL);
    assert_eq!(t.pings().len(), 1);
    // Intervals too long for the clock: no timer rather than an overflow.
    let mut t = Clocked::new(Some(Liveness {
        ping_after_quiet: Duration::MAX,
        ping_timeout: Duration::MAX,
    }));
    t.online(ROSTER);
    assert_eq!(t.s.poll_timeout(), None);
    t.advance(QUIET);
    assert!(t.out().is_empty());
}

#[test]
fn no_timer_runs_before_the_stream_is_established() {
    let mut t = Clocked::default_liveness();
    assert_eq!(t.s.poll_timeout(), None);
    t.ev(Event::Bound("juliet@example.com/balcony".parse().unwrap()));
    assert_eq!(t.s.poll_timeout(), None);
    t.ev(Event::Established);
    assert_eq!(
        t.s.poll_timeout(),
        Some(t.now + QUIET),
        "the roster wait is watched too"
    );
}

/// The resynchronisation of a new link: the roster get with the cached version, the
/// application's last presence (not the default), waiting requests reported lost.
#[test]
fn a_new_link_gets_the_versioned_roster_get_then_the_applications_last_presence() {
    let mut t = Clocked::default_liveness();
    t.online(ROSTER);
    let mut away = Presence::available();
    away.show = Some(Show::Away);
    t.s.send(away.clone());
    let sent = Presence::try_from(&t.out()[0]).unwrap();
    assert_eq!(sent.show, Some(Show::Away), "sent at once while online");
    let id =
        t.s.request(
            Iq::get(Some("example.com".parse().unwrap()), "", Ping),
            &mut t.rng,
        )
        .unwrap();
    t.ev(Event::Closed(CloseReason::TransportClosed));
    assert_eq!(
        t.events(),
        [
            SessionEvent::RequestLost { id },
            SessionEvent::Disconnected(DisconnectReason::Stream(CloseReason::TransportClosed)),
        ]
    );
    t.s.reconnecting();
    t.ev(Event::Bound("juliet@example.com/balcony".parse().unwrap()));
    t.ev(Event::Established);
    let out = t.out();
    assert_eq!(out.len(), 1, "the roster get only: {out:?}");
    let get = Iq::try_from(&out[0]).unwrap();
    let query = get.payload::<RosterQuery>().unwrap().unwrap();
    assert_eq!(query.ver.as_deref(), Some("7"));
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}'/>",
        get.id
    ));
    assert_eq!(t.events(), [SessionEvent::Online { roster_items: 0 }]);
    let out = t.out();
    assert_eq!(out.len(), 1);
    let presence = Presence::try_from(&out[0]).unwrap();
    assert_eq!(
        presence.show,
        Some(Show::Away),
        "the application's presence"
    );
    assert_eq!(t.s.roster().len(), 1);
}

#[test]
fn a_presence_sent_before_the_roster_waits_and_unavailable_means_none_on_the_next_link() {
    let mut t = Clocked::default_liveness();
    t.ev(Event::Established);
    let get = Iq::try_from(&t.out()[0]).unwrap();
    let mut dnd = Presence::available();
    dnd.show = Some(Show::Dnd);
    t.s.send(dnd);
    assert!(t.out().is_empty(), "no presence before the roster");
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}'/>",
        get.id
    ));
    let out = t.out();
    assert_eq!(out.len(), 1);
    assert_eq!(Presence::try_from(&out[0]).unwrap().show, Some(Show::Dnd));
    // Directed presence is not the broadcast one.
    let mut directed = Presence::available();
    directed.to = Some("romeo@example.net".parse().unwrap());
    t.s.send(directed);
    assert_eq!(t.out().len(), 1);
    // The application goes unavailable; on the next link, no presence after the roster.
    t.s.send(Presence::new(PresenceType::Unavailable));
    assert_eq!(t.out().len(), 1);
    t.ev(Event::Closed(CloseReason::TransportClosed));
    t.s.reconnecting();
    t.ev(Event::Established);
    let get = Iq::try_from(&t.out()[0]).unwrap();
    t.stanza(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}'/>",
        get.id
    ));
    assert!(t.out().is_empty());
    assert!(t.s.is_online());
}

#[test]
fn the_liveness_timer_restarts_on_the_new_link() {
    let mut t = Clocked::default_liveness();
    t.online(ROSTER);
    t.advance(QUIET);
    assert_eq!(t.pings().len(), 1);
    t.advance(ANSWER);
    assert!(matches!(
        t.events().last(),
        Some(SessionEvent::Disconnected(
            DisconnectReason::Unresponsive { .. }
        ))
    ));
    t.advance(Duration::from_secs(7));
    t.s.reconnecting();
    assert_eq!(t.s.poll_timeout(), None);
    t.ev(Event::Established);
    assert_eq!(t.s.poll_timeout(), Some(t.now + QUIET));
}
