//! [`TreeBuilder`]: the tree being built from one unit's tokens, whichever tokenizer made
//! them, and the tag handling both paths share: the name and attribute limits, namespace
//! declarations and prefix resolution, duplicate attributes, the depth limit, end-tag
//! matching, text runs, and the stream's `xml:lang` on first-level elements.
//!
//! The fast and `xmlparser` paths (`fast`, `general`) only turn their tokens into calls of
//! [`start_tag`](TreeBuilder::start_tag), [`attribute`](TreeBuilder::attribute),
//! [`open_element`](TreeBuilder::open_element), [`check_end_tag`](TreeBuilder::check_end_tag),
//! [`close`](TreeBuilder::close) and [`text`](TreeBuilder::text); the stream header
//! (`header`) uses the same name limits, attribute collection, declaration checks and prefix
//! resolution.
//!
//! Cost on the fast path: the per-token steps are `#[inline(always)]`, so each path gets them
//! inlined as when they were written out in it, and their error values, which the fast path
//! only turns into `Bail`, vanish. Only [`close`](TreeBuilder::close) hands out an
//! [`Element`], and the paths call it themselves after `/>` or an end tag, so the element is
//! not copied once more through a `Result`. (With the steps left to the compiler's inlining
//! and the element returned by the checks, the `xml` bench read a roster with 5% more
//! instructions, under callgrind; as written, 0.7% more than with the code written out in
//! each path.)

use std::ops::Range;

use crate::xml::chars::{DecodeError, decode};
use crate::xml::element::{Attribute, Element, Node};
use crate::xml::error::{Limit, Restricted, XmlError};
use crate::xml::limits::ReaderLimits;
use crate::xml::names;
use crate::xml::ns;
use crate::xml::shared_str::SharedStr;
use crate::xml::tokens::Tok;

/// What first-level elements are resolved against: the stream header's declarations.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// The default namespace in force at depth 1 (`""` if none).
    pub(crate) default_ns: SharedStr,
    /// Prefixes declared on the stream header, `stream` included.
    pub(crate) bindings: Vec<(SharedStr, SharedStr)>,
    /// The stream's `xml:lang`, given to first-level elements in the content namespace that
    /// lack one.
    pub(crate) lang: Option<SharedStr>,
}

/// What an attribute token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AttrKind {
    /// An ordinary attribute.
    Plain,
    /// `xmlns='...'`.
    DefaultDecl,
    /// `xmlns:p='...'`.
    PrefixDecl,
}

impl AttrKind {
    fn of(prefix: &str, local: &str) -> Self {
        match (prefix.len(), local.len()) {
            (0, 5) if local == "xmlns" => AttrKind::DefaultDecl,
            (5, _) if prefix == "xmlns" => AttrKind::PrefixDecl,
            _ => AttrKind::Plain,
        }
    }
}

/// An attribute of the start tag being read, as byte ranges of the unit.
#[derive(Debug, Clone)]
pub(super) struct RawAttr {
    pub(super) kind: AttrKind,
    /// The value needs no decoding (known from the fast tokenizer).
    plain: bool,
    pub(super) prefix: Range<usize>,
    pub(super) local: Range<usize>,
    pub(super) value: Range<usize>,
}

/// An open element: everything but its children, which are in `TreeBuilder::nodes` from
/// `first_node` on. The `Element` is only made when it closes (fewer moves).
#[derive(Debug)]
struct Frame {
    name: SharedStr,
    ns: SharedStr,
    prefix: Option<SharedStr>,
    attrs: Vec<Attribute>,
    raw_prefix: Range<usize>,
    raw_local: Range<usize>,
    first_node: usize,
    decls_mark: usize,
    /// The default namespace this element declares, if it declares one.
    default_ns: Option<SharedStr>,
}

/// Scratch space reused from one unit to the next.
#[derive(Debug, Default)]
pub(crate) struct TreeBuilder {
    /// The open elements, outermost first.
    frames: Vec<Frame>,
    nodes: Vec<Node>,
    /// The attributes of the start tag being read.
    pub(super) attrs: Vec<RawAttr>,
    /// Prefix declarations made inside the current unit: (prefix, namespace).
    decls: Vec<(SharedStr, SharedStr)>,
    /// When text arrives in several pieces (text, CDATA, text...), the run so far: the last
    /// node's real content. Appending to it keeps merging linear.
    text_run: Option<String>,
    /// The fast tokenizer's tokens of the current unit (see `fast`).
    pub(super) toks: Vec<Tok>,
}

