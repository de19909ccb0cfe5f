//! The presence subscription state machine of RFC 6121 (§3, Appendix A).
//!
//! This module owns the nine subscription states, the pre-approval flag, and the two pure
//! transition functions that encode every row of the RFC 6121 Appendix A tables:
//! [`outbound`] (A.2: what the user's server does with a subscription stanza its own client sent)
//! and [`inbound`] (A.3: what it does with one that arrives for the user). Each returns a
//! [`Transition`]: the new state and whether to route, deliver, auto-reply, push the roster item
//! and send presence. The server engine ([`crate::server`]) only executes those decisions.
//!
//! States are always seen from the account that owns the roster: `To` means "the user receives
//! the contact's presence", `From` means "the contact receives the user's presence".
//!
//! ```
//! use xmpp_im::subscription::{inbound, outbound, ContactState, SubscriptionState, SubscriptionType};
//!
//! // The user asks for the contact's presence: route the request, remember "Pending Out".
//! let t = outbound(ContactState::new(SubscriptionState::None), SubscriptionType::Subscribe);
//! assert!(t.route);
//! assert_eq!(t.state.state, SubscriptionState::NonePendingOut);
//!
//! // The contact approves: the user's server delivers the approval and now has "To".
//! let t = inbound(t.state, SubscriptionType::Subscribed);
//! assert!(t.deliver && t.push);
//! assert_eq!(t.state.state, SubscriptionState::To);
//! ```

use std::fmt;
use std::str::FromStr;

/// The `subscription` attribute of a roster item (RFC 6121 §2.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum RosterSubscription {
    /// Neither party receives the other's presence (also the meaning of an absent attribute).
    #[default]
    None,
    /// The user receives the contact's presence.
    To,
    /// The contact receives the user's presence.
    From,
    /// Both receive each other's presence.
    Both,
}

impl RosterSubscription {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::To => "to",
            Self::From => "from",
            Self::Both => "both",
        }
    }
}

impl fmt::Display for RosterSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that is not one of `none`, `to`, `from`, `both`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown subscription value {0:?}")]
pub struct UnknownSubscription(pub String);

impl FromStr for RosterSubscription {
    type Err = UnknownSubscription;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "to" => Ok(Self::To),
            "from" => Ok(Self::From),
            "both" => Ok(Self::Both),
            other => Err(UnknownSubscription(other.to_owned())),
        }
    }
}

/// The nine subscription states of RFC 6121 Appendix A.1, seen from the roster owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum SubscriptionState {
    /// "None": no subscription either way, nothing pending.
    #[default]
    None,
    /// "None + Pending Out": the user asked for the contact's presence.
    NonePendingOut,
    /// "None + Pending In": the contact asked for the user's presence.
    NonePendingIn,
    /// "None + Pending Out+In": both asked, neither approved.
    NonePendingOutIn,
    /// "To": the user receives the contact's presence.
    To,
    /// "To + Pending In": "To", and the contact asked for the user's presence.
    ToPendingIn,
    /// "From": the contact receives the user's presence.
    From,
    /// "From + Pending Out": "From", and the user asked for the contact's presence.
    FromPendingOut,
    /// "Both": mutual subscription.
    Both,
}

impl SubscriptionState {
    /// Every state, in the order of the RFC tables.
    pub const ALL: [Self; 9] = [
        Self::None,
        Self::NonePendingOut,
        Self::NonePendingIn,
        Self::NonePendingOutIn,
        Self::To,
        Self::ToPendingIn,
        Self::From,
        Self::FromPendingOut,
        Self::Both,
    ];

    /// The roster `subscription` attribute for this state.
    pub fn subscription(self) -> RosterSubscription {
        match self {
            Self::None | Self::NonePendingOut | Self::NonePendingIn | Self::NonePendingOutIn => {
                RosterSubscription::None
            }
            Self::To | Self::ToPendingIn => RosterSubscription::To,
            Self::From | Self::FromPendingOut => RosterSubscription::From,
            Self::Both => RosterSubscription::Both,
        }
    }

    /// Whether the user has an unanswered request out (the roster's `ask='subscribe'`).
    pub fn pending_out(self) -> bool {
        matches!(
            self,
            Self::NonePendingOut | Self::NonePendingOutIn | Self::FromPendingOut
        )
    }

    /// Whether the contact has an unanswered request in.
    pub fn pending_in(self) -> bool {
        matches!(
            self,
            Self::NonePendingIn | Self::NonePendingOutIn | Self::ToPendingIn
        )
    }

