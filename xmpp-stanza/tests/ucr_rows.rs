//! Focused tests of UCR rows about presence children that the stanza model implements, one
//! row's text per test: `<show/>` and `<status/>`.

use xmpp_stanza::{Presence, PresenceType, Show};
use xmpp_stream::xml::Element;

fn parse(xml: &str) -> Result<Presence, xmpp_stanza::ParseError> {
    let e: Element = xml.parse().unwrap();
    Presence::try_from(&e)
}

fn written(p: Presence) -> String {
    Element::from(p).to_xml().unwrap()
}

#[test]
fn ucr_pres_34_show_is_supported_and_optional() {
    let with = parse("<presence xmlns='jabber:client'><show>away</show></presence>").unwrap();
    assert_eq!(with.show, Some(Show::Away));
    let without = parse("<presence xmlns='jabber:client'/>").unwrap();
    assert_eq!(
        (without.kind, without.show),
        (PresenceType::Available, None)
    );
    // Written back as it came.
    assert_eq!(
        written(with),
        "<presence xmlns='jabber:client'><show>away</show></presence>"
    );
    assert_eq!(written(without), "<presence xmlns='jabber:client'/>");
}

#[test]
fn ucr_pres_35_at_most_one_show() {
    let err = parse("<presence xmlns='jabber:client'><show>away</show><show>dnd</show></presence>")
        .unwrap_err();
    assert!(err.to_string().contains("show"), "{err}");
    // A Presence holds one show at most by construction: a single field.
    let mut p = Presence::available();
    p.show = Some(Show::Xa);
    assert_eq!(written(p).matches("<show>").count(), 1);
}

#[test]
fn ucr_pres_36_show_values_are_away_chat_dnd_xa() {
    for (text, show) in [
        ("away", Show::Away),
        ("chat", Show::Chat),
        ("dnd", Show::Dnd),
        ("xa", Show::Xa),
    ] {
        let p = parse(&format!(
            "<presence xmlns='jabber:client'><show>{text}</show></presence>"
        ))
        .unwrap();
        assert_eq!(p.show, Some(show));
        assert_eq!(show.as_str(), text);
    }
    for bad in ["online", "available", "Away", ""] {
        assert!(
            parse(&format!(
                "<presence xmlns='jabber:client'><show>{bad}</show></presence>"
            ))
            .is_err(),
            "{bad:?}"
        );
    }
    // No show: plain available.
    assert_eq!(
        parse("<presence xmlns='jabber:client'/>").unwrap().show,
        None
    );
}

#[test]
fn ucr_pres_37_status_is_free_text_with_only_xml_lang() {
    let p = parse(
        "<presence xmlns='jabber:client'><show>dnd</show>\
         <status>In a meeting</status><status xml:lang='fr' hint='x'>En réunion</status></presence>",
    )
    .unwrap();
    assert_eq!(p.status(), Some("In a meeting"));
    assert_eq!(p.statuses.get(Some("fr")), Some("En réunion"));
    // Written back with `xml:lang` and no other attribute.
    let out = written(p);
    assert!(out.contains("<status>In a meeting</status>"), "{out}");
    assert!(
        out.contains("<status xml:lang='fr'>En réunion</status>"),
        "{out}"
    );
    assert!(!out.contains("hint"), "{out}");
    // Allowed in unavailable presence, and optional.
    let gone = parse(
        "<presence xmlns='jabber:client' type='unavailable'><status>Gone home</status></presence>",
    )
    .unwrap();
    assert_eq!(
        (gone.kind, gone.status()),
        (PresenceType::Unavailable, Some("Gone home"))
    );
    assert_eq!(Presence::available().status(), None);
    // Free text is text: no child elements.
    assert!(
        parse("<presence xmlns='jabber:client'><status><b>bold</b></status></presence>").is_err()
    );
}
