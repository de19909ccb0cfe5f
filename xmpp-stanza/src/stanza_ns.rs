//! [`StanzaNs`]: the namespace a stanza (and its `<error/>`) lives in.

use std::fmt;

use xmpp_stream::xml::{Element, ns};

/// The namespace of a stanza: `jabber:client`, `jabber:server` or `jabber:component:accept`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StanzaNs {
    /// `jabber:client` (client-to-server streams).
    #[default]
    Client,
    /// `jabber:server` (server-to-server streams).
    Server,
    /// `jabber:component:accept` (XEP-0114 components).
    Component,
}

impl StanzaNs {
    /// The namespace URI.
    pub fn as_str(self) -> &'static str {
        match self {
            StanzaNs::Client => ns::CLIENT,
            StanzaNs::Server => ns::SERVER,
            StanzaNs::Component => ns::COMPONENT_ACCEPT,
        }
    }

    /// The stanza namespace `e` is in, if it is one.
    pub fn of(e: &Element) -> Option<StanzaNs> {
        match e.ns() {
            ns::CLIENT => Some(StanzaNs::Client),
            ns::SERVER => Some(StanzaNs::Server),
            ns::COMPONENT_ACCEPT => Some(StanzaNs::Component),
            _ => None,
        }
    }
}

impl fmt::Display for StanzaNs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
