//! Every row of the RFC 6121 Appendix A tables, driven through the server engine, with the
//! resulting state and the exact actions (stanzas) the engine emits.
//!
//! Fixture: the local user juliet@example.com has three resources: `balcony` (interested and
//! available), `chamber` (interested, not available) and `garden` (available, never asked for the
//! roster). The contact is the remote romeo@example.net, so everything sent to it is a
//! `RoutePresence`. A.2 rows are stanzas juliet's client sends; A.3 rows arrive from romeo's server.

mod common;

use common::*;
use xmpp_im::jid::Jid;
use xmpp_im::roster::{RosterChange, RosterContact, RosterPush, RosterQuery, RosterVersion};
use xmpp_im::server::{Action, Presence};
use xmpp_im::store::{Contact, RosterStore};
use xmpp_im::subscription::{ContactState, SubscriptionState as S, SubscriptionType as T};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Follow {
    Nothing,
    Available,
    Unavailable,
}
use Follow::*;

const BALCONY: &str = "juliet@example.com/balcony";
const CHAMBER: &str = "juliet@example.com/chamber";
const GARDEN: &str = "juliet@example.com/garden";
const REQUEST: Pres = Pres {
    id: 99,
    priority: 0,
};

fn fixture(state: ContactState) -> Engine {
    let mut e = engine("example.com", &["juliet@example.com"]);
    e.store_mut()
        .save_contact(
            &bare("juliet@example.com"),
            Contact::in_roster(bare("romeo@example.net"), state),
            None,
        )
        .unwrap();
    for r in [BALCONY, CHAMBER, GARDEN] {
        e.bind(full(r)).unwrap();
    }
    for r in [BALCONY, CHAMBER] {
        e.roster_get(&full(r), None, &RosterQuery::default())
            .unwrap();
    }
    e.presence_from_client(&full(BALCONY), None, Presence::Available(pres(1)))
        .unwrap();
    e.presence_from_client(&full(GARDEN), None, Presence::Available(pres(3)))
        .unwrap();
    e
}

fn state_of(e: &Engine) -> ContactState {
    e.store()
        .contact(&bare("juliet@example.com"), &bare("romeo@example.net"))
        .unwrap()
        .map(|c| c.state)
        .unwrap_or_default()
}

fn romeo() -> Jid {
    jid("romeo@example.net")
}

/// The pushes of `new` to the interested resources, if the item a client sees changed.
fn pushes(old: ContactState, new: ContactState, out: &mut Vec<Action<Pres>>) {
    let visible = |c: ContactState| (c.state.subscription(), c.state.pending_out(), c.approved);
    if visible(old) == visible(new) {
        return;
    }
    let item = RosterContact {
        subscription: new.state.subscription(),
        ask: new.state.pending_out(),
        approved: new.approved,
        ..RosterContact::new(bare("romeo@example.net"))
    };
    for to in [BALCONY, CHAMBER] {
        out.push(Action::RosterPush {
            to: full(to),
            push: RosterPush {
                ver: Some(RosterVersion::new(1)),
                change: RosterChange::Update(item.clone()),
            },
        });
    }
}

fn follow(f: Follow, out: &mut Vec<Action<Pres>>) {
    for (from, p) in [(BALCONY, pres(1)), (GARDEN, pres(3))] {
        let presence = match f {
            Nothing => return,
            Available => Presence::Available(p),
            Unavailable => Presence::Unavailable(None),
        };
        out.push(Action::RoutePresence {
            to: romeo(),
            from: jid(from),
            presence,
        });
    }
}

/// A.2: juliet's client sends `kind` to romeo.
fn outbound(
    before: S,
    approved: bool,
    kind: T,
    after: S,
    approved_after: bool,
    route: bool,
    f: Follow,
) {
    let old = ContactState {
        state: before,
        approved,
    };
    let mut e = fixture(old);
    // A full `to` is handled as the bare JID (UCR-SUB-6).
    let to = jid("romeo@example.net/orchard");
    let actions = e
        .presence_from_client(
            &full(BALCONY),
            Some(&to),
            Presence::Subscription(kind, Some(REQUEST)),
        )
        .unwrap();
    let new = ContactState {
        state: after,
        approved: approved_after,
    };
    assert_eq!(state_of(&e), new, "{before} + outbound {kind}");
    let mut expected = Vec::new();
    if route {
        // Stamped with the user's bare JID (UCR-SUB-9).
        expected.push(Action::RoutePresence {
            to: romeo(),
            from: jid("juliet@example.com"),
            presence: Presence::Subscription(kind, Some(REQUEST)),
        });
    }
    pushes(old, new, &mut expected);
    follow(f, &mut expected);
    assert_eq!(actions, expected, "{before} + outbound {kind}");
}

