//! XEP-0258 security labels in the server core: catalog discovery and retrieval, delivery by
//! clearance (online and offline), the sender-side check, unlabelled messages, and the errors
//! refusals are answered with.
//!
//! Requirement ids: the NATO BCS profile (Annex 1 §1.2.7, "Labelling service", MAY) has three
//! unnumbered parts, numbered here L-01..L-03: (1) extensible label formats travel with
//! stanzas, (2) a display marking with colours travels with the label, (3) a client can fetch
//! the catalogue of labels valid for a given recipient under the security policy. The delivery
//! control itself is XEP-0258's (`xep_0258_` tests); the profile does not number it. The L ids
//! are not yet rows of `docs/spec/nato-bcs.tsv`, so they credit nothing until the list gains
//! them; N-50 (an entity conforming to an advanced service supports its namespaces) is a row.

mod support;

use std::sync::{Arc, Mutex};

use support::{DOMAIN, Harness, error_condition, to};
use xmpp_server::Config;
use xmpp_server::labels::{
    Catalog, CatalogItem, Clearance, ClearancePolicy, Label, LabelConfig, LabelDecision,
    LabelPolicy, PassThrough, SecurityLabel,
};
use xmpp_stanza::Message;
use xmpp_stanza::xep::disco::DiscoInfo;
use xmpp_stanza::xep::seclabel::{DisplayMarking, message_label};
use xmpp_stream::xml::Element;

const UNCLASSIFIED: &str = "MQYCAQEGASk=";
const SECRET: &str = "MQYCAQQGASk=";
/// A well-formed ESS label the example policy does not define.
const UNDEFINED: &str = "MQYCAQUGASk=";

fn ess(b64: &str) -> Label {
    let e: Element =
        format!("<esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>{b64}</esssecuritylabel>")
            .parse()
            .unwrap();
    Label::from_element(&e).unwrap()
}

fn label_xml(marking: &str, bg: &str, b64: &str) -> String {
    format!(
        "<securitylabel xmlns='urn:xmpp:sec-label:0'>\
         <displaymarking fgcolor='black' bgcolor='{bg}'>{marking}</displaymarking>\
         <label><esssecuritylabel xmlns='urn:xmpp:sec-label:ess:0'>{b64}</esssecuritylabel></label>\
         </securitylabel>"
    )
}

fn secret_xml() -> String {
    label_xml("SECRET", "red", SECRET)
}

fn unclassified_xml() -> String {
    label_xml("UNCLASSIFIED", "green", UNCLASSIFIED)
}

fn catalog() -> Catalog {
    let label = |xml: String| SecurityLabel::try_from(&xml.parse::<Element>().unwrap()).unwrap();
    let mut c = Catalog {
        name: Some("Example policy".into()),
        desc: Some("labels for example.com".into()),
        ..Catalog::default()
    };
    c.items.push(CatalogItem::unlabelled("Unclassified|None"));
    c.items.push(
        CatalogItem::labelled("Unclassified|UNCLASSIFIED", label(unclassified_xml())).as_default(),
    );
    c.items.push(CatalogItem::labelled(
        "Classified|SECRET",
        label(secret_xml()),
    ));
    c
}

/// Everyone: unlabelled and UNCLASSIFIED. Juliet: SECRET too. Tybalt: SECRET and
/// UNCLASSIFIED, but no unlabelled traffic.
fn policy() -> ClearancePolicy {
    let c = catalog();
    ClearancePolicy::new(
        Clearance::unlabelled_only()
            .with_selectors(&c, ["Unclassified|UNCLASSIFIED"])
            .unwrap(),
    )
    .defined_by(&c)
    .with_account(
        "juliet@example.com".parse().unwrap(),
        Clearance::none()
            .with_selectors(
                &c,
                [
                    "Unclassified|None",
                    "Unclassified|UNCLASSIFIED",
                    "Classified|SECRET",
                ],
            )
            .unwrap(),
    )
    .with_account(
        "tybalt@example.com".parse().unwrap(),
        Clearance::none()
            .with_label(ess(UNCLASSIFIED))
            .with_label(ess(SECRET))
            .allow_unlabelled(false),
    )
}

