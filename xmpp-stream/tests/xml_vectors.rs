//! Golden vectors from draft-saintandre-rfc3920bis-04 (`tests/data/vectors/`) for the XML
//! layer: 07 (restricted-xml), 08 (bad-namespace-prefix) and 06 (invalid-namespace).
//!
//! The vectors are embedded byte-exact below (and compared with the copies in
//! `tests/data/vectors/`, which the crate's package may leave out). The harness splits them into turns at `C: ` / `S: ` line starts and strips the
//! prefix. Normalisation done in code, not by editing the vectors:
//! - 07 starts mid-stream: each side's turn is read after that side's stream header, which
//!   the harness supplies ([`CLIENT_HEADER`], [`SERVER_HEADER`]).
//! - 08's client header keeps the element name `stream:stream` but only declares
//!   `xmlns:foobar` (core-spec §2.19): `stream` is an unbound prefix. We answer
//!   `bad-namespace-prefix`, the condition the example illustrates, not `not-well-formed`.
//!   The "fixed" reading, `<foobar:stream xmlns:foobar=...>`, is refused with the same
//!   condition because we accept only the `stream` prefix (RFC 6120 §4.8.5 allows that).
//! - Element names wrapped over lines (`<restricted-xml\nxmlns=...`) are legal XML and read
//!   as printed; the newlines between elements are whitespace between or inside elements.

use xmpp_stream::xml::{
    Element, Reader, StreamHeader, Writer, XmlCondition, XmlError, XmlEvent, ns,
};

const V06: &str = "C: <?xml version='1.0'?>\n<stream:stream\nfrom='juliet@example.com'\nversion='1.0'\nxml:lang='en'\nxmlns='jabber:client'\nxmlns:stream='http://wrong.namespace.example.org/'>\nS: <?xml version='1.0'?>\n<stream:stream\nfrom='example.com'\nid='++TR84Sm6A3hnt3Q065SnAbbk3Y='\nto='juliet@example.com'\nversion='1.0'\nxml:lang='en'\nxmlns='jabber:client'\nxmlns:stream='http://etherx.jabber.org/streams'>\n<stream:error>\n<invalid-namespace\nxmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\n</stream:error>\n</stream:stream>\n";

const V07: &str = "C: <message to='juliet@example.com'>\n<!--<subject/>-->\n<body>This message has no subject.</body>\n</message>\nS: <stream:error>\n<restricted-xml\nxmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\n</stream:error>\n</stream:stream>\n";

const V08: &str = "C: <?xml version='1.0'?>\n<stream:stream\nfrom='juliet@example.com'\nto='example.com'\nversion='1.0'\nxmlns='jabber:client'\nxmlns:foobar='http://etherx.jabber.org/streams'>\nS: <?xml version='1.0'?>\n<stream:stream\nfrom='example.com'\nid='++TR84Sm6A3hnt3Q065SnAbbk3Y='\nto='juliet@example.com'\nversion='1.0'\nxml:lang='en'\nxmlns='jabber:client'\nxmlns:stream='http://etherx.jabber.org/streams'>\n<stream:error>\n<bad-namespace-prefix\nxmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\n</stream:error>\n</stream:stream>\n";

/// The header a client would have sent before the mid-stream vector 07.
const CLIENT_HEADER: &str = "<?xml version='1.0'?><stream:stream from='juliet@example.com' \
    to='example.com' version='1.0' xml:lang='en' xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams'>";
/// The server's header for the same stream.
const SERVER_HEADER: &str = "<?xml version='1.0'?><stream:stream from='example.com' \
    id='++TR84Sm6A3hnt3Q065SnAbbk3Y=' to='juliet@example.com' version='1.0' xml:lang='en' \
    xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

/// The embedded copy must be the vector file, byte for byte, when the file is there.
fn check_embedded(name: &str, embedded: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vectors")
        .join(name);
    if let Ok(bytes) = std::fs::read(&path) {
        assert_eq!(bytes, embedded.as_bytes(), "{} changed", path.display());
    }
}

/// Splits a vector into `(speaker, bytes)` turns.
fn turns(vector: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for line in vector.split_inclusive('\n') {
        match ["C: ", "S: "].iter().find(|p| line.starts_with(**p)) {
            Some(p) => out.push((&p[..1], line[p.len()..].to_owned())),
            None => out
                .last_mut()
                .expect("a vector starts with a turn")
                .1
                .push_str(line),
        }
    }
    out
}

/// Reads `input` in every split size from 1 to 9 and whole; all must agree.
fn read_all(input: &str) -> (Vec<XmlEvent>, Option<XmlError>) {
    let whole = read_split(input.as_bytes(), input.len());
    for chunk in 1..10 {
        let split = read_split(input.as_bytes(), chunk);
        assert_eq!(
            without_whitespace(&split.0),
            without_whitespace(&whole.0),
            "chunks of {chunk}"
        );
        assert_eq!(split.1, whole.1, "chunks of {chunk}");
    }
    whole
}

fn read_split(input: &[u8], chunk: usize) -> (Vec<XmlEvent>, Option<XmlError>) {
    let mut reader = Reader::new();
    let mut events = Vec::new();
    for piece in input.chunks(chunk) {
        reader.feed(piece);
        loop {
            match reader.next_event() {
                Ok(Some(e)) => events.push(e),
                Ok(None) => break,
                Err(e) => return (events, Some(e)),
            }
        }
    }
    (events, None)
}

fn without_whitespace(events: &[XmlEvent]) -> Vec<&XmlEvent> {
    events
        .iter()
        .filter(|e| !matches!(e, XmlEvent::Whitespace(_)))
        .collect()
}

