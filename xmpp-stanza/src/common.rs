//! The attributes every stanza has (RFC 6120 §8.1): read from an element ([`Common::read`]) and
//! written to a new one ([`start`]) (crate-private).

use xmpp_jid::Jid;
use xmpp_stream::xml::{Element, ns};

use crate::util::opt_jid;
use crate::{ParseError, StanzaNs};

/// Attributes every stanza has (RFC 6120 §8.1), read once.
pub(crate) struct Common {
    pub ns: StanzaNs,
    pub to: Option<Jid>,
    pub from: Option<Jid>,
    pub id: Option<String>,
    pub lang: Option<String>,
}

impl Common {
    pub(crate) fn read(e: &Element, name: &'static str) -> Result<Common, ParseError> {
        let ns = StanzaNs::of(e)
            .filter(|_| e.name() == name)
            .ok_or_else(|| ParseError::WrongElement {
                expected_name: name,
                expected_ns: ns::CLIENT,
                name: e.name().to_owned(),
                ns: e.ns().to_owned(),
            })?;
        Ok(Common {
            ns,
            to: opt_jid(e, name, "to")?,
            from: opt_jid(e, name, "from")?,
            id: e.attr("id").map(str::to_owned),
            lang: e.lang().map(str::to_owned),
        })
    }
}

/// Builds the element for a stanza's common attributes.
pub(crate) fn start(
    name: &'static str,
    ns: StanzaNs,
    to: Option<Jid>,
    from: Option<Jid>,
    id: Option<String>,
    lang: Option<String>,
    kind: Option<&'static str>,
) -> Element {
    let mut e = Element::new(name, ns.as_str());
    if let Some(to) = to {
        e.set_attr("to", String::from(to.into_inner()));
    }
    if let Some(from) = from {
        e.set_attr("from", String::from(from.into_inner()));
    }
    if let Some(id) = id {
        e.set_attr("id", id);
    }
    if let Some(kind) = kind {
        e.set_attr("type", kind);
    }
    if let Some(lang) = lang {
        e.set_lang(lang);
    }
    e
}