    /// Whether the user receives the contact's presence (`to` or `both`).
    pub fn has_to(self) -> bool {
        matches!(
            self.subscription(),
            RosterSubscription::To | RosterSubscription::Both
        )
    }

    /// Whether the contact receives the user's presence (`from` or `both`).
    pub fn has_from(self) -> bool {
        matches!(
            self.subscription(),
            RosterSubscription::From | RosterSubscription::Both
        )
    }

    /// The state with these properties, or `None` for an impossible combination
    /// (pending out while already `to`, pending in while already `from`).
    pub fn from_parts(
        subscription: RosterSubscription,
        pending_out: bool,
        pending_in: bool,
    ) -> Option<Self> {
        use RosterSubscription as S;
        Some(match (subscription, pending_out, pending_in) {
            (S::None, false, false) => Self::None,
            (S::None, true, false) => Self::NonePendingOut,
            (S::None, false, true) => Self::NonePendingIn,
            (S::None, true, true) => Self::NonePendingOutIn,
            (S::To, false, false) => Self::To,
            (S::To, false, true) => Self::ToPendingIn,
            (S::From, false, false) => Self::From,
            (S::From, true, false) => Self::FromPendingOut,
            (S::Both, false, false) => Self::Both,
            _ => return None,
        })
    }

    /// The name RFC 6121 gives the state (`"None + Pending Out"`, ...).
    pub fn rfc_name(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::NonePendingOut => "None + Pending Out",
            Self::NonePendingIn => "None + Pending In",
            Self::NonePendingOutIn => "None + Pending Out+In",
            Self::To => "To",
            Self::ToPendingIn => "To + Pending In",
            Self::From => "From",
            Self::FromPendingOut => "From + Pending Out",
            Self::Both => "Both",
        }
    }
}

impl fmt::Display for SubscriptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc_name())
    }
}

/// The four presence types that manage subscriptions (RFC 6121 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubscriptionType {
    /// `type='subscribe'`: ask for the recipient's presence.
    Subscribe,
    /// `type='subscribed'`: approve a request (or pre-approve one).
    Subscribed,
    /// `type='unsubscribe'`: stop receiving the recipient's presence.
    Unsubscribe,
    /// `type='unsubscribed'`: deny a request or cancel a granted subscription.
    Unsubscribed,
}

impl SubscriptionType {
    /// Every type.
    pub const ALL: [Self; 4] = [
        Self::Subscribe,
        Self::Subscribed,
        Self::Unsubscribe,
        Self::Unsubscribed,
    ];

    /// The presence `type` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Subscribed => "subscribed",
            Self::Unsubscribe => "unsubscribe",
            Self::Unsubscribed => "unsubscribed",
        }
    }
}

impl fmt::Display for SubscriptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The subscription facts a server keeps for one contact of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContactState {
    /// The RFC 6121 Appendix A state.
    pub state: SubscriptionState,
    /// Pre-approval (RFC 6121 §3.4, the roster's `approved='true'`): the user already approved a
    /// future request from the contact, which the server will then accept on its own.
    pub approved: bool,
}

impl ContactState {
    /// A state without pre-approval.
    pub fn new(state: SubscriptionState) -> Self {
        Self {
            state,
            approved: false,
        }
    }

    /// Whether the roster item a client sees differs between the two (subscription, ask, approved).
    pub fn visible_change(self, other: ContactState) -> bool {
        self.state.subscription() != other.state.subscription()
            || self.state.pending_out() != other.state.pending_out()
            || self.approved != other.approved
    }
}

/// Presence the roster owner's server must send to the contact after a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PresenceFollowUp {
    /// Nothing.
    #[default]
    None,
    /// The current presence of each of the user's available resources (RFC 6121 §3.1.5,
    /// UCR-SUB-25): the contact was just granted a subscription.
    SendAvailable,
    /// `unavailable` from each of the user's available resources (RFC 6121 §3.2.2, §3.3.3,
    /// UCR-SUB-37, UCR-SUB-49): the contact just lost its subscription.
    SendUnavailable,
}

