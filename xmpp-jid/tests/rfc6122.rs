//! Every preparation rule of RFC 6122 §2 (with the draft digest in core-spec.md §2.1), each
//! with the exact prepared output or the exact error.

use xmpp_jid::{
    BareJid, BidiViolation, CodePoint, DomainPart, FullJid, Jid, JidError, LabelError,
    MAX_INPUT_LEN, NodePart, Part, Prohibition, ResourcePart,
};

fn ok(input: &str) -> String {
    match Jid::new(input) {
        Ok(jid) => jid.to_string(),
        Err(e) => panic!("{input:?} should parse: {e}"),
    }
}

fn err(input: &str) -> JidError {
    match Jid::new(input) {
        Ok(jid) => panic!("{input:?} should fail, gave {jid}"),
        Err(e) => e,
    }
}

fn prohibited(part: Part, ch: char, table: Prohibition) -> JidError {
    JidError::Prohibited {
        part,
        ch: CodePoint(ch),
        table,
    }
}

fn label(index: usize, reason: LabelError) -> JidError {
    JidError::DomainLabel { index, reason }
}

// ---------------------------------------------------------------------------------------------
// Shape and splitting (UCR-ADDR-2..6, RFC 6122 §2.1, core-spec §2.1 "Grammar", "Splitting")
// ---------------------------------------------------------------------------------------------

#[test]
fn ucr_addr_2_all_four_shapes_parse_and_a_bare_domain_is_valid() {
    for (input, node, domain, resource) in [
        ("example.com", None, "example.com", None),
        ("example.com/res", None, "example.com", Some("res")),
        ("node@example.com", Some("node"), "example.com", None),
        (
            "node@example.com/res",
            Some("node"),
            "example.com",
            Some("res"),
        ),
    ] {
        let jid = Jid::new(input).unwrap();
        assert_eq!(jid.node(), node, "{input}");
        assert_eq!(jid.domain(), domain, "{input}");
        assert_eq!(jid.resource(), resource, "{input}");
        assert_eq!(jid.to_string(), input);
        let shown = jid.to_string();
        assert_eq!(Jid::new(&shown).unwrap(), jid);
    }
}

#[test]
fn ucr_addr_3_a_domain_alone_names_a_service() {
    let muc = Jid::new("conference.chat.dod.mil").unwrap();
    assert!(muc.is_bare());
    assert_eq!(muc.node(), None);
    assert_eq!(muc.domain(), "conference.chat.dod.mil");
    // An unqualified local host name is a valid domain too.
    assert_eq!(ok("localhost"), "localhost");
}

#[test]
fn ucr_addr_4_a_node_is_scoped_to_its_domain() {
    let a = Jid::new("room@conference.example.com").unwrap();
    let b = Jid::new("room@conference.example.net").unwrap();
    assert_eq!(a.node(), b.node());
    assert_ne!(a, b);
    assert_eq!(a.node(), Some("room"));
}

#[test]
fn ucr_addr_5_a_resource_can_qualify_a_bare_domain() {
    let jid = Jid::new("example.mil/res").unwrap();
    assert_eq!(jid.node(), None);
    assert_eq!(jid.domain(), "example.mil");
    assert_eq!(jid.resource(), Some("res"));
    let occupant = FullJid::new("room@conference.example.mil/Nick Name").unwrap();
    assert_eq!(occupant.resource(), "Nick Name");
}

#[test]
fn ucr_addr_6_table_5_7_3_1_examples_bare_and_full() {
    let full = FullJid::new("john.smith@chat.dod.mil/XMPP Desktop Client").unwrap();
    assert_eq!(full.node(), Some("john.smith"));
    assert_eq!(full.domain(), "chat.dod.mil");
    assert_eq!(full.resource(), "XMPP Desktop Client");
    let bare = BareJid::new("john.smith@chat.dod.mil").unwrap();
    assert_eq!(full.to_bare(), bare);
    assert_eq!(full.as_jid().to_bare(), bare);
    assert_ne!(*full.as_jid(), *bare.as_jid());
    assert_eq!(bare.with_resource_str("XMPP Desktop Client").unwrap(), full);
}

