//! Scenarios with several accounts and resources driven through the server engine (and the
//! client trackers): login, probes and broadcast, subscription handshakes in every order, contact
//! removal (JITC D1), negative and equal priorities, disconnects, versioned rosters.

mod common;

use common::*;
use xmpp_im::client::{PresenceTracker, RosterTracker};
use xmpp_im::delivery::{MessageDelivery, MessageType, OfflinePolicy, TiePolicy};
use xmpp_im::error::{RosterError, StanzaErrorCondition};
use xmpp_im::roster::{RosterChange, RosterContact, RosterPush, RosterQuery, RosterVersion};
use xmpp_im::server::{Action, EngineConfig, Presence, RosterResult, ServerEngine};
use xmpp_im::store::{MemoryRosterStore, RosterStore};
use xmpp_im::subscription::{RosterSubscription, SubscriptionState as S, SubscriptionType as T};

const J: &str = "juliet@example.com";
const R: &str = "romeo@example.com";

fn two() -> Engine {
    engine("example.com", &[J, R])
}

/// Juliet (subscription both with Romeo, who is online) binds at the balcony, gets her roster
/// and sends initial presence. Returns the engine, her roster result and the presence actions.
fn juliet_logs_in_next_to_romeo() -> (Engine, RosterResult, Vec<Action<Pres>>) {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    login(&mut e, "romeo@example.com/orchard", pres(1));
    let balcony = full("juliet@example.com/balcony");
    e.bind(balcony.clone()).unwrap();
    let roster = e
        .roster_get(&balcony, None, &RosterQuery::default())
        .unwrap();
    let actions = e
        .presence_from_client(&balcony, None, Presence::Available(pres(2)))
        .unwrap();
    (e, roster, actions)
}

/// The login roster get is processed and answered with one item per contact.
#[test]
fn ucr_roster_13_ucr_roster_27_login_roster_get_has_one_item_per_contact() {
    let (_, roster, _) = juliet_logs_in_next_to_romeo();
    let RosterResult::Full { items, ver } = roster else {
        panic!("expected a full roster");
    };
    assert_eq!(ver, Some(RosterVersion::INITIAL));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].jid, bare(R));
    assert_eq!(items[0].subscription, RosterSubscription::Both);
}

/// Initial presence goes, from the full JID, to the user's own available resources (the sender
/// included) and to every available resource of each subscribed contact; and nothing else.
#[test]
fn ucr_pres_3_ucr_pres_4_ucr_pres_6_initial_presence_reaches_own_resources_and_subscribers() {
    let (_, _, actions) = juliet_logs_in_next_to_romeo();
    let balcony = full("juliet@example.com/balcony");
    assert_eq!(
        actions,
        vec![
            // To the user's own available resources, the sender included.
            Action::DeliverPresence {
                to: balcony.clone(),
                from: balcony.clone().into(),
                presence: Presence::Available(pres(2))
            },
            Action::FlushOffline {
                to: balcony.clone()
            },
            // To the contact's available resources, from the full JID.
            Action::DeliverPresence {
                to: full("romeo@example.com/orchard"),
                from: balcony.clone().into(),
                presence: Presence::Available(pres(2)),
            },
            // The probe, answered locally with the contact's last presence from its full JID.
            Action::DeliverPresence {
                to: balcony.clone(),
                from: jid("romeo@example.com/orchard"),
                presence: Presence::Available(pres(1)),
            },
        ]
    );
}

/// The server gets the presence of the user's local contacts for the user (the probe of
/// UCR-PRES-5), without routing a probe anywhere, and answers with the last broadcast presence
/// of each of the contact's available resources, from its full JID.
#[test]
fn ucr_pres_5_ucr_pres_13_ucr_pres_16_local_contacts_are_probed_without_routing() {
    let (mut e, _, actions) = juliet_logs_in_next_to_romeo();
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::RoutePresence { .. })),
        "{actions:?}"
    );
    assert_eq!(
        delivered_to(&actions, "juliet@example.com/balcony")
            .into_iter()
            .filter(|(from, _)| from.to_bare() == bare(R))
            .collect::<Vec<_>>(),
        vec![(
            jid("romeo@example.com/orchard"),
            Presence::Available(pres(1))
        )]
    );
    // After an update and a second resource of Romeo, a new session of Juliet's gets the latest
    // presence of each.
    e.presence_from_client(
        &full("romeo@example.com/orchard"),
        None,
        Presence::Available(pres(3)),
    )
    .unwrap();
    login(&mut e, "romeo@example.com/study", pres(4));
    let second = login(&mut e, "juliet@example.com/chamber", pres(5));
    let from_romeo: Vec<_> = delivered_to(&second, "juliet@example.com/chamber")
        .into_iter()
        .filter(|(from, _)| from.to_bare() == bare(R))
        .collect();
    assert_eq!(
        from_romeo,
        vec![
            (
                jid("romeo@example.com/orchard"),
                Presence::Available(pres(3))
            ),
            (jid("romeo@example.com/study"), Presence::Available(pres(4))),
        ]
    );
    assert!(
        !second
            .iter()
            .any(|a| matches!(a, Action::RoutePresence { .. }))
    );
}

/// Probes go bare to bare, when a presence session starts and only then (a second resource
/// learns the contacts' presence from what the server already has).
#[test]
fn ucr_pres_9_ucr_pres_10_ucr_pres_12_remote_contacts_are_probed_once_per_presence_session() {
    let mut e = engine("example.com", &[J]);
    let store = e.store_mut();
    for (contact, st) in [
        ("romeo@example.net", S::Both),
        ("nurse@example.net", S::From),
        ("benvolio@example.net", S::To),
    ] {
        store
            .save_contact(
                &bare(J),
                xmpp_im::store::Contact::in_roster(
                    bare(contact),
                    xmpp_im::subscription::ContactState::new(st),
                ),
                None,
            )
            .unwrap();
    }
    let actions = login(&mut e, "juliet@example.com/balcony", pres(1));
    let probes: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::RoutePresence {
                to,
                from,
                presence: Presence::Probe,
            } => Some((to.clone(), from.clone())),
            _ => None,
        })
        .collect();
    // Bare to bare, only to contacts the user is subscribed to (benvolio@ is ordered first).
    assert_eq!(
        probes,
        vec![
            (jid("benvolio@example.net"), jid(J)),
            (jid("romeo@example.net"), jid(J))
        ]
    );
    let broadcasts: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::RoutePresence {
                to,
                presence: Presence::Available(_),
                ..
            } => Some(to.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        broadcasts,
        vec![jid("nurse@example.net"), jid("romeo@example.net")]
    );

    // Romeo's server answers; a second resource learns it from the cache, without a new probe.
    let answer = e
        .presence_from_remote(
            &jid("romeo@example.net/orchard"),
            &jid(J),
            Presence::Available(pres(7)),
        )
        .unwrap();
    assert_eq!(
        delivered_to(&answer, "juliet@example.com/balcony"),
        vec![(
            jid("romeo@example.net/orchard"),
            Presence::Available(pres(7))
        )]
    );
    let second = login(&mut e, "juliet@example.com/chamber", pres(2));
    assert!(!second.iter().any(|a| matches!(
        a,
        Action::RoutePresence {
            presence: Presence::Probe,
            ..
        }
    )));
    let to_chamber = delivered_to(&second, "juliet@example.com/chamber");
    assert!(to_chamber.contains(&(
        jid("romeo@example.net/orchard"),
        Presence::Available(pres(7))
    )));
    assert!(to_chamber.contains(&(
        jid("juliet@example.com/balcony"),
        Presence::Available(pres(1))
    )));
    assert!(to_chamber.contains(&(
        jid("juliet@example.com/chamber"),
        Presence::Available(pres(2))
    )));
    // Explicit probe from a client: only to a contact with to/both (UCR-PRES-11).
    let chamber = full("juliet@example.com/chamber");
    let p = e
        .presence_from_client(&chamber, Some(&jid("nurse@example.net")), Presence::Probe)
        .unwrap();
    assert!(p.is_empty());
    let p = e
        .presence_from_client(&chamber, Some(&jid("romeo@example.net/x")), Presence::Probe)
        .unwrap();
    assert_eq!(
        p,
        vec![Action::RoutePresence {
            to: jid("romeo@example.net"),
            from: jid(J),
            presence: Presence::Probe
        }]
    );
}