/// A.3: `kind` arrives from romeo for juliet.
fn inbound(
    before: S,
    approved: bool,
    kind: T,
    after: S,
    deliver: bool,
    reply: Option<T>,
    f: Follow,
) {
    let old = ContactState {
        state: before,
        approved,
    };
    let mut e = fixture(old);
    let to = jid("juliet@example.com/balcony");
    let actions = e
        .presence_from_remote(&romeo(), &to, Presence::Subscription(kind, Some(REQUEST)))
        .unwrap();
    let new = ContactState {
        state: after,
        approved: if reply == Some(T::Subscribed) {
            false
        } else {
            approved
        },
    };
    assert_eq!(state_of(&e), new, "{before} + inbound {kind}");
    let mut expected = Vec::new();
    if deliver {
        // Requests go to available resources, the rest to interested ones.
        let targets = if kind == T::Subscribe {
            [BALCONY, GARDEN]
        } else {
            [BALCONY, CHAMBER]
        };
        for to in targets {
            expected.push(Action::DeliverPresence {
                to: full(to),
                from: romeo(),
                presence: Presence::Subscription(kind, Some(REQUEST)),
            });
        }
    }
    pushes(old, new, &mut expected);
    if let Some(reply) = reply {
        expected.push(Action::RoutePresence {
            to: romeo(),
            from: jid("juliet@example.com"),
            presence: Presence::Subscription(reply, None),
        });
    }
    follow(f, &mut expected);
    assert_eq!(actions, expected, "{before} + inbound {kind}");
    // A delivered request is kept whole until answered (UCR-SUB-18).
    let kept = e
        .store()
        .pending_request(&bare("juliet@example.com"), &bare("romeo@example.net"))
        .unwrap();
    if kind == T::Subscribe && deliver {
        assert_eq!(kept, Some(REQUEST));
    }
    if !after.pending_in() {
        assert_eq!(kept, None);
    }
}

// A.2.1 Outbound subscribe: always routed; "Pending Out" is added and pushed (UCR-SUB-11).