#[test]
fn ucr_addr_1_equivalent_spellings_are_one_address() {
    let canonical = Jid::new("juliet@bücher.example/Balcony").unwrap();
    for spelling in [
        "JULIET@BÜCHER.EXAMPLE/Balcony",
        "Juliet@xn--bcher-kva.example/Balcony",
        "juliet@XN--BCHER-KVA.example./Balcony",
        "ＪＵＬＩＥＴ@ｂüｃｈｅｒ．ｅｘａｍｐｌｅ/Balcony",
        "jul\u{AD}iet@bu\u{308}cher.example。/Balcony",
    ] {
        assert_eq!(Jid::new(spelling).unwrap(), canonical, "{spelling}");
    }
    // The resource is case-sensitive: a different address.
    assert_ne!(
        Jid::new("juliet@bücher.example/balcony").unwrap(),
        canonical
    );
}

#[test]
fn core_spec_2_1_split_at_first_slash_then_first_at() {
    let jid = Jid::new("a@b/c@d/e").unwrap();
    assert_eq!(
        (jid.node(), jid.domain(), jid.resource()),
        (Some("a"), "b", Some("c@d/e"))
    );
    let jid = Jid::new("a/b@c").unwrap();
    assert_eq!(
        (jid.node(), jid.domain(), jid.resource()),
        (None, "a", Some("b@c"))
    );
}

#[test]
fn core_spec_2_1_several_ats_before_the_slash_are_malformed() {
    // RFC 6122 §2.1: the first '@' ends the node, so the rest of them land in the domain,
    // where STD3 rules refuse '@'.
    assert_eq!(
        err("ch@r@cters@chat.example.com/JulieC"),
        label(0, LabelError::NotLdh(CodePoint('@')))
    );
}

#[test]
fn core_spec_2_1_zero_length_parts_are_malformed() {
    assert_eq!(err(""), JidError::Empty(Part::Domain));
    assert_eq!(err("@example.com"), JidError::Empty(Part::Node));
    assert_eq!(err("user@"), JidError::Empty(Part::Domain));
    assert_eq!(err("example.com/"), JidError::Empty(Part::Resource));
    assert_eq!(err("a@/r"), JidError::Empty(Part::Domain));
    assert_eq!(err("/r"), JidError::Empty(Part::Domain));
    assert_eq!(err("."), JidError::Empty(Part::Domain));
    // Empty after preparation: soft hyphens map to nothing (table B.1).
    assert_eq!(err("\u{AD}\u{AD}@example.com"), JidError::Empty(Part::Node));
    assert_eq!(err("example.com/\u{200B}"), JidError::Empty(Part::Resource));
}

#[test]
fn core_spec_2_1_ascii_space_and_separators_are_legal_in_a_resource() {
    assert_eq!(
        ok("a@b/ \"quoted\" & 'more' <x> @home/ok"),
        "a@b/ \"quoted\" & 'more' <x> @home/ok"
    );
}

// ---------------------------------------------------------------------------------------------
// Case folding and compatibility mappings
// ---------------------------------------------------------------------------------------------

#[test]
fn node_and_domain_are_case_folded_resource_keeps_case() {
    assert_eq!(
        ok("JuLiEt@CaPuLeT.CoM/BaLcOnY"),
        "juliet@capulet.com/BaLcOnY"
    );
    // Table B.2 beyond ASCII.
    assert_eq!(ok("ÄÖÜ@example.com"), "äöü@example.com");
    assert_eq!(ok("Straße@example.com"), "strasse@example.com");
    assert_eq!(ok("ΣΊΣΥΦΟΣ@example.com"), "σίσυφοσ@example.com");
    assert_eq!(ok("İ@example.com"), "i\u{307}@example.com");
    assert_eq!(ok("ÄÖÜ.example"), "äöü.example");
    assert_eq!(ok("example.com/ÄÖÜ"), "example.com/ÄÖÜ");
}

