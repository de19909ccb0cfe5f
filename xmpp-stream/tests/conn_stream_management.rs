//! XEP-0198 through the connection machines: enabling after bind, acknowledgements, the
//! queue limit, resumption (accepted, refused, for another account) with retransmission,
//! protocol errors, and a property test that cuts the link at random points of an exchange
//! and resumes until every stanza is delivered exactly once.

use std::time::Duration;

use proptest::prelude::*;
use xmpp_stream::bind::BindDecision;
use xmpp_stream::connection::{CloseReason, Connection, Event, ResumeStateError, SendError};
use xmpp_stream::stream_management::{
    AckPolicy, FailedCondition, QueueLimit, QueueLimits, ResumeDecision, SmSession, SmSettings,
};
use xmpp_stream::testing::{ClientOpts, Clock, client, drain, feed, plaintext_server, t0};
use xmpp_stream::xml::Element;

fn message(id: &str) -> Element {
    Element::builder("message", "jabber:client")
        .attr("to", "romeo@example.net")
        .attr("id", id.to_owned())
        .child(Element::builder("body", "jabber:client").text(id.to_owned()))
        .build()
}

fn settings(ack_every: u32) -> SmSettings {
    SmSettings {
        ack: AckPolicy {
            stanzas: ack_every,
            delay: Duration::from_secs(30),
        },
        ..SmSettings::receiver()
    }
}

/// Two machines with stream management on, and the link between them: bytes in flight in
/// each direction that the test moves (or drops, to cut the link).
struct Link {
    client: Connection,
    server: Connection,
    clock: Clock,
    c2s: Vec<u8>,
    s2c: Vec<u8>,
    client_events: Vec<Event>,
    server_events: Vec<Event>,
    /// The session the server parks when a stream ends, for the next resumption.
    parked: Option<SmSession>,
    /// The server application answers resumption requests itself (not [`Link::collect`]).
    manual_resume: bool,
    /// A parked session's unacknowledged stanzas when the client binds anew instead of
    /// resuming: the server sends them on the new session (as offline storage would).
    offline: Vec<Element>,
}

impl Link {
    fn new(client_sm: Option<SmSettings>, server_sm: Option<SmSettings>) -> Link {
        let mut client = client(ClientOpts::plaintext());
        let mut server = plaintext_server();
        if let Some(s) = client_sm {
            client.enable_stream_management(s).unwrap();
        }
        if let Some(s) = server_sm {
            server.enable_stream_management(s).unwrap();
        }
        Link {
            client,
            server,
            clock: Clock::new(),
            c2s: Vec::new(),
            s2c: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            parked: None,
            manual_resume: false,
            offline: Vec::new(),
        }
    }

    /// Collects output and events; the server application binds what is asked and resumes
    /// the parked session when asked (refusing an unknown id).
    fn collect(&mut self) {
        if let Some(b) = self.client.poll_transmit() {
            self.c2s.extend_from_slice(&b);
        }
        while let Some(e) = self.server.poll_event() {
            match &e {
                Event::BindRequest { resource } => {
                    let r = resource.clone().unwrap_or_else(|| "generated".into());
                    self.server.bind(BindDecision::Accept(r)).unwrap();
                    if let Some(old) = self.parked.take() {
                        self.offline.extend(old.into_unacked());
                    }
                }
                Event::ResumeRequest { previd } if !self.manual_resume => {
                    let decision = match self.parked.take() {
                        Some(s) if s.id() == Some(previd.as_str()) => ResumeDecision::Accept(s),
                        other => {
                            self.parked = other;
                            ResumeDecision::Refuse(FailedCondition::ItemNotFound)
                        }
                    };
                    self.server.resume(decision).unwrap();
                }
                _ => {}
            }
            self.server_events.push(e);
        }
        if self.server.stream_management().is_some() {
            for el in std::mem::take(&mut self.offline) {
                self.server.send(&el).unwrap();
            }
        }
        if let Some(b) = self.server.poll_transmit() {
            self.s2c.extend_from_slice(&b);
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
    }

    /// Moves up to `n` bytes client → server.
    fn deliver_c2s(&mut self, n: usize) {
        let n = n.min(self.c2s.len());
        let bytes: Vec<u8> = self.c2s.drain(..n).collect();
        self.server.handle_input(self.clock.now(), &bytes);
        self.collect();
    }

    /// Moves up to `n` bytes server → client.
    fn deliver_s2c(&mut self, n: usize) {
        let n = n.min(self.s2c.len());
        let bytes: Vec<u8> = self.s2c.drain(..n).collect();
        self.client.handle_input(self.clock.now(), &bytes);
        self.collect();
    }

    /// Everything both ways until both settle.
    fn settle(&mut self) {
        for _ in 0..200 {
            self.collect();
            if self.c2s.is_empty() && self.s2c.is_empty() {
                return;
            }
            self.deliver_c2s(usize::MAX);
            self.deliver_s2c(usize::MAX);
        }
        panic!("the machines never settled");
    }

    fn advance(&mut self, by: Duration) {
        let now = self.clock.advance(by);
        for conn in [&mut self.client, &mut self.server] {
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
            }
        }
        self.collect();
    }

