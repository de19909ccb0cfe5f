//! Fuzz target: JID parsing (xmpp-jid). Any string either fails with a typed error or gives an
//! address whose displayed form parses back to the same address and is already prepared
//! (preparation is idempotent); the typed variants and parts agree with it; XEP-0106
//! escaping never panics and unescapes back to the input when it succeeds on plain text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_jid::escape::{escape_node, unescape_node};
use xmpp_jid::{BareJid, DomainPart, FullJid, Jid, NodePart, ResourcePart};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match Jid::new(input) {
        Ok(jid) => {
            let shown = jid.to_string();
            let again = Jid::new(&shown).expect("a displayed JID parses");
            assert_eq!(again, jid);
            assert_eq!(again.as_str(), shown, "preparation is idempotent");
            assert_eq!(BareJid::new(input).is_ok(), jid.is_bare());
            assert_eq!(FullJid::new(input).is_ok(), jid.is_full());
            if let Some(node) = jid.node() {
                assert_eq!(NodePart::new(node).expect("prepared node").as_str(), node);
            }
            let domain = DomainPart::new(jid.domain()).expect("prepared domain");
            assert_eq!(domain.as_str(), jid.domain());
            assert_eq!(
                DomainPart::new(&domain.to_ascii()).expect("ACE form"),
                domain
            );
            if let Some(resource) = jid.resource() {
                assert_eq!(
                    ResourcePart::new(resource)
                        .expect("prepared resource")
                        .as_str(),
                    resource
                );
            }
            let rebuilt = Jid::from_parts(
                jid.node_part().as_ref(),
                &jid.domain_part(),
                jid.resource_part().as_ref(),
            );
            assert_eq!(rebuilt, jid);
        }
        Err(e) => {
            // Errors render without panicking.
            let _ = e.to_string();
        }
    }
    if let Ok(escaped) = escape_node(input) {
        assert!(NodePart::new(&escaped).is_ok());
        let _ = unescape_node(&escaped);
    }
    let _ = unescape_node(input);
});
