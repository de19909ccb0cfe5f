//! Fuzz target: the incremental XML stream reader (xmpp-stream `xml`). Arbitrary bytes, fed
//! in arbitrary splits (chosen by the first input byte), must never panic; memory stays
//! bounded by the limits; the events are the same as when the bytes arrive whole; and every
//! header and element that parses re-serialises to bytes that parse to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_stream::xml::{Element, XmlEvent, Reader, ReaderLimits, Writer, XmlError};

const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' version='1.0'>";

const LIMITS: ReaderLimits = ReaderLimits {
    max_element_bytes: 4096,
    max_depth: 16,
    max_attributes: 16,
    max_name_len: 64,
};

/// Reads `input` in pieces whose sizes come from `seed`; checks the memory bound as it goes.
fn read(input: &[u8], seed: u8) -> (Vec<XmlEvent>, Option<XmlError>) {
    let mut reader = Reader::with_limits(LIMITS);
    let mut events = Vec::new();
    let mut state = u32::from(seed) | 1;
    let mut rest = input;
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let size = if seed == 0 { rest.len() } else { 1 + (state >> 16) as usize % 64 };
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        reader.feed(piece);
        loop {
            match reader.next_event() {
                Ok(Some(XmlEvent::Whitespace(n))) => match events.last_mut() {
                    Some(XmlEvent::Whitespace(m)) => *m += n,
                    _ => events.push(XmlEvent::Whitespace(n)),
                },
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => return (events, Some(e)),
            }
        }
        // Whatever is still buffered is one unfinished unit, which the limit bounds (after
        // the stream close, nothing is read any more).
        assert!(reader.is_closed() || reader.buffered().len() <= LIMITS.max_element_bytes);
    }
    (events, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let mut input = Vec::new();
    if seed & 0x80 != 0 {
        input.extend_from_slice(HEADER);
    }
    input.extend_from_slice(body);

    let split = read(&input, seed & 0x7f);
    let whole = read(&input, 0);
    assert_eq!(split, whole, "events depend on how the input was split");

    for event in &whole.0 {
        match event {
            XmlEvent::StreamHeader(header) => {
                let mut out = Vec::new();
                let mut writer = Writer::new();
                writer.write_stream_header(header, &mut out).expect("a read header writes");
                let mut reader = Reader::new();
                reader.feed(&out);
                let mut again = None;
                while let Some(event) = reader.next_event().expect("a written header reads") {
                    if let XmlEvent::StreamHeader(h) = event {
                        again = Some(h);
                    }
                }
                assert_eq!(again.as_ref(), Some(header));
            }
            XmlEvent::Element(element) => {
                let xml = element.to_xml().expect("a read element writes");
                let again = Element::parse(xml.as_bytes()).expect("a written element reads");
                assert_eq!(&again, element);
                assert_eq!(again.to_xml().expect("writes again"), xml);
            }
            XmlEvent::Whitespace(_) | XmlEvent::StreamClose => {}
        }
    }
});