/// The server never probes a contact the user is not subscribed to: not at login, not when the
/// client asks.
#[test]
fn ucr_pres_11_no_probe_to_a_contact_the_user_is_not_subscribed_to() {
    let mut e = engine("example.com", &[J]);
    let not_subscribed = [
        ("a@example.net", S::None),
        ("b@example.net", S::NonePendingOut),
        ("c@example.net", S::NonePendingIn),
        ("d@example.net", S::NonePendingOutIn),
        ("e@example.net", S::From),
        ("f@example.net", S::FromPendingOut),
    ];
    for (contact, st) in not_subscribed
        .iter()
        .copied()
        .chain([("g@example.net", S::To)])
    {
        e.store_mut()
            .save_contact(
                &bare(J),
                xmpp_im::store::Contact::in_roster(
                    bare(contact),
                    xmpp_im::subscription::ContactState::new(st),
                ),
                None,
            )
            .unwrap();
    }
    let probed = |actions: &[Action<Pres>]| -> Vec<xmpp_im::jid::Jid> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::RoutePresence {
                    to,
                    presence: Presence::Probe,
                    ..
                } => Some(to.clone()),
                _ => None,
            })
            .collect()
    };
    let actions = login(&mut e, "juliet@example.com/balcony", pres(1));
    // Only the contact with subscription `to` is probed.
    assert_eq!(probed(&actions), vec![jid("g@example.net")]);
    let balcony = full("juliet@example.com/balcony");
    for (contact, st) in not_subscribed {
        let a = e
            .presence_from_client(&balcony, Some(&jid(contact)), Presence::Probe)
            .unwrap();
        assert!(probed(&a).is_empty(), "{contact} ({st}): {a:?}");
    }
    let a = e
        .presence_from_client(
            &balcony,
            Some(&jid("stranger@example.net")),
            Presence::Probe,
        )
        .unwrap();
    assert!(probed(&a).is_empty(), "{a:?}");
}

/// Inbound probes: `unsubscribed` when not subscribed or no such account, `unavailable` when
/// offline, else the last broadcast presence of each available resource from its full JID.
#[test]
fn ucr_pres_14_ucr_pres_15_ucr_pres_16_probe_answers() {
    let mut e = engine("example.com", &[J]);
    e.store_mut()
        .save_contact(
            &bare(J),
            xmpp_im::store::Contact::in_roster(
                bare("romeo@example.net"),
                xmpp_im::subscription::ContactState::new(S::From),
            ),
            None,
        )
        .unwrap();
    let unsubscribed = |to: &str, from: &str| Action::RoutePresence {
        to: jid(to),
        from: jid(from),
        presence: Presence::Subscription(T::Unsubscribed, None),
    };
    // Not subscribed: `unsubscribed` from the bare JID.
    let a = e
        .presence_from_remote(&jid("mallory@evil.example"), &jid(J), Presence::Probe)
        .unwrap();
    assert_eq!(a, vec![unsubscribed("mallory@evil.example", J)]);
    // No such account.
    let a = e
        .presence_from_remote(
            &jid("romeo@example.net"),
            &jid("ghost@example.com"),
            Presence::Probe,
        )
        .unwrap();
    assert_eq!(
        a,
        vec![unsubscribed("romeo@example.net", "ghost@example.com")]
    );
    // Subscribed, offline: unavailable.
    let a = e
        .presence_from_remote(&jid("romeo@example.net"), &jid(J), Presence::Probe)
        .unwrap();
    assert_eq!(
        a,
        vec![Action::RoutePresence {
            to: jid("romeo@example.net"),
            from: jid(J),
            presence: Presence::Unavailable(None)
        }]
    );
    // Subscribed, online: the last broadcast presence of each available resource, from full JIDs.
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "juliet@example.com/chamber", pres(2));
    e.bind(full("juliet@example.com/garden")).unwrap();
    e.presence_from_client(
        &full("juliet@example.com/balcony"),
        None,
        Presence::Available(pres(11)),
    )
    .unwrap();
    let a = e
        .presence_from_remote(&jid("romeo@example.net"), &jid(J), Presence::Probe)
        .unwrap();
    assert_eq!(
        a,
        vec![
            Action::RoutePresence {
                to: jid("romeo@example.net"),
                from: jid("juliet@example.com/balcony"),
                presence: Presence::Available(pres(11))
            },
            Action::RoutePresence {
                to: jid("romeo@example.net"),
                from: jid("juliet@example.com/chamber"),
                presence: Presence::Available(pres(2))
            },
        ]
    );
}

/// Juliet with four remote contacts (romeo both, nurse from+pending-out, benvolio to+pending-in,
/// tybalt none), logged in at the balcony and the chamber.
fn juliet_with_four_remote_contacts() -> Engine {
    let mut e = engine("example.com", &[J]);
    for (contact, st) in [
        ("romeo@example.net", S::Both),
        ("nurse@example.net", S::FromPendingOut),
        ("benvolio@example.net", S::ToPendingIn),
        ("tybalt@example.net", S::None),
    ] {
        e.store_mut()
            .save_contact(
                &bare(J),
                xmpp_im::store::Contact::in_roster(
                    bare(contact),
                    xmpp_im::subscription::ContactState::new(st),
                ),
                None,
            )
            .unwrap();
    }
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "juliet@example.com/chamber", pres(2));
    e
}

/// An update (no `to`, no `type`) goes, whole, to the contacts subscribed to the user and to
/// every own available resource, the sender included; not to a contact whose last presence was
/// an error (errata E17).
#[test]
fn ucr_pres_17_ucr_pres_19_ucr_pres_21_updates_reach_exactly_the_subscribers_and_own_resources() {
    let mut e = juliet_with_four_remote_contacts();
    let balcony = full("juliet@example.com/balcony");
    let update = e
        .presence_from_client(&balcony, None, Presence::Available(pres(3)))
        .unwrap();
    let from_balcony: xmpp_im::jid::Jid = balcony.clone().into();
    assert_eq!(
        update,
        vec![
            Action::RoutePresence {
                to: jid("nurse@example.net"),
                from: from_balcony.clone(),
                presence: Presence::Available(pres(3))
            },
            Action::RoutePresence {
                to: jid("romeo@example.net"),
                from: from_balcony.clone(),
                presence: Presence::Available(pres(3))
            },
            Action::DeliverPresence {
                to: balcony.clone(),
                from: from_balcony.clone(),
                presence: Presence::Available(pres(3))
            },
            Action::DeliverPresence {
                to: full("juliet@example.com/chamber"),
                from: from_balcony.clone(),
                presence: Presence::Available(pres(3))
            },
        ]
    );
    // The nurse's last presence is an error: she is left out from now on (errata E17).
    e.presence_from_remote(&jid("nurse@example.net"), &jid(J), Presence::Error(pres(0)))
        .unwrap();
    let update = e
        .presence_from_client(&balcony, None, Presence::Available(pres(4)))
        .unwrap();
    assert!(
        !update.iter().any(
            |a| matches!(a, Action::RoutePresence { to, .. } if *to == jid("nurse@example.net"))
        )
    );
    assert!(
        update.iter().any(
            |a| matches!(a, Action::RoutePresence { to, .. } if *to == jid("romeo@example.net"))
        )
    );
}