/// What our server writes for a stream error with `condition`, after `header`.
fn our_stream_error(header: &str, condition: &str) -> String {
    let mut out = header.as_bytes().to_vec();
    let writer = Writer::for_stream(&StreamHeader::new(ns::CLIENT));
    let error = Element::builder("error", ns::STREAM)
        .child(Element::new(condition.to_owned(), ns::STREAM_ERRORS))
        .build();
    writer.write_element(&error, &mut out).unwrap();
    Writer::for_stream(&StreamHeader::new(ns::CLIENT)).write_stream_close(&mut out);
    String::from_utf8(out).unwrap()
}

/// The server turn of a vector reads as: header, `<stream:error>` with `condition`, close;
/// and means the same as what our writer produces.
fn check_server_turn(events: &[XmlEvent], condition: &str) {
    let events = without_whitespace(events);
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(events[0], XmlEvent::StreamHeader(_)));
    let XmlEvent::Element(error) = events[1] else {
        panic!("{events:?}")
    };
    assert!(error.is("error", ns::STREAM));
    assert_eq!(error.prefix(), Some("stream"));
    let conditions: Vec<_> = error.children_ns(ns::STREAM_ERRORS).collect();
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0].name(), condition);
    assert_eq!(events[2], &XmlEvent::StreamClose);

    let ours = read_all(&our_stream_error(SERVER_HEADER, condition));
    assert_eq!(ours.1, None);
    let XmlEvent::Element(our_error) = without_whitespace(&ours.0)[1] else {
        panic!()
    };
    // Same element, apart from the pretty-printing newlines the draft puts between elements.
    let mut theirs = error.clone();
    let kept: Vec<_> = theirs
        .take_nodes()
        .into_iter()
        .filter(|n| n.as_element().is_some())
        .collect();
    for node in kept {
        theirs.push_node(node);
    }
    assert_eq!(&theirs, our_error);
}

#[test]
fn ucr_xml_2_vector_07_comment_in_a_stanza_is_restricted_xml() {
    check_embedded("07-stream-error-restricted-xml.xml", V07);
    let turns = turns(V07);
    assert_eq!(turns.len(), 2);
    let (who, client) = &turns[0];
    assert_eq!(*who, "C");
    let (events, err) = read_all(&format!("{CLIENT_HEADER}{client}"));
    assert_eq!(without_whitespace(&events).len(), 1); // the header only
    let err = err.expect("the comment must be refused");
    assert_eq!(err.condition(), XmlCondition::RestrictedXml);
    assert_eq!(err.condition().as_str(), "restricted-xml");
    // Reported at the comment, before the stanza is complete.
    let comment_at = (CLIENT_HEADER.len() + client.find("<!--").unwrap()) as u64;
    assert!(matches!(err, XmlError::Restricted { offset, .. } if offset == comment_at));
    let mut partial = Reader::new();
    partial.feed(format!("{CLIENT_HEADER}{}", &client[..client.find("-->").unwrap()]).as_bytes());
    partial.next_event().unwrap();
    assert_eq!(
        partial.next_event().unwrap_err().condition(),
        XmlCondition::RestrictedXml
    );

    let (who, server) = &turns[1];
    assert_eq!(*who, "S");
    let (events, err) = read_all(&format!("{SERVER_HEADER}{server}"));
    assert_eq!(err, None);
    check_server_turn(&events, "restricted-xml");
}

#[test]
fn ucr_xml_3_vector_08_unbound_stream_prefix_is_bad_namespace_prefix() {
    check_embedded("08-stream-error-bad-namespace-prefix.xml", V08);
    let turns = turns(V08);
    assert_eq!(turns.len(), 2);
    let (events, err) = read_all(&turns[0].1);
    assert!(without_whitespace(&events).is_empty());
    let err = err.expect("the header must be refused");
    assert!(matches!(&err, XmlError::UndeclaredPrefix { prefix, .. } if prefix == "stream"));
    assert_eq!(err.condition().as_str(), "bad-namespace-prefix");

    // The draft's intent, as a fixed header: a prefix other than `stream` for the streams
    // namespace. Refused with the same condition.
    let fixed = turns[0].1.replace("<stream:stream", "<foobar:stream");
    let (_, err) = read_all(&fixed);
    let err = err.unwrap();
    assert!(matches!(&err, XmlError::StreamPrefix { found, .. } if found == "foobar"));
    assert_eq!(err.condition(), XmlCondition::BadNamespacePrefix);

    let (events, err) = read_all(&turns[1].1);
    assert_eq!(err, None);
    check_server_turn(&events, "bad-namespace-prefix");
    let XmlEvent::StreamHeader(h) = without_whitespace(&events)[0] else {
        panic!("{events:?}")
    };
    assert_eq!(h.id(), Some("++TR84Sm6A3hnt3Q065SnAbbk3Y="));
    assert_eq!(h.lang(), Some("en"));
}

#[test]
fn vector_06_wrong_stream_namespace_is_invalid_namespace() {
    check_embedded("06-stream-error-setup-host-unspecified.xml", V06);
    let turns = turns(V06);
    let (_, err) = read_all(&turns[0].1);
    let err = err.unwrap();
    assert_eq!(
        err,
        XmlError::InvalidStreamNamespace {
            found: "http://wrong.namespace.example.org/".into()
        }
    );
    assert_eq!(err.condition().as_str(), "invalid-namespace");
    let (events, err) = read_all(&turns[1].1);
    assert_eq!(err, None);
    check_server_turn(&events, "invalid-namespace");
}
