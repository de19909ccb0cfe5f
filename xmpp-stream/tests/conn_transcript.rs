//! Client machine against server machine, in memory, with a fake clock and deterministic
//! random sources: every negotiation path end to end.

mod conn_support;

use std::sync::Arc;
use std::time::Duration;

use conn_support::*;
use xmpp_stream::bind::{BindDecision, BindError};
use xmpp_stream::connection::{
    AuthMethod, CloseReason, Connection, Event, InitiatorAuth, InitiatorConfig, NegotiationFailure,
    ReceiverAuth, ReceiverConfig, SendError,
};
use xmpp_stream::header::{StreamKind, Version};
use xmpp_stream::profile::{Profile, TlsPolicy};
use xmpp_stream::stream_error::StreamCondition;
use xmpp_stream::xml::Element;

fn ids(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StreamOpened { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            Event::StreamOpened { .. } => "opened",
            Event::TlsEstablished(_) => "tls",
            Event::Authenticated { .. } => "authenticated",
            Event::AuthFailed { .. } => "auth-failed",
            Event::BindRequest { .. } => "bind-request",
            Event::Bound(_) => "bound",
            Event::Established => "established",
            Event::Stanza(_) => "stanza",
            Event::StreamError(_) => "stream-error",
            Event::Closed(_) => "closed",
            _ => "other",
        })
        .collect()
}

fn message(to: &str, body: &str) -> Element {
    Element::builder("message", "jabber:client")
        .attr("to", to.to_owned())
        .child(Element::builder("body", "jabber:client").text(body.to_owned()))
        .build()
}

/// Full c2s negotiation over STARTTLS with the default (RFC 6120) profile: TLS required,
/// SCRAM, client-requested resource.
fn tls_session() -> (Connection, Connection, Transcript) {
    let pki = TestPki::example();
    let mut c = client(ClientOpts::tls(&pki));
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    (c, s, t)
}

#[test]
fn ucr_gen_12_c2s_lifecycle_order_over_starttls() {
    let (c, s, t) = tls_session();
    assert!(c.is_established() && s.is_established());
    assert_eq!(
        kinds(&t.client_events),
        [
            "opened",
            "tls",
            "opened",
            "authenticated",
            "opened",
            "bound",
            "established"
        ]
    );
    assert_eq!(
        kinds(&t.server_events),
        [
            "opened",
            "tls",
            "opened",
            "authenticated",
            "opened",
            "bind-request",
            "bound",
            "established"
        ]
    );
    assert_eq!(
        c.bound_jid().unwrap().as_str(),
        "juliet@example.com/balcony"
    );
    assert_eq!(s.bound_jid(), c.bound_jid());
    let Some(Event::Authenticated {
        mechanism,
        identity,
    }) = t
        .client_events
        .iter()
        .find(|e| matches!(e, Event::Authenticated { .. }))
    else {
        unreachable!()
    };
    // Channel binding is available after TLS, so the -PLUS variant is chosen.
    assert!(
        matches!(mechanism, AuthMethod::Sasl(m) if m.is_plus()),
        "{mechanism}"
    );
    assert_eq!(identity, "juliet@example.com");
}

#[test]
fn ucr_stream_11_ucr_tls_15_ucr_sasl_15_fresh_stream_id_after_every_restart() {
    let (_c, _s, t) = tls_session();
    let server_ids = ids(&t.server_events);
    let client_ids = ids(&t.client_events);
    assert_eq!(server_ids, client_ids);
    assert_eq!(server_ids.len(), 3);
    assert_ne!(server_ids[0], server_ids[1]);
    assert_ne!(server_ids[1], server_ids[2]);
    assert_ne!(server_ids[0], server_ids[2]);
    // UCR-ATTR-9: at least 128 bits (18 random bytes, base64).
    assert!(server_ids.iter().all(|id| id.len() == 24));
}

#[test]
fn ucr_tls_5_first_features_offer_only_starttls_required() {
    let pki = TestPki::example();
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<stream:stream from='juliet@example.com' to='example.com' version='1.0' xml:lang='en' \
          xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "<?xml version='1.0'?><stream:stream from='example.com' id='{id}' to='juliet@example.com' \
             version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\
             <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
             </stream:features>"
        )
    );
}

#[test]
fn ucr_tls_18_nothing_of_sasl_crosses_the_wire_before_tls() {
    let (_c, _s, t) = tls_session();
    // Only the first (plaintext) features are readable on the wire: STARTTLS alone, and no
    // mechanism offered in the clear.
    let s2c = t.s2c_str();
    assert!(
        s2c.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>")
    );
    assert!(
        !s2c.contains("mechanism>"),
        "no mechanism may be offered in plaintext"
    );
    assert!(
        t.c2s_str()
            .contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    );
    // No credentials in the clear: the only plaintext client elements are header + starttls.
    assert!(!t.c2s_str().contains("<auth"));
}

// ---------------------------------------------------------------- inside TLS, by hand

/// The initial header of a hand-written c2s client.
const RAW_HEADER: &[u8] = b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams'>";

/// PLAIN for juliet with the right password (authzid '', authcid 'juliet').
const RAW_PLAIN_AUTH: &[u8] = b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>\
    AGp1bGlldAByMG0zMG15cjBtMzA=</auth>";