fn labelled_config() -> Config {
    let mut config = Config::new([DOMAIN]);
    config.labels = LabelConfig::new(Arc::new(policy())).with_catalog(catalog());
    config
}

fn message(to: &str, id: &str, label: &str) -> String {
    format!(
        "<message xmlns='jabber:client' type='chat' id='{id}' to='{to}'><body>text</body>{label}</message>"
    )
}

/// The `type` of the `<error/>` in `el`.
fn error_type(el: &Element) -> Option<String> {
    el.children()
        .find(|c| c.name() == "error")
        .and_then(|e| e.attr("type"))
        .map(str::to_owned)
}

fn catalog_request(id: &str, recipient: &str) -> String {
    format!(
        "<iq xmlns='jabber:client' type='get' id='{id}' to='example.com'>\
         <catalog xmlns='urn:xmpp:sec-label:catalog:2' to='{recipient}'/></iq>"
    )
}

fn selectors(c: &Catalog) -> Vec<&str> {
    c.items
        .iter()
        .map(|i| i.selector.as_deref().unwrap())
        .collect()
}

/// The catalog in the result `el`.
fn catalog_of(el: &Element) -> Catalog {
    assert_eq!(el.attr("type"), Some("result"), "{el:?}");
    Catalog::try_from(el.child("catalog", "urn:xmpp:sec-label:catalog:2").unwrap()).unwrap()
}

#[test]
fn nato_n_50_nato_l_03_disco_info_advertises_labels_and_the_catalog_only_when_configured() {
    let disco = "<iq xmlns='jabber:client' type='get' id='d1' to='example.com'>\
                 <query xmlns='http://jabber.org/protocol/disco#info'/></iq>";
    let features = |config: Config| {
        let mut h = Harness::with(config);
        let romeo = h.available("romeo", "orchard", 0);
        let out = h.exchange(romeo, disco);
        let reply = &to(romeo, &out)[0];
        let info = DiscoInfo::try_from(
            reply
                .child("query", "http://jabber.org/protocol/disco#info")
                .unwrap(),
        )
        .unwrap();
        (
            info.has_feature("urn:xmpp:sec-label:0"),
            info.has_feature("urn:xmpp:sec-label:catalog:2"),
        )
    };
    assert_eq!(features(labelled_config()), (true, true));
    assert_eq!(features(Config::new([DOMAIN])), (false, false));
    let mut policy_only = Config::new([DOMAIN]);
    policy_only.labels = LabelConfig::new(Arc::new(PassThrough));
    assert_eq!(features(policy_only), (true, false));
}

