//! [`XmlError`], what the reader reports for bad input, and [`XmlCondition`], the RFC 6120
//! stream error condition each error maps to.

use std::fmt;

/// The stream error conditions (RFC 6120 §4.9.3) that XML-level problems map to.
///
/// The connection machine turns these into its full stream error condition type; the wire
/// names are given by [`as_str`](Self::as_str).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum XmlCondition {
    /// `bad-format`: well-formed XML that is not an XMPP stream (e.g. a root that is not
    /// `<stream:stream>`, character data between stanzas).
    BadFormat,
    /// `bad-namespace-prefix`: an undeclared prefix, or a required prefix missing.
    BadNamespacePrefix,
    /// `invalid-namespace`: the stream namespace is not `http://etherx.jabber.org/streams`.
    InvalidNamespace,
    /// `not-well-formed`: the bytes are not well-formed (namespace-well-formed) XML 1.0.
    NotWellFormed,
    /// `policy-violation`: a configured limit was exceeded.
    PolicyViolation,
    /// `restricted-xml`: a comment, processing instruction, DTD or entity reference
    /// (RFC 6120 §11.1).
    RestrictedXml,
    /// `unsupported-encoding`: not UTF-8 (an encoding declaration, a UTF-16 byte order mark,
    /// or invalid UTF-8 sequences, RFC 6120 §4.9.3.22 and §11.6).
    UnsupportedEncoding,
}

impl XmlCondition {
    /// The element name of the condition, as sent in `<stream:error>`.
    pub const fn as_str(self) -> &'static str {
        match self {
            XmlCondition::BadFormat => "bad-format",
            XmlCondition::BadNamespacePrefix => "bad-namespace-prefix",
            XmlCondition::InvalidNamespace => "invalid-namespace",
            XmlCondition::NotWellFormed => "not-well-formed",
            XmlCondition::PolicyViolation => "policy-violation",
            XmlCondition::RestrictedXml => "restricted-xml",
            XmlCondition::UnsupportedEncoding => "unsupported-encoding",
        }
    }
}

impl fmt::Display for XmlCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A construct that restricted XML (RFC 6120 §11.1) forbids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Restricted {
    /// `<!-- ... -->`.
    Comment,
    /// `<?target ...?>` (the XML declaration at the start of a stream is allowed).
    ProcessingInstruction,
    /// `<!DOCTYPE ...>` or any other markup declaration.
    Doctype,
    /// An entity reference other than the five predefined ones (`&name;`).
    EntityReference(String),
}

impl fmt::Display for Restricted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Restricted::Comment => f.write_str("a comment"),
            Restricted::ProcessingInstruction => f.write_str("a processing instruction"),
            Restricted::Doctype => f.write_str("a document type declaration"),
            Restricted::EntityReference(name) => write!(f, "the entity reference &{name};"),
        }
    }
}

/// Which limit of [`ReaderLimits`](super::ReaderLimits) was exceeded, with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`max_element_bytes`](super::ReaderLimits::max_element_bytes).
    ElementBytes(usize),
    /// [`max_depth`](super::ReaderLimits::max_depth).
    Depth(usize),
    /// [`max_attributes`](super::ReaderLimits::max_attributes).
    Attributes(usize),
    /// [`max_name_len`](super::ReaderLimits::max_name_len).
    NameLength(usize),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::ElementBytes(n) => write!(f, "a first-level element is larger than {n} bytes"),
            Limit::Depth(n) => write!(f, "elements are nested deeper than {n}"),
            Limit::Attributes(n) => write!(f, "an element has more than {n} attributes"),
            Limit::NameLength(n) => write!(f, "a name is longer than {n} bytes"),
        }
    }
}