/// A graceful unavailable: its full XML to the subscribers (not to one whose last presence was
/// an error) and to every own resource, the sender included.
#[test]
fn ucr_pres_28_ucr_pres_29_ucr_pres_30_graceful_unavailable_reaches_subscribers_and_own_resources()
{
    let mut e = juliet_with_four_remote_contacts();
    let balcony = full("juliet@example.com/balcony");
    let from_balcony: xmpp_im::jid::Jid = balcony.clone().into();
    e.presence_from_remote(&jid("nurse@example.net"), &jid(J), Presence::Error(pres(0)))
        .unwrap();
    let bye = e
        .presence_from_client(&balcony, None, Presence::Unavailable(Some(pres(5))))
        .unwrap();
    assert_eq!(
        bye,
        vec![
            Action::RoutePresence {
                to: jid("romeo@example.net"),
                from: from_balcony.clone(),
                presence: Presence::Unavailable(Some(pres(5)))
            },
            Action::DeliverPresence {
                to: balcony.clone(),
                from: from_balcony.clone(),
                presence: Presence::Unavailable(Some(pres(5)))
            },
            Action::DeliverPresence {
                to: full("juliet@example.com/chamber"),
                from: from_balcony.clone(),
                presence: Presence::Unavailable(Some(pres(5)))
            },
        ]
    );
    assert!(!e.is_available(&balcony));
    assert!(e.is_connected(&balcony));
}

/// A resource that vanishes without unavailable: the server sends it for the resource, to the
/// subscribers and to whoever got directed presence.
#[test]
fn ucr_pres_27_ucr_pres_28_ucr_pres_31_ungraceful_disconnect_tells_contacts_and_directed_recipients()
 {
    let mut e = two();
    relate(&mut e, J, R, S::From);
    login(&mut e, "romeo@example.com/orchard", pres(1));
    login(&mut e, "juliet@example.com/balcony", pres(2));
    let balcony = full("juliet@example.com/balcony");
    // Directed presence to a room occupant and to the contact (already a subscriber).
    let room = jid("chapel@rooms.example.org/juliet");
    let a = e
        .presence_from_client(&balcony, Some(&room), Presence::Available(pres(3)))
        .unwrap();
    assert_eq!(
        a,
        vec![Action::RoutePresence {
            to: room.clone(),
            from: balcony.clone().into(),
            presence: Presence::Available(pres(3))
        }]
    );
    e.presence_from_client(
        &balcony,
        Some(&jid("romeo@example.com/orchard")),
        Presence::Available(pres(4)),
    )
    .unwrap();
    assert_eq!(e.directed_recipients(&balcony).len(), 2);
    // A later broadcast does not go to the room (directed presence is not a subscription).
    let update = e
        .presence_from_client(&balcony, None, Presence::Available(pres(5)))
        .unwrap();
    assert!(
        !update
            .iter()
            .any(|a| matches!(a, Action::RoutePresence { to, .. } if *to == room))
    );

    let gone = e.disconnect(&balcony).unwrap();
    assert_eq!(
        gone,
        vec![
            Action::RoutePresence {
                to: room.clone(),
                from: balcony.clone().into(),
                presence: Presence::Unavailable(None)
            },
            Action::DeliverPresence {
                to: full("romeo@example.com/orchard"),
                from: balcony.clone().into(),
                presence: Presence::Unavailable(None)
            },
        ]
    );
    assert!(!e.is_connected(&balcony));
    assert!(e.disconnect(&balcony).is_err());
    // A resource that was never available disconnects silently.
    e.bind(full("juliet@example.com/phone")).unwrap();
    assert_eq!(
        e.disconnect(&full("juliet@example.com/phone")).unwrap(),
        vec![]
    );
}

#[test]
fn directed_unavailable_ends_the_bookkeeping_and_limits_hold() {
    let mut config = EngineConfig::new(["example.com"]);
    config.max_directed_per_resource = 1;
    let mut store = MemoryRosterStore::new();
    store.add_account(bare(J));
    let mut e: Engine = ServerEngine::new(config, store);
    let balcony = full("juliet@example.com/balcony");
    login(&mut e, "juliet@example.com/balcony", pres(1));
    let a = jid("a@elsewhere.example");
    let b = jid("b@elsewhere.example");
    e.presence_from_client(&balcony, Some(&a), Presence::Available(pres(2)))
        .unwrap();
    let refused = e
        .presence_from_client(&balcony, Some(&b), Presence::Available(pres(2)))
        .unwrap();
    assert_eq!(
        refused,
        vec![Action::PresenceError {
            to: balcony.clone(),
            from: b.clone(),
            condition: StanzaErrorCondition::ResourceConstraint
        }]
    );
    e.presence_from_client(&balcony, Some(&a), Presence::Unavailable(None))
        .unwrap();
    assert!(e.directed_recipients(&balcony).is_empty());
    let gone = e.disconnect(&balcony).unwrap();
    assert!(gone.is_empty());
}

/// Runs one subscription stanza from a local client; returns the actions.
fn sub(e: &mut Engine, from: &str, to: &str, kind: T) -> Vec<Action<Pres>> {
    e.presence_from_client(
        &full(from),
        Some(&jid(to)),
        Presence::Subscription(kind, Some(pres(90))),
    )
    .unwrap()
}

fn both_states(e: &Engine) -> (Option<S>, Option<S>) {
    (state(e, J, R), state(e, R, J))
}

/// A request delivered locally, approved, and the same the other way round: both end in both.
#[test]
fn ucr_sub_3_ucr_sub_7_ucr_sub_20_handshake_request_approve_then_reciprocate() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "romeo@example.com/orchard", pres(2));
    let a = sub(&mut e, "juliet@example.com/balcony", R, T::Subscribe);
    // The contact is local: the inbound rules are applied and the request delivered here.
    assert_eq!(
        both_states(&e),
        (Some(S::NonePendingOut), Some(S::NonePendingIn))
    );
    assert_eq!(
        delivered_to(&a, "romeo@example.com/orchard"),
        vec![(jid(J), Presence::Subscription(T::Subscribe, Some(pres(90))))]
    );
    assert!(!a.iter().any(|x| matches!(x, Action::RoutePresence { .. })));
    sub(&mut e, "romeo@example.com/orchard", J, T::Subscribed);
    assert_eq!(both_states(&e), (Some(S::To), Some(S::From)));
    // And the other way round.
    sub(&mut e, "romeo@example.com/orchard", J, T::Subscribe);
    assert_eq!(
        both_states(&e),
        (Some(S::ToPendingIn), Some(S::FromPendingOut))
    );
    sub(&mut e, "juliet@example.com/balcony", R, T::Subscribed);
    assert_eq!(both_states(&e), (Some(S::Both), Some(S::Both)));
}

/// On approval the user's side delivers `subscribed`, then pushes `subscription='to'`, then
/// forwards the contact's presence, in that order.
#[test]
fn ucr_sub_27_ucr_sub_28_ucr_sub_29_approval_delivers_subscribed_then_push_then_presence() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "romeo@example.com/orchard", pres(2));
    sub(&mut e, "juliet@example.com/balcony", R, T::Subscribe);
    let a = sub(&mut e, "romeo@example.com/orchard", J, T::Subscribed);
    let balcony = full("juliet@example.com/balcony");
    let pos =
        |pred: &dyn Fn(&Action<Pres>) -> bool| a.iter().position(pred).expect("action present");
    let delivered = pos(
        &|x| matches!(x, Action::DeliverPresence { to, presence: Presence::Subscription(T::Subscribed, _), .. } if *to == balcony),
    );
    let pushed = pos(
        &|x| matches!(x, Action::RosterPush { to, push: RosterPush { change: RosterChange::Update(i), .. } } if *to == balcony && i.subscription == RosterSubscription::To),
    );
    let presence = pos(
        &|x| matches!(x, Action::DeliverPresence { to, presence: Presence::Available(p), .. } if *to == balcony && p.id == 2),
    );
    assert!(delivered < pushed && pushed < presence, "{a:#?}");
}

