//! The addresses this crate works with.
//!
//! Everything in `xmpp-im` names accounts and resources with these three types. This module owns
//! the few conversions the engines need (bare part of any JID, resource of a full JID), so the
//! rest of the crate never depends on how the address crate spells them. The types are
//! `xmpp-jid`'s, re-exported.

pub use xmpp_jid::{BareJid, FullJid, Jid};

/// The bare part of any JID.
pub(crate) fn bare_of(jid: &Jid) -> BareJid {
    jid.to_bare()
}

/// The resource of a JID, if it has one.
pub(crate) fn resource_of(jid: &Jid) -> Option<&str> {
    jid.resource()
}

/// The full JID, if the JID has a resource.
pub(crate) fn full_of(jid: &Jid) -> Option<FullJid> {
    FullJid::try_from(jid.clone()).ok()
}

/// The resource of a full JID.
pub(crate) fn full_resource(jid: &FullJid) -> &str {
    jid.resource()
}

/// The bare part of a full JID.
pub(crate) fn full_bare(jid: &FullJid) -> BareJid {
    jid.to_bare()
}

/// The domain of a bare JID.
pub(crate) fn bare_domain(jid: &BareJid) -> &str {
    jid.domain()
}
