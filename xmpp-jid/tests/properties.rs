//! Property tests: display/parse round trips, idempotent preparation, parsers that agree with
//! each other on any input (and never panic), and XEP-0106 round trips.

use proptest::prelude::*;
use xmpp_jid::escape::{escape_node, unescape_node};
use xmpp_jid::{BareJid, DomainPart, FullJid, Jid, NodePart, ResourcePart};

/// Strings that look like JIDs, with the characters that matter to the rules over-represented.
fn jid_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => "[a-zA-Z0-9]{1,6}",
        2 => Just("@".to_owned()),
        2 => Just("/".to_owned()),
        3 => Just(".".to_owned()),
        1 => Just("-".to_owned()),
        1 => Just("xn--".to_owned()),
        1 => Just(" ".to_owned()),
        1 => "[\"&'<>:\\\\_]",
        2 => "[ÄÖÜäöüßİıﬁＡ-Ｚａ-ｚ。．｡\u{AD}\u{200B}\u{A0}\u{301}\u{5D0}-\u{5EA}\u{627}-\u{64A}]",
        1 => "[\u{0}-\u{1F}\u{7F}-\u{9F}]",
        2 => any::<char>().prop_map(String::from),
        1 => Just("[::1]".to_owned()),
        1 => Just("192.0.2.1".to_owned()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Valid JIDs built from parts that prepare successfully.
fn valid_jid() -> impl Strategy<Value = Jid> {
    jid_like().prop_filter_map("not a JID", |s| Jid::new(&s).ok())
}

/// Whatever the input, the parsers answer consistently (and none panics): the typed JIDs accept
/// exactly the JIDs of their shape, a JID's parts are valid parts, a valid part is read back as
/// that part inside a JID, and escaping gives a valid node.
fn parsers_agree(s: &str) -> Result<(), TestCaseError> {
    match Jid::new(s) {
        Ok(jid) => {
            prop_assert_eq!(BareJid::new(s).is_ok(), jid.is_bare(), "{:?}", s);
            prop_assert_eq!(FullJid::new(s).is_ok(), jid.is_full(), "{:?}", s);
            prop_assert_eq!(jid.is_bare(), !jid.is_full());
            let again = Jid::new(jid.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&jid));
            let domain = DomainPart::new(jid.domain()).unwrap();
            prop_assert_eq!(domain.as_str(), jid.domain());
            if let Some(node) = jid.node() {
                let part = NodePart::new(node).unwrap();
                prop_assert_eq!(part.as_str(), node);
            }
            if let Some(resource) = jid.resource() {
                let part = ResourcePart::new(resource).unwrap();
                prop_assert_eq!(part.as_str(), resource);
            }
        }
        Err(_) => {
            prop_assert!(BareJid::new(s).is_err(), "{:?}", s);
            prop_assert!(FullJid::new(s).is_err(), "{:?}", s);
        }
    }
    if let Ok(node) = NodePart::new(s) {
        let jid = Jid::new(&format!("{}@example.com", node.as_str())).unwrap();
        prop_assert_eq!(jid.node(), Some(node.as_str()));
    }
    if let Ok(domain) = DomainPart::new(s) {
        let jid = Jid::new(domain.as_str()).unwrap();
        prop_assert_eq!(jid.domain(), domain.as_str());
    }
    if let Ok(resource) = ResourcePart::new(s) {
        let jid = Jid::new(&format!("example.com/{}", resource.as_str())).unwrap();
        prop_assert_eq!(jid.resource(), Some(resource.as_str()));
    }
    if let Ok(escaped) = escape_node(s) {
        prop_assert_eq!(NodePart::new(escaped.as_str()).unwrap(), escaped.clone());
        let jid = format!("{}@example.com", escaped.as_str());
        prop_assert!(Jid::new(&jid).is_ok(), "{:?}", jid);
    }
    let unescaped = unescape_node(s);
    prop_assert!(unescaped.len() <= s.len());
    if !s.contains('\\') {
        prop_assert_eq!(unescaped.as_ref(), s);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_agree_on_any_string(s in any::<String>()) {
        parsers_agree(&s)?;
    }

    #[test]
    fn parsers_agree_on_jid_like_strings(s in jid_like()) {
        parsers_agree(&s)?;
    }

    #[test]
    fn parse_display_round_trip(jid in valid_jid()) {
        let shown = jid.to_string();
        let again = Jid::new(&shown).expect("a displayed JID parses");
        prop_assert_eq!(&again, &jid);
        prop_assert_eq!(again.node(), jid.node());
        prop_assert_eq!(again.domain(), jid.domain());
        prop_assert_eq!(again.resource(), jid.resource());
        // The typed variants agree.
        match jid.clone().try_into_full() {
            Ok(full) => {
                prop_assert_eq!(FullJid::new(&shown).unwrap(), full.clone());
                let bare_len = jid.as_str().len() - full.resource().len() - 1;
                prop_assert_eq!(full.to_bare().to_string(), &jid.as_str()[..bare_len]);
            }
            Err(bare) => prop_assert_eq!(BareJid::new(&shown).unwrap(), bare),
        }
    }

    #[test]
    fn preparation_is_idempotent(s in jid_like()) {
        if let Ok(jid) = Jid::new(&s) {
            let twice = Jid::new(jid.as_str()).expect("prepared form is valid");
            prop_assert_eq!(twice.as_str(), jid.as_str());
        }
        for part in s.split(['@', '/']) {
            if let Ok(n) = NodePart::new(part) {
                prop_assert_eq!(NodePart::new(n.as_str()).unwrap(), n.clone());
            }
            if let Ok(d) = DomainPart::new(part) {
                prop_assert_eq!(DomainPart::new(d.as_str()).unwrap(), d.clone());
                // The ACE form prepares back to the stored form.
                let ace = d.to_ascii().into_owned();
                prop_assert_eq!(DomainPart::new(&ace).unwrap(), d.clone());
            }
            if let Ok(r) = ResourcePart::new(part) {
                prop_assert_eq!(ResourcePart::new(r.as_str()).unwrap(), r.clone());
            }
        }
    }

    #[test]
    fn parts_reassemble_to_the_same_jid(jid in valid_jid()) {
        let node = jid.node_part();
        let rebuilt = Jid::from_parts(node.as_ref(), &jid.domain_part(), jid.resource_part().as_ref());
        prop_assert_eq!(rebuilt, jid);
    }

    #[test]
    fn escaping_round_trips_through_unescaping(s in "[a-z0-9 \"&'/:<>@\\\\.]{1,24}") {
        prop_assume!(!s.starts_with(' ') && !s.ends_with(' '));
        let escaped = escape_node(&s).expect("escapable");
        let jid = format!("{escaped}@example.com");
        prop_assert!(Jid::new(&jid).is_ok());
        prop_assert_eq!(unescape_node(&escaped), s.as_str());
    }
}
