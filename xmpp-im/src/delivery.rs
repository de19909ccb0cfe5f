//! Where a message or IQ addressed to a local account goes (RFC 6121 §8, RFC 6120 §10.5).
//!
//! This module owns the pure delivery decisions: given the addressed JID, whether the account
//! exists, the account's connected resources with their availability and priority, and the
//! message type, [`decide_message`] answers with one [`MessageDelivery`]; [`decide_iq`] does the
//! same for IQs. A decision is never "nothing happens": an undeliverable message is either stored
//! for later ([`MessageDelivery::StoreOffline`]) or bounced with `service-unavailable`, by
//! [`OfflinePolicy`]. The only discards are messages of type `error`, which must never cause an
//! error in reply (RFC 6120 §8.3.1) and are reported as [`MessageDelivery::Discard`].
//!
//! Rules for a bare JID (or a full JID with no such resource, for normal/chat/headline):
//! - `normal`, `chat`: the available resource(s) with the highest non-negative priority; when
//!   several share it, [`TiePolicy`] decides (all of them by default, so nothing is lost);
//! - `headline`: every available resource with non-negative priority;
//! - `groupchat`: `service-unavailable` (a user's account is not a room);
//! - `error`: discarded;
//! - no available resource with non-negative priority: [`OfflinePolicy`] (UCR-ROUTE-9).
//!
//! A full JID that matches a connected resource gets the message whatever its type and priority
//! (UCR-ROUTE-13). A full JID without a match is handled as the bare JID (UCR-ROUTE-12), except
//! `groupchat` (`service-unavailable`) and `error` (discarded), as RFC 6121 §8.5.3.2.1 says.
//!
//! ```
//! use xmpp_im::delivery::{decide_message, DeliveryPolicy, MessageDelivery, MessageType, ResourceStatus};
//! use xmpp_im::jid::{FullJid, Jid};
//!
//! let phone: FullJid = "juliet@example.com/phone".parse().unwrap();
//! let laptop: FullJid = "juliet@example.com/laptop".parse().unwrap();
//! let resources = [
//!     ResourceStatus { jid: &phone, priority: Some(-1), available_seq: 1 },
//!     ResourceStatus { jid: &laptop, priority: Some(5), available_seq: 2 },
//! ];
//! let to: Jid = "juliet@example.com".parse().unwrap();
//! let d = decide_message(&to, true, &resources, MessageType::Chat, &DeliveryPolicy::default());
//! assert_eq!(d, MessageDelivery::Deliver(vec![laptop]));
//! ```

use std::fmt;

use crate::error::StanzaErrorCondition;
use crate::jid::{BareJid, FullJid, Jid, bare_of, full_resource, resource_of};

/// The `type` of a message (RFC 6121 §5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum MessageType {
    /// `normal`, also an absent or unknown type (UCR-MSG-9).
    #[default]
    Normal,
    /// `chat`: one-to-one conversation.
    Chat,
    /// `groupchat`: multi-user chat.
    Groupchat,
    /// `headline`: a notification, no reply expected.
    Headline,
    /// `error`: an error reply.
    Error,
}

impl MessageType {
    /// The type of a message with this `type` attribute: absent or unknown values are `normal`.
    pub fn from_attr(value: Option<&str>) -> Self {
        match value {
            Some("chat") => Self::Chat,
            Some("groupchat") => Self::Groupchat,
            Some("headline") => Self::Headline,
            Some("error") => Self::Error,
            _ => Self::Normal,
        }
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Chat => "chat",
            Self::Groupchat => "groupchat",
            Self::Headline => "headline",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a message no resource can take (UCR-ROUTE-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OfflinePolicy {
    /// Keep it and deliver it when a resource becomes available (the default).
    #[default]
    Store,
    /// Return `service-unavailable` to the sender.
    Bounce,
}

/// Which resources get a `normal`/`chat` message when several share the highest priority
/// (RFC 6121 §8.5.2.1.1 leaves it to the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TiePolicy {
    /// Every one of them (the default: no resource misses the message).
    #[default]
    AllHighest,
    /// The one that became available most recently.
    MostRecent,
}

/// The server's delivery choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DeliveryPolicy {
    /// Undeliverable messages.
    pub offline: OfflinePolicy,
    /// Equal-priority resources.
    pub ties: TiePolicy,
}

/// One connected resource of the addressed account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResourceStatus<'a> {
    /// Its full JID.
    pub jid: &'a FullJid,
    /// Its priority if it is available (sent initial presence); `None` if only connected.
    pub priority: Option<i8>,
    /// Orders resources by when they last became available (larger is later).
    pub available_seq: u64,
}

