//! The XML layer of XMPP streams: the incremental [`Reader`], the namespace-resolved
//! [`Element`] tree, the [`Writer`], and [`StreamHeader`].
//!
//! This module owns every byte of XML the workspace reads or writes: nothing else formats or
//! parses XML.
//!
//! # Reading
//!
//! [`Reader`] is sans-IO: [`feed`](Reader::feed) it bytes in any split and pull
//! [`XmlEvent`]s with [`next_event`](Reader::next_event): [`XmlEvent::StreamHeader`],
//! [`XmlEvent::Element`] for each complete first-level element, [`XmlEvent::Whitespace`]
//! (keepalives), [`XmlEvent::StreamClose`]. Total work is linear in the bytes received however
//! they are split. Restricted XML (RFC 6120 §11) is enforced, limits ([`ReaderLimits`]) are
//! on by default, and every refusal is an [`XmlError`] whose [`condition`](XmlError::condition)
//! is the stream error to send ([`XmlCondition::as_str`]). [`Reader::consumed`],
//! [`Reader::take_buffered`] and [`Reader::reset`] serve STARTTLS and stream restarts.
//! [`Element::parse`] (and `str::parse`) read one standalone element.
//!
//! ```
//! use xmpp_stream::xml::{XmlEvent, Reader, XmlCondition};
//! let mut reader = Reader::new();
//! reader.feed(b"<stream:stream xmlns='jabber:client' \
//!               xmlns:stream='http://etherx.jabber.org/streams'><message><!-- x --></message>");
//! assert!(matches!(reader.next_event(), Ok(Some(XmlEvent::StreamHeader(_)))));
//! let err = reader.next_event().unwrap_err();
//! assert_eq!(err.condition(), XmlCondition::RestrictedXml);
//! assert_eq!(err.condition().as_str(), "restricted-xml");
//! ```
//!
//! # The element model
//!
//! - [`Element`]: local [`name`](Element::name), namespace URI [`ns`](Element::ns),
//!   attributes, and children ([`Node`]: element or text) in document order. Prefixes are
//!   resolved away; [`Element::prefix`] only keeps a hint for the writer.
//! - Strings are [`SharedStr`]: static, owned, or a slice of the receive buffer (no copy).
//!   `&'static str` and `String` convert into it with `.into()`; it derefs to `str`.
//! - Lookups: [`child(name, ns)`](Element::child), [`children()`](Element::children),
//!   [`children_ns(ns)`](Element::children_ns),
//!   [`children_named(name, ns)`](Element::children_named), [`attr(name)`](Element::attr),
//!   [`attr_ns(name, ns)`](Element::attr_ns), [`text()`](Element::text),
//!   [`child_text(name, ns)`](Element::child_text), [`is(name, ns)`](Element::is).
//! - `xml:lang` is the attribute `lang` in [`ns::XML`]: [`Element::lang`] reads it,
//!   [`ElementBuilder::lang`] sets it, and [`Element::effective_lang`] applies inheritance
//!   while walking down a tree.
//! - Building: [`Element::builder(name, ns)`](Element::builder) then
//!   `.attr(..)`, `.attr_opt(..)`, `.attr_ns(..)`, `.lang(..)`, `.child(..)`, `.text(..)`,
//!   `.build()`; or [`Element::new`] and the `set_*`/`push_*` methods.
//!
//! # Typed payloads
//!
//! Crates above this one convert with the standard traits:
//! `impl TryFrom<&Element> for Message` (check [`Element::is`] first, return your crate's
//! error naming what is wrong) and `impl From<Message> for Element` (infallible; characters
//! XML forbids are caught when writing).
//!
//! # Writing
//!
//! [`Element::to_xml`] / [`Element::write_to`] write a standalone element.
//! Inside a stream, use one [`Writer`] per direction:
//! [`write_stream_header`](Writer::write_stream_header) (XML declaration and
//! `<stream:stream>`), then [`write_element`](Writer::write_element) for each first-level
//! element (stanzas come out unprefixed with no namespace declaration, `<stream:features>`
//! with the stream prefix), then [`write_stream_close`](Writer::write_stream_close).
//!
//! ```
//! use xmpp_stream::xml::{ns, Element, StreamHeader, Writer};
//! let mut out = Vec::new();
//! let mut writer = Writer::new();
//! writer.write_stream_header(&StreamHeader::new(ns::CLIENT).with_to("example.com"), &mut out)?;
//! let presence = Element::builder("presence", ns::CLIENT).build();
//! writer.write_element(&presence, &mut out)?;
//! assert!(out.ends_with(b"<presence/>"));
//! # Ok::<(), xmpp_stream::xml::WriteError>(())
//! ```

mod chars;
mod element;
mod error;
mod header;
mod limits;
mod names;
pub mod ns;
mod reader;
mod scanner;
mod shared_str;
mod tokens;
mod tree;
mod writer;

pub use element::{Attribute, Element, ElementBuilder, Node};
pub use error::{Limit, Restricted, XmlCondition, XmlError};
pub use header::StreamHeader;
pub use limits::ReaderLimits;
pub use reader::{Reader, ReaderStats, XmlEvent};
pub use shared_str::SharedStr;
pub use writer::{WriteError, Writer};
