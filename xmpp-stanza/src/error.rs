//! [`ParseError`]: why an element is not a valid stanza or payload. The stanza error that
//! answers it ([`ParseError::condition`], [`ParseError::to_stanza_error`]) is defined beside
//! [`StanzaError`](crate::StanzaError), in `stanza_error`.

use xmpp_jid::JidError;

/// Why an element could not be read as a typed stanza or payload.
///
/// Every variant names the element (and attribute or child) at fault. [`condition`](Self::condition)
/// gives the RFC 6120 stanza error condition to answer with, [`to_stanza_error`](Self::to_stanza_error)
/// the whole error (with this message as its `<text/>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The element is not the one the type reads.
    #[error("expected <{expected_name} xmlns='{expected_ns}'>, found <{name} xmlns='{ns}'>")]
    WrongElement {
        /// Local name expected.
        expected_name: &'static str,
        /// Namespace expected.
        expected_ns: &'static str,
        /// Local name found.
        name: String,
        /// Namespace found.
        ns: String,
    },
    /// A required attribute is missing.
    #[error("<{element}/> lacks the required attribute '{attr}'")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attr: &'static str,
    },
    /// An attribute has a value outside its allowed set or syntax.
    #[error("<{element}/> has an invalid '{attr}' value {value:?}: {reason}")]
    BadAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attr: &'static str,
        /// The value received.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An attribute (or element text) that must be a JID is not one.
    #[error("<{element}/> has an invalid JID in '{attr}': {source}")]
    BadJid {
        /// The element.
        element: &'static str,
        /// The attribute (or `"text"` for element content).
        attr: &'static str,
        /// Why the JID is invalid.
        #[source]
        source: JidError,
    },
    /// A required child element is missing.
    #[error("<{element}/> lacks the required child <{child}/>")]
    MissingChild {
        /// The parent element.
        element: &'static str,
        /// The missing child.
        child: &'static str,
    },
    /// A child element that may appear once (or once per `xml:lang`) appears again.
    #[error("<{element}/> has more than one <{child}/>{}", lang.as_deref().map(|l| format!(" with xml:lang '{l}'")).unwrap_or_default())]
    DuplicateChild {
        /// The parent element.
        element: &'static str,
        /// The repeated child.
        child: &'static str,
        /// The language the repeated children share, if any.
        lang: Option<String>,
    },
    /// A child element that is not allowed there.
    #[error("<{element}/> has an unexpected child <{child}/>")]
    UnexpectedChild {
        /// The parent element.
        element: &'static str,
        /// The child's local name.
        child: String,
    },
    /// Element text has the wrong syntax (a number out of range, an unknown keyword, ...).
    #[error("<{element}/> has invalid text {value:?}: {reason}")]
    BadText {
        /// The element.
        element: &'static str,
        /// The text received.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A stanza `type` that is not defined for that stanza kind.
    #[error("<{stanza}/> has an unknown type {value:?}")]
    UnknownType {
        /// `"iq"` or `"presence"` (messages take unknown types as `normal`).
        stanza: &'static str,
        /// The type received.
        value: String,
    },
    /// An iq get/set without exactly one child, or a result with more than one.
    #[error("<iq type='{kind}'/> must carry {expected}, found {found} child elements")]
    IqPayloadCount {
        /// The iq type.
        kind: &'static str,
        /// What the type allows.
        expected: &'static str,
        /// How many children were found.
        found: usize,
    },
    /// A date or time that does not follow its XEP-0082 profile.
    #[error("invalid XEP-0082 {profile} {value:?}: {reason}")]
    BadDateTime {
        /// `"Date"`, `"DateTime"` or `"Time"`.
        profile: &'static str,
        /// The text received.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}
