//! The engine driven from real stanza bytes through the xmpp-stanza bridge.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use xmpp_im::client::{ChatSessions, PresenceTracker, RosterTracker};
use xmpp_im::delivery::{IqDelivery, MessageDelivery};
use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::server::{EngineConfig, ServerEngine};
use xmpp_im::stanza_bridge::*;
use xmpp_im::store::MemoryRosterStore;
use xmpp_stanza::roster::{RosterQuery, Subscription};
use xmpp_stanza::{
    Condition, IdGenerator, IqPayload, Message, Presence, PresenceType, Show, Stanza,
};
use xmpp_stream::xml::{Element, Reader, XmlEvent};

type Engine = ServerEngine<StanzaPresence, MemoryRosterStore<StanzaPresence>>;

struct World {
    engine: Engine,
    ids: IdGenerator,
    rng: ChaCha20Rng,
}

/// Parses one stanza from bytes as they arrive on a c2s stream.
fn stanza(xml: &str) -> Stanza {
    let mut reader = Reader::new();
    reader.feed(
        b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    reader.feed(xml.as_bytes());
    assert!(matches!(
        reader.next_event(),
        Ok(Some(XmlEvent::StreamHeader(_)))
    ));
    match reader.next_event() {
        Ok(Some(XmlEvent::Element(e))) => Stanza::try_from(&e).expect("valid stanza"),
        other => panic!("no element: {other:?}"),
    }
}

fn full(s: &str) -> FullJid {
    s.parse().unwrap()
}

fn world(accounts: &[&str]) -> World {
    let mut store = MemoryRosterStore::new();
    for a in accounts {
        store.add_account(a.parse::<BareJid>().unwrap());
    }
    World {
        engine: ServerEngine::new(EngineConfig::new(["example.com"]), store),
        ids: IdGenerator::new(),
        rng: ChaCha20Rng::seed_from_u64(9),
    }
}

impl World {
    fn send(&mut self, from: &str, xml: &str) -> Vec<Outbound> {
        let from = full(from);
        match stanza(xml) {
            Stanza::Presence(p) => {
                handle_client_presence(&mut self.engine, &from, p, &mut self.ids, &mut self.rng)
                    .unwrap()
            }
            Stanza::Iq(iq) => {
                handle_roster_iq(&mut self.engine, &from, &iq, &mut self.ids, &mut self.rng)
                    .expect("a roster iq")
            }
            Stanza::Message(_) => panic!("use route_message"),
        }
    }

    fn login(&mut self, resource: &str) -> Vec<Outbound> {
        self.engine.bind(full(resource)).unwrap();
        self.send(
            resource,
            "<iq type='get' id='r0'><query xmlns='jabber:iq:roster'/></iq>",
        );
        self.send(resource, "<presence><priority>1</priority></presence>")
    }
}

/// Everything sent to `to`, as XML.
fn xml_to(out: &[Outbound], to: &str) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Outbound::Local { to: t, stanza } if t.as_str() == to => {
                Some(Element::from(stanza.clone()).to_xml().unwrap())
            }
            _ => None,
        })
        .collect()
}