    /// The link drops: bytes in flight are lost, both machines see the transport close;
    /// the server parks its session, the client keeps its own. Returns the client's.
    fn cut(&mut self) -> Option<SmSession> {
        self.c2s.clear();
        self.s2c.clear();
        let now = self.clock.now();
        self.client.handle_eof(now);
        self.server.handle_eof(now);
        self.collect();
        if let Some(s) = Link::detached(&self.server_events) {
            self.parked = Some(s);
        }
        Link::detached(&self.client_events)
    }

    /// What [`Login`] makes of the initiator's events (as the adapters read a login).
    fn login(events: &[Event]) -> xmpp_stream::connection::LoggedIn {
        let mut login = xmpp_stream::connection::Login::new();
        events
            .iter()
            .find_map(|e| login.observe(e))
            .expect("the login ended")
            .expect("logged in")
    }

    /// The session a machine handed out when its stream ended.
    fn detached(events: &[Event]) -> Option<SmSession> {
        events.iter().find_map(|e| match e {
            Event::Detached(s) => Some((**s).clone()),
            _ => None,
        })
    }

    /// A new stream between new machines, the client resuming `previous` if given.
    fn reconnect(&mut self, previous: Option<SmSession>, sm: SmSettings) {
        let mut client = client(ClientOpts::plaintext());
        let mut server = plaintext_server();
        client.enable_stream_management(sm).unwrap();
        if let Some(p) = previous {
            client.resume_stream_management(p).unwrap();
        }
        server.enable_stream_management(sm).unwrap();
        self.client = client;
        self.server = server;
        self.client_events.clear();
        self.server_events.clear();
        self.collect();
    }

