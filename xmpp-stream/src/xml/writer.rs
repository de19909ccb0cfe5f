//! [`Writer`]: serialises stream headers, elements and the stream close, and is the only
//! place XML bytes are made; [`Element::write_to`] and [`Element::to_xml`] (defined here) write
//! an element on its own.
//!
//! Rules it keeps:
//! - Text escapes `&`, `<`, `>` (and `\r` as `&#xD;`); attribute values escape all five
//!   predefined entities and tab/newline/carriage return as character references, so that
//!   reading back gives the same string. Characters XML 1.0 forbids (most C0 controls,
//!   U+FFFE, U+FFFF) and invalid names are refused with a [`WriteError`]; nothing restricted
//!   (comments, PIs, DTDs, entity references) is ever produced.
//! - Namespace declarations are minimal: a first-level element in the stream's content
//!   namespace is written unprefixed with no declaration (`<message>`), an element in the
//!   streams namespace uses the `stream:` prefix (`<stream:features>`), and a child only
//!   declares a namespace when it differs from its parent's. A prefix the element was read
//!   with (or was given with [`ElementBuilder::prefix`](super::ElementBuilder::prefix)) is kept.
//! - Each element carries every declaration it needs besides the stream header's, so a
//!   stanza can be routed to another stream as is.

use super::chars::{ForbiddenChar, escape_attr, escape_text, is_ncname};
use super::element::{Attribute, Element, Node};
use super::header::StreamHeader;
use super::ns;
use super::shared_str::SharedStr;

/// Why an element or header could not be written. Nothing is appended to the output then.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A local name or prefix that is not an XML `NCName`.
    #[error("{0:?} is not a valid XML name")]
    InvalidName(String),
    /// A character XML 1.0 does not allow, in text or an attribute value.
    #[error("character U+{:04X} is not allowed in XML 1.0 (in {context})", u32::from(*.ch))]
    ForbiddenChar {
        /// The character.
        ch: char,
        /// Where: `text of <name>` or `attribute name`.
        context: String,
    },
    /// An attribute that would be a namespace declaration (`xmlns`, or in the `xmlns`
    /// namespace): declarations are made by the writer from the element's namespaces.
    #[error("attribute {0:?} is reserved for namespace declarations")]
    ReservedAttribute(String),
    /// A namespace that cannot be used where it was (an element in the `xmlns` namespace, or
    /// a header declaration of a reserved prefix).
    #[error("namespace use not allowed: {0}")]
    InvalidNamespace(String),
    /// Unreachable in practice: the writer produced bytes that are not UTF-8.
    #[error("internal writer error")]
    Internal,
}

/// Writes XML for one direction of a stream.
///
/// Outside a stream ([`Writer::new`]) every element declares its namespace. After
/// [`write_stream_header`](Self::write_stream_header) the writer knows the stream's content
/// namespace and prefixes and writes first-level elements accordingly;
/// [`write_stream_close`](Self::write_stream_close) and [`reset`](Self::reset) forget them.
///
/// ```
/// use xmpp_stream::xml::{ns, Element, StreamHeader, Writer};
/// let mut w = Writer::new();
/// let mut out = Vec::new();
/// w.write_stream_header(&StreamHeader::new(ns::CLIENT).with_to("example.com"), &mut out)?;
/// out.clear();
/// let features = Element::builder("features", ns::STREAM)
///     .child(Element::builder("starttls", ns::TLS).child(Element::new("required", ns::TLS)))
///     .build();
/// w.write_element(&features, &mut out)?;
/// w.write_element(&Element::builder("presence", ns::CLIENT).build(), &mut out)?;
/// w.write_stream_close(&mut out);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
///      </stream:features><presence/></stream:stream>"
/// );
/// # Ok::<(), xmpp_stream::xml::WriteError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Writer {
    default_ns: SharedStr,
    bindings: Vec<(SharedStr, SharedStr)>,
    in_stream: bool,
}

/// Prefix bindings made while writing one element tree, on top of the stream's.
struct Scope<'a> {
    stream: &'a [(SharedStr, SharedStr)],
    local: Vec<(&'a str, &'a str)>,
}

