//! XEP-0258 security labels: the [`SecurityLabel`] a message carries (an optional
//! [`DisplayMarking`], the policy's [`Label`] and its equivalents), [`message_label`] to read it
//! from a message, and the label catalog ([`catalog`]).
//!
//! This module owns the wire format only. Whether a label may be sent or delivered is a
//! security-policy decision that belongs to the deployment (the server core's `labels` module
//! asks a policy object); nothing here interprets what a label means.
//!
//! ```
//! use xmpp_stanza::Message;
//! use xmpp_stanza::xep::seclabel::{self, DisplayMarking, Label, SecurityLabel};
//! use xmpp_stream::xml::Element;
//!
//! // A SECRET label: an ESS security label (RFC 2634, DER) with its display marking.
//! let label = SecurityLabel::new(Label::ess(vec![0x31, 0x06, 0x02, 0x01, 0x04, 0x06, 0x01, 0x29]))
//!     .with_marking(DisplayMarking::new("SECRET").with_colors("black", "red"));
//! let msg = Message::chat("romeo@example.net".parse()?, "This content is classified.")
//!     .with_payload(label.clone());
//!
//! let e = Element::from(msg);
//! assert_eq!(
//!     e.child("securitylabel", seclabel::NS).unwrap().to_xml()?,
//!     "<securitylabel xmlns='urn:xmpp:sec-label:0'>\
//!      <displaymarking fgcolor='black' bgcolor='red'>SECRET</displaymarking>\
//!      <label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>MQYCAQQGASk=</esssecuritylabel></label>\
//!      </securitylabel>"
//! );
//! let read = seclabel::message_label(&Message::try_from(&e)?)?;
//! assert_eq!(read, Some(label));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Strictness
//! A `<securitylabel/>` has exactly one `<label/>`, at most one `<displaymarking/>` and any
//! number of `<equivalentlabel/>`s, and nothing else; `<label/>` and `<equivalentlabel/>` hold
//! exactly one element of another namespace; an ESS label is base64 (whitespace allowed) of a
//! non-empty value. Whitespace between elements is ignored, other text is an error. The order of
//! the children is not checked; they are written in the order of the XEP's schema.

use base64::Engine;
use xmpp_stream::xml::{Element, Node};

use crate::util::no_children;
use crate::{Message, ParseError, Payload};

pub mod catalog;

pub use catalog::{Catalog, CatalogItem};

/// `urn:xmpp:sec-label:0`, the label element's namespace and its disco feature.
pub const NS: &str = "urn:xmpp:sec-label:0";
/// `urn:xmpp:sec-label:ess:0`, the namespace of an ESS security label (RFC 2634) in XMPP.
pub const NS_ESS: &str = "urn:xmpp:sec-label:ess:0";

/// The foreground colour a client uses when a marking names none (XEP-0258 schema default).
pub const DEFAULT_FGCOLOR: &str = "black";
/// The background colour a client uses when a marking names none (XEP-0258 schema default).
pub const DEFAULT_BGCOLOR: &str = "white";

/// `<displaymarking fgcolor='..' bgcolor='..'>TEXT</displaymarking>`: what a client shows for
/// the label without understanding the label's format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayMarking {
    /// The marking text (`SECRET`, `NATO UNCLASSIFIED`, ...); never empty.
    pub text: String,
    /// `fgcolor` as written (`None`: [`DEFAULT_FGCOLOR`]).
    pub fgcolor: Option<String>,
    /// `bgcolor` as written (`None`: [`DEFAULT_BGCOLOR`]).
    pub bgcolor: Option<String>,
}

impl DisplayMarking {
    /// A marking in the default colours.
    pub fn new(text: impl Into<String>) -> Self {
        DisplayMarking {
            text: text.into(),
            fgcolor: None,
            bgcolor: None,
        }
    }

    /// With explicit foreground and background colours (HTML colour names or `#rrggbb`).
    pub fn with_colors(mut self, fg: impl Into<String>, bg: impl Into<String>) -> Self {
        self.fgcolor = Some(fg.into());
        self.bgcolor = Some(bg.into());
        self
    }

    /// The foreground colour to use.
    pub fn foreground(&self) -> &str {
        self.fgcolor.as_deref().unwrap_or(DEFAULT_FGCOLOR)
    }

    /// The background colour to use.
    pub fn background(&self) -> &str {
        self.bgcolor.as_deref().unwrap_or(DEFAULT_BGCOLOR)
    }
}