/// Requests that cross end in a mutual subscription once both are approved (the flow of
/// presence after approval: see also UCR-SUB-1).
#[test]
fn handshake_crossing_requests_end_in_both() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "romeo@example.com/orchard", pres(2));
    sub(&mut e, "juliet@example.com/balcony", R, T::Subscribe);
    sub(&mut e, "romeo@example.com/orchard", J, T::Subscribe);
    assert_eq!(
        both_states(&e),
        (Some(S::NonePendingOutIn), Some(S::NonePendingOutIn))
    );
    sub(&mut e, "juliet@example.com/balcony", R, T::Subscribed);
    assert_eq!(
        both_states(&e),
        (Some(S::FromPendingOut), Some(S::ToPendingIn))
    );
    sub(&mut e, "romeo@example.com/orchard", J, T::Subscribed);
    assert_eq!(both_states(&e), (Some(S::Both), Some(S::Both)));
}

/// UCR-SUB-14 (pre-approval, RFC 6121 §3.4)
#[test]
fn ucr_sub_14_pre_approval_then_request() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "romeo@example.com/orchard", pres(2));
    let a = sub(&mut e, "romeo@example.com/orchard", J, T::Subscribed);
    // Nothing is routed; Romeo's roster now has Juliet, pre-approved.
    assert!(!a.iter().any(|x| matches!(
        x,
        Action::DeliverPresence { .. } | Action::RoutePresence { .. }
    )));
    let item = e.store().contact(&bare(R), &bare(J)).unwrap().unwrap();
    assert!(item.state.approved);
    let a = sub(&mut e, "juliet@example.com/balcony", R, T::Subscribe);
    assert_eq!(both_states(&e), (Some(S::To), Some(S::From)));
    assert!(
        !e.store()
            .contact(&bare(R), &bare(J))
            .unwrap()
            .unwrap()
            .state
            .approved
    );
    // Romeo's resources never saw a request; Juliet got Romeo's presence.
    assert!(
        delivered_to(&a, "romeo@example.com/orchard")
            .iter()
            .all(|(_, p)| !matches!(p, Presence::Subscription(T::Subscribe, _)))
    );
    assert!(delivered_to(&a, "juliet@example.com/balcony").contains(&(
        jid("romeo@example.com/orchard"),
        Presence::Available(pres(2))
    )));
}

/// UCR-SUB-18
/// UCR-SUB-19
#[test]
fn ucr_sub_18_request_to_an_offline_contact_is_kept_and_redelivered_until_answered() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    let a = sub(&mut e, "juliet@example.com/balcony", R, T::Subscribe);
    assert!(
        !a.iter()
            .any(|x| matches!(x, Action::DeliverPresence { to, .. } if to.to_bare() == bare(R)))
    );
    assert_eq!(
        e.store().pending_request(&bare(R), &bare(J)).unwrap(),
        Some(pres(90))
    );
    // The request is hidden from Romeo's roster, but every new available resource gets it whole.
    e.bind(full("romeo@example.com/orchard")).unwrap();
    let got = e
        .roster_get(
            &full("romeo@example.com/orchard"),
            None,
            &RosterQuery::default(),
        )
        .unwrap();
    let RosterResult::Full { items, .. } = got else {
        panic!("expected a full roster")
    };
    assert!(items.is_empty());
    let request = (jid(J), Presence::Subscription(T::Subscribe, Some(pres(90))));
    let first = e
        .presence_from_client(
            &full("romeo@example.com/orchard"),
            None,
            Presence::Available(pres(2)),
        )
        .unwrap();
    assert!(delivered_to(&first, "romeo@example.com/orchard").contains(&request));
    let second = login(&mut e, "romeo@example.com/study", pres(3));
    assert!(delivered_to(&second, "romeo@example.com/study").contains(&request));
    // A presence update is not a new available resource: no redelivery.
    let update = e
        .presence_from_client(
            &full("romeo@example.com/study"),
            None,
            Presence::Available(pres(4)),
        )
        .unwrap();
    assert!(!delivered_to(&update, "romeo@example.com/study").contains(&request));
    // Answered: never delivered again.
    sub(&mut e, "romeo@example.com/study", J, T::Subscribed);
    assert_eq!(e.store().pending_request(&bare(R), &bare(J)).unwrap(), None);
    let third = login(&mut e, "romeo@example.com/garden", pres(5));
    assert!(!delivered_to(&third, "romeo@example.com/garden").contains(&request));
    assert_eq!(both_states(&e), (Some(S::To), Some(S::From)));
}

/// UCR-SUB-21
#[test]
fn ucr_sub_21_denial_clears_both_sides() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "romeo@example.com/orchard", pres(2));
    sub(&mut e, "juliet@example.com/balcony", R, T::Subscribe);
    sub(&mut e, "romeo@example.com/orchard", J, T::Unsubscribed);
    // Juliet keeps the item (with subscription none); Romeo never had one.
    assert_eq!(both_states(&e), (Some(S::None), None));
    assert_eq!(e.store().pending_request(&bare(R), &bare(J)).unwrap(), None);
}

/// The user's client sends `unsubscribe` to stop getting a local contact's presence: the
/// contact's side applies the inbound rules and the user gets `unavailable` from the contact's
/// resources.
#[test]
fn ucr_sub_42_ucr_sub_43_ucr_sub_49_unsubscribe_from_a_mutual_subscription() {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "romeo@example.com/orchard", pres(2));
    let a = sub(&mut e, "juliet@example.com/balcony", R, T::Unsubscribe);
    assert_eq!(both_states(&e), (Some(S::From), Some(S::To)));
    // Romeo's server tells Juliet his resources are unavailable to her now.
    assert!(delivered_to(&a, "juliet@example.com/balcony").contains(&(
        jid("romeo@example.com/orchard"),
        Presence::Unavailable(None)
    )));
    // Romeo's updates no longer reach Juliet; hers still reach him.
    let u = e
        .presence_from_client(
            &full("romeo@example.com/orchard"),
            None,
            Presence::Available(pres(3)),
        )
        .unwrap();
    assert!(delivered_to(&u, "juliet@example.com/balcony").is_empty());
    let u = e
        .presence_from_client(
            &full("juliet@example.com/balcony"),
            None,
            Presence::Available(pres(4)),
        )
        .unwrap();
    assert_eq!(
        delivered_to(&u, "romeo@example.com/orchard"),
        vec![(
            jid("juliet@example.com/balcony"),
            Presence::Available(pres(4))
        )]
    );
}

/// An update reaches every available resource of a local contact.
#[test]
fn ucr_pres_22_an_update_reaches_every_available_resource_of_the_contact() {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    login(&mut e, "romeo@example.com/orchard", pres(1));
    login(&mut e, "romeo@example.com/study", pres(2));
    e.bind(full("romeo@example.com/connected")).unwrap();
    login(&mut e, "juliet@example.com/balcony", pres(3));
    let u = e
        .presence_from_client(
            &full("juliet@example.com/balcony"),
            None,
            Presence::Available(pres(4)),
        )
        .unwrap();
    let update = (
        jid("juliet@example.com/balcony"),
        Presence::Available(pres(4)),
    );
    for resource in ["romeo@example.com/orchard", "romeo@example.com/study"] {
        assert_eq!(
            delivered_to(&u, resource),
            vec![update.clone()],
            "{resource}"
        );
    }
    // A connected resource without a presence session gets nothing.
    assert!(delivered_to(&u, "romeo@example.com/connected").is_empty());
}

/// UCR-SUB-16
/// UCR-SUB-10
#[test]
fn ucr_sub_16_request_to_a_missing_local_account_is_refused() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    let a = sub(
        &mut e,
        "juliet@example.com/balcony",
        "ghost@example.com",
        T::Subscribe,
    );
    let balcony = full("juliet@example.com/balcony");
    // The pending push first, then the automatic `unsubscribed` and the push that clears it.
    let pushes: Vec<_> = a
        .iter()
        .filter_map(|x| match x {
            Action::RosterPush {
                push:
                    RosterPush {
                        change: RosterChange::Update(i),
                        ..
                    },
                ..
            } => Some(i.ask),
            _ => None,
        })
        .collect();
    assert_eq!(pushes, vec![true, false]);
    assert!(delivered_to(&a, "juliet@example.com/balcony").contains(&(
        jid("ghost@example.com"),
        Presence::Subscription(T::Unsubscribed, None)
    )));
    assert_eq!(state(&e, J, "ghost@example.com"), Some(S::None));
    // Subscribing to oneself is refused.
    let a = sub(&mut e, "juliet@example.com/balcony", J, T::Subscribe);
    assert_eq!(
        a,
        vec![Action::PresenceError {
            to: balcony,
            from: jid(J),
            condition: StanzaErrorCondition::NotAllowed
        }]
    );
}

