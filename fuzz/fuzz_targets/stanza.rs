//! Fuzz target: arbitrary bytes through the XML reader to every stanza type and payload
//! (xmpp-stanza). Nothing may panic; every stanza or payload that parses writes back to an
//! element that parses to the same value; every stanza that does not parse gets an error
//! reply (unless it is an error or result itself). Text and attribute values go through the
//! XEP-0082 date/time parsers (what parses prints back to the same value), and IQs through
//! `PendingIqs` (requests registered, results and errors matched, bounded).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_stanza::roster::RosterQuery;
use xmpp_stanza::xep::caps::{Caps, verification_string};
use xmpp_stanza::xep::chatstates::ChatState;
use xmpp_stanza::xep::datetime::{Date, DateTime, Time};
use xmpp_stanza::xep::delay::Delay;
use xmpp_stanza::xep::disco::{DiscoInfo, DiscoItems};
use xmpp_stanza::xep::forms::DataForm;
use xmpp_stanza::xep::forward::Forwarded;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::xep::version::Version;
use xmpp_stanza::{Payload, PendingIqs, Stanza, StanzaError, error_reply_element};
use xmpp_stream::xml::{Element, XmlEvent, Reader};

const HEADER: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

fn check<P: Payload + Clone + PartialEq + std::fmt::Debug>(e: &Element) {
    if let Ok(p) = P::try_from(e) {
        let back: Element = p.clone().into();
        assert_eq!(P::try_from(&back).expect("written payload re-parses"), p);
    }
}

fn round_trip<T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug>(s: &str) {
    if let Ok(v) = s.parse::<T>() {
        assert_eq!(v.to_string().parse::<T>().ok(), Some(v), "{s:?} prints back");
    }
}

fn datetimes(s: &str) {
    if s.len() <= 64 {
        round_trip::<DateTime>(s);
        round_trip::<Date>(s);
        round_trip::<Time>(s);
    }
}

fn payloads(e: &Element) {
    datetimes(&e.text());
    for a in e.attrs() {
        datetimes(a.value());
    }
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
    if let Ok(info) = DiscoInfo::try_from(e) {
        let _ = verification_string(&info);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut reader = Reader::new();
    reader.feed(HEADER);
    reader.feed(data);
    let mut pending = PendingIqs::with_limit(4);
    while let Ok(Some(event)) = reader.next_event() {
        let XmlEvent::Element(e) = event else { continue };
        match Stanza::try_from(&e) {
            Ok(s) => {
                let back = Element::from(s.clone());
                assert_eq!(Stanza::try_from(&back).expect("written stanza re-parses"), s);
                if let Stanza::Iq(iq) = &s {
                    let before = pending.len();
                    if pending.register(iq).is_ok() {
                        assert!(pending.contains(&iq.id) && pending.len() == before + 1);
                    } else if let Some(request) = pending.take_response(iq) {
                        assert_eq!(request.id, iq.id);
                        assert!(!pending.contains(&iq.id));
                    }
                    assert!(pending.len() <= 4, "pending requests stay bounded");
                }
            }
            Err(err) => {
                let _ = error_reply_element(&e, err.to_stanza_error());
            }
        }
        let _ = StanzaError::try_from(&e);
        payloads(&e);
        for child in e.children() {
            payloads(child);
            let _ = StanzaError::try_from(child);
        }
    }
});
