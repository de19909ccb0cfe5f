//! Property test: random sequences of subscription, roster and presence events between accounts
//! on two servers (two engines joined by an in-memory s2s link, plus two accounts sharing a
//! server). After every event:
//!
//! - the two sides of every pair agree (UCR-SUB-1): one's `to` is the other's `from`, one's
//!   pending-out is the other's pending-in;
//! - no available presence was delivered from a resource to an account that neither has a
//!   `from`/`both` subscription to it nor was sent directed presence by it, and no resource
//!   believes a contact's resource is available unless that is still allowed (JITC D1);
//! - every interested resource's roster, kept from the result and the pushes it got, equals the
//!   server's roster (UCR-ROSTER-19, UCR-ROSTER-31).

mod common;

use std::collections::{BTreeMap, VecDeque};

use common::*;
use proptest::prelude::*;
use xmpp_im::client::{PresenceTracker, RosterTracker};
use xmpp_im::jid::{BareJid, FullJid, Jid};
use xmpp_im::roster::{RosterContact, RosterQuery};
use xmpp_im::server::{Action, Presence, RosterResult};
use xmpp_im::store::{Contact, RosterStore};
use xmpp_im::subscription::{SubscriptionState, SubscriptionType};

const ACCOUNTS: [&str; 3] = ["alice@a.example", "anna@a.example", "bob@b.example"];
const RESOURCES: [&str; 2] = ["r0", "r1"];
const KINDS: [SubscriptionType; 4] = [
    SubscriptionType::Subscribe,
    SubscriptionType::Subscribed,
    SubscriptionType::Unsubscribe,
    SubscriptionType::Unsubscribed,
];

#[derive(Debug, Clone)]
enum Ev {
    Login {
        acc: usize,
        res: usize,
        priority: i8,
    },
    Update {
        acc: usize,
        res: usize,
        priority: i8,
    },
    Logout {
        acc: usize,
        res: usize,
    },
    Drop {
        acc: usize,
        res: usize,
    },
    Sub {
        from: usize,
        to: usize,
        kind: usize,
    },
    Add {
        from: usize,
        to: usize,
    },
    Remove {
        from: usize,
        to: usize,
    },
    Directed {
        acc: usize,
        res: usize,
        to: usize,
        to_res: Option<usize>,
        available: bool,
    },
}

fn ev() -> impl Strategy<Value = Ev> {
    let acc = 0..ACCOUNTS.len();
    let res = 0..RESOURCES.len();
    let priority = prop_oneof![Just(-1i8), Just(0i8), Just(5i8)];
    prop_oneof![
        3 => (acc.clone(), res.clone(), priority.clone()).prop_map(|(acc, res, priority)| Ev::Login { acc, res, priority }),
        1 => (acc.clone(), res.clone(), priority).prop_map(|(acc, res, priority)| Ev::Update { acc, res, priority }),
        1 => (acc.clone(), res.clone()).prop_map(|(acc, res)| Ev::Logout { acc, res }),
        1 => (acc.clone(), res.clone()).prop_map(|(acc, res)| Ev::Drop { acc, res }),
        6 => (acc.clone(), acc.clone(), 0..KINDS.len()).prop_map(|(from, to, kind)| Ev::Sub { from, to, kind }),
        1 => (acc.clone(), acc.clone()).prop_map(|(from, to)| Ev::Add { from, to }),
        2 => (acc.clone(), acc.clone()).prop_map(|(from, to)| Ev::Remove { from, to }),
        2 => (acc.clone(), res.clone(), acc, proptest::option::of(res), any::<bool>())
            .prop_map(|(acc, res, to, to_res, available)| Ev::Directed { acc, res, to, to_res, available }),
    ]
}

struct World {
    servers: [Engine; 2],
    views: BTreeMap<FullJid, PresenceTracker<Pres>>,
    rosters: BTreeMap<FullJid, RosterTracker>,
    next_id: u32,
}

fn server_of(jid: &Jid) -> usize {
    usize::from(jid.domain() == "b.example")
}

fn resource(acc: usize, res: usize) -> FullJid {
    full(&format!("{}/{}", ACCOUNTS[acc], RESOURCES[res]))
}

impl World {
    fn new() -> Self {
        let a = engine("a.example", &ACCOUNTS[..2]);
        let b = engine("b.example", &ACCOUNTS[2..]);
        Self {
            servers: [a, b],
            views: BTreeMap::new(),
            rosters: BTreeMap::new(),
            next_id: 0,
        }
    }

    fn engine(&mut self, jid: &Jid) -> &mut Engine {
        &mut self.servers[server_of(jid)]
    }

    fn engine_ref(&self, jid: &Jid) -> &Engine {
        &self.servers[server_of(jid)]
    }

    fn payload(&mut self, priority: i8) -> Pres {
        self.next_id += 1;
        Pres {
            id: self.next_id,
            priority,
        }
    }