#[test]
fn nato_l_03_the_catalog_lists_the_labels_valid_for_the_requested_recipient() {
    let mut h = Harness::with(labelled_config());
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);

    // Juliet to tybalt: both cleared for SECRET, tybalt takes no unlabelled traffic.
    let out = h.exchange(juliet, &catalog_request("c1", "tybalt@example.com"));
    let reply = &to(juliet, &out)[0];
    assert_eq!(reply.attr("id"), Some("c1"));
    assert_eq!(reply.attr("from"), Some("example.com"));
    let c = catalog_of(reply);
    assert_eq!(c.to.as_ref().unwrap().as_str(), "tybalt@example.com");
    assert_eq!(c.name.as_deref(), Some("Example policy"));
    assert_eq!(
        selectors(&c),
        ["Unclassified|UNCLASSIFIED", "Classified|SECRET"]
    );
    assert_eq!(c.size, Some(2));
    assert_eq!(
        c.default_item().unwrap().selector.as_deref(),
        Some("Unclassified|UNCLASSIFIED")
    );
    // The label and its display marking come whole.
    let secret = c.item("Classified|SECRET").unwrap().label.as_ref().unwrap();
    assert_eq!(secret.label, ess(SECRET));
    assert_eq!(
        secret.marking,
        Some(DisplayMarking::new("SECRET").with_colors("black", "red"))
    );

    // Juliet to romeo: romeo is not cleared for SECRET.
    let out = h.exchange(juliet, &catalog_request("c2", "romeo@example.com/orchard"));
    let c = catalog_of(&to(juliet, &out)[0]);
    assert_eq!(
        selectors(&c),
        ["Unclassified|None", "Unclassified|UNCLASSIFIED"]
    );
    assert_eq!(c.to.as_ref().unwrap().as_str(), "romeo@example.com/orchard");

    // Romeo to juliet: romeo may not apply SECRET himself.
    let out = h.exchange(romeo, &catalog_request("c3", "juliet@example.com"));
    let c = catalog_of(&to(romeo, &out)[0]);
    assert_eq!(
        selectors(&c),
        ["Unclassified|None", "Unclassified|UNCLASSIFIED"]
    );

    // A request without a recipient is for the domain itself.
    let out = h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='c4' to='example.com'>\
         <catalog xmlns='urn:xmpp:sec-label:catalog:2'/></iq>",
    );
    let c = catalog_of(&to(romeo, &out)[0]);
    assert_eq!(c.to.as_ref().unwrap().as_str(), "example.com");
}

#[test]
fn nato_l_03_catalog_requests_the_server_cannot_answer_get_the_right_error() {
    let mut h = Harness::with(labelled_config());
    let romeo = h.available("romeo", "orchard", 0);
    let ask = |h: &mut Harness, xml: &str| {
        let out = h.exchange(romeo, xml);
        let reply = to(romeo, &out);
        assert_eq!(reply.len(), 1, "{out:?}");
        assert_eq!(reply[0].attr("type"), Some("error"), "{out:?}");
        error_condition(&reply[0]).unwrap()
    };
    // Malformed: a recipient that is no JID, an unknown attribute value.
    assert_eq!(
        ask(&mut h, &catalog_request("e1", "a@b@c")),
        "jid-malformed"
    );
    assert_eq!(
        ask(
            &mut h,
            "<iq xmlns='jabber:client' type='get' id='e2' to='example.com'>\
             <catalog xmlns='urn:xmpp:sec-label:catalog:2' restrict='perhaps'/></iq>"
        ),
        "bad-request"
    );
    // A set, and a request to the account rather than the server.
    assert_eq!(
        ask(
            &mut h,
            "<iq xmlns='jabber:client' type='set' id='e3' to='example.com'>\
             <catalog xmlns='urn:xmpp:sec-label:catalog:2'/></iq>"
        ),
        "service-unavailable"
    );
    assert_eq!(
        ask(
            &mut h,
            "<iq xmlns='jabber:client' type='get' id='e4'>\
             <catalog xmlns='urn:xmpp:sec-label:catalog:2' to='juliet@example.com'/></iq>"
        ),
        "service-unavailable"
    );
    // No catalog configured: the feature does not exist.
    let mut h = Harness::new();
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(romeo, &catalog_request("e5", "juliet@example.com"));
    assert_eq!(
        error_condition(&to(romeo, &out)[0]).as_deref(),
        Some("service-unavailable")
    );
}

#[test]
fn nato_l_02_a_labelled_message_reaches_a_cleared_recipient_with_label_and_marking() {
    let mut h = Harness::with(labelled_config());
    let juliet = h.available("juliet", "balcony", 0);
    let tybalt = h.available("tybalt", "sword", 0);
    for addr in ["tybalt@example.com/sword", "tybalt@example.com"] {
        let out = h.exchange(juliet, &message(addr, "m1", &secret_xml()));
        let got = to(tybalt, &out);
        assert_eq!(got.len(), 1, "{out:?}");
        assert!(to(juliet, &out).is_empty(), "no bounce: {out:?}");
        let m = Message::try_from(&got[0]).unwrap();
        let label = message_label(&m).unwrap().unwrap();
        assert_eq!(label.label, ess(SECRET));
        let marking = label.marking.unwrap();
        assert_eq!(
            (
                marking.text.as_str(),
                marking.foreground(),
                marking.background()
            ),
            ("SECRET", "black", "red")
        );
    }
}