/// Sends the raw header and `<starttls/>` to `s`, checks `<proceed/>`, then runs the TLS
/// handshake against `s` trusting `pki`'s CA, with a rustls client the test holds.
fn start_tls_by_hand(s: &mut Connection, pki: &TestPki) -> TlsByHand {
    let (out, _) = feed(s, secs(0), RAW_HEADER);
    assert!(
        out.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"),
        "{out}"
    );
    let (out, _) = feed(
        s,
        secs(0),
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    );
    assert_eq!(out, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    TlsByHand::handshake(s, pki.client_config())
}

/// The `<stream:features>...</stream:features>` part of `out`.
fn features_of(out: &str) -> &str {
    let start = out.find("<stream:features").expect("features sent");
    let end = out.find("</stream:features>").expect("features closed") + "</stream:features>".len();
    &out[start..end]
}

#[test]
fn ucr_tls_16_post_tls_features_offer_sasl_and_no_starttls() {
    let pki = TestPki::example();
    for profile in [Profile::rfc6120(), Profile::dod_ucr_2008()] {
        let mut s = server(profile, Some(pki.server_config()), false);
        let mut tls = start_tls_by_hand(&mut s, &pki);
        let out = tls.exchange(&mut s, RAW_HEADER);
        let id = s.stream_id().unwrap().to_owned();
        assert!(
            out.starts_with(&format!(
                "<?xml version='1.0'?><stream:stream from='example.com' id='{id}' "
            )),
            "{out}"
        );
        let features = features_of(&out);
        assert!(!features.contains("starttls"), "{features}");
        assert!(!features.contains("xmpp-tls"), "{features}");
        assert!(
            features.contains("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"),
            "{features}"
        );
        // UCR-SASL-8: PLAIN is among them once TLS is up.
        assert!(
            features.contains("<mechanism>PLAIN</mechanism>"),
            "{features}"
        );
        // Nothing after SASL is offered yet.
        assert!(!features.contains("xmpp-bind"), "{features}");
    }
}

#[test]
fn ucr_bind_5_post_sasl_features_include_bind() {
    let pki = TestPki::example();
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut tls = start_tls_by_hand(&mut s, &pki);
    let out = tls.exchange(&mut s, RAW_HEADER);
    assert!(features_of(&out).contains("xmpp-sasl"), "{out}");
    let out = tls.exchange(&mut s, RAW_PLAIN_AUTH);
    assert_eq!(out, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    let out = tls.exchange(&mut s, RAW_HEADER);
    let features = features_of(&out);
    assert!(
        features.contains("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"),
        "{features}"
    );
    assert!(!features.contains("xmpp-sasl"), "{features}");
    assert!(!features.contains("xmpp-tls"), "{features}");
}

#[test]
fn ucr_tls_14_no_closing_tag_for_the_replaced_stream() {
    let (_c, _s, t) = tls_session();
    assert!(!t.c2s_str().contains("</stream:stream>"));
    assert!(!t.s2c_str().contains("</stream:stream>"));
}

#[test]
fn stanzas_flow_both_ways_and_close_handshake_completes() {
    let (mut c, mut s, _) = tls_session();
    c.send(&message("romeo@example.net", "Wherefore art thou?"))
        .unwrap();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(1), &mut t);
    let Some(Event::Stanza(m)) = t.server_events.first() else {
        panic!("{:?}", t.server_events)
    };
    assert_eq!(m.attr("from"), Some("juliet@example.com/balcony"));
    assert_eq!(
        m.child_text("body", "jabber:client").as_deref(),
        Some("Wherefore art thou?")
    );
    s.send(&message("juliet@example.com/balcony", "Here"))
        .unwrap();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(1), &mut t);
    assert!(matches!(t.client_events.first(), Some(Event::Stanza(_))));
    // UCR-STREAM-18/23: the client closes, the server answers, both report a graceful close.
    c.close();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(2), &mut t);
    assert_eq!(t.client_events, vec![Event::Closed(CloseReason::Graceful)]);
    assert_eq!(t.server_events, vec![Event::Closed(CloseReason::Graceful)]);
    assert!(c.is_closed() && s.is_closed());
}

#[test]
fn ucr_stream_20_inbound_stanzas_still_arrive_while_closing() {
    let (mut c, mut s, _) = tls_session();
    c.close();
    // The server sends a stanza before it sees our close.
    s.send(&message("juliet@example.com/balcony", "late"))
        .unwrap();
    let late = s.poll_transmit().unwrap();
    c.handle_input(secs(1), &late);
    let (_, events) = drain(&mut c);
    assert!(
        matches!(events.first(), Some(Event::Stanza(_))),
        "{events:?}"
    );
    assert!(!c.is_closed());
}

#[test]
fn direct_tls_xep_0368_needs_no_starttls() {
    let pki = TestPki::example();
    let mut opts = ClientOpts::tls(&pki);
    opts.direct_tls = true;
    let mut c = client(opts);
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), true);
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert!(c.is_established() && s.is_established());
    assert_eq!(
        kinds(&t.client_events),
        [
            "tls",
            "opened",
            "authenticated",
            "opened",
            "bound",
            "established"
        ]
    );
    // Nothing readable went over the wire.
    assert!(!t.c2s_str().contains("stream:stream"));
    assert_eq!(t.c2s[0], 0x16, "TLS handshake record first");
}

#[test]
fn ucr_tls_1_client_refuses_a_server_without_tls() {
    let pki = TestPki::example();
    let mut c = client(ClientOpts::tls(&pki));
    let mut profile = plaintext_profile();
    profile.tls = TlsPolicy::Disabled;
    let mut s = server(profile, None, false);
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    // No downgrade, no credentials in the clear: the client closes.
    assert!(!t.c2s_str().contains("<auth"));
    assert!(matches!(
        t.client_events.last(),
        Some(Event::Closed(CloseReason::NegotiationFailed(_)))
    ));
    assert!(t.c2s_str().ends_with("</stream:stream>"));
}

