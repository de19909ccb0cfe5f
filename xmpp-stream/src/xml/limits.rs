//! [`ReaderLimits`]: the bounds the reader enforces on what a peer sends.

/// Limits on received XML, on by default. Exceeding one ends the stream with
/// [`XmlError::LimitExceeded`](super::XmlError::LimitExceeded), which maps to
/// `<policy-violation/>`.
///
/// Memory held by the reader is bounded by `max_element_bytes` plus the largest chunk handed
/// to one `Reader::feed` call (the caller drains events between feeds).
///
/// ```
/// use xmpp_stream::xml::ReaderLimits;
/// let limits = ReaderLimits { max_element_bytes: 1 << 20, ..ReaderLimits::default() };
/// assert_eq!(limits.max_depth, ReaderLimits::default().max_depth);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReaderLimits {
    /// Largest first-level element (stanza or nonza), and largest stream header, in bytes from
    /// its `<` to its final `>`. Default 256 KiB. RFC 6120 §13.12 asks for at least 10 000.
    pub max_element_bytes: usize,
    /// Deepest nesting inside a first-level element, counting that element as 1. Default 64.
    pub max_depth: usize,
    /// Most attributes on one element, namespace declarations included. Default 64.
    pub max_attributes: usize,
    /// Longest qualified name (`prefix:local`) of an element or attribute, in bytes.
    /// Default 256.
    pub max_name_len: usize,
}

impl ReaderLimits {
    /// The defaults: 256 KiB elements, depth 64, 64 attributes, 256-byte names.
    pub const DEFAULT: ReaderLimits = ReaderLimits {
        max_element_bytes: 256 * 1024,
        max_depth: 64,
        max_attributes: 64,
        max_name_len: 256,
    };
}

impl Default for ReaderLimits {
    fn default() -> Self {
        ReaderLimits::DEFAULT
    }
}
