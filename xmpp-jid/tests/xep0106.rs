//! XEP-0106 (JID Escaping, version 1.1, the seeds' generation): the XEP's examples.

use xmpp_jid::escape::{escape_node, unescape_node};
use xmpp_jid::{Jid, JidError, NodePart};

/// §5.1 "JID Examples": user input, escaped node, client display (= user input).
const JID_EXAMPLES: [(&str, &str); 12] = [
    ("space cadet", r"space\20cadet"),
    (r#"call me "ishmael""#, r"call\20me\20\22ishmael\22"),
    ("at&t guy", r"at\26t\20guy"),
    ("d'artagnan", r"d\27artagnan"),
    ("/.fanboy", r"\2f.fanboy"),
    ("::foo::", r"\3a\3afoo\3a\3a"),
    ("<foo>", r"\3cfoo\3e"),
    ("user@host", r"user\40host"),
    (r"c:\net", r"c\3a\5cnet"),
    (r"c:\\net", r"c\3a\5c\5cnet"),
    (r"c:\cool stuff", r"c\3a\5ccool\20stuff"),
    (r"c:\5commas", r"c\3a\5c5commas"),
];

#[test]
fn xep_0106_examples_unescape_to_the_user_input() {
    for (input, escaped) in JID_EXAMPLES {
        assert_eq!(unescape_node(escaped), input, "{escaped}");
        // Every escaped form is a valid node and stays as it is under Nodeprep.
        let jid = Jid::new(&format!("{escaped}@example.com")).unwrap();
        assert_eq!(jid.node(), Some(escaped));
        assert_eq!(jid.node_part().unwrap().unescape(), input);
    }
}

#[test]
fn xep_0106_examples_escape_as_the_business_rules_say() {
    // Rows 1-8 and 12 escape exactly as the table shows.
    for (input, escaped) in JID_EXAMPLES.iter().take(8).chain(&JID_EXAMPLES[11..]) {
        assert_eq!(escape_node(input).unwrap(), *escaped, "{input}");
    }
    // Rows 9-11 of version 1.1's table escape every backslash, which contradicts the
    // normative rules of the same version: §4.1 rule 7 escapes a backslash only where it
    // begins an escape sequence, and §4.3 says `foo\bar` "is not modified by escaping". We
    // follow the rules; both forms unescape to the same display string (checked above).
    for (input, escaped) in [
        (r"c:\net", r"c\3a\net"),
        (r"c:\\net", r"c\3a\\net"),
        (r"c:\cool stuff", r"c\3a\cool\20stuff"),
    ] {
        assert_eq!(escape_node(input).unwrap(), escaped, "{input}");
        assert_eq!(unescape_node(escaped), input);
    }
}

#[test]
fn xep_0106_exceptions_are_not_modified() {
    // §4.3: partial sequences and sequences for other characters stay as they are.
    for s in [r"\2plus\2is\4", r"foo\bar", r"foob\41r"] {
        assert_eq!(unescape_node(s), s);
        assert_eq!(escape_node(s).unwrap(), s);
    }
    // Case is significant: "\2F" is not an escape (and Nodeprep lower-cases it anyway).
    assert_eq!(unescape_node(r"a\2Fb"), r"a\2Fb");
}

#[test]
fn xep_0106_gateway_examples() {
    // §4.2 step 3 / §5.5: a Wireless Village address containing escape-like sequences.
    assert_eq!(
        escape_node(r"\3and\2is\5cool").unwrap(),
        r"\5c3and\2is\5c5cool"
    );
    assert_eq!(unescape_node(r"\5c3and\2is\5c5cool"), r"\3and\2is\5cool");
    // §5.2: an email address.
    assert_eq!(
        escape_node("here's_a_wild_&_/cr%zy/_address").unwrap(),
        r"here\27s_a_wild_\26_\2fcr%zy\2f_address"
    );
    // §5.5: IMPS. The XEP prints "IMPS" in upper case; Nodeprep folds it.
    let imps = escape_node(r#"here's_a_wild_&_/cr%zy/_address_for:<wv>("IMPS")"#).unwrap();
    assert_eq!(
        imps,
        r"here\27s_a_wild_\26_\2fcr%zy\2f_address_for\3a\3cwv\3e(\22imps\22)"
    );
    assert_eq!(
        NodePart::new(r"here\27s_a_wild_\26_\2fcr%zy\2f_address_for\3a\3cwv\3e(\22IMPS\22)")
            .unwrap(),
        imps
    );
    // §5.7: IRC.
    assert_eq!(
        escape_node(r#"somenick!user"&'/:<>\3address"#).unwrap(),
        r"somenick!user\22\26\27\2f\3a\3c\3e\5c3address"
    );
    assert_eq!(
        unescape_node(r"somenick!user\22\26\27\2f\3a\3c\3e\5c3address"),
        r#"somenick!user"&'/:<>\3address"#
    );
    // §3.3: the SMTP gateway example.
    let jid = Jid::new(
        r"tr\u{e9}ville\40musketeers.lit@smtp.gascon.fr"
            .replace(r"\u{e9}", "é")
            .as_str(),
    )
    .unwrap();
    assert_eq!(
        jid.node_part().unwrap().unescape(),
        "tréville@musketeers.lit"
    );
}

#[test]
fn xep_0106_a_node_may_not_begin_or_end_with_an_escaped_space() {
    assert_eq!(
        escape_node(" cadet").unwrap_err(),
        JidError::EscapeEdgeSpace
    );
    assert_eq!(
        escape_node("cadet ").unwrap_err(),
        JidError::EscapeEdgeSpace
    );
    // Look-alike spaces reduce to U+0020 under Nodeprep's NFKC and are treated the same way.
    assert_eq!(escape_node("space\u{A0}cadet").unwrap(), r"space\20cadet");
    assert_eq!(
        escape_node("\u{3000}cadet").unwrap_err(),
        JidError::EscapeEdgeSpace
    );
    // So are look-alikes of the other characters, and case is folded.
    assert_eq!(escape_node("User＠Host").unwrap(), r"user\40host");
    // Other characters Nodeprep refuses stay errors.
    assert!(matches!(
        escape_node("a\u{7}b"),
        Err(JidError::Prohibited { .. })
    ));
    assert_eq!(
        escape_node("").unwrap_err(),
        JidError::Empty(xmpp_jid::Part::Node)
    );
}
