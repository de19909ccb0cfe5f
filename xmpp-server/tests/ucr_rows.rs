//! Focused tests of UCR and NATO rows about what the server core routes, one row's text per
//! test.

mod support;

use support::{Harness, to};
use xmpp_stream::xml::Element;

#[test]
fn ucr_xml_5_nato_n_52_unknown_extensions_are_routed_untouched() {
    let mut h = Harness::new();
    let juliet = h.available("juliet", "balcony", 1);
    let romeo = h.available("romeo", "orchard", 0);
    // A payload no part of the server knows, with attributes, nesting, text and a foreign
    // namespace prefix: the server neither validates nor rewrites it.
    let extension = "<x xmlns='urn:example:unknown' a='1' b='two'><y>text &amp; more</y>\
                     <z:w xmlns:z='urn:example:other' z:q='r'/></x>";
    let out = h.exchange(
        romeo,
        &format!(
            "<message xmlns='jabber:client' type='chat' to='juliet@example.com/balcony'>\
             <body>hi</body>{extension}</message>"
        ),
    );
    let delivered = to(juliet, &out);
    assert_eq!(delivered.len(), 1, "{out:?}");
    let expected: Element = extension.parse().unwrap();
    let got = delivered[0]
        .children()
        .find(|c| c.ns() == "urn:example:unknown")
        .expect("the extension arrives");
    assert_eq!(got, &expected);
    assert_eq!(got.to_xml().unwrap(), expected.to_xml().unwrap());
    // An IQ with an unknown payload for a full JID is delivered untouched as well.
    let out = h.exchange(
        romeo,
        &format!(
            "<iq xmlns='jabber:client' type='get' id='q1' to='juliet@example.com/balcony'>{extension}</iq>"
        ),
    );
    let delivered = to(juliet, &out);
    assert_eq!(delivered.len(), 1, "{out:?}");
    assert_eq!(delivered[0].children().next(), Some(&expected));
}
