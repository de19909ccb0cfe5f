//! XEP-0198 in the server core, with real connection machines for juliet (the test kit's
//! account) and the harness's synthetic events for romeo: a dropped session is parked and
//! resumed with what it missed, its window ends into offline storage and bounces, a clean
//! close ends it, an unknown id is refused, a resumption while the old stream is still open
//! closes that stream, and a full queue ends the parked session at once.

mod support;

use std::time::Duration;

use support::{Harness, error_condition, sent, to};
use xmpp_server::{Action, Config, ConnectionId};
use xmpp_stream::connection::{Connection, Event};
use xmpp_stream::stream_management::{AckPolicy, QueueLimits, SmSession, SmSettings};
use xmpp_stream::testing::{ClientOpts, client, plaintext_server};
use xmpp_stream::xml::Element;

/// juliet's two machines and the link between them, driven against the core.
struct Juliet {
    client: Connection,
    server: Connection,
    conn: ConnectionId,
    /// Stanzas juliet's client application received, over every stream.
    received: Vec<String>,
    client_events: Vec<Event>,
    /// Actions of the core for other connections (romeo's).
    others: Vec<Action>,
    /// What the server machine wrote.
    server_wire: Vec<u8>,
}

fn config(server_sm: SmSettings) -> Config {
    let mut config = Config::new(["example.com"]);
    config.stream_management = Some(server_sm);
    config
}

/// The server asks for an acknowledgement after every stanza: what juliet handled is known
/// to the server as soon as the link allows.
fn eager_acks() -> SmSettings {
    SmSettings {
        ack: AckPolicy {
            stanzas: 1,
            delay: Duration::from_secs(5),
        },
        ..SmSettings::receiver()
    }
}

impl Juliet {
    /// Machines that will log in with stream management (resuming `previous` if given).
    fn connect_quietly(h: &mut Harness, previous: Option<SmSession>) -> Juliet {
        let mut client = client(ClientOpts::plaintext());
        client
            .enable_stream_management(SmSettings::initiator())
            .unwrap();
        if let Some(p) = previous {
            client.resume_stream_management(p).unwrap();
        }
        let mut server = plaintext_server();
        // The machines manage the stream even when the core's configuration says not to
        // (an adapter that ignores it): the core still decides.
        let sm = (h.server.config().stream_management).unwrap_or_else(SmSettings::receiver);
        server.enable_stream_management(sm).unwrap();
        let conn = h.server.open_client();
        Juliet {
            client,
            server,
            conn,
            received: Vec::new(),
            client_events: Vec::new(),
            others: Vec::new(),
            server_wire: Vec::new(),
        }
    }

    /// [`connect_quietly`](Self::connect_quietly), driven until it settles.
    fn connect(h: &mut Harness, previous: Option<SmSession>) -> Juliet {
        let mut j = Juliet::connect_quietly(h, previous);
        j.drive(h);
        j
    }

    /// Whether the server machine sent this stream error.
    fn server_closed_with(&self, condition: &str) -> bool {
        String::from_utf8_lossy(&self.server_wire).contains(&format!("<{condition} "))
    }

    /// Moves bytes, events and actions until nothing moves.
    fn drive(&mut self, h: &mut Harness) {
        settle(h, &mut [self]);
    }

    /// Moves bytes and events between the machines and into the core; whether anything moved.
    fn step(&mut self, h: &mut Harness) -> bool {
        let mut moved = false;
        if let Some(b) = self.client.poll_transmit() {
            self.server.handle_input(std::time::Instant::now(), &b);
            moved = true;
        }
        while let Some(e) = self.server.poll_event() {
            h.event(self.conn, e);
            moved = true;
        }
        if let Some(b) = self.server.poll_transmit() {
            self.server_wire.extend_from_slice(&b);
            self.client.handle_input(std::time::Instant::now(), &b);
            moved = true;
        }
        while let Some(e) = self.client.poll_event() {
            if let Event::Stanza(el) = &e {
                self.received.push(body(el));
            }
            self.client_events.push(e);
            moved = true;
        }
        moved
    }

    /// Carries out one core action on juliet's server machine.
    fn carry_out(&mut self, action: Action) {
        match action {
            Action::Send { stanza, .. } => self.server.send(&stanza).unwrap(),
            Action::Bind { decision, .. } => self.server.bind(decision).unwrap(),
            Action::Resume { decision, .. } => self.server.resume(decision).unwrap(),
            Action::Close { error, .. } => self.server.close_with_error(error),
            other => panic!("{other:?}"),
        }
    }

    /// The link drops: both machines see the transport end. Returns the client's session.
    fn cut(&mut self, h: &mut Harness) -> Option<SmSession> {
        let now = std::time::Instant::now();
        self.client.handle_eof(now);
        self.server.handle_eof(now);
        self.drive(h);
        self.detached()
    }

    fn detached(&self) -> Option<SmSession> {
        self.client_events.iter().find_map(|e| match e {
            Event::Detached(s) => Some((**s).clone()),
            _ => None,
        })
    }
}

