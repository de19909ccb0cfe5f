//! Total work is linear in the bytes received, however they are split: a 1 MiB stanza fed
//! one byte at a time is scanned about as many times as when it arrives whole, and
//! tokenized exactly once. Checked with the reader's own work counters, not with time.

use xmpp_stream::xml::{Reader, ReaderLimits, ReaderStats, XmlEvent};

const HEADER: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams'>";

fn limits() -> ReaderLimits {
    ReaderLimits {
        max_element_bytes: 4 << 20,
        ..ReaderLimits::default()
    }
}

/// Reads `stanza` after a header in `chunk`-byte feeds; returns the counters and checks that
/// exactly one element came out, equal to what a whole read gives.
fn work(stanza: &[u8], chunk: usize) -> ReaderStats {
    let mut reader = Reader::with_limits(limits());
    let mut input = HEADER.to_vec();
    input.extend_from_slice(stanza);
    let mut elements = 0;
    for piece in input.chunks(chunk) {
        reader.feed(piece);
        while let Some(event) = reader.next_event().unwrap() {
            if let XmlEvent::Element(_) = event {
                elements += 1;
            }
        }
    }
    assert_eq!(elements, 1);
    reader.stats()
}

fn assert_linear(stanza: &[u8]) {
    let n = (HEADER.len() + stanza.len()) as u64;
    let whole = work(stanza, usize::MAX);
    let trickled = work(stanza, 1);
    // Each unit is tokenized once, whatever the split.
    assert_eq!(trickled.bytes_tokenized, whole.bytes_tokenized);
    assert_eq!(whole.bytes_tokenized, n);
    // The scanner looks at each byte a bounded number of times (at most 3 for a `]` in
    // CDATA, which looks ahead for `]]>`): a rescanning reader would count about n²/2 here
    // (5·10¹¹ for 1 MiB).
    assert!(whole.bytes_scanned <= 3 * n, "{whole:?} for {n} bytes");
    assert!(
        trickled.bytes_scanned <= 3 * n,
        "{trickled:?} for {n} bytes"
    );
    assert!(
        trickled.bytes_scanned <= whole.bytes_scanned + n,
        "{trickled:?} vs {whole:?}"
    );
}

#[test]
fn one_mib_of_text_fed_one_byte_at_a_time_is_linear() {
    let mut stanza = b"<message to='a@example.com'><body>".to_vec();
    stanza.extend(std::iter::repeat_n(b'x', 1 << 20));
    stanza.extend_from_slice(b"</body></message>");
    assert_linear(&stanza);
}

#[test]
fn one_mib_of_small_elements_fed_one_byte_at_a_time_is_linear() {
    let mut stanza = b"<iq type='result' id='r'><query xmlns='jabber:iq:roster'>".to_vec();
    while stanza.len() < 1 << 20 {
        stanza.extend_from_slice(
            b"<item jid='contact@example.org' name='A &amp; B' subscription='both'>\
              <group>Friends</group><![CDATA[]]]]></item>\n",
        );
    }
    stanza.extend_from_slice(b"</query></iq>");
    assert_linear(&stanza);
}

#[test]
fn one_mib_attribute_and_cdata_fed_one_byte_at_a_time_are_linear() {
    let mut stanza = b"<message a='".to_vec();
    stanza.extend(std::iter::repeat_n(b'>', 1 << 19));
    stanza.extend_from_slice(b"'><body><![CDATA[");
    stanza.extend(std::iter::repeat_n(b']', 1 << 19));
    stanza.extend_from_slice(b"]]></body></message>");
    assert_linear(&stanza);
}

#[test]
fn many_stanzas_in_one_feed_are_linear() {
    let mut input = Vec::new();
    for i in 0..10_000 {
        input.extend_from_slice(
            format!("<message id='{i}'><body>hello</body></message> ").as_bytes(),
        );
    }
    let mut reader = Reader::with_limits(limits());
    reader.feed(HEADER);
    reader.feed(&input);
    let mut elements = 0;
    while let Some(event) = reader.next_event().unwrap() {
        if let XmlEvent::Element(_) = event {
            elements += 1;
        }
    }
    assert_eq!(elements, 10_000);
    let n = (HEADER.len() + input.len()) as u64;
    let stats = reader.stats();
    assert!(stats.bytes_scanned <= 2 * n, "{stats:?} for {n}");
    assert_eq!(stats.bytes_tokenized, n - 10_000); // everything but the separators
}

#[test]
fn text_split_by_many_cdata_sections_is_merged_in_linear_time() {
    // 30 000 pieces: merging by copying the run each time would copy ~10¹⁰ bytes.
    let mut stanza = b"<message><body>".to_vec();
    for _ in 0..10_000 {
        stanza.extend_from_slice(b"ab<![CDATA[c]]>");
    }
    stanza.extend_from_slice(b"<x/>tail<![CDATA[!]]><y>in</y>z</body></message>");
    let mut reader = Reader::with_limits(limits());
    reader.feed(HEADER);
    reader.feed(&stanza);
    reader.next_event().unwrap();
    let Some(XmlEvent::Element(m)) = reader.next_event().unwrap() else {
        panic!()
    };
    let body = m.nodes()[0].as_element().unwrap().nodes();
    assert_eq!(body.len(), 5);
    assert_eq!(body[0].as_text().unwrap(), "abc".repeat(10_000));
    assert_eq!(body[2].as_text(), Some("tail!"));
    assert_eq!(body[3].as_element().unwrap().text(), "in");
    assert_eq!(body[4].as_text(), Some("z"));
}
