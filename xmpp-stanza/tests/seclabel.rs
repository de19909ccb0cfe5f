//! XEP-0258 security labels and label catalogs: the XEP's examples, every malformed shape as a
//! typed error, and property tests (`T -> Element -> bytes -> Element -> T`; arbitrary trees
//! never panic).
//!
//! The NATO BCS profile (Annex 1 §1.2.7, "Labelling service") names three parts, numbered here
//! L-01..L-03: (1) extensible label formats (an ESS security label, RFC 2634, or a NATO XML
//! label), (2) a display marking with foreground and background colours travelling with the
//! label, (3) a catalogue of the labels a client may apply for a given recipient. These L ids
//! are not yet rows of `docs/spec/nato-bcs.tsv` (whose `nato_<n|s|f>_NN` names the conformance
//! script reads), so `nato_l_NN` names credit nothing until the list gains them.

use proptest::prelude::*;
use xmpp_stanza::xep::seclabel::{
    self, Catalog, CatalogItem, DisplayMarking, Label, SecurityLabel, message_label,
};
use xmpp_stanza::{Condition, Message, ParseError, Payload};
use xmpp_stream::xml::Element;

fn el(s: &str) -> Element {
    s.parse().expect("test input is well-formed XML")
}

fn round_trip<P: Payload + Clone + PartialEq + std::fmt::Debug>(xml: &str) -> P {
    let e = el(xml);
    let p = P::try_from(&e).expect("parses");
    let e2: Element = p.clone().into();
    assert_eq!(e2, e, "written back unchanged");
    assert_eq!(P::try_from(&e2).unwrap(), p);
    p
}

fn label_err(xml: &str) -> ParseError {
    SecurityLabel::try_from(&el(xml)).expect_err(xml)
}

fn catalog_err(xml: &str) -> ParseError {
    Catalog::try_from(&el(xml)).expect_err(xml)
}

const SECRET_DER: [u8; 8] = [0x31, 0x06, 0x02, 0x01, 0x04, 0x06, 0x01, 0x29];

/// The XEP-0258 example: a SECRET ESS label with an equivalent label under another policy.
const XEP_EXAMPLE: &str = "<securitylabel xmlns='urn:xmpp:sec-label:0'>\
     <displaymarking fgcolor='black' bgcolor='red'>SECRET</displaymarking>\
     <label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>MQYCAQQGASk=</esssecuritylabel></label>\
     <equivalentlabel><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>MRUCAgD9DA9BcXVhIChvYnNvbGV0ZSk=</esssecuritylabel></equivalentlabel>\
     </securitylabel>";

#[test]
fn nato_l_01_ess_and_other_label_formats_round_trip() {
    let l: SecurityLabel = round_trip(XEP_EXAMPLE);
    assert_eq!(l.label, Label::Ess(SECRET_DER.to_vec()));
    assert_eq!(l.equivalents.len(), 1);
    assert_ne!(l.equivalents[0], l.label);

    // Another format (a NATO XML label) is kept as its element, unchanged.
    let l: SecurityLabel = round_trip(
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label>\
         <ConfidentialityLabel xmlns='urn:nato:stanag:4774:confidentialitymetadatalabel:1:0'>\
         <PolicyIdentifier>NATO</PolicyIdentifier><Classification>RESTRICTED</Classification>\
         </ConfidentialityLabel></label></securitylabel>",
    );
    let Label::Other(inner) = &l.label else {
        panic!("{l:?}")
    };
    assert_eq!(inner.name(), "ConfidentialityLabel");
    assert!(l.marking.is_none());

    // Two spellings of one ESS value are one label (line breaks inside base64 are allowed).
    let wrapped =
        SecurityLabel::try_from(&el("<securitylabel xmlns='urn:xmpp:sec-label:0'><label>\
         <esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>MQYC\n  AQQGASk=</esssecuritylabel>\
         </label></securitylabel>"))
        .unwrap();
    assert_eq!(wrapped.label, Label::ess(SECRET_DER));
}