fn roster_views(actions: &[Action<Pres>], trackers: &mut [(&str, &mut RosterTracker)]) {
    for a in actions {
        if let Action::RosterPush { to, push } = a {
            for (res, t) in trackers.iter_mut() {
                if *to == full(res) {
                    t.apply_push(None, &push.to_query()).unwrap();
                }
            }
        }
    }
}

/// JITC D1 regression: deleting a mutual contact pushes `remove` to every interested resource,
/// sends both cancellations, and from then on no presence of the user reaches the contact.
#[test]
fn ucr_roster_36_ucr_roster_39_ucr_sub_1_d1_removed_contact_stops_receiving_presence_at_once() {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    let mut romeo_view: PresenceTracker<Pres> = PresenceTracker::new(bare(R));
    let mut romeo_roster = RosterTracker::new(bare(R));
    let mut juliet_roster = RosterTracker::new(bare(J));
    let feed = |actions: &[Action<Pres>], view: &mut PresenceTracker<Pres>| {
        for (from, p) in delivered_to(actions, "romeo@example.com/orchard") {
            // Only available/unavailable count: `unsubscribed` must not be what hides Juliet.
            if matches!(p, Presence::Available(_) | Presence::Unavailable(_)) {
                view.apply(None, &from, &p);
            }
        }
    };
    let a = login(&mut e, "romeo@example.com/orchard", pres(1));
    feed(&a, &mut romeo_view);
    let a = login(&mut e, "juliet@example.com/balcony", pres(2));
    feed(&a, &mut romeo_view);
    let a = login(&mut e, "juliet@example.com/chamber", pres(3));
    feed(&a, &mut romeo_view);
    assert_eq!(romeo_view.resources(&bare(J)).count(), 2);

    let a = e
        .roster_set(
            &full("juliet@example.com/balcony"),
            None,
            &RosterQuery::remove(bare(R)),
        )
        .unwrap();
    feed(&a, &mut romeo_view);
    roster_views(
        &a,
        &mut [
            ("romeo@example.com/orchard", &mut romeo_roster),
            ("juliet@example.com/balcony", &mut juliet_roster),
        ],
    );
    // Romeo saw both of Juliet's resources go unavailable in this very batch.
    assert!(!romeo_view.is_available(&bare(J)), "{a:#?}");
    // Both cancellations reached Romeo, and his roster now shows subscription none.
    let to_romeo = delivered_to(&a, "romeo@example.com/orchard");
    assert!(to_romeo.contains(&(jid(J), Presence::Subscription(T::Unsubscribe, None))));
    assert!(to_romeo.contains(&(jid(J), Presence::Subscription(T::Unsubscribed, None))));
    assert_eq!(
        romeo_roster.get(&bare(J)).map(|i| i.subscription),
        Some(RosterSubscription::None)
    );
    assert_eq!(state(&e, R, J), Some(S::None));
    assert_eq!(state(&e, J, R), None);
    // Juliet's side: the push says remove, to every interested resource.
    assert!(a.contains(&Action::RosterPush {
        to: full("juliet@example.com/chamber"),
        push: RosterPush {
            ver: Some(RosterVersion::new(1)),
            change: RosterChange::Remove(bare(R))
        },
    }));
    // From now on, no presence of Juliet reaches Romeo, whatever she does.
    for p in [
        Presence::Available(pres(4)),
        Presence::Available(pres(5)),
        Presence::Unavailable(None),
    ] {
        let a = e
            .presence_from_client(&full("juliet@example.com/balcony"), None, p)
            .unwrap();
        assert!(delivered_to(&a, "romeo@example.com/orchard").is_empty());
    }
    let a = e
        .presence_from_remote(&jid("romeo@example.com"), &jid(J), Presence::Probe)
        .unwrap();
    assert!(!a.iter().any(|x| matches!(
        x,
        Action::DeliverPresence {
            presence: Presence::Available(_),
            ..
        }
    )));
    let a = e.disconnect(&full("juliet@example.com/chamber")).unwrap();
    assert!(delivered_to(&a, "romeo@example.com/orchard").is_empty());
}

/// Inbound unavailable reaches every available resource of the contact.
#[test]
fn ucr_pres_32_inbound_unavailable_reaches_every_available_resource_of_the_contact() {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    login(&mut e, "romeo@example.com/orchard", pres(1));
    login(&mut e, "romeo@example.com/study", pres(2));
    login(&mut e, "juliet@example.com/balcony", pres(3));
    let bye = (
        jid("juliet@example.com/balcony"),
        Presence::Unavailable(None),
    );
    let graceful = e
        .presence_from_client(
            &full("juliet@example.com/balcony"),
            None,
            Presence::Unavailable(None),
        )
        .unwrap();
    for resource in ["romeo@example.com/orchard", "romeo@example.com/study"] {
        assert_eq!(
            delivered_to(&graceful, resource),
            vec![bye.clone()],
            "{resource}"
        );
    }
    // From a remote server too.
    let mut e = engine("example.com", &[R]);
    e.store_mut()
        .save_contact(
            &bare(R),
            xmpp_im::store::Contact::in_roster(
                bare("juliet@example.net"),
                xmpp_im::subscription::ContactState::new(S::Both),
            ),
            None,
        )
        .unwrap();
    login(&mut e, "romeo@example.com/orchard", pres(1));
    login(&mut e, "romeo@example.com/study", pres(2));
    e.presence_from_remote(
        &jid("juliet@example.net/balcony"),
        &jid(R),
        Presence::Available(pres(3)),
    )
    .unwrap();
    let a = e
        .presence_from_remote(
            &jid("juliet@example.net/balcony"),
            &jid(R),
            Presence::Unavailable(None),
        )
        .unwrap();
    let remote_bye = (
        jid("juliet@example.net/balcony"),
        Presence::Unavailable(None),
    );
    for resource in ["romeo@example.com/orchard", "romeo@example.com/study"] {
        assert_eq!(
            delivered_to(&a, resource),
            vec![remote_bye.clone()],
            "{resource}"
        );
    }
}

/// Deleting a remote contact: `unsubscribe` when the user was subscribed to it, `unsubscribed`
/// when it was subscribed to the user; the exact stanzas.
#[test]
fn ucr_roster_37_ucr_roster_38_remove_remote_contact_routes_both_cancellations() {
    for (st, unsubscribe, unsubscribed) in [
        (S::Both, true, true),
        (S::To, true, false),
        (S::From, false, true),
        (S::NonePendingOut, true, false),
        (S::None, false, false),
    ] {
        let mut e = engine("example.com", &[J]);
        e.store_mut()
            .save_contact(
                &bare(J),
                xmpp_im::store::Contact::in_roster(
                    bare("romeo@example.net"),
                    xmpp_im::subscription::ContactState::new(st),
                ),
                None,
            )
            .unwrap();
        login(&mut e, "juliet@example.com/balcony", pres(1));
        let balcony = full("juliet@example.com/balcony");
        let a = e
            .roster_set(
                &balcony,
                None,
                &RosterQuery::remove(bare("romeo@example.net")),
            )
            .unwrap();
        let mut expected = vec![Action::RosterPush {
            to: balcony.clone(),
            push: RosterPush {
                ver: Some(RosterVersion::new(1)),
                change: RosterChange::Remove(bare("romeo@example.net")),
            },
        }];
        let route = |presence| Action::RoutePresence {
            to: jid("romeo@example.net"),
            from: jid(J),
            presence,
        };
        if unsubscribe {
            expected.push(route(Presence::Subscription(T::Unsubscribe, None)));
        }
        if unsubscribed {
            expected.push(route(Presence::Subscription(T::Unsubscribed, None)));
            expected.push(Action::RoutePresence {
                to: jid("romeo@example.net"),
                from: balcony.clone().into(),
                presence: Presence::Unavailable(None),
            });
        }
        assert_eq!(a, expected, "{st}");
    }
}

