//! The XEP-0198 elements on the wire: [`Nonza`] and one struct per element, read with
//! `TryFrom<&Element>` and written with `From<Nonza> for Element`.
//!
//! Reading is strict where a value matters and tolerant elsewhere: the namespace and name
//! must be right, `h` must be an `xs:unsignedInt` (decimal digits only, at most
//! 4294967295), `max` a positive one, booleans `true`/`1`/`false`/`0`, and `previd` and
//! `id` non-empty; unknown attributes and unknown children are ignored. Every refusal is a
//! [`WireError`].
//!
//! ```
//! use xmpp_stream::stream_management::{Counter, Nonza, Resume};
//! use xmpp_stream::xml::Element;
//! let el: Element = "<resume xmlns='urn:xmpp:sm:3' previd='some-long-sm-id' h='12'/>".parse()?;
//! let resume = Resume { previd: "some-long-sm-id".into(), h: Counter::new(12) };
//! assert_eq!(Nonza::try_from(&el)?, Nonza::Resume(resume.clone()));
//! assert_eq!(Element::from(resume), el);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::NS;
use super::condition::FailedCondition;
use super::counter::{Counter, ParseCounterError, parse_u32};
use crate::xml::{Element, ns};

/// `<enable/>`: the initiating entity turns stream management on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Enable {
    /// `resume`: the session should be resumable (default `false`).
    pub resume: bool,
    /// `max`: the preferred resumption window in seconds.
    pub max: Option<u32>,
}

/// `<enabled/>`: the receiving entity turned stream management on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Enabled {
    /// `id`: the session's identifier for a later `<resume previd=''/>`.
    pub id: Option<String>,
    /// `resume`: the session can be resumed.
    pub resume: bool,
    /// `max`: the resumption window the receiving entity grants, in seconds.
    pub max: Option<u32>,
    /// `location`: where to reconnect to resume (`host` or `host:port`).
    pub location: Option<String>,
}

/// `<resume/>`: the initiating entity asks to resume session `previd`, having handled `h`
/// of the stanzas the receiving entity sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resume {
    /// The `id` of the session's `<enabled/>`.
    pub previd: String,
    /// The stanzas handled from the peer.
    pub h: Counter,
}

/// `<resumed/>`: the session is resumed; the receiving entity had handled `h` stanzas.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resumed {
    /// The resumed session's id.
    pub previd: String,
    /// The stanzas handled from the peer.
    pub h: Counter,
}

/// `<failed/>`: enabling or resuming failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Failed {
    /// `h`: after a failed resumption, the stanzas of the old session the sender had
    /// handled (the others were not received).
    pub h: Option<Counter>,
    /// The stanza error condition; an unknown one reads as `undefined-condition`.
    pub condition: Option<FailedCondition>,
    /// The `<text/>` in the stanzas namespace, trimmed (diagnostic only).
    pub text: Option<String>,
}

impl Failed {
    /// A `<failed/>` with a condition and no `h`.
    pub fn new(condition: FailedCondition) -> Failed {
        Failed {
            condition: Some(condition),
            ..Failed::default()
        }
    }
}

/// `<a h=''/>`: the sender has handled `h` stanzas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ack {
    /// The stanzas handled.
    pub h: Counter,
}

/// Every XEP-0198 element (`urn:xmpp:sm:3`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Nonza {
    /// `<sm/>` in `<stream:features/>` (its `<optional/>` or `<required/>` child is ignored).
    Feature,
    /// `<enable/>`.
    Enable(Enable),
    /// `<enabled/>`.
    Enabled(Enabled),
    /// `<resume/>`.
    Resume(Resume),
    /// `<resumed/>`.
    Resumed(Resumed),
    /// `<failed/>`.
    Failed(Failed),
    /// `<r/>`: please acknowledge.
    Request,
    /// `<a/>`.
    Ack(Ack),
}

