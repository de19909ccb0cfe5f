//! The published XEP-0198 examples, read and written, and bad inputs.

use super::*;
use crate::features::Features;

fn parse(xml: &str) -> Result<Nonza, WireError> {
    let el = Element::parse(xml.as_bytes()).expect("well-formed test input");
    Nonza::try_from(&el)
}

/// Reads `xml`, expects `nonza`, and checks that writing it gives an equal element.
fn example(xml: &str, nonza: Nonza) {
    assert_eq!(parse(xml), Ok(nonza.clone()), "{xml}");
    let written = Element::from(nonza);
    assert_eq!(written, Element::parse(xml.as_bytes()).unwrap(), "{xml}");
}

fn h(n: u32) -> Counter {
    Counter::new(n)
}

#[test]
fn xep_0198_example_1_feature() {
    let features = Element::parse(
        b"<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
          <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
          <sm xmlns='urn:xmpp:sm:3'/></stream:features>",
    )
    .unwrap();
    let f = Features::from_element(&features).unwrap();
    assert!(f.bind);
    let sm: Vec<_> = f.other.iter().filter(|e| is_sm(e)).collect();
    assert_eq!(sm.len(), 1);
    assert_eq!(Nonza::try_from(sm[0]), Ok(Nonza::Feature));
    assert_eq!(
        Element::from(Nonza::Feature).to_xml().unwrap(),
        "<sm xmlns='urn:xmpp:sm:3'/>"
    );
    // <optional/> and <required/> children are ignored.
    for child in ["optional", "required"] {
        let xml = format!("<sm xmlns='urn:xmpp:sm:3'><{child}/></sm>");
        assert_eq!(parse(&xml), Ok(Nonza::Feature));
    }
}

#[test]
fn xep_0198_enable_and_enabled_examples() {
    example(
        "<enable xmlns='urn:xmpp:sm:3'/>",
        Nonza::Enable(Enable::default()),
    );
    example(
        "<enabled xmlns='urn:xmpp:sm:3'/>",
        Nonza::Enabled(Enabled::default()),
    );
    example(
        "<enable xmlns='urn:xmpp:sm:3' resume='true'/>",
        Nonza::Enable(Enable {
            resume: true,
            max: None,
        }),
    );
    example(
        "<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>",
        Nonza::Enabled(Enabled {
            id: Some("some-long-sm-id".into()),
            resume: true,
            ..Enabled::default()
        }),
    );
    example(
        "<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' \
         location='[2001:41D0:1:A49b::1]:9222' resume='true'/>",
        Nonza::Enabled(Enabled {
            id: Some("some-long-sm-id".into()),
            resume: true,
            max: None,
            location: Some("[2001:41D0:1:A49b::1]:9222".into()),
        }),
    );
    assert_eq!(
        parse("<enable xmlns='urn:xmpp:sm:3' resume='1' max='300'/>"),
        Ok(Nonza::Enable(Enable {
            resume: true,
            max: Some(300),
        }))
    );
    // Written with `true`, whatever was read.
    assert_eq!(
        Element::from(Enable {
            resume: true,
            max: Some(300)
        })
        .to_xml()
        .unwrap(),
        "<enable xmlns='urn:xmpp:sm:3' resume='true' max='300'/>"
    );
    assert_eq!(
        parse("<enable xmlns='urn:xmpp:sm:3' resume='0'/>"),
        Ok(Nonza::Enable(Enable::default()))
    );
    assert_eq!(
        parse("<enabled xmlns='urn:xmpp:sm:3' resume='false' max='600'/>"),
        Ok(Nonza::Enabled(Enabled {
            max: Some(600),
            ..Enabled::default()
        }))
    );
}

#[test]
fn xep_0198_unexpected_request_failure() {
    example(
        "<failed xmlns='urn:xmpp:sm:3'>\
         <unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
        Nonza::Failed(Failed::new(FailedCondition::UnexpectedRequest)),
    );
}

#[test]
fn xep_0198_acks() {
    example("<r xmlns='urn:xmpp:sm:3'/>", Nonza::Request);
    example(
        "<a xmlns='urn:xmpp:sm:3' h='0'/>",
        Nonza::Ack(Ack { h: h(0) }),
    );
    example(
        "<a xmlns='urn:xmpp:sm:3' h='1'/>",
        Nonza::Ack(Ack { h: h(1) }),
    );
    example(
        "<a xmlns='urn:xmpp:sm:3' h='4294967295'/>",
        Nonza::Ack(Ack { h: h(u32::MAX) }),
    );
    assert_eq!(
        Element::from(Ack { h: h(1) }).to_xml().unwrap(),
        "<a xmlns='urn:xmpp:sm:3' h='1'/>"
    );
}

