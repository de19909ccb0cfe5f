//! The [`Payload`] trait: how extensions (built-in or the application's) are read from and
//! written to stanza children, and typed access to them (finding and attaching).

use xmpp_stream::xml::Element;

use crate::ParseError;

/// An extension element carried in a stanza: a local name and namespace, read with
/// `TryFrom<&Element>` and written with `Into<Element>`.
///
/// The built-in payloads ([`Delay`](crate::xep::delay::Delay), [`DiscoInfo`](crate::xep::disco::DiscoInfo), ...)
/// implement it; an application adds its own the same way and reads it with
/// [`Message::payload`](crate::Message::payload), [`Presence::payload`](crate::Presence::payload)
/// or [`Iq::payload`](crate::Iq::payload).
///
/// ```
/// use xmpp_stanza::{Payload, ParseError};
/// use xmpp_stream::xml::Element;
///
/// #[derive(Debug, PartialEq)]
/// struct Mood(String);
/// impl Payload for Mood {
///     const NAME: &'static str = "mood";
///     const NS: &'static str = "urn:example:mood";
/// }
/// impl TryFrom<&Element> for Mood {
///     type Error = ParseError;
///     fn try_from(e: &Element) -> Result<Self, ParseError> {
///         Mood::check(e)?;
///         Ok(Mood(e.text().into_owned()))
///     }
/// }
/// impl From<Mood> for Element {
///     fn from(m: Mood) -> Element {
///         Element::builder(Mood::NAME, Mood::NS).text(m.0).build()
///     }
/// }
///
/// let e: Element =
///     "<message xmlns='jabber:client'><mood xmlns='urn:example:mood'>happy</mood></message>"
///         .parse()
///         .unwrap();
/// let msg = xmpp_stanza::Message::try_from(&e).unwrap();
/// assert_eq!(msg.payload::<Mood>(), Some(Ok(Mood("happy".into()))));
/// ```
pub trait Payload:
    Sized + for<'a> TryFrom<&'a Element, Error = ParseError> + Into<Element>
{
    /// The element's local name.
    const NAME: &'static str;
    /// The element's namespace.
    const NS: &'static str;

    /// Whether `e` is this payload's element.
    fn matches(e: &Element) -> bool {
        e.is(Self::NAME, Self::NS)
    }

    /// `Ok` if `e` is this payload's element, else [`ParseError::WrongElement`].
    fn check(e: &Element) -> Result<(), ParseError> {
        crate::util::check(e, Self::NAME, Self::NS)
    }
}

/// The first child among `children` that is a `P`, parsed.
pub(crate) fn find<'a, P: Payload>(
    mut children: impl Iterator<Item = &'a Element>,
) -> Option<Result<P, ParseError>> {
    children.find(|e| P::matches(e)).map(P::try_from)
}

/// Attaches a typed payload to `payloads`.
pub(crate) fn push_payload(payloads: &mut Vec<Element>, p: impl Into<Element>) {
    payloads.push(p.into());
}