/// Roster get and set from bytes: the result mirrors the id, the set is stored (later gets see
/// it) and pushed to the requesting resource as an IQ set with a fresh id.
#[test]
fn ucr_roster_14_ucr_roster_30_ucr_roster_31_roster_get_and_set_from_bytes() {
    let mut w = world(&["juliet@example.com"]);
    w.engine.bind(full("juliet@example.com/balcony")).unwrap();
    let out = w.send(
        "juliet@example.com/balcony",
        "<iq type='get' id='g1'><query xmlns='jabber:iq:roster'/></iq>",
    );
    assert_eq!(
        xml_to(&out, "juliet@example.com/balcony"),
        [
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='g1' type='result'>\
          <query xmlns='jabber:iq:roster' ver='0'/></iq>"
        ]
    );
    let out = w.send(
        "juliet@example.com/balcony",
        "<iq type='set' id='s1'><query xmlns='jabber:iq:roster'>\
         <item jid='nurse@example.com' name='Nurse'><group>Servants</group></item></query></iq>",
    );
    let sent = xml_to(&out, "juliet@example.com/balcony");
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0],
        "<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='s1' type='result'/>"
    );
    let Outbound::Local {
        stanza: Stanza::Iq(push),
        ..
    } = &out[1]
    else {
        panic!()
    };
    assert_ne!(push.id, "s1");
    let q = push.payload::<RosterQuery>().unwrap().unwrap();
    assert_eq!(q.ver.as_deref(), Some("1"));
    assert_eq!(q.items[0].jid.as_str(), "nurse@example.com");
    assert_eq!(q.items[0].subscription, Some(Subscription::None));
    assert_eq!(q.items[0].groups, ["Servants"]);

    // Versioned get: the client is up to date at 1, so an empty result and no push.
    let out = w.send(
        "juliet@example.com/balcony",
        "<iq type='get' id='g2'><query xmlns='jabber:iq:roster' ver='1'/></iq>",
    );
    assert_eq!(
        xml_to(&out, "juliet@example.com/balcony"),
        ["<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='g2' type='result'/>"]
    );
    // At version 0, the one change comes as a push after the empty result.
    let out = w.send(
        "juliet@example.com/balcony",
        "<iq type='get' id='g3'><query xmlns='jabber:iq:roster' ver='0'/></iq>",
    );
    assert_eq!(out.len(), 2);
}

/// Refused roster requests get IQ errors with the right condition: a get with items, a set
/// without exactly one item, and so on.
#[test]
fn ucr_roster_17_ucr_roster_28_ucr_roster_32_roster_errors_become_iq_errors() {
    let mut w = world(&["juliet@example.com"]);
    w.engine.bind(full("juliet@example.com/balcony")).unwrap();
    for (xml, condition) in [
        (
            "<iq type='get' id='e1'><query xmlns='jabber:iq:roster'><item jid='a@b.c'/></query></iq>",
            Condition::BadRequest,
        ),
        (
            "<iq type='set' id='e2'><query xmlns='jabber:iq:roster'><item jid='a@b.c'/><item jid='d@b.c'/></query></iq>",
            Condition::BadRequest,
        ),
        (
            "<iq type='set' id='e3'><query xmlns='jabber:iq:roster'><item/></query></iq>",
            Condition::BadRequest,
        ),
        (
            "<iq type='set' id='e4'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com'/></query></iq>",
            Condition::NotAllowed,
        ),
        (
            "<iq type='set' id='e5'><query xmlns='jabber:iq:roster'><item jid='a@b.c' subscription='remove'/></query></iq>",
            Condition::ItemNotFound,
        ),
        (
            "<iq type='get' id='e6' to='romeo@example.com'><query xmlns='jabber:iq:roster'/></iq>",
            Condition::Forbidden,
        ),
    ] {
        let out = w.send("juliet@example.com/balcony", xml);
        let [
            Outbound::Local {
                stanza: Stanza::Iq(reply),
                ..
            },
        ] = &out[..]
        else {
            panic!("{xml}")
        };
        let IqPayload::Error { error, .. } = &reply.payload_kind else {
            panic!("{xml}")
        };
        assert_eq!(error.condition, condition, "{xml}");
        assert_eq!(
            reply.to.as_ref().unwrap().as_str(),
            "juliet@example.com/balcony"
        );
    }
    // Not a roster request: not handled here.
    let iq = match stanza("<iq type='get' id='v'><query xmlns='jabber:iq:version'/></iq>") {
        Stanza::Iq(iq) => iq,
        _ => unreachable!(),
    };
    assert!(
        handle_roster_iq(
            &mut w.engine,
            &full("juliet@example.com/balcony"),
            &iq,
            &mut w.ids,
            &mut w.rng
        )
        .is_none()
    );
}