#[test]
fn xep_0198_resumption_examples() {
    // The XEP prints placeholders ('some-sequence-number') where numbers go: refused as such.
    let printed =
        "<resume xmlns='urn:xmpp:sm:3' h='some-sequence-number' previd='some-long-sm-id'/>";
    assert!(matches!(
        parse(printed),
        Err(WireError::BadAttribute {
            element: "resume",
            attribute: "h",
            reason: BadValue::Number(ParseCounterError::InvalidDigit),
            ..
        })
    ));
    example(
        "<resume xmlns='urn:xmpp:sm:3' h='7' previd='some-long-sm-id'/>",
        Nonza::Resume(Resume {
            previd: "some-long-sm-id".into(),
            h: h(7),
        }),
    );
    example(
        "<resumed xmlns='urn:xmpp:sm:3' h='9' previd='some-long-sm-id'/>",
        Nonza::Resumed(Resumed {
            previd: "some-long-sm-id".into(),
            h: h(9),
        }),
    );
    example(
        "<failed xmlns='urn:xmpp:sm:3' h='9'>\
         <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
        Nonza::Failed(Failed {
            h: Some(h(9)),
            condition: Some(FailedCondition::ItemNotFound),
            text: None,
        }),
    );
}

#[test]
fn failed_children() {
    // Text kept (trimmed), unknown stanza condition read as undefined-condition, other
    // namespaces ignored, no condition at all accepted (older servers send bare <failed/>).
    let f = parse(
        "<failed xmlns='urn:xmpp:sm:3'><x xmlns='urn:example'/>\
         <no-such-thing xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
         <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'> Unknown session </text></failed>",
    );
    assert_eq!(
        f,
        Ok(Nonza::Failed(Failed {
            h: None,
            condition: Some(FailedCondition::UndefinedCondition),
            text: Some("Unknown session".into()),
        }))
    );
    assert_eq!(
        parse("<failed xmlns='urn:xmpp:sm:3'/>"),
        Ok(Nonza::Failed(Failed::default()))
    );
    let full = Failed {
        h: Some(h(3)),
        condition: Some(FailedCondition::ServiceUnavailable),
        text: Some("later".into()),
    };
    assert_eq!(
        Nonza::try_from(&Element::from(full.clone())),
        Ok(Nonza::Failed(full))
    );
    for c in FailedCondition::ALL {
        assert_eq!(c.as_str().parse(), Ok(*c));
        let f = Element::from(Failed::new(*c));
        assert_eq!(Nonza::try_from(&f), Ok(Nonza::Failed(Failed::new(*c))));
    }
}

#[test]
fn unknown_attributes_are_ignored() {
    assert_eq!(
        parse("<a xmlns='urn:xmpp:sm:3' xmlns:x='urn:x' x:h='7' h='3' extra='y'/>"),
        Ok(Nonza::Ack(Ack { h: h(3) }))
    );
    assert_eq!(
        parse("<r xmlns='urn:xmpp:sm:3' h='x'>text</r>"),
        Ok(Nonza::Request)
    );
}

#[test]
fn wrong_namespace_or_name() {
    for (xml, ns_) in [
        ("<enable xmlns='urn:xmpp:sm:2'/>", "urn:xmpp:sm:2"),
        ("<r xmlns='jabber:client'/>", "jabber:client"),
        ("<a h='1'/>", ""),
    ] {
        assert_eq!(
            parse(xml),
            Err(WireError::WrongNamespace(ns_.into())),
            "{xml}"
        );
    }
    assert_eq!(
        parse("<enables xmlns='urn:xmpp:sm:3'/>"),
        Err(WireError::UnknownElement("enables".into()))
    );
    assert_eq!(
        parse("<handled-count-too-high xmlns='urn:xmpp:sm:3' h='1'/>"),
        Err(WireError::UnknownElement("handled-count-too-high".into()))
    );
}