#[test]
fn ucr_sasl_25_wrong_password_fails_and_client_closes() {
    let pki = TestPki::example();
    let mut opts = ClientOpts::tls(&pki);
    opts.password = "wrong";
    let mut c = client(opts);
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert!(t.client_events.iter().any(|e| matches!(
        e,
        Event::AuthFailed { condition, .. } if *condition == xmpp_sasl::SaslCondition::NotAuthorized
    )));
    assert!(matches!(
        t.client_events.last(),
        Some(Event::Closed(CloseReason::NegotiationFailed(_)))
    ));
    assert!(matches!(
        t.server_events.last(),
        Some(Event::Closed(CloseReason::Graceful))
    ));
}

#[test]
fn ucr_sasl_27_ucr_sasl_28_dod_receiver_allows_its_retries_then_policy_violation() {
    // UCR-SASL-27: the DoD preset allows 2 to 3 retries (one attempt plus the retries).
    let dod = Profile::dod_ucr_2008();
    let retries = dod.sasl_max_attempts - 1;
    assert!((2..=3).contains(&retries), "{retries} retries");
    // The receiver counts: with the preset's limit and with the other allowed one, every
    // configured attempt gets a plain <failure/>, and the first one beyond the limit ends the
    // stream with <policy-violation/> (UCR-SASL-28). Only the TLS knobs are changed, so that
    // the bytes are readable; the DoD rules forbid that (UCR-TLS-1), so the changed profile
    // is validated as plain RFC 6120, whose retry bounds contain the DoD ones.
    for attempts in [dod.sasl_max_attempts, 3, 4] {
        let mut profile = Profile::dod_ucr_2008();
        profile.sasl_max_attempts = attempts;
        assert_eq!(profile.validate(), Ok(()));
        profile.tls = TlsPolicy::Disabled;
        profile.allow_plaintext_auth = true;
        assert!(profile.validate().is_err(), "DoD without TLS");
        profile.conformance = xmpp_stream::profile::Conformance::Rfc6120;
        assert_eq!(profile.validate(), Ok(()));
        let mut s = server(profile, None, false);
        let _ = feed(&mut s, secs(0), RAW_HEADER);
        // PLAIN with a wrong password: authzid '', authcid 'juliet', password 'x'.
        let bad =
            b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB4</auth>";
        let failure =
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>";
        for attempt in 1..attempts {
            let (out, events) = feed(&mut s, secs(1), bad);
            assert_eq!(out, failure, "attempt {attempt} of {attempts}");
            assert!(
                matches!(events[..], [Event::AuthFailed { .. }]),
                "{events:?}"
            );
            assert!(!s.is_closed());
        }
        let (out, events) = feed(&mut s, secs(1), bad);
        assert_eq!(
            out,
            format!(
                "{failure}<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
                 <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>too many authentication attempts</text>\
                 </stream:error></stream:stream>"
            ),
            "attempt {attempts} of {attempts}"
        );
        assert!(matches!(
            events.last(),
            Some(Event::Closed(CloseReason::LocalError(e))) if e.condition() == StreamCondition::PolicyViolation
        ));
        assert!(s.is_closed());
        // Even the right password is not heard any more.
        let (out, events) = feed(&mut s, secs(1), RAW_PLAIN_AUTH);
        assert_eq!(out, "");
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::Authenticated { .. }))
        );
    }
}

#[test]
fn sasl_abort_and_bad_base64_get_their_failures() {
    let mut s = plaintext_server();
    let _ = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=AAA</auth>",
    );
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><incorrect-encoding/></failure>"
    );
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>"
    );
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    assert!(
        out.starts_with("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>"),
        "{out}"
    );
}

#[test]
fn ucr_tls_18_auth_before_tls_is_refused_when_tls_is_required() {
    let pki = TestPki::example();
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let _ = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>",
    );
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Authenticated { .. }))
    );
}

#[test]
fn plaintext_after_proceed_is_never_read_as_xml_by_the_initiator() {
    let pki = TestPki::example();
    let mut c = client(ClientOpts::tls(&pki));
    let _ = drain(&mut c);
    let (_, _) = feed(
        &mut c,
        secs(0),
        b"<stream:stream from='example.com' id='abc' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'><stream:features>\
          <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
    );
    let (out, events) = feed(
        &mut c,
        secs(0),
        b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message><body>injected</body></message>",
    );
    assert_eq!(out, "");
    assert!(!events.iter().any(|e| matches!(e, Event::Stanza(_))));
    assert!(
        matches!(
            events.last(),
            Some(Event::Closed(CloseReason::TlsFailed(_)))
        ),
        "{events:?}"
    );
}

#[test]
fn ucr_tls_11_plaintext_after_starttls_goes_to_tls_on_the_receiver() {
    let pki = TestPki::example();
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let _ = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB4</auth>",
    );
    // <proceed/> went out; the plaintext <auth> was handed to TLS, which refused it.
    assert!(
        out.starts_with("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        "{out}"
    );
    assert!(!out.contains("<failure"));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::AuthFailed { .. } | Event::Authenticated { .. }))
    );
    assert!(
        matches!(
            events.last(),
            Some(Event::Closed(CloseReason::TlsFailed(_)))
        ),
        "{events:?}"
    );
}

#[test]
fn ucr_tls_8_starttls_refused_when_not_offered() {
    let mut s = plaintext_server();
    let _ = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    );
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"
    );
    assert_eq!(events, vec![Event::Closed(CloseReason::StartTlsFailed)]);
}

#[test]
fn ucr_bind_6_server_generated_resource() {
    let pki = TestPki::example();
    let mut opts = ClientOpts::tls(&pki);
    opts.resource = None;
    let mut c = client(opts);
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut t = Transcript::default();
    pump_with(&mut c, &mut s, secs(0), &mut t, &mut |s, requested| {
        assert_eq!(requested, None);
        let r = s.generate_resource();
        s.bind(BindDecision::Accept(r)).unwrap();
    });
    let jid = c.bound_jid().unwrap();
    assert_eq!(jid.resource().len(), 36, "UUID form");
    assert_eq!(s.bound_jid(), Some(jid));
}

