//! The client's view of its contacts' presence (RFC 6121 §4.2.4, §4.4.4, §4.5.4).

use std::collections::BTreeMap;

use crate::client::RosterTracker;
use crate::jid::{BareJid, Jid, bare_of};
use crate::presence::{Presence, PresencePayload};
use crate::subscription::SubscriptionType;

/// The available resources of each contact (and of the user's other resources), with the last
/// presence each sent.
///
/// Available presence from a JID that is neither in the roster nor the user's own account is
/// ignored (UCR-PRES-8) when a roster is given to [`apply`](Self::apply); unavailable presence is
/// always applied, since forgetting a resource can never show something that is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceTracker<P> {
    owner: BareJid,
    contacts: BTreeMap<BareJid, BTreeMap<Jid, P>>,
    max_per_contact: usize,
}

impl<P: PresencePayload> PresenceTracker<P> {
    /// An empty tracker for `owner`, keeping at most 64 resources per contact.
    pub fn new(owner: BareJid) -> Self {
        Self {
            owner,
            contacts: BTreeMap::new(),
            max_per_contact: 64,
        }
    }

    /// Applies one inbound presence stanza from `from`; returns whether the view changed.
    ///
    /// `roster`, when given, filters available presence to roster members and the own account.
    pub fn apply(
        &mut self,
        roster: Option<&RosterTracker>,
        from: &Jid,
        presence: &Presence<P>,
    ) -> bool {
        let contact = bare_of(from);
        match presence {
            Presence::Available(p) => {
                let known =
                    contact == self.owner || roster.is_none_or(|r| r.get(&contact).is_some());
                if !known {
                    return false;
                }
                let resources = self.contacts.entry(contact).or_default();
                if !resources.contains_key(from) && resources.len() >= self.max_per_contact {
                    return false;
                }
                resources.insert(from.clone(), p.clone());
                true
            }
            Presence::Unavailable(_) => self.forget(&contact, from),
            // The contact cancelled our subscription: nothing of it is current any more.
            Presence::Subscription(SubscriptionType::Unsubscribed, _) => {
                self.contacts.remove(&contact).is_some()
            }
            Presence::Probe | Presence::Error(_) | Presence::Subscription(..) => false,
        }
    }

    fn forget(&mut self, contact: &BareJid, from: &Jid) -> bool {
        let Some(resources) = self.contacts.get_mut(contact) else {
            return false;
        };
        let changed = if from == &Jid::from(contact.clone()) {
            // Unavailable from the bare JID: the whole contact is offline.
            let had = !resources.is_empty();
            resources.clear();
            had
        } else {
            resources.remove(from).is_some()
        };
        if resources.is_empty() {
            self.contacts.remove(contact);
        }
        changed
    }

    /// The available resources of a contact, with their last presence.
    pub fn resources(&self, contact: &BareJid) -> impl Iterator<Item = (&Jid, &P)> {
        self.contacts.get(contact).into_iter().flatten()
    }

    /// Whether any resource of the contact is available.
    pub fn is_available(&self, contact: &BareJid) -> bool {
        self.contacts.get(contact).is_some_and(|r| !r.is_empty())
    }

    /// The contact's available resource with the highest priority (the first by JID on ties).
    pub fn best_resource(&self, contact: &BareJid) -> Option<&Jid> {
        let resources = self.contacts.get(contact)?;
        let top = resources.values().map(PresencePayload::priority).max()?;
        resources
            .iter()
            .find(|(_, p)| p.priority() == top)
            .map(|(j, _)| j)
    }