    fn bind(&mut self, r: &FullJid) {
        let j: Jid = r.clone().into();
        if !self.engine_ref(&j).is_connected(r) {
            self.engine(&j).bind(r.clone()).unwrap();
            self.views
                .insert(r.clone(), PresenceTracker::new(r.to_bare()));
        }
    }

    fn any_connected(&mut self, acc: usize) -> FullJid {
        for res in 0..RESOURCES.len() {
            let r = resource(acc, res);
            let j: Jid = r.clone().into();
            if self.engine_ref(&j).is_connected(&r) {
                return r;
            }
        }
        let r = resource(acc, 0);
        self.bind(&r);
        r
    }

    /// Carries out actions, following s2s routes to the other engine; returns the deliveries.
    fn process(&mut self, actions: Vec<Action<Pres>>) -> Vec<(FullJid, Jid, Presence<Pres>)> {
        let mut queue: VecDeque<Action<Pres>> = actions.into();
        let mut delivered = Vec::new();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::RoutePresence { to, from, presence } => {
                    let more = self
                        .engine(&to)
                        .presence_from_remote(&from, &to, presence)
                        .unwrap();
                    queue.extend(more);
                }
                Action::DeliverPresence { to, from, presence } => {
                    let view = self
                        .views
                        .get_mut(&to)
                        .expect("delivered to a connected resource");
                    // Only available/unavailable shape the view: a client that also forgets a
                    // contact on `unsubscribed` would hide a missing `unavailable` (JITC D1).
                    if matches!(presence, Presence::Available(_) | Presence::Unavailable(_)) {
                        view.apply(None, &from, &presence);
                    }
                    delivered.push((to, from, presence));
                }
                Action::RosterPush { to, push } => {
                    let tracker = self
                        .rosters
                        .get_mut(&to)
                        .expect("pushes go to interested resources only");
                    tracker.apply_push(None, &push.to_query()).unwrap();
                }
                Action::PresenceError { .. } | Action::FlushOffline { .. } => {}
            }
        }
        delivered
    }

    fn apply(&mut self, ev: &Ev) -> Vec<(FullJid, Jid, Presence<Pres>)> {
        match *ev {
            Ev::Login { acc, res, priority } => {
                let r = resource(acc, res);
                self.bind(&r);
                let j: Jid = r.clone().into();
                if !self.rosters.contains_key(&r) {
                    let RosterResult::Full { ver, items } = self
                        .engine(&j)
                        .roster_get(&r, None, &RosterQuery::default())
                        .unwrap()
                    else {
                        panic!("a get without version is answered in full")
                    };
                    let mut tracker = RosterTracker::new(r.to_bare());
                    tracker.apply_result(&RosterQuery {
                        ver: ver.map(|v| v.to_string()),
                        items: items.iter().map(RosterContact::to_raw).collect(),
                    });
                    self.rosters.insert(r.clone(), tracker);
                }
                let p = self.payload(priority);
                let actions = self
                    .engine(&j)
                    .presence_from_client(&r, None, Presence::Available(p))
                    .unwrap();
                self.process(actions)
            }
            Ev::Update { acc, res, priority } => {
                let r = resource(acc, res);
                let j: Jid = r.clone().into();
                if !self.engine_ref(&j).is_available(&r) {
                    return Vec::new();
                }
                let p = self.payload(priority);
                let actions = self
                    .engine(&j)
                    .presence_from_client(&r, None, Presence::Available(p))
                    .unwrap();
                self.process(actions)
            }
            Ev::Logout { acc, res } | Ev::Drop { acc, res } => {
                let r = resource(acc, res);
                let j: Jid = r.clone().into();
                if !self.engine_ref(&j).is_connected(&r) {
                    return Vec::new();
                }
                let mut delivered = Vec::new();
                if matches!(ev, Ev::Logout { .. }) {
                    let p = self.payload(0);
                    let actions = self
                        .engine(&j)
                        .presence_from_client(&r, None, Presence::Unavailable(Some(p)))
                        .unwrap();
                    delivered = self.process(actions);
                }
                let actions = self.engine(&j).disconnect(&r).unwrap();
                self.views.remove(&r);
                self.rosters.remove(&r);
                delivered.extend(self.process(actions));
                delivered
            }
            Ev::Sub { from, to, kind } => {
                let r = self.any_connected(from);
                let j: Jid = r.clone().into();
                let p = self.payload(0);
                let to = jid(ACCOUNTS[to]);
                let actions = self
                    .engine(&j)
                    .presence_from_client(
                        &r,
                        Some(&to),
                        Presence::Subscription(KINDS[kind], Some(p)),
                    )
                    .unwrap();
                self.process(actions)
            }
            Ev::Add { from, to } | Ev::Remove { from, to } => {
                let r = self.any_connected(from);
                let j: Jid = r.clone().into();
                let contact = bare(ACCOUNTS[to]);
                let query = match ev {
                    Ev::Add { .. } => RosterQuery::set(
                        contact,
                        Some(format!("n{}", self.next_id)),
                        vec!["g".into()],
                    ),
                    _ => RosterQuery::remove(contact),
                };
                match self.engine(&j).roster_set(&r, None, &query) {
                    Ok(actions) => self.process(actions),
                    Err(_) => Vec::new(),
                }
            }
            Ev::Directed {
                acc,
                res,
                to,
                to_res,
                available,
            } => {
                let r = resource(acc, res);
                let j: Jid = r.clone().into();
                if !self.engine_ref(&j).is_connected(&r) {
                    return Vec::new();
                }
                let target: Jid = match to_res {
                    Some(tr) => resource(to, tr).into(),
                    None => jid(ACCOUNTS[to]),
                };
                let presence = if available {
                    Presence::Available(self.payload(0))
                } else {
                    Presence::Unavailable(None)
                };
                let actions = self
                    .engine(&j)
                    .presence_from_client(&r, Some(&target), presence)
                    .unwrap();
                self.process(actions)
            }
        }
    }

    fn state(&self, user: &BareJid, contact: &BareJid) -> SubscriptionState {
        let j: Jid = user.clone().into();
        self.engine_ref(&j)
            .store()
            .contact(user, contact)
            .unwrap()
            .map(|c| c.state.state)
            .unwrap_or_default()
    }

    /// Whether `sender` may currently have `receiver` believe it is available.
    fn allowed(&self, sender: &Jid, receiver: &FullJid) -> bool {
        let Ok(s) = FullJid::try_from(sender.clone()) else {
            return false;
        };
        let e = self.engine_ref(sender);
        if !e.is_connected(&s) {
            return false;
        }
        let (from, to) = (s.to_bare(), receiver.to_bare());
        if e.is_available(&s) && (from == to || self.state(&from, &to).has_from()) {
            return true;
        }
        let receiver_jid: Jid = receiver.clone().into();
        let receiver_bare: Jid = to.into();
        e.directed_recipients(&s)
            .iter()
            .any(|d| *d == receiver_jid || *d == receiver_bare)
    }

    fn check(&self, delivered: &[(FullJid, Jid, Presence<Pres>)]) -> Result<(), TestCaseError> {
        // Both sides of every pair agree.
        for (i, a) in ACCOUNTS.iter().enumerate() {
            for b in &ACCOUNTS[i + 1..] {
                let (a, b) = (bare(a), bare(b));
                let (ab, ba) = (self.state(&a, &b), self.state(&b, &a));
                prop_assert_eq!(
                    ab.has_to(),
                    ba.has_from(),
                    "{} has {} for {}, which has {}",
                    a,
                    ab,
                    b,
                    ba
                );
                prop_assert_eq!(
                    ab.has_from(),
                    ba.has_to(),
                    "{} has {} for {}, which has {}",
                    a,
                    ab,
                    b,
                    ba
                );
                prop_assert_eq!(
                    ab.pending_out(),
                    ba.pending_in(),
                    "{} has {} for {}, which has {}",
                    a,
                    ab,
                    b,
                    ba
                );
                prop_assert_eq!(
                    ab.pending_in(),
                    ba.pending_out(),
                    "{} has {} for {}, which has {}",
                    a,
                    ab,
                    b,
                    ba
                );
            }
        }
        // No available presence to anyone without a subscription or directed presence.
        for (to, from, presence) in delivered {
            if matches!(presence, Presence::Available(_)) && from.resource().is_some() {
                prop_assert!(
                    self.allowed(from, to),
                    "{} got available presence from {}",
                    to,
                    from
                );
            }
        }
        for (receiver, view) in &self.views {
            for acc in ACCOUNTS {
                for (sender, _) in view.resources(&bare(acc)) {
                    prop_assert!(
                        self.allowed(sender, receiver),
                        "{} still sees {} as available",
                        receiver,
                        sender
                    );
                }
            }
        }
        // Interested resources hold the server's roster.
        for (r, tracker) in &self.rosters {
            let user = r.to_bare();
            let j: Jid = user.clone().into();
            let server: Vec<RosterContact> = self
                .engine_ref(&j)
                .store()
                .contacts(&user)
                .unwrap()
                .iter()
                .filter_map(Contact::roster_item)
                .collect();
            let client: Vec<RosterContact> = tracker.items().cloned().collect();
            prop_assert_eq!(client, server, "roster of {}", r);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// UCR-SUB-1
    /// UCR-PRES-19
    /// UCR-PRES-28
    /// UCR-ROSTER-31
    #[test]
    fn ucr_sub_1_random_sessions_stay_consistent_and_leak_free(events in proptest::collection::vec(ev(), 1..60)) {
        let mut world = World::new();
        for ev in &events {
            let delivered = world.apply(ev);
            world.check(&delivered)?;
        }
    }
}