#[test]
fn nato_l_02_display_marking_carries_its_colours_and_defaults() {
    let l: SecurityLabel = round_trip(XEP_EXAMPLE);
    let m = l.marking.unwrap();
    assert_eq!(
        (m.text.as_str(), m.foreground(), m.background()),
        ("SECRET", "black", "red")
    );
    let m: DisplayMarking = DisplayMarking::try_from(&el(
        "<displaymarking xmlns='urn:xmpp:sec-label:0'>UNCLASSIFIED</displaymarking>",
    ))
    .unwrap();
    assert_eq!((m.foreground(), m.background()), ("black", "white"));
    assert_eq!(
        Element::from(DisplayMarking::new("X").with_colors("#ffffff", "navy"))
            .to_xml()
            .unwrap(),
        "<displaymarking xmlns='urn:xmpp:sec-label:0' fgcolor='#ffffff' bgcolor='navy'>X</displaymarking>"
    );
}

#[test]
fn malformed_labels_are_typed_errors_answered_with_bad_request() {
    let cases = [
        // No <label/>.
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><displaymarking>S</displaymarking></securitylabel>",
        // Two <label/>s, two markings.
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><x xmlns='urn:a'/></label><label><x xmlns='urn:a'/></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><displaymarking>S</displaymarking><displaymarking>S</displaymarking><label><x xmlns='urn:a'/></label></securitylabel>",
        // An empty <label/>, one with two elements, one with text, one wrapping a label element.
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label/></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><x xmlns='urn:a'/><y xmlns='urn:a'/></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label>SECRET<x xmlns='urn:a'/></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><label/></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><x xmlns='urn:a'/></label><equivalentlabel/></securitylabel>",
        // ESS: not base64, empty, with a child element.
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>not*base64</esssecuritylabel></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'> </esssecuritylabel></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'><b/></esssecuritylabel></label></securitylabel>",
        // Display marking: empty, with an element, an empty colour.
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><displaymarking/><label><x xmlns='urn:a'/></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><displaymarking><b/>S</displaymarking><label><x xmlns='urn:a'/></label></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><displaymarking fgcolor=''>S</displaymarking><label><x xmlns='urn:a'/></label></securitylabel>",
        // Unknown children, of the label namespace or another; text.
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><x xmlns='urn:a'/></label><extra/></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><label><x xmlns='urn:a'/></label><x xmlns='urn:a'/></securitylabel>",
        "<securitylabel xmlns='urn:xmpp:sec-label:0'>SECRET<label><x xmlns='urn:a'/></label></securitylabel>",
    ];
    for xml in cases {
        let e = label_err(xml);
        assert_eq!(e.condition(), Condition::BadRequest, "{xml}: {e}");
    }
    assert!(matches!(
        label_err("<label xmlns='urn:xmpp:sec-label:0'/>"),
        ParseError::WrongElement { .. }
    ));
    // Whitespace between the elements is not content.
    SecurityLabel::try_from(&el(
        "<securitylabel xmlns='urn:xmpp:sec-label:0'>\n  <label>\n <x xmlns='urn:a'/>\n </label>\n</securitylabel>",
    ))
    .unwrap();
}

#[test]
fn nato_l_01_a_message_carries_at_most_one_label() {
    let xml = |labels: &str| {
        el(&format!(
            "<message xmlns='jabber:client' to='romeo@example.net' id='m1'><body>b</body>{labels}</message>"
        ))
    };
    let m = Message::try_from(&xml("")).unwrap();
    assert_eq!(message_label(&m), Ok(None));

    let m = Message::try_from(&xml(XEP_EXAMPLE)).unwrap();
    let l = message_label(&m).unwrap().unwrap();
    assert_eq!(l.marking.as_ref().unwrap().text, "SECRET");
    // The label is a payload like any other: written back unchanged.
    assert_eq!(Element::from(m.clone()), xml(XEP_EXAMPLE));
    assert_eq!(m.payload::<SecurityLabel>(), Some(Ok(l)));

    let two = Message::try_from(&xml(&format!("{XEP_EXAMPLE}{XEP_EXAMPLE}"))).unwrap();
    let err = message_label(&two).unwrap_err();
    assert!(
        matches!(
            err,
            ParseError::DuplicateChild {
                element: "message",
                child: "securitylabel",
                ..
            }
        ),
        "{err}"
    );
    let bad = Message::try_from(&xml("<securitylabel xmlns='urn:xmpp:sec-label:0'/>")).unwrap();
    assert_eq!(
        message_label(&bad).unwrap_err().condition(),
        Condition::BadRequest
    );
}