#[test]
fn xep_0258_a_recipient_not_cleared_for_the_label_is_not_sent_it_and_the_sender_gets_forbidden() {
    let mut h = Harness::with(labelled_config());
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);
    for (id, addr) in [
        ("m1", "romeo@example.com/orchard"),
        ("m2", "romeo@example.com"),
    ] {
        let out = h.exchange(juliet, &message(addr, id, &secret_xml()));
        assert!(to(romeo, &out).is_empty(), "{out:?}");
        let bounce = to(juliet, &out);
        assert_eq!(bounce.len(), 1, "{out:?}");
        assert_eq!(bounce[0].attr("type"), Some("error"));
        assert_eq!(bounce[0].attr("id"), Some(id));
        assert_eq!(bounce[0].attr("from"), Some(addr));
        assert_eq!(error_condition(&bounce[0]).as_deref(), Some("forbidden"));
        assert_eq!(error_type(&bounce[0]).as_deref(), Some("auth"));
    }
    // The same recipient gets what its clearance covers.
    let out = h.exchange(
        juliet,
        &message("romeo@example.com", "m3", &unclassified_xml()),
    );
    assert_eq!(to(romeo, &out).len(), 1, "{out:?}");
}

#[test]
fn xep_0258_a_label_the_policy_does_not_define_is_not_acceptable() {
    let mut h = Harness::with(labelled_config());
    let juliet = h.available("juliet", "balcony", 0);
    let tybalt = h.available("tybalt", "sword", 0);
    let out = h.exchange(
        juliet,
        &message(
            "tybalt@example.com",
            "m1",
            &label_xml("TOP SECRET", "yellow", UNDEFINED),
        ),
    );
    assert!(to(tybalt, &out).is_empty(), "{out:?}");
    let bounce = &to(juliet, &out)[0];
    assert_eq!(error_condition(bounce).as_deref(), Some("not-acceptable"));
    assert_eq!(error_type(bounce).as_deref(), Some("modify"));
}

#[test]
fn xep_0258_malformed_or_doubled_labels_are_bad_requests_when_a_policy_is_enforced() {
    let cases = [
        "<securitylabel xmlns='urn:xmpp:sec-label:0'><displaymarking>S</displaymarking></securitylabel>".to_owned(),
        format!("{}{}", unclassified_xml(), unclassified_xml()),
    ];
    for label in &cases {
        let mut h = Harness::with(labelled_config());
        let juliet = h.available("juliet", "balcony", 0);
        let romeo = h.available("romeo", "orchard", 0);
        let out = h.exchange(juliet, &message("romeo@example.com", "m1", label));
        assert!(to(romeo, &out).is_empty(), "{out:?}");
        assert_eq!(
            error_condition(&to(juliet, &out)[0]).as_deref(),
            Some("bad-request")
        );
        // Without a policy the server does not read labels: they pass through untouched.
        let mut h = Harness::new();
        let juliet = h.available("juliet", "balcony", 0);
        let romeo = h.available("romeo", "orchard", 0);
        let out = h.exchange(juliet, &message("romeo@example.com", "m1", label));
        assert_eq!(to(romeo, &out).len(), 1, "{out:?}");
    }
}