impl TreeBuilder {
    /// Frees the scratch vectors, between units (the reader calls it between two
    /// `next_event` calls): `frames`, `nodes` and `decls` are freed when empty, as they then
    /// are; `attrs` and `toks` only hold what the last unit left there, which is cleared
    /// before any later use (`start_tag`, `frame`), so they are freed in any case.
    pub(crate) fn release_buffers(&mut self) {
        fn free_if_empty<T>(v: &mut Vec<T>) {
            if v.is_empty() {
                *v = Vec::new();
            }
        }
        free_if_empty(&mut self.frames);
        free_if_empty(&mut self.nodes);
        free_if_empty(&mut self.decls);
        self.attrs = Vec::new();
        self.toks = Vec::new();
    }
}

/// A well-known namespace as a static string, so that it does not keep a buffer alive.
pub(super) fn intern(uri: SharedStr) -> SharedStr {
    match ns::WELL_KNOWN.iter().find(|k| **k == uri.as_str()) {
        Some(k) => SharedStr::from_static(k),
        None => uri,
    }
}

/// `raw` (a slice of `unit`) with its references decoded: an attribute value (`attr`), with
/// its whitespace normalised, or character data.
pub(super) fn decoded(
    unit: &SharedStr,
    raw: &str,
    attr: bool,
    offset: u64,
) -> Result<SharedStr, XmlError> {
    match decode(raw, attr) {
        Ok(None) if attr => Ok(names::value(unit, raw)),
        Ok(None) => Ok(unit.slice_ref(raw)),
        Ok(Some(s)) => Ok(SharedStr::from(s)),
        Err(DecodeError::Entity(name)) => Err(XmlError::Restricted {
            construct: Restricted::EntityReference(name),
            offset,
        }),
        Err(DecodeError::Malformed(reason)) => Err(XmlError::not_well_formed(reason, offset)),
    }
}

#[inline]
fn check_name(
    prefix: &str,
    local: &str,
    limits: &ReaderLimits,
    offset: u64,
) -> Result<(), XmlError> {
    let len = if prefix.is_empty() {
        local.len()
    } else {
        prefix.len() + 1 + local.len()
    };
    if len > limits.max_name_len {
        return Err(XmlError::LimitExceeded {
            limit: Limit::NameLength(limits.max_name_len),
            offset,
        });
    }
    Ok(())
}

/// Checks a namespace declaration (`prefix` is `None` for `xmlns=`); returns whether it is
/// a real declaration (`xmlns:xml` with the XML namespace is allowed and changes nothing).
pub(super) fn check_decl(prefix: Option<&str>, uri: &str, offset: u64) -> Result<bool, XmlError> {
    let bad = |reason: String| Err(XmlError::not_well_formed(reason, offset));
    match prefix {
        None if uri == ns::XML || uri == ns::XMLNS => {
            bad(format!("the default namespace cannot be {uri:?}"))
        }
        None => Ok(true),
        Some("xmlns") => bad("the prefix xmlns cannot be declared".into()),
        Some("xml") if uri == ns::XML => Ok(false),
        Some("xml") => bad(format!("the prefix xml cannot be bound to {uri:?}")),
        Some(p) if uri == ns::XML || uri == ns::XMLNS => {
            bad(format!("prefix {p:?} cannot be bound to {uri:?}"))
        }
        Some(p) if uri.is_empty() => bad(format!(
            "prefix {p:?} cannot be undeclared in XML 1.0 (xmlns:{p}='')"
        )),
        Some(_) => Ok(true),
    }
}

