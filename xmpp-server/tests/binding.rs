//! Resource binding in the server core: several sessions per account, unique resources, the
//! three conflict policies of RFC 6120 §7.7.2.2, and refusals.

mod support;

use support::{Harness, error_condition, sent, to};
use xmpp_server::{Action, Config, ResourceConflict};
use xmpp_stream::bind::{BindDecision, BindError};
use xmpp_stream::stream_error::StreamCondition;

#[test]
fn ucr_bind_2_ucr_gen_6_one_account_keeps_several_resources_connected_at_once() {
    let mut h = Harness::new();
    let balcony = h.available("juliet", "balcony", 1);
    let garden = h.available("juliet", "garden", 0);
    assert_ne!(balcony, garden);
    assert_eq!(h.server.bound_resources(), 2);
    // Both are reachable by full JID, from another account.
    let romeo = h.available("romeo", "orchard", 0);
    for (resource, conn) in [("balcony", balcony), ("garden", garden)] {
        let out = h.exchange(
            romeo,
            &format!(
                "<message xmlns='jabber:client' type='chat' to='juliet@example.com/{resource}'><body>hi</body></message>"
            ),
        );
        assert_eq!(to(conn, &out).len(), 1, "{resource}: {out:?}");
    }
}

#[test]
fn ucr_bind_7_by_default_a_taken_resource_is_overridden_with_a_generated_one() {
    let mut h = Harness::new();
    let first = h.online("juliet", "balcony");
    let second = h.authenticated("juliet", None);
    let BindDecision::Accept(resource) = h.bind(second, Some("balcony")) else {
        panic!("refused")
    };
    assert_ne!(resource, "balcony");
    assert_eq!(h.server.bound_resources(), 2);
    let full = format!("juliet@example.com/{resource}").parse().unwrap();
    assert_eq!(h.server.connection_of(&full), Some(second));
    let balcony = "juliet@example.com/balcony".parse().unwrap();
    assert_eq!(h.server.connection_of(&balcony), Some(first));
}

#[test]
fn ucr_bind_7_take_over_closes_the_old_session_with_a_conflict_stream_error() {
    let mut config = Config::new(["example.com"]);
    config.resource_conflict = ResourceConflict::TakeOver;
    let mut h = Harness::with(config);
    let romeo = h.available("romeo", "orchard", 0);
    let old = h.available("juliet", "balcony", 0);
    let new = h.authenticated("juliet", None);
    h.event(
        new,
        xmpp_stream::connection::Event::BindRequest {
            resource: Some("balcony".into()),
        },
    );
    let actions = h.actions();
    let close = actions
        .iter()
        .position(|a| matches!(a, Action::Close { conn, error } if *conn == old && error.condition() == StreamCondition::Conflict))
        .expect("old session closed with <conflict/>");
    let bind = actions
        .iter()
        .position(|a| matches!(a, Action::Bind { conn, decision: BindDecision::Accept(r) } if *conn == new && r == "balcony"))
        .expect("newcomer bound");
    assert!(close < bind, "{actions:?}");
    let balcony = "juliet@example.com/balcony".parse().unwrap();
    assert_eq!(h.server.connection_of(&balcony), Some(new));
    // The old connection's remaining events are ignored; its Closed ends it.
    h.stanza(
        old,
        "<message xmlns='jabber:client' to='romeo@example.com'><body>late</body></message>",
    );
    assert!(h.actions().is_empty());
    h.closed(old);
    assert!(
        h.actions().is_empty(),
        "the old session was already released"
    );
    assert!(
        h.server
            .handle_event(old, xmpp_stream::connection::Event::Established, h.now)
            .is_err()
    );
    let _ = romeo;
}

