//! Namespace names used by the XML layer and the core protocol (RFC 6120 §4.8, §11.2).
//!
//! Element and attribute namespaces are plain strings; these constants avoid typos and,
//! being `&'static str`, turn into a [`SharedStr`](super::SharedStr) without allocating.

/// The XML namespace, bound to the `xml` prefix by definition (`xml:lang`).
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations themselves (`xmlns`, `xmlns:p`).
pub const XMLNS: &str = "http://www.w3.org/2000/xmlns/";
/// The streams namespace: `<stream:stream>`, `<stream:features>`, `<stream:error>`.
pub const STREAM: &str = "http://etherx.jabber.org/streams";
/// Content namespace of client-to-server streams.
pub const CLIENT: &str = "jabber:client";
/// Content namespace of server-to-server streams.
pub const SERVER: &str = "jabber:server";
/// Content namespace of XEP-0114 component streams.
pub const COMPONENT_ACCEPT: &str = "jabber:component:accept";
/// Server dialback (XEP-0220), usually bound to the `db` prefix on the stream header.
pub const DIALBACK: &str = "jabber:server:dialback";
/// STARTTLS negotiation.
pub const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// SASL negotiation.
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// XEP-0440: the channel-binding types a server supports for SCRAM -PLUS.
pub const SASL_CB: &str = "urn:xmpp:sasl-cb:0";
/// Stream error conditions and their `<text/>`.
pub const STREAM_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// Resource binding.
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// Stanza error conditions and their `<text/>`.
pub const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// The well-known namespaces above and the most common payload namespaces, so that a parsed
/// namespace equal to one of them is held as a `'static` string: no reference count to
/// update per element, and no receive buffer kept alive by it.
pub(crate) const WELL_KNOWN: &[&str] = &[
    CLIENT,
    SERVER,
    COMPONENT_ACCEPT,
    STREAM,
    DIALBACK,
    TLS,
    SASL,
    STREAM_ERRORS,
    BIND,
    STANZAS,
    XML,
    "urn:ietf:params:xml:ns:xmpp-session",
    "jabber:iq:roster",
    "jabber:iq:version",
    "jabber:iq:private",
    "jabber:iq:last",
    "jabber:x:data",
    "jabber:x:oob",
    "vcard-temp",
    "vcard-temp:x:update",
    "http://jabber.org/protocol/caps",
    "http://jabber.org/protocol/chatstates",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/muc#user",
    "http://jabber.org/protocol/muc#admin",
    "http://jabber.org/protocol/muc#owner",
    "http://jabber.org/protocol/pubsub",
    "http://jabber.org/protocol/pubsub#event",
    "http://jabber.org/protocol/xhtml-im",
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/2005/Atom",
    "urn:xmpp:delay",
    "urn:xmpp:ping",
    "urn:xmpp:time",
    "urn:xmpp:receipts",
    "urn:xmpp:carbons:2",
    "urn:xmpp:forward:0",
    "urn:xmpp:sid:0",
    "urn:xmpp:mam:2",
    "urn:xmpp:sm:3",
    "urn:xmpp:chat-markers:0",
    "urn:xmpp:hints",
];
