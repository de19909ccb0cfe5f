//! Errors and the stanza error conditions the engines answer with.
//!
//! [`StanzaErrorCondition`] is `xmpp-stanza`'s full set of RFC 6120 §8.3.3 conditions; the
//! engines produce the subset listed on it.

use crate::jid::{BareJid, FullJid};

/// The RFC 6120 §8.3.3 stanza error conditions: `xmpp-stanza`'s [`Condition`](xmpp_stanza::Condition)
/// under the name this crate has always used (every variant keeps its name).
///
/// The ones RFC 6121 processing produces:
///
/// | condition | used for |
/// | --- | --- |
/// | `bad-request` | malformed roster get/set: items in a get, not exactly one item in a set, duplicate groups, an item JID that is not bare (RFC 6121 §2.1.3, §2.3.3) |
/// | `forbidden` | a roster request for another account's roster (RFC 6121 §2.1.5, §2.3.3) |
/// | `internal-server-error` | the roster store failed |
/// | `item-not-found` | removing an item that is not in the roster (RFC 6121 §2.5.3) |
/// | `not-acceptable` | a name or group over the configured limit, an empty group (RFC 6121 §2.3.3) |
/// | `not-allowed` | adding oneself, a roster over the configured size, subscribing to oneself |
/// | `resource-constraint` | a bookkeeping limit reached (directed-presence recipients per resource) |
/// | `service-unavailable` | a message that cannot be delivered and is not stored, a groupchat message to a user, an IQ to an absent resource (RFC 6121 §8.5) |
pub use xmpp_stanza::Condition as StanzaErrorCondition;

/// A failure of a [`RosterStore`](crate::store::RosterStore) (I/O, database, quota).
///
/// The engines answer the request that hit it with `internal-server-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("roster store failure: {0}")]
pub struct StoreError(pub String);

/// Why a roster get or roster set is refused; [`RosterError::condition`] gives the stanza error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The request addresses another account's roster (the IQ's `to` is not the sender's bare JID).
    #[error("{from} may not touch the roster of {owner}")]
    Forbidden {
        /// Who asked.
        from: FullJid,
        /// Whose roster it addressed.
        owner: BareJid,
    },
    /// A roster get carried `<item/>` children (RFC 6121 §2.1.3).
    #[error("a roster get must have an empty query, this one has {count} item(s)")]
    ItemsInGet {
        /// How many items it had.
        count: usize,
    },
    /// A roster set did not carry exactly one `<item/>` (RFC 6121 §2.1.5, UCR-ROSTER-17).
    #[error("a roster set must carry exactly one item, this one has {count}")]
    NotOneItem {
        /// How many items it had.
        count: usize,
    },
    /// The item's `jid` has a resource; roster items are bare JIDs.
    #[error("roster item JID {0} is not a bare JID")]
    NotBareJid(String),
    /// The item names the account itself.
    #[error("{0} cannot be a contact in its own roster")]
    SelfItem(BareJid),
    /// The same group appears twice in the item (RFC 6121 §2.3.3).
    #[error("group {0:?} appears more than once in the item")]
    DuplicateGroup(String),
    /// A `<group/>` with no text (RFC 6121 §2.3.3).
    #[error("empty group name")]
    EmptyGroup,
    /// A group name is longer than the configured limit (RFC 6121 §2.3.3).
    #[error("group name of {len} bytes exceeds the limit of {max}")]
    GroupTooLong {
        /// Its length in bytes.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The item has more groups than the configured limit.
    #[error("{count} groups exceed the limit of {max} per item")]
    TooManyGroups {
        /// How many groups it had.
        count: usize,
        /// The configured limit.
        max: usize,
    },
    /// The `name` attribute is longer than the configured limit (RFC 6121 §2.3.3).
    #[error("item name of {len} bytes exceeds the limit of {max}")]
    NameTooLong {
        /// Its length in bytes.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Adding the item would exceed the configured roster size.
    #[error("the roster already holds the maximum of {max} items")]
    RosterFull {
        /// The configured limit.
        max: usize,
    },
    /// `subscription='remove'` for a JID that is not in the roster (RFC 6121 §2.5.3, UCR-ROSTER-40).
    #[error("{0} is not in the roster")]
    ItemNotFound(BareJid),
    /// The sending resource is not bound in the engine.
    #[error("{0} is not a connected resource")]
    UnknownSession(FullJid),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RosterError {
    /// The stanza error condition to answer the request with.
    pub fn condition(&self) -> StanzaErrorCondition {
        use StanzaErrorCondition as C;
        match self {
            Self::Forbidden { .. } => C::Forbidden,
            Self::ItemsInGet { .. }
            | Self::NotOneItem { .. }
            | Self::NotBareJid(_)
            | Self::DuplicateGroup(_) => C::BadRequest,
            Self::SelfItem(_) | Self::RosterFull { .. } => C::NotAllowed,
            Self::EmptyGroup
            | Self::GroupTooLong { .. }
            | Self::TooManyGroups { .. }
            | Self::NameTooLong { .. } => C::NotAcceptable,
            Self::ItemNotFound(_) => C::ItemNotFound,
            Self::UnknownSession(_) => C::ServiceUnavailable,
            Self::Store(_) => C::InternalServerError,
        }
    }
}

/// Misuse of the server engine by its caller, or a store failure during presence processing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The resource is not bound.
    #[error("{0} is not a connected resource")]
    UnknownSession(FullJid),
    /// The resource is already bound.
    #[error("{0} is already bound")]
    AlreadyBound(FullJid),
    /// The account is not hosted here (its domain is not local, or the store does not know it).
    #[error("{0} is not a local account")]
    NotLocalAccount(BareJid),
    /// The account already has the configured maximum of connected resources.
    #[error("{account} already has the maximum of {max} connected resources")]
    TooManyResources {
        /// The account.
        account: BareJid,
        /// The configured limit.
        max: usize,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_have_rfc_names_and_types() {
        assert_eq!(StanzaErrorCondition::BadRequest.to_string(), "bad-request");
        assert_eq!(
            StanzaErrorCondition::ServiceUnavailable.as_str(),
            "service-unavailable"
        );
        assert_eq!(StanzaErrorCondition::NotAcceptable.error_type(), "modify");
        assert_eq!(StanzaErrorCondition::Forbidden.error_type(), "auth");
        assert_eq!(
            StanzaErrorCondition::ResourceConstraint.error_type(),
            "wait"
        );
    }

    #[test]
    fn roster_errors_map_to_their_conditions() {
        let b: BareJid = "a@example.com".parse().unwrap();
        assert_eq!(
            RosterError::NotOneItem { count: 2 }.condition(),
            StanzaErrorCondition::BadRequest
        );
        assert_eq!(
            RosterError::EmptyGroup.condition(),
            StanzaErrorCondition::NotAcceptable
        );
        assert_eq!(
            RosterError::ItemNotFound(b.clone()).condition(),
            StanzaErrorCondition::ItemNotFound
        );
        assert_eq!(
            RosterError::SelfItem(b).condition(),
            StanzaErrorCondition::NotAllowed
        );
        assert_eq!(
            RosterError::Store(StoreError("disk".into())).condition(),
            StanzaErrorCondition::InternalServerError
        );
    }
}