#[test]
fn xep_0258_unlabelled_messages_follow_the_recipients_clearance() {
    let mut h = Harness::with(labelled_config());
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);
    let tybalt = h.available("tybalt", "sword", 0);
    // Romeo and juliet take unlabelled messages.
    let out = h.exchange(romeo, &message("juliet@example.com", "u1", ""));
    assert_eq!(to(juliet, &out).len(), 1, "{out:?}");
    // Tybalt does not: unlabelled traffic is refused like an uncleared label.
    let out = h.exchange(romeo, &message("tybalt@example.com", "u2", ""));
    assert!(to(tybalt, &out).is_empty(), "{out:?}");
    assert_eq!(
        error_condition(&to(romeo, &out)[0]).as_deref(),
        Some("forbidden")
    );
    // Nor may tybalt send unlabelled, even to someone who would take it.
    let out = h.exchange(tybalt, &message("juliet@example.com", "u3", ""));
    assert!(to(juliet, &out).is_empty(), "{out:?}");
    assert_eq!(
        error_condition(&to(tybalt, &out)[0]).as_deref(),
        Some("forbidden")
    );
    // With no policy at all, labelled and unlabelled messages pass alike.
    let mut h = Harness::new();
    let juliet = h.available("juliet", "balcony", 0);
    let romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(romeo, &message("juliet@example.com", "u4", &secret_xml()));
    let got = to(juliet, &out);
    assert_eq!(got.len(), 1, "{out:?}");
    assert_eq!(
        message_label(&Message::try_from(&got[0]).unwrap())
            .unwrap()
            .unwrap()
            .label,
        ess(SECRET)
    );
}

#[test]
fn xep_0258_offline_storage_keeps_only_what_the_recipients_clearance_covers() {
    let mut h = Harness::with(labelled_config());
    let juliet = h.available("juliet", "balcony", 0);
    let romeo_bare = "romeo@example.com".parse().unwrap();
    let stored =
        |h: &Harness| xmpp_server::Storage::offline_count(h.server.storage(), &romeo_bare).unwrap();

    // Romeo is offline: a SECRET message is bounced, not stored.
    let out = h.exchange(juliet, &message("romeo@example.com", "m1", &secret_xml()));
    assert_eq!(
        error_condition(&to(juliet, &out)[0]).as_deref(),
        Some("forbidden")
    );
    assert_eq!(stored(&h), 0);
    // An UNCLASSIFIED one is stored, and delivered with its label when he comes online.
    let out = h.exchange(
        juliet,
        &message("romeo@example.com/orchard", "m2", &unclassified_xml()),
    );
    assert!(out.is_empty(), "stored, not bounced: {out:?}");
    assert_eq!(stored(&h), 1);
    let romeo = h.online("romeo", "orchard");
    let out = h.exchange(romeo, "<presence xmlns='jabber:client'/>");
    let delivered: Vec<_> = to(romeo, &out)
        .into_iter()
        .filter(|e| e.name() == "message")
        .collect();
    assert_eq!(delivered.len(), 1, "{out:?}");
    let m = Message::try_from(&delivered[0]).unwrap();
    assert_eq!(m.id.as_deref(), Some("m2"));
    assert_eq!(message_label(&m).unwrap().unwrap().label, ess(UNCLASSIFIED));
    assert_eq!(stored(&h), 0);
}

#[test]
fn xep_0258_a_sender_may_not_apply_a_label_beyond_its_own_clearance() {
    let mut h = Harness::with(labelled_config());
    let romeo = h.available("romeo", "orchard", 0);
    let tybalt = h.available("tybalt", "sword", 0);
    // Tybalt could receive SECRET, but romeo may not send it.
    let out = h.exchange(romeo, &message("tybalt@example.com", "s1", &secret_xml()));
    assert!(to(tybalt, &out).is_empty(), "{out:?}");
    let bounce = &to(romeo, &out)[0];
    assert_eq!(error_condition(bounce).as_deref(), Some("forbidden"));
    assert_eq!(error_type(bounce).as_deref(), Some("auth"));
    // The check holds whatever the destination: a remote domain, the server, a component.
    for addr in [
        "mercutio@verona.example",
        "example.com",
        "conference.example.com",
    ] {
        let out = h.exchange(romeo, &message(addr, "s2", &secret_xml()));
        assert_eq!(
            error_condition(&to(romeo, &out)[0]).as_deref(),
            Some("forbidden"),
            "{addr}: {out:?}"
        );
    }
}