impl Nonza {
    /// The element name (`sm`, `enable`, ..., `r`, `a`).
    pub fn name(&self) -> &'static str {
        match self {
            Nonza::Feature => "sm",
            Nonza::Enable(_) => "enable",
            Nonza::Enabled(_) => "enabled",
            Nonza::Resume(_) => "resume",
            Nonza::Resumed(_) => "resumed",
            Nonza::Failed(_) => "failed",
            Nonza::Request => "r",
            Nonza::Ack(_) => "a",
        }
    }
}

/// Whether `el` is in the stream management namespace (what a machine routes here).
pub fn is_sm(el: &Element) -> bool {
    el.ns() == NS
}

/// Why an attribute value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum BadValue {
    /// Not an `xs:unsignedInt`.
    #[error("{0}")]
    Number(#[from] ParseCounterError),
    /// Not `true`, `1`, `false` or `0`.
    #[error("not an xs:boolean (true, 1, false, 0)")]
    Boolean,
    /// `max` is zero (it is an `xs:positiveInteger`).
    #[error("not a positive integer")]
    Zero,
    /// An empty identifier.
    #[error("empty")]
    Empty,
}

/// An element that is not a valid XEP-0198 element.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum WireError {
    /// Not in `urn:xmpp:sm:3` (at most 64 characters of the namespace kept).
    #[error("namespace {0:?} is not urn:xmpp:sm:3")]
    WrongNamespace(String),
    /// No such element in `urn:xmpp:sm:3` (at most 64 characters of the name kept).
    #[error("<{0}/> is not a stream management element")]
    UnknownElement(String),
    /// A required attribute is absent.
    #[error("<{element}/> lacks the '{attribute}' attribute")]
    MissingAttribute {
        /// The element name.
        element: &'static str,
        /// The attribute name.
        attribute: &'static str,
    },
    /// An attribute value is invalid.
    #[error("<{element} {attribute}={value:?}/>: {reason}")]
    BadAttribute {
        /// The element name.
        element: &'static str,
        /// The attribute name.
        attribute: &'static str,
        /// The value (at most 64 characters kept).
        value: String,
        /// What is wrong with it.
        reason: BadValue,
    },
}

fn truncated(s: &str) -> String {
    s.chars().take(64).collect()
}

fn bad(element: &'static str, attribute: &'static str, value: &str, reason: BadValue) -> WireError {
    WireError::BadAttribute {
        element,
        attribute,
        value: truncated(value),
        reason,
    }
}

fn required<'a>(
    el: &'a Element,
    element: &'static str,
    attribute: &'static str,
) -> Result<&'a str, WireError> {
    el.attr(attribute)
        .ok_or(WireError::MissingAttribute { element, attribute })
}

fn counter(
    value: &str,
    element: &'static str,
    attribute: &'static str,
) -> Result<Counter, WireError> {
    value
        .parse()
        .map_err(|e: ParseCounterError| bad(element, attribute, value, e.into()))
}

fn h_attr(el: &Element, element: &'static str) -> Result<Counter, WireError> {
    counter(required(el, element, "h")?, element, "h")
}

fn boolean(
    el: &Element,
    element: &'static str,
    attribute: &'static str,
) -> Result<bool, WireError> {
    match el.attr(attribute) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(v) => Err(bad(element, attribute, v, BadValue::Boolean)),
    }
}

fn max(el: &Element, element: &'static str) -> Result<Option<u32>, WireError> {
    let Some(v) = el.attr("max") else {
        return Ok(None);
    };
    match parse_u32(v) {
        Ok(0) => Err(bad(element, "max", v, BadValue::Zero)),
        Ok(n) => Ok(Some(n)),
        Err(e) => Err(bad(element, "max", v, e.into())),
    }
}

fn id<'a>(
    v: &'a str,
    element: &'static str,
    attribute: &'static str,
) -> Result<&'a str, WireError> {
    if v.is_empty() {
        return Err(bad(element, attribute, v, BadValue::Empty));
    }
    Ok(v)
}

