//! Any stanza: the [`Stanza`] enum over the three kinds, and error replies for elements that
//! could not even be parsed ([`error_reply_element`]).

use xmpp_jid::Jid;
use xmpp_stream::xml::{Element, ns};

use crate::{Iq, Message, ParseError, Presence, ReplyError, StanzaError, StanzaNs};

/// Any stanza.
#[derive(Debug, Clone, PartialEq)]
pub enum Stanza {
    /// `<message/>`.
    Message(Message),
    /// `<presence/>`.
    Presence(Presence),
    /// `<iq/>`.
    Iq(Iq),
}

impl Stanza {
    /// The error reply to this stanza; see [`Message::error_reply`], [`Presence::error_reply`],
    /// [`Iq::error_reply`].
    ///
    /// # Errors
    /// [`ReplyError::ToError`] if this stanza is itself an error.
    pub fn error_reply(&self, error: StanzaError) -> Result<Stanza, ReplyError> {
        match self {
            Stanza::Message(m) => m.error_reply(error).map(Stanza::Message),
            Stanza::Presence(p) => p.error_reply(error).map(Stanza::Presence),
            Stanza::Iq(i) => i.error_reply(error).map(Stanza::Iq),
        }
    }

    /// `to`.
    pub fn to(&self) -> Option<&Jid> {
        match self {
            Stanza::Message(m) => m.to.as_ref(),
            Stanza::Presence(p) => p.to.as_ref(),
            Stanza::Iq(i) => i.to.as_ref(),
        }
    }

    /// `from`.
    pub fn from(&self) -> Option<&Jid> {
        match self {
            Stanza::Message(m) => m.from.as_ref(),
            Stanza::Presence(p) => p.from.as_ref(),
            Stanza::Iq(i) => i.from.as_ref(),
        }
    }

    /// `id` (always present on an iq).
    pub fn id(&self) -> Option<&str> {
        match self {
            Stanza::Message(m) => m.id.as_deref(),
            Stanza::Presence(p) => p.id.as_deref(),
            Stanza::Iq(i) => Some(&i.id),
        }
    }

    /// `xml:lang` (for a received first-level stanza, the stream's when it had none).
    pub fn lang(&self) -> Option<&str> {
        match self {
            Stanza::Message(m) => m.lang.as_deref(),
            Stanza::Presence(p) => p.lang.as_deref(),
            Stanza::Iq(i) => i.lang.as_deref(),
        }
    }

    /// Sets `to`.
    pub fn set_to(&mut self, to: Option<Jid>) {
        match self {
            Stanza::Message(m) => m.to = to,
            Stanza::Presence(p) => p.to = to,
            Stanza::Iq(i) => i.to = to,
        }
    }

    /// Sets (or overwrites) `from`, as a server does on every stanza from a client
    /// (RFC 6120 §8.1.2.1, UCR-STANZA-7).
    pub fn set_from(&mut self, from: Option<Jid>) {
        match self {
            Stanza::Message(m) => m.from = from,
            Stanza::Presence(p) => p.from = from,
            Stanza::Iq(i) => i.from = from,
        }
    }

    /// The stanza namespace.
    pub fn ns(&self) -> StanzaNs {
        match self {
            Stanza::Message(m) => m.ns,
            Stanza::Presence(p) => p.ns,
            Stanza::Iq(i) => i.ns,
        }
    }

    /// Moves the stanza to another namespace (a server routing a client's stanza to a peer
    /// server writes it in `jabber:server`).
    pub fn set_ns(&mut self, ns: StanzaNs) {
        match self {
            Stanza::Message(m) => m.ns = ns,
            Stanza::Presence(p) => p.ns = ns,
            Stanza::Iq(i) => i.ns = ns,
        }
    }
}

impl TryFrom<&Element> for Stanza {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        match e.name() {
            "message" => Message::try_from(e).map(Stanza::Message),
            "presence" => Presence::try_from(e).map(Stanza::Presence),
            "iq" => Iq::try_from(e).map(Stanza::Iq),
            _ => Err(ParseError::WrongElement {
                expected_name: "message, presence or iq",
                expected_ns: ns::CLIENT,
                name: e.name().to_owned(),
                ns: e.ns().to_owned(),
            }),
        }
    }
}

impl From<Stanza> for Element {
    fn from(s: Stanza) -> Element {
        match s {
            Stanza::Message(m) => m.into(),
            Stanza::Presence(p) => p.into(),
            Stanza::Iq(i) => i.into(),
        }
    }
}

impl From<Message> for Stanza {
    fn from(m: Message) -> Self {
        Stanza::Message(m)
    }
}
impl From<Presence> for Stanza {
    fn from(p: Presence) -> Self {
        Stanza::Presence(p)
    }
}
impl From<Iq> for Stanza {
    fn from(i: Iq) -> Self {
        Stanza::Iq(i)
    }
}

/// The error reply to a stanza element that may not parse (a bad `type`, two payloads in an
/// iq get, ...): the same element name and namespace, `id` kept, `to`/`from` swapped
/// (unparsed), `type='error'`, the original children kept (RFC 6120 §8.3.1) and the
/// `<error/>` appended.
///
/// ```
/// use xmpp_stanza::{error_reply_element, Iq, ParseError};
/// use xmpp_stream::xml::Element;
/// let bad: Element = "<iq xmlns='jabber:client' id='a1' type='get' from='r@x/y'>\
///                     <a xmlns='urn:a'/><b xmlns='urn:b'/></iq>".parse().unwrap();
/// let err: ParseError = Iq::try_from(&bad).unwrap_err();
/// let reply = error_reply_element(&bad, err.to_stanza_error()).unwrap();
/// assert_eq!(reply.attr("type"), Some("error"));
/// assert_eq!(reply.attr("to"), Some("r@x/y"));
/// assert_eq!(reply.attr("id"), Some("a1"));
/// ```
///
/// # Errors
/// [`ReplyError::ToError`] for a stanza of type `error`, [`ReplyError::ToResult`] for an iq
/// result, [`ReplyError::NotAStanza`] for any other element.
pub fn error_reply_element(original: &Element, error: StanzaError) -> Result<Element, ReplyError> {
    let sns = StanzaNs::of(original).ok_or(ReplyError::NotAStanza)?;
    let name: &'static str = match original.name() {
        "message" => "message",
        "presence" => "presence",
        "iq" => "iq",
        _ => return Err(ReplyError::NotAStanza),
    };
    match original.attr("type") {
        Some("error") => return Err(ReplyError::ToError),
        Some("result") if name == "iq" => return Err(ReplyError::ToResult),
        _ => {}
    }
    let mut e = Element::new(name, sns.as_str());
    if let Some(from) = original.shared_attr("from") {
        e.set_attr("to", from.clone());
    }
    if let Some(to) = original.shared_attr("to") {
        e.set_attr("from", to.clone());
    }
    if let Some(id) = original.shared_attr("id") {
        e.set_attr("id", id.clone());
    }
    e.set_attr("type", "error");
    if let Some(lang) = original.lang() {
        e.set_lang(lang.to_owned());
    }
    for child in original.children() {
        e.push_child(child.clone());
    }
    let mut error = error;
    error.ns = sns;
    e.push_child(error.into());
    Ok(e)
}
