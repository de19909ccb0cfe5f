//! The fuzz target's invariants as a property test over generated stanza-like elements
//! (valid and invalid attribute values, known and unknown children): parsing never panics,
//! whatever parses writes back to an element that parses to the same value, and whatever
//! does not parse gets an error reply unless it is an error or iq result itself.

use proptest::prelude::*;
use xmpp_stanza::roster::RosterQuery;
use xmpp_stanza::xep::caps::Caps;
use xmpp_stanza::xep::chatstates::ChatState;
use xmpp_stanza::xep::delay::Delay;
use xmpp_stanza::xep::disco::{DiscoInfo, DiscoItems};
use xmpp_stanza::xep::forms::DataForm;
use xmpp_stanza::xep::forward::Forwarded;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::xep::version::Version;
use xmpp_stanza::{Payload, ReplyError, Stanza, error_reply_element};
use xmpp_stream::xml::Element;

const CHILDREN: &[&str] = &[
    "<body>hi</body>",
    "<body xml:lang='de'>hallo</body>",
    "<subject>s</subject>",
    "<thread parent='p'>t</thread>",
    "<show>away</show>",
    "<show>sleeping</show>",
    "<status>out</status>",
    "<priority>5</priority>",
    "<priority>-129</priority>",
    "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
    "<error type='bogus'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:a@b</gone></error>",
    "<error type='wait'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>x</text></error>",
    "<ping xmlns='urn:xmpp:ping'/>",
    "<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/>",
    "<delay xmlns='urn:xmpp:delay' stamp='2002-02-30T23:08:25Z'/>",
    "<composing xmlns='http://jabber.org/protocol/chatstates'/>",
    "<query xmlns='jabber:iq:roster' ver='1'><item jid='a@b.c' subscription='both'><group>g</group></item></query>",
    "<query xmlns='jabber:iq:roster'><item jid='a@@b' ask='x'/></query>",
    "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='pc'/><feature var='f'/></query>",
    "<query xmlns='http://jabber.org/protocol/disco#items'><item jid='c.b'/></query>",
    "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:x</value></field></x>",
    "<x xmlns='jabber:x:data' type='form'><field var='b' type='boolean'><value>1</value><value>0</value></field></x>",
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/>",
    "<query xmlns='jabber:iq:version'><name>n</name></query>",
    "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><body>f</body></message></forwarded>",
    "<unknown xmlns='urn:example'>text<deeper a='1'/></unknown>",
];

fn check<P: Payload + Clone + PartialEq + std::fmt::Debug>(e: &Element) {
    if let Ok(p) = P::try_from(e) {
        let back: Element = p.clone().into();
        assert_eq!(P::try_from(&back).expect("written payload re-parses"), p);
    }
}

fn payloads(e: &Element) {
    check::<RosterQuery>(e);
    check::<Caps>(e);
    check::<ChatState>(e);
    check::<Delay>(e);
    check::<DiscoInfo>(e);
    check::<DiscoItems>(e);
    check::<DataForm>(e);
    check::<Forwarded>(e);
    check::<Ping>(e);
    check::<Version>(e);
}

fn stanza_xml() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["message", "presence", "iq"]),
        prop::sample::select(vec!["jabber:client", "jabber:server", "urn:other"]),
        prop::option::of(prop::sample::select(vec![
            "get",
            "set",
            "result",
            "error",
            "chat",
            "groupchat",
            "headline",
            "normal",
            "unavailable",
            "subscribe",
            "probe",
            "weird",
        ])),
        prop::option::of(prop::sample::select(vec![
            "a@b.c", "b.c/r", "@bad", "a@b.c/",
        ])),
        prop::option::of(prop::sample::select(vec!["x@y.z/r", "y.z", "x@"])),
        prop::option::of("[a-z0-9]{1,6}"),
        prop::collection::vec(prop::sample::select(CHILDREN.to_vec()), 0..4),
    )
        .prop_map(|(name, ns, ty, to, from, id, children)| {
            let mut s = format!("<{name} xmlns='{ns}'");
            for (attr, v) in [("type", ty), ("to", to), ("from", from)] {
                if let Some(v) = v {
                    s.push_str(&format!(" {attr}='{v}'"));
                }
            }
            if let Some(id) = id {
                s.push_str(&format!(" id='{id}'"));
            }
            s.push('>');
            for c in children {
                s.push_str(c);
            }
            s.push_str(&format!("</{name}>"));
            s
        })
}

proptest! {
    #[test]
    fn generated_stanzas_parse_round_trip_or_get_error_replies(xml in stanza_xml()) {
        let e = Element::parse(xml.as_bytes()).expect("generated XML is well-formed");
        match Stanza::try_from(&e) {
            Ok(s) => {
                let back = Element::from(s.clone());
                prop_assert_eq!(Stanza::try_from(&back).expect("re-parses"), s);
            }
            Err(err) => {
                match error_reply_element(&e, err.to_stanza_error()) {
                    Ok(reply) => {
                        prop_assert_eq!(reply.attr("type"), Some("error"));
                        prop_assert_eq!(reply.attr("id"), e.attr("id"));
                    }
                    Err(ReplyError::ToError) => prop_assert_eq!(e.attr("type"), Some("error")),
                    Err(ReplyError::ToResult) => prop_assert_eq!(e.attr("type"), Some("result")),
                    Err(ReplyError::NotAStanza) => prop_assert_eq!(e.ns(), "urn:other"),
                }
            }
        }
        for child in e.children() {
            payloads(child);
        }
    }
}