/// UCR-ROSTER-40
#[test]
fn ucr_roster_40_removing_an_unknown_item_is_item_not_found() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    let err = e
        .roster_set(
            &full("juliet@example.com/balcony"),
            None,
            &RosterQuery::remove(bare("nobody@example.net")),
        )
        .unwrap_err();
    assert_eq!(err.condition(), StanzaErrorCondition::ItemNotFound);
}

/// Juliet bound at three resources, two of which asked for the roster; the nurse added from
/// the balcony with a name and two groups. Returns the engine and the actions of the set.
fn nurse_added_with_two_interested_resources() -> (Engine, Vec<Action<Pres>>) {
    let mut e = two();
    for r in ["balcony", "chamber", "phone"] {
        e.bind(full(&format!("juliet@example.com/{r}"))).unwrap();
    }
    for r in ["balcony", "chamber"] {
        e.roster_get(
            &full(&format!("juliet@example.com/{r}")),
            None,
            &RosterQuery::default(),
        )
        .unwrap();
    }
    let a = e
        .roster_set(
            &full("juliet@example.com/balcony"),
            None,
            &RosterQuery::set(
                bare("nurse@example.com"),
                Some("Nurse".into()),
                vec!["Servants".into(), "Friends".into()],
            ),
        )
        .unwrap();
    (e, a)
}

fn push(v: u64, item: RosterContact) -> RosterPush {
    RosterPush {
        ver: Some(RosterVersion::new(v)),
        change: RosterChange::Update(item),
    }
}

/// The server processes a roster set and pushes the new item to every interested resource, the
/// one that asked included.
#[test]
fn ucr_roster_18_ucr_roster_19_ucr_roster_31_a_set_is_pushed_to_every_interested_resource() {
    let (_, a) = nurse_added_with_two_interested_resources();
    let item = RosterContact {
        name: Some("Nurse".into()),
        groups: vec!["Servants".into(), "Friends".into()],
        ..RosterContact::new(bare("nurse@example.com"))
    };
    assert_eq!(
        a,
        vec![
            Action::RosterPush {
                to: full("juliet@example.com/balcony"),
                push: push(1, item.clone())
            },
            Action::RosterPush {
                to: full("juliet@example.com/chamber"),
                push: push(1, item.clone())
            },
        ]
    );
}

/// Only a resource that asked for the roster is interested and gets pushes; once it asks, it
/// does.
#[test]
fn ucr_roster_26_only_resources_that_asked_for_the_roster_get_pushes() {
    let (mut e, a) = nurse_added_with_two_interested_resources();
    let phone = full("juliet@example.com/phone");
    assert!(!e.is_interested(&phone));
    assert!(
        !a.iter()
            .any(|x| matches!(x, Action::RosterPush { to, .. } if *to == phone))
    );
    e.roster_get(&phone, None, &RosterQuery::default()).unwrap();
    assert!(e.is_interested(&phone));
    let a = e
        .roster_set(
            &full("juliet@example.com/balcony"),
            None,
            &RosterQuery::set(bare("tybalt@example.com"), None, vec![]),
        )
        .unwrap();
    assert_eq!(
        a.iter()
            .filter(|x| matches!(x, Action::RosterPush { .. }))
            .count(),
        3
    );
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::RosterPush { to, .. } if *to == phone))
    );
}

/// An update stores exactly what was sent (the groups left out are gone), is persisted, and is
/// pushed to every interested resource.
#[test]
fn ucr_roster_33_ucr_roster_34_an_update_replaces_the_item_and_is_pushed() {
    let (mut e, _) = nurse_added_with_two_interested_resources();
    let nurse = bare("nurse@example.com");
    let a = e
        .roster_set(
            &full("juliet@example.com/chamber"),
            None,
            &RosterQuery::set(nurse.clone(), None, vec!["Servants".into()]),
        )
        .unwrap();
    let item2 = RosterContact {
        groups: vec!["Servants".into()],
        ..RosterContact::new(nurse.clone())
    };
    assert_eq!(
        a,
        vec![
            Action::RosterPush {
                to: full("juliet@example.com/balcony"),
                push: push(2, item2.clone())
            },
            Action::RosterPush {
                to: full("juliet@example.com/chamber"),
                push: push(2, item2.clone())
            },
        ]
    );
    // Persisted: a fresh roster get returns exactly the updated item.
    let RosterResult::Full { items, .. } = e
        .roster_get(
            &full("juliet@example.com/phone"),
            None,
            &RosterQuery::default(),
        )
        .unwrap()
    else {
        panic!("expected a full roster")
    };
    assert_eq!(items, vec![item2]);
}

/// Roster gets and sets the server cannot process get stanza errors: another user's roster,
/// a full roster, an unknown session.
#[test]
fn ucr_roster_28_ucr_roster_32_bad_roster_requests_get_stanza_errors() {
    let mut config = EngineConfig::new(["example.com"]);
    config.roster_limits.max_items = 1;
    let mut store = MemoryRosterStore::new();
    store.add_account(bare(J));
    let mut e: Engine = ServerEngine::new(config, store);
    let balcony = full("juliet@example.com/balcony");
    e.bind(balcony.clone()).unwrap();
    let other = jid(R);
    let err = e
        .roster_get(&balcony, Some(&other), &RosterQuery::default())
        .unwrap_err();
    assert_eq!(err.condition(), StanzaErrorCondition::Forbidden);
    let err = e
        .roster_set(
            &balcony,
            Some(&other),
            &RosterQuery::remove(bare("a@b.example")),
        )
        .unwrap_err();
    assert_eq!(err.condition(), StanzaErrorCondition::Forbidden);
    let own = jid(J);
    e.roster_set(
        &balcony,
        Some(&own),
        &RosterQuery::set(bare("a@b.example"), None, vec![]),
    )
    .unwrap();
    let err = e
        .roster_set(
            &balcony,
            None,
            &RosterQuery::set(bare("c@d.example"), None, vec![]),
        )
        .unwrap_err();
    assert_eq!(err, RosterError::RosterFull { max: 1 });
    assert_eq!(err.condition(), StanzaErrorCondition::NotAllowed);
    // Updating an existing item is still allowed at the limit.
    e.roster_set(
        &balcony,
        None,
        &RosterQuery::set(bare("a@b.example"), Some("A".into()), vec![]),
    )
    .unwrap();
    let stranger = full("juliet@example.com/unbound");
    assert!(matches!(
        e.roster_get(&stranger, None, &RosterQuery::default()),
        Err(RosterError::UnknownSession(_))
    ));
}