#[test]
fn bind_override_policy_client_adopts_the_servers_jid() {
    let pki = TestPki::example();
    let mut c = client(ClientOpts::tls(&pki));
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut t = Transcript::default();
    pump_with(&mut c, &mut s, secs(0), &mut t, &mut |s, requested| {
        assert_eq!(requested.as_deref(), Some("balcony"));
        s.bind(BindDecision::Accept("balcony-2".into())).unwrap();
    });
    assert_eq!(
        c.bound_jid().unwrap().as_str(),
        "juliet@example.com/balcony-2"
    );
}

#[test]
fn bind_refuse_policy_conflict_then_generated_retry() {
    let pki = TestPki::example();
    let mut c = client(ClientOpts::tls(&pki));
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut t = Transcript::default();
    let mut asked = Vec::new();
    pump_with(&mut c, &mut s, secs(0), &mut t, &mut |s, requested| {
        asked.push(requested.clone());
        match requested {
            Some(_) => s.bind(BindDecision::Refuse(BindError::Conflict)).unwrap(),
            None => s.bind(BindDecision::Accept("fresh".into())).unwrap(),
        }
    });
    assert_eq!(asked, vec![Some("balcony".to_owned()), None]);
    assert_eq!(c.bound_jid().unwrap().as_str(), "juliet@example.com/fresh");
}

#[test]
fn bind_takeover_policy_old_session_gets_conflict_stream_error() {
    let (mut old_c, mut old_s, _) = tls_session();
    let pki = TestPki::example();
    let mut c = client(ClientOpts::tls(&pki));
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut t = Transcript::default();
    pump_with(&mut c, &mut s, secs(0), &mut t, &mut |s, _| {
        old_s.close_with_error(xmpp_stream::stream_error::StreamError::new(
            StreamCondition::Conflict,
        ));
        s.bind(BindDecision::Accept("balcony".into())).unwrap();
    });
    assert!(c.is_established());
    let mut t2 = Transcript::default();
    pump(&mut old_c, &mut old_s, secs(1), &mut t2);
    assert!(matches!(
        t2.client_events.first(),
        Some(Event::StreamError(e)) if e.condition() == StreamCondition::Conflict
    ));
    assert!(old_c.is_closed());
}

#[test]
fn bind_refused_not_allowed_closes_the_client() {
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    let mut t = Transcript::default();
    pump_with(&mut c, &mut s, secs(0), &mut t, &mut |s, _| {
        s.bind(BindDecision::Refuse(BindError::NotAllowed)).unwrap();
    });
    assert!(matches!(
        t.client_events.last(),
        Some(Event::Closed(CloseReason::NegotiationFailed(
            NegotiationFailure::BindRefused(Some(BindError::NotAllowed))
        )))
    ));
}

#[test]
fn ucr_bind_4_stanza_before_bind_is_not_authorized() {
    // Authenticate over plaintext with a raw client, then send a message instead of bind.
    let mut s = plaintext_server();
    let header = b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>";
    let _ = feed(&mut s, secs(0), header);
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>",
    );
    assert_eq!(out, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    let (out, _) = feed(&mut s, secs(0), header);
    assert!(out.contains("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind>"));
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<message to='romeo@example.net'><body>x</body></message>",
    );
    assert_eq!(
        out,
        "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Stanza(_))));
}

#[test]
fn legacy_session_step_when_server_requires_it() {
    let mut profile = plaintext_profile();
    profile.legacy_session = true;
    let mut c = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Client,
            to: "example.com".into(),
            from: Some("juliet@example.com".into()),
            tls: None,
            direct_tls: false,
            auth: InitiatorAuth::Sasl(
                xmpp_sasl::Credentials::password("juliet", "r0m30myr0m30").unwrap(),
            ),
            resource: None,
        },
        Arc::new(profile),
        rng(5),
        secs(0),
    )
    .unwrap();
    // Server side scripted by hand: an old server that requires <session/>.
    let _ = drain(&mut c);
    let hdr = |id: &str| {
        format!(
            "<stream:stream from='example.com' id='{id}' version='1.0' xmlns='jabber:client' \
             xmlns:stream='http://etherx.jabber.org/streams'>"
        )
    };
    let _ = feed(
        &mut c,
        secs(0),
        format!(
            "{}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
            hdr("a")
        )
        .as_bytes(),
    );
    let (out, _) = feed(
        &mut c,
        secs(0),
        b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    assert!(out.starts_with("<?xml version='1.0'?><stream:stream"));
    let (out, _) = feed(
        &mut c,
        secs(0),
        format!(
            "{}<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
             <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>",
            hdr("b")
        )
        .as_bytes(),
    );
    let bind_id = out
        .split("id='")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let (out, events) = feed(
        &mut c,
        secs(0),
        format!(
            "<iq id='{bind_id}' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
             <jid>juliet@example.com/x</jid></bind></iq>"
        )
        .as_bytes(),
    );
    assert!(matches!(events[0], Event::Bound(_)));
    assert!(
        out.contains("<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"),
        "{out}"
    );
    let sess_id = out
        .split("id='")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let (_, events) = feed(
        &mut c,
        secs(0),
        format!("<iq id='{sess_id}' type='result'/>").as_bytes(),
    );
    assert_eq!(events, vec![Event::Established]);
}

#[test]
fn legacy_session_iq_is_answered_by_the_server() {
    let mut profile = plaintext_profile();
    profile.legacy_session = true;
    let mut c = client(ClientOpts::plaintext());
    let mut s = server(profile, None, false);
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert!(
        t.s2c_str()
            .contains("<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>")
    );
    // The client skips the optional step.
    assert!(c.is_established());
    let (out, events) = feed(
        &mut s,
        secs(1),
        b"<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
    );
    assert_eq!(out, "<iq id='s1' type='result'/>");
    assert!(events.is_empty());
}