/// UCR-SUB: a whole subscription handshake and presence broadcast between two local users,
/// every step from bytes.
#[test]
fn subscription_and_presence_from_bytes() {
    let mut w = world(&["juliet@example.com", "romeo@example.com"]);
    w.login("juliet@example.com/balcony");
    w.login("romeo@example.com/orchard");

    let out = w.send(
        "juliet@example.com/balcony",
        "<presence to='romeo@example.com' type='subscribe' id='sub1'/>",
    );
    let to_romeo = xml_to(&out, "romeo@example.com/orchard");
    assert!(
        to_romeo.iter().any(|x| x == "<presence xmlns='jabber:client' to='romeo@example.com/orchard' from='juliet@example.com' id='sub1' type='subscribe'/>"),
        "{to_romeo:?}"
    );
    let out = w.send(
        "romeo@example.com/orchard",
        "<presence to='juliet@example.com' type='subscribed'/>",
    );
    // Juliet gets a push with subscription='to', the subscribed, and Romeo's presence.
    let to_juliet: Vec<Stanza> = out
        .iter()
        .filter_map(|o| match o {
            Outbound::Local { to, stanza } if to.as_str() == "juliet@example.com/balcony" => {
                Some(stanza.clone())
            }
            _ => None,
        })
        .collect();
    assert!(to_juliet.iter().any(|s| matches!(s, Stanza::Iq(iq)
        if iq.payload::<RosterQuery>().unwrap().unwrap().items[0].subscription == Some(Subscription::To))));
    assert!(
        to_juliet
            .iter()
            .any(|s| matches!(s, Stanza::Presence(p) if p.kind == PresenceType::Subscribed))
    );
    assert!(to_juliet.iter().any(|s| matches!(s, Stanza::Presence(p)
        if p.kind == PresenceType::Available && p.from.as_ref().unwrap().as_str() == "romeo@example.com/orchard")));

    // Romeo's presence update reaches Juliet with its content intact.
    let out = w.send(
        "romeo@example.com/orchard",
        "<presence><show>dnd</show><status>busy</status><x xmlns='urn:example'/></presence>",
    );
    let p = out
        .iter()
        .find_map(|o| match o {
            Outbound::Local {
                to,
                stanza: Stanza::Presence(p),
            } if to.as_str() == "juliet@example.com/balcony" => Some(p.clone()),
            _ => None,
        })
        .expect("broadcast to the subscriber");
    assert_eq!(p.show, Some(Show::Dnd));
    assert_eq!(p.status(), Some("busy"));
    assert_eq!(p.payloads.len(), 1);
    assert_eq!(
        p.to.as_ref().unwrap().as_str(),
        "juliet@example.com/balcony"
    );

    // Client side: Juliet's trackers fed from what she received.
    let mut roster = RosterTracker::new("juliet@example.com".parse().unwrap());
    let mut presence = PresenceTracker::new("juliet@example.com".parse().unwrap());
    for s in &to_juliet {
        if let Stanza::Iq(iq) = s {
            let reply = client_roster_push(&mut roster, iq).unwrap();
            assert!(matches!(reply.payload_kind, IqPayload::Result(None)));
        }
    }
    assert!(roster.get(&"romeo@example.com".parse().unwrap()).is_some());
    assert!(client_presence(&mut presence, Some(&roster), &p).unwrap());
    assert!(presence.is_available(&"romeo@example.com".parse().unwrap()));
}

/// Presence errors from the engine become presence error stanzas.
#[test]
fn presence_errors_become_error_stanzas() {
    let mut w = world(&["juliet@example.com"]);
    w.login("juliet@example.com/balcony");
    let out = w.send("juliet@example.com/balcony", "<presence type='subscribe'/>");
    let [
        Outbound::Local {
            stanza: Stanza::Presence(p),
            ..
        },
    ] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!(p.kind, PresenceType::Error);
    assert_eq!(p.error.as_ref().unwrap().condition, Condition::BadRequest);
    let out = w.send(
        "juliet@example.com/balcony",
        "<presence type='subscribe' to='juliet@example.com'/>",
    );
    let [
        Outbound::Local {
            stanza: Stanza::Presence(p),
            ..
        },
    ] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!(p.error.as_ref().unwrap().condition, Condition::NotAllowed);
    // Round trip through bytes.
    let e = Element::from(p.clone());
    assert_eq!(Presence::try_from(&e).unwrap(), *p);
}

