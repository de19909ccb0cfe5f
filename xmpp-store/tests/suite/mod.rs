//! One behavioural suite for every [`Storage`]: each case takes a fresh store whose accounts
//! keep at most [`MAX_OFFLINE`] offline messages, and checks what the server core relies on.
//! `tests/storage.rs` runs it against `MemoryStorage`, SQLite and (feature `postgres`)
//! PostgreSQL, so the backends behave alike.

#![allow(dead_code)]

use xmpp_im::jid::BareJid;
use xmpp_im::roster::{RosterChange, RosterContact, RosterVersion};
use xmpp_im::store::{Contact, ItemMeta, LoggedChange};
use xmpp_im::subscription::{ContactState, RosterSubscription, SubscriptionState};
use xmpp_server::{Offline, Storage};
use xmpp_stanza::{Message, Presence};
use xmpp_stream::xml::Element;

/// The offline limit every store of the suite is made with.
pub const MAX_OFFLINE: usize = 3;

/// A suite case.
pub type Case<S> = (&'static str, fn(&mut S));

/// Every case, by name.
pub fn cases<S: Storage>() -> Vec<Case<S>> {
    vec![
        (
            "accounts_are_opened_once_and_unknown_ones_are_errors",
            accounts::<S>,
        ),
        ("contacts_are_saved_replaced_and_counted", contacts::<S>),
        (
            "roster_versions_replay_the_latest_change_per_contact",
            versions::<S>,
        ),
        (
            "pending_requests_are_kept_whole_until_answered",
            pending::<S>,
        ),
        (
            "offline_messages_are_kept_in_order_up_to_the_limit",
            offline::<S>,
        ),
        ("accounts_do_not_see_each_other", isolation::<S>),
    ]
}

pub fn j(s: &str) -> BareJid {
    s.parse().unwrap()
}

fn state(s: SubscriptionState, approved: bool) -> ContactState {
    ContactState { state: s, approved }
}

fn item(
    jid: &str,
    name: Option<&str>,
    groups: &[&str],
    sub: RosterSubscription,
    ask: bool,
) -> RosterContact {
    RosterContact {
        jid: j(jid),
        name: name.map(str::to_owned),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        subscription: sub,
        ask,
        approved: false,
    }
}

fn update(ver: u64, item: RosterContact) -> LoggedChange {
    LoggedChange {
        ver: RosterVersion::new(ver),
        change: RosterChange::Update(item),
    }
}

fn remove(ver: u64, jid: &str) -> LoggedChange {
    LoggedChange {
        ver: RosterVersion::new(ver),
        change: RosterChange::Remove(j(jid)),
    }
}

fn sorted(mut v: Vec<Contact>) -> Vec<Contact> {
    v.sort_by(|a, b| a.jid.as_str().cmp(b.jid.as_str()));
    v
}

fn accounts<S: Storage>(s: &mut S) {
    let u = j("juliet@example.com");
    assert!(!s.account_exists(&u));
    assert!(s.contacts(&u).is_err(), "an unknown account is an error");
    assert!(s.version(&u).is_err());
    s.open_account(&u).unwrap();
    s.open_account(&u).unwrap();
    assert!(s.account_exists(&u));
    assert_eq!(s.version(&u).unwrap(), RosterVersion::INITIAL);
    assert_eq!(s.contacts(&u).unwrap(), vec![]);
    assert_eq!(s.item_count(&u).unwrap(), 0);
    assert_eq!(s.contact_count(&u).unwrap(), 0);
    assert_eq!(s.offline_count(&u).unwrap(), 0);
    assert_eq!(
        s.changes_since(&u, RosterVersion::INITIAL).unwrap(),
        Some(vec![])
    );
    // Opening again keeps what the account has.
    s.save_contact(
        &u,
        Contact::in_roster(j("romeo@example.net"), ContactState::default()),
        None,
    )
    .unwrap();
    s.open_account(&u).unwrap();
    assert_eq!(s.contact_count(&u).unwrap(), 1);
}

fn contacts<S: Storage>(s: &mut S) {
    let u = j("juliet@example.com");
    s.open_account(&u).unwrap();
    let romeo = Contact {
        jid: j("romeo@example.net"),
        state: state(SubscriptionState::Both, false),
        item: Some(ItemMeta {
            name: Some("Romeo «Montague»".into()),
            groups: vec!["Friends".into(), "Verona: the city".into(), "".into()],
        }),
    };
    let nurse = Contact::hidden(
        j("nurse@example.com"),
        state(SubscriptionState::NonePendingIn, true),
    );
    let tybalt = Contact::in_roster(
        j("tybalt@example.org"),
        state(SubscriptionState::FromPendingOut, false),
    );
    assert_eq!(s.contact(&u, &romeo.jid).unwrap(), None);
    for c in [&romeo, &nurse, &tybalt] {
        s.save_contact(&u, c.clone(), None).unwrap();
    }
    assert_eq!(s.contact(&u, &romeo.jid).unwrap(), Some(romeo.clone()));
    assert_eq!(s.contact(&u, &nurse.jid).unwrap(), Some(nurse.clone()));
    assert_eq!(
        sorted(s.contacts(&u).unwrap()),
        sorted(vec![romeo.clone(), nurse.clone(), tybalt.clone()])
    );
    assert_eq!(s.item_count(&u).unwrap(), 2);
    assert_eq!(s.contact_count(&u).unwrap(), 3);
    // Every state and the approval flag survive.
    for st in SubscriptionState::ALL {
        for approved in [false, true] {
            let c = Contact::in_roster(j("mercutio@example.com"), state(st, approved));
            s.save_contact(&u, c.clone(), None).unwrap();
            assert_eq!(s.contact(&u, &c.jid).unwrap(), Some(c));
        }
    }
    // Replacing: out of the roster, then back with no name.
    let hidden_romeo = Contact::hidden(romeo.jid.clone(), state(SubscriptionState::To, false));
    s.save_contact(&u, hidden_romeo.clone(), None).unwrap();
    assert_eq!(s.contact(&u, &romeo.jid).unwrap(), Some(hidden_romeo));
    assert_eq!(s.item_count(&u).unwrap(), 2); // tybalt and mercutio
    s.delete_contact(&u, &tybalt.jid, None).unwrap();
    s.delete_contact(&u, &j("nobody@example.com"), None)
        .unwrap();
    assert_eq!(s.contact(&u, &tybalt.jid).unwrap(), None);
    assert_eq!(s.contact_count(&u).unwrap(), 3);
    assert_eq!(s.item_count(&u).unwrap(), 1);
    // No change logged: the version did not move.
    assert_eq!(s.version(&u).unwrap(), RosterVersion::INITIAL);
}

fn versions<S: Storage>(s: &mut S) {
    let u = j("juliet@example.com");
    s.open_account(&u).unwrap();
    let c = |jid: &str| Contact::in_roster(j(jid), ContactState::default());
    let a1 = update(
        1,
        item(
            "a@x",
            Some("A"),
            &["g1", "g2"],
            RosterSubscription::None,
            true,
        ),
    );
    let b2 = update(2, item("b@x", None, &[], RosterSubscription::To, false));
    let mut a3_item = item("a@x", Some("A again"), &[], RosterSubscription::Both, false);
    a3_item.approved = true;
    let a3 = update(3, a3_item);
    let b4 = remove(4, "b@x");
    let c5 = update(
        5,
        item("c@x", None, &["g"], RosterSubscription::From, false),
    );
    s.save_contact(&u, c("a@x"), Some(a1.clone())).unwrap();
    s.save_contact(&u, c("b@x"), Some(b2.clone())).unwrap();
    assert_eq!(s.version(&u).unwrap(), RosterVersion::new(2));
    assert_eq!(
        s.changes_since(&u, RosterVersion::INITIAL).unwrap(),
        Some(vec![a1, b2.clone()])
    );
    s.save_contact(&u, c("a@x"), Some(a3.clone())).unwrap();
    s.delete_contact(&u, &j("b@x"), Some(b4.clone())).unwrap();
    s.save_contact(&u, c("c@x"), Some(c5.clone())).unwrap();
    assert_eq!(s.version(&u).unwrap(), RosterVersion::new(5));
    assert_eq!(
        s.changes_since(&u, RosterVersion::INITIAL).unwrap(),
        Some(vec![a3.clone(), b4.clone(), c5.clone()])
    );
    assert_eq!(
        s.changes_since(&u, RosterVersion::new(2)).unwrap(),
        Some(vec![a3.clone(), b4.clone(), c5.clone()])
    );
    assert_eq!(
        s.changes_since(&u, RosterVersion::new(3)).unwrap(),
        Some(vec![b4, c5.clone()])
    );
    assert_eq!(
        s.changes_since(&u, RosterVersion::new(4)).unwrap(),
        Some(vec![c5])
    );
    assert_eq!(
        s.changes_since(&u, RosterVersion::new(5)).unwrap(),
        Some(vec![])
    );
    assert_eq!(
        s.changes_since(&u, RosterVersion::new(6)).unwrap(),
        None,
        "a version never produced"
    );
    // A write without a change leaves the version and the log alone.
    s.save_contact(&u, c("d@x"), None).unwrap();
    assert_eq!(s.version(&u).unwrap(), RosterVersion::new(5));
    assert_eq!(
        s.changes_since(&u, RosterVersion::new(5)).unwrap(),
        Some(vec![])
    );
}

/// A subscription request with everything a client may put in one (UCR-SUB-18).
fn request(from: &str, status: &str) -> Presence {
    let el: Element = format!(
        "<presence xmlns='jabber:client' type='subscribe' from='{from}' to='juliet@example.com' \
         id='sub-1' xml:lang='en'><status>{status}</status>\
         <nick xmlns='http://jabber.org/protocol/nick'>Romeo &amp; co</nick></presence>"
    )
    .parse()
    .unwrap();
    Presence::try_from(&el).unwrap()
}

fn pending<S: Storage>(s: &mut S) {
    let u = j("juliet@example.com");
    s.open_account(&u).unwrap();
    let (romeo, paris) = (j("romeo@example.net"), j("paris@example.org"));
    assert_eq!(s.pending_request(&u, &romeo).unwrap(), None);
    let r1 = request("romeo@example.net/orchard", "let me in");
    s.set_pending_request(&u, &romeo, Some(r1.clone())).unwrap();
    assert_eq!(s.pending_request(&u, &romeo).unwrap(), Some(r1));
    let r2 = request("romeo@example.net/balcony", "&lt;please&gt;");
    s.set_pending_request(&u, &romeo, Some(r2.clone())).unwrap();
    let p = request("paris@example.org", "");
    s.set_pending_request(&u, &paris, Some(p.clone())).unwrap();
    let mut all = s.pending_requests(&u).unwrap();
    all.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(all, vec![(paris.clone(), p), (romeo.clone(), r2)]);
    s.set_pending_request(&u, &paris, None).unwrap();
    assert_eq!(s.pending_request(&u, &paris).unwrap(), None);
    // Deleting the contact forgets its request.
    s.save_contact(
        &u,
        Contact::hidden(
            romeo.clone(),
            state(SubscriptionState::NonePendingIn, false),
        ),
        None,
    )
    .unwrap();
    s.delete_contact(&u, &romeo, None).unwrap();
    assert_eq!(s.pending_requests(&u).unwrap(), vec![]);
}

/// An offline message as the core stores it: stamped, with extensions.
fn message(n: usize) -> Message {
    let el: Element = format!(
        "<message xmlns='jabber:client' type='chat' from='romeo@example.net/orchard' \
         to='juliet@example.com' id='m{n}' xml:lang='en'><body>message {n} &lt;&amp;&gt;</body>\
         <body xml:lang='it'>messaggio {n}</body><thread>t1</thread>\
         <delay xmlns='urn:xmpp:delay' from='example.com' stamp='2024-01-01T00:00:0{n}Z'/>\
         <active xmlns='http://jabber.org/protocol/chatstates'/></message>"
    )
    .parse()
    .unwrap();
    Message::try_from(&el).unwrap()
}

fn offline<S: Storage>(s: &mut S) {
    let u = j("juliet@example.com");
    s.open_account(&u).unwrap();
    assert_eq!(s.take_offline(&u).unwrap(), vec![]);
    for n in 0..MAX_OFFLINE {
        assert_eq!(s.store_offline(&u, message(n)).unwrap(), Offline::Stored);
    }
    assert_eq!(s.store_offline(&u, message(9)).unwrap(), Offline::Full);
    assert_eq!(s.offline_count(&u).unwrap(), MAX_OFFLINE);
    let taken = s.take_offline(&u).unwrap();
    assert_eq!(taken, (0..MAX_OFFLINE).map(message).collect::<Vec<_>>());
    assert_eq!(s.offline_count(&u).unwrap(), 0);
    assert_eq!(s.take_offline(&u).unwrap(), vec![], "taken means gone");
    assert_eq!(s.store_offline(&u, message(5)).unwrap(), Offline::Stored);
    assert_eq!(s.take_offline(&u).unwrap(), vec![message(5)]);
}

fn isolation<S: Storage>(s: &mut S) {
    let (u, v) = (j("juliet@example.com"), j("romeo@example.net"));
    s.open_account(&u).unwrap();
    s.open_account(&v).unwrap();
    s.save_contact(
        &u,
        Contact::in_roster(v.clone(), ContactState::default()),
        Some(update(
            1,
            item(
                "romeo@example.net",
                None,
                &[],
                RosterSubscription::None,
                false,
            ),
        )),
    )
    .unwrap();
    s.set_pending_request(&u, &v, Some(request("romeo@example.net", "hi")))
        .unwrap();
    s.store_offline(&u, message(1)).unwrap();
    assert_eq!(s.contacts(&v).unwrap(), vec![]);
    assert_eq!(s.version(&v).unwrap(), RosterVersion::INITIAL);
    assert_eq!(s.pending_requests(&v).unwrap(), vec![]);
    assert_eq!(s.offline_count(&v).unwrap(), 0);
    assert_eq!(s.take_offline(&v).unwrap(), vec![]);
    assert_eq!(s.offline_count(&u).unwrap(), 1);
    assert_eq!(s.version(&u).unwrap(), RosterVersion::new(1));
}
