//! The connection machine's view of the XML reader: stream header, first-level elements
//! and the stream close, with reader errors turned into stream errors.
//!
//! This module owns the mapping from [`XmlError`](crate::xml::XmlError) to
//! [`StreamError`] and the byte-exact hand-over of buffered bytes when TLS starts.

use crate::profile::Limits;
use crate::stream_error::{StreamCondition, StreamError};
use crate::xml::{Element, Reader, ReaderLimits, StreamHeader, XmlCondition, XmlEvent};

/// What the peer sent, as the machine sees it (whitespace keepalives are dropped here).
#[derive(Debug)]
pub(crate) enum Inbound {
    Header(StreamHeader),
    Element(Element),
    Close,
}

/// The XML reader of one direction of a connection.
#[derive(Debug)]
pub(crate) struct Framer {
    reader: Reader,
}

/// The stream error condition of an XML-level problem.
pub(crate) fn condition_of(c: XmlCondition) -> StreamCondition {
    match c {
        XmlCondition::BadFormat => StreamCondition::BadFormat,
        XmlCondition::BadNamespacePrefix => StreamCondition::BadNamespacePrefix,
        XmlCondition::InvalidNamespace => StreamCondition::InvalidNamespace,
        XmlCondition::NotWellFormed => StreamCondition::NotWellFormed,
        XmlCondition::PolicyViolation => StreamCondition::PolicyViolation,
        XmlCondition::RestrictedXml => StreamCondition::RestrictedXml,
        XmlCondition::UnsupportedEncoding => StreamCondition::UnsupportedEncoding,
    }
}

impl Framer {
    pub(crate) fn new(limits: &Limits) -> Self {
        let reader_limits = ReaderLimits {
            max_element_bytes: limits.max_stanza_bytes,
            max_depth: limits.max_depth,
            max_attributes: limits.max_attributes,
            ..ReaderLimits::default()
        };
        Framer {
            // The machine reads the header from its event and never asks the reader again.
            reader: Reader::with_limits(reader_limits).without_header_copy(),
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        self.reader.feed(bytes);
    }

    /// The next header, element or close; `Ok(None)` when more bytes are needed.
    pub(crate) fn next(&mut self) -> Result<Option<Inbound>, StreamError> {
        loop {
            return match self.reader.next_event() {
                Ok(None) => Ok(None),
                Ok(Some(XmlEvent::Whitespace(_))) => continue,
                Ok(Some(XmlEvent::StreamHeader(h))) => Ok(Some(Inbound::Header(h))),
                Ok(Some(XmlEvent::Element(e))) => Ok(Some(Inbound::Element(e))),
                Ok(Some(XmlEvent::StreamClose)) => Ok(Some(Inbound::Close)),
                Err(e) => Err(StreamError::new(condition_of(e.condition()))),
            };
        }
    }

    /// The bytes received but not read (they belong to the TLS layer after `<proceed/>`).
    pub(crate) fn take_rest(&mut self) -> Vec<u8> {
        self.reader.take_buffered().to_vec()
    }

    /// Frees the receive buffer when nothing is buffered, so an idle connection keeps no
    /// buffer (the next input allocates one again).
    pub(crate) fn release_if_empty(&mut self) {
        if self.reader.buffered().is_empty() {
            drop(self.reader.take_buffered());
        }
    }

    /// Frees the reader's empty buffers (see [`Reader::release_buffers`]).
    pub(crate) fn release_buffers(&mut self) {
        self.reader.release_buffers();
    }

    /// Bytes waiting in the reader.
    pub(crate) fn buffered(&self) -> usize {
        self.reader.buffered().len()
    }

    /// A new stream starts (restart): the buffered bytes are kept.
    pub(crate) fn restart(&mut self) {
        self.reader.reset();
    }
}