impl<'a> Scope<'a> {
    fn lookup(&self, prefix: &str) -> Option<&'a str> {
        if prefix == "xml" {
            return Some(ns::XML);
        }
        if let Some((_, uri)) = self.local.iter().rev().find(|(p, _)| *p == prefix) {
            return Some(uri);
        }
        self.stream
            .iter()
            .find(|(p, _)| p.as_str() == prefix)
            .map(|(_, uri)| uri.as_str())
    }

    /// A prefix currently bound to `uri` (and not shadowed).
    fn prefix_for(&self, uri: &str) -> Option<&'a str> {
        for (i, (p, u)) in self.local.iter().enumerate().rev() {
            if *u == uri && !self.local[i + 1..].iter().any(|(q, _)| q == p) {
                return Some(p);
            }
        }
        self.stream
            .iter()
            .find(|(p, u)| u.as_str() == uri && !self.local.iter().any(|(q, _)| *q == p.as_str()))
            .map(|(p, _)| p.as_str())
    }
}

struct Frame<'a> {
    el: &'a Element,
    next: usize,
    prefix: Option<&'a str>,
    saved_default: &'a str,
    saved_bindings: usize,
}

/// Generated prefixes, for namespaced attributes that came with no usable prefix. A tree
/// needing more distinct attribute namespaces in scope at once than this is refused.
const GENERATED: [&str; 64] = [
    "ns0", "ns1", "ns2", "ns3", "ns4", "ns5", "ns6", "ns7", "ns8", "ns9", "ns10", "ns11", "ns12",
    "ns13", "ns14", "ns15", "ns16", "ns17", "ns18", "ns19", "ns20", "ns21", "ns22", "ns23", "ns24",
    "ns25", "ns26", "ns27", "ns28", "ns29", "ns30", "ns31", "ns32", "ns33", "ns34", "ns35", "ns36",
    "ns37", "ns38", "ns39", "ns40", "ns41", "ns42", "ns43", "ns44", "ns45", "ns46", "ns47", "ns48",
    "ns49", "ns50", "ns51", "ns52", "ns53", "ns54", "ns55", "ns56", "ns57", "ns58", "ns59", "ns60",
    "ns61", "ns62", "ns63",
];

impl Writer {
    /// A writer with no stream context: every element declares its namespace.
    pub fn new() -> Self {
        Writer::default()
    }

    /// A writer for the stream that `header` opens (as if the header had been written), for
    /// writing first-level elements of a stream whose header was written elsewhere.
    pub fn for_stream(header: &StreamHeader) -> Self {
        let mut w = Writer::new();
        w.enter_stream(header);
        w
    }

    /// Whether a stream header has been written and not yet closed.
    pub fn in_stream(&self) -> bool {
        self.in_stream
    }

    /// Forgets the stream context (for a stream restart, before the new header).
    pub fn reset(&mut self) {
        *self = Writer::new();
    }

    fn enter_stream(&mut self, header: &StreamHeader) {
        self.default_ns = header.content_ns.clone().unwrap_or_default();
        self.bindings.clear();
        self.bindings.push((
            SharedStr::from_static("stream"),
            SharedStr::from_static(ns::STREAM),
        ));
        self.bindings.extend(header.namespaces.iter().cloned());
        // Kept for the whole stream: no spare slots.
        self.bindings.shrink_to_fit();
        self.in_stream = true;
    }

    /// Writes the XML declaration and the stream header
    /// (`<?xml version='1.0'?><stream:stream ...>`), and enters that stream's context.
    ///
    /// # Errors
    /// [`WriteError`] for an invalid attribute or declaration; nothing is written then.
    pub fn write_stream_header(
        &mut self,
        header: &StreamHeader,
        out: &mut Vec<u8>,
    ) -> Result<(), WriteError> {
        let start = out.len();
        let result = Self::header_bytes(header, out);
        match result {
            Ok(()) => self.enter_stream(header),
            Err(_) => out.truncate(start),
        }
        result
    }

