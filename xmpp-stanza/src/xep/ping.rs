//! XEP-0199 XMPP ping: [`Ping`].

use xmpp_stream::xml::Element;

use crate::{ParseError, Payload};

/// `urn:xmpp:ping`.
pub const NS: &str = "urn:xmpp:ping";

/// `<ping xmlns='urn:xmpp:ping'/>`, the child of an iq get; the answer is an empty result
/// ([`Iq::result_reply`](crate::Iq::result_reply) with `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Ping;

impl Payload for Ping {
    const NAME: &'static str = "ping";
    const NS: &'static str = NS;
}

impl TryFrom<&Element> for Ping {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        crate::util::no_children(e, "ping")?;
        Ok(Ping)
    }
}

impl From<Ping> for Element {
    fn from(_: Ping) -> Element {
        Element::new("ping", NS)
    }
}