    fn stanzas(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Stanza(el) => el.attr("id").map(str::to_owned),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn xep0198_enabled_after_bind_on_both_sides() {
    let mut link = Link::new(Some(SmSettings::initiator()), Some(SmSettings::receiver()));
    link.collect();
    link.settle();
    assert!(link.client.is_established() && link.server.is_established());
    let enabled = |events: &[Event]| {
        events.iter().find_map(|e| match e {
            Event::StreamManagementEnabled { id } => Some(id.clone()),
            _ => None,
        })
    };
    let server_id = enabled(&link.server_events)
        .expect("server enabled")
        .expect("resumable");
    let client_id = enabled(&link.client_events)
        .expect("client enabled")
        .expect("resumable");
    assert_eq!(server_id, client_id);
    // Bound comes before enabling, Established after it.
    let pos = |events: &[Event], f: fn(&Event) -> bool| events.iter().position(f).unwrap();
    let c = &link.client_events;
    assert!(
        pos(c, |e| matches!(e, Event::Bound(_)))
            < pos(c, |e| matches!(e, Event::StreamManagementEnabled { .. }))
    );
    assert!(
        pos(c, |e| matches!(e, Event::StreamManagementEnabled { .. }))
            < pos(c, |e| matches!(e, Event::Established))
    );
    let session = link.server.stream_management().unwrap();
    assert_eq!(session.resume_window(), Some(Duration::from_secs(300)));
    assert_eq!(session.jid().as_str(), "juliet@example.com/balcony");
}

#[test]
fn xep0198_not_offered_means_not_enabled() {
    let mut link = Link::new(Some(SmSettings::initiator()), None);
    link.collect();
    link.settle();
    assert!(link.client.is_established());
    assert!(link.client.stream_management().is_none());
    assert!(
        !link
            .client_events
            .iter()
            .any(|e| matches!(e, Event::StreamManagementEnabled { .. }))
    );
}

#[test]
fn xep0198_acknowledgements_empty_the_queue() {
    let mut link = Link::new(Some(settings(2)), Some(settings(2)));
    link.collect();
    link.settle();
    for id in ["m1", "m2", "m3"] {
        link.client.send(&message(id)).unwrap();
    }
    link.collect();
    let wire = String::from_utf8_lossy(&link.c2s).into_owned();
    assert_eq!(
        wire.matches("<r xmlns='urn:xmpp:sm:3'/>").count(),
        1,
        "{wire}"
    );
    link.settle();
    // The answer to `<r/>` after m2 acknowledged two; m3 waits for the next request.
    assert_eq!(link.client.stream_management().unwrap().unacked().len(), 1);
    assert_eq!(Link::stanzas(&link.server_events), ["m1", "m2", "m3"]);
    assert_eq!(
        u32::from(link.server.stream_management().unwrap().handled()),
        3
    );
    // The delay of the policy asks for the last one.
    link.advance(Duration::from_secs(31));
    link.settle();
    assert_eq!(link.client.stream_management().unwrap().unacked().len(), 0);
}

#[test]
fn xep0198_queue_limit_refuses_the_send_and_asks_for_an_ack() {
    let mut sm = settings(100);
    sm.limits = QueueLimits {
        max_stanzas: 2,
        max_bytes: 1 << 20,
    };
    let mut link = Link::new(Some(sm), Some(sm));
    link.collect();
    link.settle();
    link.client.send(&message("m1")).unwrap();
    link.client.send(&message("m2")).unwrap();
    assert_eq!(
        link.client.send(&message("m3")),
        Err(SendError::QueueFull(QueueLimit::Stanzas))
    );
    link.collect();
    assert!(String::from_utf8_lossy(&link.c2s).contains("<r xmlns='urn:xmpp:sm:3'/>"));
    link.settle();
    link.client.send(&message("m3")).unwrap();
    link.settle();
    assert_eq!(Link::stanzas(&link.server_events), ["m1", "m2", "m3"]);
}

#[test]
fn xep0198_resumption_resends_only_what_was_not_handled() {
    let mut link = Link::new(Some(settings(100)), Some(settings(100)));
    link.collect();
    link.settle();
    link.client.send(&message("c1")).unwrap();
    link.settle();
    // c2 and c3 are lost in flight, as is the server's s1.
    link.client.send(&message("c2")).unwrap();
    link.client.send(&message("c3")).unwrap();
    link.server.send(&message("s1")).unwrap();
    link.collect();
    let previous = link.cut().expect("the client keeps its session");
    assert_eq!(previous.unacked().len(), 3, "nothing was acknowledged");
    let parked = link.parked.as_ref().unwrap();
    assert_eq!(parked.unacked().len(), 1);
    assert_eq!(u32::from(parked.handled()), 1);

    link.reconnect(Some(previous), settings(100));
    link.settle();
    assert!(link.client.is_established() && link.server.is_established());
    assert!(link.client_events.iter().any(|e| matches!(e, Event::Resumed { resent: 2, jid } if jid.as_str() == "juliet@example.com/balcony")));
    assert!(
        link.server_events
            .iter()
            .any(|e| matches!(e, Event::Resumed { resent: 1, .. }))
    );
    assert!(
        !link
            .client_events
            .iter()
            .any(|e| matches!(e, Event::Bound(_)))
    );
    assert_eq!(Link::stanzas(&link.server_events), ["c2", "c3"]);
    assert_eq!(Link::stanzas(&link.client_events), ["s1"]);
    // The login outcome every adapter reads says so.
    let logged_in = Link::login(&link.client_events);
    assert!(logged_in.resumed && logged_in.stream_management);
    assert_eq!(
        logged_in.jid.unwrap().as_str(),
        "juliet@example.com/balcony"
    );
    // The counts go on from the old stream.
    assert_eq!(
        u32::from(link.server.stream_management().unwrap().handled()),
        3
    );
    // Stanzas flow on the resumed stream, counted.
    link.client.send(&message("c4")).unwrap();
    link.settle();
    assert_eq!(
        u32::from(link.server.stream_management().unwrap().handled()),
        4
    );
}

#[test]
fn xep0198_refused_resumption_hands_back_the_unacked_and_binds() {
    let mut link = Link::new(Some(settings(100)), Some(settings(100)));
    link.collect();
    link.settle();
    link.client.send(&message("c1")).unwrap();
    link.collect();
    let previous = link.cut().unwrap();
    link.parked = None; // the server forgot it (window over)
    link.reconnect(Some(previous), settings(100));
    link.settle();
    assert!(link.client.is_established());
    let unacked = link.client_events.iter().find_map(|e| match e {
        Event::ResumeFailed { unacked } => Some(unacked.clone()),
        _ => None,
    });
    assert_eq!(unacked.unwrap(), [message("c1")]);
    let logged_in = Link::login(&link.client_events);
    assert!(!logged_in.resumed && logged_in.stream_management);
    assert_eq!(logged_in.not_resumed, [message("c1")]);
    assert!(
        link.client_events
            .iter()
            .any(|e| matches!(e, Event::Bound(_)))
    );
    // A new session is enabled after binding.
    assert!(
        link.client_events
            .iter()
            .any(|e| matches!(e, Event::StreamManagementEnabled { id: Some(_) }))
    );
}

#[test]
fn xep0198_only_a_resumable_session_is_accepted() {
    let mut link = Link::new(Some(settings(100)), Some(settings(100)));
    link.collect();
    link.settle();
    let previous = link.cut().unwrap();
    let parked = link.parked.take().unwrap();
    link.manual_resume = true;
    link.reconnect(Some(previous), settings(100));
    link.settle();
    assert!(
        link.server_events
            .iter()
            .any(|e| matches!(e, Event::ResumeRequest { .. }))
    );
    assert!(
        !link.server.is_established(),
        "input waits for the decision"
    );
    // A session that is not resumable (enabled without `resume`) is handed back.
    let mut plain = Link::new(
        Some(SmSettings {
            resume: false,
            ..settings(100)
        }),
        Some(settings(100)),
    );
    plain.collect();
    plain.settle();
    let not_resumable = plain.server.take_stream_management().unwrap();
    assert!(!not_resumable.is_resumable());
    match link.server.resume(ResumeDecision::Accept(not_resumable)) {
        Err(ResumeStateError::WrongSession(s)) => assert!(!s.is_resumable()),
        other => panic!("{other:?}"),
    }
    link.server.resume(ResumeDecision::Accept(parked)).unwrap();
    link.settle();
    assert!(link.client.is_established() && link.server.is_established());
    assert!(
        link.client_events
            .iter()
            .any(|e| matches!(e, Event::Resumed { .. }))
    );
}

#[test]
fn xep0198_resume_decision_without_request_is_refused() {
    let mut server = plaintext_server();
    server
        .enable_stream_management(SmSettings::receiver())
        .unwrap();
    let r = server.resume(ResumeDecision::Refuse(FailedCondition::ItemNotFound));
    assert!(matches!(r, Err(ResumeStateError::NotPending(_))));
}

#[test]
fn xep0198_ack_of_more_than_sent_is_undefined_condition() {
    let mut link = Link::new(Some(settings(100)), Some(settings(100)));
    link.collect();
    link.settle();
    link.server.send(&message("s1")).unwrap();
    link.settle();
    let (out, events) = feed(&mut link.server, t0(), b"<a xmlns='urn:xmpp:sm:3' h='5'/>");
    assert!(out.contains("<undefined-condition"), "{out}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Closed(CloseReason::LocalError(_))))
    );
    // The session comes out for the application to deal with its unacknowledged stanza.
    let session = Link::detached(&events).expect("detached before closed");
    assert_eq!(session.into_unacked(), [message("s1")]);
    assert!(link.server.take_stream_management().is_none());
}

#[test]
fn xep0198_request_without_stream_management_is_a_stream_error() {
    let mut link = Link::new(None, Some(settings(100)));
    link.collect();
    link.settle();
    let (out, _) = feed(&mut link.server, t0(), b"<r xmlns='urn:xmpp:sm:3'/>");
    assert!(out.contains("<unsupported-stanza-type"), "{out}");
}

#[test]
fn xep0198_enable_twice_is_an_unexpected_request() {
    let mut link = Link::new(Some(settings(100)), Some(settings(100)));
    link.collect();
    link.settle();
    let (out, _) = feed(&mut link.server, t0(), b"<enable xmlns='urn:xmpp:sm:3'/>");
    assert!(
        out.contains("<failed xmlns='urn:xmpp:sm:3'><unexpected-request"),
        "{out}"
    );
    assert!(link.server.is_established());
}

#[test]
fn xep0198_server_without_stream_management_refuses_enable_politely() {
    let mut link = Link::new(None, None);
    link.collect();
    link.settle();
    let (out, _) = feed(
        &mut link.server,
        t0(),
        b"<enable xmlns='urn:xmpp:sm:3' resume='true'/>",
    );
    assert!(out.contains("<feature-not-implemented"), "{out}");
    assert!(link.server.is_established());
    let (_, events) = drain(&mut link.server);
    assert!(events.is_empty());
}

#[test]
fn xep0198_bad_counter_is_bad_format() {
    let mut link = Link::new(Some(settings(100)), Some(settings(100)));
    link.collect();
    link.settle();
    let (out, _) = feed(&mut link.server, t0(), b"<a xmlns='urn:xmpp:sm:3' h='-1'/>");
    assert!(out.contains("<bad-format"), "{out}");
}

/// One step of the cut test.
#[derive(Debug, Clone)]
enum Step {
    ClientSends,
    ServerSends,
    ToServer(usize),
    ToClient(usize),
    Tick,
    Cut,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::ClientSends),
        3 => Just(Step::ServerSends),
        4 => (1usize..400).prop_map(Step::ToServer),
        4 => (1usize..400).prop_map(Step::ToClient),
        1 => Just(Step::Tick),
        1 => Just(Step::Cut),
    ]
}