#[test]
fn whitespace_keepalive_at_the_configured_interval() {
    let mut profile = plaintext_profile();
    profile.keepalive_interval = Some(Duration::from_secs(60));
    let mut opts = ClientOpts::plaintext();
    opts.profile = profile;
    let mut c = client(opts);
    let mut s = plaintext_server();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert_eq!(c.poll_timeout(), Some(secs(60)));
    c.handle_timeout(secs(60));
    assert_eq!(c.poll_transmit().as_deref(), Some(&b" "[..]));
    assert_eq!(c.poll_timeout(), Some(secs(120)));
    // The receiver drops whitespace between stanzas silently.
    s.handle_input(secs(60), b" \n\t ");
    let (out, events) = drain(&mut s);
    assert_eq!(out, "");
    assert!(events.is_empty());
}

#[test]
fn idle_timeout_is_connection_timeout() {
    let mut profile = plaintext_profile();
    profile.idle_timeout = Some(Duration::from_secs(300));
    let mut c = client(ClientOpts::plaintext());
    let mut s = server(profile, None, false);
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert_eq!(s.poll_timeout(), Some(secs(300)));
    s.handle_input(secs(100), b" ");
    assert_eq!(s.poll_timeout(), Some(secs(400)));
    s.handle_timeout(secs(400));
    let (out, _) = drain(&mut s);
    assert_eq!(
        out,
        "<stream:error><connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"
    );
}

#[test]
fn send_before_negotiation_and_wrong_namespace_are_refused() {
    let mut c = client(ClientOpts::plaintext());
    assert_eq!(c.send(&message("a@b", "x")), Err(SendError::NotReady));
    let (mut c, _s, _) = tls_session();
    let wrong = Element::builder("message", "jabber:server").build();
    assert!(matches!(c.send(&wrong), Err(SendError::WrongNamespace(_))));
}

#[test]
fn trickled_one_byte_at_a_time() {
    let pki = TestPki::example();
    let mut c = client(ClientOpts::tls(&pki));
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut client_events = Vec::new();
    for _ in 0..200 {
        let mut moved = false;
        if let Some(b) = c.poll_transmit() {
            for byte in &b {
                s.handle_input(secs(0), std::slice::from_ref(byte));
            }
            moved = true;
        }
        while let Some(e) = s.poll_event() {
            if let Event::BindRequest { resource } = e {
                s.bind(BindDecision::Accept(resource.unwrap())).unwrap();
                moved = true;
            }
        }
        if let Some(b) = s.poll_transmit() {
            for byte in &b {
                c.handle_input(secs(0), std::slice::from_ref(byte));
            }
            moved = true;
        }
        while let Some(e) = c.poll_event() {
            client_events.push(e);
        }
        if !moved {
            break;
        }
    }
    assert!(
        c.is_established() && s.is_established(),
        "{client_events:?}"
    );
}

// ---------------------------------------------------------------- s2s

fn s2s_pair(pki: &TestPki) -> (Connection, Connection) {
    let init = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Server,
            to: "example.com".into(),
            from: Some("example.org".into()),
            tls: Some(pki.client_config_with_cert()),
            direct_tls: false,
            auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::certificate()),
            resource: None,
        },
        Arc::new(Profile::dod_ucr_2008()),
        rng(11),
        secs(0),
    )
    .unwrap();
    let recv = Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Server,
            domains: vec!["example.com".into()],
            tls: Some(pki.server_config_with_client_auth()),
            direct_tls: false,
            auth: ReceiverAuth::Sasl(store()),
        },
        Arc::new(Profile::dod_ucr_2008()),
        rng(12),
        secs(0),
    )
    .unwrap();
    (init, recv)
}

#[test]
fn ucr_gen_13_ucr_sasl_17_s2s_mutual_tls_and_external_without_bind() {
    let pki = TestPki::example();
    let (mut i, mut r) = s2s_pair(&pki);
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(0), &mut t);
    assert!(
        i.is_established() && r.is_established(),
        "{:?}\n{:?}",
        t.client_events,
        t.server_events
    );
    assert_eq!(
        kinds(&t.client_events),
        [
            "opened",
            "tls",
            "opened",
            "authenticated",
            "opened",
            "established"
        ]
    );
    assert_eq!(r.authenticated_identity(), Some("example.org"));
    let Some(Event::Authenticated { mechanism, .. }) = t
        .server_events
        .iter()
        .find(|e| matches!(e, Event::Authenticated { .. }))
    else {
        unreachable!()
    };
    assert_eq!(*mechanism, AuthMethod::Sasl(xmpp_sasl::Mechanism::External));
    // UCR-ATTR-2/8: from and to are the two hostnames.
    let Some(Event::StreamOpened { from, to, .. }) = t.server_events.first() else {
        unreachable!()
    };
    assert_eq!(from.as_deref(), Some("example.org"));
    assert_eq!(to.as_deref(), Some("example.com"));
    let Some(Event::StreamOpened { from, to, .. }) = t.client_events.first() else {
        unreachable!()
    };
    assert_eq!(from.as_deref(), Some("example.com"));
    assert_eq!(to.as_deref(), Some("example.org"));
}