/// Drives juliet's streams and the core until nothing moves; the core's actions go to the
/// stream they name, the rest (romeo's) to the first stream's `others`.
fn settle(h: &mut Harness, streams: &mut [&mut Juliet]) {
    for _ in 0..100 {
        let mut moved = false;
        for j in streams.iter_mut() {
            moved |= j.step(h);
        }
        for action in h.actions() {
            moved = true;
            match streams.iter_mut().find(|j| j.conn == action.conn()) {
                Some(j) => j.carry_out(action),
                None => streams[0].others.push(action),
            }
        }
        if !moved {
            return;
        }
    }
    panic!("never settled");
}

/// How many messages wait offline for juliet.
fn juliets_offline_messages(h: &Harness) -> usize {
    let juliet = "juliet@example.com".parse().unwrap();
    xmpp_server::Storage::offline_count(h.server.storage(), &juliet).unwrap()
}

fn body(el: &Element) -> String {
    el.children()
        .find(|c| c.name() == "body")
        .map(|b| b.text().into_owned())
        .unwrap_or_else(|| el.name().to_owned())
}

fn chat(body: &str) -> String {
    format!(
        "<message xmlns='jabber:client' type='chat' to='juliet@example.com/balcony'><body>{body}</body></message>"
    )
}

#[test]
fn xep0198_a_dropped_session_is_parked_then_resumed_with_what_it_missed() {
    let mut h = Harness::with(config(eager_acks()));
    let romeo = h.available("romeo", "orchard", 0);
    let mut j = Juliet::connect(&mut h, None);
    assert!(j.client.is_established());
    assert!(j.client.stream_management().unwrap().is_resumable());
    h.stanza(romeo, &chat("m1"));
    j.drive(&mut h);
    assert_eq!(j.received, ["m1"]);

    let previous = j.cut(&mut h).expect("resumable");
    assert_eq!(h.server.parked_sessions(), 1);
    let jid = "juliet@example.com/balcony".parse().unwrap();
    assert!(
        h.server.connection_of(&jid).is_some(),
        "the resource stays bound"
    );
    // Stanzas for the parked session wait for it.
    h.stanza(romeo, &chat("m2"));
    h.stanza(romeo, &chat("m3"));
    let mut k = Juliet::connect(&mut h, Some(previous));
    assert!(k.client.is_established(), "{:?}", k.client_events);
    assert!(
        k.client_events
            .iter()
            .any(|e| matches!(e, Event::Resumed { resent: 0, .. })),
        "juliet had nothing unacknowledged: {:?}",
        k.client_events
    );
    assert_eq!(k.received, ["m2", "m3"], "m1 was handled: not sent again");
    assert_eq!(h.server.parked_sessions(), 0);
    assert_eq!(h.server.connection_of(&jid), Some(k.conn));
    // Life goes on on the new stream.
    h.stanza(romeo, &chat("m4"));
    k.drive(&mut h);
    assert_eq!(k.received, ["m2", "m3", "m4"]);
    // No unavailable presence went out for juliet while she was parked.
    let leaks: Vec<_> = sent(&j.others)
        .into_iter()
        .chain(sent(&k.others))
        .filter(|(_, el)| el.name() == "presence" && el.attr("type") == Some("unavailable"))
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
}

#[test]
fn xep0198_when_the_window_ends_unacked_messages_go_offline_and_requests_bounce() {
    let mut h = Harness::with(config(eager_acks()));
    let romeo = h.available("romeo", "orchard", 0);
    let mut j = Juliet::connect(&mut h, None);
    h.stanza(romeo, &chat("m1"));
    j.drive(&mut h);
    j.cut(&mut h).unwrap();
    h.stanza(romeo, &chat("m2"));
    h.stanza(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='v1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:version'/></iq>",
    );
    let deadline = h.server.poll_timeout().expect("a window");
    assert_eq!(
        deadline.duration_since(h.now).unwrap(),
        Duration::from_secs(300)
    );
    h.server.handle_timeout(deadline - Duration::from_secs(1));
    assert_eq!(h.server.parked_sessions(), 1, "not yet");
    h.server.handle_timeout(deadline);
    assert_eq!(h.server.parked_sessions(), 0);
    assert_eq!(h.server.bound_resources(), 1, "only romeo's");
    let out = sent(&h.actions());
    // The request bounces to romeo; m1 was acknowledged and is not stored again.
    let bounced = to(romeo, &out);
    assert!(
        bounced.iter().any(|el| el.attr("id") == Some("v1")
            && error_condition(el).as_deref() == Some("service-unavailable")),
        "{out:?}"
    );
    let stored = juliets_offline_messages(&h);
    assert_eq!(stored, 1, "m2 only");
}

#[test]
fn xep0198_a_clean_close_ends_the_session_at_once() {
    let mut h = Harness::with(config(eager_acks()));
    let mut j = Juliet::connect(&mut h, None);
    j.client.close();
    j.drive(&mut h);
    assert!(j.server.is_closed());
    assert_eq!(h.server.parked_sessions(), 0);
    assert_eq!(h.server.bound_resources(), 0);
}