/// UCR-ROUTE: messages and IQs routed by their `to` and `type`; bounces become error replies.
#[test]
fn message_and_iq_routing() {
    let mut w = world(&["juliet@example.com", "romeo@example.com"]);
    w.login("juliet@example.com/balcony");
    let Stanza::Message(m) = stanza(
        "<message from='romeo@example.com/orchard' to='juliet@example.com' type='chat'><body>hi</body><thread>t</thread></message>",
    ) else {
        panic!()
    };
    assert_eq!(
        route_message(&w.engine, &m),
        Some(MessageDelivery::Deliver(vec![full(
            "juliet@example.com/balcony"
        )]))
    );
    let Stanza::Message(m) = stanza(
        "<message from='juliet@example.com/balcony' to='nobody@example.com' type='chat'><body>hi</body></message>",
    ) else {
        panic!()
    };
    let Some(MessageDelivery::Bounce(c)) = route_message(&w.engine, &m) else {
        panic!()
    };
    let bounce = bounce_message(&m, c).unwrap();
    assert_eq!(
        bounce.error.unwrap().condition,
        Condition::ServiceUnavailable
    );
    assert_eq!(bounce.to.unwrap().as_str(), "juliet@example.com/balcony");
    let Stanza::Message(remote) = stanza("<message to='x@elsewhere.net'><body>hi</body></message>")
    else {
        panic!()
    };
    assert_eq!(
        route_message(&w.engine, &remote),
        Some(MessageDelivery::Route(
            "x@elsewhere.net".parse::<Jid>().unwrap()
        ))
    );
    let Stanza::Message(own) = stanza("<message><body>hi</body></message>") else {
        panic!()
    };
    assert_eq!(route_message(&w.engine, &own), None);

    let Stanza::Iq(iq) = stanza(
        "<iq type='get' id='v1' from='juliet@example.com/balcony' to='romeo@example.com/orchard'><query xmlns='jabber:iq:version'/></iq>",
    ) else {
        panic!()
    };
    let Some(IqDelivery::Bounce(c)) = route_iq(&w.engine, &iq) else {
        panic!()
    };
    let reply = bounce_iq(&iq, c).unwrap();
    assert_eq!(reply.id, "v1");
    let Stanza::Iq(res) = stanza("<iq type='result' id='v1' to='romeo@example.com/orchard'/>")
    else {
        panic!()
    };
    assert_eq!(route_iq(&w.engine, &res), None);
    let Stanza::Iq(ok) = stanza(
        "<iq type='get' id='v2' to='juliet@example.com/balcony'><query xmlns='jabber:iq:version'/></iq>",
    ) else {
        panic!()
    };
    assert_eq!(
        route_iq(&w.engine, &ok),
        Some(IqDelivery::Deliver(full("juliet@example.com/balcony")))
    );

    // Client side: chat session locks onto the full JID that replied (UCR-MSG-3).
    let mut chats = ChatSessions::new();
    let Stanza::Message(reply) = stanza(
        "<message from='romeo@example.com/orchard' type='chat'><body>yes</body><thread>t</thread></message>",
    ) else {
        panic!()
    };
    client_message(&mut chats, &reply);
    let romeo: BareJid = "romeo@example.com".parse().unwrap();
    assert_eq!(
        chats.address_for(&romeo).as_str(),
        "romeo@example.com/orchard"
    );
}