    fn header_bytes(header: &StreamHeader, out: &mut Vec<u8>) -> Result<(), WriteError> {
        out.extend_from_slice(b"<?xml version='1.0'?><stream:stream");
        for a in &header.attrs {
            check_attr_name(a)?;
            out.push(b' ');
            if a.ns == ns::XML {
                out.extend_from_slice(b"xml:");
            } else if !a.ns.is_empty() {
                let Some((p, _)) = header.namespaces.iter().find(|(_, u)| *u == a.ns) else {
                    return Err(WriteError::InvalidNamespace(format!(
                        "header attribute {:?} is in namespace {:?}, which the header does not declare",
                        a.name.as_str(),
                        a.ns.as_str()
                    )));
                };
                out.extend_from_slice(p.as_bytes());
                out.push(b':');
            }
            write_attr_value(a, out)?;
        }
        if let Some(content) = &header.content_ns {
            out.extend_from_slice(b" xmlns='");
            escape_attr(content, out).map_err(|e| forbidden(e, "the content namespace"))?;
            out.push(b'\'');
        }
        out.extend_from_slice(b" xmlns:stream='");
        out.extend_from_slice(ns::STREAM.as_bytes());
        out.push(b'\'');
        for (p, uri) in &header.namespaces {
            if !is_ncname(p) || matches!(p.as_str(), "stream" | "xml" | "xmlns") || uri.is_empty() {
                return Err(WriteError::InvalidNamespace(format!(
                    "cannot declare prefix {:?} as {:?} on the stream header",
                    p.as_str(),
                    uri.as_str()
                )));
            }
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"='");
            escape_attr(uri, out).map_err(|e| forbidden(e, "a namespace declaration"))?;
            out.push(b'\'');
        }
        out.push(b'>');
        Ok(())
    }

    /// Writes `</stream:stream>` and leaves the stream context.
    pub fn write_stream_close(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"</stream:stream>");
        self.reset();
    }

    /// Writes `element` (and its subtree) in the current context.
    ///
    /// # Errors
    /// [`WriteError`] for an invalid name, a reserved attribute or a forbidden character;
    /// `out` is then left as it was.
    pub fn write_element(&self, element: &Element, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let start = out.len();
        let result = self.write_tree(element, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn write_tree<'a>(&'a self, root: &'a Element, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let mut scope = Scope {
            stream: &self.bindings,
            local: Vec::new(),
        };
        let mut default_ns: &'a str = &self.default_ns;
        let mut stack: Vec<Frame<'a>> = Vec::new();
        let mut current = Some(root);
        loop {
            if let Some(el) = current.take() {
                let saved_default = default_ns;
                let saved_bindings = scope.local.len();
                let prefix = open_tag(el, &mut scope, &mut default_ns, out)?;
                if el.nodes.is_empty() {
                    out.extend_from_slice(b"/>");
                    default_ns = saved_default;
                    scope.local.truncate(saved_bindings);
                } else {
                    out.push(b'>');
                    stack.push(Frame {
                        el,
                        next: 0,
                        prefix,
                        saved_default,
                        saved_bindings,
                    });
                }
            }
            let Some(frame) = stack.last_mut() else {
                return Ok(());
            };
            match frame.el.nodes.get(frame.next) {
                Some(Node::Element(child)) => {
                    frame.next += 1;
                    current = Some(child);
                }
                Some(Node::Text(text)) => {
                    frame.next += 1;
                    escape_text(text, out).map_err(|e| {
                        forbidden(e, &format!("the text of <{}>", frame.el.name.as_str()))
                    })?;
                }
                None => {
                    out.extend_from_slice(b"</");
                    if let Some(p) = frame.prefix {
                        out.extend_from_slice(p.as_bytes());
                        out.push(b':');
                    }
                    out.extend_from_slice(frame.el.name.as_bytes());
                    out.push(b'>');
                    default_ns = frame.saved_default;
                    scope.local.truncate(frame.saved_bindings);
                    stack.pop();
                }
            }
        }
    }
}

// Writing an element on its own: here rather than in `element`, so that the tree does not
// depend on its writer.
impl Element {
    /// Writes this element on its own (it declares its namespace) to `out`.
    ///
    /// # Errors
    /// [`WriteError`] if a name is not a valid XML name or text holds a character XML 1.0
    /// forbids; `out` is then left as it was.
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        Writer::new().write_element(self, out)
    }

    /// This element on its own as an XML string; see [`write_to`](Self::write_to).
    ///
    /// # Errors
    /// As [`write_to`](Self::write_to).
    pub fn to_xml(&self) -> Result<String, WriteError> {
        let mut out = Vec::new();
        self.write_to(&mut out)?;
        // The writer only ever emits UTF-8 taken from `str`s and ASCII markup.
        String::from_utf8(out).map_err(|_| WriteError::Internal)
    }
}

fn forbidden(e: ForbiddenChar, context: &str) -> WriteError {
    WriteError::ForbiddenChar {
        ch: e.0,
        context: context.to_owned(),
    }
}