#[test]
fn xep0198_an_unknown_or_expired_id_is_refused_and_the_client_binds() {
    let mut h = Harness::with(config(eager_acks()));
    let mut j = Juliet::connect(&mut h, None);
    let previous = j.cut(&mut h).unwrap();
    let deadline = h.server.poll_timeout().unwrap();
    h.server.handle_timeout(deadline);
    let k = Juliet::connect(&mut h, Some(previous));
    assert!(k.client.is_established());
    assert!(
        k.client_events
            .iter()
            .any(|e| matches!(e, Event::ResumeFailed { .. }))
    );
    assert!(k.client_events.iter().any(|e| matches!(e, Event::Bound(_))));
    assert_eq!(h.server.bound_resources(), 1);
}

#[test]
fn xep0198_resuming_while_the_old_stream_is_open_closes_it_with_conflict() {
    let mut h = Harness::with(config(eager_acks()));
    let romeo = h.available("romeo", "orchard", 0);
    let mut j = Juliet::connect(&mut h, None);
    // Only the client notices the drop; the server's old stream is still open.
    j.client.handle_eof(std::time::Instant::now());
    j.drive(&mut h);
    let previous = j.detached().unwrap();
    h.stanza(romeo, &chat("m1"));
    j.drive(&mut h); // m1 goes to the old stream, where nobody reads it
    let mut k = Juliet::connect_quietly(&mut h, Some(previous));
    // The core closes the old stream; its session moves once that machine hands it out.
    settle(&mut h, &mut [&mut k, &mut j]);
    assert!(j.server.is_closed());
    assert!(j.server_closed_with("conflict"));
    assert!(k.client.is_established(), "{:?}", k.client_events);
    assert!(
        k.client_events
            .iter()
            .any(|e| matches!(e, Event::Resumed { .. }))
    );
    assert_eq!(k.received, ["m1"]);
    let jid = "juliet@example.com/balcony".parse().unwrap();
    assert_eq!(h.server.connection_of(&jid), Some(k.conn));
}

#[test]
fn xep0198_a_full_queue_ends_the_parked_session_into_offline_storage() {
    let mut sm = eager_acks();
    sm.limits = QueueLimits {
        max_stanzas: 2,
        max_bytes: 1 << 20,
    };
    let mut h = Harness::with(config(sm));
    let romeo = h.available("romeo", "orchard", 0);
    let mut j = Juliet::connect(&mut h, None);
    j.cut(&mut h).unwrap();
    for m in ["m1", "m2", "m3"] {
        h.stanza(romeo, &chat(m));
    }
    assert_eq!(h.server.parked_sessions(), 0, "ended by the third");
    let stored = juliets_offline_messages(&h);
    assert_eq!(stored, 3);
}

#[test]
fn xep0198_off_in_the_config_means_no_parking_and_no_resumption() {
    let mut config = Config::new(["example.com"]);
    config.stream_management = None;
    let mut h = Harness::with(config);
    let romeo = h.available("romeo", "orchard", 0);
    let mut j = Juliet::connect(&mut h, None);
    let previous = j.cut(&mut h).expect("the machines managed the stream");
    assert_eq!(h.server.parked_sessions(), 0, "the core parks nothing");
    assert_eq!(h.server.bound_resources(), 1, "juliet's resource is gone");
    // A message for her now goes offline, and her resumption is refused: she binds anew.
    h.stanza(romeo, &chat("m1"));
    let k = Juliet::connect(&mut h, Some(previous));
    assert!(k.client.is_established());
    assert!(
        k.client_events
            .iter()
            .any(|e| matches!(e, Event::ResumeFailed { .. }))
    );
    assert!(k.client_events.iter().any(|e| matches!(e, Event::Bound(_))));
    let stored = juliets_offline_messages(&h);
    assert_eq!(stored, 1);
}

/// A `Send` the adapter could not hand to a stream that had just ended (before its
/// `Detached` reached the core) joins the session: the resumed client gets it.
#[test]
fn xep0198_a_stanza_handed_back_by_the_adapter_reaches_the_resumed_session() {
    let mut h = Harness::with(config(eager_acks()));
    let romeo = h.available("romeo", "orchard", 0);
    let mut j = Juliet::connect(&mut h, None);
    h.stanza(romeo, &chat("m1"));
    // The adapter's queue refused it (its stream ended): it goes back to the core.
    let refused = h
        .actions()
        .into_iter()
        .find_map(|a| match a {
            Action::Send { conn, stanza } if conn == j.conn => Some(stanza),
            _ => None,
        })
        .expect("m1 routed to juliet");
    h.server.undelivered(j.conn, refused);
    let previous = j.cut(&mut h).unwrap();
    assert_eq!(h.server.parked_sessions(), 1);
    let k = Juliet::connect(&mut h, Some(previous));
    assert!(
        k.client_events
            .iter()
            .any(|e| matches!(e, Event::Resumed { .. }))
    );
    assert_eq!(k.received, ["m1"]);
}