/// The security policy's label: the one element inside `<label/>` or `<equivalentlabel/>`.
///
/// ESS labels are decoded (so that two spellings of the same DER value are one label); any
/// other format (a NATO XML label, a vendor's) is kept as its element, compared as XML (names,
/// namespaces, attributes as a set, content).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Label {
    /// `<esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>`: an RFC 2634 ESS security label,
    /// its DER encoding (never empty; not parsed further).
    Ess(Vec<u8>),
    /// Another label format, as received.
    Other(Element),
}

impl Label {
    /// An ESS security label from its DER encoding.
    pub fn ess(der: impl Into<Vec<u8>>) -> Label {
        Label::Ess(der.into())
    }

    /// The label element (as written inside `<label/>`).
    pub fn to_element(&self) -> Element {
        match self {
            Label::Ess(der) => Element::builder("esssecuritylabel", NS_ESS)
                .text(base64::engine::general_purpose::STANDARD.encode(der))
                .build(),
            Label::Other(e) => e.clone(),
        }
    }

    /// Reads the label element `e` (the child of `<label/>` or `<equivalentlabel/>`).
    ///
    /// # Errors
    /// [`ParseError::UnexpectedChild`] for an element of the security-label namespace itself;
    /// for an ESS label, [`ParseError::UnexpectedChild`] (it is text only) or
    /// [`ParseError::BadText`] (not base64, or empty).
    pub fn from_element(e: &Element) -> Result<Label, ParseError> {
        if e.ns() == NS {
            return Err(ParseError::UnexpectedChild {
                element: "label",
                child: e.name().to_owned(),
            });
        }
        if !e.is("esssecuritylabel", NS_ESS) {
            return Ok(Label::Other(e.clone()));
        }
        no_children(e, "esssecuritylabel")?;
        let text = e.text();
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bad = |reason| ParseError::BadText {
            element: "esssecuritylabel",
            value: text.clone().into_owned(),
            reason,
        };
        if compact.is_empty() {
            return Err(bad("an ESS security label must not be empty"));
        }
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map(Label::Ess)
            .map_err(|_| bad("not base64"))
    }
}

/// `<securitylabel xmlns='urn:xmpp:sec-label:0'>`: a label attached to a stanza.
///
/// ```
/// use xmpp_stanza::xep::seclabel::{Label, SecurityLabel};
/// use xmpp_stream::xml::Element;
///
/// let e: Element = "<securitylabel xmlns='urn:xmpp:sec-label:0'>\
///     <displaymarking bgcolor='green'>UNCLASSIFIED</displaymarking>\
///     <label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>MQYCAQEGASk=</esssecuritylabel></label>\
///     </securitylabel>".parse()?;
/// let label = SecurityLabel::try_from(&e)?;
/// assert_eq!(label.marking.as_ref().unwrap().background(), "green");
/// assert_eq!(label.marking.as_ref().unwrap().foreground(), "black");
/// assert!(matches!(label.label, Label::Ess(_)));
/// assert_eq!(Element::from(label), e);
///
/// // Two <label/>s: a typed error, answered with bad-request.
/// let bad: Element = "<securitylabel xmlns='urn:xmpp:sec-label:0'>\
///     <label><x xmlns='urn:example'/></label><label><x xmlns='urn:example'/></label>\
///     </securitylabel>".parse()?;
/// assert!(SecurityLabel::try_from(&bad).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecurityLabel {
    /// What a client displays.
    pub marking: Option<DisplayMarking>,
    /// The label under the sender's security policy.
    pub label: Label,
    /// The same label under other policies (`<equivalentlabel/>`), in order.
    pub equivalents: Vec<Label>,
}

impl SecurityLabel {
    /// A label without display marking or equivalents.
    pub fn new(label: Label) -> Self {
        SecurityLabel {
            marking: None,
            label,
            equivalents: Vec::new(),
        }
    }

    /// With this display marking.
    pub fn with_marking(mut self, marking: DisplayMarking) -> Self {
        self.marking = Some(marking);
        self
    }

    /// With one more equivalent label.
    pub fn with_equivalent(mut self, label: Label) -> Self {
        self.equivalents.push(label);
        self
    }
}

impl Payload for SecurityLabel {
    const NAME: &'static str = "securitylabel";
    const NS: &'static str = NS;
}