/// Why the reader refused its input. Offsets count bytes from the start of the current
/// stream (since the reader was made or last reset).
///
/// Every variant maps to a stream error condition with [`condition`](Self::condition).
/// After an error the reader is poisoned: it returns the same error again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// A construct restricted XML forbids.
    #[error("{construct} at byte {offset} is not allowed in XMPP (RFC 6120 §11.1)")]
    Restricted {
        /// What was found.
        construct: Restricted,
        /// Where it starts.
        offset: u64,
    },
    /// Not well-formed XML.
    #[error("XML not well-formed at byte {offset}: {reason}")]
    NotWellFormed {
        /// What is wrong.
        reason: String,
        /// Where: the start of the construct (or first-level element) at fault.
        offset: u64,
    },
    /// Bytes that are not UTF-8.
    #[error("invalid UTF-8 in the {len} bytes at offset {offset}")]
    InvalidUtf8 {
        /// Start of the unit (first-level element or header) that holds the bad bytes.
        offset: u64,
        /// Length of that unit.
        len: usize,
    },
    /// An encoding other than UTF-8 was declared or detected.
    #[error("encoding {encoding:?} is not supported: XMPP streams are UTF-8 only")]
    UnsupportedEncoding {
        /// The declared or detected encoding.
        encoding: String,
    },
    /// A namespace prefix that is not declared in scope.
    #[error("namespace prefix {prefix:?} at byte {offset} is not declared")]
    UndeclaredPrefix {
        /// The prefix.
        prefix: String,
        /// The first-level element (or header) in which it occurs.
        offset: u64,
    },
    /// The stream root is in the streams namespace but not written `stream:stream`: unprefixed
    /// (`<stream xmlns='http://etherx.jabber.org/streams'>`) or with another prefix, which
    /// RFC 6120 §4.8.5 lets a receiver refuse.
    #[error("the stream root at byte {offset} must use the prefix `stream`, found {found:?}")]
    StreamPrefix {
        /// The prefix used (`""` for none).
        found: String,
        /// Where the header starts.
        offset: u64,
    },
    /// The stream root is not in the streams namespace.
    #[error("the stream namespace is {found:?}, expected \"http://etherx.jabber.org/streams\"")]
    InvalidStreamNamespace {
        /// The namespace the root element is in.
        found: String,
    },
    /// The stream is well-formed XML but not shaped as an XMPP stream.
    #[error("not an XMPP stream at byte {offset}: {reason}")]
    BadFormat {
        /// What is wrong.
        reason: String,
        /// Where.
        offset: u64,
    },
    /// A configured limit was exceeded.
    #[error("limit exceeded at byte {offset}: {limit}")]
    LimitExceeded {
        /// The limit and its value.
        limit: Limit,
        /// Start of the first-level element (or header) that exceeded it.
        offset: u64,
    },
}

impl XmlError {
    /// The stream error condition to send for this error.
    pub fn condition(&self) -> XmlCondition {
        match self {
            XmlError::Restricted { .. } => XmlCondition::RestrictedXml,
            XmlError::NotWellFormed { .. } => XmlCondition::NotWellFormed,
            XmlError::InvalidUtf8 { .. } | XmlError::UnsupportedEncoding { .. } => {
                XmlCondition::UnsupportedEncoding
            }
            XmlError::UndeclaredPrefix { .. } | XmlError::StreamPrefix { .. } => {
                XmlCondition::BadNamespacePrefix
            }
            XmlError::InvalidStreamNamespace { .. } => XmlCondition::InvalidNamespace,
            XmlError::BadFormat { .. } => XmlCondition::BadFormat,
            XmlError::LimitExceeded { .. } => XmlCondition::PolicyViolation,
        }
    }

    pub(crate) fn not_well_formed(reason: impl Into<String>, offset: u64) -> Self {
        XmlError::NotWellFormed {
            reason: reason.into(),
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucr_serr_5_conditions_have_rfc_6120_names() {
        let all = [
            (XmlCondition::BadFormat, "bad-format"),
            (XmlCondition::BadNamespacePrefix, "bad-namespace-prefix"),
            (XmlCondition::InvalidNamespace, "invalid-namespace"),
            (XmlCondition::NotWellFormed, "not-well-formed"),
            (XmlCondition::PolicyViolation, "policy-violation"),
            (XmlCondition::RestrictedXml, "restricted-xml"),
            (XmlCondition::UnsupportedEncoding, "unsupported-encoding"),
        ];
        for (c, name) in all {
            assert_eq!(c.as_str(), name);
            assert_eq!(c.to_string(), name);
        }
    }

    #[test]
    fn errors_map_to_conditions_and_say_where() {
        let e = XmlError::Restricted {
            construct: Restricted::EntityReference("foo".into()),
            offset: 7,
        };
        assert_eq!(e.condition(), XmlCondition::RestrictedXml);
        assert_eq!(
            e.to_string(),
            "the entity reference &foo; at byte 7 is not allowed in XMPP (RFC 6120 §11.1)"
        );
        let e = XmlError::LimitExceeded {
            limit: Limit::ElementBytes(10),
            offset: 3,
        };
        assert_eq!(e.condition(), XmlCondition::PolicyViolation);
        assert!(e.to_string().contains("larger than 10 bytes"));
        assert_eq!(
            XmlError::InvalidUtf8 { offset: 0, len: 1 }.condition(),
            XmlCondition::UnsupportedEncoding
        );
    }
}
