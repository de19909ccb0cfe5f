//! Turning the tokens of one complete unit (a first-level element, or the stream header) into
//! an [`Element`] or a [`StreamHeader`]: namespace resolution, reference decoding, duplicate
//! attributes, tag matching, and the per-element limits.
//!
//! A unit is first read with the fast tokenizer (`tokens`: ASCII names, both quotes, plain
//! character data, one pass over the bytes). If that meets anything else, or anything is
//! wrong, the unit is read again from the start with `xmlparser` for markup (character data
//! between tags still found and checked here with `memchr` and a block check, the tokenizer
//! resuming after it); that complete path decides every error, so errors, their kinds and
//! offsets do not depend on which path ran.
//!
//! The unit's bytes arrive as one [`SharedStr`]; names, and text and values that need no
//! decoding, are slices of it (no copy), except common names and short values, which are
//! `'static` (see `names`). Scratch vectors are kept between units, so a
//! stanza costs one allocation per element that has attributes and one per element that has
//! children, each of the exact size.

use std::ops::Range;

use xmlparser::{ElementEnd, Token, Tokenizer};

use super::chars::{DecodeError, decode};
use super::element::{Attribute, Element, Node};
use super::error::{Limit, Restricted, XmlError};
use super::header::StreamHeader;
use super::limits::ReaderLimits;
use super::names;
use super::ns;
use super::shared_str::SharedStr;
use super::tokens::{Bail, Tok, Tokens, plain_char_data};

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

/// The root element's qualified name, to match `</stream:stream>` against.
#[derive(Debug, Clone, Default)]
pub(crate) struct RootName {
    pub(crate) prefix: String,
    pub(crate) local: String,
}

/// What an attribute token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttrKind {
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

#[derive(Debug, Clone)]
struct RawAttr {
    kind: AttrKind,
    /// The value needs no decoding (known from the fast tokenizer).
    plain: bool,
    prefix: Range<usize>,
    local: Range<usize>,
    value: Range<usize>,
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
    frames: Vec<Frame>,
    nodes: Vec<Node>,
    attrs: Vec<RawAttr>,
    /// Prefix declarations made inside the current unit: (prefix, namespace).
    decls: Vec<(SharedStr, SharedStr)>,
    /// When text arrives in several pieces (text, CDATA, text...), the run so far: the last
    /// node's real content. Appending to it keeps merging linear.
    text_run: Option<String>,
    /// The fast tokenizer's tokens of the current unit (see [`frame`](Self::frame)).
    toks: Vec<Tok>,
}

/// A well-known namespace as a static string, so that it does not keep a buffer alive.
fn intern(uri: SharedStr) -> SharedStr {
    match ns::WELL_KNOWN.iter().find(|k| **k == uri.as_str()) {
        Some(k) => SharedStr::from_static(k),
        None => uri,
    }
}