#[test]
fn nato_l_03_catalog_request_and_answer_round_trip() {
    let req: Catalog =
        round_trip("<catalog xmlns='urn:xmpp:sec-label:catalog:2' to='example.com'/>");
    assert_eq!(req, Catalog::request("example.com".parse().unwrap()));

    let cat: Catalog = round_trip(&format!(
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2' to='example.com' from='labels.example.com' \
         name='Default' desc='an example set of labels' id='cat-7' size='3' restrict='true'>\
         <item selector='Classified|SECRET'>{XEP_EXAMPLE}</item>\
         <item selector='Unclassified|UNCLASSIFIED' default='true'>\
         <securitylabel xmlns='urn:xmpp:sec-label:0'><displaymarking bgcolor='green'>UNCLASSIFIED</displaymarking>\
         <label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>MQYCAQEGASk=</esssecuritylabel></label></securitylabel></item>\
         <item selector='Unclassified|None'/>\
         <set xmlns='http://jabber.org/protocol/rsm'><count>3</count></set>\
         </catalog>"
    ));
    assert_eq!(cat.items.len(), 3);
    assert_eq!(cat.size, Some(3));
    assert!(cat.restrict);
    assert_eq!(
        cat.default_item().unwrap().selector.as_deref(),
        Some("Unclassified|UNCLASSIFIED")
    );
    assert!(cat.item("Unclassified|None").unwrap().label.is_none());
    assert_eq!(
        cat.item("Classified|SECRET")
            .unwrap()
            .label
            .as_ref()
            .unwrap()
            .label,
        Label::ess(SECRET_DER)
    );
    assert_eq!(cat.extensions.len(), 1);
    assert_eq!(cat.from.as_ref().unwrap().as_str(), "labels.example.com");
}

#[test]
fn malformed_catalogs_are_typed_errors() {
    let item = "<item selector='a'/>";
    let cases = [
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2' to='a@b@c'/>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2' from=''/>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2' size='-1'/>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2' size='many'/>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2' restrict='yes'/>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'><item default='maybe'/></catalog>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'><item default='true'/><item default='1'/></catalog>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'><label/></catalog>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'>text</catalog>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'><item><x xmlns='urn:a'/></item></catalog>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'><item>text</item></catalog>",
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'><item><securitylabel xmlns='urn:xmpp:sec-label:0'/></item></catalog>",
    ];
    for xml in cases {
        let e = catalog_err(xml);
        assert!(
            matches!(
                e.condition(),
                Condition::BadRequest | Condition::JidMalformed
            ),
            "{xml}: {e}"
        );
    }
    let two_labels = format!(
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'><item>{XEP_EXAMPLE}{XEP_EXAMPLE}</item></catalog>"
    );
    assert!(matches!(
        catalog_err(&two_labels),
        ParseError::DuplicateChild {
            element: "item",
            ..
        }
    ));
    assert!(matches!(
        catalog_err("<catalog xmlns='urn:xmpp:sec-label:catalog:1'/>"),
        ParseError::WrongElement { .. }
    ));
    // The unknown child in the catalog namespace names the catalog as its parent.
    assert!(matches!(
        catalog_err("<catalog xmlns='urn:xmpp:sec-label:catalog:2'><label/></catalog>"),
        ParseError::UnexpectedChild {
            element: "catalog",
            ..
        }
    ));
    let _: Catalog = round_trip(&format!(
        "<catalog xmlns='urn:xmpp:sec-label:catalog:2'>{item}</catalog>"
    ));
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 <>&'\"é€𝄞:/#=|-]{0,12}"
}

fn marking_text() -> impl Strategy<Value = String> {
    "[A-Z]{1,3}[a-zA-Z0-9 <>&'\"é€𝄞:/#=|-]{0,12}"
}

fn label() -> impl Strategy<Value = Label> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 1..40).prop_map(Label::Ess),
        (text(), "[a-z]{1,8}").prop_map(|(t, name)| {
            Label::Other(Element::builder(name, "urn:example:label").text(t).build())
        }),
    ]
}

fn security_label() -> impl Strategy<Value = SecurityLabel> {
    (
        prop::option::of((
            marking_text(),
            prop::option::of("[a-z]{1,8}|#[0-9a-f]{6}"),
            prop::option::of("[a-z]{1,8}|#[0-9a-f]{6}"),
        )),
        label(),
        prop::collection::vec(label(), 0..3),
    )
        .prop_map(|(marking, label, equivalents)| SecurityLabel {
            marking: marking.map(|(text, fgcolor, bgcolor)| DisplayMarking {
                text,
                fgcolor,
                bgcolor,
            }),
            label,
            equivalents,
        })
}