#[test]
fn ucr_stanza_5_ucr_stanza_12_ucr_stanza_13_s2s_address_checks() {
    let pki = TestPki::example();
    let (mut i, mut r) = s2s_pair(&pki);
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(0), &mut t);
    let ok = Element::builder("message", "jabber:server")
        .attr("from", "romeo@example.org/x")
        .attr("to", "juliet@example.com")
        .build();
    i.send(&ok).unwrap();
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(1), &mut t);
    assert!(matches!(t.server_events.first(), Some(Event::Stanza(_))));
    // UCR-STREAM-17: the receiving side does not send stanzas on this stream.
    assert_eq!(r.send(&ok), Err(SendError::WrongDirection));
    for (stanza, cond) in [
        // UCR-STANZA-12: no `from`.
        (
            Element::builder("message", "jabber:server")
                .attr("to", "juliet@example.com")
                .build(),
            StreamCondition::ImproperAddressing,
        ),
        // UCR-STANZA-5: no `to`.
        (
            Element::builder("message", "jabber:server")
                .attr("from", "romeo@example.org/x")
                .build(),
            StreamCondition::ImproperAddressing,
        ),
        // UCR-STANZA-13: `from` outside the authenticated domain.
        (
            Element::builder("message", "jabber:server")
                .attr("from", "mallory@evil.example")
                .attr("to", "juliet@example.com")
                .build(),
            StreamCondition::InvalidFrom,
        ),
        // `to` a domain this server does not serve.
        (
            Element::builder("message", "jabber:server")
                .attr("from", "romeo@example.org")
                .attr("to", "someone@elsewhere.example")
                .build(),
            StreamCondition::HostUnknown,
        ),
    ] {
        let (mut i, mut r) = s2s_pair(&pki);
        let mut t = Transcript::default();
        pump(&mut i, &mut r, secs(0), &mut t);
        i.send(&stanza).unwrap();
        let mut t = Transcript::default();
        pump(&mut i, &mut r, secs(1), &mut t);
        assert!(
            matches!(t.client_events.first(), Some(Event::StreamError(e)) if e.condition() == cond),
            "{cond}: {:?}",
            t.client_events
        );
    }
}

// ---------------------------------------------------------------- components

// `component_pair` (plays.shakespeare.lit against shakespeare.lit) comes from the test kit.

#[test]
fn component_handshake_xep_0114() {
    let (mut comp, mut srv) = component_pair("secret");
    let mut t = Transcript::default();
    pump(&mut comp, &mut srv, secs(0), &mut t);
    assert!(comp.is_established() && srv.is_established());
    let id = srv.stream_id().unwrap().to_owned();
    let digest = xmpp_stream::component::handshake_digest(&id, "secret");
    assert_eq!(
        t.c2s_str(),
        format!(
            "<?xml version='1.0'?><stream:stream to='plays.shakespeare.lit' xmlns='jabber:component:accept' \
             xmlns:stream='http://etherx.jabber.org/streams'><handshake>{digest}</handshake>"
        )
    );
    assert_eq!(
        t.s2c_str(),
        format!(
            "<?xml version='1.0'?><stream:stream from='plays.shakespeare.lit' id='{id}' \
             xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'><handshake/>"
        )
    );
    assert_eq!(srv.authenticated_identity(), Some("plays.shakespeare.lit"));
    // Stanzas from the component's domain pass; others are invalid-from.
    let ok = Element::builder("message", "jabber:component:accept")
        .attr("from", "hamlet@plays.shakespeare.lit")
        .attr("to", "juliet@shakespeare.lit")
        .build();
    comp.send(&ok).unwrap();
    let mut t = Transcript::default();
    pump(&mut comp, &mut srv, secs(1), &mut t);
    assert!(matches!(t.server_events.first(), Some(Event::Stanza(_))));
    let bad = Element::builder("message", "jabber:component:accept")
        .attr("from", "x@shakespeare.lit")
        .attr("to", "juliet@shakespeare.lit")
        .build();
    comp.send(&bad).unwrap();
    let mut t = Transcript::default();
    pump(&mut comp, &mut srv, secs(1), &mut t);
    assert!(matches!(
        t.client_events.first(),
        Some(Event::StreamError(e)) if e.condition() == StreamCondition::InvalidFrom
    ));
}

#[test]
fn component_wrong_secret_is_not_authorized() {
    let (mut comp, mut srv) = component_pair("wrong");
    let mut t = Transcript::default();
    pump(&mut comp, &mut srv, secs(0), &mut t);
    assert!(matches!(
        t.client_events.iter().find(|e| matches!(e, Event::StreamError(_))),
        Some(Event::StreamError(e)) if e.condition() == StreamCondition::NotAuthorized
    ));
    assert!(comp.is_closed() && srv.is_closed());
}

// ---------------------------------------------------------------- profiles

#[test]
fn ucr_attr_1_dod_client_sends_from_before_tls() {
    let pki = TestPki::example();
    let mut opts = ClientOpts::tls(&pki);
    opts.profile = Profile::dod_ucr_2008();
    let mut c = client(opts);
    let (out, _) = drain(&mut c);
    assert_eq!(
        out,
        "<?xml version='1.0'?><stream:stream from='juliet@example.com' to='example.com' version='1.0' \
         xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    );
    // The RFC 6120 profile keeps the JID private until TLS.
    let mut c = client(ClientOpts::tls(&pki));
    let (out, _) = drain(&mut c);
    assert!(!out.contains("from="));
}

#[test]
fn ucr_sasl_3_anonymous_allowed_under_nato_only() {
    let pki = TestPki::example();
    for (profile, allowed) in [
        (Profile::nato_bcs(), true),
        (Profile::dod_ucr_2008(), false),
    ] {
        let cfg = InitiatorConfig {
            kind: StreamKind::Client,
            to: "example.com".into(),
            from: Some("anon@example.com".into()),
            tls: Some(pki.client_config()),
            direct_tls: false,
            auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::anonymous()),
            resource: None,
        };
        let mut c =
            Connection::initiator(cfg, Arc::new(profile.clone()), rng(31), secs(0)).unwrap();
        let mut s = server(profile, Some(pki.server_config()), false);
        let mut t = Transcript::default();
        pump(&mut c, &mut s, secs(0), &mut t);
        assert_eq!(c.is_established(), allowed, "{:?}", t.client_events);
    }
}

