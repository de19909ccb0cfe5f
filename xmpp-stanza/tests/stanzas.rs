//! Stanza-level behaviour: types, round trips, errors, replies, IQ discipline.

use rand_core::SeedableRng;
use xmpp_stanza::xep::delay::Delay;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stanza::{
    Condition, ErrorType, IdGenerator, Iq, IqPayload, Message, MessageType, ParseError, Presence,
    PresenceType, ReplyError, Show, Stanza, StanzaError, error_reply_element,
};
use xmpp_stream::xml::{Element, ns};

fn el(s: &str) -> Element {
    s.parse().expect("test input is well-formed XML")
}

/// Element -> T -> Element is stable and T -> Element -> T is the identity.
fn round_trip(xml: &str) -> Stanza {
    let e = el(xml);
    let s = Stanza::try_from(&e).expect("parses");
    let e2 = Element::from(s.clone());
    let s2 = Stanza::try_from(&e2).expect("re-parses");
    assert_eq!(s2, s);
    assert_eq!(Element::from(s2), e2);
    s
}

/// The three kinds, each with the five common attributes.
#[test]
fn ucr_stanza_1_ucr_stanza_2_three_kinds_with_common_attributes() {
    for xml in [
        "<message xmlns='jabber:client' to='a@b.c' from='d@e.f/g' id='1' xml:lang='en' type='chat'/>",
        "<presence xmlns='jabber:client' to='a@b.c' from='d@e.f/g' id='1' xml:lang='en' type='probe'/>",
        "<iq xmlns='jabber:client' to='a@b.c' from='d@e.f/g' id='1' xml:lang='en' type='result'/>",
    ] {
        let s = round_trip(xml);
        assert_eq!(s.to().unwrap().as_str(), "a@b.c");
        assert_eq!(s.from().unwrap().as_str(), "d@e.f/g");
        assert_eq!(Element::from(s), el(xml));
    }
}

/// Legal `type` values depend on the kind; `error` is the one value all three share.
#[test]
fn ucr_stanza_18_type_values_depend_on_the_kind_and_error_is_common() {
    let error =
        "<error type='cancel'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";
    for kind in ["message", "presence", "iq"] {
        let xml = format!("<{kind} xmlns='jabber:client' id='e' type='error'>{error}</{kind}>");
        let s = round_trip(&xml);
        assert_eq!(Element::from(s), el(&xml));
    }
    // A value of one kind is not a value of another.
    for (kind, foreign) in [
        ("presence", "chat"),
        ("presence", "get"),
        ("iq", "chat"),
        ("iq", "subscribe"),
    ] {
        let xml = format!(
            "<{kind} xmlns='jabber:client' id='x' type='{foreign}'><a xmlns='urn:a'/></{kind}>"
        );
        let err = Stanza::try_from(&el(&xml)).unwrap_err();
        assert_eq!(
            err.condition(),
            Condition::BadRequest,
            "{kind} type={foreign}"
        );
    }
    // A message reads an unknown value as `normal` (UCR-MSG-9), IQ and presence values included.
    for foreign in ["get", "subscribe"] {
        let m = Message::try_from(&el(&format!(
            "<message xmlns='jabber:client' type='{foreign}'/>"
        )))
        .unwrap();
        assert_eq!(m.kind, MessageType::Normal, "{foreign}");
    }
}

#[test]
fn server_and_component_namespaces_round_trip() {
    for xml in [
        "<message xmlns='jabber:server' to='a@b.c' from='d@e.f'><body>x</body></message>",
        "<presence xmlns='jabber:component:accept' from='c.b.c'/>",
    ] {
        let s = round_trip(xml);
        assert_eq!(Element::from(s), el(xml));
    }
    let wrong = el("<message xmlns='urn:other'/>");
    assert!(matches!(
        Message::try_from(&wrong),
        Err(ParseError::WrongElement { .. })
    ));
}

