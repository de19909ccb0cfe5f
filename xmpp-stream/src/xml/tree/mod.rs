//! Turning the tokens of one complete unit (a first-level element, or the stream header) into
//! an [`Element`] or a [`StreamHeader`](crate::xml::StreamHeader): namespace resolution,
//! reference decoding, duplicate attributes, tag matching, and the per-element limits.
//!
//! A first-level element is first read with the fast tokenizer (`tokens`: ASCII names, both
//! quotes, plain character data, one pass over the bytes) by the fast path (`fast`). If that
//! meets anything else, or anything is wrong, the unit is read again from the start by the
//! general path (`general`: `xmlparser` for markup, character data between tags still found
//! and checked with `memchr` and a block check); that complete path decides every error, so
//! errors, their kinds and offsets do not depend on which path ran. [`TreeBuilder::element`]
//! (here) is that choice. Both paths hand their tokens to the same tag handling (`builder`):
//! they differ only in the tokenizer. The stream header is read by `header`.
//!
//! The unit's bytes arrive as one [`SharedStr`]; names, and text and values that need no
//! decoding, are slices of it (no copy), except common names and short values, which are
//! `'static` (see `names`). Scratch vectors are kept between units, so a
//! stanza costs one allocation per element that has attributes and one per element that has
//! children, each of the exact size.

mod builder;
mod fast;
mod general;
mod header;

use super::element::Element;
use super::error::XmlError;
use super::limits::ReaderLimits;
use super::shared_str::SharedStr;

pub(crate) use builder::{Context, TreeBuilder};
pub(crate) use header::RootName;