#[test]
fn missing_attributes() {
    for (xml, element, attribute) in [
        ("<a xmlns='urn:xmpp:sm:3'/>", "a", "h"),
        ("<resume xmlns='urn:xmpp:sm:3' h='1'/>", "resume", "previd"),
        ("<resume xmlns='urn:xmpp:sm:3' previd='x'/>", "resume", "h"),
        (
            "<resumed xmlns='urn:xmpp:sm:3' h='1'/>",
            "resumed",
            "previd",
        ),
        (
            "<resumed xmlns='urn:xmpp:sm:3' previd='x'/>",
            "resumed",
            "h",
        ),
    ] {
        assert_eq!(
            parse(xml),
            Err(WireError::MissingAttribute { element, attribute }),
            "{xml}"
        );
    }
}

#[test]
fn strict_counters() {
    use ParseCounterError::*;
    for (value, why) in [
        ("", Empty),
        ("-1", InvalidDigit),
        ("+1", InvalidDigit),
        (" 1", InvalidDigit),
        ("1 ", InvalidDigit),
        ("1.0", InvalidDigit),
        ("0x1", InvalidDigit),
        ("4294967296", Overflow),
        ("18446744073709551616", Overflow),
    ] {
        for element in ["a", "resume", "resumed", "failed"] {
            let xml = format!("<{element} xmlns='urn:xmpp:sm:3' previd='p' h='{value}'/>");
            match parse(&xml) {
                Err(WireError::BadAttribute {
                    attribute: "h",
                    value: v,
                    reason,
                    ..
                }) => {
                    assert_eq!(v, value);
                    assert_eq!(reason, BadValue::Number(why), "{xml}");
                }
                other => panic!("{xml}: {other:?}"),
            }
        }
    }
    assert_eq!(
        parse("<a xmlns='urn:xmpp:sm:3' h='00042'/>"),
        Ok(Nonza::Ack(Ack { h: h(42) }))
    );
    // A hostile value is kept short in the error.
    let long = "9".repeat(10_000);
    let Err(WireError::BadAttribute { value, .. }) =
        parse(&format!("<a xmlns='urn:xmpp:sm:3' h='{long}'/>"))
    else {
        panic!("accepted");
    };
    assert_eq!(value.len(), 64);
}

#[test]
fn strict_booleans_max_and_ids() {
    for v in ["yes", "TRUE", "True", " true", "2", ""] {
        for element in ["enable", "enabled"] {
            let xml = format!("<{element} xmlns='urn:xmpp:sm:3' resume='{v}'/>");
            assert!(
                matches!(
                    parse(&xml),
                    Err(WireError::BadAttribute {
                        attribute: "resume",
                        reason: BadValue::Boolean,
                        ..
                    })
                ),
                "{xml}"
            );
        }
    }
    for (v, reason) in [
        ("0", BadValue::Zero),
        ("-5", BadValue::Number(ParseCounterError::InvalidDigit)),
        ("5000000000", BadValue::Number(ParseCounterError::Overflow)),
    ] {
        let xml = format!("<enabled xmlns='urn:xmpp:sm:3' max='{v}'/>");
        assert!(
            matches!(parse(&xml), Err(WireError::BadAttribute { attribute: "max", reason: r, .. }) if r == reason),
            "{xml}"
        );
    }
    for xml in [
        "<enabled xmlns='urn:xmpp:sm:3' id='' resume='true'/>",
        "<resume xmlns='urn:xmpp:sm:3' previd='' h='1'/>",
        "<resumed xmlns='urn:xmpp:sm:3' previd='' h='1'/>",
    ] {
        assert!(
            matches!(
                parse(xml),
                Err(WireError::BadAttribute {
                    reason: BadValue::Empty,
                    ..
                })
            ),
            "{xml}"
        );
    }
}

#[test]
fn every_variant_round_trips_through_xml() {
    let all = [
        Nonza::Feature,
        Nonza::Enable(Enable {
            resume: true,
            max: Some(60),
        }),
        Nonza::Enabled(Enabled {
            id: Some("a'b\"<c>".into()),
            resume: true,
            max: Some(u32::MAX),
            location: Some("example.net:5222".into()),
        }),
        Nonza::Resume(Resume {
            previd: "p".into(),
            h: h(u32::MAX),
        }),
        Nonza::Resumed(Resumed {
            previd: "p".into(),
            h: h(0),
        }),
        Nonza::Failed(Failed {
            h: Some(h(5)),
            condition: Some(FailedCondition::ItemNotFound),
            text: Some("gone & expired".into()),
        }),
        Nonza::Request,
        Nonza::Ack(Ack { h: h(123_456) }),
    ];
    for n in all {
        let xml = Element::from(n.clone()).to_xml().unwrap();
        assert_eq!(parse(&xml), Ok(n), "{xml}");
    }
}