/// Refuses an attribute (name and namespace) that appears twice on `element`.
pub(super) fn check_duplicates(
    attrs: &[Attribute],
    element: &str,
    offset: u64,
) -> Result<(), XmlError> {
    let dup = |a: &Attribute| {
        Err(XmlError::not_well_formed(
            format!(
                "attribute {:?}{} appears twice on <{element}>",
                a.name.as_str(),
                if a.ns.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace {:?}", a.ns.as_str())
                }
            ),
            offset,
        ))
    };
    if attrs.len() <= 16 {
        for (i, a) in attrs.iter().enumerate() {
            if attrs[..i]
                .iter()
                .any(|b| names::same(&b.name, &a.name) && names::same(&b.ns, &a.ns))
            {
                return dup(a);
            }
        }
    } else {
        let mut sorted: Vec<&Attribute> = attrs.iter().collect();
        sorted.sort_unstable_by(|a, b| (&a.ns, &a.name).cmp(&(&b.ns, &b.name)));
        if let Some(w) = sorted
            .windows(2)
            .find(|w| w[0].name == w[1].name && w[0].ns == w[1].ns)
        {
            return dup(w[1]);
        }
    }
    Ok(())
}

/// The error for an end tag `</prefix:local>` with no element open, or that does not match
/// the open element's `(prefix, local)`.
#[cold]
fn end_tag_error(prefix: &str, local: &str, open: Option<(&str, &str)>, offset: u64) -> XmlError {
    let reason = match open {
        None => format!("unexpected end tag </{local}>"),
        Some((open_prefix, open_local)) => format!(
            "end tag </{}> does not match <{}>",
            span_qname(prefix, local),
            span_qname(open_prefix, open_local)
        ),
    };
    XmlError::not_well_formed(reason, offset)
}