#[test]
fn ucr_bind_7_refuse_answers_conflict_and_keeps_both_streams() {
    let mut config = Config::new(["example.com"]);
    config.resource_conflict = ResourceConflict::Refuse;
    let mut h = Harness::with(config);
    let first = h.online("juliet", "balcony");
    let second = h.authenticated("juliet", None);
    assert_eq!(
        h.bind(second, Some("balcony")),
        BindDecision::Refuse(BindError::Conflict)
    );
    // The newcomer may retry with another resource.
    assert_eq!(
        h.bind(second, Some("garden")),
        BindDecision::Accept("garden".into())
    );
    let balcony = "juliet@example.com/balcony".parse().unwrap();
    assert_eq!(h.server.connection_of(&balcony), Some(first));
}

#[test]
fn a_missing_resource_is_generated_and_unique() {
    let mut h = Harness::new();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let conn = h.authenticated("juliet", None);
        let BindDecision::Accept(r) = h.bind(conn, None) else {
            panic!("refused")
        };
        assert_eq!(r.len(), 16);
        assert!(seen.insert(r));
    }
}

#[test]
fn binding_before_authentication_or_twice_is_not_allowed() {
    let mut h = Harness::new();
    let anonymous = h.server.open_client();
    assert_eq!(
        h.bind(anonymous, Some("x")),
        BindDecision::Refuse(BindError::NotAllowed)
    );
    let conn = h.online("juliet", "balcony");
    assert_eq!(
        h.bind(conn, Some("second")),
        BindDecision::Refuse(BindError::NotAllowed)
    );
}

#[test]
fn a_resource_that_fails_resourceprep_is_a_bad_request() {
    let mut h = Harness::new();
    let conn = h.authenticated("juliet", None);
    assert_eq!(
        h.bind(conn, Some("bad\u{7}resource")),
        BindDecision::Refuse(BindError::BadRequest)
    );
}

#[test]
fn the_resource_limit_per_account_is_a_resource_constraint() {
    let mut config = Config::new(["example.com"]);
    config.im.max_resources_per_account = 2;
    let mut h = Harness::with(config);
    h.online("juliet", "a");
    h.online("juliet", "b");
    let third = h.authenticated("juliet", None);
    assert_eq!(
        h.bind(third, Some("c")),
        BindDecision::Refuse(BindError::ResourceConstraint)
    );
}

#[test]
fn closing_a_session_frees_its_resource_and_tells_its_contacts() {
    let mut h = Harness::new();
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);
    // Mutual subscription: Romeo subscribes, Juliet approves, and back.
    for (from, to_user) in [(romeo, "juliet"), (juliet, "romeo")] {
        h.stanza(
            from,
            &format!(
                "<presence xmlns='jabber:client' type='subscribe' to='{to_user}@example.com'/>"
            ),
        );
    }
    for (from, to_user) in [(juliet, "romeo"), (romeo, "juliet")] {
        h.stanza(
            from,
            &format!(
                "<presence xmlns='jabber:client' type='subscribed' to='{to_user}@example.com'/>"
            ),
        );
    }
    h.actions();
    h.closed(juliet);
    let out = sent(&h.actions());
    let to_romeo = to(romeo, &out);
    assert!(
        to_romeo.iter().any(|p| p.name() == "presence"
            && p.attr("type") == Some("unavailable")
            && p.attr("from") == Some("juliet@example.com/balcony")),
        "{out:?}"
    );
    assert_eq!(h.server.bound_resources(), 1);
    let again = h.authenticated("juliet", None);
    assert_eq!(
        h.bind(again, Some("balcony")),
        BindDecision::Accept("balcony".into())
    );
    let _ = error_condition;
}

#[test]
fn a_second_authentication_report_changes_nothing() {
    let mut h = Harness::new();
    let conn = h.online("juliet", "balcony");
    h.event(
        conn,
        xmpp_stream::connection::Event::Authenticated {
            mechanism: xmpp_stream::connection::AuthMethod::from_sasl_name("PLAIN"),
            identity: "romeo@example.com".into(),
        },
    );
    assert!(h.actions().is_empty());
    let balcony = "juliet@example.com/balcony".parse().unwrap();
    assert_eq!(h.server.connection_of(&balcony), Some(conn));
}