#[test]
fn legacy_version_support_answers_without_version() {
    let mut profile = plaintext_profile();
    profile.legacy_versions = true;
    let mut s = server(profile, None, false);
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "<?xml version='1.0'?><stream:stream from='example.com' id='{id}' xml:lang='en' \
             xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
        )
    );
    assert!(matches!(
        events[0],
        Event::StreamOpened { version: None, .. }
    ));
}

#[test]
fn ucr_attr_5_higher_version_is_answered_with_ours() {
    let mut s = plaintext_server();
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='11.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    assert!(out.contains(" version='1.0' "), "{out}");
    assert!(matches!(
        events[0],
        Event::StreamOpened {
            version: Some(Version::V1_0),
            ..
        }
    ));
}

#[test]
fn ucr_sasl_5_ucr_sasl_9_each_password_mechanism_end_to_end() {
    let pki = TestPki::example();
    for mech in [
        "PLAIN",
        "SCRAM-SHA-1",
        "SCRAM-SHA-256",
        "SCRAM-SHA-512",
        "SCRAM-SHA-1-PLUS",
        "SCRAM-SHA-256-PLUS",
        "SCRAM-SHA-512-PLUS",
    ] {
        let mut profile = Profile::rfc6120();
        profile.mechanisms = vec![mech.parse().unwrap()];
        let mut opts = ClientOpts::tls(&pki);
        opts.profile = profile.clone();
        let mut c = client(opts);
        let mut s = server(profile, Some(pki.server_config()), false);
        let mut t = Transcript::default();
        pump(&mut c, &mut s, secs(0), &mut t);
        assert!(
            c.is_established() && s.is_established(),
            "{mech}: {:?}",
            t.client_events
        );
        assert!(
            t.server_events.iter().any(|e| matches!(
                e,
                Event::Authenticated { mechanism, .. } if mechanism.name() == mech
            )),
            "{mech}: {:?}",
            t.server_events
        );
    }
}

// ---------------------------------------------------------------- negotiation, row by row

/// The bytes a plaintext pair exchanged up to an established stream.
fn plaintext_session() -> (Connection, Connection, Transcript) {
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert!(c.is_established() && s.is_established());
    (c, s, t)
}

/// Every `<stream:stream ...>` start tag in `wire`.
fn stream_headers(wire: &str) -> Vec<&str> {
    wire.match_indices("<stream:stream")
        .map(|(at, _)| {
            let end = at + wire[at..].find('>').expect("header closed") + 1;
            &wire[at..end]
        })
        .collect()
}

