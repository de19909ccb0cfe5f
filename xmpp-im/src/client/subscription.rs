//! Subscription stanzas a client sends, and how it may answer requests.

use crate::client::RosterTracker;
use crate::jid::{BareJid, Jid};
use crate::subscription::SubscriptionType;

/// A subscription stanza to send: `<presence to='{to}' type='{kind}'/>`.
///
/// The address is a bare JID by construction (UCR-SUB-4); the bridge should give it an `id`
/// (UCR-SUB-5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionRequest {
    /// The contact.
    pub to: BareJid,
    /// The presence type.
    pub kind: SubscriptionType,
}

impl SubscriptionRequest {
    /// Ask for the contact's presence (UCR-SUB-3).
    pub fn subscribe(to: BareJid) -> Self {
        Self {
            to,
            kind: SubscriptionType::Subscribe,
        }
    }
    /// Approve the contact's request, or pre-approve one (UCR-SUB-20).
    pub fn approve(to: BareJid) -> Self {
        Self {
            to,
            kind: SubscriptionType::Subscribed,
        }
    }
    /// Refuse the contact's request, or cancel the contact's subscription (UCR-SUB-21, UCR-SUB-32).
    pub fn deny(to: BareJid) -> Self {
        Self {
            to,
            kind: SubscriptionType::Unsubscribed,
        }
    }
    /// Stop receiving the contact's presence (UCR-SUB-42).
    pub fn unsubscribe(to: BareJid) -> Self {
        Self {
            to,
            kind: SubscriptionType::Unsubscribe,
        }
    }
    /// The `to` attribute.
    pub fn to_jid(&self) -> Jid {
        self.to.clone().into()
    }
}

/// What to do with inbound requests without asking the human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AutoAnswer {
    /// Raise them to the application (the default, UCR-SUB-19).
    #[default]
    Ask,
    /// Approve every request.
    ApproveAll,
    /// Approve requests from contacts already in the roster, ask about the rest.
    ApproveRoster,
    /// Refuse every request.
    DenyAll,
}

/// A client's policy for inbound subscription requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SubscriptionPolicy {
    /// Automatic answers.
    pub auto: AutoAnswer,
    /// After approving, also ask for the contact's presence if not already subscribed or asked,
    /// aiming at a mutual subscription (UCR-SUB-22).
    pub reciprocate: bool,
}

impl SubscriptionPolicy {
    /// The stanzas to send for a request from `from`; empty means "ask the human".
    pub fn on_request(&self, from: &BareJid, roster: &RosterTracker) -> Vec<SubscriptionRequest> {
        let approve = match self.auto {
            AutoAnswer::Ask => return Vec::new(),
            AutoAnswer::DenyAll => return vec![SubscriptionRequest::deny(from.clone())],
            AutoAnswer::ApproveAll => true,
            AutoAnswer::ApproveRoster => roster.get(from).is_some(),
        };
        if !approve {
            return Vec::new();
        }
        self.on_approved(from, roster)
    }

    /// The stanzas to send when the human approves the request from `from`.
    pub fn on_approved(&self, from: &BareJid, roster: &RosterTracker) -> Vec<SubscriptionRequest> {
        let mut out = vec![SubscriptionRequest::approve(from.clone())];
        let already = roster.get(from).is_some_and(|i| {
            i.ask
                || matches!(
                    i.subscription,
                    crate::subscription::RosterSubscription::To
                        | crate::subscription::RosterSubscription::Both
                )
        });
        if self.reciprocate && !already {
            out.push(SubscriptionRequest::subscribe(from.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucr_sub_4_requests_are_addressed_to_bare_jids() {
        let r = SubscriptionRequest::subscribe("romeo@example.net".parse().unwrap());
        assert_eq!(r.to_jid().to_string(), "romeo@example.net");
        assert_eq!(r.kind, SubscriptionType::Subscribe);
    }

    #[test]
    fn ucr_sub_19_default_policy_asks_the_human() {
        let roster = RosterTracker::new("juliet@example.com".parse().unwrap());
        let from: BareJid = "romeo@example.net".parse().unwrap();
        assert!(
            SubscriptionPolicy::default()
                .on_request(&from, &roster)
                .is_empty()
        );
        let deny = SubscriptionPolicy {
            auto: AutoAnswer::DenyAll,
            reciprocate: true,
        };
        assert_eq!(
            deny.on_request(&from, &roster),
            vec![SubscriptionRequest::deny(from.clone())]
        );
        let roster_only = SubscriptionPolicy {
            auto: AutoAnswer::ApproveRoster,
            reciprocate: false,
        };
        assert!(roster_only.on_request(&from, &roster).is_empty());
    }

    #[test]
    fn ucr_sub_22_approval_can_reciprocate() {
        let roster = RosterTracker::new("juliet@example.com".parse().unwrap());
        let from: BareJid = "romeo@example.net".parse().unwrap();
        let p = SubscriptionPolicy {
            auto: AutoAnswer::ApproveAll,
            reciprocate: true,
        };
        assert_eq!(
            p.on_request(&from, &roster),
            vec![
                SubscriptionRequest::approve(from.clone()),
                SubscriptionRequest::subscribe(from.clone())
            ]
        );
        let p = SubscriptionPolicy {
            auto: AutoAnswer::ApproveAll,
            reciprocate: false,
        };
        assert_eq!(
            p.on_request(&from, &roster),
            vec![SubscriptionRequest::approve(from)]
        );
    }
}