/// UCR-ROSTER-2 (RFC 6121 §2.6)
#[test]
fn ucr_roster_2_versioned_gets_send_only_what_changed() {
    let mut e = two();
    let balcony = full("juliet@example.com/balcony");
    e.bind(balcony.clone()).unwrap();
    e.roster_get(&balcony, None, &RosterQuery::default())
        .unwrap();
    e.roster_set(
        &balcony,
        None,
        &RosterQuery::set(bare("nurse@example.com"), None, vec![]),
    )
    .unwrap();
    e.roster_set(
        &balcony,
        None,
        &RosterQuery::set(bare("tybalt@example.com"), None, vec![]),
    )
    .unwrap();
    e.roster_set(
        &balcony,
        None,
        &RosterQuery::remove(bare("nurse@example.com")),
    )
    .unwrap();
    let get = |e: &mut Engine, ver: Option<&str>| {
        e.roster_get(&balcony, None, &RosterQuery::get(ver.map(str::to_owned)))
            .unwrap()
    };
    assert_eq!(
        get(&mut e, Some("1")),
        RosterResult::Incremental {
            ver: RosterVersion::new(3),
            pushes: vec![
                RosterPush {
                    ver: Some(RosterVersion::new(2)),
                    change: RosterChange::Update(RosterContact::new(bare("tybalt@example.com")))
                },
                RosterPush {
                    ver: Some(RosterVersion::new(3)),
                    change: RosterChange::Remove(bare("nurse@example.com"))
                },
            ],
        }
    );
    assert_eq!(
        get(&mut e, Some("3")),
        RosterResult::Incremental {
            ver: RosterVersion::new(3),
            pushes: vec![]
        }
    );
    let full_roster = RosterResult::Full {
        ver: Some(RosterVersion::new(3)),
        items: vec![RosterContact::new(bare("tybalt@example.com"))],
    };
    for foreign in [None, Some(""), Some("ver13"), Some("4")] {
        assert_eq!(get(&mut e, foreign), full_roster, "{foreign:?}");
    }
    // A client tracker brought up to date by the incremental answer agrees with the full roster.
    let mut tracker = RosterTracker::new(bare(J));
    tracker.apply_result(&RosterQuery {
        ver: Some("1".into()),
        items: vec![RosterContact::new(bare("nurse@example.com")).to_raw()],
    });
    if let RosterResult::Incremental { pushes, .. } = get(&mut e, tracker.request_ver()) {
        for p in pushes {
            tracker.apply_push(None, &p.to_query()).unwrap();
        }
    }
    assert_eq!(
        tracker.items().cloned().collect::<Vec<_>>(),
        vec![RosterContact::new(bare("tybalt@example.com"))]
    );
    assert_eq!(tracker.request_ver(), Some("3"));
}

/// Negative priority (RFC 6121 §8.5.2.1.1): available (gets presence and requests) but never a
/// bare-JID message; its full JID still gets messages whatever its priority.
#[test]
fn ucr_route_13_negative_priority_resource_gets_no_bare_jid_messages() {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    login(&mut e, "romeo@example.com/orchard", pres(1));
    let phone = full("juliet@example.com/phone");
    let a = login(&mut e, "juliet@example.com/phone", prio(2, -1));
    assert!(!a.contains(&Action::FlushOffline { to: phone.clone() }));
    assert!(delivered_to(&a, "juliet@example.com/phone").contains(&(
        jid("romeo@example.com/orchard"),
        Presence::Available(pres(1))
    )));
    assert_eq!(
        e.route_message(&jid(J), MessageType::Chat),
        MessageDelivery::StoreOffline(bare(J))
    );
    // It still gets subscription requests and its full JID still gets messages.
    let a = e
        .presence_from_remote(
            &jid("nurse@example.net"),
            &jid(J),
            Presence::Subscription(T::Subscribe, Some(pres(8))),
        )
        .unwrap();
    assert_eq!(
        delivered_to(&a, "juliet@example.com/phone"),
        vec![(
            jid("nurse@example.net"),
            Presence::Subscription(T::Subscribe, Some(pres(8)))
        )]
    );
    assert_eq!(
        e.route_message(&jid("juliet@example.com/phone"), MessageType::Chat),
        MessageDelivery::Deliver(vec![phone.clone()])
    );
    // A second resource with priority 0 takes bare-JID messages.
    login(&mut e, "juliet@example.com/laptop", prio(3, 0));
    assert_eq!(
        e.route_message(&jid(J), MessageType::Normal),
        MessageDelivery::Deliver(vec![full("juliet@example.com/laptop")])
    );
    // Raising the phone's priority makes it eligible: offline messages may be flushed to it.
    let a = e
        .presence_from_client(&phone, None, Presence::Available(prio(4, 9)))
        .unwrap();
    assert!(a.contains(&Action::FlushOffline { to: phone.clone() }));
    assert_eq!(
        e.route_message(&jid(J), MessageType::Chat),
        MessageDelivery::Deliver(vec![phone.clone()])
    );
}

/// A bare-JID message with two resources of equal priority (by the tie policy), a full JID with
/// no such resource handled as the bare JID, no resource (bounce by policy), a remote domain
/// (routed there).
#[test]
fn ucr_route_1_ucr_route_9_ucr_route_12_bare_message_with_two_equal_priority_resources() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", prio(1, 5));
    login(&mut e, "juliet@example.com/chamber", prio(2, 5));
    let both = vec![
        full("juliet@example.com/balcony"),
        full("juliet@example.com/chamber"),
    ];
    assert_eq!(
        e.route_message(&jid(J), MessageType::Chat),
        MessageDelivery::Deliver(both.clone())
    );
    assert_eq!(
        e.route_message(&jid("juliet@example.com/gone"), MessageType::Normal),
        MessageDelivery::Deliver(both)
    );

    let mut config = EngineConfig::new(["example.com"]);
    config.delivery.ties = TiePolicy::MostRecent;
    config.delivery.offline = OfflinePolicy::Bounce;
    let mut store = MemoryRosterStore::new();
    store.add_account(bare(J));
    let mut e: Engine = ServerEngine::new(config, store);
    assert_eq!(
        e.route_message(&jid(J), MessageType::Chat),
        MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable)
    );
    login(&mut e, "juliet@example.com/chamber", prio(2, 5));
    login(&mut e, "juliet@example.com/balcony", prio(1, 5));
    assert_eq!(
        e.route_message(&jid(J), MessageType::Chat),
        MessageDelivery::Deliver(vec![full("juliet@example.com/balcony")])
    );
    assert_eq!(
        e.route_message(&jid("romeo@example.net"), MessageType::Chat),
        MessageDelivery::Route(jid("romeo@example.net"))
    );
    assert_eq!(
        e.route_message(&jid("nobody@example.com"), MessageType::Chat),
        MessageDelivery::Bounce(StanzaErrorCondition::ServiceUnavailable)
    );
}

#[test]
fn binding_rules() {
    let mut e = two();
    e.bind(full("juliet@example.com/a")).unwrap();
    assert!(matches!(
        e.bind(full("juliet@example.com/a")),
        Err(xmpp_im::error::EngineError::AlreadyBound(_))
    ));
    assert!(matches!(
        e.bind(full("ghost@example.com/a")),
        Err(xmpp_im::error::EngineError::NotLocalAccount(_))
    ));
    assert!(matches!(
        e.bind(full("juliet@example.net/a")),
        Err(xmpp_im::error::EngineError::NotLocalAccount(_))
    ));
    assert!(
        e.presence_from_client(&full("juliet@example.com/b"), None, Presence::Probe)
            .is_err()
    );
    assert!(
        e.presence_from_remote(&jid(R), &jid("x@example.net"), Presence::Probe)
            .is_err()
    );
}

/// UCR-SUB-18 with a bound: requests from strangers cannot fill the store.
#[test]
fn ucr_sub_18_pending_requests_from_strangers_are_bounded() {
    let mut config = EngineConfig::new(["example.com"]);
    config.roster_limits.max_pending_requests = 2;
    let mut store = MemoryRosterStore::new();
    store.add_account(bare(J));
    let mut e: Engine = ServerEngine::new(config, store);
    login(&mut e, "juliet@example.com/balcony", pres(1));
    for (n, stranger) in ["a@x.example", "b@x.example", "c@x.example"]
        .iter()
        .enumerate()
    {
        let a = e
            .presence_from_remote(
                &jid(stranger),
                &jid(J),
                Presence::Subscription(T::Subscribe, Some(pres(n as u32))),
            )
            .unwrap();
        let request = (
            jid(stranger),
            Presence::Subscription(T::Subscribe, Some(pres(n as u32))),
        );
        if n < 2 {
            assert_eq!(
                delivered_to(&a, "juliet@example.com/balcony"),
                vec![request]
            );
        } else {
            assert_eq!(
                a,
                vec![Action::RoutePresence {
                    to: jid(stranger),
                    from: jid(J),
                    presence: Presence::Subscription(T::Unsubscribed, None)
                }]
            );
        }
    }
    assert_eq!(e.store().pending_requests(&bare(J)).unwrap().len(), 2);
    // A repeated request from a known stranger is not refused (it is simply not delivered again).
    let a = e
        .presence_from_remote(
            &jid("a@x.example"),
            &jid(J),
            Presence::Subscription(T::Subscribe, None),
        )
        .unwrap();
    assert!(a.is_empty());
    // Denying one makes room.
    e.presence_from_client(
        &full("juliet@example.com/balcony"),
        Some(&jid("a@x.example")),
        Presence::Subscription(T::Unsubscribed, None),
    )
    .unwrap();
    let a = e
        .presence_from_remote(
            &jid("c@x.example"),
            &jid(J),
            Presence::Subscription(T::Subscribe, None),
        )
        .unwrap();
    assert_eq!(delivered_to(&a, "juliet@example.com/balcony").len(), 1);
}

