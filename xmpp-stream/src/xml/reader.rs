//! [`Reader`]: the incremental, sans-IO reader of an XML stream.
//!
//! Bytes go in with [`Reader::feed`] in any split; [`Reader::next_event`] hands out
//! [`XmlEvent`]s: the stream header, each complete first-level element, whitespace between them,
//! and the stream close.
//!
//! How it works, and why it is O(n): a small framing scanner finds where the current unit
//! (stream header, first-level element, stream close) ends, looking at each received byte
//! once and remembering where it stopped, so trickled input is never rescanned. Only a
//! complete unit is split off the buffer (no copy), checked as UTF-8, tokenized (by our own
//! one-pass tokenizer, or by `xmlparser` for syntax it leaves aside and for errors) and built into an [`Element`] whose strings are slices of that unit. The
//! scanner refuses restricted XML (comments, processing instructions, DTDs) and enforces
//! the size and depth limits as soon as the bytes arrive, so memory stays bounded by the
//! limit.

use bytes::{Buf, BytesMut};

use super::element::Element;
use super::error::{Limit, Restricted, XmlError};
use super::header::StreamHeader;
use super::limits::ReaderLimits;
use super::scanner::{
    Mode, Scan, ScanError, Sniff, Step, UnitKind, check_close, check_declaration, markup_decl,
    scan_unit, sniff_encoding,
};
use super::shared_str::SharedStr;
use super::tree::{Context, RootName, TreeBuilder};

/// What the reader found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlEvent {
    /// The stream header `<stream:stream ...>`, as soon as its `>` arrives. Only in stream
    /// mode ([`Reader::new`]).
    StreamHeader(StreamHeader),
    /// A complete first-level element (stanza or nonza).
    Element(Element),
    /// This many bytes of whitespace between first-level elements (or before the header):
    /// a keepalive. A run of whitespace may be reported in several pieces, depending on how
    /// the input was split.
    Whitespace(usize),
    /// The stream close `</stream:stream>`. Nothing more is read after it.
    StreamClose,
}

/// Counters of the work the reader did, for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ReaderStats {
    /// Bytes the framing scanner examined, counting re-examinations. Stays within a small
    /// constant of the input size, however the input is split.
    pub bytes_scanned: u64,
    /// Bytes handed to the tokenizer (complete units only, each once).
    pub bytes_tokenized: u64,
    /// First-level elements produced.
    pub elements: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Nothing consumed in this stream yet: an XML declaration may come.
    Start,
    /// Before the stream header (or, without a stream, between elements).
    Prolog,
    /// Inside the stream, between first-level elements.
    Stream,
    /// The stream is closed.
    Closed,
}

/// The incremental reader of one direction of an XML stream. Sans-IO: it never reads or
/// blocks; the caller feeds it bytes and pulls events.
///
/// ```
/// use xmpp_stream::xml::{ns, XmlEvent, Reader};
/// let mut reader = Reader::new();
/// let mut events = Vec::new();
/// // Any split works, down to one byte at a time.
/// for chunk in [&b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "[..],
///               b"xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'> <mess",
///               b"age to='romeo@example.net'><body>Hi</body></message></stream:stream>"] {
///     reader.feed(chunk);
///     while let Some(event) = reader.next_event()? {
///         events.push(event);
///     }
/// }
/// let XmlEvent::StreamHeader(header) = &events[0] else { panic!() };
/// assert_eq!(header.content_ns(), Some(ns::CLIENT));
/// assert_eq!(events[1], XmlEvent::Whitespace(1));
/// let XmlEvent::Element(message) = &events[2] else { panic!() };
/// assert_eq!(message.attr("to"), Some("romeo@example.net"));
/// assert_eq!(message.lang(), Some("en")); // inherited from the stream
/// assert_eq!(message.child("body", ns::CLIENT).unwrap().text(), "Hi");
/// assert_eq!(events[3], XmlEvent::StreamClose);
/// # Ok::<(), xmpp_stream::xml::XmlError>(())
/// ```
///
/// # Stream restarts and STARTTLS
///
/// [`next_event`](Self::next_event) consumes bytes only up to the end of the event it
/// returns. After `<proceed/>`, stop calling it:
/// [`take_buffered`](Self::take_buffered) returns the bytes received after the `>`, which
/// belong to TLS; then [`reset`](Self::reset) for the new stream. After SASL `<success/>`,
/// just [`reset`](Self::reset): buffered bytes are kept and read as the new stream.
/// [`consumed`](Self::consumed) counts the bytes consumed in the current stream.
#[derive(Debug)]
pub struct Reader {
    buf: BytesMut,
    limits: ReaderLimits,
    phase: Phase,
    scan: Option<Scan>,
    with_stream: bool,
    consumed: u64,
    ctx: Context,
    root: RootName,
    /// Boxed: a reader that keeps no copy (a connection machine's) pays one pointer for it.
    header: Option<Box<StreamHeader>>,
    /// Whether to keep a copy of the header for [`stream_header`](Self::stream_header).
    keep_header: bool,
    pending_close: bool,
    error: Option<XmlError>,
    tree: TreeBuilder,
    stats: ReaderStats,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

/// Smallest amount of free buffer space to reserve when bytes arrive.
const MIN_RESERVE: usize = 4096;

impl Reader {
    /// A reader for an XML stream (`<stream:stream>` ... `</stream:stream>`) with the default
    /// limits.
    pub fn new() -> Self {
        Reader::with_limits(ReaderLimits::default())
    }