fn check_attr_name(a: &Attribute) -> Result<(), WriteError> {
    if !is_ncname(&a.name) {
        return Err(WriteError::InvalidName(a.name.to_string()));
    }
    if (a.ns.is_empty() && a.name == "xmlns") || a.ns == ns::XMLNS {
        return Err(WriteError::ReservedAttribute(a.name.to_string()));
    }
    Ok(())
}

/// Writes `name='value'` (the prefix, if any, is already written).
fn write_attr_value(a: &Attribute, out: &mut Vec<u8>) -> Result<(), WriteError> {
    out.extend_from_slice(a.name.as_bytes());
    out.extend_from_slice(b"='");
    escape_attr(&a.value, out)
        .map_err(|e| forbidden(e, &format!("attribute {}", a.name.as_str())))?;
    out.push(b'\'');
    Ok(())
}

fn write_decl(prefix: Option<&str>, uri: &str, out: &mut Vec<u8>) -> Result<(), WriteError> {
    out.extend_from_slice(b" xmlns");
    if let Some(p) = prefix {
        out.push(b':');
        out.extend_from_slice(p.as_bytes());
    }
    out.extend_from_slice(b"='");
    escape_attr(uri, out).map_err(|e| forbidden(e, "a namespace name"))?;
    out.push(b'\'');
    Ok(())
}

/// A usable prefix hint: an NCName that is not reserved.
fn usable_hint(hint: Option<&SharedStr>) -> Option<&str> {
    hint.map(SharedStr::as_str)
        .filter(|p| is_ncname(p) && !matches!(*p, "xml" | "xmlns"))
}

