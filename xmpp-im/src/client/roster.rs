//! The client's copy of its roster (RFC 6121 §2), kept from results and pushes.

use std::collections::BTreeMap;

use crate::error::StanzaErrorCondition;
use crate::jid::{BareJid, Jid, bare_of, resource_of};
use crate::roster::{RawItem, RosterChange, RosterContact, RosterQuery};
use crate::subscription::RosterSubscription;

/// Why a roster push was not applied; [`PushError::condition`] is the error to answer it with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The push came from someone other than the user's own server/account (UCR-ROSTER-21).
    #[error("roster push from {0}, which is not the user's bare JID")]
    Spoofed(Jid),
    /// The push did not carry exactly one item (UCR-ROSTER-20).
    #[error("a roster push must carry exactly one item, this one has {0}")]
    NotOneItem(usize),
    /// The item's JID has a resource.
    #[error("roster item JID {0} is not a bare JID")]
    NotBareJid(Jid),
    /// The push would grow the roster beyond the tracker's limit.
    #[error("the roster already holds the maximum of {0} items")]
    TooManyItems(usize),
}

impl PushError {
    /// The stanza error to answer the push with (a spoofed push gets `service-unavailable`, as if
    /// the client did not support the roster namespace for that sender).
    pub fn condition(&self) -> StanzaErrorCondition {
        match self {
            Self::Spoofed(_) => StanzaErrorCondition::ServiceUnavailable,
            Self::NotOneItem(_) | Self::NotBareJid(_) => StanzaErrorCondition::BadRequest,
            Self::TooManyItems(_) => StanzaErrorCondition::ResourceConstraint,
        }
    }
}

/// The client's roster: what the server said in the last result and the pushes since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterTracker {
    owner: BareJid,
    items: BTreeMap<BareJid, RosterContact>,
    ver: Option<String>,
    max_items: usize,
}

/// A result or push item as the client understands it: a bare JID and a known subscription.
fn item_from_raw(raw: &RawItem) -> Option<RosterContact> {
    if resource_of(&raw.jid).is_some() {
        return None;
    }
    Some(RosterContact {
        jid: bare_of(&raw.jid),
        name: raw.name.clone().filter(|n| !n.is_empty()),
        groups: raw.groups.clone(),
        // Unknown values are ignored, i.e. read as an absent attribute (UCR-ROSTER-4, UCR-ROSTER-5).
        subscription: raw
            .subscription
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(RosterSubscription::None),
        ask: raw.ask.as_deref() == Some("subscribe"),
        approved: matches!(raw.approved.as_deref(), Some("true" | "1")),
    })
}

impl RosterTracker {
    /// An empty roster for `owner`, holding at most 100 000 items.
    pub fn new(owner: BareJid) -> Self {
        Self {
            owner,
            items: BTreeMap::new(),
            ver: None,
            max_items: 100_000,
        }
    }

    /// The same with another item limit.
    pub fn with_max_items(owner: BareJid, max_items: usize) -> Self {
        Self {
            max_items,
            ..Self::new(owner)
        }
    }

    /// The account the roster belongs to.
    pub fn owner(&self) -> &BareJid {
        &self.owner
    }

    /// The version to put in the next roster get, if the server gave one (RFC 6121 §2.6). An
    /// empty result to such a get means the roster kept here is current; the pushes that follow
    /// bring it up to date.
    pub fn request_ver(&self) -> Option<&str> {
        self.ver.as_deref()
    }

    /// The item for a contact.
    pub fn get(&self, jid: &BareJid) -> Option<&RosterContact> {
        self.items.get(jid)
    }