/// What the roster owner's server does with one subscription stanza.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The state afterwards (equal to the old one for "no state change").
    pub state: ContactState,
    /// Outbound only: stamp the stanza with the user's bare JID and route it to the contact.
    pub route: bool,
    /// Inbound only: deliver the stanza to the user's resources (available resources for
    /// `subscribe`, interested resources for the other three).
    pub deliver: bool,
    /// Inbound only: a stanza the server sends back to the contact on the user's behalf.
    pub auto_reply: Option<SubscriptionType>,
    /// Push the changed roster item to the user's interested resources.
    pub push: bool,
    /// Presence to send to the contact afterwards.
    pub follow_up: PresenceFollowUp,
}

impl Transition {
    fn new(old: ContactState, new: ContactState) -> Self {
        Self {
            state: new,
            route: false,
            deliver: false,
            auto_reply: None,
            push: old.visible_change(new),
            follow_up: PresenceFollowUp::None,
        }
    }
}

/// RFC 6121 Appendix A.2: the user's server processes a subscription stanza the user's client sent
/// to the contact; `current` is the user's state for the contact.
///
/// Besides the tables: an outbound `subscribed` in "None", "None + Pending Out" or "To" records a
/// pre-approval and is not routed (§3.4.2); an outbound `unsubscribed` clears a pre-approval.
pub fn outbound(current: ContactState, kind: SubscriptionType) -> Transition {
    use SubscriptionState as S;
    let old = current.state;
    let (state, route, approved, follow_up) = match kind {
        // A.2.1: always routed (the contact's server auto-replies when it already approved).
        SubscriptionType::Subscribe => {
            let new = match old {
                S::None => S::NonePendingOut,
                S::NonePendingIn => S::NonePendingOutIn,
                S::From => S::FromPendingOut,
                S::NonePendingOut
                | S::NonePendingOutIn
                | S::To
                | S::ToPendingIn
                | S::FromPendingOut
                | S::Both => old,
            };
            (new, true, current.approved, PresenceFollowUp::None)
        }
        // A.2.2: always routed.
        SubscriptionType::Unsubscribe => {
            let new = match old {
                S::NonePendingOut | S::To => S::None,
                S::NonePendingOutIn | S::ToPendingIn => S::NonePendingIn,
                S::FromPendingOut | S::Both => S::From,
                S::None | S::NonePendingIn | S::From => old,
            };
            (new, true, current.approved, PresenceFollowUp::None)
        }
        // A.2.3 (+ §3.4 pre-approval).
        SubscriptionType::Subscribed => match old {
            S::NonePendingIn => (S::From, true, false, PresenceFollowUp::SendAvailable),
            S::NonePendingOutIn => (
                S::FromPendingOut,
                true,
                false,
                PresenceFollowUp::SendAvailable,
            ),
            S::ToPendingIn => (S::Both, true, false, PresenceFollowUp::SendAvailable),
            S::None | S::NonePendingOut | S::To => (old, false, true, PresenceFollowUp::None),
            S::From | S::FromPendingOut | S::Both => {
                (old, false, current.approved, PresenceFollowUp::None)
            }
        },
        // A.2.4 (+ cancelling a pre-approval).
        SubscriptionType::Unsubscribed => match old {
            S::NonePendingIn => (S::None, true, false, PresenceFollowUp::None),
            S::NonePendingOutIn => (S::NonePendingOut, true, false, PresenceFollowUp::None),
            S::ToPendingIn => (S::To, true, false, PresenceFollowUp::None),
            S::From => (S::None, true, false, PresenceFollowUp::SendUnavailable),
            S::FromPendingOut => (
                S::NonePendingOut,
                true,
                false,
                PresenceFollowUp::SendUnavailable,
            ),
            S::Both => (S::To, true, false, PresenceFollowUp::SendUnavailable),
            S::None | S::NonePendingOut | S::To => (old, false, false, PresenceFollowUp::None),
        },
    };
    let new = ContactState { state, approved };
    let mut t = Transition::new(current, new);
    t.route = route;
    t.follow_up = follow_up;
    t
}