/// UCR-SUB-14: account-wide auto-approval is off by default; when on, it approves without storing
/// a pre-approval.
#[test]
fn ucr_sub_14_auto_approval_is_opt_in() {
    let mut config = EngineConfig::new(["example.com"]);
    assert!(!config.auto_approve);
    config.auto_approve = true;
    let mut store = MemoryRosterStore::new();
    store.add_account(bare(J));
    let mut e: Engine = ServerEngine::new(config, store);
    login(&mut e, "juliet@example.com/balcony", pres(1));
    let a = e
        .presence_from_remote(
            &jid("romeo@example.net"),
            &jid(J),
            Presence::Subscription(T::Subscribe, Some(pres(2))),
        )
        .unwrap();
    let contact = e
        .store()
        .contact(&bare(J), &bare("romeo@example.net"))
        .unwrap()
        .unwrap();
    assert_eq!(contact.state.state, S::From);
    assert!(!contact.state.approved);
    assert!(contact.item.is_some());
    assert!(delivered_to(&a, "juliet@example.com/balcony").is_empty());
    assert!(a.contains(&Action::RoutePresence {
        to: jid("romeo@example.net"),
        from: jid(J),
        presence: Presence::Subscription(T::Subscribed, None)
    }));
    assert!(a.contains(&Action::RoutePresence {
        to: jid("romeo@example.net"),
        from: jid("juliet@example.com/balcony"),
        presence: Presence::Available(pres(1))
    }));
    // A request that meets an existing pending state is not turned into a pre-approval either.
    e.store_mut()
        .save_contact(
            &bare(J),
            xmpp_im::store::Contact::in_roster(
                bare("nurse@example.net"),
                xmpp_im::subscription::ContactState::new(S::NonePendingIn),
            ),
            None,
        )
        .unwrap();
    e.presence_from_remote(
        &jid("nurse@example.net"),
        &jid(J),
        Presence::Subscription(T::Subscribe, None),
    )
    .unwrap();
    let nurse = e
        .store()
        .contact(&bare(J), &bare("nurse@example.net"))
        .unwrap()
        .unwrap();
    assert_eq!(nurse.state.state, S::NonePendingIn);
    assert!(!nurse.state.approved);
}

/// Cancellation between local accounts: the inbound rules on the other side, `unsubscribed`
/// delivered before the push (`from`), then the canceller's resources unavailable to him (see
/// also UCR-SUB-37).
#[test]
fn ucr_sub_33_ucr_sub_39_ucr_sub_40_cancellation_between_local_accounts() {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    login(&mut e, "romeo@example.com/orchard", pres(1));
    login(&mut e, "juliet@example.com/balcony", pres(2));
    // Juliet cancels Romeo's subscription to her presence.
    let a = sub(&mut e, "juliet@example.com/balcony", R, T::Unsubscribed);
    assert_eq!(both_states(&e), (Some(S::To), Some(S::From)));
    let orchard = full("romeo@example.com/orchard");
    let kinds: Vec<_> = a
        .iter()
        .filter_map(|x| match x {
            Action::DeliverPresence { to, presence, .. } if *to == orchard => {
                Some(format!("{presence:?}"))
            }
            Action::RosterPush {
                to,
                push:
                    RosterPush {
                        change: RosterChange::Update(i),
                        ..
                    },
            } if *to == orchard => Some(format!("push {}", i.subscription)),
            _ => None,
        })
        .collect();
    // Romeo is told, then his roster shows `from`, then Juliet's resource is unavailable to him.
    assert_eq!(
        kinds,
        [
            "Subscription(Unsubscribed, Some(Pres { id: 90, priority: 0 }))",
            "push from",
            "Unavailable(None)"
        ]
    );
}

/// UCR-ROUTE-10
#[test]
fn ucr_route_10_presence_to_a_bare_jid_reaches_available_resources_only() {
    let mut e = two();
    login(&mut e, "juliet@example.com/balcony", pres(1));
    e.bind(full("juliet@example.com/connected")).unwrap();
    let a = e
        .presence_from_remote(
            &jid("x@elsewhere.example/r"),
            &jid(J),
            Presence::Available(pres(2)),
        )
        .unwrap();
    assert_eq!(
        a,
        vec![Action::DeliverPresence {
            to: full("juliet@example.com/balcony"),
            from: jid("x@elsewhere.example/r"),
            presence: Presence::Available(pres(2))
        }]
    );
    // Addressed to a connected resource, it gets there; to an absent one, or to an account with
    // no available resource, it is dropped.
    let a = e
        .presence_from_remote(
            &jid("x@elsewhere.example/r"),
            &jid("juliet@example.com/connected"),
            Presence::Available(pres(3)),
        )
        .unwrap();
    assert_eq!(a.len(), 1);
    let a = e
        .presence_from_remote(
            &jid("x@elsewhere.example/r"),
            &jid("juliet@example.com/gone"),
            Presence::Available(pres(4)),
        )
        .unwrap();
    assert!(a.is_empty());
    let a = e
        .presence_from_remote(
            &jid("x@elsewhere.example/r"),
            &jid(R),
            Presence::Available(pres(5)),
        )
        .unwrap();
    assert!(a.is_empty());
}

/// UCR-PRES-30
/// UCR-PRES-28
///
/// A resource that went unavailable but stays connected is no longer one of the user's
/// available resources: it gets its own unavailable (the sender is included) and then no
/// broadcast of the user's other resources, their going offline included. So a client that goes
/// unavailable must drop its presence view (`PresenceTracker::clear`); the im_engine fuzz target
/// asserted on such a stale view before it modelled that.
#[test]
fn ucr_pres_30_an_unavailable_resource_gets_its_own_unavailable_and_then_no_broadcasts() {
    let mut e = two();
    relate(&mut e, J, R, S::Both);
    login(&mut e, "juliet@example.com/balcony", pres(1));
    login(&mut e, "juliet@example.com/chamber", pres(2));
    login(&mut e, "romeo@example.com/orchard", pres(3));
    let chamber = full("juliet@example.com/chamber");

    let went = e
        .presence_from_client(&chamber, None, Presence::Unavailable(None))
        .unwrap();
    let to_chamber = delivered_to(&went, "juliet@example.com/chamber");
    assert_eq!(
        to_chamber,
        vec![(chamber.clone().into(), Presence::Unavailable(None))]
    );
    assert_eq!(
        delivered_to(&went, "juliet@example.com/balcony"),
        to_chamber,
        "the other resource is told too"
    );
    assert!(e.is_connected(&chamber) && !e.is_available(&chamber));

    // The user's other resource updates and then drops: nothing reaches the chamber.
    let balcony = full("juliet@example.com/balcony");
    let update = e
        .presence_from_client(&balcony, None, Presence::Available(pres(4)))
        .unwrap();
    let gone = e.disconnect(&balcony).unwrap();
    for actions in [&update, &gone] {
        assert!(
            delivered_to(actions, "juliet@example.com/chamber").is_empty(),
            "{actions:?}"
        );
    }
    // The contact's presence does not reach it either, while the balcony's still reached him.
    assert_eq!(
        delivered_to(&gone, "romeo@example.com/orchard"),
        vec![(balcony.into(), Presence::Unavailable(None))]
    );
    let orchard = full("romeo@example.com/orchard");
    let romeo = e
        .presence_from_client(&orchard, None, Presence::Available(pres(5)))
        .unwrap();
    assert!(delivered_to(&romeo, "juliet@example.com/chamber").is_empty());
}