    /// Every item, ordered by JID.
    pub fn items(&self) -> impl Iterator<Item = &RosterContact> {
        self.items.values()
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the roster is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A roster result with a query (UCR-ROSTER-15): replaces the whole roster. Items with a
    /// full JID are skipped; items beyond the limit are dropped. Returns how many were kept.
    pub fn apply_result(&mut self, query: &RosterQuery) -> usize {
        self.items.clear();
        for item in query.items.iter().filter_map(item_from_raw) {
            if self.items.len() >= self.max_items {
                break;
            }
            self.items.insert(item.jid.clone(), item);
        }
        self.ver = query.ver.clone();
        self.items.len()
    }

    /// A roster push (UCR-ROSTER-22). `from` is the IQ's `from`; the push is applied only when it
    /// is absent or the user's bare JID (UCR-ROSTER-21). On `Ok` the client answers with an IQ
    /// result (UCR-ROSTER-23); on `Err`, with [`PushError::condition`].
    pub fn apply_push(
        &mut self,
        from: Option<&Jid>,
        query: &RosterQuery,
    ) -> Result<RosterChange, PushError> {
        if let Some(from) = from {
            if resource_of(from).is_some() || bare_of(from) != self.owner {
                return Err(PushError::Spoofed(from.clone()));
            }
        }
        let raw = match query.items.as_slice() {
            [raw] => raw,
            items => return Err(PushError::NotOneItem(items.len())),
        };
        let change = if raw.subscription.as_deref() == Some("remove") {
            if resource_of(&raw.jid).is_some() {
                return Err(PushError::NotBareJid(raw.jid.clone()));
            }
            RosterChange::Remove(bare_of(&raw.jid))
        } else {
            RosterChange::Update(
                item_from_raw(raw).ok_or_else(|| PushError::NotBareJid(raw.jid.clone()))?,
            )
        };
        self.apply_change(change.clone())?;
        if query.ver.is_some() {
            self.ver = query.ver.clone();
        }
        Ok(change)
    }

    fn apply_change(&mut self, change: RosterChange) -> Result<(), PushError> {
        match change {
            RosterChange::Update(item) => {
                if !self.items.contains_key(&item.jid) && self.items.len() >= self.max_items {
                    return Err(PushError::TooManyItems(self.max_items));
                }
                self.items.insert(item.jid.clone(), item);
            }
            RosterChange::Remove(jid) => {
                self.items.remove(&jid);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::{RosterPush, RosterVersion};

    fn owner() -> BareJid {
        "juliet@example.com".parse().unwrap()
    }
    fn raw(jid: &str, sub: Option<&str>) -> RawItem {
        RawItem {
            subscription: sub.map(str::to_owned),
            ..RawItem::new(jid.parse().unwrap())
        }
    }

    #[test]
    fn ucr_roster_4_unknown_subscription_in_result_is_ignored() {
        let mut t = RosterTracker::new(owner());
        let q = RosterQuery {
            ver: Some("3".into()),
            items: vec![
                raw("a@x", Some("both")),
                raw("b@x", Some("sideways")),
                raw("c@x/r", None),
                raw("d@x", None),
            ],
        };
        assert_eq!(t.apply_result(&q), 3);
        assert_eq!(
            t.get(&"a@x".parse().unwrap()).unwrap().subscription,
            RosterSubscription::Both
        );
        assert_eq!(
            t.get(&"b@x".parse().unwrap()).unwrap().subscription,
            RosterSubscription::None
        );
        assert_eq!(
            t.get(&"d@x".parse().unwrap()).unwrap().subscription,
            RosterSubscription::None
        );
        assert_eq!(t.request_ver(), Some("3"));
    }

    #[test]
    fn ucr_roster_5_push_remove_and_unknown_values() {
        let mut t = RosterTracker::new(owner());
        let q = RosterQuery {
            ver: Some("4".into()),
            items: vec![raw("a@x", Some("pending"))],
        };
        assert!(
            matches!(t.apply_push(None, &q), Ok(RosterChange::Update(i)) if i.subscription == RosterSubscription::None)
        );
        let q = RosterQuery {
            ver: Some("5".into()),
            items: vec![raw("a@x", Some("remove"))],
        };
        assert_eq!(
            t.apply_push(None, &q),
            Ok(RosterChange::Remove("a@x".parse().unwrap()))
        );
        assert!(t.is_empty());
        assert_eq!(t.request_ver(), Some("5"));
    }

    #[test]
    fn ucr_roster_21_spoofed_pushes_are_refused() {
        let mut t = RosterTracker::new(owner());
        let q = RosterQuery {
            ver: None,
            items: vec![raw("a@x", Some("both"))],
        };
        for from in [
            "mallory@evil.example",
            "juliet@example.com/balcony",
            "example.com",
        ] {
            let from: Jid = from.parse().unwrap();
            let e = t.apply_push(Some(&from), &q).unwrap_err();
            assert_eq!(e.condition(), StanzaErrorCondition::ServiceUnavailable);
        }
        assert!(t.is_empty());
        let own: Jid = owner().into();
        assert!(t.apply_push(Some(&own), &q).is_ok());
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn ucr_roster_20_push_needs_exactly_one_item() {
        let mut t = RosterTracker::new(owner());
        let q = RosterQuery {
            ver: None,
            items: vec![raw("a@x", None), raw("b@x", None)],
        };
        assert_eq!(t.apply_push(None, &q), Err(PushError::NotOneItem(2)));
        assert_eq!(
            t.apply_push(None, &RosterQuery::default()),
            Err(PushError::NotOneItem(0))
        );
    }

    /// UCR-ROSTER-7
    /// UCR-ROSTER-8
    #[test]
    fn ucr_roster_22_server_pushes_round_trip_through_queries() {
        let mut t = RosterTracker::with_max_items(owner(), 1);
        let mut item = RosterContact::new("romeo@example.net".parse().unwrap());
        item.name = Some("Romeo".into());
        item.groups = vec!["Friends".into()];
        item.subscription = RosterSubscription::From;
        item.ask = true;
        item.approved = false;
        let push = RosterPush {
            ver: Some(RosterVersion::new(9)),
            change: RosterChange::Update(item.clone()),
        };
        assert_eq!(
            t.apply_push(None, &push.to_query()),
            Ok(RosterChange::Update(item.clone()))
        );
        assert_eq!(t.get(&item.jid), Some(&item));
        assert_eq!(t.request_ver(), Some("9"));
        let other = RosterPush {
            ver: None,
            change: RosterChange::Update(RosterContact::new("x@y".parse().unwrap())),
        };
        assert_eq!(
            t.apply_push(None, &other.to_query()).unwrap_err(),
            PushError::TooManyItems(1)
        );
    }
}