fn previd(el: &Element, element: &'static str) -> Result<String, WireError> {
    Ok(id(required(el, element, "previd")?, element, "previd")?.to_owned())
}

fn failed(el: &Element) -> Result<Failed, WireError> {
    let h = match el.attr("h") {
        Some(v) => Some(counter(v, "failed", "h")?),
        None => None,
    };
    let mut f = Failed {
        h,
        ..Failed::default()
    };
    for child in el.children().filter(|c| c.ns() == ns::STANZAS) {
        if child.name() == "text" {
            f.text.get_or_insert_with(|| child.text().trim().to_owned());
        } else if f.condition.is_none() {
            let c = child.name().parse();
            f.condition = Some(c.unwrap_or(FailedCondition::UndefinedCondition));
        }
    }
    Ok(f)
}

impl TryFrom<&Element> for Nonza {
    type Error = WireError;

    fn try_from(el: &Element) -> Result<Self, WireError> {
        if !is_sm(el) {
            return Err(WireError::WrongNamespace(truncated(el.ns())));
        }
        Ok(match el.name() {
            "sm" => Nonza::Feature,
            "enable" => Nonza::Enable(Enable {
                resume: boolean(el, "enable", "resume")?,
                max: max(el, "enable")?,
            }),
            "enabled" => Nonza::Enabled(Enabled {
                id: match el.attr("id") {
                    Some(v) => Some(id(v, "enabled", "id")?.to_owned()),
                    None => None,
                },
                resume: boolean(el, "enabled", "resume")?,
                max: max(el, "enabled")?,
                location: el.attr("location").map(str::to_owned),
            }),
            "resume" => Nonza::Resume(Resume {
                previd: previd(el, "resume")?,
                h: h_attr(el, "resume")?,
            }),
            "resumed" => Nonza::Resumed(Resumed {
                previd: previd(el, "resumed")?,
                h: h_attr(el, "resumed")?,
            }),
            "failed" => Nonza::Failed(failed(el)?),
            "r" => Nonza::Request,
            "a" => Nonza::Ack(Ack {
                h: h_attr(el, "a")?,
            }),
            other => return Err(WireError::UnknownElement(truncated(other))),
        })
    }
}

fn flag(b: bool) -> Option<&'static str> {
    b.then_some("true")
}

impl From<Nonza> for Element {
    fn from(n: Nonza) -> Element {
        let b = Element::builder(n.name(), NS);
        match n {
            Nonza::Feature | Nonza::Request => b.build(),
            Nonza::Enable(e) => b
                .attr_opt("resume", flag(e.resume))
                .attr_opt("max", e.max.map(|m| m.to_string()))
                .build(),
            Nonza::Enabled(e) => b
                .attr_opt("id", e.id)
                .attr_opt("resume", flag(e.resume))
                .attr_opt("max", e.max.map(|m| m.to_string()))
                .attr_opt("location", e.location)
                .build(),
            Nonza::Resume(Resume { previd, h }) | Nonza::Resumed(Resumed { previd, h }) => {
                b.attr("previd", previd).attr("h", h.to_string()).build()
            }
            Nonza::Failed(f) => b
                .attr_opt("h", f.h.map(|h| h.to_string()))
                .child_opt(f.condition.map(|c| Element::new(c.as_str(), ns::STANZAS)))
                .child_opt(
                    f.text
                        .map(|t| Element::builder("text", ns::STANZAS).text(t).build()),
                )
                .build(),
            Nonza::Ack(a) => b.attr("h", a.h.to_string()).build(),
        }
    }
}

macro_rules! element_from {
    ($($ty:ident),*) => {$(
        impl From<$ty> for Nonza {
            fn from(x: $ty) -> Nonza {
                Nonza::$ty(x)
            }
        }

        impl From<$ty> for Element {
            fn from(x: $ty) -> Element {
                Nonza::$ty(x).into()
            }
        }
    )*};
}

element_from!(Enable, Enabled, Resume, Resumed, Failed, Ack);

#[cfg(test)]
mod tests;
