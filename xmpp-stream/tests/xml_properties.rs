//! Property tests: `parse(write(e)) == e` for every element the API can build, and the
//! reader gives the same events (or the same error) however its input is split.

use proptest::prelude::*;
use xmpp_stream::xml::{Element, Reader, StreamHeader, Writer, XmlError, XmlEvent, ns};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("message".to_owned()),
        Just("body".to_owned()),
        Just("x".to_owned()),
        Just("item".to_owned()),
        Just("ünï-cødé.ñ_1".to_owned()),
        "[a-zA-Z_][a-zA-Z0-9._-]{0,8}",
    ]
}

fn namespace() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(ns::CLIENT),
        Just(ns::STREAM),
        Just("urn:xmpp:delay"),
        Just("jabber:iq:roster"),
        Just("urn:a&b<c>'\""),
        Just(""),
    ]
}

/// Any string of XML characters, with the ones that need escaping or normalisation often.
fn text() -> impl Strategy<Value = String> {
    let special = prop_oneof![
        Just('<'),
        Just('>'),
        Just('&'),
        Just('"'),
        Just('\''),
        Just('\r'),
        Just('\n'),
        Just('\t'),
        Just(']'),
        Just(' '),
        Just('\u{feff}'),
        Just('\u{10ffff}'),
    ];
    let any_xml = any::<char>().prop_filter("an XML 1.0 character", |c| {
        matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    });
    prop::collection::vec(
        prop_oneof![
            special,
            any_xml,
            "[a-z]".prop_map(|s| s.chars().next().unwrap_or('a'))
        ],
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn attribute() -> impl Strategy<Value = (String, &'static str, String)> {
    (
        name(),
        prop_oneof![4 => Just(""), 1 => Just(ns::XML), 1 => Just("urn:attr"), 1 => Just("urn:b")],
        text(),
    )
}

fn leaf() -> impl Strategy<Value = Element> {
    (
        name(),
        namespace(),
        prop::option::of(prop_oneof![Just("db"), Just("p"), Just("stream")]),
        prop::collection::vec(attribute(), 0..4),
        text(),
    )
        .prop_map(|(name, ns, prefix, attrs, text)| {
            let mut b = Element::builder(name, ns);
            if let Some(p) = prefix {
                b = b.prefix(p);
            }
            for (n, a_ns, v) in attrs {
                b = b.attr_ns(n, a_ns, v);
            }
            b.text(text).build()
        })
}

fn element() -> impl Strategy<Value = Element> {
    leaf().prop_recursive(4, 32, 5, |inner| {
        (
            leaf(),
            prop::collection::vec(
                prop_oneof![inner.prop_map(Some), text().prop_map(|_| None)],
                0..5,
            ),
            prop::collection::vec(text(), 0..5),
        )
            .prop_map(|(mut e, children, texts)| {
                let mut texts = texts.into_iter();
                for child in children {
                    match child {
                        Some(c) => e.push_child(c),
                        None => e.push_text(texts.next().unwrap_or_default()),
                    }
                }
                e
            })
    })
}

/// Reads `input` fed in the pieces that `cuts` make.
fn read_cut(input: &[u8], cuts: &[usize]) -> (Vec<XmlEvent>, Option<XmlError>) {
    let mut reader = Reader::new();
    let mut events = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.push(0);
    points.push(input.len());
    points.sort_unstable();
    for w in points.windows(2) {
        reader.feed(&input[w[0]..w[1]]);
        loop {
            match reader.next_event() {
                Ok(Some(XmlEvent::Whitespace(n))) => match events.last_mut() {
                    // Whitespace may come in pieces; merge them.
                    Some(XmlEvent::Whitespace(m)) => *m += n,
                    _ => events.push(XmlEvent::Whitespace(n)),
                },
                Ok(Some(e)) => events.push(e),
                Ok(None) => break,
                Err(e) => return (events, Some(e)),
            }
        }
    }
    (events, None)
}

/// A stream holding `elements`, separated by whitespace.
fn stream_bytes(elements: &[Element]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = Writer::new();
    let header = StreamHeader::new(ns::CLIENT)
        .with_to("example.com")
        .with_version("1.0")
        .with_lang("en")
        .with_namespace("db", ns::DIALBACK);
    writer.write_stream_header(&header, &mut out).unwrap();
    for (i, e) in elements.iter().enumerate() {
        writer.write_element(e, &mut out).unwrap();
        out.extend_from_slice(&b" \n\t"[..i % 4]);
    }
    writer.write_stream_close(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn write_then_parse_gives_the_same_element(e in element()) {
        let xml = e.to_xml().unwrap();
        let parsed = Element::parse(xml.as_bytes()).unwrap();
        prop_assert_eq!(&parsed, &e);
        // Writing what was parsed gives the same bytes (prefix hints are kept).
        prop_assert_eq!(parsed.to_xml().unwrap(), xml);
    }

    #[test]
    fn first_level_elements_round_trip_through_a_stream(elements in prop::collection::vec(element(), 0..4)) {
        let bytes = stream_bytes(&elements);
        let (events, err) = read_cut(&bytes, &[]);
        prop_assert_eq!(err, None);
        let read: Vec<Element> = events.into_iter().filter_map(|e| match e {
            XmlEvent::Element(e) => Some(e),
            _ => None,
        }).collect();
        prop_assert_eq!(read.len(), elements.len());
        for (mut got, sent) in read.into_iter().zip(&elements) {
            // The reader gives stanzas the stream's language when they have none.
            if sent.lang().is_none() && got.ns() == ns::CLIENT {
                let stamped = got.remove_attr_ns("lang", ns::XML);
                prop_assert_eq!(stamped.as_deref(), Some("en"));
            }
            prop_assert_eq!(&got, sent);
        }
    }

    #[test]
    fn any_split_gives_the_same_events(
        elements in prop::collection::vec(element(), 0..4),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let bytes = stream_bytes(&elements);
        let whole = read_cut(&bytes, &[]);
        prop_assert_eq!(&whole.1, &None);
        prop_assert_eq!(read_cut(&bytes, &cuts), whole);
    }

    #[test]
    fn any_split_gives_the_same_error(
        elements in prop::collection::vec(element(), 1..3),
        damage in prop_oneof![
            Just(&b"<!-- c -->"[..]), Just(&b"&nbsp;"[..]), Just(&b"<?pi?>"[..]),
            Just(&b"\xff\xfe"[..]), Just(&b"<"[..]), Just(&b">"[..]), Just(&b"'"[..]),
            Just(&b"</x>"[..]), Just(&b"<![CDATA[ ]]>"[..]), Just(&b"&"[..]), Just(&b"\0"[..]),
            Just(&b"<a:b/>"[..]), Just(&b"]]>"[..]),
        ],
        at in any::<usize>(),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let mut bytes = stream_bytes(&elements);
        let at = at % (bytes.len() + 1);
        bytes.splice(at..at, damage.iter().copied());
        let whole = read_cut(&bytes, &[]);
        prop_assert_eq!(read_cut(&bytes, &cuts), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_split_does_not_matter(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut input = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>".to_vec();
        input.extend_from_slice(&bytes);
        let whole = read_cut(&input, &[]);
        prop_assert_eq!(read_cut(&input, &cuts), whole);
    }
}