/// Why a message is dropped on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiscardReason {
    /// It is of type `error`; answering an error with an error is forbidden (RFC 6120 §8.3.1).
    ErrorMessage,
}

/// What the server does with one message for a local account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageDelivery {
    /// Deliver it to each of these resources.
    Deliver(Vec<FullJid>),
    /// Keep it for this account and deliver it when a resource becomes available.
    StoreOffline(BareJid),
    /// Return it to the sender with this error.
    Bounce(StanzaErrorCondition),
    /// Drop it, for this reason.
    Discard(DiscardReason),
    /// The account is on another server: route it there.
    Route(Jid),
}

/// What the server does with one IQ request for a local account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IqDelivery {
    /// Deliver it to this resource.
    Deliver(FullJid),
    /// Addressed to the bare JID: the server answers it on the account's behalf (UCR-ROUTE-11).
    HandleForAccount(BareJid),
    /// Return it with this error.
    Bounce(StanzaErrorCondition),
    /// The account is on another server: route it there.
    Route(Jid),
}

fn exact<'a>(to: &Jid, resources: &[ResourceStatus<'a>]) -> Option<&'a FullJid> {
    let wanted = resource_of(to)?;
    resources
        .iter()
        .find(|r| full_resource(r.jid) == wanted)
        .map(|r| r.jid)
}

/// Decides where a message for a local account goes; see the [module docs](self) for the rules.
pub fn decide_message(
    to: &Jid,
    account_exists: bool,
    resources: &[ResourceStatus<'_>],
    kind: MessageType,
    policy: &DeliveryPolicy,
) -> MessageDelivery {
    if kind == MessageType::Error {
        // Delivered when addressed exactly; never answered.
        if account_exists {
            if let Some(jid) = exact(to, resources) {
                return MessageDelivery::Deliver(vec![jid.clone()]);
            }
        }
        return MessageDelivery::Discard(DiscardReason::ErrorMessage);
    }
    if !account_exists {
        return MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable);
    }
    if let Some(jid) = exact(to, resources) {
        return MessageDelivery::Deliver(vec![jid.clone()]);
    }
    if kind == MessageType::Groupchat {
        return MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable);
    }
    let eligible = resources
        .iter()
        .filter(|r| matches!(r.priority, Some(p) if p >= 0));
    let chosen: Vec<FullJid> = if kind == MessageType::Headline {
        eligible.map(|r| r.jid.clone()).collect()
    } else {
        let top = resources
            .iter()
            .filter_map(|r| r.priority)
            .filter(|p| *p >= 0)
            .max();
        let best = eligible.filter(|r| r.priority == top);
        match policy.ties {
            TiePolicy::AllHighest => best.map(|r| r.jid.clone()).collect(),
            TiePolicy::MostRecent => best
                .max_by_key(|r| r.available_seq)
                .map(|r| r.jid.clone())
                .into_iter()
                .collect(),
        }
    };
    if !chosen.is_empty() {
        return MessageDelivery::Deliver(chosen);
    }
    match policy.offline {
        OfflinePolicy::Store => MessageDelivery::StoreOffline(bare_of(to)),
        OfflinePolicy::Bounce => MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable),
    }
}