#[test]
fn compatibility_mappings_fullwidth_ligatures_and_composition() {
    // Fullwidth letters (NFKC), then case folding in the node.
    assert_eq!(ok("ＪＵＬＩＥＴ@example.com"), "juliet@example.com");
    // Resourceprep has NFKC but no case folding.
    assert_eq!(ok("example.com/ＢＡＬＣＯＮＹ"), "example.com/BALCONY");
    // Ligatures.
    assert_eq!(ok("ﬁnn@example.com/ﬂower"), "finn@example.com/flower");
    assert_eq!(ok("ﬃ.example"), "ffi.example");
    // Decomposed input is composed.
    assert_eq!(ok("e\u{301}@example.com/e\u{301}"), "é@example.com/é");
    // Superscripts, circled letters, the Kelvin sign, the Ångström sign.
    assert_eq!(ok("x²@example.com"), "x2@example.com");
    assert_eq!(ok("ⓐ@example.com/\u{212A}"), "a@example.com/K");
    assert_eq!(ok("\u{212B}@example.com"), "å@example.com");
    // A no-break space is NFKC-mapped to a space: legal in a resource.
    assert_eq!(ok("example.com/a\u{A0}b"), "example.com/a b");
}

#[test]
fn table_b1_characters_are_mapped_to_nothing() {
    assert_eq!(
        ok("ju\u{AD}li\u{200B}et@exa\u{AD}mple.com/bal\u{FEFF}cony\u{FE0F}"),
        "juliet@example.com/balcony"
    );
}

// ---------------------------------------------------------------------------------------------
// Prohibited output, per profile (RFC 3454 appendix C)
// ---------------------------------------------------------------------------------------------

#[test]
fn nodeprep_prohibitions() {
    use Prohibition::*;
    for (node, ch, table) in [
        ("a b", ' ', AsciiSpace),
        ("a\u{A0}b", ' ', AsciiSpace), // NFKC gives U+0020
        ("a\u{1680}b", '\u{1680}', NonAsciiSpace),
        ("a\u{7}b", '\u{7}', AsciiControl),
        ("a\u{7F}b", '\u{7F}', AsciiControl),
        ("a\u{85}b", '\u{85}', NonAsciiControl),
        ("a\u{2028}b", '\u{2028}', NonAsciiControl),
        ("a\u{E000}b", '\u{E000}', PrivateUse),
        ("a\u{FDD0}b", '\u{FDD0}', NonCharacter),
        ("a\u{FFFD}b", '\u{FFFD}', InappropriateForPlainText),
        ("a\u{2FF0}b", '\u{2FF0}', InappropriateForCanonical),
        ("a\u{200E}b", '\u{200E}', DisplayProperty),
        ("a\u{E0001}b", '\u{E0001}', Tagging),
        ("a\"b", '"', NodeprepAscii),
        ("a&b", '&', NodeprepAscii),
        ("a'b", '\'', NodeprepAscii),
        ("a:b", ':', NodeprepAscii),
        ("a<b", '<', NodeprepAscii),
        ("a>b", '>', NodeprepAscii),
        ("ａ＠b", '@', NodeprepAscii), // fullwidth @ is NFKC-mapped to '@'
    ] {
        assert_eq!(
            err(&format!("{node}@example.com")),
            prohibited(Part::Node, ch, table),
            "{node:?}"
        );
    }
    // '/' and '@' cannot reach the node through a JID, only through NodePart.
    assert_eq!(
        NodePart::new("a/b").unwrap_err(),
        prohibited(Part::Node, '/', NodeprepAscii)
    );
    assert_eq!(
        NodePart::new("a@b").unwrap_err(),
        prohibited(Part::Node, '@', NodeprepAscii)
    );
}

