//! XEP-0203 delayed delivery: [`Delay`].

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use super::datetime::DateTime;
use crate::util::{no_children, opt_jid, req_attr};
use crate::{ParseError, Payload};

/// `urn:xmpp:delay`.
pub const NS: &str = "urn:xmpp:delay";

/// `<delay xmlns='urn:xmpp:delay' stamp='...' from='...'>reason</delay>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Delay {
    /// Who delayed the stanza.
    pub from: Option<Jid>,
    /// When the stanza was originally sent (XEP-0082 DateTime, UTC recommended).
    pub stamp: DateTime,
    /// Why it was delayed.
    pub reason: Option<String>,
}

impl Payload for Delay {
    const NAME: &'static str = "delay";
    const NS: &'static str = NS;
}

impl TryFrom<&Element> for Delay {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        no_children(e, "delay")?;
        let stamp = req_attr(e, "delay", "stamp")?.parse()?;
        let text = e.text();
        Ok(Delay {
            from: opt_jid(e, "delay", "from")?,
            stamp,
            reason: (!text.is_empty()).then(|| text.into_owned()),
        })
    }
}

impl From<Delay> for Element {
    fn from(d: Delay) -> Element {
        let mut e = Element::builder("delay", NS)
            .attr_opt("from", d.from.map(Jid::into_inner))
            .attr("stamp", d.stamp.to_string())
            .build();
        if let Some(r) = d.reason {
            e.push_text(r);
        }
        e
    }
}
