//! [`Presence`] (RFC 6120 §8, RFC 6121 §4): types, show, status, priority, payloads.

use std::fmt;
use std::str::FromStr;

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use crate::common::{Common, start};
use crate::util::no_children;
use crate::{ParseError, Payload, ReplyError, StanzaError, StanzaNs, Texts};

/// A presence `type` (RFC 6121 §4.7.1); no `type` attribute is [`Available`](Self::Available).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PresenceType {
    /// No `type`: the sender is available.
    #[default]
    Available,
    /// `unavailable`.
    Unavailable,
    /// `subscribe`.
    Subscribe,
    /// `subscribed`.
    Subscribed,
    /// `unsubscribe`.
    Unsubscribe,
    /// `unsubscribed`.
    Unsubscribed,
    /// `probe`.
    Probe,
    /// `error`.
    Error,
}

impl PresenceType {
    /// The attribute value (`None` for available presence).
    pub fn as_attr(self) -> Option<&'static str> {
        Some(match self {
            PresenceType::Available => return None,
            PresenceType::Unavailable => "unavailable",
            PresenceType::Subscribe => "subscribe",
            PresenceType::Subscribed => "subscribed",
            PresenceType::Unsubscribe => "unsubscribe",
            PresenceType::Unsubscribed => "unsubscribed",
            PresenceType::Probe => "probe",
            PresenceType::Error => "error",
        })
    }

    /// Whether this is one of the four subscription types.
    pub fn is_subscription(self) -> bool {
        matches!(
            self,
            PresenceType::Subscribe
                | PresenceType::Subscribed
                | PresenceType::Unsubscribe
                | PresenceType::Unsubscribed
        )
    }
}

impl FromStr for PresenceType {
    type Err = ParseError;
    /// An unknown value is an error answered with `<bad-request/>` (RFC 6121 §4.7.1).
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Ok(match s {
            "unavailable" => PresenceType::Unavailable,
            "subscribe" => PresenceType::Subscribe,
            "subscribed" => PresenceType::Subscribed,
            "unsubscribe" => PresenceType::Unsubscribe,
            "unsubscribed" => PresenceType::Unsubscribed,
            "probe" => PresenceType::Probe,
            "error" => PresenceType::Error,
            _ => {
                return Err(ParseError::UnknownType {
                    stanza: "presence",
                    value: s.to_owned(),
                });
            }
        })
    }
}

impl fmt::Display for PresenceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_attr().unwrap_or("available"))
    }
}

/// `<show/>` (RFC 6121 §4.7.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Show {
    /// `away`.
    Away,
    /// `chat`: free to chat.
    Chat,
    /// `dnd`: do not disturb.
    Dnd,
    /// `xa`: extended away.
    Xa,
}

impl Show {
    /// The element text.
    pub fn as_str(self) -> &'static str {
        match self {
            Show::Away => "away",
            Show::Chat => "chat",
            Show::Dnd => "dnd",
            Show::Xa => "xa",
        }
    }
}

impl fmt::Display for Show {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Show {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Ok(match s {
            "away" => Show::Away,
            "chat" => Show::Chat,
            "dnd" => Show::Dnd,
            "xa" => Show::Xa,
            _ => {
                return Err(ParseError::BadText {
                    element: "show",
                    value: s.to_owned(),
                    reason: "not one of away, chat, dnd, xa",
                });
            }
        })
    }
}

/// A `<presence/>` stanza.
///
/// ```
/// use xmpp_stanza::{Presence, PresenceType, Show};
/// use xmpp_stream::xml::Element;
/// let e: Element = "<presence xmlns='jabber:client'><show>dnd</show>\
///                   <status>busy</status><priority>-5</priority></presence>".parse().unwrap();
/// let p = Presence::try_from(&e).unwrap();
/// assert_eq!(p.kind, PresenceType::Available);
/// assert_eq!(p.show, Some(Show::Dnd));
/// assert_eq!(p.priority, -5);
/// let bad: Element = "<presence xmlns='jabber:client'><priority>300</priority></presence>"
///     .parse().unwrap();
/// assert!(Presence::try_from(&bad).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Presence {
    /// The stanza namespace.
    pub ns: StanzaNs,
    /// `to`.
    pub to: Option<Jid>,
    /// `from`.
    pub from: Option<Jid>,
    /// `id`.
    pub id: Option<String>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// `type`.
    pub kind: PresenceType,
    /// `<show/>`.
    pub show: Option<Show>,
    /// `<status/>` per language.
    pub statuses: Texts,
    /// `<priority/>` (-128..=127; 0 when absent).
    pub priority: i8,
    /// The `<error/>` of a presence of type `error`.
    pub error: Option<StanzaError>,
    /// Every other child element, in order.
    pub payloads: Vec<Element>,
}

