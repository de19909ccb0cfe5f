//! The namespaces the examples and tests write and look for.

#![allow(dead_code)]

use xmpp_stanza::xep::{disco, ping, version};

pub const NS_CLIENT: &str = "jabber:client";
pub const NS_ROSTER: &str = xmpp_stanza::roster::NS;
pub const NS_DISCO_INFO: &str = disco::NS_INFO;
pub const NS_PING: &str = ping::NS;
pub const NS_VERSION: &str = version::NS;
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
