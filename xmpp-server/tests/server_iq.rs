//! The IQs the server core answers itself.

mod support;

use support::{Harness, error_condition, to};
use xmpp_stanza::xep::disco::DiscoInfo;
use xmpp_stanza::xep::time::EntityTime;
use xmpp_stanza::xep::version::Version;

fn ask(h: &mut Harness, payload: &str) -> xmpp_stream::xml::Element {
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        romeo,
        &format!("<iq xmlns='jabber:client' type='get' id='q' to='example.com'>{payload}</iq>"),
    );
    to(romeo, &out).remove(0)
}

#[test]
fn disco_info_names_the_server_and_its_features() {
    let mut h = Harness::new();
    let reply = ask(
        &mut h,
        "<query xmlns='http://jabber.org/protocol/disco#info'/>",
    );
    let info = DiscoInfo::try_from(reply.children().next().unwrap()).unwrap();
    assert_eq!(info.identities[0].category, "server");
    assert_eq!(info.identities[0].kind, "im");
    for feature in xmpp_server::SERVER_FEATURES {
        assert!(info.has_feature(feature), "{feature}");
    }
    assert!(!info.has_feature("jabber:iq:register"));
}

#[test]
fn version_says_the_software_and_leaves_the_os_out() {
    let mut h = Harness::new();
    let reply = ask(&mut h, "<query xmlns='jabber:iq:version'/>");
    let v = Version::try_from(reply.children().next().unwrap()).unwrap();
    assert_eq!(v.name.as_deref(), Some("xmpp-server"));
    assert_eq!(v.version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(v.os, None);
}

#[test]
fn entity_time_is_the_wall_clock_handed_in() {
    let mut h = Harness::new();
    let reply = ask(&mut h, "<time xmlns='urn:xmpp:time'/>");
    let t = EntityTime::try_from(reply.children().next().unwrap()).unwrap();
    assert_eq!(t.utc.unwrap().to_string(), "2009-02-13T23:31:30Z");
}

#[test]
fn ucr_xep_10_in_band_registration_is_refused() {
    let mut h = Harness::new();
    let reply = ask(&mut h, "<query xmlns='jabber:iq:register'/>");
    assert_eq!(
        error_condition(&reply).as_deref(),
        Some("service-unavailable")
    );
    let romeo = h.available("romeo", "second", 0);
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='set' id='r' to='example.com'><query xmlns='jabber:iq:register'>\
         <username>mallory</username><password>x</password></query></iq>",
    );
    assert_eq!(
        error_condition(&to(romeo, &out)[0]).as_deref(),
        Some("service-unavailable")
    );
}

#[test]
fn a_disco_node_the_server_does_not_have_is_item_not_found() {
    let mut h = Harness::new();
    let reply = ask(
        &mut h,
        "<query xmlns='http://jabber.org/protocol/disco#info' node='nope'/>",
    );
    assert_eq!(error_condition(&reply).as_deref(), Some("item-not-found"));
}

#[test]
fn results_and_errors_addressed_to_the_server_are_not_answered() {
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    for xml in [
        "<iq xmlns='jabber:client' type='result' id='push1'/>",
        "<iq xmlns='jabber:client' type='error' id='push2' to='example.com'><error type='cancel'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    ] {
        assert!(h.exchange(romeo, xml).is_empty(), "{xml}");
    }
}