/// A push from someone else is refused with service-unavailable.
#[test]
fn ucr_roster_21_spoofed_push_is_refused() {
    let mut roster = RosterTracker::new("juliet@example.com".parse().unwrap());
    let Stanza::Iq(iq) = stanza(
        "<iq type='set' id='p' from='mallory@evil.com'><query xmlns='jabber:iq:roster'><item jid='a@b.c'/></query></iq>",
    ) else {
        panic!()
    };
    let reply = client_roster_push(&mut roster, &iq).unwrap();
    let IqPayload::Error { error, .. } = reply.payload_kind else {
        panic!()
    };
    assert_eq!(error.condition, Condition::ServiceUnavailable);
    assert!(roster.is_empty());
    let Stanza::Iq(result) = stanza(
        "<iq type='result' id='r0'><query xmlns='jabber:iq:roster' ver='3'><item jid='a@b.c' subscription='both'/></query></iq>",
    ) else {
        panic!()
    };
    assert_eq!(client_roster_result(&mut roster, &result).unwrap(), 1);
    assert_eq!(roster.request_ver(), Some("3"));
    let Stanza::Iq(not_result) =
        stanza("<iq type='get' id='x'><query xmlns='jabber:iq:roster'/></iq>")
    else {
        panic!()
    };
    assert!(client_roster_result(&mut roster, &not_result).is_err());
}

#[test]
fn remote_presence_needs_addresses() {
    let mut w = world(&["juliet@example.com"]);
    let Stanza::Presence(p) = stanza("<presence type='probe' to='juliet@example.com'/>") else {
        panic!()
    };
    assert_eq!(
        handle_remote_presence(&mut w.engine, p, &mut w.ids, &mut w.rng),
        Err(BridgeError::MissingAddress("from"))
    );
    let Stanza::Presence(p) =
        stanza("<presence type='subscribe' from='romeo@elsewhere.net' to='nobody@example.com'/>")
    else {
        panic!()
    };
    let out = handle_remote_presence(&mut w.engine, p, &mut w.ids, &mut w.rng).unwrap();
    // An unknown account answers a subscribe with unsubscribed (RFC 6121 §8.5.1).
    assert!(
        matches!(&out[..], [Outbound::Remote { stanza: Stanza::Presence(p), .. }] if p.kind == PresenceType::Unsubscribed)
    );
    let msg = Message::default();
    assert_eq!(route_message(&w.engine, &msg), None);
}

/// The roster pushes in `out` for `to`, as IQs.
fn pushes_to(out: &[Outbound], to: &str) -> Vec<xmpp_stanza::Iq> {
    out.iter()
        .filter_map(|o| match o {
            Outbound::Local {
                to: t,
                stanza: Stanza::Iq(iq),
            } if t.as_str() == to && matches!(iq.payload_kind, IqPayload::Set(_)) => {
                Some(iq.clone())
            }
            _ => None,
        })
        .collect()
}