    /// Forgets everything (the user's own stream ended: presence received before is stale).
    pub fn clear(&mut self) {
        self.contacts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::RosterQuery;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct P(i8);
    impl PresencePayload for P {
        fn priority(&self) -> i8 {
            self.0
        }
    }

    fn j(s: &str) -> Jid {
        s.parse().unwrap()
    }

    /// Presence from roster members (and the user's own resources) is shown, from strangers
    /// ignored.
    #[test]
    fn ucr_pres_7_ucr_pres_8_presence_from_strangers_is_ignored() {
        let owner: BareJid = "juliet@example.com".parse().unwrap();
        let mut roster = RosterTracker::new(owner.clone());
        roster.apply_result(&RosterQuery::set(
            "romeo@example.net".parse().unwrap(),
            None,
            vec![],
        ));
        let mut t = PresenceTracker::new(owner);
        assert!(!t.apply(
            Some(&roster),
            &j("mallory@evil.example/x"),
            &Presence::Available(P(0))
        ));
        assert!(t.apply(
            Some(&roster),
            &j("romeo@example.net/orchard"),
            &Presence::Available(P(0))
        ));
        assert!(t.apply(
            Some(&roster),
            &j("juliet@example.com/chamber"),
            &Presence::Available(P(0))
        ));
        assert!(t.is_available(&"romeo@example.net".parse().unwrap()));
        assert!(!t.is_available(&"mallory@evil.example".parse().unwrap()));
    }

    /// An update is processed exactly like initial presence: the same roster filter, and it
    /// replaces what the resource said before (priority included) instead of adding to it.
    #[test]
    fn ucr_pres_23_updates_are_processed_like_initial_presence() {
        let owner: BareJid = "juliet@example.com".parse().unwrap();
        let romeo: BareJid = "romeo@example.net".parse().unwrap();
        let mut roster = RosterTracker::new(owner.clone());
        roster.apply_result(&RosterQuery::set(romeo.clone(), None, vec![]));
        let mut t = PresenceTracker::new(owner);
        let orchard = j("romeo@example.net/orchard");
        let study = j("romeo@example.net/study");
        assert!(t.apply(Some(&roster), &orchard, &Presence::Available(P(1))));
        assert!(t.apply(Some(&roster), &study, &Presence::Available(P(2))));
        assert_eq!(t.best_resource(&romeo), Some(&study));
        // The update raises the orchard's priority: it replaces the initial presence.
        assert!(t.apply(Some(&roster), &orchard, &Presence::Available(P(9))));
        assert_eq!(
            t.resources(&romeo).collect::<Vec<_>>(),
            vec![(&orchard, &P(9)), (&study, &P(2))]
        );
        assert_eq!(t.best_resource(&romeo), Some(&orchard));
        // A stranger's update is ignored just like its initial presence.
        let mallory = j("mallory@evil.example/x");
        for p in [P(1), P(5)] {
            assert!(!t.apply(Some(&roster), &mallory, &Presence::Available(p)));
        }
        assert!(!t.is_available(&"mallory@evil.example".parse().unwrap()));
    }

    #[test]
    fn ucr_pres_33_unavailable_is_processed_like_other_presence() {
        let romeo: BareJid = "romeo@example.net".parse().unwrap();
        let mut t = PresenceTracker::new("juliet@example.com".parse().unwrap());
        t.apply(None, &j("romeo@example.net/a"), &Presence::Available(P(1)));
        t.apply(None, &j("romeo@example.net/b"), &Presence::Available(P(5)));
        assert_eq!(t.best_resource(&romeo), Some(&j("romeo@example.net/b")));
        assert!(t.apply(
            None,
            &j("romeo@example.net/b"),
            &Presence::Unavailable(None)
        ));
        assert_eq!(t.best_resource(&romeo), Some(&j("romeo@example.net/a")));
        assert!(t.apply(None, &j("romeo@example.net"), &Presence::Unavailable(None)));
        assert!(!t.is_available(&romeo));
        assert!(!t.apply(
            None,
            &j("romeo@example.net/a"),
            &Presence::Unavailable(None)
        ));
        t.apply(None, &j("romeo@example.net/a"), &Presence::Available(P(1)));
        assert!(t.apply(
            None,
            &j("romeo@example.net"),
            &Presence::Subscription(SubscriptionType::Unsubscribed, None)
        ));
        assert_eq!(t.resources(&romeo).count(), 0);
    }
}