/// UCR-SUB-8
/// UCR-ROSTER-9
/// UCR-SUB-9
/// UCR-SUB-11
#[test]
fn ucr_sub_8_ucr_sub_9_ucr_sub_11_a2_1_subscribe_from_none() {
    outbound(
        S::None,
        false,
        T::Subscribe,
        S::NonePendingOut,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_11_a2_1_subscribe_from_none_pending_out() {
    outbound(
        S::NonePendingOut,
        false,
        T::Subscribe,
        S::NonePendingOut,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_11_a2_1_subscribe_from_none_pending_in() {
    outbound(
        S::NonePendingIn,
        false,
        T::Subscribe,
        S::NonePendingOutIn,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_11_a2_1_subscribe_from_none_pending_out_in() {
    outbound(
        S::NonePendingOutIn,
        false,
        T::Subscribe,
        S::NonePendingOutIn,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_9_a2_1_subscribe_from_to() {
    outbound(S::To, false, T::Subscribe, S::To, false, true, Nothing);
}
#[test]
fn ucr_sub_9_a2_1_subscribe_from_to_pending_in() {
    outbound(
        S::ToPendingIn,
        false,
        T::Subscribe,
        S::ToPendingIn,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_11_a2_1_subscribe_from_from() {
    outbound(
        S::From,
        false,
        T::Subscribe,
        S::FromPendingOut,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_9_a2_1_subscribe_from_from_pending_out() {
    outbound(
        S::FromPendingOut,
        false,
        T::Subscribe,
        S::FromPendingOut,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_9_a2_1_subscribe_from_both() {
    outbound(S::Both, false, T::Subscribe, S::Both, false, true, Nothing);
}

// A.2.2 Outbound unsubscribe: always routed; the push shows none/from (UCR-SUB-45).

#[test]
fn ucr_sub_43_a2_2_unsubscribe_from_none() {
    outbound(
        S::None,
        false,
        T::Unsubscribe,
        S::None,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_45_a2_2_unsubscribe_from_none_pending_out() {
    outbound(
        S::NonePendingOut,
        false,
        T::Unsubscribe,
        S::None,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_43_a2_2_unsubscribe_from_none_pending_in() {
    outbound(
        S::NonePendingIn,
        false,
        T::Unsubscribe,
        S::NonePendingIn,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_45_a2_2_unsubscribe_from_none_pending_out_in() {
    outbound(
        S::NonePendingOutIn,
        false,
        T::Unsubscribe,
        S::NonePendingIn,
        false,
        true,
        Nothing,
    );
}
/// UCR-SUB-44
#[test]
fn ucr_sub_44_ucr_sub_45_a2_2_unsubscribe_from_to() {
    outbound(S::To, false, T::Unsubscribe, S::None, false, true, Nothing);
}
#[test]
fn ucr_sub_45_a2_2_unsubscribe_from_to_pending_in() {
    outbound(
        S::ToPendingIn,
        false,
        T::Unsubscribe,
        S::NonePendingIn,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_43_a2_2_unsubscribe_from_from() {
    outbound(
        S::From,
        false,
        T::Unsubscribe,
        S::From,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_45_a2_2_unsubscribe_from_from_pending_out() {
    outbound(
        S::FromPendingOut,
        false,
        T::Unsubscribe,
        S::From,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_45_a2_2_unsubscribe_from_both() {
    outbound(
        S::Both,
        false,
        T::Unsubscribe,
        S::From,
        false,
        true,
        Nothing,
    );
}

// A.2.3 Outbound subscribed: an approval is routed, pushed (from/both) and followed by the
// user's presence (UCR-SUB-23..25); otherwise it is a pre-approval (RFC 6121 §3.4) or ignored.

#[test]
fn ucr_sub_23_a2_3_subscribed_from_none_is_a_pre_approval() {
    outbound(S::None, false, T::Subscribed, S::None, true, false, Nothing);
}
#[test]
fn ucr_sub_23_a2_3_subscribed_from_none_pending_out_is_a_pre_approval() {
    outbound(
        S::NonePendingOut,
        false,
        T::Subscribed,
        S::NonePendingOut,
        true,
        false,
        Nothing,
    );
}
/// UCR-SUB-20
/// UCR-SUB-23
/// UCR-SUB-24
/// UCR-SUB-25
#[test]
fn ucr_sub_20_ucr_sub_24_a2_3_subscribed_from_none_pending_in() {
    outbound(
        S::NonePendingIn,
        false,
        T::Subscribed,
        S::From,
        false,
        true,
        Available,
    );
}
#[test]
fn ucr_sub_25_a2_3_subscribed_from_none_pending_out_in() {
    outbound(
        S::NonePendingOutIn,
        false,
        T::Subscribed,
        S::FromPendingOut,
        false,
        true,
        Available,
    );
}
#[test]
fn ucr_sub_23_a2_3_subscribed_from_to_is_a_pre_approval() {
    outbound(S::To, false, T::Subscribed, S::To, true, false, Nothing);
}
#[test]
fn ucr_sub_24_a2_3_subscribed_from_to_pending_in() {
    outbound(
        S::ToPendingIn,
        false,
        T::Subscribed,
        S::Both,
        false,
        true,
        Available,
    );
}
#[test]
fn ucr_sub_23_a2_3_subscribed_from_from() {
    outbound(
        S::From,
        false,
        T::Subscribed,
        S::From,
        false,
        false,
        Nothing,
    );
}
#[test]
fn ucr_sub_23_a2_3_subscribed_from_from_pending_out() {
    outbound(
        S::FromPendingOut,
        false,
        T::Subscribed,
        S::FromPendingOut,
        false,
        false,
        Nothing,
    );
}
#[test]
fn ucr_sub_23_a2_3_subscribed_from_both() {
    outbound(
        S::Both,
        false,
        T::Subscribed,
        S::Both,
        false,
        false,
        Nothing,
    );
}

// A.2.4 Outbound unsubscribed: a denial or a cancellation is routed and pushed; a cancellation is
// followed by unavailable from each available resource (UCR-SUB-35..37), the D1 path.

#[test]
fn ucr_sub_35_a2_4_unsubscribed_from_none() {
    outbound(
        S::None,
        false,
        T::Unsubscribed,
        S::None,
        false,
        false,
        Nothing,
    );
}
#[test]
fn ucr_sub_35_a2_4_unsubscribed_from_none_pending_out() {
    outbound(
        S::NonePendingOut,
        false,
        T::Unsubscribed,
        S::NonePendingOut,
        false,
        false,
        Nothing,
    );
}
/// UCR-SUB-21
#[test]
fn ucr_sub_21_a2_4_unsubscribed_from_none_pending_in_denies() {
    outbound(
        S::NonePendingIn,
        false,
        T::Unsubscribed,
        S::None,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_21_a2_4_unsubscribed_from_none_pending_out_in_denies() {
    outbound(
        S::NonePendingOutIn,
        false,
        T::Unsubscribed,
        S::NonePendingOut,
        false,
        true,
        Nothing,
    );
}
#[test]
fn ucr_sub_35_a2_4_unsubscribed_from_to() {
    outbound(S::To, false, T::Unsubscribed, S::To, false, false, Nothing);
}
#[test]
fn ucr_sub_21_a2_4_unsubscribed_from_to_pending_in_denies() {
    outbound(
        S::ToPendingIn,
        false,
        T::Unsubscribed,
        S::To,
        false,
        true,
        Nothing,
    );
}
/// UCR-SUB-34
/// UCR-SUB-32
/// UCR-SUB-35
/// UCR-SUB-36
/// UCR-SUB-37
#[test]
fn ucr_sub_32_ucr_sub_34_ucr_sub_35_a2_4_unsubscribed_from_from_cancels() {
    outbound(
        S::From,
        false,
        T::Unsubscribed,
        S::None,
        false,
        true,
        Unavailable,
    );
}
#[test]
fn ucr_sub_36_a2_4_unsubscribed_from_from_pending_out_cancels() {
    outbound(
        S::FromPendingOut,
        false,
        T::Unsubscribed,
        S::NonePendingOut,
        false,
        true,
        Unavailable,
    );
}
#[test]
fn ucr_sub_37_a2_4_unsubscribed_from_both_cancels() {
    outbound(
        S::Both,
        false,
        T::Unsubscribed,
        S::To,
        false,
        true,
        Unavailable,
    );
}

// A.3.1 Inbound subscribe: delivered to available resources and kept (UCR-SUB-17, UCR-SUB-18);
// already granted: auto-reply `subscribed` (UCR-SUB-15); already pending: not delivered again.

/// UCR-SUB-13
/// UCR-SUB-14
/// UCR-SUB-17
#[test]
fn ucr_sub_13_ucr_sub_14_ucr_sub_17_a3_1_subscribe_in_none() {
    inbound(
        S::None,
        false,
        T::Subscribe,
        S::NonePendingIn,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_17_a3_1_subscribe_in_none_pending_out() {
    inbound(
        S::NonePendingOut,
        false,
        T::Subscribe,
        S::NonePendingOutIn,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_14_a3_1_subscribe_in_none_pending_in() {
    inbound(
        S::NonePendingIn,
        false,
        T::Subscribe,
        S::NonePendingIn,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_14_a3_1_subscribe_in_none_pending_out_in() {
    inbound(
        S::NonePendingOutIn,
        false,
        T::Subscribe,
        S::NonePendingOutIn,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_17_a3_1_subscribe_in_to() {
    inbound(
        S::To,
        false,
        T::Subscribe,
        S::ToPendingIn,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_14_a3_1_subscribe_in_to_pending_in() {
    inbound(
        S::ToPendingIn,
        false,
        T::Subscribe,
        S::ToPendingIn,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_15_a3_1_subscribe_in_from_auto_replies() {
    inbound(
        S::From,
        false,
        T::Subscribe,
        S::From,
        false,
        Some(T::Subscribed),
        Nothing,
    );
}
#[test]
fn ucr_sub_15_a3_1_subscribe_in_from_pending_out_auto_replies() {
    inbound(
        S::FromPendingOut,
        false,
        T::Subscribe,
        S::FromPendingOut,
        false,
        Some(T::Subscribed),
        Nothing,
    );
}
#[test]
fn ucr_sub_15_a3_1_subscribe_in_both_auto_replies() {
    inbound(
        S::Both,
        false,
        T::Subscribe,
        S::Both,
        false,
        Some(T::Subscribed),
        Nothing,
    );
}

// A.3.1 with a pre-approval (RFC 6121 §3.4.2): approved on the user's behalf.

#[test]
fn ucr_sub_14_a3_1_pre_approved_subscribe_in_none() {
    inbound(
        S::None,
        true,
        T::Subscribe,
        S::From,
        false,
        Some(T::Subscribed),
        Available,
    );
}
#[test]
fn ucr_sub_14_a3_1_pre_approved_subscribe_in_none_pending_out() {
    inbound(
        S::NonePendingOut,
        true,
        T::Subscribe,
        S::FromPendingOut,
        false,
        Some(T::Subscribed),
        Available,
    );
}
#[test]
fn ucr_sub_14_a3_1_pre_approved_subscribe_in_to() {
    inbound(
        S::To,
        true,
        T::Subscribe,
        S::Both,
        false,
        Some(T::Subscribed),
        Available,
    );
}

// A.3.2 Inbound unsubscribe: checked (UCR-SUB-46), delivered before the push (UCR-SUB-47),
// pushed none/to (UCR-SUB-48), unavailable sent (UCR-SUB-49); otherwise ignored (UCR-SUB-50).

#[test]
fn ucr_sub_50_a3_2_unsubscribe_in_none_is_ignored() {
    inbound(
        S::None,
        false,
        T::Unsubscribe,
        S::None,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_50_a3_2_unsubscribe_in_none_pending_out_is_ignored() {
    inbound(
        S::NonePendingOut,
        false,
        T::Unsubscribe,
        S::NonePendingOut,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_47_a3_2_unsubscribe_in_none_pending_in_withdraws_the_request() {
    inbound(
        S::NonePendingIn,
        false,
        T::Unsubscribe,
        S::None,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_47_a3_2_unsubscribe_in_none_pending_out_in_withdraws_the_request() {
    inbound(
        S::NonePendingOutIn,
        false,
        T::Unsubscribe,
        S::NonePendingOut,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_50_a3_2_unsubscribe_in_to_is_ignored() {
    inbound(S::To, false, T::Unsubscribe, S::To, false, None, Nothing);
}
#[test]
fn ucr_sub_47_a3_2_unsubscribe_in_to_pending_in_withdraws_the_request() {
    inbound(
        S::ToPendingIn,
        false,
        T::Unsubscribe,
        S::To,
        true,
        None,
        Nothing,
    );
}
/// UCR-SUB-46
/// UCR-SUB-47
/// UCR-SUB-48
/// UCR-SUB-49
#[test]
fn ucr_sub_46_ucr_sub_49_a3_2_unsubscribe_in_from() {
    inbound(
        S::From,
        false,
        T::Unsubscribe,
        S::None,
        true,
        None,
        Unavailable,
    );
}
#[test]
fn ucr_sub_48_a3_2_unsubscribe_in_from_pending_out() {
    inbound(
        S::FromPendingOut,
        false,
        T::Unsubscribe,
        S::NonePendingOut,
        true,
        None,
        Unavailable,
    );
}
#[test]
fn ucr_sub_48_a3_2_unsubscribe_in_both() {
    inbound(
        S::Both,
        false,
        T::Unsubscribe,
        S::To,
        true,
        None,
        Unavailable,
    );
}

// A.3.3 Inbound subscribed: only with ask='subscribe' (UCR-SUB-26), delivered before the push
// (UCR-SUB-27), pushed to/both (UCR-SUB-28); otherwise dropped silently (UCR-SUB-30).

#[test]
fn ucr_sub_30_a3_3_subscribed_in_none_is_dropped() {
    inbound(S::None, false, T::Subscribed, S::None, false, None, Nothing);
}
/// UCR-SUB-26
/// UCR-SUB-27
/// UCR-SUB-28
#[test]
fn ucr_sub_26_ucr_sub_27_ucr_sub_28_a3_3_subscribed_in_none_pending_out() {
    inbound(
        S::NonePendingOut,
        false,
        T::Subscribed,
        S::To,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_30_a3_3_subscribed_in_none_pending_in_is_dropped() {
    inbound(
        S::NonePendingIn,
        false,
        T::Subscribed,
        S::NonePendingIn,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_28_a3_3_subscribed_in_none_pending_out_in() {
    inbound(
        S::NonePendingOutIn,
        false,
        T::Subscribed,
        S::ToPendingIn,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_30_a3_3_subscribed_in_to_is_dropped() {
    inbound(S::To, false, T::Subscribed, S::To, false, None, Nothing);
}
#[test]
fn ucr_sub_30_a3_3_subscribed_in_to_pending_in_is_dropped() {
    inbound(
        S::ToPendingIn,
        false,
        T::Subscribed,
        S::ToPendingIn,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_30_a3_3_subscribed_in_from_is_dropped() {
    inbound(S::From, false, T::Subscribed, S::From, false, None, Nothing);
}
#[test]
fn ucr_sub_27_a3_3_subscribed_in_from_pending_out() {
    inbound(
        S::FromPendingOut,
        false,
        T::Subscribed,
        S::Both,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_30_a3_3_subscribed_in_both_is_dropped() {
    inbound(S::Both, false, T::Subscribed, S::Both, false, None, Nothing);
}

// A.3.4 Inbound unsubscribed: only with to/both or pending out (UCR-SUB-38), delivered before
// the push (UCR-SUB-39), pushed none/from (UCR-SUB-40); otherwise ignored (UCR-SUB-41).

#[test]
fn ucr_sub_41_a3_4_unsubscribed_in_none_is_ignored() {
    inbound(
        S::None,
        false,
        T::Unsubscribed,
        S::None,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_39_a3_4_unsubscribed_in_none_pending_out_is_a_denial() {
    inbound(
        S::NonePendingOut,
        false,
        T::Unsubscribed,
        S::None,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_41_a3_4_unsubscribed_in_none_pending_in_is_ignored() {
    inbound(
        S::NonePendingIn,
        false,
        T::Unsubscribed,
        S::NonePendingIn,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_39_a3_4_unsubscribed_in_none_pending_out_in_is_a_denial() {
    inbound(
        S::NonePendingOutIn,
        false,
        T::Unsubscribed,
        S::NonePendingIn,
        true,
        None,
        Nothing,
    );
}
/// UCR-SUB-38
/// UCR-SUB-39
/// UCR-SUB-40
#[test]
fn ucr_sub_38_ucr_sub_39_ucr_sub_40_a3_4_unsubscribed_in_to() {
    inbound(S::To, false, T::Unsubscribed, S::None, true, None, Nothing);
}
#[test]
fn ucr_sub_40_a3_4_unsubscribed_in_to_pending_in() {
    inbound(
        S::ToPendingIn,
        false,
        T::Unsubscribed,
        S::NonePendingIn,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_41_a3_4_unsubscribed_in_from_is_ignored() {
    inbound(
        S::From,
        false,
        T::Unsubscribed,
        S::From,
        false,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_39_a3_4_unsubscribed_in_from_pending_out_is_a_denial() {
    inbound(
        S::FromPendingOut,
        false,
        T::Unsubscribed,
        S::From,
        true,
        None,
        Nothing,
    );
}
#[test]
fn ucr_sub_40_a3_4_unsubscribed_in_both() {
    inbound(
        S::Both,
        false,
        T::Unsubscribed,
        S::From,
        true,
        None,
        Nothing,
    );
}

// Cancelling a pre-approval with `unsubscribed` (RFC 6121 §3.4).
#[test]
fn ucr_sub_32_unsubscribed_cancels_a_pre_approval() {
    outbound(
        S::None,
        true,
        T::Unsubscribed,
        S::None,
        false,
        false,
        Nothing,
    );
}