/// RFC 6121 Appendix A.3: the user's server processes a subscription stanza that arrived from the
/// contact; `current` is the user's state for the contact.
///
/// Besides the tables: an inbound `subscribe` while the contact already has `from`/`both` is
/// answered with `subscribed` (§3.1.3, UCR-SUB-15); one that meets a pre-approval (or an
/// auto-approving account: pass `approved: true`) is accepted on the user's behalf: `subscribed`
/// goes back, the state gains `From`, the item is pushed and the user's presence is sent (§3.4.2).
pub fn inbound(current: ContactState, kind: SubscriptionType) -> Transition {
    use SubscriptionState as S;
    let old = current.state;
    let mut auto_reply = None;
    let mut follow_up = PresenceFollowUp::None;
    let mut approved = current.approved;
    let (state, deliver) = match kind {
        // A.3.1.
        SubscriptionType::Subscribe => match old {
            S::None | S::NonePendingOut | S::To if current.approved => {
                auto_reply = Some(SubscriptionType::Subscribed);
                follow_up = PresenceFollowUp::SendAvailable;
                approved = false;
                let new = match old {
                    S::None => S::From,
                    S::NonePendingOut => S::FromPendingOut,
                    _ => S::Both,
                };
                (new, false)
            }
            S::None => (S::NonePendingIn, true),
            S::NonePendingOut => (S::NonePendingOutIn, true),
            S::To => (S::ToPendingIn, true),
            S::NonePendingIn | S::NonePendingOutIn | S::ToPendingIn => (old, false),
            S::From | S::FromPendingOut | S::Both => {
                auto_reply = Some(SubscriptionType::Subscribed);
                (old, false)
            }
        },
        // A.3.2.
        SubscriptionType::Unsubscribe => match old {
            S::NonePendingIn => (S::None, true),
            S::NonePendingOutIn => (S::NonePendingOut, true),
            S::ToPendingIn => (S::To, true),
            S::From | S::FromPendingOut | S::Both => {
                follow_up = PresenceFollowUp::SendUnavailable;
                let new = match old {
                    S::From => S::None,
                    S::FromPendingOut => S::NonePendingOut,
                    _ => S::To,
                };
                (new, true)
            }
            S::None | S::NonePendingOut | S::To => (old, false),
        },
        // A.3.3.
        SubscriptionType::Subscribed => match old {
            S::NonePendingOut => (S::To, true),
            S::NonePendingOutIn => (S::ToPendingIn, true),
            S::FromPendingOut => (S::Both, true),
            S::None | S::NonePendingIn | S::To | S::ToPendingIn | S::From | S::Both => (old, false),
        },
        // A.3.4.
        SubscriptionType::Unsubscribed => match old {
            S::NonePendingOut | S::To => (S::None, true),
            S::NonePendingOutIn | S::ToPendingIn => (S::NonePendingIn, true),
            S::FromPendingOut | S::Both => (S::From, true),
            S::None | S::NonePendingIn | S::From => (old, false),
        },
    };
    let new = ContactState { state, approved };
    let mut t = Transition::new(current, new);
    t.deliver = deliver;
    t.auto_reply = auto_reply;
    t.follow_up = follow_up;
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_impossible_combinations() {
        for s in SubscriptionState::ALL {
            assert_eq!(
                SubscriptionState::from_parts(s.subscription(), s.pending_out(), s.pending_in()),
                Some(s)
            );
        }
        assert_eq!(
            SubscriptionState::from_parts(RosterSubscription::To, true, false),
            None
        );
        assert_eq!(
            SubscriptionState::from_parts(RosterSubscription::From, false, true),
            None
        );
        assert_eq!(
            SubscriptionState::from_parts(RosterSubscription::Both, true, true),
            None
        );
    }

    #[test]
    fn ucr_roster_3_subscription_values_parse() {
        for s in [
            RosterSubscription::None,
            RosterSubscription::To,
            RosterSubscription::From,
            RosterSubscription::Both,
        ] {
            assert_eq!(s.as_str().parse::<RosterSubscription>(), Ok(s));
        }
        assert!("remove".parse::<RosterSubscription>().is_err());
        assert_eq!(RosterSubscription::default(), RosterSubscription::None);
    }

    #[test]
    fn ucr_sub_2_subscription_presence_types() {
        let names: Vec<_> = SubscriptionType::ALL
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(
            names,
            ["subscribe", "subscribed", "unsubscribe", "unsubscribed"]
        );
        assert_eq!(
            SubscriptionState::NonePendingOutIn.to_string(),
            "None + Pending Out+In"
        );
    }

    #[test]
    fn routing_is_outbound_only_and_delivery_inbound_only() {
        for s in SubscriptionState::ALL {
            for approved in [false, true] {
                for k in SubscriptionType::ALL {
                    let c = ContactState { state: s, approved };
                    let o = outbound(c, k);
                    assert!(!o.deliver && o.auto_reply.is_none());
                    let i = inbound(c, k);
                    assert!(!i.route);
                    assert_eq!(o.push, c.visible_change(o.state));
                    assert_eq!(i.push, c.visible_change(i.state));
                }
            }
        }
    }
}
