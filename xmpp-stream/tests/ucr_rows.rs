//! Focused tests of UCR rows (and NATO BCS rows) that the connection machine implements, one
//! row's text per test: stream negotiation stages and restarts, header attributes, content
//! namespaces, closing, STARTTLS, SASL on s2s, bind errors. Transcripts are read in plaintext
//! (a plaintext pair) or inside TLS through a hand-held rustls peer.

use std::sync::Arc;
use std::time::Duration;

use xmpp_stream::bind::{BindDecision, BindError};
use xmpp_stream::connection::{
    CloseReason, Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
    SendError,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::{Profile, TlsPolicy};
use xmpp_stream::stream_error::StreamCondition;
use xmpp_stream::testing::*;
use xmpp_stream::xml::Element;

const C2S_HEADER: &[u8] = b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams'>";
const S2S_HEADER: &[u8] = b"<stream:stream from='example.org' to='example.com' version='1.0' \
    xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>";
/// PLAIN for juliet with the right password.
const PLAIN_AUTH: &[u8] = b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>\
    AGp1bGlldAByMG0zMG15cjBtMzA=</auth>";

fn message(to: &str, body: &str) -> Element {
    Element::builder("message", "jabber:client")
        .attr("to", to.to_owned())
        .child(Element::builder("body", "jabber:client").text(body.to_owned()))
        .build()
}

/// Every `<stream:features>...</stream:features>` (or `<stream:features/>`) of `out`, in order.
fn all_features(out: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = out;
    while let Some(start) = rest.find("<stream:features") {
        let tail = &rest[start..];
        let end = if tail.starts_with("<stream:features/>") {
            "<stream:features/>".len()
        } else {
            tail.find("</stream:features>").expect("features closed") + "</stream:features>".len()
        };
        found.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    found
}

fn opened_ids(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StreamOpened { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// Sends `header` and `<starttls/>` to `r`, checks `<proceed/>`, then runs the handshake
/// with `config` (trusting the test CA; with or without a client certificate).
fn start_tls_by_hand(
    r: &mut Connection,
    header: &[u8],
    config: Arc<rustls::ClientConfig>,
) -> TlsByHand {
    let (out, _) = feed(r, secs(0), header);
    assert!(out.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"));
    let (out, _) = feed(
        r,
        secs(0),
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    );
    assert_eq!(out, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    TlsByHand::handshake(r, config)
}

/// The receiving server of `example.com` for s2s (DoD profile: mutual TLS, EXTERNAL).
fn s2s_receiver(pki: &TestPki) -> Connection {
    Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Server,
            domains: vec!["example.com".into()],
            tls: Some(pki.server_config_with_client_auth()),
            direct_tls: false,
            auth: ReceiverAuth::Sasl(store()),
        },
        Arc::new(Profile::dod_ucr_2008()),
        rng(12),
        t0(),
    )
    .unwrap()
}

/// The originating server `example.org` (certificate for example.org) towards `example.com`.
fn s2s_initiator(pki: &TestPki) -> Connection {
    Connection::initiator(
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
        t0(),
    )
    .unwrap()
}

/// The test PKI with a client certificate for `example.org` (the originating server).
fn s2s_pki() -> TestPki {
    TestPki::new(&["example.com"]).with_client_cert(&["example.org"])
}

// ---------------------------------------------------------------- negotiation

#[test]
fn ucr_stream_1_negotiation_is_staged_and_every_feature_is_labelled() {
    // Inside TLS by hand: the receiver imposes TLS, then authentication, then binding, one
    // stage per features element, each condition labelled `<required/>`.
    let pki = TestPki::example();
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let (first, _) = feed(&mut s, secs(0), C2S_HEADER);
    assert_eq!(
        all_features(&first),
        [
            "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
        ]
    );
    let mut s = server(Profile::rfc6120(), Some(pki.server_config()), false);
    let mut tls = start_tls_by_hand(&mut s, C2S_HEADER, pki.client_config());
    let second = all_features(&tls.exchange(&mut s, C2S_HEADER));
    assert_eq!(second.len(), 1);
    assert!(second[0].contains("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"));
    assert!(second[0].contains("<required/></mechanisms>"), "{second:?}");
    assert!(!second[0].contains("xmpp-tls") && !second[0].contains("xmpp-bind"));
    assert_eq!(
        tls.exchange(&mut s, PLAIN_AUTH),
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
    let third = all_features(&tls.exchange(&mut s, C2S_HEADER));
    // Binding is mandatory (`<required/>`); the legacy session is labelled optional.
    assert_eq!(
        third,
        [
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind>\
          <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session></stream:features>"
        ]
    );
}

#[test]
fn ucr_stream_7_the_initiator_negotiates_while_a_mandatory_feature_remains() {
    // A client machine fed by hand: each mandatory feature is taken up at once, and only an
    // empty features element makes the stream established.
    let mut c = client(ClientOpts::plaintext());
    let _ = drain(&mut c);
    let server_header = "<stream:stream from='example.com' id='s1' version='1.0' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams'>";
    let (out, _) = feed(
        &mut c,
        secs(0),
        format!(
            "{server_header}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
             <mechanism>PLAIN</mechanism><required/></mechanisms></stream:features>"
        )
        .as_bytes(),
    );
    assert!(
        out.starts_with("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"),
        "{out}"
    );
    assert!(!c.is_established());
    let (out, _) = feed(
        &mut c,
        secs(0),
        b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    assert!(out.contains("<stream:stream "), "restart: {out}");
    let (out, _) = feed(
        &mut c,
        secs(0),
        format!(
            "{}<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind>\
             </stream:features>",
            server_header.replace("'s1'", "'s2'")
        )
        .as_bytes(),
    );
    assert!(
        out.contains("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"),
        "{out}"
    );
    assert!(!c.is_established(), "bind is still outstanding");
    assert_eq!(
        c.send(&message("romeo@example.net", "too early")),
        Err(SendError::NotReady)
    );
}

#[test]
fn ucr_stream_9_ucr_stream_10_after_sasl_success_a_fresh_header_on_the_same_connection() {
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    let c2s = pair.transcript.c2s_str();
    let s2c = pair.transcript.s2c_str();
    // The initiator's second header comes right after its last SASL element, on the same byte
    // stream, with no closing tag for the replaced stream on either side.
    let success = s2c.find("<success ").expect("success sent");
    let headers: Vec<_> = c2s
        .match_indices("<stream:stream ")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(headers.len(), 2, "{c2s}");
    assert!(
        c2s[..headers[1]].ends_with("</response><?xml version='1.0'?>"),
        "{c2s}"
    );
    assert!(!c2s.contains("</stream:stream>") && !s2c.contains("</stream:stream>"));
    // The receiver answers the fresh header after its success, with a new stream id.
    assert!(s2c[success..].contains("<stream:stream "));
    let ids = opened_ids(&pair.transcript.server_events);
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(pair.is_established());
}

#[test]
fn ucr_stream_12_ucr_sasl_16_every_restart_brings_fresh_features() {
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    let s2c = pair.transcript.s2c_str();
    let features = all_features(&s2c);
    // One features element per response header: SASL first, then (after the SASL restart)
    // what remains, binding, and nothing of SASL any more.
    assert_eq!(features.len(), s2c.matches("<stream:stream ").count());
    assert!(features[0].contains("xmpp-sasl"));
    assert!(features[1].contains("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"));
    assert!(!features[1].contains("xmpp-sasl"));
    let success = s2c.find("<success").unwrap();
    assert!(s2c.find(&features[1]).unwrap() > success);
}

#[test]
fn ucr_sasl_2_a_stanza_before_authentication_ends_the_stream_on_every_kind() {
    // c2s: before SASL nothing but negotiation is read.
    let mut s = plaintext_server();
    let (out, _) = feed(&mut s, secs(0), C2S_HEADER);
    assert!(out.contains("<required/></mechanisms>"), "{out}");
    let (out, events) = feed(&mut s, secs(0), b"<message to='romeo@example.net'/>");
    assert!(
        out.starts_with(
            "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        ),
        "{out}"
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Stanza(_))));
    // s2s: the same inside TLS, before EXTERNAL.
    let pki = s2s_pki();
    let mut r = s2s_receiver(&pki);
    let mut tls = start_tls_by_hand(&mut r, S2S_HEADER, pki.client_config_with_cert());
    let out = tls.exchange(&mut r, S2S_HEADER);
    assert!(out.contains("<mechanism>EXTERNAL</mechanism>"), "{out}");
    let out = tls.exchange(
        &mut r,
        b"<message from='romeo@example.org' to='juliet@example.com'/>",
    );
    assert!(
        out.contains("<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
        "{out}"
    );
    // And the initiating side refuses to send before its stream is negotiated.
    let mut c = client(ClientOpts::plaintext());
    assert_eq!(
        c.send(&message("romeo@example.net", "x")),
        Err(SendError::NotReady)
    );
}

// ---------------------------------------------------------------- s2s by hand

#[test]
fn ucr_sasl_18_ucr_sasl_21_s2s_external_offered_required_and_succeeds() {
    let pki = s2s_pki();
    let mut r = s2s_receiver(&pki);
    let mut tls = start_tls_by_hand(&mut r, S2S_HEADER, pki.client_config_with_cert());
    let out = tls.exchange(&mut r, S2S_HEADER);
    let features = all_features(&out);
    assert_eq!(features.len(), 1);
    // EXTERNAL first (the certificate proved example.org), and the advertisement required.
    assert!(
        features[0].starts_with(
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
             <mechanism>EXTERNAL</mechanism>"
        ),
        "{features:?}"
    );
    assert!(
        features[0].contains("<required/></mechanisms>"),
        "{features:?}"
    );
    let out = tls.exchange(
        &mut r,
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>",
    );
    assert_eq!(out, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assert_eq!(r.authenticated_identity(), Some("example.org"));
}

#[test]
fn ucr_sasl_23_ucr_sasl_24_ucr_stream_13_s2s_restart_new_id_then_empty_features() {
    let pki = s2s_pki();
    let mut r = s2s_receiver(&pki);
    let mut tls = start_tls_by_hand(&mut r, S2S_HEADER, pki.client_config_with_cert());
    let _ = tls.exchange(&mut r, S2S_HEADER);
    let before = r.stream_id().unwrap().to_owned();
    let _ = tls.exchange(
        &mut r,
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>",
    );
    let out = tls.exchange(&mut r, S2S_HEADER);
    let after = r.stream_id().unwrap().to_owned();
    assert_ne!(before, after);
    assert!(
        out.starts_with(&format!(
            "<?xml version='1.0'?><stream:stream from='example.com' id='{after}' to='example.org' "
        )),
        "{out}"
    );
    // Nothing left to negotiate: an empty features element, and stanzas are taken from then on.
    assert_eq!(all_features(&out), ["<stream:features/>"]);
    assert!(r.is_established());
    let _ = tls.exchange(
        &mut r,
        b"<message from='romeo@example.org' to='juliet@example.com'><body>hi</body></message>",
    );
    let (_, events) = drain(&mut r);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Stanza(m) if m.attr("to") == Some("juliet@example.com"))),
        "{events:?}"
    );
}

#[test]
fn ucr_sasl_22_s2s_initiator_restarts_without_closing_the_old_stream() {
    let pki = s2s_pki();
    let mut i = s2s_initiator(&pki);
    let mut r = s2s_receiver(&pki);
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(0), &mut t);
    assert!(i.is_established() && r.is_established());
    // The receiver saw three headers (plaintext, after TLS, after SASL) on one connection and
    // no closing tag: a closing tag would have closed it.
    let ids = opened_ids(&t.server_events);
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    assert!(
        !t.server_events
            .iter()
            .any(|e| matches!(e, Event::Closed(_)))
    );
    assert!(!r.is_closed() && !i.is_closed());
    let authenticated = t
        .server_events
        .iter()
        .position(|e| matches!(e, Event::Authenticated { .. }))
        .unwrap();
    let third = t
        .server_events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::StreamOpened { .. }))
        .nth(2)
        .unwrap()
        .0;
    assert!(third > authenticated);
}

// ---------------------------------------------------------------- headers and namespaces

#[test]
fn ucr_attr_2_ucr_attr_8_s2s_headers_name_both_servers() {
    let pki = s2s_pki();
    let mut i = s2s_initiator(&pki);
    let (initial, _) = drain(&mut i);
    // The initiating server names itself, a hostname it serves, in `from`.
    assert!(
        initial.starts_with(
            "<?xml version='1.0'?><stream:stream from='example.org' to='example.com' version='1.0' "
        ),
        "{initial}"
    );
    let mut r = s2s_receiver(&pki);
    let (response, _) = feed(&mut r, secs(0), initial.as_bytes());
    let id = r.stream_id().unwrap().to_owned();
    // The response goes `to` the hostname of the initiator's `from`.
    assert!(
        response.starts_with(&format!(
            "<?xml version='1.0'?><stream:stream from='example.com' id='{id}' to='example.org' version='1.0' "
        )),
        "{response}"
    );
}

#[test]
fn ucr_attr_3_ucr_attr_6_initial_to_and_response_from_name_the_served_domain() {
    // c2s: `to` is the domain the client expects, `from` of the response the domain served.
    let mut c = client(ClientOpts::plaintext());
    let (initial, _) = drain(&mut c);
    assert!(initial.contains(" to='example.com' "), "{initial}");
    let mut s = plaintext_server();
    let (response, _) = feed(&mut s, secs(0), initial.as_bytes());
    assert!(
        response.contains("<stream:stream from='example.com' "),
        "{response}"
    );
    // s2s: the same.
    let pki = s2s_pki();
    let (initial, _) = drain(&mut s2s_initiator(&pki));
    assert!(initial.contains(" to='example.com' "), "{initial}");
    let (response, _) = feed(&mut s2s_receiver(&pki), secs(0), initial.as_bytes());
    assert!(
        response.contains("<stream:stream from='example.com' "),
        "{response}"
    );
    // A header for a domain the receiver does not serve is refused (host-unknown).
    let mut s = plaintext_server();
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='elsewhere.example' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    assert!(
        out.contains("<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
        "{out}"
    );
    assert!(!out.contains("from='elsewhere.example'"), "{out}");
}

#[test]
fn ucr_ns_3_every_header_declares_the_content_namespace() {
    let pki = s2s_pki();
    let (c2s_init, _) = drain(&mut client(ClientOpts::plaintext()));
    let (c2s_resp, _) = feed(&mut plaintext_server(), secs(0), c2s_init.as_bytes());
    let (s2s_init, _) = drain(&mut s2s_initiator(&pki));
    let (s2s_resp, _) = feed(&mut s2s_receiver(&pki), secs(0), s2s_init.as_bytes());
    let (mut component, mut comp_server) = component_pair("secret");
    let (comp_init, _) = drain(&mut component);
    let (comp_resp, _) = feed(&mut comp_server, secs(0), comp_init.as_bytes());
    for (header, ns) in [
        (c2s_init, "jabber:client"),
        (c2s_resp, "jabber:client"),
        (s2s_init, "jabber:server"),
        (s2s_resp, "jabber:server"),
        (comp_init, "jabber:component:accept"),
        (comp_resp, "jabber:component:accept"),
    ] {
        let end = header.find('>').unwrap();
        let end = header[end + 1..].find('>').unwrap() + end + 1;
        let stream = &header[..end];
        assert!(stream.contains(&format!(" xmlns='{ns}'")), "{stream}");
    }
}

#[test]
fn ucr_ns_5_first_level_children_take_the_content_namespace() {
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    pair.take_transcript();
    // A stanza written without a namespace declaration arrives in jabber:client; its
    // children without one inherit it too.
    let mut s = pair.server;
    s.handle_input(
        secs(1),
        b"<message to='romeo@example.net'><body>hi</body></message>",
    );
    let (_, events) = drain(&mut s);
    let Some(Event::Stanza(m)) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(m.ns(), "jabber:client");
    assert_eq!(m.children().next().unwrap().ns(), "jabber:client");
    // A child that names another namespace keeps it.
    s.handle_input(
        secs(1),
        b"<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let (_, events) = drain(&mut s);
    let Some(Event::Stanza(iq)) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(iq.ns(), "jabber:client");
    assert_eq!(iq.children().next().unwrap().ns(), "urn:xmpp:ping");
    // What the machine writes relies on the same rule: no xmlns on the stanza itself.
    let mut c = pair.client;
    c.send(&message("romeo@example.net", "x")).unwrap();
    let (out, _) = drain(&mut c);
    assert!(
        out.starts_with("<message to='romeo@example.net'><body>x</body>"),
        "{out}"
    );
}

#[test]
fn ucr_ns_6_ucr_ns_7_clients_and_servers_carry_their_content_namespaces() {
    // jabber:client both ways on c2s.
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    pair.client
        .send(&message("romeo@example.net", "to the server"))
        .unwrap();
    pair.server
        .send(&message("juliet@example.com/balcony", "to the client"))
        .unwrap();
    pair.take_transcript();
    pair.pump();
    let t = pair.take_transcript();
    let got = |events: &[Event]| {
        events.iter().find_map(|e| match e {
            Event::Stanza(m) => Some(m.ns().to_owned()),
            _ => None,
        })
    };
    assert_eq!(got(&t.server_events).as_deref(), Some("jabber:client"));
    assert_eq!(got(&t.client_events).as_deref(), Some("jabber:client"));
    // jabber:server on s2s.
    let pki = s2s_pki();
    let (mut i, mut r) = (s2s_initiator(&pki), s2s_receiver(&pki));
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(0), &mut t);
    let stanza = Element::builder("message", "jabber:server")
        .attr("from", "romeo@example.org/x")
        .attr("to", "juliet@example.com")
        .build();
    i.send(&stanza).unwrap();
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(1), &mut t);
    assert_eq!(got(&t.server_events).as_deref(), Some("jabber:server"));
    // A c2s machine refuses to send an s2s stanza, and the reverse.
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    assert!(pair.client.send(&stanza).is_err());
    assert!(i.send(&message("juliet@example.com", "x")).is_err());
}

// ---------------------------------------------------------------- closing and errors

#[test]
fn ucr_stream_15_c2s_stanzas_travel_both_ways_on_one_connection() {
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    pair.take_transcript();
    pair.client
        .send(&message("romeo@example.net", "up"))
        .unwrap();
    pair.server
        .send(&message("juliet@example.com/balcony", "down"))
        .unwrap();
    pair.pump();
    let t = pair.take_transcript();
    // The same two machines, one byte stream each way: the server's stanza arrives on the
    // connection the client opened.
    assert!(t.c2s_str().starts_with("<message to='romeo@example.net'>"));
    assert!(
        t.s2c_str()
            .starts_with("<message to='juliet@example.com/balcony'>")
    );
    assert!(
        t.server_events
            .iter()
            .any(|e| matches!(e, Event::Stanza(_)))
    );
    assert!(
        t.client_events
            .iter()
            .any(|e| matches!(e, Event::Stanza(_)))
    );
}

#[test]
fn ucr_stream_16_an_s2s_stream_carries_stanzas_one_way_only() {
    let pki = s2s_pki();
    let (mut i, mut r) = (s2s_initiator(&pki), s2s_receiver(&pki));
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(0), &mut t);
    let to_com = Element::builder("message", "jabber:server")
        .attr("from", "romeo@example.org/x")
        .attr("to", "juliet@example.com")
        .build();
    assert_eq!(i.send(&to_com), Ok(()));
    // The other direction needs a second connection: the receiving side cannot send.
    let to_org = Element::builder("message", "jabber:server")
        .attr("from", "juliet@example.com")
        .attr("to", "romeo@example.org")
        .build();
    assert_eq!(r.send(&to_org), Err(SendError::WrongDirection));
}