fn decoded(unit: &SharedStr, raw: &str, attr: bool, offset: u64) -> Result<SharedStr, XmlError> {
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

/// CDATA content: no references, but line ends are normalised.
fn cdata(unit: &SharedStr, raw: &str) -> SharedStr {
    if memchr::memchr(b'\r', raw.as_bytes()).is_none() {
        return unit.slice_ref(raw);
    }
    SharedStr::from(raw.replace("\r\n", "\n").replace('\r', "\n"))
}

/// The first-level element is complete: it must end the unit (`left` tokens remain).
fn finished(element: Element, left: usize) -> Result<Element, Bail> {
    if left > 0 {
        return Err(Bail);
    }
    Ok(element)
}

fn token_error(e: &xmlparser::Error, offset: u64) -> XmlError {
    XmlError::not_well_formed(
        format!("{e} (line:column counted from the element's start)"),
        offset,
    )
}

fn restricted(token: &Token<'_>, offset: u64) -> Option<XmlError> {
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
fn check_decl(prefix: Option<&str>, uri: &str, offset: u64) -> Result<bool, XmlError> {
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

fn check_duplicates(attrs: &[Attribute], element: &str, offset: u64) -> Result<(), XmlError> {
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

    fn clear(&mut self) {
        self.text_run = None;
        self.frames.clear();
        self.nodes.clear();
        self.attrs.clear();
        self.decls.clear();
    }

    /// Runs the fast tokenizer over `bytes` (the receive buffer, or a unit), which start
    /// with a first-level element, and keeps its tokens. Returns the element's length if
    /// the whole element is there, in the syntax the fast tokenizer owns, and within the
    /// size and depth limits; otherwise `Err` with how many bytes it looked at (the framing
    /// scanner and `xmlparser` then decide). Gives up at the size limit, so it looks at no
    /// more than that many bytes.
    pub(crate) fn frame(&mut self, bytes: &[u8], limits: &ReaderLimits) -> Result<usize, usize> {
        self.toks.clear();
        let bytes = &bytes[..bytes.len().min(limits.max_element_bytes)];
        let mut tokens = Tokens::new(bytes);
        let mut depth = 0usize;
        while let Some(token) = tokens.next() {
            let Ok(token) = token else {
                return Err(tokens.pos());
            };
            let end = match token {
                Tok::Open => {
                    depth += 1;
                    if depth > limits.max_depth {
                        return Err(tokens.pos());
                    }
                    false
                }
                Tok::Empty => depth == 0,
                Tok::Close { .. } => {
                    let Some(d) = depth.checked_sub(1) else {
                        return Err(tokens.pos());
                    };
                    depth = d;
                    depth == 0
                }
                Tok::Text(_) if depth == 0 => return Err(tokens.pos()),
                _ => false,
            };
            self.toks.push(token);
            if end {
                return Ok(tokens.pos());
            }
        }
        Err(tokens.pos())
    }

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
        let result = self.element_inner(unit, ctx, limits, offset);
        if result.is_err() {
            self.clear();
        }
        result
    }

    /// [`element`](Self::element) from the fast tokenizer's tokens. Any error, its own or
    /// the tree's, is only `Bail`: the caller then reads the unit the complete way, which
    /// is what decides the error. So this path only has to be right when it succeeds.
    fn element_fast(
        &mut self,
        unit: &SharedStr,
        toks: &[Tok],
        ctx: &Context,
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<Element, Bail> {
        let text = unit.as_str();
        let mut start: Option<(Range<usize>, Range<usize>)> = None;
        let mut tokens = toks.iter().copied();
        while let Some(token) = tokens.next() {
            match token {
                Tok::Start { prefix, local } => {
                    let (prefix, local) = (prefix.range(), local.range());
                    check_name(&text[prefix.clone()], &text[local.clone()], limits, offset)
                        .map_err(|_| Bail)?;
                    start = Some((prefix, local));
                    self.attrs.clear();
                }
                Tok::Attr {
                    prefix,
                    local,
                    value,
                    plain,
                } => {
                    let (prefix, local, value) = (prefix.range(), local.range(), value.range());
                    let (p, l) = (&text[prefix.clone()], &text[local.clone()]);
                    check_name(p, l, limits, offset).map_err(|_| Bail)?;
                    if self.attrs.len() == limits.max_attributes {
                        return Err(Bail);
                    }
                    self.attrs.push(RawAttr {
                        kind: AttrKind::of(p, l),
                        plain,
                        prefix,
                        local,
                        value,
                    });
                }
                end @ (Tok::Open | Tok::Empty) => {
                    let (raw_prefix, raw_local) = start.take().ok_or(Bail)?;
                    if self.frames.len() + 1 > limits.max_depth {
                        return Err(Bail);
                    }
                    self.open(unit, ctx, raw_prefix, raw_local, offset)
                        .map_err(|_| Bail)?;
                    if end == Tok::Empty {
                        if let Some(done) = self.close() {
                            return finished(done, tokens.len());
                        }
                    }
                }
                Tok::Close { prefix, local } => {
                    let frame = self.frames.last().ok_or(Bail)?;
                    if !names::same(&text[frame.raw_prefix.clone()], &text[prefix.range()])
                        || !names::same(&text[frame.raw_local.clone()], &text[local.range()])
                    {
                        return Err(Bail);
                    }
                    if let Some(done) = self.close() {
                        return finished(done, tokens.len());
                    }
                }
                Tok::Text(range) => {
                    if self.frames.is_empty() {
                        return Err(Bail);
                    }
                    let value =
                        decoded(unit, &text[range.range()], false, offset).map_err(|_| Bail)?;
                    self.push_text(value, offset).map_err(|_| Bail)?;
                }
            }
        }
        Err(Bail)
    }

    fn element_inner(
        &mut self,
        unit: &SharedStr,
        ctx: &Context,
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<Element, XmlError> {
        let text = unit.as_str();
        let mut start: Option<(Range<usize>, Range<usize>)> = None;
        let mut done: Option<Element> = None;
        let mut tokens = Tokenizer::from_fragment(text, 0..text.len());
        loop {
            // Character data between tags: found with `memchr` and checked a block at a
            // time here, instead of `xmlparser`'s decoding of one `char` at a time. The
            // tokenizer resumes after it. Only text `xmlparser` accepts takes this path
            // (see `plain_char_data`); anything else is left to it, errors included.
            if start.is_none() && done.is_none() && !self.frames.is_empty() {
                let pos = tokens.stream().pos();
                let bytes = text.as_bytes();
                if pos < bytes.len() && bytes[pos] != b'<' {
                    let end = memchr::memchr(b'<', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
                    let raw = &text[pos..end];
                    if plain_char_data(raw.as_bytes()) {
                        let value = decoded(unit, raw, false, offset)?;
                        self.push_text(value, offset)?;
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
                    check_name(&prefix, &local, limits, offset)?;
                    start = Some((prefix.range(), local.range()));
                    self.attrs.clear();
                }
                Token::Attribute {
                    prefix,
                    local,
                    value,
                    ..
                } => {
                    check_name(&prefix, &local, limits, offset)?;
                    if self.attrs.len() == limits.max_attributes {
                        return Err(XmlError::LimitExceeded {
                            limit: Limit::Attributes(limits.max_attributes),
                            offset,
                        });
                    }
                    self.attrs.push(RawAttr {
                        plain: false,
                        kind: AttrKind::of(&prefix, &local),
                        prefix: prefix.range(),
                        local: local.range(),
                        value: value.range(),
                    });
                }
                Token::ElementEnd {
                    end: end @ (ElementEnd::Open | ElementEnd::Empty),
                    ..
                } => {
                    let Some((raw_prefix, raw_local)) = start.take() else {
                        return Err(XmlError::not_well_formed("tag end without a tag", offset));
                    };
                    if self.frames.len() + 1 > limits.max_depth {
                        return Err(XmlError::LimitExceeded {
                            limit: Limit::Depth(limits.max_depth),
                            offset,
                        });
                    }
                    // Pushed in place; an empty element is closed at once.
                    self.open(unit, ctx, raw_prefix, raw_local, offset)?;
                    if end == ElementEnd::Empty {
                        done = self.close();
                    }
                }
                Token::ElementEnd {
                    end: ElementEnd::Close(prefix, local),
                    ..
                } => {
                    let Some(frame) = self.frames.last() else {
                        return Err(XmlError::not_well_formed(
                            format!("unexpected end tag </{}>", local.as_str()),
                            offset,
                        ));
                    };
                    if !names::same(&text[frame.raw_prefix.clone()], prefix.as_str())
                        || !names::same(&text[frame.raw_local.clone()], local.as_str())
                    {
                        return Err(XmlError::not_well_formed(
                            format!(
                                "end tag </{}> does not match <{}>",
                                span_qname(&prefix, &local),
                                span_qname(
                                    &text[frame.raw_prefix.clone()],
                                    &text[frame.raw_local.clone()]
                                )
                            ),
                            offset,
                        ));
                    }
                    done = self.close();
                }
                Token::Text { text: raw } => {
                    let value = decoded(unit, raw.as_str(), false, offset)?;
                    self.push_text(value, offset)?;
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

    fn push_text(&mut self, value: SharedStr, offset: u64) -> Result<(), XmlError> {
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
        for a in &self.attrs {
            let local = &text[a.local.clone()];
            let decl_prefix = match a.kind {
                AttrKind::DefaultDecl => None,
                AttrKind::PrefixDecl => Some(local),
                AttrKind::Plain => {
                    n_plain += 1;
                    continue;
                }
            };
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
            self.lookup(ctx, prefix)
                .ok_or_else(|| XmlError::UndeclaredPrefix {
                    prefix: prefix.to_owned(),
                    offset,
                })?
        };
        let mut attrs =
            Vec::with_capacity(n_plain + usize::from(self.frames.is_empty() && ctx.lang.is_some()));
        for a in &self.attrs {
            if a.kind != AttrKind::Plain {
                continue;
            }
            let (a_prefix, a_local) = (&text[a.prefix.clone()], &text[a.local.clone()]);
            let a_ns = if a_prefix.is_empty() {
                SharedStr::new()
            } else {
                self.lookup(ctx, a_prefix)
                    .ok_or_else(|| XmlError::UndeclaredPrefix {
                        prefix: a_prefix.to_owned(),
                        offset,
                    })?
            };
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
    fn close(&mut self) -> Option<Element> {
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
        let mut name: Option<(&str, &str)> = None;
        let mut empty = None;
        for token in Tokenizer::from_fragment(text, 0..text.len()) {
            let token = token.map_err(|e| token_error(&e, offset))?;
            match token {
                Token::ElementStart { prefix, local, .. } if name.is_none() => {
                    check_name(&prefix, &local, limits, offset)?;
                    name = Some((prefix.as_str(), local.as_str()));
                }
                Token::Attribute {
                    prefix,
                    local,
                    value,
                    ..
                } if name.is_some() && empty.is_none() => {
                    check_name(&prefix, &local, limits, offset)?;
                    if self.attrs.len() == limits.max_attributes {
                        return Err(XmlError::LimitExceeded {
                            limit: Limit::Attributes(limits.max_attributes),
                            offset,
                        });
                    }
                    self.attrs.push(RawAttr {
                        plain: false,
                        kind: AttrKind::of(&prefix, &local),
                        prefix: prefix.range(),
                        local: local.range(),
                        value: value.range(),
                    });
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
        // Declarations first: they apply to the root's own name and attributes.
        let mut content_ns = None;
        let mut bindings: Vec<(SharedStr, SharedStr)> = Vec::new();
        let mut attrs = Vec::new();
        for a in &self.attrs {
            let (a_prefix, a_local) = (&text[a.prefix.clone()], &text[a.local.clone()]);
            let value = decoded(unit, &text[a.value.clone()], true, offset)?;
            // Copy: the header outlives this buffer, and is small.
            let value = intern(SharedStr::copy_from(&value));
            match (a_prefix, a_local) {
                ("", "xmlns") => {
                    if check_decl(None, &value, offset)? {
                        content_ns = Some(value);
                    }
                }
                ("xmlns", p) => {
                    if check_decl(Some(p), &value, offset)? {
                        if bindings.iter().any(|(q, _)| q == p) {
                            return Err(XmlError::not_well_formed(
                                format!("prefix {p:?} declared twice"),
                                offset,
                            ));
                        }
                        bindings.push((SharedStr::copy_from(p), value));
                    }
                }
                _ => attrs.push((a_prefix, a_local, value)),
            }
        }
        let lookup = |p: &str| -> Option<SharedStr> {
            if p == "xml" {
                return Some(SharedStr::from_static(ns::XML));
            }
            bindings
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, uri)| uri.clone())
        };
        let root_ns = if prefix.is_empty() {
            content_ns.clone().unwrap_or_default()
        } else {
            lookup(prefix).ok_or_else(|| XmlError::UndeclaredPrefix {
                prefix: prefix.to_owned(),
                offset,
            })?
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
            let a_ns = if a_prefix.is_empty() {
                SharedStr::new()
            } else {
                lookup(a_prefix).ok_or_else(|| XmlError::UndeclaredPrefix {
                    prefix: a_prefix.to_owned(),
                    offset,
                })?
            };
            resolved.push(Attribute {
                name: SharedStr::copy_from(a_local),
                ns: a_ns,
                prefix: (!a_prefix.is_empty()).then(|| SharedStr::copy_from(a_prefix)),
                value,
            });
        }
        check_duplicates(&resolved, local, offset)?;
        self.clear();
        let lang = resolved
            .iter()
            .find(|a| a.name == "lang" && a.ns == ns::XML)
            .map(|a| a.value.clone());
        let header = StreamHeader {
            content_ns: content_ns.clone(),
            stream_prefix: SharedStr::copy_from(prefix),
            namespaces: bindings
                .iter()
                .filter(|(p, _)| p != prefix)
                .cloned()
                .collect(),
            attrs: resolved,
        };
        let ctx = Context {
            default_ns: content_ns.unwrap_or_default(),
            bindings,
            lang,
        };
        let root = RootName {
            prefix: prefix.to_owned(),
            local: local.to_owned(),
        };
        Ok((header, ctx, root, empty))
    }
}

fn span_qname(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
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
        let slow = TreeBuilder::default().element_inner(&unit, ctx, &limits, 0);
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
            pieces in proptest::collection::vec(super::super::tokens::tests::piece(), 0..3),
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
