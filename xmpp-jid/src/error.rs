//! The one error type of this crate, [`JidError`], and the small types it carries to say which
//! part of an address failed and why.

use core::fmt;

/// One of the three parts of an address (RFC 6122 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The localpart before `@` (RFC 3920's "node identifier"), prepared with Nodeprep.
    Node,
    /// The domainpart, prepared with Nameprep and checked with IDNA ToASCII per label.
    Domain,
    /// The resourcepart after `/`, prepared with Resourceprep.
    Resource,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Node => "node",
            Part::Domain => "domain",
            Part::Resource => "resource",
        })
    }
}

/// A code point quoted in an error message, shown as `U+0040 '@'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodePoint(pub char);

impl fmt::Display for CodePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        if c.is_control() || c.is_whitespace() {
            write!(f, "U+{:04X}", c as u32)
        } else {
            write!(f, "U+{:04X} '{}'", c as u32, c)
        }
    }
}

/// The RFC 3454 table (or profile rule) that prohibits a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Prohibition {
    /// C.1.1: ASCII space (Nodeprep only).
    AsciiSpace,
    /// C.1.2: non-ASCII space characters.
    NonAsciiSpace,
    /// C.2.1: ASCII control characters.
    AsciiControl,
    /// C.2.2: non-ASCII control characters.
    NonAsciiControl,
    /// C.3: private use.
    PrivateUse,
    /// C.4: non-character code points. (Table C.5, surrogate codes, cannot occur: a Rust
    /// string never holds one.)
    NonCharacter,
    /// C.6: inappropriate for plain text.
    InappropriateForPlainText,
    /// C.7: inappropriate for canonical representation.
    InappropriateForCanonical,
    /// C.8: change display properties or deprecated.
    DisplayProperty,
    /// C.9: tagging characters.
    Tagging,
    /// Nodeprep's own ASCII exclusions: `"` `&` `'` `/` `:` `<` `>` `@` (RFC 3920 appendix A.5).
    NodeprepAscii,
}

impl fmt::Display for Prohibition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prohibition::AsciiSpace => "RFC 3454 table C.1.1 (ASCII space)",
            Prohibition::NonAsciiSpace => "RFC 3454 table C.1.2 (non-ASCII space)",
            Prohibition::AsciiControl => "RFC 3454 table C.2.1 (ASCII control)",
            Prohibition::NonAsciiControl => "RFC 3454 table C.2.2 (non-ASCII control)",
            Prohibition::PrivateUse => "RFC 3454 table C.3 (private use)",
            Prohibition::NonCharacter => "RFC 3454 table C.4 (non-character)",
            Prohibition::InappropriateForPlainText => {
                "RFC 3454 table C.6 (inappropriate for plain text)"
            }
            Prohibition::InappropriateForCanonical => {
                "RFC 3454 table C.7 (inappropriate for canonical representation)"
            }
            Prohibition::DisplayProperty => {
                "RFC 3454 table C.8 (changes display properties or deprecated)"
            }
            Prohibition::Tagging => "RFC 3454 table C.9 (tagging character)",
            Prohibition::NodeprepAscii => "Nodeprep's extra prohibited ASCII characters",
        })
    }
}

/// Which part of the stringprep bidirectional rule (RFC 3454 §6) a string breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BidiViolation {
    /// The string mixes right-to-left (table D.1) and left-to-right (table D.2) characters.
    MixedDirections,
    /// The string has right-to-left characters but does not start and end with one.
    RightToLeftNotAtEdges,
}

impl fmt::Display for BidiViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BidiViolation::MixedDirections => {
                "it mixes right-to-left (RandALCat) and left-to-right (LCat) characters"
            }
            BidiViolation::RightToLeftNotAtEdges => {
                "it has right-to-left characters but does not begin and end with one"
            }
        })
    }
}