#[test]
fn ucr_stream_4_receiver_answers_with_a_response_header() {
    let mut s = plaintext_server();
    let (out, events) = feed(&mut s, secs(0), RAW_HEADER);
    let id = s.stream_id().unwrap().to_owned();
    // The response header comes first, then the features.
    let header = format!(
        "<?xml version='1.0'?><stream:stream from='example.com' id='{id}' version='1.0' \
         xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    );
    assert!(out.starts_with(&header), "{out}");
    assert!(
        out[header.len()..].starts_with("<stream:features>"),
        "{out}"
    );
    assert!(matches!(&events[0], Event::StreamOpened { id: got, .. } if *got == id));
    // And the initiator machine reads it as the response stream.
    let (_, _, t) = plaintext_session();
    assert!(matches!(
        t.client_events.first(),
        Some(Event::StreamOpened { from: Some(from), id, version: Some(Version::V1_0), .. })
            if from == "example.com" && !id.is_empty()
    ));
}

#[test]
fn ucr_ns_1_every_stream_header_is_in_the_streams_namespace() {
    let (_, _, t) = plaintext_session();
    let (c2s, s2c) = (t.c2s_str(), t.s2c_str());
    for (side, wire) in [("initiator", &c2s), ("receiver", &s2c)] {
        let headers = stream_headers(wire);
        // Before and after SASL.
        assert_eq!(headers.len(), 2, "{side}: {wire}");
        for h in headers {
            assert!(
                h.contains(" xmlns:stream='http://etherx.jabber.org/streams'"),
                "{side}: {h}"
            );
        }
        // The features element too is in the streams namespace (the `stream` prefix).
        if side == "receiver" {
            assert!(wire.contains("<stream:features>"), "{wire}");
        }
    }
}

#[test]
fn ucr_tls_6_initiator_sends_starttls_in_the_tls_namespace() {
    let pki = TestPki::example();
    for required in ["<required/>", ""] {
        let mut c = client(ClientOpts::tls(&pki));
        let _ = drain(&mut c);
        let (out, events) = feed(
            &mut c,
            secs(0),
            format!(
                "<stream:stream from='example.com' id='abc' version='1.0' xmlns='jabber:client' \
                 xmlns:stream='http://etherx.jabber.org/streams'><stream:features>\
                 <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>{required}</starttls>\
                 </stream:features>"
            )
            .as_bytes(),
        );
        assert_eq!(
            out, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
            "{required:?}"
        );
        assert!(!events.iter().any(|e| matches!(e, Event::Closed(_))));
    }
}

#[test]
fn ucr_tls_7_receiver_answers_proceed_in_the_tls_namespace() {
    let pki = TestPki::example();
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let _ = feed(&mut s, secs(0), RAW_HEADER);
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    );
    assert_eq!(out, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert!(events.is_empty(), "{events:?}");
    assert!(!s.is_closed());
}

#[test]
fn ucr_sasl_13_server_signals_success_in_the_sasl_namespace() {
    let mut s = plaintext_server();
    let _ = feed(&mut s, secs(0), RAW_HEADER);
    let (out, events) = feed(&mut s, secs(0), RAW_PLAIN_AUTH);
    assert_eq!(out, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assert!(
        matches!(&events[..], [Event::Authenticated { identity, .. }] if identity == "juliet@example.com"),
        "{events:?}"
    );
    // With SCRAM the success carries the server's final message, in the same namespace.
    let (_, _, t) = plaintext_session();
    assert!(
        t.s2c_str()
            .contains("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"),
        "{}",
        t.s2c_str()
    );
}

#[test]
fn ucr_sasl_14_success_restarts_the_stream_without_closing_the_old_one() {
    // The initiator: on <success/> its very next bytes are a new initial header.
    let mut c = client(ClientOpts::plaintext());
    let (first_header, _) = drain(&mut c);
    let (out, _) = feed(
        &mut c,
        secs(0),
        b"<stream:stream from='example.com' id='s1' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'><stream:features>\
          <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>\
          </mechanisms></stream:features>",
    );
    assert!(out.starts_with("<auth "), "{out}");
    let (out, events) = feed(
        &mut c,
        secs(0),
        b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    assert_eq!(out, first_header, "a new header, and nothing before it");
    assert!(!out.contains("</stream:stream>"));
    assert!(
        matches!(events[..], [Event::Authenticated { .. }]),
        "{events:?}"
    );
    // The old stream is gone from the moment of <success/>: the response header that follows
    // in the same read opens the new stream.
    let (out, events) = feed(
        &mut c,
        secs(0),
        b"<stream:stream from='example.com' id='s2' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'><stream:features>\
          <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
    );
    assert!(
        matches!(&events[0], Event::StreamOpened { id, .. } if id == "s2"),
        "{events:?}"
    );
    assert!(out.contains("urn:ietf:params:xml:ns:xmpp-bind"), "{out}");

    // The receiver: after sending <success/> it reads a new header at once, even in the same
    // read as the <auth/>, and answers it with a new stream id; it never sent a closing tag.
    let mut s = plaintext_server();
    let _ = feed(&mut s, secs(0), RAW_HEADER);
    let old_id = s.stream_id().unwrap().to_owned();
    let (out, events) = feed(&mut s, secs(0), &[RAW_PLAIN_AUTH, RAW_HEADER].concat());
    let new_id = s.stream_id().unwrap().to_owned();
    assert_ne!(old_id, new_id);
    assert!(
        out.starts_with(&format!(
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><?xml version='1.0'?>\
             <stream:stream from='example.com' id='{new_id}' "
        )),
        "{out}"
    );
    assert!(!out.contains("</stream:stream>"));
    assert_eq!(kinds(&events), ["authenticated", "opened"], "{events:?}");
}

#[test]
fn ucr_bind_3_client_and_server_bind_a_resource() {
    let (c, s, t) = plaintext_session();
    let c2s = t.c2s_str();
    assert!(
        c2s.contains(
            "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind>"
        ),
        "{c2s}"
    );
    let s2c = t.s2c_str();
    assert!(
        s2c.contains("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@example.com/balcony</jid></bind>"),
        "{s2c}"
    );
    for events in [&t.client_events, &t.server_events] {
        assert!(
            events.iter().any(
                |e| matches!(e, Event::Bound(jid) if jid.as_str() == "juliet@example.com/balcony")
            ),
            "{events:?}"
        );
    }
    assert_eq!(c.bound_jid(), s.bound_jid());
}

#[test]
fn ucr_bind_4_client_binds_before_it_reports_established() {
    // Features after SASL offering only <bind/>, without <required/>: the client binds all the
    // same, and is established only once bound.
    let mut c = client(ClientOpts::plaintext());
    let _ = drain(&mut c);
    let _ = feed(
        &mut c,
        secs(0),
        b"<stream:stream from='example.com' id='s1' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'><stream:features>\
          <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>\
          </mechanisms></stream:features><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    let (out, events) = feed(
        &mut c,
        secs(0),
        b"<stream:stream from='example.com' id='s2' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'><stream:features>\
          <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
    );
    assert!(
        out.contains(
            "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind>"
        ),
        "{out}"
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Established)));
    assert!(!c.is_established());
    assert_eq!(
        c.send(&message("romeo@example.net", "too early")),
        Err(SendError::NotReady)
    );
}

#[test]
fn ucr_attr_9_response_header_id_is_unique_and_random() {
    let receiver = |seed: u64| {
        Connection::receiver(
            ReceiverConfig {
                kind: StreamKind::Client,
                domains: vec!["example.com".into()],
                tls: None,
                direct_tls: false,
                auth: ReceiverAuth::Sasl(store()),
            },
            Arc::new(plaintext_profile()),
            rng(seed),
            secs(0),
        )
        .unwrap()
    };
    let mut seen = std::collections::HashSet::new();
    for seed in 0..64 {
        let mut s = receiver(seed);
        let (out, _) = feed(&mut s, secs(0), RAW_HEADER);
        let id = s.stream_id().unwrap().to_owned();
        // Always present in the response header.
        assert!(out.contains(&format!(" id='{id}' ")), "{out}");
        // 18 random bytes in base64: 144 bits, above the 128 the hint asks for.
        assert_eq!(id.len(), 24, "{id}");
        assert!(
            id.bytes().all(|b| b.is_ascii_alphanumeric()
                || b == b'+'
                || b == b'/'
                || b == b'-'
                || b == b'_'),
            "{id}"
        );
        assert!(seen.insert(id), "an id repeated across connections");
    }
    // The id comes from the injected random source: the same seed gives the same id, so a
    // CSPRNG in production makes it unpredictable.
    let (mut a, mut b) = (receiver(7), receiver(7));
    let _ = feed(&mut a, secs(0), RAW_HEADER);
    let _ = feed(&mut b, secs(0), RAW_HEADER);
    assert_eq!(a.stream_id(), b.stream_id());
    // And unique across restarts of one connection.
    let (_, _, t) = plaintext_session();
    let ids = ids(&t.server_events);
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}