/// Writes `<name` with declarations and attributes; returns the element's prefix.
fn open_tag<'a>(
    el: &'a Element,
    scope: &mut Scope<'a>,
    default_ns: &mut &'a str,
    out: &mut Vec<u8>,
) -> Result<Option<&'a str>, WriteError> {
    if !is_ncname(&el.name) {
        return Err(WriteError::InvalidName(el.name.to_string()));
    }
    let uri: &'a str = &el.ns;
    if uri == ns::XMLNS {
        return Err(WriteError::InvalidNamespace(format!(
            "element <{}> cannot be in the xmlns namespace",
            el.name.as_str()
        )));
    }
    // (prefix to write, declaration to make: None = none, Some(None) = default)
    let (prefix, decl): (Option<&'a str>, Option<Option<&'a str>>) = if uri == ns::XML {
        (Some("xml"), None)
    } else {
        match usable_hint(el.prefix.as_ref()).filter(|_| !uri.is_empty()) {
            Some(p) if scope.lookup(p) == Some(uri) => (Some(p), None),
            Some(p) => (Some(p), Some(Some(p))),
            None if *default_ns == uri => (None, None),
            None => match scope.prefix_for(uri).filter(|_| !uri.is_empty()) {
                Some(p) => (Some(p), None),
                None => (None, Some(None)),
            },
        }
    };
    out.push(b'<');
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(el.name.as_bytes());
    match decl {
        None => {}
        Some(None) => {
            write_decl(None, uri, out)?;
            *default_ns = uri;
        }
        Some(Some(p)) => {
            write_decl(Some(p), uri, out)?;
            scope.local.push((p, uri));
        }
    }
    for a in &el.attrs {
        check_attr_name(a)?;
        out.push(b' ');
        let a_ns: &'a str = &a.ns;
        if a_ns.is_empty() {
            // Unprefixed: no namespace.
        } else if a_ns == ns::XML {
            out.extend_from_slice(b"xml:");
        } else {
            // A prefix is only declared here if it is unbound: declaring one that is bound
            // outside would change what this element's name or earlier attributes mean.
            let hint = usable_hint(a.prefix.as_ref());
            let chosen = match hint {
                Some(p) if scope.lookup(p) == Some(a_ns) => (p, false),
                Some(p) if scope.lookup(p).is_none() => (p, true),
                _ => match scope.prefix_for(a_ns) {
                    Some(p) => (p, false),
                    None => {
                        let p = GENERATED
                            .iter()
                            .copied()
                            .find(|p| scope.lookup(p).is_none())
                            .ok_or_else(|| {
                                WriteError::InvalidNamespace(format!(
                                    "too many attribute namespaces in scope at <{}>",
                                    el.name.as_str()
                                ))
                            })?;
                        (p, true)
                    }
                },
            };
            let (p, declare) = chosen;
            if declare {
                // A declaration is an attribute like any other: write it first.
                out.pop();
                write_decl(Some(p), a_ns, out)?;
                out.push(b' ');
                scope.local.push((p, a_ns));
            }
            out.extend_from_slice(p.as_bytes());
            out.push(b':');
        }
        write_attr_value(a, out)?;
    }
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(e: &Element) -> String {
        e.to_xml().unwrap()
    }

    #[test]
    fn standalone_elements_declare_their_namespace_once() {
        let e = Element::builder("iq", ns::CLIENT)
            .attr("type", "get")
            .attr("id", "1")
            .child(
                Element::builder("query", "jabber:iq:roster")
                    .child(Element::builder("item", "jabber:iq:roster")),
            )
            .build();
        assert_eq!(
            xml(&e),
            "<iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:roster'><item/>\
             </query></iq>"
        );
    }

    #[test]
    fn first_level_elements_in_a_stream_use_the_stream_context() {
        let header = StreamHeader::new(ns::SERVER).with_namespace("db", ns::DIALBACK);
        let w = Writer::for_stream(&header);
        let mut out = Vec::new();
        let msg = Element::builder("message", ns::SERVER)
            .attr("from", "a@x")
            .child(Element::builder("body", ns::SERVER).text("hi"))
            .build();
        w.write_element(&msg, &mut out).unwrap();
        let db = Element::builder("result", ns::DIALBACK)
            .attr("to", "y")
            .text("key")
            .build();
        w.write_element(&db, &mut out).unwrap();
        let err = Element::builder("error", ns::STREAM)
            .child(Element::new("conflict", ns::STREAM_ERRORS))
            .build();
        w.write_element(&err, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<message from='a@x'><body>hi</body></message>\
             <db:result to='y'>key</db:result>\
             <stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
        );
    }

    #[test]
    fn element_in_another_content_namespace_declares_it() {
        // A jabber:client stanza routed onto a jabber:server stream keeps its namespace.
        let w = Writer::for_stream(&StreamHeader::new(ns::SERVER));
        let mut out = Vec::new();
        w.write_element(&Element::new("presence", ns::CLIENT), &mut out)
            .unwrap();
        assert_eq!(out, b"<presence xmlns='jabber:client'/>");
    }

    #[test]
    fn prefix_hints_are_kept_and_declared_once() {
        let e = Element::builder("result", ns::DIALBACK)
            .prefix("db")
            .child(Element::builder("x", ns::DIALBACK).prefix("db"))
            .child(Element::builder("y", ns::DIALBACK))
            .build();
        assert_eq!(
            xml(&e),
            "<db:result xmlns:db='jabber:server:dialback'><db:x/><db:y/></db:result>"
        );
        // An unusable hint is ignored.
        let e = Element::builder("a", "urn:a").prefix("xmlns").build();
        assert_eq!(xml(&e), "<a xmlns='urn:a'/>");
    }

    #[test]
    fn namespaced_attributes_get_a_declared_prefix() {
        let e = Element::builder("x", "urn:x")
            .attr_ns("a", "urn:attr", "1")
            .attr_ns("b", "urn:attr", "2")
            .attr_ns("c", "urn:other", "3")
            .lang("en")
            .child(Element::builder("y", "urn:x").attr_ns("d", "urn:attr", "4"))
            .build();
        assert_eq!(
            xml(&e),
            "<x xmlns='urn:x' xmlns:ns0='urn:attr' ns0:a='1' ns0:b='2' xmlns:ns1='urn:other' \
             ns1:c='3' xml:lang='en'><y ns0:d='4'/></x>"
        );
    }

    #[test]
    fn attribute_prefixes_never_shadow_ones_in_use() {
        // The child's first attribute uses the parent's ns0; its second attribute must not
        // redeclare ns0 for another namespace.
        let e = Element::builder("a", "urn:e")
            .attr_ns("k", "urn:one", "1")
            .child(
                Element::builder("b", "urn:e")
                    .attr_ns("k", "urn:one", "2")
                    .attr_ns("k", "urn:two", "3"),
            )
            .build();
        assert_eq!(
            xml(&e),
            "<a xmlns='urn:e' xmlns:ns0='urn:one' ns0:k='1'><b ns0:k='2' xmlns:ns1='urn:two' \
             ns1:k='3'/></a>"
        );
        // A hint that is bound to another namespace outside is not used.
        let mut inner = Element::builder("b", "urn:e")
            .attr_ns("k", "urn:one", "2")
            .build();
        inner.set_attribute({
            let parsed = Element::parse(b"<x xmlns:ns0='urn:two' ns0:k='3'/>").unwrap();
            parsed.attrs()[0].clone()
        });
        let e = Element::builder("a", "urn:e")
            .attr_ns("k", "urn:one", "1")
            .child(inner)
            .build();
        let out = xml(&e);
        assert_eq!(Element::parse(out.as_bytes()).unwrap(), e, "{out}");
    }

    #[test]
    fn element_without_namespace_undeclares_the_default() {
        let e = Element::builder("a", "urn:a")
            .child(Element::new("b", ""))
            .build();
        assert_eq!(xml(&e), "<a xmlns='urn:a'><b xmlns=''/></a>");
        assert_eq!(xml(&Element::new("c", "")), "<c/>");
    }

    #[test]
    fn ucr_xml_2_text_and_attributes_are_escaped() {
        let e = Element::builder("body", ns::CLIENT)
            .attr("a", "<'\"&>\n")
            .text("1 < 2 & 3 > 2 \"'")
            .build();
        assert_eq!(
            xml(&e),
            "<body xmlns='jabber:client' a='&lt;&apos;&quot;&amp;&gt;&#xA;'>1 &lt; 2 &amp; 3 &gt; 2 \"'</body>"
        );
    }

    #[test]
    fn forbidden_characters_and_bad_names_are_refused_and_nothing_is_written() {
        let mut out = b"keep".to_vec();
        let w = Writer::new();
        let cases = [
            Element::builder("body", ns::CLIENT).text("a\u{0}b").build(),
            Element::builder("body", ns::CLIENT)
                .attr("x", "\u{FFFF}")
                .build(),
            Element::builder("bad name", ns::CLIENT).build(),
            Element::builder("a:b", ns::CLIENT).build(),
            Element::builder("body", ns::CLIENT).attr("1x", "v").build(),
            Element::builder("body", ns::CLIENT)
                .attr("xmlns", "v")
                .build(),
            Element::builder("body", ns::CLIENT)
                .attr_ns("p", ns::XMLNS, "v")
                .build(),
            Element::new("body", ns::XMLNS),
            Element::builder("ok", "urn:ok")
                .child(Element::builder("deep", "urn:ok").text("\u{7}"))
                .build(),
        ];
        for e in &cases {
            assert!(w.write_element(e, &mut out).is_err(), "{e:?}");
            assert_eq!(out, b"keep");
        }
        let err = w.write_element(&cases[0], &mut out).unwrap_err();
        assert_eq!(
            err.to_string(),
            "character U+0000 is not allowed in XML 1.0 (in the text of <body>)"
        );
    }

    #[test]
    fn stream_header_and_close() {
        let mut w = Writer::new();
        assert!(!w.in_stream());
        let mut out = Vec::new();
        let h = StreamHeader::new(ns::SERVER)
            .with_from("a.example")
            .with_id("x'y")
            .with_namespace("db", ns::DIALBACK);
        w.write_stream_header(&h, &mut out).unwrap();
        assert!(w.in_stream());
        w.write_stream_close(&mut out);
        assert!(!w.in_stream());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<?xml version='1.0'?><stream:stream from='a.example' id='x&apos;y' \
             xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
             xmlns:db='jabber:server:dialback'></stream:stream>"
        );
        let mut out = Vec::new();
        let bad = StreamHeader::new(ns::CLIENT).with_namespace("stream", "urn:x");
        assert!(w.write_stream_header(&bad, &mut out).is_err());
        assert!(out.is_empty());
        assert!(!w.in_stream());
    }

    #[test]
    fn deep_trees_are_written_without_recursion() {
        let mut e = Element::new("d", "urn:d");
        for _ in 0..100_000 {
            let mut parent = Element::new("d", "urn:d");
            parent.push_child(e);
            e = parent;
        }
        let s = xml(&e);
        assert!(s.starts_with("<d xmlns='urn:d'><d><d>"));
        assert_eq!(s.matches("<d>").count(), 100_000 - 1);
        assert_eq!(s.matches("</d>").count(), 100_000);
        assert!(s.contains("<d><d/></d>"));
    }
}