/// Both sides support `ask`: the server writes `ask='subscribe'` on the item while the user's
/// request is pending (in its pushes and in roster results), the client's roster reads it, the
/// server drops it once the contact answers, and an `ask` the client sends itself is ignored.
#[test]
fn ucr_roster_8_ucr_roster_9_both_sides_carry_ask_while_a_request_is_pending() {
    let mut w = world(&["juliet@example.com", "romeo@example.com"]);
    w.login("juliet@example.com/balcony");
    w.login("romeo@example.com/orchard");
    let mut roster = RosterTracker::new("juliet@example.com".parse().unwrap());
    let romeo: BareJid = "romeo@example.com".parse().unwrap();

    // Server side, pending out: the push says ask='subscribe'.
    let out = w.send(
        "juliet@example.com/balcony",
        "<presence to='romeo@example.com' type='subscribe'/>",
    );
    let pushes = pushes_to(&out, "juliet@example.com/balcony");
    assert_eq!(pushes.len(), 1, "{out:?}");
    let xml = Element::from(pushes[0].clone()).to_xml().unwrap();
    assert!(
        xml.contains("<item jid='romeo@example.com' subscription='none' ask='subscribe'/>"),
        "{xml}"
    );
    // Client side: the tracker reads it.
    client_roster_push(&mut roster, &pushes[0]).unwrap();
    let item = roster.get(&romeo).unwrap();
    assert!(item.ask);
    assert_eq!(
        item.subscription,
        xmpp_im::subscription::RosterSubscription::None
    );

    // A roster result at login carries it too, and the tracker keeps it.
    let out = w.send(
        "juliet@example.com/balcony",
        "<iq type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>",
    );
    let [
        Outbound::Local {
            stanza: Stanza::Iq(result),
            ..
        },
    ] = &out[..]
    else {
        panic!("{out:?}")
    };
    let xml = Element::from(result.clone()).to_xml().unwrap();
    assert!(xml.contains("ask='subscribe'"), "{xml}");
    let mut fresh = RosterTracker::new("juliet@example.com".parse().unwrap());
    assert_eq!(client_roster_result(&mut fresh, result).unwrap(), 1);
    assert!(fresh.get(&romeo).unwrap().ask);

    // The contact approves: the push drops ask and says subscription='to'.
    let out = w.send(
        "romeo@example.com/orchard",
        "<presence to='juliet@example.com' type='subscribed'/>",
    );
    let pushes = pushes_to(&out, "juliet@example.com/balcony");
    assert_eq!(pushes.len(), 1, "{out:?}");
    let xml = Element::from(pushes[0].clone()).to_xml().unwrap();
    assert!(!xml.contains("ask="), "{xml}");
    assert!(xml.contains("subscription='to'"), "{xml}");
    client_roster_push(&mut roster, &pushes[0]).unwrap();
    let item = roster.get(&romeo).unwrap();
    assert!(!item.ask);
    assert_eq!(
        item.subscription,
        xmpp_im::subscription::RosterSubscription::To
    );

    // Only the server sets ask: one sent in a roster set is not stored or pushed.
    let out = w.send(
        "juliet@example.com/balcony",
        "<iq type='set' id='s'><query xmlns='jabber:iq:roster'>\
         <item jid='nurse@example.com' ask='subscribe'/></query></iq>",
    );
    let pushes = pushes_to(&out, "juliet@example.com/balcony");
    assert_eq!(pushes.len(), 1, "{out:?}");
    let xml = Element::from(pushes[0].clone()).to_xml().unwrap();
    assert!(!xml.contains("ask="), "{xml}");
}

/// Headline messages (notifications, no reply expected): the server gives one for the bare JID
/// to every available resource with a non-negative priority (a chat goes to the highest only),
/// and the client neither locks the conversation to its sender nor answers it as a chat.
#[test]
fn ucr_msg_8_headline_reaches_every_resource_and_expects_no_reply() {
    let mut w = world(&["juliet@example.com", "romeo@example.com"]);
    w.login("juliet@example.com/balcony");
    w.engine.bind(full("juliet@example.com/chamber")).unwrap();
    w.send(
        "juliet@example.com/chamber",
        "<presence><priority>0</priority></presence>",
    );
    let Stanza::Message(headline) = stanza(
        "<message to='juliet@example.com' type='headline'><subject>News</subject>\
         <body>The Montagues are at the feast.</body></message>",
    ) else {
        panic!()
    };
    assert_eq!(headline.kind, xmpp_stanza::MessageType::Headline);
    assert_eq!(
        route_message(&w.engine, &headline),
        Some(MessageDelivery::Deliver(vec![
            full("juliet@example.com/balcony"),
            full("juliet@example.com/chamber"),
        ]))
    );
    let Stanza::Message(chat) =
        stanza("<message to='juliet@example.com' type='chat'><body>hi</body></message>")
    else {
        panic!()
    };
    assert_eq!(
        route_message(&w.engine, &chat),
        Some(MessageDelivery::Deliver(vec![full(
            "juliet@example.com/balcony"
        )]))
    );

    // The receiving client: no lock, and an answer would be a normal message.
    let mut chats = ChatSessions::new();
    let romeo: BareJid = "romeo@example.com".parse().unwrap();
    let from: Jid = "romeo@example.com/pager".parse().unwrap();
    chats.incoming(&from, message_type(headline.kind), None);
    assert_eq!(chats.address_for(&romeo), Jid::from(romeo.clone()));
    assert_eq!(
        xmpp_im::client::reply_type(message_type(headline.kind)),
        xmpp_im::delivery::MessageType::Normal
    );
    // A chat from the same full JID does lock.
    chats.incoming(&from, message_type(chat.kind), None);
    assert_eq!(chats.address_for(&romeo), from);
}
