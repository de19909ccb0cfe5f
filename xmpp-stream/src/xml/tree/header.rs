//! Reading the stream header: the complete `<stream:stream ...>` start tag becomes the
//! [`StreamHeader`] event, the [`Context`] first-level elements are resolved against (default
//! namespace, prefixes, `xml:lang`), and the [`RootName`] `</stream:stream>` must match.
//!
//! The start tag is tokenized with `xmlparser`; names, attributes, declarations and prefixes
//! go through the same checks as inside elements (`builder`). What is the header's own: the
//! root must be `<stream:stream>` in the streams namespace with the prefix `stream`, a prefix
//! may be declared only once, and the values are copied (the header outlives the receive
//! buffer). The order of the checks decides which error a bad header gets, so it is kept as
//! it is: declarations, the root's namespace, the root's name, then the attributes.

use xmlparser::{ElementEnd, Token, Tokenizer};

use crate::xml::element::Attribute;
use crate::xml::error::XmlError;
use crate::xml::header::StreamHeader;
use crate::xml::limits::ReaderLimits;
use crate::xml::ns;
use crate::xml::shared_str::SharedStr;

use super::builder::{
    AttrKind, Context, TreeBuilder, check_decl, check_duplicates, decoded, intern, span_qname,
};
use super::general::{restricted, token_error};

/// The root element's qualified name, to match `</stream:stream>` against.
#[derive(Debug, Clone, Default)]
pub(crate) struct RootName {
    pub(crate) prefix: String,
    pub(crate) local: String,
}

impl TreeBuilder {
    /// Builds the stream header whose complete start tag is `unit`. Returns the header, the
    /// context for first-level elements, the root's name, and whether the tag was empty
    /// (`<stream:stream/>`, an opened and at once closed stream).
    pub(crate) fn header(
        &mut self,
        unit: &SharedStr,
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<(StreamHeader, Context, RootName, bool), XmlError> {
        self.clear();
        let text = unit.as_str();
        let mut name = None;
        let mut empty = None;
        for token in Tokenizer::from_fragment(text, 0..text.len()) {
            let token = token.map_err(|e| token_error(&e, offset))?;
            match token {
                Token::ElementStart { prefix, local, .. } if name.is_none() => {
                    name = Some(self.start_tag(
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
                } if name.is_some() && empty.is_none() => {
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
                    end: ElementEnd::Open,
                    ..
                } if name.is_some() && empty.is_none() => empty = Some(false),
                Token::ElementEnd {
                    end: ElementEnd::Empty,
                    ..
                } if name.is_some() && empty.is_none() => empty = Some(true),
                other => {
                    return Err(restricted(&other, offset).unwrap_or_else(|| {
                        XmlError::not_well_formed("malformed stream header", offset)
                    }));
                }
            }
        }
        let (Some((prefix, local)), Some(empty)) = (name, empty) else {
            return Err(XmlError::not_well_formed("malformed stream header", offset));
        };
        let (prefix, local) = (&text[prefix], &text[local]);
        // Declarations first: they apply to the root's own name and attributes.
        let mut content_ns = None;
        let mut ctx = Context::default();
        let mut attrs = Vec::new();
        for a in &self.attrs {
            let (a_prefix, a_local) = (&text[a.prefix.clone()], &text[a.local.clone()]);
            let value = decoded(unit, &text[a.value.clone()], true, offset)?;
            // Copy: the header outlives this buffer, and is small.
            let value = intern(SharedStr::copy_from(&value));
            match a.kind {
                AttrKind::DefaultDecl => {
                    if content_ns.is_some() {
                        return Err(XmlError::not_well_formed(
                            "the default namespace declared twice",
                            offset,
                        ));
                    }
                    check_decl(None, &value, offset)?;
                    content_ns = Some(value);
                }
                AttrKind::PrefixDecl => {
                    let p = a_local;
                    if check_decl(Some(p), &value, offset)? {
                        if ctx.bindings.iter().any(|(q, _)| q == p) {
                            return Err(XmlError::not_well_formed(
                                format!("prefix {p:?} declared twice"),
                                offset,
                            ));
                        }
                        ctx.bindings.push((SharedStr::copy_from(p), value));
                    }
                }
                AttrKind::Plain => attrs.push((a_prefix, a_local, value)),
            }
        }
        ctx.default_ns = content_ns.clone().unwrap_or_default();
        // `self` holds no declarations of its own: prefixes resolve against `ctx` alone.
        let root_ns = if prefix.is_empty() {
            ctx.default_ns.clone()
        } else {
            self.resolve(&ctx, prefix, offset)?
        };
        if local != "stream" {
            return Err(XmlError::BadFormat {
                reason: format!(
                    "the root element must be <stream:stream>, not <{}>",
                    span_qname(prefix, local)
                ),
                offset,
            });
        }
        if root_ns != ns::STREAM {
            return Err(XmlError::InvalidStreamNamespace {
                found: root_ns.to_string(),
            });
        }
        if prefix != "stream" {
            return Err(XmlError::StreamPrefix {
                found: prefix.to_owned(),
                offset,
            });
        }
        let mut resolved = Vec::with_capacity(attrs.len());
        for (a_prefix, a_local, value) in attrs {
            resolved.push(Attribute {
                name: SharedStr::copy_from(a_local),
                ns: self.attr_ns(&ctx, a_prefix, offset)?,
                prefix: (!a_prefix.is_empty()).then(|| SharedStr::copy_from(a_prefix)),
                value,
            });
        }
        check_duplicates(&resolved, local, offset)?;
        self.clear();
        // Kept for the whole stream: no spare slots.
        ctx.bindings.shrink_to_fit();
        ctx.lang = resolved
            .iter()
            .find(|a| a.name == "lang" && a.ns == ns::XML)
            .map(|a| a.value.clone());
        let header = StreamHeader {
            content_ns,
            stream_prefix: SharedStr::copy_from(prefix),
            namespaces: ctx
                .bindings
                .iter()
                .filter(|(p, _)| p != prefix)
                .cloned()
                .collect(),
            attrs: resolved,
        };
        let root = RootName {
            prefix: prefix.to_owned(),
            local: local.to_owned(),
        };
        Ok((header, ctx, root, empty))
    }
}