/// `prefix:local`, or `local` without a prefix, for messages.
pub(super) fn span_qname(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

impl TreeBuilder {
    fn lookup(&self, ctx: &Context, prefix: &str) -> Option<SharedStr> {
        if prefix == "xml" {
            return Some(SharedStr::from_static(ns::XML));
        }
        if let Some((_, uri)) = self
            .decls
            .iter()
            .rev()
            .find(|(p, _)| names::same(p, prefix))
        {
            return Some(uri.clone());
        }
        ctx.bindings
            .iter()
            .find(|(p, _)| names::same(p, prefix))
            .map(|(_, uri)| uri.clone())
    }

    /// The namespace `prefix` (not empty) is bound to: by a declaration in the unit, by the
    /// stream header (`ctx`), or `xml`'s own.
    pub(super) fn resolve(
        &self,
        ctx: &Context,
        prefix: &str,
        offset: u64,
    ) -> Result<SharedStr, XmlError> {
        self.lookup(ctx, prefix)
            .ok_or_else(|| XmlError::UndeclaredPrefix {
                prefix: prefix.to_owned(),
                offset,
            })
    }

    /// The namespace of an attribute with `prefix`: none without a prefix.
    pub(super) fn attr_ns(
        &self,
        ctx: &Context,
        prefix: &str,
        offset: u64,
    ) -> Result<SharedStr, XmlError> {
        if prefix.is_empty() {
            Ok(SharedStr::new())
        } else {
            self.resolve(ctx, prefix, offset)
        }
    }

    /// Whether an element is open (the unit's first-level element has begun and not ended).
    #[inline]
    pub(super) fn in_element(&self) -> bool {
        !self.frames.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.text_run = None;
        self.frames.clear();
        self.nodes.clear();
        self.attrs.clear();
        self.decls.clear();
    }

    /// A start tag begins: `<prefix:local` at these ranges of `text` (`prefix` empty if
    /// none). Returns the ranges, to hand to [`open_element`](Self::open_element).
    #[inline(always)]
    pub(super) fn start_tag(
        &mut self,
        text: &str,
        prefix: Range<usize>,
        local: Range<usize>,
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<(Range<usize>, Range<usize>), XmlError> {
        check_name(&text[prefix.clone()], &text[local.clone()], limits, offset)?;
        self.attrs.clear();
        Ok((prefix, local))
    }

    /// An attribute of the start tag being read: its name `(prefix, local)` and value at
    /// these ranges of `text` (the value without its quotes, undecoded; `plain` if it is
    /// known to need no decoding).
    #[inline(always)]
    pub(super) fn attribute(
        &mut self,
        text: &str,
        (prefix, local): (Range<usize>, Range<usize>),
        value: Range<usize>,
        plain: bool,
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<(), XmlError> {
        let (p, l) = (&text[prefix.clone()], &text[local.clone()]);
        check_name(p, l, limits, offset)?;
        if self.attrs.len() == limits.max_attributes {
            return Err(XmlError::LimitExceeded {
                limit: Limit::Attributes(limits.max_attributes),
                offset,
            });
        }
        self.attrs.push(RawAttr {
            kind: AttrKind::of(p, l),
            plain,
            prefix,
            local,
            value,
        });
        Ok(())
    }

    /// The start tag `start` (from [`start_tag`](Self::start_tag)) ends, with its attributes
    /// read: the element opens, within the depth limit. (After `/>` the caller then
    /// [`close`](Self::close)s it at once.)
    #[inline(always)]
    pub(super) fn open_element(
        &mut self,
        unit: &SharedStr,
        ctx: &Context,
        start: (Range<usize>, Range<usize>),
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<(), XmlError> {
        if self.frames.len() + 1 > limits.max_depth {
            return Err(XmlError::LimitExceeded {
                limit: Limit::Depth(limits.max_depth),
                offset,
            });
        }
        self.open(unit, ctx, start.0, start.1, offset)
    }

    /// Checks an end tag `</prefix:local>` (slices of `text`): it must name the innermost
    /// open element, which the caller then [`close`](Self::close)s.
    #[inline(always)]
    pub(super) fn check_end_tag(
        &self,
        text: &str,
        prefix: &str,
        local: &str,
        offset: u64,
    ) -> Result<(), XmlError> {
        let Some(frame) = self.frames.last() else {
            return Err(end_tag_error(prefix, local, None, offset));
        };
        let (open_prefix, open_local) = (
            &text[frame.raw_prefix.clone()],
            &text[frame.raw_local.clone()],
        );
        if !names::same(open_prefix, prefix) || !names::same(open_local, local) {
            return Err(end_tag_error(
                prefix,
                local,
                Some((open_prefix, open_local)),
                offset,
            ));
        }
        Ok(())
    }

    /// Character data `raw` (a slice of `unit`, references not yet decoded) inside the
    /// open element.
    #[inline(always)]
    pub(super) fn text(
        &mut self,
        unit: &SharedStr,
        raw: &str,
        offset: u64,
    ) -> Result<(), XmlError> {
        let value = decoded(unit, raw, false, offset)?;
        self.push_text(value, offset)
    }

    /// Character data, already decoded, inside the open element; merged with text just
    /// before it.
    pub(super) fn push_text(&mut self, value: SharedStr, offset: u64) -> Result<(), XmlError> {
        let Some(frame) = self.frames.last() else {
            return Err(XmlError::not_well_formed(
                "character data outside an element",
                offset,
            ));
        };
        if value.is_empty() {
            return Ok(());
        }
        let in_frame = self.nodes.len() > frame.first_node;
        match self.nodes.last() {
            Some(Node::Text(prev)) if in_frame => {
                let run = self.text_run.get_or_insert_with(|| prev.to_string());
                run.push_str(&value);
            }
            _ => self.nodes.push(Node::Text(value)),
        }
        Ok(())
    }

    /// Ends a text run: the last node gets the merged text.
    fn flush_text(&mut self) {
        if let Some(run) = self.text_run.take() {
            if let Some(Node::Text(last)) = self.nodes.last_mut() {
                *last = SharedStr::from(run);
            }
        }
    }

    /// Resolves the start tag whose attributes are in `self.attrs`.
    fn open(
        &mut self,
        unit: &SharedStr,
        ctx: &Context,
        raw_prefix: Range<usize>,
        raw_local: Range<usize>,
        offset: u64,
    ) -> Result<(), XmlError> {
        self.flush_text();
        let text = unit.as_str();
        let decls_mark = self.decls.len();
        let mut own_default: Option<SharedStr> = None;
        let mut n_plain = 0;
        for (i, a) in self.attrs.iter().enumerate() {
            let local = &text[a.local.clone()];
            let decl_prefix = match a.kind {
                AttrKind::DefaultDecl => None,
                AttrKind::PrefixDecl => Some(local),
                AttrKind::Plain => {
                    n_plain += 1;
                    continue;
                }
            };
            // XML 1.0 "Unique Att Spec": `xmlns` or `xmlns:p` twice is not well-formed. Only
            // declarations are compared here (few per element); other attributes are checked
            // after their namespaces are resolved.
            if self.attrs[..i]
                .iter()
                .any(|b| b.kind == a.kind && text[b.local.clone()] == *local)
            {
                return Err(XmlError::not_well_formed(
                    match decl_prefix {
                        None => "the default namespace declared twice".to_owned(),
                        Some(p) => format!("prefix {p:?} declared twice"),
                    },
                    offset,
                ));
            }
            let raw = &text[a.value.clone()];
            let uri = intern(decoded(unit, raw, true, offset)?);
            if check_decl(decl_prefix, &uri, offset)? {
                match decl_prefix {
                    None => own_default = Some(uri),
                    Some(_) => self.decls.push((names::name(unit, local), uri)),
                }
            }
        }
        let prefix = &text[raw_prefix.clone()];
        let local = &text[raw_local.clone()];
        let ns = if prefix.is_empty() {
            match &own_default {
                Some(uri) => uri.clone(),
                None => self
                    .frames
                    .iter()
                    .rev()
                    .find_map(|f| f.default_ns.as_ref())
                    .unwrap_or(&ctx.default_ns)
                    .clone(),
            }
        } else {
            self.resolve(ctx, prefix, offset)?
        };
        let mut attrs =
            Vec::with_capacity(n_plain + usize::from(self.frames.is_empty() && ctx.lang.is_some()));
        for a in &self.attrs {
            if a.kind != AttrKind::Plain {
                continue;
            }
            let (a_prefix, a_local) = (&text[a.prefix.clone()], &text[a.local.clone()]);
            let a_ns = self.attr_ns(ctx, a_prefix, offset)?;
            attrs.push(Attribute {
                name: names::name(unit, a_local),
                ns: a_ns,
                prefix: (!a_prefix.is_empty()).then(|| names::name(unit, a_prefix)),
                value: if a.plain {
                    names::value(unit, &text[a.value.clone()])
                } else {
                    decoded(unit, &text[a.value.clone()], true, offset)?
                },
            });
        }
        check_duplicates(&attrs, local, offset)?;
        // RFC 6120 §4.7.4: a stanza without xml:lang is in the stream's language.
        if self.frames.is_empty() {
            if let Some(lang) = &ctx.lang {
                if !ctx.default_ns.is_empty()
                    && names::same(&ns, &ctx.default_ns)
                    && !attrs
                        .iter()
                        .any(|a| names::same(&a.name, "lang") && names::same(&a.ns, ns::XML))
                {
                    attrs.push(Attribute {
                        name: SharedStr::from_static("lang"),
                        ns: SharedStr::from_static(ns::XML),
                        prefix: Some(SharedStr::from_static("xml")),
                        value: lang.clone(),
                    });
                }
            }
        }
        let first_node = self.nodes.len();
        self.frames.push(Frame {
            name: names::name(unit, local),
            ns,
            prefix: (!prefix.is_empty()).then(|| names::name(unit, prefix)),
            attrs,
            raw_prefix,
            raw_local,
            first_node,
            decls_mark,
            default_ns: own_default,
        });
        Ok(())
    }

    /// Closes the innermost open element: gives it its children; returns it if it was the
    /// first-level element.
    pub(super) fn close(&mut self) -> Option<Element> {
        let frame = self.frames.pop()?;
        self.flush_text();
        self.decls.truncate(frame.decls_mark);
        let nodes = if self.nodes.len() > frame.first_node {
            // One exact-size allocation and one copy.
            self.nodes.split_off(frame.first_node)
        } else {
            Vec::new()
        };
        let element = Element {
            name: frame.name,
            ns: frame.ns,
            prefix: frame.prefix,
            attrs: frame.attrs,
            nodes,
        };
        if self.frames.is_empty() {
            Some(element)
        } else {
            self.nodes.push(Node::Element(element));
            None
        }
    }
}