/// Sends the next numbered stanza of one side unless the queue refuses it.
fn send_next(conn: &mut Connection, prefix: &str, next: &mut usize, total: usize) {
    if *next < total && conn.is_established() {
        match conn.send(&message(&format!("{prefix}{next}"))) {
            Ok(()) => *next += 1,
            Err(SendError::QueueFull(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Cuts anywhere (during negotiation, enabling, resumption, mid-stanza), each followed
    /// by a resumption: every stanza of both sides is handed to the other side's application
    /// exactly once and in order.
    #[test]
    fn xep0198_cuts_anywhere_lose_and_duplicate_nothing(steps in prop::collection::vec(step(), 1..120)) {
        const TOTAL: usize = 20;
        let sm = SmSettings {
            limits: QueueLimits { max_stanzas: 8, max_bytes: 1 << 20 },
            ack: AckPolicy { stanzas: 3, delay: Duration::from_secs(2) },
            ..SmSettings::receiver()
        };
        let mut link = Link::new(Some(sm), Some(sm));
        link.collect();
        let (mut client_next, mut server_next) = (0usize, 0usize);
        let mut to_server: Vec<String> = Vec::new();
        let mut to_client: Vec<String> = Vec::new();
        let mut cuts = 0;
        let flush = |link: &mut Link, to_server: &mut Vec<String>, to_client: &mut Vec<String>| {
            to_server.extend(Link::stanzas(&link.server_events));
            to_client.extend(Link::stanzas(&link.client_events));
            link.server_events.retain(|e| !matches!(e, Event::Stanza(_)));
            link.client_events.retain(|e| !matches!(e, Event::Stanza(_)));
        };
        for s in steps {
            if link.client.is_closed() || link.server.is_closed() {
                flush(&mut link, &mut to_server, &mut to_client);
                cuts += 1;
                let previous = link.cut();
                link.reconnect(previous.filter(SmSession::is_resumable), sm);
            }
            match s {
                Step::ClientSends => send_next(&mut link.client, "c", &mut client_next, TOTAL),
                // The server application sends once its session is managed (what it sends
                // between bind and `<enable/>` is not covered by XEP-0198).
                Step::ServerSends if link.server.stream_management().is_some() => {
                    send_next(&mut link.server, "s", &mut server_next, TOTAL)
                }
                Step::ServerSends => {}
                Step::ToServer(n) => link.deliver_c2s(n),
                Step::ToClient(n) => link.deliver_s2c(n),
                Step::Tick => link.advance(Duration::from_secs(3)),
                Step::Cut => {
                    flush(&mut link, &mut to_server, &mut to_client);
                    cuts += 1;
                    let previous = link.cut();
                    link.reconnect(previous.filter(SmSession::is_resumable), sm);
                }
            }
            link.collect();
            flush(&mut link, &mut to_server, &mut to_client);
        }
        // Finish: everything sent, acknowledged, delivered (bounded rounds).
        for _ in 0..200 {
            if link.client.is_closed() || link.server.is_closed() {
                cuts += 1;
                let previous = link.cut();
                link.reconnect(previous.filter(SmSession::is_resumable), sm);
            }
            link.settle();
            flush(&mut link, &mut to_server, &mut to_client);
            prop_assert!(
                link.client.is_established() && link.server.is_established(),
                "not established after settling: {:?}", link.client_events
            );
            send_next(&mut link.client, "c", &mut client_next, TOTAL);
            if link.server.stream_management().is_some() {
                send_next(&mut link.server, "s", &mut server_next, TOTAL);
            }
            link.advance(Duration::from_secs(3));
            let done = client_next == TOTAL && server_next == TOTAL
                && link.client.stream_management().is_some_and(|s| s.unacked().len() == 0)
                && link.server.stream_management().is_some_and(|s| s.unacked().len() == 0);
            if done {
                break;
            }
        }
        flush(&mut link, &mut to_server, &mut to_client);
        let expect = |p: &str| (0..TOTAL).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
        prop_assert_eq!(to_server, expect("c"), "cuts: {}", cuts);
        prop_assert_eq!(to_client, expect("s"), "cuts: {}", cuts);
    }
}

#[test]
fn xep0198_a_clean_close_acknowledges_what_was_handled() {
    let mut link = Link::new(Some(settings(100)), Some(settings(100)));
    link.collect();
    link.settle();
    link.server.send(&message("s1")).unwrap();
    link.settle();
    link.client.close();
    link.collect();
    let wire = String::from_utf8_lossy(&link.c2s).into_owned();
    let ack = wire.find("<a xmlns='urn:xmpp:sm:3' h='1'/>").expect(&wire);
    assert!(ack < wire.find("</stream:stream>").expect(&wire), "{wire}");
    link.settle();
    let session = Link::detached(&link.server_events).expect("the server's session");
    assert_eq!(
        session.unacked().len(),
        0,
        "s1 was acknowledged before the close"
    );
}