#[test]
fn ucr_stream_18_ucr_stream_22_closing_tags_then_both_sides_report_the_close() {
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    pair.take_transcript();
    pair.client.close();
    pair.pump();
    let t = pair.take_transcript();
    assert_eq!(t.c2s_str(), "</stream:stream>");
    assert_eq!(t.s2c_str(), "</stream:stream>");
    // Closed is the adapters' signal to drop the TCP connection.
    assert_eq!(t.client_events, [Event::Closed(CloseReason::Graceful)]);
    assert_eq!(t.server_events, [Event::Closed(CloseReason::Graceful)]);
    // The server can close too; and a peer that never answers is given up after the close
    // timeout.
    let mut pair = Pair::c2s_plaintext();
    pair.pump();
    pair.take_transcript();
    pair.server.close();
    let (out, _) = drain(&mut pair.server);
    assert_eq!(out, "</stream:stream>");
    assert!(
        !pair.server.is_closed(),
        "waits for the client's closing tag"
    );
    let timeout = Profile::rfc6120().close_timeout;
    let late = secs(0) + timeout + Duration::from_secs(1);
    assert!(pair.server.poll_timeout().is_some_and(|t| t <= late));
    pair.server.handle_timeout(late);
    let (_, events) = drain(&mut pair.server);
    assert_eq!(events, [Event::Closed(CloseReason::CloseTimeout)]);
    assert!(pair.server.is_closed());
}