#[test]
fn xep_0258_a_refused_error_message_is_dropped_not_answered() {
    let mut h = Harness::with(labelled_config());
    let juliet = h.available("juliet", "balcony", 0);
    let _romeo = h.available("romeo", "orchard", 0);
    let out = h.exchange(
        juliet,
        &format!(
            "<message xmlns='jabber:client' type='error' id='x1' to='romeo@example.com/orchard'>{}\
             <error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
            secret_xml()
        ),
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn xep_0258_messages_from_components_are_checked_on_delivery() {
    let mut config = labelled_config();
    config
        .components
        .push(xmpp_server::Component::new("conference.example.com", "s"));
    let mut h = Harness::with(config);
    let romeo = h.available("romeo", "orchard", 0);
    let muc = h.component("conference.example.com");
    let out = h.exchange(
        muc,
        &format!(
            "<message xmlns='jabber:component:accept' type='groupchat' id='g1' \
             from='room@conference.example.com/nurse' to='romeo@example.com/orchard'>\
             <body>text</body>{}</message>",
            secret_xml()
        ),
    );
    assert!(to(romeo, &out).is_empty(), "{out:?}");
    let bounce = &to(muc, &out)[0];
    assert_eq!(bounce.attr("to"), Some("room@conference.example.com/nurse"));
    assert_eq!(error_condition(bounce).as_deref(), Some("forbidden"));
}

/// Records every question, answers from a fixed table.
#[derive(Default)]
struct Recorder {
    delivered: Mutex<Vec<(Option<SecurityLabel>, String, String)>>,
}

impl LabelPolicy for Recorder {
    fn may_send(&self, _: Option<&SecurityLabel>, _: &xmpp_im::jid::Jid) -> LabelDecision {
        LabelDecision::Allow
    }

    fn may_deliver(
        &self,
        label: Option<&SecurityLabel>,
        from: &xmpp_im::jid::Jid,
        to: &xmpp_im::jid::BareJid,
    ) -> LabelDecision {
        self.delivered
            .lock()
            .unwrap()
            .push((label.cloned(), from.to_string(), to.to_string()));
        LabelDecision::Allow
    }
}

#[test]
fn xep_0258_the_policy_decides_once_per_message_for_the_whole_account() {
    let recorder = Arc::new(Recorder::default());
    let mut config = Config::new([DOMAIN]);
    config.labels = LabelConfig::new(recorder.clone());
    let mut h = Harness::with(config);
    let romeo = h.available("romeo", "orchard", 0);
    let balcony = h.available("juliet", "balcony", 1);
    let garden = h.available("juliet", "garden", 1);
    // Bare-JID delivery, with two resources to choose from: one decision.
    let out = h.exchange(romeo, &message("juliet@example.com", "m1", &secret_xml()));
    assert!(
        !(to(balcony, &out).is_empty() && to(garden, &out).is_empty()),
        "{out:?}"
    );
    let calls = recorder.delivered.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let (label, from, to_jid) = &calls[0];
    assert_eq!(label.as_ref().unwrap().label, ess(SECRET));
    assert_eq!(from, "romeo@example.com/orchard");
    assert_eq!(to_jid, "juliet@example.com");
    // Presence and IQs are not the policy's business.
    h.exchange(
        romeo,
        "<presence xmlns='jabber:client' to='juliet@example.com/balcony'/>",
    );
    h.exchange(
        romeo,
        "<iq xmlns='jabber:client' type='get' id='q' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert_eq!(recorder.delivered.lock().unwrap().len(), 1);
}
