//! XEP-0085 chat state notifications: [`ChatState`].

use xmpp_stream::xml::Element;

use crate::{ParseError, Payload};

/// `http://jabber.org/protocol/chatstates`.
pub const NS: &str = "http://jabber.org/protocol/chatstates";

/// One of the five chat states, an empty element in the chat states namespace.
///
/// [`Payload::NAME`] is `active`; [`ChatState::matches`](Payload::matches) accepts all five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChatState {
    /// `<active/>`: paying attention.
    Active,
    /// `<composing/>`: typing.
    Composing,
    /// `<paused/>`: stopped typing.
    Paused,
    /// `<inactive/>`: not paying attention.
    Inactive,
    /// `<gone/>`: left the conversation.
    Gone,
}

impl ChatState {
    /// The element name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatState::Active => "active",
            ChatState::Composing => "composing",
            ChatState::Paused => "paused",
            ChatState::Inactive => "inactive",
            ChatState::Gone => "gone",
        }
    }
}

impl Payload for ChatState {
    const NAME: &'static str = "active";
    const NS: &'static str = NS;

    fn matches(e: &Element) -> bool {
        e.ns() == NS
    }

    fn check(e: &Element) -> Result<(), ParseError> {
        if e.ns() == NS {
            Ok(())
        } else {
            crate::util::check(e, Self::NAME, NS)
        }
    }
}

impl TryFrom<&Element> for ChatState {
    type Error = ParseError;
    fn try_from(e: &Element) -> Result<Self, ParseError> {
        Self::check(e)?;
        crate::util::no_children(e, "chat state")?;
        Ok(match e.name() {
            "active" => ChatState::Active,
            "composing" => ChatState::Composing,
            "paused" => ChatState::Paused,
            "inactive" => ChatState::Inactive,
            "gone" => ChatState::Gone,
            other => {
                return Err(ParseError::UnexpectedChild {
                    element: "message",
                    child: other.to_owned(),
                });
            }
        })
    }
}

impl From<ChatState> for Element {
    fn from(s: ChatState) -> Element {
        Element::new(s.as_str(), NS)
    }
}