impl Presence {
    /// A presence of `kind` with nothing else.
    pub fn new(kind: PresenceType) -> Self {
        Presence {
            kind,
            ..Presence::default()
        }
    }

    /// Available presence (no `type`).
    pub fn available() -> Self {
        Presence::new(PresenceType::Available)
    }

    /// Unavailable presence.
    pub fn unavailable() -> Self {
        Presence::new(PresenceType::Unavailable)
    }

    /// Builder: sets `to`.
    pub fn with_to(mut self, to: Jid) -> Self {
        self.to = Some(to);
        self
    }

    /// Builder: sets `from`.
    pub fn with_from(mut self, from: Jid) -> Self {
        self.from = Some(from);
        self
    }

    /// The status without `xml:lang`, else the first one.
    pub fn status(&self) -> Option<&str> {
        self.statuses.get(None).or_else(|| self.statuses.first())
    }

    /// The first payload of type `P`, parsed.
    pub fn payload<P: Payload>(&self) -> Option<Result<P, ParseError>> {
        crate::payload::find(self.payloads.iter())
    }

    /// Adds a payload.
    pub fn add_payload(&mut self, p: impl Into<Element>) {
        crate::payload::push_payload(&mut self.payloads, p)
    }

    /// Builder form of [`add_payload`](Self::add_payload).
    pub fn with_payload(mut self, p: impl Into<Element>) -> Self {
        self.add_payload(p);
        self
    }

    /// The error reply: `to`/`from` swapped, `id` kept, type `error`, content kept.
    ///
    /// # Errors
    /// [`ReplyError::ToError`] if this presence is an error.
    pub fn error_reply(&self, error: StanzaError) -> Result<Presence, ReplyError> {
        if self.kind == PresenceType::Error {
            return Err(ReplyError::ToError);
        }
        let mut p = self.clone();
        std::mem::swap(&mut p.to, &mut p.from);
        p.kind = PresenceType::Error;
        p.error = Some(StanzaError {
            ns: self.ns,
            ..error
        });
        Ok(p)
    }
}

impl TryFrom<&Element> for Presence {
    type Error = ParseError;

    fn try_from(e: &Element) -> Result<Self, ParseError> {
        let c = Common::read(e, "presence")?;
        let kind = match e.attr("type") {
            None => PresenceType::Available,
            Some(t) => t.parse()?,
        };
        let sns = c.ns.as_str();
        let mut p = Presence {
            ns: c.ns,
            to: c.to,
            from: c.from,
            id: c.id,
            lang: c.lang,
            kind,
            ..Presence::default()
        };
        let mut seen_priority = false;
        for child in e.children() {
            if child.ns() == sns {
                match child.name() {
                    "show" => {
                        if p.show.is_some() {
                            return Err(ParseError::DuplicateChild {
                                element: "presence",
                                child: "show",
                                lang: None,
                            });
                        }
                        no_children(child, "show")?;
                        p.show = Some(child.text().trim().parse()?);
                        continue;
                    }
                    "status" => {
                        p.statuses.push_from(child, "status")?;
                        continue;
                    }
                    "priority" => {
                        if seen_priority {
                            return Err(ParseError::DuplicateChild {
                                element: "presence",
                                child: "priority",
                                lang: None,
                            });
                        }
                        seen_priority = true;
                        no_children(child, "priority")?;
                        let t = child.text();
                        p.priority = t.trim().parse().map_err(|_| ParseError::BadText {
                            element: "priority",
                            value: t.clone().into_owned(),
                            reason: "not an integer in -128..=127",
                        })?;
                        continue;
                    }
                    "error" if kind == PresenceType::Error && p.error.is_none() => {
                        p.error = Some(StanzaError::try_from(child)?);
                        continue;
                    }
                    _ => {}
                }
            }
            p.payloads.push(child.clone());
        }
        p.statuses.check_unique("presence", "status")?;
        if kind == PresenceType::Error && p.error.is_none() {
            return Err(ParseError::MissingChild {
                element: "presence",
                child: "error",
            });
        }
        Ok(p)
    }
}

impl From<Presence> for Element {
    fn from(p: Presence) -> Element {
        let sns = p.ns.as_str();
        let mut e = start(
            "presence",
            p.ns,
            p.to,
            p.from,
            p.id,
            p.lang,
            p.kind.as_attr(),
        );
        if let Some(show) = p.show {
            e.push_child(Element::builder("show", sns).text(show.as_str()).build());
        }
        for s in p.statuses.to_elements("status", sns) {
            e.push_child(s);
        }
        if p.priority != 0 {
            e.push_child(
                Element::builder("priority", sns)
                    .text(p.priority.to_string())
                    .build(),
            );
        }
        for c in p.payloads {
            e.push_child(c);
        }
        if let Some(err) = p.error {
            e.push_child(StanzaError { ns: p.ns, ..err }.into());
        }
        e
    }
}
