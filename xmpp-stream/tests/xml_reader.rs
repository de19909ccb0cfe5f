//! The stream reader's rules: framing, restricted XML (RFC 6120 §11), namespaces, encodings,
//! limits, byte accounting for STARTTLS, restarts, and `xml:lang` inheritance.

use xmpp_stream::xml::{
    Element, Limit, Reader, ReaderLimits, Restricted, XmlCondition, XmlError, XmlEvent, ns,
};

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
     xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>";

/// Feeds `input` in chunks of `chunk` bytes, collecting events until the first error.
fn read_with(mut reader: Reader, input: &[u8], chunk: usize) -> (Vec<XmlEvent>, Option<XmlError>) {
    let mut events = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
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

fn read(input: &[u8]) -> (Vec<XmlEvent>, Option<XmlError>) {
    read_with(Reader::new(), input, input.len())
}

/// The error that reading `input` (after a client stream header) ends with.
fn error_in_stream(body: &str) -> XmlError {
    let input = format!("{HEADER}{body}");
    for chunk in [input.len(), 1, 7] {
        let (_, err) = read_with(Reader::new(), input.as_bytes(), chunk);
        let err = err.unwrap_or_else(|| panic!("no error for {body:?} in chunks of {chunk}"));
        if chunk == input.len() {
            // Same outcome whatever the split.
            let (_, again) = read_with(Reader::new(), input.as_bytes(), 1);
            assert_eq!(
                again.as_ref().map(XmlError::condition),
                Some(err.condition())
            );
            return err;
        }
    }
    unreachable!()
}

fn condition_in_stream(body: &str) -> XmlCondition {
    error_in_stream(body).condition()
}

fn elements(events: &[XmlEvent]) -> Vec<&Element> {
    events
        .iter()
        .filter_map(|e| match e {
            XmlEvent::Element(el) => Some(el),
            _ => None,
        })
        .collect()
}

#[test]
fn ucr_stream_3_header_elements_and_close_are_reported() {
    let input =
        format!("{HEADER}<message to='a@b'><body>hi</body></message><presence/></stream:stream>");
    let (events, err) = read(input.as_bytes());
    assert_eq!(err, None);
    let XmlEvent::StreamHeader(h) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(h.content_ns(), Some(ns::CLIENT));
    assert_eq!(h.to(), Some("example.com"));
    assert_eq!(h.version(), Some("1.0"));
    assert_eq!(h.lang(), Some("en"));
    assert_eq!(h.stream_prefix(), "stream");
    let els = elements(&events);
    assert_eq!(els.len(), 2);
    assert!(els[0].is("message", ns::CLIENT));
    assert_eq!(els[0].child("body", ns::CLIENT).unwrap().text(), "hi");
    assert!(els[1].is("presence", ns::CLIENT));
    assert_eq!(events.last(), Some(&XmlEvent::StreamClose));
}

#[test]
fn header_is_reported_without_waiting_for_anything_after_it() {
    let mut r = Reader::new();
    r.feed(HEADER.as_bytes());
    assert!(matches!(
        r.next_event(),
        Ok(Some(XmlEvent::StreamHeader(_)))
    ));
    assert_eq!(r.next_event(), Ok(None));
    assert_eq!(r.consumed(), HEADER.len() as u64);
    assert!(r.stream_header().is_some());
}

#[test]
fn ucr_xml_6_xml_declaration_is_optional() {
    let without = HEADER.trim_start_matches("<?xml version='1.0'?>");
    let (events, err) = read(format!("{without}<presence/>").as_bytes());
    assert_eq!(err, None);
    assert_eq!(elements(&events).len(), 1);
    let (_, err) =
        read(format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{without}").as_bytes());
    assert_eq!(err, None);
}

#[test]
fn ucr_xml_6_xml_declaration_only_at_the_very_start() {
    let (_, err) = read(format!(" {HEADER}").as_bytes());
    assert_eq!(err.unwrap().condition(), XmlCondition::NotWellFormed);
    assert_eq!(
        condition_in_stream("<?xml version='1.0'?>"),
        XmlCondition::NotWellFormed
    );
}

#[test]
fn ucr_xml_9_only_xml_1_0() {
    let input = HEADER.replace("version='1.0'?>", "version='1.1'?>");
    let (_, err) = read(input.as_bytes());
    assert_eq!(err.unwrap().condition(), XmlCondition::NotWellFormed);
}

#[test]
fn ucr_xml_7_other_encodings_are_unsupported() {
    // The draft's unsupported-encoding example declares UTF-16.
    let input = HEADER.replace("version='1.0'?>", "version='1.0' encoding='UTF-16'?>");
    let (_, err) = read(input.as_bytes());
    assert_eq!(
        err,
        Some(XmlError::UnsupportedEncoding {
            encoding: "UTF-16".into()
        })
    );
    // UTF-16 and UTF-32 byte patterns, with and without a byte order mark.
    let utf16be: Vec<u8> = "<stream:stream>"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let utf16le: Vec<u8> = "<stream:stream>"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    for input in [
        &[0xFE, 0xFF, 0, b'<'][..],
        &[0xFF, 0xFE, b'<', 0][..],
        &utf16be,
        &utf16le,
        &[0, 0, 0, b'<'][..],
    ] {
        let (_, err) = read(input);
        assert_eq!(
            err.map(|e| e.condition()),
            Some(XmlCondition::UnsupportedEncoding),
            "{input:?}"
        );
    }
}

/// Found by the `xml_reader` fuzz target: `00 3C` fed one byte at a time was reported as
/// character data, and `FF FE 00 00` as UTF-16LE, while the same bytes arriving whole were
/// UTF-16BE and UTF-32LE. The reader now waits until the first bytes can no longer be the
/// start of a longer encoding pattern.
#[test]
fn ucr_xml_7_encoding_detection_does_not_depend_on_the_split() {
    for input in [
        &[0x00, 0x3C][..],
        &[0xFF, 0xFE, 0x00, 0x00, 0x3C, 0x00, 0x00, 0x00][..],
        &[0x3C, 0x00, 0x00, 0x00][..],
        &[0x00, 0x00, 0x00, 0x3C][..],
        &[0x4C, 0x6F, 0xA7, 0x94][..],
        &[0xFF, 0xFE, 0x3C, 0x00][..],
    ] {
        let whole = read_with(Reader::new(), input, input.len());
        let trickled = read_with(Reader::new(), input, 1);
        assert!(
            matches!(whole.1, Some(XmlError::UnsupportedEncoding { .. })),
            "{input:?}: {whole:?}"
        );
        assert_eq!(whole, trickled, "{input:?}");
    }
    // Fewer bytes than a pattern needs is not yet an error: the stream may be UTF-8.
    assert_eq!(read_with(Reader::new(), b"<", 1), (vec![], None));
}

#[test]
fn ucr_xml_7_invalid_utf8_is_unsupported_encoding() {
    let mut input = format!("{HEADER}<message><body>").into_bytes();
    input.extend_from_slice(b"caf\xC3"); // truncated sequence
    input.extend_from_slice(b"</body></message>");
    for chunk in [1, 3, input.len()] {
        let (events, err) = read_with(Reader::new(), &input, chunk);
        assert_eq!(elements(&events).len(), 0);
        assert_eq!(err.unwrap().condition(), XmlCondition::UnsupportedEncoding);
    }
    let mut input = HEADER.as_bytes().to_vec();
    input.extend_from_slice(b"<presence to='\xFF'/>");
    assert!(matches!(read(&input).1, Some(XmlError::InvalidUtf8 { .. })));
}

#[test]
fn utf8_sequences_split_across_feeds_are_reassembled() {
    let input = format!("{HEADER}<message><body>héllo wörld 😀 ☃</body></message>");
    for chunk in 1..6 {
        let (events, err) = read_with(Reader::new(), input.as_bytes(), chunk);
        assert_eq!(err, None);
        assert_eq!(
            elements(&events)[0]
                .child("body", ns::CLIENT)
                .unwrap()
                .text(),
            "héllo wörld 😀 ☃"
        );
    }
}

#[test]
fn ucr_xml_7_leading_u_feff_is_not_a_byte_order_mark() {
    let (_, err) = read(format!("\u{feff}{HEADER}").as_bytes());
    assert_eq!(err.unwrap().condition(), XmlCondition::NotWellFormed);
    // Inside text it is an ordinary character.
    let input = format!("{HEADER}<message><body>\u{feff}x</body></message>");
    let (events, _) = read(input.as_bytes());
    assert_eq!(
        elements(&events)[0]
            .child("body", ns::CLIENT)
            .unwrap()
            .text(),
        "\u{feff}x"
    );
}

#[test]
fn ucr_xml_2_comments_are_restricted_wherever_they_are() {
    for body in [
        "<message><!-- hi --><body/></message>",
        "<!-- between stanzas -->",
        "<message><body>a<!--b--></body></message>",
    ] {
        assert_eq!(
            error_in_stream(body),
            XmlError::Restricted {
                construct: Restricted::Comment,
                offset: (HEADER.len() + body.find("<!--").unwrap()) as u64
            },
            "{body}"
        );
    }
    let (_, err) = read(format!("<!-- before -->{HEADER}").as_bytes());
    assert_eq!(err.unwrap().condition(), XmlCondition::RestrictedXml);
}

#[test]
fn ucr_xml_2_processing_instructions_are_restricted() {
    for body in [
        "<message><?php echo 1; ?></message>",
        "<?xml-stylesheet href='x'?>",
        "<message><body/><?pi?></message>",
    ] {
        assert!(
            matches!(
                error_in_stream(body),
                XmlError::Restricted {
                    construct: Restricted::ProcessingInstruction,
                    ..
                }
            ),
            "{body}"
        );
    }
    let input = HEADER.replace("<?xml version='1.0'?>", "<?pi x?>");
    assert_eq!(
        read(input.as_bytes()).1.unwrap().condition(),
        XmlCondition::RestrictedXml
    );
}

#[test]
fn ucr_xml_2_dtds_are_restricted() {
    let input = format!(
        "<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY lol 'lol'>]>{}",
        &HEADER[21..]
    );
    assert!(matches!(
        read(input.as_bytes()).1,
        Some(XmlError::Restricted {
            construct: Restricted::Doctype,
            ..
        })
    ));
    assert!(matches!(
        error_in_stream("<message><!ENTITY x 'y'></message>"),
        XmlError::Restricted {
            construct: Restricted::Doctype,
            ..
        }
    ));
    assert_eq!(
        condition_in_stream("<!ELEMENT x ANY>"),
        XmlCondition::RestrictedXml
    );
}

#[test]
fn ucr_xml_2_entity_references_other_than_the_predefined_are_restricted() {
    for (body, name) in [
        ("<message><body>&nbsp;</body></message>", "nbsp"),
        ("<message to='&xxe;'/>", "xxe"),
        ("<message><body>a &lol9; b</body></message>", "lol9"),
    ] {
        assert!(
            matches!(
                error_in_stream(body),
                XmlError::Restricted { construct: Restricted::EntityReference(n), .. } if n == name
            ),
            "{body}"
        );
    }
}

#[test]
fn ucr_xml_2_predefined_and_character_references_are_decoded() {
    let input = format!(
        "{HEADER}<message to='a&amp;b&apos;&quot;'><body>&lt;3 &amp; &gt; &#x1F600;&#65;</body></message>"
    );
    let (events, err) = read(input.as_bytes());
    assert_eq!(err, None);
    let m = elements(&events)[0];
    assert_eq!(m.attr("to"), Some("a&b'\""));
    assert_eq!(m.child("body", ns::CLIENT).unwrap().text(), "<3 & > 😀A");
}

#[test]
fn ucr_xml_2_unescaped_gt_and_quotes_in_text_are_accepted() {
    let input = format!("{HEADER}<message><body>a > b \"c\" 'd'</body></message>");
    let (events, err) = read(input.as_bytes());
    assert_eq!(err, None);
    assert_eq!(
        elements(&events)[0]
            .child("body", ns::CLIENT)
            .unwrap()
            .text(),
        "a > b \"c\" 'd'"
    );
}

#[test]
fn ucr_xml_4_malformed_xml_is_not_well_formed() {
    for body in [
        "<message></presence>",
        "<message><body></message></body>",
        "<message to='a' to='b'/>",
        "<message to=a/>",
        "<message to='<'/>",
        "<message><body>a & b</body></message>",
        "<message><body>a ]]> b</body></message>",
        "<message><body>\u{1}</body></message>",
        "<message><body>&#1;</body></message>",
        "<message to='a'from='b'/>",
        "<a:b:c xmlns:a='x'/>",
        "<1message/>",
        "<message to'x'/>",
        "<message><![CDAT[x]]></message>",
        "</message>",
    ] {
        assert_eq!(
            condition_in_stream(body),
            XmlCondition::NotWellFormed,
            "{body}"
        );
    }
}

#[test]
fn duplicate_attributes_are_found_after_namespace_resolution() {
    let body = "<message xmlns:a='urn:x' xmlns:b='urn:x' a:k='1' b:k='2'/>";
    assert_eq!(condition_in_stream(body), XmlCondition::NotWellFormed);
    // Same local name in different namespaces is fine, and so is a long attribute list.
    let mut many = String::from("<message xmlns:a='urn:x' a:k='1' k='2'");
    for i in 0..40 {
        many.push_str(&format!(" x{i}='{i}'"));
    }
    many.push_str("/>");
    let (events, err) = read(format!("{HEADER}{many}").as_bytes());
    assert_eq!(err, None);
    assert_eq!(elements(&events)[0].attrs().len(), 42 + 1); // + the inherited xml:lang
    let dup = many.replace("/>", " x7='again'/>");
    assert_eq!(condition_in_stream(&dup), XmlCondition::NotWellFormed);
}

/// XML 1.0 "Unique Att Spec" covers namespace declarations too: `xmlns` or `xmlns:p` twice on
/// one element is not well-formed (it used to be accepted, the last value winning), on a
/// stanza, on a nested element and on the stream header; the same prefix on two elements is
/// fine.
#[test]
fn a_namespace_declared_twice_on_one_element_is_not_well_formed() {
    for body in [
        "<message xmlns:p='urn:x' xmlns:p='urn:y'/>",
        "<message xmlns:p='urn:x' xmlns:p='urn:x'/>",
        "<message xmlns='jabber:client' xmlns='jabber:client'/>",
        "<message><x xmlns='urn:a' xmlns='urn:b'/></message>",
    ] {
        let err = error_in_stream(body);
        assert_eq!(err.condition(), XmlCondition::NotWellFormed, "{body}");
        assert!(err.to_string().contains("declared twice"), "{body}: {err}");
    }
    let fine = "<message xmlns:p='urn:x'><p:a xmlns:p='urn:y'/></message>";
    let (events, err) = read(format!("{HEADER}{fine}").as_bytes());
    assert_eq!(err, None);
    assert_eq!(elements(&events).len(), 1);
    for header in [
        "<stream:stream xmlns='jabber:client' xmlns='jabber:server' \
         xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
         xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
    ] {
        let (_, err) = read(header.as_bytes());
        let err = err.unwrap_or_else(|| panic!("accepted: {header}"));
        assert_eq!(err.condition(), XmlCondition::NotWellFormed, "{header}");
    }
}

#[test]
fn character_data_between_stanzas_is_bad_format() {
    assert_eq!(
        condition_in_stream("hello<presence/>"),
        XmlCondition::BadFormat
    );
    assert_eq!(
        condition_in_stream("<![CDATA[x]]>"),
        XmlCondition::NotWellFormed
    );
    let (_, err) = read(b"junk<stream:stream/>");
    assert_eq!(err.unwrap().condition(), XmlCondition::NotWellFormed);
}

#[test]
fn ucr_xml_8_whitespace_keepalives_are_reported_not_errors() {
    let input = format!("{HEADER} \n\t\r<presence/>   <presence/>\n");
    let (events, err) = read(input.as_bytes());
    assert_eq!(err, None);
    let ws: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            XmlEvent::Whitespace(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(ws, [4, 3, 1]);
    // One byte at a time: the same bytes, reported in pieces.
    let (events, err) = read_with(Reader::new(), input.as_bytes(), 1);
    assert_eq!(err, None);
    let total: usize = events
        .iter()
        .map(|e| match e {
            XmlEvent::Whitespace(n) => *n,
            _ => 0,
        })
        .sum();
    assert_eq!(total, 8);
}

#[test]
fn whitespace_inside_stanzas_is_content() {
    let input = format!("{HEADER}<message>\n  <body>  two  spaces\n</body>\n</message>");
    let (events, _) = read(input.as_bytes());
    let m = elements(&events)[0];
    assert_eq!(m.nodes().len(), 3);
    assert_eq!(m.text(), "\n  \n");
    assert_eq!(
        m.child("body", ns::CLIENT).unwrap().text(),
        "  two  spaces\n"
    );
}

#[test]
fn line_ends_and_attribute_values_are_normalised() {
    let input = format!("{HEADER}<message a='x\r\ny\tz&#xA;'><body>1\r\n2\r3</body></message>");
    let (events, _) = read(input.as_bytes());
    let m = elements(&events)[0];
    assert_eq!(m.attr("a"), Some("x y z\n"));
    assert_eq!(m.child("body", ns::CLIENT).unwrap().text(), "1\n2\n3");
}

#[test]
fn cdata_is_text_and_merges_with_neighbours() {
    let input = format!("{HEADER}<message><body>a<![CDATA[<b> & ]]]>c</body></message>");
    for chunk in [1, 2, 3, input.len()] {
        let (events, err) = read_with(Reader::new(), input.as_bytes(), chunk);
        assert_eq!(err, None);
        let body = elements(&events)[0]
            .child("body", ns::CLIENT)
            .unwrap()
            .clone();
        assert_eq!(body.nodes().len(), 1);
        assert_eq!(body.text(), "a<b> & ]c");
    }
}

#[test]
fn ucr_xml_3_namespaces_are_resolved() {
    let body = "<message><x xmlns='urn:x'><y/><p:z xmlns:p='urn:p' p:a='1' b='2'/></x>\
                <stream:features/></message>";
    let (events, err) = read(format!("{HEADER}{body}").as_bytes());
    assert_eq!(err, None);
    let m = elements(&events)[0];
    let x = m.child("x", "urn:x").unwrap();
    assert!(x.child("y", "urn:x").is_some());
    let z = x.child("z", "urn:p").unwrap();
    assert_eq!(z.prefix(), Some("p"));
    assert_eq!(z.attr_ns("a", "urn:p"), Some("1"));
    assert_eq!(z.attr("a"), None);
    assert_eq!(z.attr("b"), Some("2"));
    assert!(m.child("features", ns::STREAM).is_some());
}

#[test]
fn ucr_xml_3_undeclared_prefixes_are_bad_namespace_prefix() {
    for body in [
        "<foo:message/>",
        "<message><p:x/></message>",
        "<message p:a='1'/>",
        "<message><x xmlns:p='urn:p'/><p:y/></message>",
    ] {
        assert!(
            matches!(error_in_stream(body), XmlError::UndeclaredPrefix { .. }),
            "{body}"
        );
        assert_eq!(condition_in_stream(body), XmlCondition::BadNamespacePrefix);
    }
}

#[test]
fn reserved_namespace_declarations_are_not_well_formed() {
    for body in [
        "<message xmlns:xmlns='urn:x'/>",
        "<message xmlns:xml='urn:x'/>",
        "<message xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
        "<message xmlns='http://www.w3.org/2000/xmlns/'/>",
        "<message xmlns:p=''/>",
    ] {
        assert_eq!(
            condition_in_stream(body),
            XmlCondition::NotWellFormed,
            "{body}"
        );
    }
    // Declaring xml to its own namespace is allowed and changes nothing.
    let (_, err) = read(
        format!("{HEADER}<message xmlns:xml='http://www.w3.org/XML/1998/namespace'/>").as_bytes(),
    );
    assert_eq!(err, None);
}

#[test]
fn prefixes_declared_on_the_stream_header_apply_to_stanzas() {
    let input = "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' \
                 xmlns:stream='http://etherx.jabber.org/streams'>\
                 <db:result to='b' from='a'>key</db:result>";
    let (events, err) = read(input.as_bytes());
    assert_eq!(err, None);
    let XmlEvent::StreamHeader(h) = &events[0] else {
        panic!()
    };
    assert_eq!(h.namespaces().len(), 1);
    assert_eq!(h.namespaces()[0].0, "db");
    let r = elements(&events)[0];
    assert!(r.is("result", ns::DIALBACK));
    assert_eq!(r.prefix(), Some("db"));
    assert_eq!(r.text(), "key");
}

#[test]
fn ucr_xml_3_stream_header_namespace_rules() {
    let cases: [(&str, XmlCondition); 6] = [
        (
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://wrong.example/'>",
            XmlCondition::InvalidNamespace,
        ),
        (
            "<stream xmlns='http://etherx.jabber.org/streams'>",
            XmlCondition::BadNamespacePrefix,
        ),
        (
            "<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams'>",
            XmlCondition::BadNamespacePrefix,
        ),
        (
            "<stream:stream xmlns='jabber:client' xmlns:foobar='http://etherx.jabber.org/streams'>",
            XmlCondition::BadNamespacePrefix,
        ),
        (
            "<stream:root xmlns:stream='http://etherx.jabber.org/streams'>",
            XmlCondition::BadFormat,
        ),
        (
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' a='1' a='2'>",
            XmlCondition::NotWellFormed,
        ),
    ];
    for (input, condition) in cases {
        assert_eq!(
            read(input.as_bytes()).1.map(|e| e.condition()),
            Some(condition),
            "{input}"
        );
    }
}

#[test]
fn stream_close_must_match_the_root() {
    let (events, err) = read(format!("{HEADER}</stream:stream>").as_bytes());
    assert_eq!(err, None);
    assert_eq!(events.last(), Some(&XmlEvent::StreamClose));
    let (_, err) = read(format!("{HEADER}</stream:other>").as_bytes());
    assert_eq!(err.unwrap().condition(), XmlCondition::NotWellFormed);
}

#[test]
fn nothing_is_read_after_the_stream_close() {
    let mut r = Reader::new();
    r.feed(format!("{HEADER}</stream:stream><presence/>").as_bytes());
    while let Ok(Some(e)) = r.next_event() {
        assert!(!matches!(e, XmlEvent::Element(_)));
    }
    assert!(r.is_closed());
    assert_eq!(r.buffered(), b"<presence/>");
}

#[test]
fn empty_stream_root_is_opened_and_closed() {
    let (events, err) = read(
        b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'/>",
    );
    assert_eq!(err, None);
    assert!(matches!(events[0], XmlEvent::StreamHeader(_)));
    assert_eq!(events[1], XmlEvent::StreamClose);
}

#[test]
fn ucr_stanza_21_stanzas_inherit_the_stream_language() {
    let input = format!(
        "{HEADER}<message><body>hi</body></message><message xml:lang='de'/>\
         <stream:features/><x xmlns='urn:x'/>"
    );
    let (events, _) = read(input.as_bytes());
    let els = elements(&events);
    assert_eq!(els[0].lang(), Some("en"));
    // Children inherit through effective_lang.
    let body = els[0].child("body", ns::CLIENT).unwrap();
    assert_eq!(body.lang(), None);
    assert_eq!(body.effective_lang(els[0].lang()), Some("en"));
    // An explicit language is kept (UCR-STANZA-22: never rewritten).
    assert_eq!(els[1].lang(), Some("de"));
    // Only stanzas (content namespace) are stamped.
    assert_eq!(els[2].lang(), None);
    assert_eq!(els[3].lang(), None);
    // A stream without xml:lang stamps nothing.
    let input = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message/>";
    let (events, _) = read(input.as_bytes());
    assert_eq!(elements(&events)[0].lang(), None);
}

#[test]
fn ucr_tls_4_bytes_after_proceed_are_handed_back_exactly() {
    // The server's <proceed/> is followed, in the same read, by TLS bytes.
    let server_header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='abc' version='1.0'>";
    let mut input = format!(
        "{server_header}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
         <required/></starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    )
    .into_bytes();
    let expected_consumed = input.len() as u64;
    let tls = [0x16, 0x03, 0x03, 0x00, 0x3c, b'<', b'>', 0xff, b'/', b'>'];
    input.extend_from_slice(&tls);
    let mut r = Reader::new();
    r.feed(&input);
    loop {
        match r.next_event().unwrap() {
            Some(XmlEvent::Element(e)) if e.is("proceed", ns::TLS) => break,
            Some(_) => {}
            None => panic!("no proceed"),
        }
    }
    assert_eq!(r.consumed(), expected_consumed);
    assert_eq!(r.buffered(), &tls);
    assert_eq!(&r.take_buffered()[..], &tls);
    assert!(r.buffered().is_empty());
    // The new stream, after the TLS handshake, starts with a declaration again.
    r.reset();
    assert_eq!(r.consumed(), 0);
    r.feed(server_header.as_bytes());
    assert!(matches!(
        r.next_event(),
        Ok(Some(XmlEvent::StreamHeader(_)))
    ));
}

#[test]
fn reset_after_sasl_success_reads_the_buffered_new_stream() {
    let mut input =
        format!("{HEADER}<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>").into_bytes();
    let restart = HEADER.replace("xml:lang='en'", "xml:lang='fr'");
    input.extend_from_slice(restart.as_bytes());
    input.extend_from_slice(b"<iq type='get' id='1'/>");
    let mut r = Reader::new();
    r.feed(&input);
    assert!(matches!(
        r.next_event(),
        Ok(Some(XmlEvent::StreamHeader(_)))
    ));
    let Ok(Some(XmlEvent::Element(success))) = r.next_event() else {
        panic!()
    };
    assert!(success.is("success", ns::SASL));
    r.reset();
    let Ok(Some(XmlEvent::StreamHeader(h))) = r.next_event() else {
        panic!()
    };
    assert_eq!(h.lang(), Some("fr"));
    let Ok(Some(XmlEvent::Element(iq))) = r.next_event() else {
        panic!()
    };
    assert_eq!(iq.lang(), Some("fr"));
}

#[test]
fn errors_are_sticky_until_reset() {
    let mut r = Reader::new();
    r.feed(format!("{HEADER}<!--x-->").as_bytes());
    assert!(matches!(
        r.next_event(),
        Ok(Some(XmlEvent::StreamHeader(_)))
    ));
    let first = r.next_event().unwrap_err();
    assert_eq!(r.next_event().unwrap_err(), first);
    r.feed(b"<presence/>");
    assert_eq!(r.next_event().unwrap_err(), first);
    r.take_buffered();
    r.reset();
    r.feed(HEADER.as_bytes());
    assert!(matches!(
        r.next_event(),
        Ok(Some(XmlEvent::StreamHeader(_)))
    ));
}

#[test]
fn default_limits_meet_rfc_6120() {
    let l = ReaderLimits::default();
    assert!(l.max_element_bytes >= 64 * 1024);
    assert!(l.max_depth >= 16 && l.max_attributes >= 16 && l.max_name_len >= 64);
}

fn small_limits() -> ReaderLimits {
    ReaderLimits {
        max_element_bytes: 10_000,
        max_depth: 8,
        max_attributes: 5,
        max_name_len: 20,
    }
}

#[test]
fn ucr_xml_1_oversized_element_is_policy_violation_before_it_is_buffered() {
    let mut r = Reader::with_limits(small_limits());
    r.feed(HEADER.as_bytes());
    r.next_event().unwrap();
    r.feed(b"<message><body>");
    let mut fed = 15;
    let err = loop {
        r.feed(&[b'a'; 100]);
        fed += 100;
        match r.next_event() {
            Ok(None) => assert!(fed <= 10_000 + 100),
            Ok(Some(e)) => panic!("{e:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        err,
        XmlError::LimitExceeded {
            limit: Limit::ElementBytes(10_000),
            offset: HEADER.len() as u64
        }
    );
    assert_eq!(err.condition(), XmlCondition::PolicyViolation);
    assert!(r.buffered().len() <= 10_100);
    // Exactly at the limit is fine.
    let body = "a".repeat(10_000 - "<message><body></body></message>".len());
    let (events, err) = read_with(
        Reader::with_limits(small_limits()),
        format!("{HEADER}<message><body>{body}</body></message>").as_bytes(),
        4096,
    );
    assert_eq!(err, None);
    assert_eq!(elements(&events).len(), 1);
}

#[test]
fn oversized_header_is_policy_violation() {
    let input = format!(
        "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='{}'>",
        "x".repeat(20_000)
    );
    let (_, err) = read_with(Reader::with_limits(small_limits()), input.as_bytes(), 1000);
    assert_eq!(err.unwrap().condition(), XmlCondition::PolicyViolation);
}

#[test]
fn depth_attribute_and_name_limits_are_policy_violations() {
    let input = |body: &str| format!("{HEADER}{body}");
    let deep = format!("{}{}", "<a>".repeat(9), "</a>".repeat(9));
    let ok_deep = format!("{}{}", "<a>".repeat(8), "</a>".repeat(8));
    let attrs = "<message a='1' b='2' c='3' d='4' e='5' f='6'/>";
    let ok_attrs = "<message a='1' b='2' c='3' d='4' e='5'/>";
    let name = format!("<{}/>", "n".repeat(21));
    let attr_name = format!("<message {}='1'/>", "n".repeat(21));
    for (body, limit) in [
        (deep.as_str(), Limit::Depth(8)),
        (attrs, Limit::Attributes(5)),
        (name.as_str(), Limit::NameLength(20)),
        (attr_name.as_str(), Limit::NameLength(20)),
    ] {
        for chunk in [1, 1000] {
            let (_, err) = read_with(
                Reader::with_limits(small_limits()),
                input(body).as_bytes(),
                chunk,
            );
            assert!(
                matches!(err, Some(XmlError::LimitExceeded { limit: l, .. }) if l == limit),
                "{body}: {err:?}"
            );
        }
    }
    for body in [ok_deep.as_str(), ok_attrs] {
        let (events, err) = read_with(
            Reader::with_limits(small_limits()),
            input(body).as_bytes(),
            3,
        );
        assert_eq!(err, None, "{body}");
        assert_eq!(elements(&events).len(), 1);
    }
}

#[test]
fn element_parse_takes_exactly_one_element() {
    assert!(Element::parse(b" <a xmlns='urn:a'/>\n").is_ok());
    assert!(Element::parse(b"<?xml version='1.0'?><a xmlns='urn:a'/>").is_ok());
    for bad in [
        &b""[..],
        b"   ",
        b"<a/><b/>",
        b"<a>",
        b"<a/>junk",
        b"<a></b>",
        b"<a/><",
    ] {
        assert_eq!(
            Element::parse(bad).map_err(|e| e.condition()),
            Err(XmlCondition::NotWellFormed),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // Element::parse has no size limit of its own, but the others apply.
    let big = format!("<a>{}</a>", "x".repeat(1 << 20));
    assert_eq!(
        Element::parse(big.as_bytes()).unwrap().text().len(),
        1 << 20
    );
    let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    assert_eq!(
        Element::parse(deep.as_bytes()).unwrap_err().condition(),
        XmlCondition::PolicyViolation
    );
}

#[test]
fn without_stream_reads_a_sequence_of_elements() {
    let mut r = Reader::without_stream(ReaderLimits::default());
    r.feed(b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>");
    r.feed(b"<message xmlns='jabber:client'><body>x</body></message>");
    let mut names = Vec::new();
    while let Some(XmlEvent::Element(e)) = r.next_event().unwrap() {
        names.push(e.name().to_owned());
    }
    assert_eq!(names, ["open", "message"]);
    r.feed(b"</message>");
    assert_eq!(
        r.next_event().unwrap_err().condition(),
        XmlCondition::NotWellFormed
    );
}