/// Refuses text other than whitespace directly inside `e`.
pub(crate) fn no_text(e: &Element, element: &'static str) -> Result<(), ParseError> {
    for node in e.nodes() {
        if let Node::Text(t) = node {
            if !t.chars().all(|c| c.is_ascii_whitespace()) {
                return Err(ParseError::BadText {
                    element,
                    value: t.to_string(),
                    reason: "text is not allowed here",
                });
            }
        }
    }
    Ok(())
}

/// The one label element inside `<label/>` or `<equivalentlabel/>`.
fn wrapped_label(e: &Element, element: &'static str) -> Result<Label, ParseError> {
    no_text(e, element)?;
    let mut children = e.children();
    let Some(inner) = children.next() else {
        return Err(ParseError::MissingChild {
            element,
            child: "a label element",
        });
    };
    if let Some(extra) = children.next() {
        return Err(ParseError::UnexpectedChild {
            element,
            child: extra.name().to_owned(),
        });
    }
    Label::from_element(inner)
}

fn color(e: &Element, attr: &'static str) -> Result<Option<String>, ParseError> {
    match e.attr(attr) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Err(ParseError::BadAttribute {
            element: "displaymarking",
            attr,
            value: v.to_owned(),
            reason: "a colour must not be empty",
        }),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

impl TryFrom<&Element> for DisplayMarking {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        crate::util::check(e, "displaymarking", NS)?;
        no_children(e, "displaymarking")?;
        let text = e.text();
        if text.trim().is_empty() {
            return Err(ParseError::BadText {
                element: "displaymarking",
                value: text.into_owned(),
                reason: "a display marking must not be empty",
            });
        }
        Ok(DisplayMarking {
            text: text.into_owned(),
            fgcolor: color(e, "fgcolor")?,
            bgcolor: color(e, "bgcolor")?,
        })
    }
}

impl From<DisplayMarking> for Element {
    fn from(m: DisplayMarking) -> Element {
        Element::builder("displaymarking", NS)
            .attr_opt("fgcolor", m.fgcolor)
            .attr_opt("bgcolor", m.bgcolor)
            .text(m.text)
            .build()
    }
}

impl TryFrom<&Element> for SecurityLabel {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        no_text(e, "securitylabel")?;
        let mut marking = None;
        let mut label = None;
        let mut equivalents = Vec::new();
        let duplicate = |child| ParseError::DuplicateChild {
            element: "securitylabel",
            child,
            lang: None,
        };
        for c in e.children() {
            let name = if c.ns() == NS { c.name() } else { "" };
            match name {
                "displaymarking" if marking.is_some() => return Err(duplicate("displaymarking")),
                "displaymarking" => marking = Some(DisplayMarking::try_from(c)?),
                "label" if label.is_some() => return Err(duplicate("label")),
                "label" => label = Some(wrapped_label(c, "label")?),
                "equivalentlabel" => equivalents.push(wrapped_label(c, "equivalentlabel")?),
                _ => {
                    return Err(ParseError::UnexpectedChild {
                        element: "securitylabel",
                        child: c.name().to_owned(),
                    });
                }
            }
        }
        let label = label.ok_or(ParseError::MissingChild {
            element: "securitylabel",
            child: "label",
        })?;
        Ok(SecurityLabel {
            marking,
            label,
            equivalents,
        })
    }
}

impl From<SecurityLabel> for Element {
    fn from(l: SecurityLabel) -> Element {
        Element::builder("securitylabel", NS)
            .child_opt(l.marking)
            .child(
                Element::builder("label", NS)
                    .child(l.label.to_element())
                    .build(),
            )
            .children(l.equivalents.iter().map(|q| {
                Element::builder("equivalentlabel", NS)
                    .child(q.to_element())
                    .build()
            }))
            .build()
    }
}

/// The security label of `m`: `None` if it carries none.
///
/// # Errors
/// The label's [`ParseError`], or [`ParseError::DuplicateChild`] when the message carries more
/// than one `<securitylabel/>` (a stanza has one label; two would leave its classification
/// ambiguous). Either is answered with `bad-request`.
pub fn message_label(m: &Message) -> Result<Option<SecurityLabel>, ParseError> {
    let mut labels = m.payloads.iter().filter(|e| SecurityLabel::matches(e));
    let Some(first) = labels.next() else {
        return Ok(None);
    };
    if labels.next().is_some() {
        return Err(ParseError::DuplicateChild {
            element: "message",
            child: "securitylabel",
            lang: None,
        });
    }
    SecurityLabel::try_from(first).map(Some)
}