    /// A reader for an XML stream with the given limits.
    pub fn with_limits(limits: ReaderLimits) -> Self {
        Reader {
            buf: BytesMut::new(),
            limits,
            phase: Phase::Start,
            scan: None,
            with_stream: true,
            consumed: 0,
            ctx: Context::default(),
            root: RootName::default(),
            header: None,
            keep_header: true,
            pending_close: false,
            error: None,
            tree: TreeBuilder::default(),
            stats: ReaderStats::default(),
        }
    }

    /// A reader for a sequence of top-level elements that are not wrapped in a stream
    /// header (framed transports such as RFC 7395 WebSocket, stored stanzas, tests). An XML
    /// declaration is allowed at the start; elements declare their own namespaces.
    pub fn without_stream(limits: ReaderLimits) -> Self {
        Reader {
            with_stream: false,
            ..Reader::with_limits(limits)
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &ReaderLimits {
        &self.limits
    }

    /// Adds received bytes. Nothing is parsed until [`next_event`](Self::next_event).
    pub fn feed(&mut self, data: &[u8]) {
        if self.buf.capacity() - self.buf.len() < data.len() {
            self.buf.reserve(data.len().max(MIN_RESERVE));
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes consumed in the current stream (since construction or the last
    /// [`reset`](Self::reset)): everything up to the end of the last event returned.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The bytes fed but not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Takes the bytes fed but not consumed (for example the first TLS bytes after
    /// `<proceed/>`), leaving the buffer empty and dropping any partly scanned unit.
    pub fn take_buffered(&mut self) -> BytesMut {
        self.scan = None;
        std::mem::take(&mut self.buf)
    }

    /// The same reader without the copy of the header that
    /// [`stream_header`](Self::stream_header) returns (which then stays `None`): for a user
    /// that takes the header from its [`XmlEvent::StreamHeader`] and keeps what it needs, such
    /// as the connection machine (a copy fewer per connection).
    pub(crate) fn without_header_copy(mut self) -> Self {
        self.keep_header = false;
        self
    }

    /// Frees the buffers that hold nothing: the input buffer when no byte waits in it, and
    /// the tree builder's scratch vectors (between two `next_event` calls they hold nothing
    /// that is read again). Nothing observable changes; the next input allocates them again
    /// (a connection machine calls this when its connection is idle).
    pub(crate) fn release_buffers(&mut self) {
        if self.buf.is_empty() {
            self.buf = BytesMut::new();
        }
        self.tree.release_buffers();
    }

    /// Starts a new stream (a restart after TLS or SASL, RFC 6120 §4.3.3): forgets the
    /// header, namespace context, errors and counts; keeps the buffered bytes, which are
    /// read as the start of the new stream.
    pub fn reset(&mut self) {
        self.phase = Phase::Start;
        self.scan = None;
        self.consumed = 0;
        self.ctx = Context::default();
        self.root = RootName::default();
        self.header = None;
        self.pending_close = false;
        self.error = None;
    }

    /// The current stream's header, once read.
    pub fn stream_header(&self) -> Option<&StreamHeader> {
        self.header.as_deref()
    }

    /// Whether `</stream:stream>` has been read.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Counters of the work done so far (not reset by [`reset`](Self::reset)).
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// The next event, `Ok(None)` if more bytes are needed (or the stream is closed).
    ///
    /// # Errors
    /// The [`XmlError`] that ends the stream; map it with [`XmlError::condition`]. The
    /// reader then stays failed (returns the same error) until [`reset`](Self::reset).
    pub fn next_event(&mut self) -> Result<Option<XmlEvent>, XmlError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.next_inner();
        if let Err(e) = &result {
            self.error = Some(e.clone());
        }
        result
    }

    fn next_inner(&mut self) -> Result<Option<XmlEvent>, XmlError> {
        if self.pending_close {
            self.pending_close = false;
            self.phase = Phase::Closed;
            return Ok(Some(XmlEvent::StreamClose));
        }
        loop {
            if self.phase == Phase::Closed {
                return Ok(None);
            }
            let scan = match self.scan {
                Some(scan) => scan,
                None => match self.begin_unit()? {
                    Begin::XmlEvent(event) => return Ok(Some(event)),
                    Begin::NeedMore => return Ok(None),
                    Begin::Unit(scan) if scan.kind == UnitKind::Element => {
                        // One pass: the fast tokenizer frames the element and keeps its
                        // tokens. If the element is not all there, or uses syntax it
                        // leaves aside, the framing scanner starts over (once per unit).
                        match self.tree.frame(&self.buf, &self.limits) {
                            Ok(len) => {
                                self.stats.bytes_scanned += len as u64;
                                let event = self.finish_unit(UnitKind::Element, len, true)?;
                                if let Some(event) = event {
                                    return Ok(Some(event));
                                }
                                continue;
                            }
                            Err(looked_at) => self.stats.bytes_scanned += looked_at as u64,
                        }
                        scan
                    }
                    Begin::Unit(scan) => scan,
                },
            };
            let mut scan = scan;
            let step = self.run(&mut scan);
            self.scan = Some(scan);
            match step? {
                Step::NeedMore => return Ok(None),
                Step::Complete(len) => {
                    self.scan = None;
                    if let Some(event) = self.finish_unit(scan.kind, len, false)? {
                        return Ok(Some(event));
                    }
                }
            }
        }
    }

    fn offset(&self) -> u64 {
        self.consumed
    }

    fn consume(&mut self, n: usize) {
        self.buf.advance(n);
        self.consumed += n as u64;
    }

    /// Looks at the start of the buffer: whitespace, or the start of a unit.
    fn begin_unit(&mut self) -> Result<Begin, XmlError> {
        let offset = self.offset();
        if self.phase == Phase::Start {
            match sniff_encoding(&self.buf) {
                Sniff::Other(encoding) => {
                    return Err(XmlError::UnsupportedEncoding {
                        encoding: encoding.to_owned(),
                    });
                }
                Sniff::Undecided => return Ok(Begin::NeedMore),
                Sniff::Utf8 => {}
            }
        }
        let ws = self
            .buf
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(self.buf.len());
        self.stats.bytes_scanned += ws as u64 + u64::from(ws < self.buf.len());
        if ws > 0 {
            if self.phase == Phase::Start {
                self.phase = Phase::Prolog;
            }
            self.consume(ws);
            return Ok(Begin::XmlEvent(XmlEvent::Whitespace(ws)));
        }
        let Some(&first) = self.buf.first() else {
            return Ok(Begin::NeedMore);
        };
        if first != b'<' {
            return Err(match self.phase {
                Phase::Stream => XmlError::BadFormat {
                    reason: "character data between first-level elements".into(),
                    offset,
                },
                _ if first == 0xEF => XmlError::not_well_formed(
                    "U+FEFF before the first element (XMPP has no byte order mark)",
                    offset,
                ),
                _ => XmlError::not_well_formed("character data outside the root element", offset),
            });
        }
        let Some(&second) = self.buf.get(1) else {
            return Ok(Begin::NeedMore);
        };
        let unit = |kind, mode, pos| {
            Ok(Begin::Unit(Scan {
                kind,
                mode,
                pos,
                depth: 0,
            }))
        };
        match second {
            b'?' => {
                const DECL: &[u8] = b"<?xml";
                let head = &self.buf[..self.buf.len().min(DECL.len() + 1)];
                if head.len() <= DECL.len() && DECL.starts_with(head) {
                    return Ok(Begin::NeedMore);
                }
                let is_decl = head.starts_with(DECL)
                    && matches!(head[DECL.len()], b' ' | b'\t' | b'\r' | b'\n');
                if is_decl && self.phase == Phase::Start {
                    unit(UnitKind::Declaration, Mode::Declaration, 2)
                } else if is_decl {
                    Err(XmlError::not_well_formed(
                        "an XML declaration is only allowed at the start of a stream",
                        offset,
                    ))
                } else {
                    Err(XmlError::Restricted {
                        construct: Restricted::ProcessingInstruction,
                        offset,
                    })
                }
            }
            b'!' => match markup_decl(&self.buf) {
                None => Ok(Begin::NeedMore),
                Some(Ok(construct)) => Err(XmlError::Restricted { construct, offset }),
                Some(Err(())) => Err(XmlError::not_well_formed(
                    if self.phase == Phase::Stream {
                        "CDATA or markup declaration between first-level elements"
                    } else {
                        "CDATA or markup declaration outside the root element"
                    },
                    offset,
                )),
            },
            b'/' if self.phase == Phase::Stream && self.with_stream => unit(
                UnitKind::Close,
                Mode::Tag {
                    quote: 0,
                    close: true,
                },
                2,
            ),
            b'/' => Err(XmlError::not_well_formed(
                "end tag without a start tag",
                offset,
            )),
            _ if self.phase == Phase::Stream || !self.with_stream => unit(
                UnitKind::Element,
                Mode::Tag {
                    quote: 0,
                    close: false,
                },
                1,
            ),
            _ => unit(
                UnitKind::Header,
                Mode::Tag {
                    quote: 0,
                    close: false,
                },
                1,
            ),
        }
    }

    /// Runs the framing scanner over the bytes not yet examined.
    fn run(&mut self, scan: &mut Scan) -> Result<Step, XmlError> {
        let buf = &self.buf[..];
        let start_pos = scan.pos;
        let mut extra = 0u64;
        let step = scan_unit(scan, buf, &self.limits, &mut extra);
        self.stats.bytes_scanned += (scan.pos.saturating_sub(start_pos)) as u64 + extra;
        let offset = self.consumed;
        match step {
            Ok(Step::NeedMore) if scan.pos > self.limits.max_element_bytes => {
                Err(XmlError::LimitExceeded {
                    limit: Limit::ElementBytes(self.limits.max_element_bytes),
                    offset,
                })
            }
            Ok(Step::Complete(len)) if len > self.limits.max_element_bytes => {
                Err(XmlError::LimitExceeded {
                    limit: Limit::ElementBytes(self.limits.max_element_bytes),
                    offset,
                })
            }
            Ok(step) => Ok(step),
            Err(ScanError::Restricted(construct, at)) => Err(XmlError::Restricted {
                construct,
                offset: offset + at as u64,
            }),
            Err(ScanError::Depth) => Err(XmlError::LimitExceeded {
                limit: Limit::Depth(self.limits.max_depth),
                offset,
            }),
            Err(ScanError::Malformed(reason, at)) => {
                Err(XmlError::not_well_formed(reason, offset + at as u64))
            }
        }
    }

    /// Ends the unit of `len` bytes at the start of the buffer. `framed`: it is a
    /// first-level element that the fast tokenizer framed (its tokens are kept).
    fn finish_unit(
        &mut self,
        kind: UnitKind,
        len: usize,
        framed: bool,
    ) -> Result<Option<XmlEvent>, XmlError> {
        let offset = self.offset();
        self.stats.bytes_tokenized += len as u64;
        match kind {
            UnitKind::Declaration => {
                check_declaration(&self.buf[..len], offset)?;
                self.consume(len);
                self.phase = Phase::Prolog;
                Ok(None)
            }
            UnitKind::Header => {
                let unit = self.split_unit(len, offset)?;
                let (header, ctx, root, empty) = self.tree.header(&unit, &self.limits, offset)?;
                self.ctx = ctx;
                self.root = root;
                if self.keep_header {
                    self.header = Some(Box::new(header.clone()));
                }
                self.phase = Phase::Stream;
                self.pending_close = empty;
                Ok(Some(XmlEvent::StreamHeader(header)))
            }
            UnitKind::Close => {
                check_close(&self.buf[..len], &self.root, offset)?;
                self.consume(len);
                self.phase = Phase::Closed;
                Ok(Some(XmlEvent::StreamClose))
            }
            UnitKind::Element => {
                let unit = self.split_unit(len, offset)?;
                let element = self
                    .tree
                    .element(&unit, &self.ctx, &self.limits, offset, framed)?;
                if self.phase == Phase::Start {
                    self.phase = Phase::Prolog;
                }
                self.stats.elements += 1;
                Ok(Some(XmlEvent::Element(element)))
            }
        }
    }

    /// Splits the first `len` bytes off the buffer (no copy) as checked UTF-8.
    fn split_unit(&mut self, len: usize, offset: u64) -> Result<SharedStr, XmlError> {
        // Validated once, after the split: an error ends the stream anyway.
        let bytes = self.buf.split_to(len).freeze();
        self.consumed += len as u64;
        SharedStr::from_utf8(bytes).map_err(|_| XmlError::InvalidUtf8 { offset, len })
    }
}

enum Begin {
    XmlEvent(XmlEvent),
    NeedMore,
    Unit(Scan),
}

/// [`Element::parse`]: one element, alone, with the default limits (except size).
pub(crate) fn parse_single(input: &[u8]) -> Result<Element, XmlError> {
    let limits = ReaderLimits {
        max_element_bytes: input.len().max(ReaderLimits::DEFAULT.max_element_bytes),
        ..ReaderLimits::DEFAULT
    };
    let mut reader = Reader::without_stream(limits);
    reader.feed(input);
    let mut found = None;
    while let Some(event) = reader.next_event()? {
        match event {
            XmlEvent::Element(e) if found.is_none() => found = Some(e),
            XmlEvent::Element(_) => {
                return Err(XmlError::not_well_formed(
                    "more than one element",
                    reader.consumed(),
                ));
            }
            _ => {}
        }
    }
    match found {
        Some(e) if reader.buffered().is_empty() => Ok(e),
        Some(_) => Err(XmlError::not_well_formed(
            "unexpected end of input after the element",
            reader.consumed(),
        )),
        None => Err(XmlError::not_well_formed(
            if reader.buffered().is_empty() {
                "no element"
            } else {
                "unexpected end of input"
            },
            reader.consumed(),
        )),
    }
}

impl Element {
    /// Parses one complete element from `input` (an XML declaration, and whitespace around
    /// the element, are allowed), with the same rules and limits as the stream [`Reader`]
    /// except that the input's own size is accepted.
    ///
    /// ```
    /// use xmpp_stream::xml::{ns, Element};
    /// let e = Element::parse(b"<iq xmlns='jabber:client' type='get' id='1'/>")?;
    /// assert!(e.is("iq", ns::CLIENT));
    /// let same: Element = "<iq type='get' id='1' xmlns='jabber:client'/>".parse()?;
    /// assert_eq!(e, same);
    /// # Ok::<(), xmpp_stream::xml::XmlError>(())
    /// ```
    ///
    /// # Errors
    /// Any [`XmlError`]; input with no element, more than one, or an unfinished one is
    /// [`XmlError::NotWellFormed`].
    pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
        parse_single(input)
    }
}

impl std::str::FromStr for Element {
    type Err = XmlError;

    /// See [`Element::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Element::parse(s.as_bytes())
    }
}

impl TryFrom<&[u8]> for Element {
    type Error = XmlError;

    /// See [`Element::parse`].
    fn try_from(input: &[u8]) -> Result<Self, Self::Error> {
        Element::parse(input)
    }
}