#[test]
fn resourceprep_prohibitions() {
    use Prohibition::*;
    for (resource, ch, table) in [
        ("a\u{0}b", '\u{0}', AsciiControl),
        ("a\tb", '\t', AsciiControl),
        ("a\u{1680}b", '\u{1680}', NonAsciiSpace),
    ] {
        assert_eq!(
            err(&format!("example.com/{resource}")),
            prohibited(Part::Resource, ch, table),
            "{resource:?}"
        );
    }
    for (resource, ch, table) in [
        ("a\u{9F}b", '\u{9F}', NonAsciiControl),
        ("a\u{F8FF}b", '\u{F8FF}', PrivateUse),
        ("a\u{10FFFD}b", '\u{10FFFD}', PrivateUse),
        ("a\u{FFFF}b", '\u{FFFF}', NonCharacter),
        ("a\u{FFFD}b", '\u{FFFD}', InappropriateForPlainText),
        ("a\u{2FFB}b", '\u{2FFB}', InappropriateForCanonical),
        ("a\u{202E}b", '\u{202E}', DisplayProperty),
        ("a\u{E007F}b", '\u{E007F}', Tagging),
    ] {
        assert_eq!(
            err(&format!("example.com/{resource}")),
            prohibited(Part::Resource, ch, table),
            "{resource:?}"
        );
    }
    // The ideographic space is NFKC-mapped to U+0020, which Resourceprep allows.
    assert_eq!(ok("example.com/a\u{3000}b"), "example.com/a b");
}

#[test]
fn nameprep_and_std3_prohibitions_in_the_domain() {
    assert_eq!(
        err("a@exa\u{1680}mple.com"),
        prohibited(Part::Domain, '\u{1680}', Prohibition::NonAsciiSpace)
    );
    assert_eq!(
        err("a@ex\u{E000}.com"),
        prohibited(Part::Domain, '\u{E000}', Prohibition::PrivateUse)
    );
    // Nameprep allows ASCII space and controls; STD3 rules refuse them.
    assert_eq!(
        err("a@exa mple.com"),
        label(0, LabelError::NotLdh(CodePoint(' ')))
    );
    assert_eq!(
        err("under_score.example.com"),
        label(0, LabelError::NotLdh(CodePoint('_')))
    );
    assert_eq!(
        err("example.c\u{1}m"),
        label(1, LabelError::NotLdh(CodePoint('\u{1}')))
    );
    // ONE DOT LEADER is NFKC-mapped to '.', inside a label: refused.
    assert_eq!(
        err("a\u{2024}b.example"),
        label(0, LabelError::NotLdh(CodePoint('.')))
    );
}

// ---------------------------------------------------------------------------------------------
// Bidi (RFC 3454 §6)
// ---------------------------------------------------------------------------------------------

#[test]
fn bidi_rule_violations_per_part() {
    let mixed = BidiViolation::MixedDirections;
    let edges = BidiViolation::RightToLeftNotAtEdges;
    for (input, part, violation) in [
        ("\u{5D0}a@example.com", Part::Node, mixed),
        ("\u{5D0}1@example.com", Part::Node, edges),
        ("1\u{627}@example.com", Part::Node, edges),
        ("example.com/\u{5D0}x\u{5D1}", Part::Resource, mixed),
        ("example.com/\u{5D0} ", Part::Resource, edges),
        ("\u{5D0}x.example", Part::Domain, mixed),
    ] {
        assert_eq!(err(input), JidError::Bidi { part, violation }, "{input:?}");
    }
}

#[test]
fn right_to_left_parts_that_follow_the_rule_are_accepted() {
    assert_eq!(
        ok("\u{5D0}\u{5D1}@example.com/\u{627}1\u{628}"),
        "\u{5D0}\u{5D1}@example.com/\u{627}1\u{628}"
    );
    // Nameprep and its bidi rule apply per label (RFC 3490): an RTL label beside LTR ones.
    assert_eq!(
        ok("user@\u{5E2}\u{5D1}\u{5E8}\u{5D9}\u{5EA}.example"),
        "user@\u{5E2}\u{5D1}\u{5E8}\u{5D9}\u{5EA}.example"
    );
}

// ---------------------------------------------------------------------------------------------
// Unicode 3.2 repertoire
// ---------------------------------------------------------------------------------------------