/// Every message type (headline included; its handling: see also UCR-MSG-8).
#[test]
fn ucr_msg_6_every_message_type() {
    for (t, kind) in [
        ("chat", MessageType::Chat),
        ("groupchat", MessageType::Groupchat),
        ("headline", MessageType::Headline),
        ("normal", MessageType::Normal),
    ] {
        let m = Message::try_from(&el(&format!("<message xmlns='jabber:client' type='{t}'/>")))
            .unwrap();
        assert_eq!(m.kind, kind);
    }
    let e = el(
        "<message xmlns='jabber:client' type='error'><error type='cancel'>\
                <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    );
    let m = Message::try_from(&e).unwrap();
    assert_eq!(m.kind, MessageType::Error);
    assert_eq!(m.error.unwrap().condition, Condition::ServiceUnavailable);
}

/// UCR-MSG-9: no type or an unknown type is `normal`.
#[test]
fn ucr_msg_9_unknown_or_missing_type_is_normal() {
    for xml in [
        "<message xmlns='jabber:client'/>",
        "<message xmlns='jabber:client' type='bogus'/>",
    ] {
        assert_eq!(
            Message::try_from(&el(xml)).unwrap().kind,
            MessageType::Normal
        );
    }
}

/// A body is optional; bodies per language; a repeated language is refused.
#[test]
fn ucr_msg_10_ucr_msg_11_bodies_optional_per_language_and_duplicates_refused() {
    let bodiless = Message::try_from(&el("<message xmlns='jabber:client' to='a@b.c'/>")).unwrap();
    assert_eq!(bodiless.body(), None);
    assert!(bodiless.bodies.is_empty());
    let with_body = Message::chat("romeo@example.net".parse().unwrap(), "Hello");
    let written = Element::from(with_body.clone());
    assert_eq!(
        written.child_text("body", "jabber:client").as_deref(),
        Some("Hello")
    );
    assert_eq!(Message::try_from(&written).unwrap(), with_body);

    let s = round_trip(
        "<message xmlns='jabber:client' xml:lang='en'><subject>Hi</subject><body>Hello</body>\
         <body xml:lang='fr'>Bonjour</body><thread parent='p1'>t1</thread></message>",
    );
    let Stanza::Message(m) = s else {
        panic!("message expected")
    };
    assert_eq!(m.body(), Some("Hello"));
    assert_eq!(m.bodies.get(Some("fr")), Some("Bonjour"));
    assert_eq!(m.subject(), Some("Hi"));
    assert_eq!(m.thread.as_ref().unwrap().parent.as_deref(), Some("p1"));
    assert_eq!(m.lang.as_deref(), Some("en"));

    let dup = el(
        "<message xmlns='jabber:client'><body xml:lang='fr'>a</body><body xml:lang='fr'>b</body></message>",
    );
    let err = Message::try_from(&dup).unwrap_err();
    assert_eq!(
        err,
        ParseError::DuplicateChild {
            element: "message",
            child: "body",
            lang: Some("fr".into())
        }
    );
    assert_eq!(err.condition(), Condition::BadRequest);
    let two_threads =
        el("<message xmlns='jabber:client'><thread>a</thread><thread>b</thread></message>");
    assert!(Message::try_from(&two_threads).is_err());
}

/// UCR-MSG-2: the thread survives a reply built from the message.
#[test]
fn ucr_msg_2_thread_preserved() {
    let m = Message::try_from(&el(
        "<message xmlns='jabber:client' type='chat' from='a@b.c/r'><body>x</body><thread>abc</thread></message>",
    ))
    .unwrap();
    let mut reply = Message::chat(m.from.clone().unwrap(), "y");
    reply.thread = m.thread.clone();
    let back = Message::try_from(&Element::from(reply)).unwrap();
    assert_eq!(back.thread.unwrap().id, "abc");
}

#[test]
fn unknown_payloads_are_kept_and_written_back_unchanged() {
    let xml = "<message xmlns='jabber:client'><body>x</body>\
               <foo xmlns='urn:example:foo' a='1'><bar>text<baz/></bar></foo>\
               <delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/></message>";
    let m = Message::try_from(&el(xml)).unwrap();
    assert_eq!(m.payloads.len(), 2);
    assert_eq!(
        m.payloads[0],
        el("<foo xmlns='urn:example:foo' a='1'><bar>text<baz/></bar></foo>")
    );
    assert_eq!(Element::from(m.clone()), el(xml));
    let d: Delay = m.payload::<Delay>().unwrap().unwrap();
    assert_eq!(d.stamp.unix_timestamp(), 1_031_699_305);
    assert!(m.payload::<Ping>().is_none());
}

#[test]
fn bad_payload_gives_typed_error() {
    let m = Message::try_from(&el(
        "<message xmlns='jabber:client'><delay xmlns='urn:xmpp:delay' stamp='yesterday'/></message>",
    ))
    .unwrap();
    let err = m.payload::<Delay>().unwrap().unwrap_err();
    assert!(matches!(
        err,
        ParseError::BadDateTime {
            profile: "DateTime",
            ..
        }
    ));
    assert_eq!(err.condition(), Condition::BadRequest);
}

/// UCR-STANZA-3: a bad JID in `to` is a typed error answered with jid-malformed.
#[test]
fn ucr_stanza_3_bad_jid_is_jid_malformed() {
    let e = el("<message xmlns='jabber:client' to='a@b@c/'/>");
    let err = Message::try_from(&e).unwrap_err();
    assert!(matches!(
        err,
        ParseError::BadJid {
            element: "message",
            attr: "to",
            ..
        }
    ));
    assert_eq!(err.condition(), Condition::JidMalformed);
    let reply = error_reply_element(&e, err.to_stanza_error()).unwrap();
    let parsed = StanzaError::try_from(reply.child("error", ns::CLIENT).unwrap()).unwrap();
    assert_eq!(parsed.condition, Condition::JidMalformed);
    assert_eq!(parsed.error_type, ErrorType::Modify);
}

/// `<priority/>` is optional (absent reads as 0 and is not written), and its value is an
/// integer from -128 to +127: the bounds are read and written, one beyond either is refused with
/// bad-request, as is anything that is not an integer.
#[test]
fn ucr_pres_38_ucr_pres_39_priority_is_optional_and_within_minus_128_to_127() {
    let p = Presence::try_from(&el("<presence xmlns='jabber:client'/>")).unwrap();
    assert_eq!(p.priority, 0);
    assert_eq!(
        Element::from(p),
        el("<presence xmlns='jabber:client'/>"),
        "an absent priority stays absent"
    );
    for value in [-128i16, -1, 1, 127] {
        let xml =
            format!("<presence xmlns='jabber:client'><priority>{value}</priority></presence>");
        let p = Presence::try_from(&el(&xml)).unwrap();
        assert_eq!(i16::from(p.priority), value);
        assert_eq!(Element::from(p), el(&xml));
    }
    for bad in ["-129", "128", "300", "1.5", "", "high"] {
        let xml = format!("<presence xmlns='jabber:client'><priority>{bad}</priority></presence>");
        let err = Presence::try_from(&el(&xml)).unwrap_err();
        assert_eq!(err.condition(), Condition::BadRequest, "{bad}: {err}");
    }
}

/// Every presence type; unknown type, bad show and out-of-range priority are errors.
#[test]
fn presence_types_show_priority() {
    for (t, kind) in [
        ("unavailable", PresenceType::Unavailable),
        ("subscribe", PresenceType::Subscribe),
        ("subscribed", PresenceType::Subscribed),
        ("unsubscribe", PresenceType::Unsubscribe),
        ("unsubscribed", PresenceType::Unsubscribed),
        ("probe", PresenceType::Probe),
    ] {
        let xml = format!("<presence xmlns='jabber:client' type='{t}'/>");
        let p = Presence::try_from(&el(&xml)).unwrap();
        assert_eq!(p.kind, kind);
        assert_eq!(Element::from(p), el(&xml));
    }
    let s = round_trip(
        "<presence xmlns='jabber:client'><show>xa</show><status>gone</status>\
         <status xml:lang='de'>weg</status><priority>-128</priority><c xmlns='urn:x'/></presence>",
    );
    let Stanza::Presence(p) = s else { panic!() };
    assert_eq!(p.kind, PresenceType::Available);
    assert_eq!(p.show, Some(Show::Xa));
    assert_eq!(p.priority, -128);
    assert_eq!(p.statuses.get(Some("de")), Some("weg"));

    for bad in [
        "<presence xmlns='jabber:client' type='online'/>",
        "<presence xmlns='jabber:client'><show>busy</show></presence>",
        "<presence xmlns='jabber:client'><priority>128</priority></presence>",
        "<presence xmlns='jabber:client'><priority>x</priority></presence>",
        "<presence xmlns='jabber:client'><priority>1</priority><priority>2</priority></presence>",
        "<presence xmlns='jabber:client' type='error'/>",
    ] {
        let err = Presence::try_from(&el(bad)).unwrap_err();
        assert_eq!(err.condition(), Condition::BadRequest, "{bad}: {err}");
    }
}

/// Each bad IQ is refused with bad-request and this message.
fn iq_refused(cases: &[(&str, &str)]) {
    for (xml, msg) in cases {
        let err = Iq::try_from(&el(xml)).unwrap_err();
        assert_eq!(err.to_string(), *msg);
        assert_eq!(err.condition(), Condition::BadRequest);
    }
}

/// Each good IQ is read and written back as it was.
fn iq_accepted(cases: &[&str]) {
    for ok in cases {
        let s = round_trip(ok);
        assert_eq!(Element::from(s), el(ok));
    }
}

#[test]
fn ucr_stanza_24_ucr_stanza_25_every_iq_has_an_id_and_a_type() {
    iq_refused(&[
        (
            "<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
            "<iq/> lacks the required attribute 'id'",
        ),
        (
            "<iq xmlns='jabber:client' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
            "<iq/> lacks the required attribute 'type'",
        ),
    ]);
    // What we write has both.
    let written = Element::from(Iq::get(None, "p1", Ping));
    assert_eq!(written.attr("id"), Some("p1"));
    assert_eq!(written.attr("type"), Some("get"));
}

#[test]
fn ucr_stanza_26_unknown_iq_type_is_bad_request() {
    iq_refused(&[(
        "<iq xmlns='jabber:client' id='1' type='fetch'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq/> has an unknown type \"fetch\"",
    )]);
    // And the answer to it is a bad-request error with the same id.
    let bad = el(
        "<iq xmlns='jabber:client' id='q' type='fetch' from='a@b.c/r'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let err = Iq::try_from(&bad).unwrap_err();
    let reply = Iq::try_from(&error_reply_element(&bad, err.to_stanza_error()).unwrap()).unwrap();
    assert_eq!(reply.id, "q");
    let IqPayload::Error { error, .. } = &reply.payload_kind else {
        panic!("{reply:?}")
    };
    assert_eq!(error.condition, Condition::BadRequest);
    iq_accepted(&[
        "<iq xmlns='jabber:client' id='1' type='get'><a xmlns='urn:a'/></iq>",
        "<iq xmlns='jabber:client' id='1' type='set'><a xmlns='urn:a'/></iq>",
        "<iq xmlns='jabber:client' id='1' type='result'/>",
    ]);
}

#[test]
fn ucr_stanza_29_get_and_set_carry_exactly_one_child() {
    iq_refused(&[
        (
            "<iq xmlns='jabber:client' id='1' type='get'/>",
            "<iq type='get'/> must carry exactly one, found 0 child elements",
        ),
        (
            "<iq xmlns='jabber:client' id='1' type='get'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>",
            "<iq type='get'/> must carry exactly one, found 2 child elements",
        ),
        (
            "<iq xmlns='jabber:client' id='1' type='set'/>",
            "<iq type='set'/> must carry exactly one, found 0 child elements",
        ),
        (
            "<iq xmlns='jabber:client' id='1' type='set'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>",
            "<iq type='set'/> must carry exactly one, found 2 child elements",
        ),
    ]);
    iq_accepted(&[
        "<iq xmlns='jabber:client' id='1' type='get'><a xmlns='urn:a'/></iq>",
        "<iq xmlns='jabber:client' id='1' type='set'><a xmlns='urn:a'/></iq>",
    ]);
}

#[test]
fn ucr_stanza_30_a_result_carries_at_most_one_child() {
    iq_refused(&[(
        "<iq xmlns='jabber:client' id='1' type='result'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>",
        "<iq type='result'/> must carry at most one, found 2 child elements",
    )]);
    iq_accepted(&[
        "<iq xmlns='jabber:client' id='1' type='result'/>",
        "<iq xmlns='jabber:client' id='1' type='result'><a xmlns='urn:a'/></iq>",
    ]);
}

#[test]
fn ucr_stanza_31_an_error_iq_carries_error() {
    iq_refused(&[(
        "<iq xmlns='jabber:client' id='1' type='error'/>",
        "<iq/> lacks the required child <error/>",
    )]);
    iq_accepted(&[
        "<iq xmlns='jabber:client' id='1' type='error'><error type='cancel'>\
         <feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        "<iq xmlns='jabber:client' id='1' type='error'><a xmlns='urn:a'/><error type='cancel'>\
         <feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    ]);
    // The error we write for a request carries it.
    let get =
        Iq::get(Some("b.c".parse().unwrap()), "g", Ping).with_from("a@b.c/r".parse().unwrap());
    let written = Element::from(get.unhandled_reply().unwrap());
    assert!(
        written.child("error", "jabber:client").is_some(),
        "{written:?}"
    );
}

/// Replies keep the id, swap addresses, and a result or error is never answered.
#[test]
fn ucr_stanza_16_ucr_stanza_27_ucr_stanza_28_replies_keep_the_id_and_answers_are_not_answered() {
    let iq = Iq::try_from(&el(
        "<iq xmlns='jabber:client' id='q1' type='get' from='a@b.c/r' to='b.c'>\
         <query xmlns='jabber:iq:version'/></iq>",
    ))
    .unwrap();
    let err = iq.unhandled_reply().unwrap();
    assert_eq!(err.id, "q1");
    assert_eq!(err.to.as_ref().unwrap().as_str(), "a@b.c/r");
    assert_eq!(err.from.as_ref().unwrap().as_str(), "b.c");
    let IqPayload::Error { error, original } = &err.payload_kind else {
        panic!()
    };
    assert_eq!(error.condition, Condition::ServiceUnavailable);
    assert_eq!(original.as_ref().unwrap().ns(), "jabber:iq:version");
    assert_eq!(
        err.error_reply(StanzaError::new(Condition::BadRequest)),
        Err(ReplyError::ToError)
    );
    let res = iq.result_reply(None).unwrap();
    assert_eq!(res.result_reply(None), Err(ReplyError::ToResult));
    let res_el = Element::from(res);
    assert_eq!(
        error_reply_element(&res_el, StanzaError::new(Condition::BadRequest)),
        Err(ReplyError::ToResult)
    );
    let err_el = Element::from(err.clone());
    assert_eq!(
        error_reply_element(&err_el, StanzaError::new(Condition::BadRequest)),
        Err(ReplyError::ToError)
    );

    let m = Message::try_from(&el(
        "<message xmlns='jabber:client' id='m' from='a@b.c/r' to='d@e.f'><body>x</body></message>",
    ))
    .unwrap();
    let r = m
        .error_reply(StanzaError::new(Condition::RecipientUnavailable))
        .unwrap();
    assert_eq!((r.kind, r.id.as_deref()), (MessageType::Error, Some("m")));
    assert_eq!(r.body(), Some("x"));
    let r_el = Element::from(r.clone());
    assert_eq!(Message::try_from(&r_el).unwrap(), r);
    assert_eq!(
        r.error_reply(StanzaError::new(Condition::BadRequest)),
        Err(ReplyError::ToError)
    );

    let p = Presence::new(PresenceType::Subscribe).with_from("a@b.c".parse().unwrap());
    let pe = p
        .error_reply(StanzaError::new(Condition::NotAuthorized))
        .unwrap();
    assert_eq!(pe.kind, PresenceType::Error);
    assert_eq!(pe.to.as_ref().unwrap().as_str(), "a@b.c");
    assert_eq!(Presence::try_from(&Element::from(pe.clone())).unwrap(), pe);
    // An IQ result or error gets no result or error back.
    let result =
        Iq::result(Some("a@b.c/r".parse().unwrap()), "q1", None).with_from("b.c".parse().unwrap());
    assert_eq!(result.unhandled_reply(), Err(ReplyError::ToResult));
    assert_eq!(
        result.error_reply(StanzaError::new(Condition::BadRequest)),
        Err(ReplyError::ToResult)
    );
    assert_eq!(err.unhandled_reply(), Err(ReplyError::ToError));
}

/// UCR-STANZA-32: every condition, its default type, by, texts, app-specific child.
#[test]
fn ucr_stanza_32_every_condition_round_trips() {
    let expected = [
        ("bad-request", "modify"),
        ("conflict", "cancel"),
        ("feature-not-implemented", "cancel"),
        ("forbidden", "auth"),
        ("gone", "cancel"),
        ("internal-server-error", "cancel"),
        ("item-not-found", "cancel"),
        ("jid-malformed", "modify"),
        ("not-acceptable", "modify"),
        ("not-allowed", "cancel"),
        ("not-authorized", "auth"),
        ("policy-violation", "modify"),
        ("recipient-unavailable", "wait"),
        ("redirect", "modify"),
        ("registration-required", "auth"),
        ("remote-server-not-found", "cancel"),
        ("remote-server-timeout", "wait"),
        ("resource-constraint", "wait"),
        ("service-unavailable", "cancel"),
        ("subscription-required", "auth"),
        ("undefined-condition", "modify"),
        ("unexpected-request", "wait"),
    ];
    assert_eq!(Condition::ALL.len(), expected.len());
    for (c, (name, ty)) in Condition::ALL.iter().zip(expected) {
        assert_eq!(c.as_str(), name);
        assert_eq!(c.default_type().as_str(), ty);
        assert_eq!(name.parse::<Condition>().unwrap(), *c);
        let err = StanzaError::new(*c)
            .with_by("example.com".parse().unwrap())
            .with_text(Some("en"), "why")
            .with_text(Some("de"), "warum")
            .with_app_condition(Element::new("too-many", "urn:example:app"));
        let e = Element::from(err.clone());
        assert_eq!(StanzaError::try_from(&e).unwrap(), err);
    }
    let gone = StanzaError::new(Condition::Gone).with_condition_text("xmpp:new@example.com");
    let e = Element::from(gone.clone());
    assert_eq!(
        e.child("gone", ns::STANZAS).unwrap().text(),
        "xmpp:new@example.com"
    );
    assert_eq!(StanzaError::try_from(&e).unwrap(), gone);
}

#[test]
fn malformed_errors_are_refused() {
    for (xml, what) in [
        (
            "<error xmlns='jabber:client'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
            "missing type",
        ),
        (
            "<error xmlns='jabber:client' type='fatal'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
            "bad type",
        ),
        (
            "<error xmlns='jabber:client' type='cancel'/>",
            "no condition",
        ),
        (
            "<error xmlns='jabber:client' type='cancel'><oops xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
            "unknown condition",
        ),
        (
            "<error xmlns='jabber:client' type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
            "two conditions",
        ),
    ] {
        assert!(StanzaError::try_from(&el(xml)).is_err(), "{what}");
    }
}

/// Ids for every request, unique per stream and unpredictable.
#[test]
fn ucr_stanza_14_id_generator_unique_and_random() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let mut ids = IdGenerator::new();
    let all: std::collections::HashSet<String> = (0..1000).map(|_| ids.next_id(&mut rng)).collect();
    assert_eq!(all.len(), 1000);
    // Two generators fed different randomness give different ids at the same position.
    let mut rng2 = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let a = IdGenerator::new().next_id(&mut rand_chacha::ChaCha20Rng::seed_from_u64(1));
    let b = IdGenerator::new().next_id(&mut rng2);
    assert_ne!(a, b);
    assert!(a.len() >= 13);
}

#[test]
fn error_reply_element_for_unparseable_stanza_keeps_payload() {
    let bad = el(
        "<presence xmlns='jabber:server' from='a@b.c' to='d@e.f' id='p' type='weird'><x xmlns='urn:x'/></presence>",
    );
    let err = Presence::try_from(&bad).unwrap_err();
    let reply = error_reply_element(&bad, err.to_stanza_error()).unwrap();
    let p = Presence::try_from(&reply).unwrap();
    assert_eq!(p.kind, PresenceType::Error);
    assert_eq!(p.to.unwrap().as_str(), "a@b.c");
    assert_eq!(p.from.unwrap().as_str(), "d@e.f");
    assert_eq!(p.payloads, vec![el("<x xmlns='urn:x'/>")]);
    let e = p.error.unwrap();
    assert_eq!(e.condition, Condition::BadRequest);
    assert_eq!(
        e.texts.get(Some("en")),
        Some("<presence/> has an unknown type \"weird\"")
    );
    assert_eq!(
        error_reply_element(
            &el("<foo xmlns='jabber:client'/>"),
            StanzaError::new(Condition::BadRequest)
        ),
        Err(ReplyError::NotAStanza)
    );
}

#[test]
fn iq_typed_payload_access() {
    let iq = Iq::get(Some("example.com".parse().unwrap()), "p1", Ping);
    let e = Element::from(iq.clone());
    assert_eq!(
        e.to_xml().unwrap(),
        "<iq xmlns='jabber:client' to='example.com' id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"
    );
    let back = Iq::try_from(&e).unwrap();
    assert_eq!(back, iq);
    assert_eq!(back.payload::<Ping>(), Some(Ok(Ping)));
}

/// Many texts are checked for duplicate languages by sorting, not pairwise; the duplicate is
/// still found wherever it is.
#[test]
fn many_bodies_duplicate_found() {
    let mut xml = String::from("<message xmlns='jabber:client'>");
    for i in 0..3000 {
        xml.push_str(&format!("<body xml:lang='x-{i}'>b</body>"));
    }
    let ok = format!("{xml}</message>");
    assert_eq!(Message::try_from(&el(&ok)).unwrap().bodies.len(), 3000);
    let dup = format!("{xml}<body xml:lang='x-1500'>again</body></message>");
    assert_eq!(
        Message::try_from(&el(&dup)).unwrap_err(),
        ParseError::DuplicateChild {
            element: "message",
            child: "body",
            lang: Some("x-1500".into())
        }
    );
}

/// The server overwrites `from`, and `xml:lang` is kept when routing.
#[test]
fn ucr_stanza_7_ucr_stanza_22_server_stamps_from_and_keeps_lang() {
    let mut s = Stanza::try_from(&el(
        "<message xmlns='jabber:client' from='mallory@evil.com' to='b@c.d' id='x' xml:lang='fr'><body>salut</body></message>",
    ))
    .unwrap();
    s.set_from(Some("alice@example.com/home".parse().unwrap()));
    s.set_ns(xmpp_stanza::StanzaNs::Server);
    assert_eq!(s.id(), Some("x"));
    let e = Element::from(s.clone());
    assert_eq!(
        e.to_xml().unwrap(),
        "<message xmlns='jabber:server' to='b@c.d' from='alice@example.com/home' id='x' xml:lang='fr'><body>salut</body></message>"
    );
    assert_eq!(Stanza::try_from(&e).unwrap().lang(), Some("fr"));
    s.set_to(None);
    assert!(s.to().is_none());
}

/// A response matches its request by id and by who answers.
#[test]
fn ucr_stanza_16_ucr_stanza_27_pending_requests_match_responses() {
    use xmpp_stanza::{PendingError, PendingIqs};
    let mut p = PendingIqs::with_limit(2);
    let a = Iq::get(Some("b.c".parse().unwrap()), "a", Ping);
    let own = Iq::get(None, "own", Ping);
    p.register(&a).unwrap();
    assert_eq!(p.register(&a), Err(PendingError::DuplicateId("a".into())));
    p.register(&own).unwrap();
    assert_eq!(
        p.register(&Iq::get(None, "c", Ping)),
        Err(PendingError::Full(2))
    );
    assert_eq!(
        p.register(&Iq::result(None, "r", None)),
        Err(PendingError::NotARequest)
    );
    // Wrong sender, wrong id, a request: not the answer.
    assert!(p.take_response(&Iq::result(None, "a", None)).is_none());
    assert!(
        p.take_response(&Iq::result(None, "zz", None).with_from("b.c".parse().unwrap()))
            .is_none()
    );
    assert!(
        p.take_response(&Iq::get(None, "a", Ping).with_from("b.c".parse().unwrap()))
            .is_none()
    );
    let err = a
        .error_reply(StanzaError::new(Condition::ServiceUnavailable))
        .unwrap();
    assert_eq!(p.take_response(&err).unwrap(), a);
    // Addressed to the own account: the server (no resource) may answer, a full JID may not.
    assert!(
        p.take_response(&Iq::result(None, "own", None).with_from("x@b.c/r".parse().unwrap()))
            .is_none()
    );
    assert!(
        p.take_response(&Iq::result(None, "own", None).with_from("x@b.c".parse().unwrap()))
            .is_some()
    );
    assert!(p.is_empty());
    p.register(&a).unwrap();
    assert_eq!(p.addressee("a").unwrap().as_str(), "b.c");
    assert!(p.cancel("a").is_some() && !p.contains("a"));
}