#[test]
fn ucr_serr_3_after_a_stream_error_the_detector_closes_and_sends_nothing_more() {
    let mut s = plaintext_server();
    let _ = feed(&mut s, secs(0), C2S_HEADER);
    let (out, events) = feed(&mut s, secs(0), b"<!-- a comment -->");
    assert!(out.starts_with("<stream:error><restricted-xml "), "{out}");
    assert!(out.ends_with("</stream:error></stream:stream>"), "{out}");
    assert!(matches!(
        events.last(),
        Some(Event::Closed(CloseReason::LocalError(_)))
    ));
    // Nothing is read or written after that.
    let (out, events) = feed(&mut s, secs(1), b"<message to='x@example.com'/>");
    assert_eq!(out, "");
    assert!(events.is_empty(), "{events:?}");
    assert!(s.is_closed());
}

// ---------------------------------------------------------------- STARTTLS

#[test]
fn ucr_tls_3_ucr_tls_13_starttls_then_a_new_header_inside_tls() {
    let pki = TestPki::example();
    let mut pair = Pair::c2s_starttls(&pki);
    pair.pump();
    assert!(pair.is_established());
    let c2s = &pair.transcript.c2s;
    let text = String::from_utf8_lossy(c2s);
    // In the clear: one header and `<starttls/>`, then only TLS records (a handshake record
    // starts with 0x16, application data with 0x17).
    let starttls = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
    let at = c2s
        .windows(starttls.len())
        .position(|w| w == starttls)
        .expect("STARTTLS used")
        + starttls.len();
    assert_eq!(
        text.matches("<stream:stream ").count(),
        1,
        "one header in the clear"
    );
    assert_eq!(c2s[at], 0x16, "a TLS ClientHello follows <starttls/>");
    assert!(
        pair.transcript
            .s2c_str()
            .contains("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    );
    // The receiver saw the second header only after TLS was up.
    let kinds: Vec<_> = pair
        .transcript
        .server_events
        .iter()
        .take(3)
        .map(|e| match e {
            Event::StreamOpened { .. } => "opened",
            Event::TlsEstablished(_) => "tls",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["opened", "tls", "opened"]);
}

#[test]
fn ucr_tls_19_starttls_failure_is_answered_closed_and_the_connection_dropped() {
    // A receiver that cannot do TLS answers <starttls/> with <failure/>, its closing tag, and
    // the Closed event that makes the adapter drop the TCP connection.
    let mut s = plaintext_server();
    let _ = feed(&mut s, secs(0), C2S_HEADER);
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    );
    assert_eq!(
        out,
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"
    );
    assert_eq!(events, [Event::Closed(CloseReason::StartTlsFailed)]);
    assert!(s.is_closed());
    let (out, events) = feed(&mut s, secs(1), C2S_HEADER);
    assert!(out.is_empty() && events.is_empty());
}

#[test]
fn ucr_tls_20_the_server_presents_its_configured_certificate() {
    let pki = TestPki::example();
    let mut pair = Pair::c2s_starttls(&pki);
    pair.pump();
    let seen = pair.transcript.client_events.iter().find_map(|e| match e {
        Event::TlsEstablished(peer) => Some(peer.clone()),
        _ => None,
    });
    let peer = seen.expect("TLS established");
    assert_eq!(peer.certificates.first(), Some(&pki.server.cert));
    assert_eq!(peer.server_name.as_deref(), Some("example.com"));
}

// ---------------------------------------------------------------- binding

#[test]
fn ucr_bind_10_nato_n_39_server_generated_resource_errors() {
    for (error, condition, kind) in [
        (BindError::ResourceConstraint, "resource-constraint", "wait"),
        (BindError::NotAllowed, "not-allowed", "cancel"),
    ] {
        let mut opts = ClientOpts::plaintext();
        opts.resource = None;
        let mut c = client(opts);
        let mut s = plaintext_server();
        let mut t = Transcript::default();
        pump_with(&mut c, &mut s, secs(0), &mut t, &mut |s, requested| {
            assert_eq!(requested, None, "a server-generated resource was asked for");
            s.bind(BindDecision::Refuse(error)).unwrap();
        });
        let s2c = t.s2c_str();
        assert!(
            s2c.contains(&format!(
                "<error type='{kind}'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
            )),
            "{s2c}"
        );
        assert!(!c.is_established());
    }
}

#[test]
fn nato_n_40_client_chosen_resource_errors() {
    for (error, condition, kind) in [
        (BindError::BadRequest, "bad-request", "modify"),
        (BindError::Conflict, "conflict", "cancel"),
    ] {
        let mut c = client(ClientOpts::plaintext());
        let mut s = plaintext_server();
        let mut t = Transcript::default();
        let mut first = true;
        pump_with(&mut c, &mut s, secs(0), &mut t, &mut |s, requested| {
            if first {
                assert_eq!(requested.as_deref(), Some("balcony"));
                first = false;
                s.bind(BindDecision::Refuse(error)).unwrap();
            } else {
                s.bind(BindDecision::Refuse(BindError::NotAllowed)).unwrap();
            }
        });
        let s2c = t.s2c_str();
        assert!(
            s2c.contains(&format!(
                "<error type='{kind}'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
            )),
            "{s2c}"
        );
    }
}

// ---------------------------------------------------------------- s2s addressing

#[test]
fn ucr_stanza_6_ucr_route_2_s2s_stanza_for_a_domain_not_served_is_refused() {
    let pki = s2s_pki();
    let (mut i, mut r) = (s2s_initiator(&pki), s2s_receiver(&pki));
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(0), &mut t);
    let elsewhere = Element::builder("message", "jabber:server")
        .attr("from", "romeo@example.org")
        .attr("to", "someone@elsewhere.example")
        .build();
    i.send(&elsewhere).unwrap();
    let mut t = Transcript::default();
    pump(&mut i, &mut r, secs(1), &mut t);
    assert!(
        !t.server_events
            .iter()
            .any(|e| matches!(e, Event::Stanza(_)))
    );
    assert!(
        matches!(t.client_events.first(), Some(Event::StreamError(e)) if e.condition() == StreamCondition::HostUnknown),
        "{:?}",
        t.client_events
    );
}

#[test]
fn the_plaintext_profile_of_these_tests_is_not_a_preset() {
    // The byte-exact transcripts above use the test kit's plaintext profile; every preset
    // requires TLS.
    assert_eq!(plaintext_profile().tls, TlsPolicy::Disabled);
    for p in [
        Profile::rfc6120(),
        Profile::dod_ucr_2008(),
        Profile::nato_bcs(),
    ] {
        assert_eq!(p.tls, TlsPolicy::Required);
    }
}