/// Why one label of a domain fails IDNA2003 ToASCII with UseSTD3ASCIIRules (RFC 3490 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LabelError {
    /// The label is empty (`a..b`, or a leading dot).
    Empty,
    /// The label (in its ACE form when it is not ASCII) is longer than 63 octets.
    TooLong {
        /// Octets of the ASCII (ACE) form.
        len: usize,
    },
    /// The label holds an ASCII character other than a letter, digit or hyphen (STD3 rules).
    NotLdh(CodePoint),
    /// The label begins with a hyphen (STD3 rules).
    LeadingHyphen,
    /// The label ends with a hyphen (STD3 rules).
    TrailingHyphen,
    /// A non-ASCII label begins with the ACE prefix `xn--` (ToASCII step 5).
    AcePrefix,
    /// Punycode cannot encode the label (ToASCII step 6).
    Punycode,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelError::Empty => f.write_str("is empty"),
            LabelError::TooLong { len } => {
                write!(f, "is {len} octets in ASCII form; at most 63 are allowed")
            }
            LabelError::NotLdh(c) => write!(
                f,
                "contains {c}; only letters, digits and hyphens are allowed (STD3 rules)"
            ),
            LabelError::LeadingHyphen => f.write_str("begins with a hyphen"),
            LabelError::TrailingHyphen => f.write_str("ends with a hyphen"),
            LabelError::AcePrefix => {
                f.write_str("is not ASCII but begins with the ACE prefix xn--")
            }
            LabelError::Punycode => f.write_str("cannot be encoded with Punycode"),
        }
    }
}

/// Everything that can be wrong with an address, saying which part failed and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum JidError {
    /// A part that must be present is empty: an empty input or domain, `@example.com`
    /// (empty node before `@`), `example.com/` (empty resource after `/`).
    #[error("the {0} is empty")]
    Empty(Part),
    /// A part is longer than 1023 bytes after preparation (RFC 6122 §2.2–2.4).
    #[error("the {part} is {len} bytes long after preparation; at most 1023 are allowed")]
    TooLong {
        /// The part.
        part: Part,
        /// Its length in bytes after preparation.
        len: usize,
    },
    /// The raw input is so long that it is refused before any preparation work.
    #[error("the input is {len} bytes long; inputs over {max} bytes are refused")]
    InputTooLong {
        /// The input's length in bytes.
        len: usize,
        /// The limit ([`crate::MAX_INPUT_LEN`]).
        max: usize,
    },
    /// A character unassigned in Unicode 3.2 (RFC 3454 table A.1); stored strings refuse them.
    #[error("the {part} contains {ch}, which is unassigned in Unicode 3.2")]
    Unassigned {
        /// The part.
        part: Part,
        /// The character, as it appears in the input.
        ch: CodePoint,
    },
    /// A character the part's stringprep profile prohibits (after mapping and NFKC).
    #[error("the {part} contains {ch}, prohibited by {table}")]
    Prohibited {
        /// The part.
        part: Part,
        /// The character, as it appears after mapping and normalization.
        ch: CodePoint,
        /// The table that prohibits it.
        table: Prohibition,
    },
    /// The part (for a domain: one label) breaks the stringprep bidi rule.
    #[error("the {part} breaks the stringprep bidi rule: {violation}")]
    Bidi {
        /// The part.
        part: Part,
        /// Which rule.
        violation: BidiViolation,
    },
    /// A domain label fails IDNA ToASCII with STD3 rules.
    #[error("domain label {index} (counting from 0) {reason}")]
    DomainLabel {
        /// Position of the label in the domain.
        index: usize,
        /// What is wrong with it.
        reason: LabelError,
    },
    /// The domain is in square brackets but is not an IPv6 address.
    #[error("the domain is in square brackets but is not a valid IPv6 address")]
    InvalidIpLiteral,
    /// A [`FullJid`](crate::FullJid) was asked for but the address has no resource.
    #[error("a full JID needs a resource")]
    ResourceRequired,
    /// A [`BareJid`](crate::BareJid) was asked for but the address has a resource.
    #[error("a bare JID cannot have a resource")]
    ResourceNotAllowed,
    /// XEP-0106: a node may not begin or end with a space, so it cannot be escaped.
    #[error("the node begins or ends with a space, which XEP-0106 escaping forbids")]
    EscapeEdgeSpace,
}
