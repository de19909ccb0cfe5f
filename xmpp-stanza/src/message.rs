//! [`Message`] (RFC 6120 §8, RFC 6121 §5): types, bodies, subjects, thread, payloads.

use std::fmt;
use std::str::FromStr;

use xmpp_jid::Jid;
use xmpp_stream::xml::Element;

use crate::common::{Common, start};
use crate::util::no_children;
use crate::{ParseError, Payload, ReplyError, StanzaError, StanzaNs, Texts};

/// A message `type` (RFC 6121 §5.2.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageType {
    /// `chat`: one-to-one conversation.
    Chat,
    /// `error`.
    Error,
    /// `groupchat`: multi-user chat.
    Groupchat,
    /// `headline`: an alert or notification, no reply expected.
    Headline,
    /// `normal` (the default, also for an unknown type: RFC 6121 §5.2.2).
    #[default]
    Normal,
}

impl MessageType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Chat => "chat",
            MessageType::Error => "error",
            MessageType::Groupchat => "groupchat",
            MessageType::Headline => "headline",
            MessageType::Normal => "normal",
        }
    }

    /// The type for an attribute value: absent or unknown values are `normal`
    /// (RFC 6121 §5.2.2, UCR-MSG-9).
    pub fn from_attr(value: Option<&str>) -> MessageType {
        match value {
            Some("chat") => MessageType::Chat,
            Some("error") => MessageType::Error,
            Some("groupchat") => MessageType::Groupchat,
            Some("headline") => MessageType::Headline,
            _ => MessageType::Normal,
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageType {
    type Err = std::convert::Infallible;
    /// Never fails: unknown values are `normal`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(MessageType::from_attr(Some(s)))
    }
}

/// A `<thread/>` (RFC 6121 §5.2.5): the conversation id and an optional parent thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Thread {
    /// The thread id (the element text).
    pub id: String,
    /// The `parent` attribute.
    pub parent: Option<String>,
}

impl Thread {
    /// A thread without parent.
    pub fn new(id: impl Into<String>) -> Self {
        Thread {
            id: id.into(),
            parent: None,
        }
    }
}

/// A `<message/>` stanza.
///
/// Body, subject and thread are fields; any other child is kept in
/// [`payloads`](Self::payloads) and written back unchanged.
///
/// ```
/// use xmpp_stanza::{Message, MessageType};
/// use xmpp_stream::xml::Element;
/// let e: Element = "<message xmlns='jabber:client' to='juliet@example.com' type='chat'>\
///                   <body>Wherefore art thou?</body><thread>t1</thread></message>".parse().unwrap();
/// let msg = Message::try_from(&e).unwrap();
/// assert_eq!(msg.kind, MessageType::Chat);
/// assert_eq!(msg.body(), Some("Wherefore art thou?"));
/// assert_eq!(msg.thread.as_ref().unwrap().id, "t1");
/// assert_eq!(Element::from(msg), e);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
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
    pub kind: MessageType,
    /// `<body/>` per language.
    pub bodies: Texts,
    /// `<subject/>` per language.
    pub subjects: Texts,
    /// `<thread/>`.
    pub thread: Option<Thread>,
    /// The `<error/>` of a message of type `error`.
    pub error: Option<StanzaError>,
    /// Every other child element, in order.
    pub payloads: Vec<Element>,
}

impl Message {
    /// A message of `kind` to `to`.
    pub fn new(kind: MessageType, to: Option<Jid>) -> Self {
        Message {
            kind,
            to,
            ..Message::default()
        }
    }

    /// A `chat` message to `to` with one body.
    pub fn chat(to: Jid, body: impl Into<String>) -> Self {
        Message {
            kind: MessageType::Chat,
            to: Some(to),
            bodies: Texts::single(body),
            ..Message::default()
        }
    }

    /// The body without `xml:lang`, else the first body.
    pub fn body(&self) -> Option<&str> {
        self.bodies.get(None).or_else(|| self.bodies.first())
    }

    /// The subject without `xml:lang`, else the first subject.
    pub fn subject(&self) -> Option<&str> {
        self.subjects.get(None).or_else(|| self.subjects.first())
    }

    /// The first payload of type `P`, parsed (`None` if there is none).
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

    /// The error reply (RFC 6120 §8.3.1): `to`/`from` swapped, `id` kept, type `error`,
    /// original content kept, `error` set.
    ///
    /// # Errors
    /// [`ReplyError::ToError`] if this message is an error.
    pub fn error_reply(&self, error: StanzaError) -> Result<Message, ReplyError> {
        if self.kind == MessageType::Error {
            return Err(ReplyError::ToError);
        }
        let mut m = self.clone();
        std::mem::swap(&mut m.to, &mut m.from);
        m.kind = MessageType::Error;
        m.error = Some(StanzaError {
            ns: self.ns,
            ..error
        });
        Ok(m)
    }
}

impl TryFrom<&Element> for Message {
    type Error = ParseError;

    fn try_from(e: &Element) -> Result<Self, ParseError> {
        let c = Common::read(e, "message")?;
        let kind = MessageType::from_attr(e.attr("type"));
        let sns = c.ns.as_str();
        let mut m = Message {
            ns: c.ns,
            to: c.to,
            from: c.from,
            id: c.id,
            lang: c.lang,
            kind,
            ..Message::default()
        };
        for child in e.children() {
            if child.ns() == sns {
                match child.name() {
                    "body" => {
                        m.bodies.push_from(child, "body")?;
                        continue;
                    }
                    "subject" => {
                        m.subjects.push_from(child, "subject")?;
                        continue;
                    }
                    "thread" => {
                        if m.thread.is_some() {
                            return Err(ParseError::DuplicateChild {
                                element: "message",
                                child: "thread",
                                lang: None,
                            });
                        }
                        no_children(child, "thread")?;
                        m.thread = Some(Thread {
                            id: child.text().into_owned(),
                            parent: child.attr("parent").map(str::to_owned),
                        });
                        continue;
                    }
                    "error" if kind == MessageType::Error && m.error.is_none() => {
                        m.error = Some(StanzaError::try_from(child)?);
                        continue;
                    }
                    _ => {}
                }
            }
            m.payloads.push(child.clone());
        }
        m.bodies.check_unique("message", "body")?;
        m.subjects.check_unique("message", "subject")?;
        if kind == MessageType::Error && m.error.is_none() {
            return Err(ParseError::MissingChild {
                element: "message",
                child: "error",
            });
        }
        Ok(m)
    }
}

impl From<Message> for Element {
    fn from(m: Message) -> Element {
        let sns = m.ns.as_str();
        let kind = (m.kind != MessageType::Normal).then(|| m.kind.as_str());
        let mut e = start("message", m.ns, m.to, m.from, m.id, m.lang, kind);
        for s in m.subjects.to_elements("subject", sns) {
            e.push_child(s);
        }
        for b in m.bodies.to_elements("body", sns) {
            e.push_child(b);
        }
        if let Some(t) = m.thread {
            e.push_child(
                Element::builder("thread", sns)
                    .attr_opt("parent", t.parent)
                    .text(t.id)
                    .build(),
            );
        }
        for p in m.payloads {
            e.push_child(p);
        }
        if let Some(err) = m.error {
            e.push_child(StanzaError { ns: m.ns, ..err }.into());
        }
        e
    }
}
