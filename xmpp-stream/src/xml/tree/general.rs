//! The general path: reading a first-level element with `xmlparser`, which takes any XML
//! syntax (non-ASCII names, CDATA, ...) and decides every error, with its kind and offset.
//!
//! It runs when the fast path (`fast`) leaves a unit aside. Markup is tokenized by
//! `xmlparser`; character data between tags is found here with `memchr` and checked a block
//! at a time (`tokens::plain_char_data`), the tokenizer resuming after it, which is much
//! cheaper than `xmlparser`'s decoding of one `char` at a time. The tokens go to the shared
//! tag handling (`builder`). [`token_error`] and [`restricted`] turn `xmlparser`'s errors and
//! the constructs XMPP forbids into [`XmlError`]s, for the stream header (`header`) too.

use xmlparser::{ElementEnd, Token, Tokenizer};

use crate::xml::element::Element;
use crate::xml::error::{Restricted, XmlError};
use crate::xml::limits::ReaderLimits;
use crate::xml::shared_str::SharedStr;
use crate::xml::tokens::plain_char_data;

use super::builder::{Context, TreeBuilder};

/// `xmlparser`'s error as ours.
pub(super) fn token_error(e: &xmlparser::Error, offset: u64) -> XmlError {
    XmlError::not_well_formed(
        format!("{e} (line:column counted from the element's start)"),
        offset,
    )
}

/// The error for a construct restricted XML forbids (RFC 6120 §11.1), if `token` is one.
pub(super) fn restricted(token: &Token<'_>, offset: u64) -> Option<XmlError> {
    let construct = match token {
        Token::Comment { .. } => Restricted::Comment,
        Token::ProcessingInstruction { .. } => Restricted::ProcessingInstruction,
        Token::DtdStart { .. }
        | Token::EmptyDtd { .. }
        | Token::DtdEnd { .. }
        | Token::EntityDeclaration { .. } => Restricted::Doctype,
        _ => return None,
    };
    Some(XmlError::Restricted { construct, offset })
}

/// CDATA content: no references, but line ends are normalised.
fn cdata(unit: &SharedStr, raw: &str) -> SharedStr {
    if memchr::memchr(b'\r', raw.as_bytes()).is_none() {
        return unit.slice_ref(raw);
    }
    SharedStr::from(raw.replace("\r\n", "\n").replace('\r', "\n"))
}

impl TreeBuilder {
    /// The first-level element whose complete bytes are `unit`, read with `xmlparser`; the
    /// outcome, and any error exactly, for every unit.
    pub(super) fn element_general(
        &mut self,
        unit: &SharedStr,
        ctx: &Context,
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<Element, XmlError> {
        let text = unit.as_str();
        let mut start = None;
        let mut done: Option<Element> = None;
        let mut tokens = Tokenizer::from_fragment(text, 0..text.len());
        loop {
            // Character data between tags: found with `memchr` and checked a block at a
            // time here, instead of `xmlparser`'s decoding of one `char` at a time. The
            // tokenizer resumes after it. Only text `xmlparser` accepts takes this path
            // (see `plain_char_data`); anything else is left to it, errors included.
            if start.is_none() && done.is_none() && self.in_element() {
                let pos = tokens.stream().pos();
                let bytes = text.as_bytes();
                if pos < bytes.len() && bytes[pos] != b'<' {
                    let end = memchr::memchr(b'<', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
                    let raw = &text[pos..end];
                    if plain_char_data(raw.as_bytes()) {
                        self.text(unit, raw, offset)?;
                        tokens = Tokenizer::from_fragment(text, end..text.len());
                        continue;
                    }
                }
            }
            let Some(token) = tokens.next() else {
                break;
            };
            let token = token.map_err(|e| token_error(&e, offset))?;
            if done.is_some() {
                return Err(XmlError::not_well_formed(
                    "content after the end of a first-level element",
                    offset,
                ));
            }
            match token {
                Token::ElementStart { prefix, local, .. } => {
                    start = Some(self.start_tag(
                        text,
                        prefix.range(),
                        local.range(),
                        limits,
                        offset,
                    )?);
                }
                Token::Attribute {
                    prefix,
                    local,
                    value,
                    ..
                } => {
                    self.attribute(
                        text,
                        (prefix.range(), local.range()),
                        value.range(),
                        false,
                        limits,
                        offset,
                    )?;
                }
                Token::ElementEnd {
                    end: end @ (ElementEnd::Open | ElementEnd::Empty),
                    ..
                } => {
                    let Some(start) = start.take() else {
                        return Err(XmlError::not_well_formed("tag end without a tag", offset));
                    };
                    // Pushed in place; an empty element is closed at once.
                    self.open_element(unit, ctx, start, limits, offset)?;
                    if end == ElementEnd::Empty {
                        done = self.close();
                    }
                }
                Token::ElementEnd {
                    end: ElementEnd::Close(prefix, local),
                    ..
                } => {
                    self.check_end_tag(text, prefix.as_str(), local.as_str(), offset)?;
                    done = self.close();
                }
                Token::Text { text: raw } => {
                    self.text(unit, raw.as_str(), offset)?;
                }
                Token::Cdata { text: raw, .. } => {
                    let value = cdata(unit, raw.as_str());
                    self.push_text(value, offset)?;
                }
                other => {
                    return Err(restricted(&other, offset).unwrap_or_else(|| {
                        XmlError::not_well_formed("misplaced XML declaration", offset)
                    }));
                }
            }
        }
        done.ok_or_else(|| XmlError::not_well_formed("unexpected end of an element", offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `xmlparser` says about `raw` as the content of an element.
    fn xmlparser_accepts(raw: &str) -> bool {
        let doc = format!("<a>{raw}</a>");
        Tokenizer::from(doc.as_str()).all(|t| t.is_ok())
    }

    #[test]
    fn plain_char_data_agrees_with_xmlparser() {
        let long = "a".repeat(70);
        let mut cases: Vec<String> = [
            "hello",
            " \t\r\n",
            "a]b",
            "a]]b",
            "a]]>b",
            "]]>",
            "x>y",
            "caf\u{e9}",
            "\u{20ac}",
            "\u{FFFD}",
            "\u{FFFE}",
            "\u{FFFF}",
            "\u{EFFF}",
            "\u{1F600}",
            "a\u{1}b",
            "\u{0}",
            "\u{7f}",
            "a&amp;b",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // The same cases at every position of a long block, across the 32-byte blocks.
        for case in cases.clone() {
            for at in [0, 31, 32, 33, 63, 64, 70] {
                cases.push(format!("{}{case}{}", &long[..at], &long[at..]));
            }
        }
        for case in &cases {
            assert_eq!(
                plain_char_data(case.as_bytes()),
                xmlparser_accepts(case),
                "{case:?}"
            );
        }
    }
}