/// Decides where an IQ request for a local account goes (RFC 6121 §8.5.1, §8.5.2, §8.5.3): no such
/// account or no such resource is `service-unavailable`, a bare JID is answered by the server, a
/// connected resource gets it.
pub fn decide_iq(to: &Jid, account_exists: bool, resources: &[ResourceStatus<'_>]) -> IqDelivery {
    if !account_exists {
        return IqDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable);
    }
    if resource_of(to).is_none() {
        return IqDelivery::HandleForAccount(bare_of(to));
    }
    match exact(to, resources) {
        Some(jid) => IqDelivery::Deliver(jid.clone()),
        None => IqDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> FullJid {
        s.parse().unwrap()
    }
    fn to(s: &str) -> Jid {
        s.parse().unwrap()
    }

    /// UCR-MSG-6
    /// UCR-MSG-8
    #[test]
    fn ucr_msg_9_absent_or_unknown_type_is_normal() {
        assert_eq!(MessageType::from_attr(None), MessageType::Normal);
        assert_eq!(MessageType::from_attr(Some("shout")), MessageType::Normal);
        for t in [
            MessageType::Chat,
            MessageType::Groupchat,
            MessageType::Headline,
            MessageType::Error,
            MessageType::Normal,
        ] {
            assert_eq!(MessageType::from_attr(Some(t.as_str())), t);
        }
    }

    #[test]
    fn ucr_route_8_no_such_account() {
        let p = DeliveryPolicy::default();
        assert_eq!(
            decide_message(&to("x@h"), false, &[], MessageType::Chat, &p),
            MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable)
        );
        assert_eq!(
            decide_message(&to("x@h"), false, &[], MessageType::Error, &p),
            MessageDelivery::Discard(DiscardReason::ErrorMessage)
        );
        assert_eq!(
            decide_iq(&to("x@h/r"), false, &[]),
            IqDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable)
        );
    }

    #[test]
    fn ucr_route_9_no_resource_means_store_or_bounce_never_silence() {
        let a = f("u@h/a");
        let negative = [ResourceStatus {
            jid: &a,
            priority: Some(-5),
            available_seq: 1,
        }];
        for kind in [
            MessageType::Normal,
            MessageType::Chat,
            MessageType::Headline,
        ] {
            let store = DeliveryPolicy::default();
            assert_eq!(
                decide_message(&to("u@h"), true, &negative, kind, &store),
                MessageDelivery::StoreOffline("u@h".parse().unwrap())
            );
            let bounce = DeliveryPolicy {
                offline: OfflinePolicy::Bounce,
                ..DeliveryPolicy::default()
            };
            assert_eq!(
                decide_message(&to("u@h"), true, &[], kind, &bounce),
                MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable)
            );
        }
    }

    #[test]
    fn ucr_route_12_full_jid_without_resource_falls_back_to_bare() {
        let a = f("u@h/a");
        let rs = [ResourceStatus {
            jid: &a,
            priority: Some(0),
            available_seq: 1,
        }];
        let p = DeliveryPolicy::default();
        assert_eq!(
            decide_message(&to("u@h/gone"), true, &rs, MessageType::Chat, &p),
            MessageDelivery::Deliver(vec![a.clone()])
        );
        assert_eq!(
            decide_message(&to("u@h/gone"), true, &rs, MessageType::Groupchat, &p),
            MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable)
        );
        assert_eq!(
            decide_iq(&to("u@h/gone"), true, &rs),
            IqDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable)
        );
    }

    #[test]
    fn ucr_route_13_exact_resource_gets_it_whatever_its_priority() {
        let a = f("u@h/a");
        let rs = [ResourceStatus {
            jid: &a,
            priority: None,
            available_seq: 0,
        }];
        let p = DeliveryPolicy::default();
        for kind in [
            MessageType::Normal,
            MessageType::Groupchat,
            MessageType::Error,
        ] {
            assert_eq!(
                decide_message(&to("u@h/a"), true, &rs, kind, &p),
                MessageDelivery::Deliver(vec![a.clone()])
            );
        }
        assert_eq!(
            decide_iq(&to("u@h/a"), true, &rs),
            IqDelivery::Deliver(a.clone())
        );
        assert_eq!(
            decide_iq(&to("u@h"), true, &rs),
            IqDelivery::HandleForAccount("u@h".parse().unwrap())
        );
    }

    #[test]
    fn headline_goes_to_every_non_negative_resource_and_ties_follow_policy() {
        let (a, b, c) = (f("u@h/a"), f("u@h/b"), f("u@h/c"));
        let rs = [
            ResourceStatus {
                jid: &a,
                priority: Some(1),
                available_seq: 1,
            },
            ResourceStatus {
                jid: &b,
                priority: Some(1),
                available_seq: 3,
            },
            ResourceStatus {
                jid: &c,
                priority: Some(0),
                available_seq: 2,
            },
        ];
        let all = DeliveryPolicy::default();
        assert_eq!(
            decide_message(&to("u@h"), true, &rs, MessageType::Headline, &all),
            MessageDelivery::Deliver(vec![a.clone(), b.clone(), c.clone()])
        );
        assert_eq!(
            decide_message(&to("u@h"), true, &rs, MessageType::Normal, &all),
            MessageDelivery::Deliver(vec![a.clone(), b.clone()])
        );
        let recent = DeliveryPolicy {
            ties: TiePolicy::MostRecent,
            ..all
        };
        assert_eq!(
            decide_message(&to("u@h"), true, &rs, MessageType::Chat, &recent),
            MessageDelivery::Deliver(vec![b.clone()])
        );
        assert_eq!(
            decide_message(&to("u@h"), true, &rs, MessageType::Error, &all),
            MessageDelivery::Discard(DiscardReason::ErrorMessage)
        );
    }
}
