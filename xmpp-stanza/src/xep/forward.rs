//! XEP-0297 stanza forwarding: [`Forwarded`].

use xmpp_stream::xml::Element;

use super::delay::Delay;
use crate::{ParseError, Payload, Stanza, StanzaNs};

/// `urn:xmpp:forward:0`.
pub const NS: &str = "urn:xmpp:forward:0";

/// `<forwarded xmlns='urn:xmpp:forward:0'>`: an optional [`Delay`] and the forwarded stanza.
#[derive(Debug, Clone, PartialEq)]
pub struct Forwarded {
    /// When the forwarded stanza was originally received or sent.
    pub delay: Option<Delay>,
    /// The forwarded stanza.
    pub stanza: Box<Stanza>,
}

impl Payload for Forwarded {
    const NAME: &'static str = "forwarded";
    const NS: &'static str = NS;
}

impl TryFrom<&Element> for Forwarded {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        let mut delay = None;
        let mut stanza = None;
        for c in e.children() {
            if Delay::matches(c) && delay.is_none() {
                delay = Some(Delay::try_from(c)?);
            } else if StanzaNs::of(c).is_some() && stanza.is_none() {
                stanza = Some(Stanza::try_from(c)?);
            } else {
                return Err(ParseError::UnexpectedChild {
                    element: "forwarded",
                    child: c.name().to_owned(),
                });
            }
        }
        Ok(Forwarded {
            delay,
            stanza: Box::new(stanza.ok_or(ParseError::MissingChild {
                element: "forwarded",
                child: "message",
            })?),
        })
    }
}

impl From<Forwarded> for Element {
    fn from(f: Forwarded) -> Element {
        Element::builder("forwarded", NS)
            .child_opt(f.delay)
            .child(Element::from(*f.stanza))
            .build()
    }
}