impl TreeBuilder {
    /// Builds the first-level element whose complete bytes are `unit`. `framed`: the
    /// fast tokenizer's tokens of `unit` are already kept (the reader framed it with
    /// [`frame`](Self::frame)).
    pub(crate) fn element(
        &mut self,
        unit: &SharedStr,
        ctx: &Context,
        limits: &ReaderLimits,
        offset: u64,
        framed: bool,
    ) -> Result<Element, XmlError> {
        self.clear();
        let fast = framed || self.frame(unit.as_bytes(), limits) == Ok(unit.len());
        if fast {
            let toks = std::mem::take(&mut self.toks);
            let result = self.element_fast(unit, &toks, ctx, limits, offset);
            self.toks = toks;
            if let Ok(element) = result {
                return Ok(element);
            }
        }
        // Syntax the fast tokenizer does not own, or an error: `xmlparser` reads the unit
        // again from the start and gives the outcome (and the exact error).
        self.clear();
        let result = self.element_general(unit, ctx, limits, offset);
        if result.is_err() {
            self.clear();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::ns;

    /// Both ways of reading `input` as a first-level element (fresh scratch space each):
    /// the fast one (`None` if it bailed) and the complete one.
    fn both(input: &str, ctx: &Context) -> (Option<Element>, Result<Element, XmlError>) {
        let unit = SharedStr::copy_from(input);
        let limits = ReaderLimits::default();
        let mut fast_builder = TreeBuilder::default();
        let fast = (fast_builder.frame(unit.as_bytes(), &limits) == Ok(unit.len()))
            .then(|| {
                let toks = fast_builder.toks.clone();
                fast_builder
                    .element_fast(&unit, &toks, ctx, &limits, 0)
                    .ok()
            })
            .flatten();
        let slow = TreeBuilder::default().element_general(&unit, ctx, &limits, 0);
        (fast, slow)
    }

    fn stream_ctx() -> Context {
        Context {
            default_ns: SharedStr::from_static(ns::CLIENT),
            bindings: vec![(
                SharedStr::from_static("stream"),
                SharedStr::from_static(ns::STREAM),
            )],
            lang: Some(SharedStr::from_static("en")),
        }
    }

    /// Same element, prefix hints and attribute order included.
    fn assert_identical(fast: &Element, slow: &Element, input: &str) {
        assert_eq!(fast, slow, "{input:?}");
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{input:?}");
    }

    #[test]
    fn fast_path_reads_common_stanzas_as_xmlparser_path_does() {
        let ctx = stream_ctx();
        for input in [
            "<message to='juliet@example.com' type='chat' id='m1'><body>Hi &amp; bye</body>\
             <active xmlns='http://jabber.org/protocol/chatstates'/>\
             <delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/></message>",
            "<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' \
             node='n' ver='v'/><x xmlns='vcard-temp:x:update'><photo>ab</photo></x></presence>",
            "<iq type='result' id='r'><query xmlns='jabber:iq:roster'>\
             <item jid='a@b' name='A' subscription='both'><group>G</group></item>\n\
             </query></iq>",
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
            "<p:x xmlns:p='urn:p' p:a='1' b=\"2\" xml:lang='fr'><p:y/>t<z xmlns=''/></p:x>",
            "<message>a &#x41;&lt;\r\n b</message>",
        ] {
            let (fast, slow) = both(input, &ctx);
            let fast = fast.unwrap_or_else(|| panic!("fast path bailed on {input:?}"));
            assert_identical(&fast, &slow.unwrap(), input);
        }
    }

    #[test]
    fn fast_path_leaves_errors_to_the_xmlparser_path() {
        let ctx = stream_ctx();
        for input in [
            "<a><b></a></b>",
            "<a b='1' b='2'/>",
            "<q:a/>",
            "<a q:b='1'/>",
            "<a xmlns:xml='urn:x'/>",
            "<a>&nbsp;</a>",
            "<a>&#0;</a>",
            "<a b='&#xFFFE;'/>",
            "<a/><b/>",
            "<a/> ",
            "<a>",
        ] {
            let (fast, slow) = both(input, &ctx);
            assert!(fast.is_none(), "fast path accepted {input:?}");
            assert!(slow.is_err(), "{input:?}");
        }
    }

    /// Nested elements with prefixed and unprefixed names, attributes (namespace
    /// declarations, `xml:lang`, duplicates now and then, values with references and
    /// characters that need a look) and text.
    fn tree() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let name = prop_oneof![Just("a"), Just("item"), Just("p:a"), Just("q:b"), Just("x")];
        let attr_name = prop_oneof![
            Just("b"),
            Just("c"),
            Just("p:d"),
            Just("xml:lang"),
            Just("xmlns"),
            Just("xmlns:q"),
            Just("xmlns:p"),
        ];
        let value = prop_oneof![
            Just(""),
            Just("v"),
            Just("urn:q"),
            Just("jabber:client"),
            Just("a&amp;b&#x41;"),
            Just("\t\r\n"),
            Just("\u{e9}\u{FFFD}"),
            Just("&bad;"),
            Just("chat"),
        ];
        let attrs = proptest::collection::vec((attr_name, value), 0..3).prop_map(|attrs| {
            attrs
                .iter()
                .map(|(n, v)| format!(" {n}='{v}'"))
                .collect::<String>()
        });
        let text = prop_oneof![
            Just("hi"),
            Just(" \n "),
            Just("a &lt; b"),
            Just("x]y"),
            Just("\r\n"),
            Just("\u{1F600}"),
        ]
        .prop_map(str::to_owned);
        let leaf = prop_oneof![
            (name.clone(), attrs.clone()).prop_map(|(n, a)| format!("<{n}{a}/>")),
            text,
        ];
        leaf.prop_recursive(4, 24, 4, move |inner| {
            (
                name.clone(),
                attrs.clone(),
                proptest::collection::vec(inner, 0..4),
            )
                .prop_map(|(n, a, children)| format!("<{n}{a}>{}</{n} >", children.concat()))
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Differential: whenever the fast path builds an element from generated tag
        /// syntax (often malformed, see `tokens::tests::piece`), the `xmlparser` path
        /// builds the identical element. (Where the fast path bails, the `xmlparser` path
        /// is what runs, so its outcome is the reader's by construction.)
        #[test]
        fn fast_path_elements_are_xmlparser_path_elements(
            tree in tree(),
            pieces in proptest::collection::vec(crate::xml::tokens::tests::piece(), 0..3),
            at in 0usize..64,
        ) {
            // A mostly well-formed tree, with malformed pieces put in at a char boundary.
            let mut at = at.min(tree.len());
            while !tree.is_char_boundary(at) {
                at -= 1;
            }
            let input = format!(
                "<message xmlns:p='urn:p'>{}{}{}</message>",
                &tree[..at],
                pieces.concat(),
                &tree[at..]
            );
            let (fast, slow) = both(&input, &stream_ctx());
            if let Some(fast) = fast {
                match slow {
                    Ok(slow) => assert_identical(&fast, &slow, &input),
                    Err(e) => panic!("{input:?}: fast path built {fast:?}, xmlparser path: {e}"),
                }
            }
        }
    }
}