fn catalog() -> impl Strategy<Value = Catalog> {
    (
        prop::option::of("[a-z]{1,8}"),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(any::<u32>()),
        any::<bool>(),
        prop::collection::vec(
            (prop::option::of(text()), prop::option::of(security_label())),
            0..5,
        ),
        prop::option::of(0usize..5),
    )
        .prop_map(
            |(to, name, desc, id, size, restrict, items, default)| Catalog {
                to: to.map(|n| format!("{n}.example").parse().unwrap()),
                from: None,
                name,
                desc,
                id,
                size,
                restrict,
                items: items
                    .into_iter()
                    .enumerate()
                    .map(|(i, (selector, label))| CatalogItem {
                        selector,
                        default: default == Some(i),
                        label,
                    })
                    .collect(),
                extensions: Vec::new(),
            },
        )
}

fn through_bytes(e: Element) -> Element {
    let xml = e.to_xml().expect("writable");
    Element::parse(xml.as_bytes()).expect("re-readable")
}

/// Arbitrary small trees in the label namespaces: any shape, a few names that matter.
fn tree() -> impl Strategy<Value = Element> {
    let names = prop::sample::select(vec![
        "securitylabel",
        "displaymarking",
        "label",
        "equivalentlabel",
        "esssecuritylabel",
        "catalog",
        "item",
        "x",
    ]);
    let nss = prop::sample::select(vec![
        seclabel::NS,
        seclabel::NS_ESS,
        seclabel::catalog::NS,
        "urn:a",
    ]);
    let attrs = prop::collection::vec(
        (
            prop::sample::select(vec![
                "fgcolor", "bgcolor", "to", "from", "size", "restrict", "default", "selector",
            ]),
            "[a-z0-9@./=+ -]{0,6}",
        ),
        0..3,
    );
    let leaf = (
        names.clone(),
        nss.clone(),
        attrs.clone(),
        "[A-Za-z0-9+/= ]{0,8}",
    )
        .prop_map(|(name, ns, attrs, text)| {
            let mut e = Element::builder(name, ns).text(text).build();
            for (k, v) in attrs {
                e.set_attr(k, v);
            }
            e
        });
    leaf.prop_recursive(4, 24, 4, move |inner| {
        (
            names.clone(),
            nss.clone(),
            attrs.clone(),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(name, ns, attrs, children)| {
                let mut e = Element::builder(name, ns).children(children).build();
                for (k, v) in attrs {
                    e.set_attr(k, v);
                }
                e
            })
    })
}

proptest! {
    /// L-01/L-02: every label, with its marking and equivalents, survives writing and reading.
    #[test]
    fn nato_l_01_security_labels_round_trip(l in security_label()) {
        let e = through_bytes(Element::from(l.clone()));
        let back = SecurityLabel::try_from(&e).unwrap();
        prop_assert_eq!(&back, &l);
        prop_assert_eq!(Element::from(back), e);
    }

    /// L-03: every catalog survives writing and reading.
    #[test]
    fn nato_l_03_catalogs_round_trip(c in catalog()) {
        let e = through_bytes(Element::from(c.clone()));
        let back = Catalog::try_from(&e).unwrap();
        prop_assert_eq!(&back, &c);
        prop_assert_eq!(Element::from(back), e);
    }

    /// Any tree is read into a value that writes back to something readable as the same
    /// value, or refused with a typed error; never a panic.
    #[test]
    fn arbitrary_trees_parse_or_fail_typed(e in tree()) {
        if let Ok(l) = SecurityLabel::try_from(&e) {
            prop_assert_eq!(SecurityLabel::try_from(&Element::from(l.clone())).unwrap(), l);
        }
        if let Ok(c) = Catalog::try_from(&e) {
            prop_assert_eq!(Catalog::try_from(&Element::from(c.clone())).unwrap(), c);
        }
        if let Ok(m) = DisplayMarking::try_from(&e) {
            prop_assert!(!m.text.trim().is_empty());
        }
        let wrapped = Element::builder("message", "jabber:client").child(e).build();
        if let Ok(m) = Message::try_from(&wrapped) {
            if let Err(err) = message_label(&m) {
                prop_assert_eq!(err.condition(), Condition::BadRequest);
            }
        }
    }
}