#[test]
fn characters_unassigned_in_unicode_3_2_are_refused() {
    for (input, part, ch) in [
        ("\u{221}@example.com", Part::Node, '\u{221}'),
        ("a@\u{20BF}.example", Part::Domain, '\u{20BF}'),
        ("a@example.com/\u{1F600}", Part::Resource, '\u{1F600}'),
        // Assigned in 4.0 and NFKC-mapped to 'A' by today's tables: still refused.
        ("\u{1D2C}@example.com", Part::Node, '\u{1D2C}'),
    ] {
        assert_eq!(
            err(input),
            JidError::Unassigned {
                part,
                ch: CodePoint(ch)
            },
            "{input:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Lengths (feature set 2.1-2, 2.2-2, 2.3-2: 1023 bytes after preparation)
// ---------------------------------------------------------------------------------------------

#[test]
fn node_length_limit_1023_bytes_after_preparation() {
    let n1023 = "a".repeat(1023);
    assert_eq!(
        ok(&format!("{n1023}@example.com")),
        format!("{n1023}@example.com")
    );
    assert_eq!(
        err(&format!("{}@example.com", "a".repeat(1024))),
        JidError::TooLong {
            part: Part::Node,
            len: 1024
        }
    );
    // 3069 raw bytes of fullwidth letters prepare to 1023 bytes: accepted.
    assert_eq!(
        ok(&format!("{}@example.com", "Ａ".repeat(1023))),
        format!("{n1023}@example.com")
    );
    assert_eq!(
        err(&format!("{}@example.com", "Ａ".repeat(1024))),
        JidError::TooLong {
            part: Part::Node,
            len: 1024
        }
    );
    // Multi-byte prepared characters count in bytes: 511 × 'é' (2 bytes) + 'a' = 1023.
    let n = format!("{}a", "é".repeat(511));
    assert_eq!(ok(&format!("{n}@x")), format!("{n}@x"));
    assert_eq!(
        err(&format!("{}@x", "é".repeat(512))),
        JidError::TooLong {
            part: Part::Node,
            len: 1024
        }
    );
}

#[test]
fn resource_length_limit_1023_bytes_after_preparation() {
    let r1023 = "R".repeat(1023);
    assert_eq!(ok(&format!("x/{r1023}")), format!("x/{r1023}"));
    assert_eq!(
        err(&format!("x/{}", "R".repeat(1024))),
        JidError::TooLong {
            part: Part::Resource,
            len: 1024
        }
    );
    // NFKC can also grow a resource: U+FDFA is 18 characters (33 bytes) after NFKC.
    let grows = "\u{FDFA}".repeat(32); // 96 raw bytes, 1056 prepared
    assert!(matches!(
        err(&format!("x/{grows}")),
        JidError::TooLong {
            part: Part::Resource,
            len: 1056
        }
    ));
}

#[test]
fn domain_length_limit_1023_bytes_and_63_octet_labels() {
    let label63 = "d".repeat(63);
    let d1023 = vec![label63.as_str(); 16].join("."); // 16 × 63 + 15 dots
    assert_eq!(d1023.len(), 1023);
    assert_eq!(ok(&d1023), d1023);
    // With the trailing dot removed first, 1024 raw bytes are fine.
    assert_eq!(ok(&format!("{d1023}.")), d1023);
    // 15 labels of 63, one of 62 and one of 1, with 16 dots: 1024 bytes.
    let d1024 = format!(
        "{}.{}.e",
        vec![label63.as_str(); 15].join("."),
        "d".repeat(62)
    );
    assert_eq!(d1024.len(), 1024);
    assert_eq!(
        err(&d1024),
        JidError::TooLong {
            part: Part::Domain,
            len: 1024
        }
    );
    assert_eq!(
        err(&format!("{}.example", "d".repeat(64))),
        label(0, LabelError::TooLong { len: 64 })
    );
    // The 63-octet limit applies to the ACE form of a non-ASCII label.
    // "ü" + 57 × "a" is, in ACE form, "xn--", the 57 letters, "-" and 3 Punycode digits:
    // 65 octets. With 55 letters it is exactly 63.
    let u57 = format!("ü{}", "a".repeat(57));
    assert_eq!(
        err(&format!("{u57}.example")),
        label(0, LabelError::TooLong { len: 65 })
    );
    let u55 = format!("ü{}", "a".repeat(55));
    assert_eq!(ok(&format!("{u55}.example")), format!("{u55}.example"));
    assert_eq!(DomainPart::new(&u55).unwrap().to_ascii().len(), 63);
}

#[test]
fn full_jid_of_3071_bytes_is_accepted() {
    let n = "n".repeat(1023);
    let d = vec!["d".repeat(63); 16].join(".");
    let r = "r".repeat(1023);
    let s = format!("{n}@{d}/{r}");
    assert_eq!(s.len(), 3071);
    assert_eq!(ok(&s), s);
}

#[test]
fn input_over_the_limit_is_refused_before_preparation() {
    let huge = format!("a@b/{}", "\u{AD}".repeat(MAX_INPUT_LEN));
    assert_eq!(
        err(&huge),
        JidError::InputTooLong {
            len: huge.len(),
            max: MAX_INPUT_LEN
        }
    );
    let long = "\u{AD}".repeat(MAX_INPUT_LEN);
    for e in [
        NodePart::new(&long).unwrap_err(),
        DomainPart::new(&long).unwrap_err(),
        ResourcePart::new(&long).unwrap_err(),
        xmpp_jid::escape::escape_node(&long).unwrap_err(),
    ] {
        assert_eq!(
            e,
            JidError::InputTooLong {
                len: long.len(),
                max: MAX_INPUT_LEN
            }
        );
    }
    // Under the limit, what maps to nothing is simply dropped.
    let shrinks = format!("a@b/{}x", "\u{AD}".repeat(2000));
    assert_eq!(ok(&shrinks), "a@b/x");
}

// ---------------------------------------------------------------------------------------------
// Domain: trailing dot, labels, IDNA, IP literals
// ---------------------------------------------------------------------------------------------

#[test]
fn a_trailing_dot_is_removed_from_the_domain() {
    assert_eq!(ok("example.com."), "example.com");
    assert_eq!(ok("a@example.com./r"), "a@example.com/r");
    assert_eq!(ok("example。"), "example");
    assert_eq!(ok("example．com｡"), "example.com");
    // Only one: a second one leaves an empty label.
    assert_eq!(err("example.com.."), label(2, LabelError::Empty));
    assert_eq!(err(".example.com"), label(0, LabelError::Empty));
    assert_eq!(err("a..b"), label(1, LabelError::Empty));
}

#[test]
fn idna_label_separators_split_labels() {
    assert_eq!(ok("a@ｅｘａｍｐｌｅ．ｃｏｍ"), "a@example.com");
    assert_eq!(ok("a@例え。テスト"), "a@例え.テスト");
}

#[test]
fn std3_hyphen_rules() {
    assert_eq!(err("-a.example"), label(0, LabelError::LeadingHyphen));
    assert_eq!(err("a.b-.example"), label(1, LabelError::TrailingHyphen));
    assert_eq!(ok("a--b.ex-ample"), "a--b.ex-ample");
    assert_eq!(ok("123.example"), "123.example");
}

#[test]
fn ace_labels_are_stored_as_u_labels() {
    assert_eq!(ok("xn--bcher-kva.example"), "bücher.example");
    assert_eq!(ok("XN--BCHER-KVA.EXAMPLE"), "bücher.example");
    let d = DomainPart::new("xn--bcher-kva.example").unwrap();
    assert_eq!(d, "bücher.example");
    assert_eq!(d.to_ascii(), "xn--bcher-kva.example");
    assert_eq!(
        Jid::new("ÄÖÜ.example").unwrap().domain_part().to_ascii(),
        "xn--4ca0bs.example"
    );
    // ACE labels that ToUnicode cannot turn into a valid U-label stay as they are.
    assert_eq!(ok("xn--ls8h.example"), "xn--ls8h.example"); // U+1F4A9: not in Unicode 3.2
    assert_eq!(ok("xn--a-so7g.example"), "xn--a-so7g.example"); // "a" + U+E000 (private use)
    assert_eq!(ok("xn--99999999999.example"), "xn--99999999999.example"); // Punycode overflow
    // A non-ASCII label may not begin with the ACE prefix (ToASCII step 5).
    assert_eq!(err("xn--ü.example"), label(0, LabelError::AcePrefix));
}

#[test]
fn ip_literals_are_kept_as_given() {
    assert_eq!(ok("user@192.168.0.1/r"), "user@192.168.0.1/r");
    assert_eq!(ok("[::1]"), "[::1]");
    assert_eq!(ok("user@[2001:DB8::1]/r"), "user@[2001:DB8::1]/r");
    assert_eq!(ok("[::ffff:192.0.2.1]"), "[::ffff:192.0.2.1]");
    let d = DomainPart::new("[2001:db8::1]").unwrap();
    assert_eq!(d.ip_addr(), Some("2001:db8::1".parse().unwrap()));
    assert_eq!(
        DomainPart::new("10.0.0.1").unwrap().ip_addr(),
        Some("10.0.0.1".parse().unwrap())
    );
    assert_eq!(DomainPart::new("example.com").unwrap().ip_addr(), None);
    // Brackets must hold an IPv6 address; RFC 6122 requires the brackets.
    assert_eq!(err("[::1]:5222"), JidError::InvalidIpLiteral);
    assert_eq!(err("[example.com]"), JidError::InvalidIpLiteral);
    assert_eq!(err("[1.2.3.4]"), JidError::InvalidIpLiteral);
    assert_eq!(err("::1"), label(0, LabelError::NotLdh(CodePoint(':'))));
    // Not an IPv4 address, but all-digit labels are valid host names.
    assert_eq!(ok("1.2.3.256"), "1.2.3.256");
}

// ---------------------------------------------------------------------------------------------
// Types, conversions, Borrow
// ---------------------------------------------------------------------------------------------

#[test]
fn bare_and_full_types_enforce_their_kind() {
    assert_eq!(
        BareJid::new("a@b/c").unwrap_err(),
        JidError::ResourceNotAllowed
    );
    assert_eq!(FullJid::new("a@b").unwrap_err(), JidError::ResourceRequired);
    let jid = Jid::new("a@b/c").unwrap();
    let full = FullJid::try_from(jid.clone()).unwrap();
    assert_eq!(
        BareJid::try_from(jid.clone()).unwrap_err(),
        JidError::ResourceNotAllowed
    );
    assert_eq!(Jid::from(full.clone()), jid);
    assert_eq!(jid.clone().try_into_full().unwrap(), full);
    let bare = Jid::new("a@b").unwrap().try_into_full().unwrap_err();
    assert_eq!(bare.as_str(), "a@b");
    assert_eq!(BareJid::from(full.clone()), bare);
    assert_eq!(full.clone().into_bare(), bare);
    assert_eq!(jid.into_bare(), bare);
}

#[test]
fn parts_build_addresses_without_rechecking() {
    let node = NodePart::new("Juliet").unwrap();
    let domain = DomainPart::new("Capulet.Example.").unwrap();
    let resource = ResourcePart::new("Balcony").unwrap();
    assert_eq!(node, "juliet");
    assert_eq!(domain, "capulet.example");
    let full = FullJid::from_parts(Some(&node), &domain, &resource);
    assert_eq!(full.as_str(), "juliet@capulet.example/Balcony");
    assert_eq!(full.node_part(), Some(node.clone()));
    assert_eq!(full.domain_part(), domain);
    assert_eq!(full.resource_part(), resource);
    let bare = BareJid::from_parts(None, &domain);
    assert_eq!(bare.as_str(), "capulet.example");
    assert_eq!(
        Jid::from_parts(Some(&node), &domain, None),
        Jid::new("juliet@capulet.example").unwrap()
    );
    let other = ResourcePart::new("Garden").unwrap();
    assert_eq!(
        full.with_resource(&other).as_str(),
        "juliet@capulet.example/Garden"
    );
    assert_eq!(
        full.with_resource_str("a\u{0}b").unwrap_err(),
        prohibited(Part::Resource, '\u{0}', Prohibition::AsciiControl)
    );
}

#[test]
fn parts_borrow_when_already_prepared() {
    use std::borrow::Cow;
    let input = String::from("juliet");
    let node = NodePart::new(&input).unwrap();
    assert_eq!(node.as_str().as_ptr(), input.as_ptr());
    let input = String::from("example.com.");
    let domain = DomainPart::new(&input).unwrap();
    assert_eq!(domain.as_str().as_ptr(), input.as_ptr());
    assert_eq!(domain, "example.com");
    // Preparation that changes the text owns the result.
    let folded = NodePart::new("ÄB").unwrap();
    assert_eq!(folded, "äb");
    assert!(matches!(folded.unescape(), Cow::Borrowed("äb")));
}

#[test]
fn maps_keyed_by_one_type_are_queried_with_a_jid() {
    use std::collections::{BTreeMap, HashMap, HashSet};
    let full = FullJid::new("a@b/c").unwrap();
    let bare = BareJid::new("a@b").unwrap();
    let mut by_full: HashMap<FullJid, u8> = HashMap::new();
    by_full.insert(full.clone(), 1);
    let mut by_bare: BTreeMap<BareJid, u8> = BTreeMap::new();
    by_bare.insert(bare.clone(), 2);
    let mut by_jid: HashSet<Jid> = HashSet::new();
    by_jid.insert(full.as_jid().clone());

    let query = Jid::new("A@B/c").unwrap();
    assert_eq!(by_full.get(&query), Some(&1));
    assert_eq!(by_full.get(bare.as_jid()), None);
    assert_eq!(by_bare.get(&query.to_bare().into_jid()), Some(&2));
    assert_eq!(by_bare.get(full.as_jid()), None);
    assert!(by_jid.contains(full.as_jid()));
    // Borrow requires equal hashes and orderings through the borrow.
    use std::hash::BuildHasher;
    let h = std::collections::hash_map::RandomState::new();
    assert_eq!(h.hash_one(&full), h.hash_one(full.as_jid()));
    assert_eq!(h.hash_one(&bare), h.hash_one(bare.as_jid()));
    let (x, y) = (BareJid::new("a@b").unwrap(), BareJid::new("a@c").unwrap());
    assert_eq!(x.cmp(&y), x.as_jid().cmp(y.as_jid()));
}

#[test]
fn try_from_string_keeps_a_prepared_buffer() {
    let s = String::from("juliet@capulet.example/Balcony");
    let ptr = s.as_ptr();
    let jid = Jid::try_from(s).unwrap();
    assert_eq!(jid.as_str().as_ptr(), ptr);
    let s = String::from("Juliet@capulet.example");
    let jid = BareJid::try_from(s).unwrap();
    assert_eq!(jid.as_str(), "juliet@capulet.example");
}

#[test]
fn errors_say_which_part_and_why() {
    assert_eq!(
        err("a b@example.com").to_string(),
        "the node contains U+0020, prohibited by RFC 3454 table C.1.1 (ASCII space)"
    );
    assert_eq!(
        err("a@b/\u{1F600}").to_string(),
        "the resource contains U+1F600 '\u{1F600}', which is unassigned in Unicode 3.2"
    );
    assert_eq!(
        err("a@b_c.d").to_string(),
        "domain label 0 (counting from 0) contains U+005F '_'; only letters, digits and \
         hyphens are allowed (STD3 rules)"
    );
    assert_eq!(
        err(&format!("x/{}", "r".repeat(1024))).to_string(),
        "the resource is 1024 bytes long after preparation; at most 1023 are allowed"
    );
}
