//! Every stream error condition and every bad-input path: the exact bytes the machine
//! sends and the events it reports.

mod conn_support;

use conn_support::*;
use xmpp_stream::connection::{CloseReason, Connection, Event};
use xmpp_stream::stream_error::{StreamCondition, StreamError};

const NS_ERR: &str = "urn:ietf:params:xml:ns:xmpp-streams";

/// The plaintext server's response header for stream `id`.
fn server_header(id: &str, to: Option<&str>) -> String {
    let to = to.map(|t| format!(" to='{t}'")).unwrap_or_default();
    format!(
        "<?xml version='1.0'?><stream:stream from='example.com' id='{id}'{to} version='1.0' \
         xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    )
}

fn error_bytes(cond: &str) -> String {
    format!("<stream:error><{cond} xmlns='{NS_ERR}'/></stream:error></stream:stream>")
}

const CLIENT_HEADER: &str = "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' \
    xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

fn local_error(events: &[Event]) -> Option<StreamCondition> {
    events.iter().find_map(|e| match e {
        Event::Closed(CloseReason::LocalError(err)) => Some(err.condition()),
        _ => None,
    })
}

/// A client and a server, negotiated in plaintext up to an established stream.
fn established() -> (Connection, Connection) {
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert!(c.is_established() && s.is_established());
    (c, s)
}

/// A server that has answered the client header (features sent, nothing negotiated).
fn opened_server() -> (Connection, String) {
    let mut s = plaintext_server();
    let (out, events) = feed(&mut s, secs(0), CLIENT_HEADER.as_bytes());
    let id = s.stream_id().unwrap().to_owned();
    assert!(out.starts_with(&server_header(&id, None)), "{out}");
    assert!(matches!(events[0], Event::StreamOpened { .. }));
    (s, id)
}

#[test]
fn ucr_serr_4_garbage_before_the_header_gets_header_error_close() {
    let mut s = plaintext_server();
    let (out, events) = feed(&mut s, secs(0), b"GET / HTTP/1.1\r\n");
    let id = s.stream_id().unwrap().to_owned();
    let cond = local_error(&events).expect("closed with a stream error");
    assert_eq!(
        out,
        format!("{}{}", server_header(&id, None), error_bytes(cond.as_str()))
    );
    assert!(
        matches!(
            cond,
            StreamCondition::NotWellFormed | StreamCondition::BadFormat
        ),
        "{cond:?}"
    );
    assert!(s.is_closed());
}

#[test]
fn ucr_ns_2_wrong_streams_namespace_is_invalid_namespace() {
    let mut s = plaintext_server();
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://wrong.namespace.example.org/'>",
    );
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "{}{}",
            server_header(&id, None),
            error_bytes("invalid-namespace")
        )
    );
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::InvalidNamespace)
    );
}

#[test]
fn ucr_ns_4_wrong_content_namespace_is_invalid_namespace() {
    let mut s = plaintext_server();
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' version='1.0' xmlns='jabber:server' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "{}{}",
            server_header(&id, None),
            error_bytes("invalid-namespace")
        )
    );
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::InvalidNamespace)
    );
}

#[test]
fn missing_version_is_unsupported_version_unless_legacy() {
    let mut s = plaintext_server();
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.com' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "{}<stream:error><unsupported-version xmlns='{NS_ERR}'/>\
             <text xmlns='{NS_ERR}' xml:lang='en'>1.0</text></stream:error></stream:stream>",
            server_header(&id, None)
        )
    );
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::UnsupportedVersion)
    );
}

#[test]
fn unknown_host_is_host_unknown_after_our_header() {
    let mut s = plaintext_server();
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<stream:stream to='example.org' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "{}{}",
            server_header(&id, None),
            error_bytes("host-unknown")
        )
    );
    assert_eq!(local_error(&events), Some(StreamCondition::HostUnknown));
}

#[test]
fn header_twice_is_bad_format() {
    let (mut s, _) = opened_server();
    let (out, events) = feed(&mut s, secs(0), CLIENT_HEADER.as_bytes());
    let cond = local_error(&events).expect("error");
    assert_eq!(out, error_bytes(cond.as_str()));
    assert!(
        matches!(
            cond,
            StreamCondition::BadFormat | StreamCondition::NotWellFormed
        ),
        "{cond:?}"
    );
}

#[test]
fn ucr_stream_2_stanza_before_authentication_is_not_authorized() {
    let (mut s, _) = opened_server();
    let (out, events) = feed(
        &mut s,
        secs(0),
        b"<message to='romeo@example.net'><body>hi</body></message>",
    );
    assert_eq!(out, error_bytes("not-authorized"));
    assert_eq!(local_error(&events), Some(StreamCondition::NotAuthorized));
    // The stanza itself was never delivered.
    assert!(!events.iter().any(|e| matches!(e, Event::Stanza(_))));
}

#[test]
fn ucr_xml_2_restricted_xml_comment_in_a_stanza() {
    let (mut c, mut s) = established();
    let _ = drain(&mut c);
    let (out, events) = feed(
        &mut s,
        secs(1),
        b"<message to='juliet@example.com'>\n<!--<subject/>-->\n<body>This message has no subject.</body>\n</message>",
    );
    assert_eq!(out, error_bytes("restricted-xml"));
    assert_eq!(local_error(&events), Some(StreamCondition::RestrictedXml));
}

#[test]
fn ucr_xml_7_utf16_declaration_is_unsupported_encoding() {
    let mut s = plaintext_server();
    let (out, events) = feed(&mut s, secs(0), b"<?xml version='1.0' encoding='UTF-16'?>");
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "{}{}",
            server_header(&id, None),
            error_bytes("unsupported-encoding")
        )
    );
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::UnsupportedEncoding)
    );
}

#[test]
fn oversized_stanza_is_policy_violation() {
    let (_c, mut s) = established();
    let mut big = b"<message><body>".to_vec();
    big.extend(std::iter::repeat_n(b'a', 300 * 1024));
    big.extend_from_slice(b"</body></message>");
    let (out, events) = feed(&mut s, secs(1), &big);
    assert_eq!(out, error_bytes("policy-violation"));
    assert_eq!(local_error(&events), Some(StreamCondition::PolicyViolation));
}

#[test]
fn ucr_stanza_7_spoofed_from_is_invalid_from_and_missing_from_is_stamped() {
    let (_c, mut s) = established();
    let (out, events) = feed(&mut s, secs(1), b"<message to='romeo@example.net'/>");
    assert_eq!(out, "");
    let Some(Event::Stanza(m)) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(m.attr("from"), Some("juliet@example.com/balcony"));
    // The bare JID is accepted as given.
    let (_, events) = feed(
        &mut s,
        secs(1),
        b"<presence from='juliet@example.com' to='romeo@example.net' type='subscribe'/>",
    );
    let Some(Event::Stanza(p)) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(p.attr("from"), Some("juliet@example.com"));
    let (out, events) = feed(
        &mut s,
        secs(1),
        b"<message from='romeo@example.net/orchard' to='nurse@example.com'/>",
    );
    assert_eq!(out, error_bytes("invalid-from"));
    assert_eq!(local_error(&events), Some(StreamCondition::InvalidFrom));
}

#[test]
fn ucr_ns_8_first_level_element_in_another_content_namespace() {
    let (_c, mut s) = established();
    let (out, events) = feed(
        &mut s,
        secs(1),
        b"<message xmlns='jabber:server' from='a@b' to='c@d'/>",
    );
    assert_eq!(out, error_bytes("invalid-namespace"));
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::InvalidNamespace)
    );
}

#[test]
fn unknown_first_level_element_in_content_namespace_is_unsupported_stanza_type() {
    let (_c, mut s) = established();
    let (out, events) = feed(&mut s, secs(1), b"<pubsub/>");
    assert_eq!(out, error_bytes("unsupported-stanza-type"));
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::UnsupportedStanzaType)
    );
}

#[test]
fn ucr_serr_5_every_condition_sent_and_received() {
    for &cond in StreamCondition::ALL {
        let (mut c, mut s) = established();
        let err = if cond == StreamCondition::SeeOtherHost {
            StreamError::see_other_host("xmpp.example.com:9090")
        } else {
            StreamError::new(cond)
        };
        s.close_with_error(err.clone());
        let (out, events) = drain(&mut s);
        let expected = if cond == StreamCondition::SeeOtherHost {
            format!(
                "<stream:error><see-other-host xmlns='{NS_ERR}'>xmpp.example.com:9090</see-other-host>\
                 </stream:error></stream:stream>"
            )
        } else {
            error_bytes(cond.as_str())
        };
        assert_eq!(out, expected, "{cond}");
        assert_eq!(
            events,
            vec![Event::Closed(CloseReason::LocalError(err.clone()))]
        );
        assert!(s.is_closed());
        // The client reports the error, answers with its closing tag, and is closed.
        let (out, events) = feed(&mut c, secs(1), expected.as_bytes());
        assert_eq!(out, "</stream:stream>", "{cond}");
        assert_eq!(
            events,
            vec![
                Event::StreamError(err.clone()),
                Event::Closed(CloseReason::PeerError(err))
            ],
            "{cond}"
        );
    }
}

#[test]
fn received_error_with_text_and_app_condition() {
    let (mut c, _s) = established();
    let (_, events) = feed(
        &mut c,
        secs(1),
        format!(
            "<stream:error><conflict xmlns='{NS_ERR}'/><text xmlns='{NS_ERR}' xml:lang='en'>Replaced</text>\
             <escape-your-data xmlns='application-ns'/></stream:error>"
        )
        .as_bytes(),
    );
    let Event::StreamError(e) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(e.condition(), StreamCondition::Conflict);
    assert_eq!(e.text(), Some("Replaced"));
    assert_eq!(e.text_lang(), Some("en"));
    assert_eq!(
        e.app_condition().map(|a| a.name()),
        Some("escape-your-data")
    );
}

#[test]
fn ucr_stream_21_a_peer_that_never_closes_times_out() {
    let (mut c, _s) = established();
    let _ = drain(&mut c);
    c.close();
    let (out, events) = drain(&mut c);
    assert_eq!(out, "</stream:stream>");
    assert!(events.is_empty());
    // UCR-STREAM-20: nothing more may be sent.
    let msg = xmpp_stream::xml::Element::builder("message", "jabber:client").build();
    assert_eq!(
        c.send(&msg),
        Err(xmpp_stream::connection::SendError::Closed)
    );
    let deadline = c.poll_timeout().expect("close deadline");
    assert_eq!(deadline, secs(30));
    c.handle_timeout(secs(29));
    assert!(!c.is_closed());
    c.handle_timeout(deadline);
    let (out, events) = drain(&mut c);
    assert_eq!(out, "");
    assert_eq!(events, vec![Event::Closed(CloseReason::CloseTimeout)]);
}

#[test]
fn negotiation_timeout_is_connection_timeout() {
    let (mut s, _) = opened_server();
    assert_eq!(s.poll_timeout(), Some(secs(60)));
    s.handle_timeout(secs(60));
    let (out, events) = drain(&mut s);
    assert_eq!(
        out,
        format!(
            "<stream:error><connection-timeout xmlns='{NS_ERR}'/><text xmlns='{NS_ERR}' xml:lang='en'>\
             negotiation took too long</text></stream:error></stream:stream>"
        )
    );
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::ConnectionTimeout)
    );
}

#[test]
fn transport_eof_closes() {
    let (mut c, _s) = established();
    c.handle_eof(secs(2));
    let (_, events) = drain(&mut c);
    assert_eq!(events, vec![Event::Closed(CloseReason::TransportClosed)]);
    assert_eq!(c.poll_timeout(), None);
}

/// The initiator's output and events when a stream error arrives at each stage: it closes
/// its side of the stream.
#[test]
fn received_stream_error_in_every_initiator_stage_closes_the_stream() {
    let header = "<stream:stream from='example.com' id='s1' version='1.0' xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams'>";
    let features = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
        <mechanism>PLAIN</mechanism></mechanisms></stream:features>";
    let bind_features =
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";
    let success = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
    let err = format!("<stream:error><system-shutdown xmlns='{NS_ERR}'/></stream:error>");
    let stages: Vec<String> = vec![
        String::new(),                                  // before the response header
        header.to_owned(),                              // waiting for features
        format!("{header}{features}"),                  // SASL in progress
        format!("{header}{features}{success}{header}"), // restarted, waiting for features
        format!("{header}{features}{success}{header}{bind_features}"), // bind in progress
    ];
    for (n, prefix) in stages.iter().enumerate() {
        let mut c = client(ClientOpts::plaintext());
        let _ = drain(&mut c);
        let _ = feed(&mut c, secs(0), prefix.as_bytes());
        let input = if prefix.is_empty() {
            format!("{header}{err}")
        } else {
            err.clone()
        };
        let (out, events) = feed(&mut c, secs(0), input.as_bytes());
        assert_eq!(out, "</stream:stream>", "stage {n}");
        let expected = StreamError::new(StreamCondition::SystemShutdown);
        assert_eq!(
            &events[events.len() - 2..],
            &[
                Event::StreamError(expected.clone()),
                Event::Closed(CloseReason::PeerError(expected))
            ],
            "stage {n}"
        );
    }
}

/// The machine that detects the problem is the one that sends `<stream:error/>`, on either
/// side: malformed XML and restricted XML from the peer, at the receiver and at the initiator.
#[test]
fn ucr_serr_1_the_side_that_detects_a_problem_sends_the_stream_error() {
    let cases: [(&[u8], StreamCondition); 2] = [
        (
            b"<message to='romeo@example.net'><body>x</bod></message>",
            StreamCondition::NotWellFormed,
        ),
        (b"<!-- a comment -->", StreamCondition::RestrictedXml),
    ];
    for (bad, cond) in cases {
        // The receiver detects it in what the initiator sent.
        let (_c, mut s) = established();
        let (out, events) = feed(&mut s, secs(1), bad);
        assert!(
            out.starts_with(&format!(
                "<stream:error><{} xmlns='{NS_ERR}'",
                cond.as_str()
            )),
            "{cond}: {out}"
        );
        assert!(out.ends_with("</stream:error></stream:stream>"), "{out}");
        assert_eq!(local_error(&events), Some(cond), "{events:?}");
        // The initiator detects it in what the receiver sent.
        let (mut c, _s) = established();
        let (out, events) = feed(&mut c, secs(1), bad);
        assert!(
            out.starts_with(&format!(
                "<stream:error><{} xmlns='{NS_ERR}'",
                cond.as_str()
            )),
            "{cond}: {out}"
        );
        assert!(out.ends_with("</stream:error></stream:stream>"), "{out}");
        assert_eq!(local_error(&events), Some(cond), "{events:?}");
    }
    // During negotiation too: a response header in the wrong namespace, seen by the initiator.
    let mut c = client(ClientOpts::plaintext());
    let _ = drain(&mut c);
    let (out, events) = feed(
        &mut c,
        secs(0),
        b"<stream:stream from='example.com' id='s1' version='1.0' xmlns='jabber:client' \
          xmlns:stream='http://wrong.namespace.example.org/'>",
    );
    assert!(
        out.contains(&format!(
            "<stream:error><invalid-namespace xmlns='{NS_ERR}'"
        )),
        "{out}"
    );
    assert_eq!(
        local_error(&events),
        Some(StreamCondition::InvalidNamespace)
    );
}

/// The receiver sends a stream error at each stage: after its header, during SASL, at the
/// bind stage, and on an established stream.
#[test]
fn ucr_serr_2_sent_stream_error_in_every_receiver_stage() {
    let header = CLIENT_HEADER;
    let auth_start = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>\
        biwsbj1qdWxpZXQscj1meXtvKz1iTmJrUkxKZW8=</auth>";
    let auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>\
        AGp1bGlldAByMG0zMG15cjBtMzA=</auth>";
    let stages: Vec<String> = vec![
        header.to_owned(),
        format!("{header}{auth_start}"),
        format!("{header}{auth}{header}"),
    ];
    for (n, prefix) in stages.iter().enumerate() {
        let mut s = plaintext_server();
        let (out, _) = feed(&mut s, secs(0), prefix.as_bytes());
        if n == 1 {
            assert!(out.contains("<challenge"), "{out}");
        }
        s.close_with_error(StreamError::new(StreamCondition::ResourceConstraint));
        let (out, events) = drain(&mut s);
        assert_eq!(out, error_bytes("resource-constraint"), "stage {n}");
        assert_eq!(
            events,
            vec![Event::Closed(CloseReason::LocalError(StreamError::new(
                StreamCondition::ResourceConstraint
            )))]
        );
    }
    // Before any header: our header first (UCR-SERR-4).
    let mut s = plaintext_server();
    s.close_with_error(StreamError::new(StreamCondition::SystemShutdown));
    let (out, _) = drain(&mut s);
    let id = s.stream_id().unwrap().to_owned();
    assert_eq!(
        out,
        format!(
            "{}{}",
            server_header(&id, None),
            error_bytes("system-shutdown")
        )
    );
}

#[test]
fn ucr_tls_9_ucr_tls_17_failed_certificate_check_is_a_tls_alert_not_xml() {
    let pki = TestPki::example();
    let other = TestPki::example(); // a CA the client does not trust
    let mut opts = ClientOpts::tls(&pki);
    opts.tls = Some(other.client_config());
    let mut c = client(opts);
    let mut s = server(
        xmpp_stream::profile::Profile::rfc6120(),
        Some(pki.server_config()),
        false,
    );
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    assert!(matches!(
        t.client_events.last(),
        Some(Event::Closed(CloseReason::TlsFailed(_)))
    ));
    assert!(matches!(
        t.server_events.last(),
        Some(Event::Closed(CloseReason::TlsFailed(_)))
    ));
    // No STARTTLS <failure/> and no closing tag: the TLS layer ended it.
    assert!(!t.s2c_str().contains("<failure"));
    assert!(!t.c2s_str().contains("</stream:stream>"));
    assert!(!t.s2c_str().contains("</stream:stream>"));
}

#[test]
fn ucr_attr_7_response_to_echoes_client_from_only_when_sent() {
    let mut s = plaintext_server();
    let (out, _) = feed(
        &mut s,
        secs(0),
        b"<stream:stream from='juliet@example.com' to='example.com' version='1.0' \
          xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    let id = s.stream_id().unwrap().to_owned();
    assert!(
        out.starts_with(&server_header(&id, Some("juliet@example.com"))),
        "{out}"
    );
    let (s2, id2) = opened_server();
    drop(s2);
    assert!(!id2.is_empty());
}

#[test]
fn event_queue_limit_holds_input_until_drained() {
    let mut profile = plaintext_profile();
    profile.limits.max_pending_events = 2;
    let mut c = client(ClientOpts::plaintext());
    let mut s = server(profile, None, false);
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    let five: Vec<u8> = (0..5)
        .flat_map(|i| format!("<message id='m{i}' to='romeo@example.net'/>").into_bytes())
        .collect();
    s.handle_input(secs(1), &five);
    let mut ids = Vec::new();
    while let Some(e) = s.poll_event() {
        if let Event::Stanza(m) = e {
            ids.push(m.attr("id").unwrap().to_owned());
        }
    }
    assert_eq!(ids, ["m0", "m1", "m2", "m3", "m4"]);
}

#[test]
fn input_flood_while_a_bind_decision_is_pending_is_policy_violation() {
    let mut s = plaintext_server();
    let _ = feed(&mut s, secs(0), CLIENT_HEADER.as_bytes());
    let _ = feed(
        &mut s,
        secs(0),
        b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>",
    );
    let _ = feed(&mut s, secs(0), CLIENT_HEADER.as_bytes());
    let (_, events) = feed(
        &mut s,
        secs(0),
        b"<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
    );
    assert_eq!(events, vec![Event::BindRequest { resource: None }]);
    // The application does not answer; the peer keeps sending.
    let chunk = vec![b' '; 64 * 1024];
    let mut closed = false;
    for _ in 0..8 {
        let (out, events) = feed(&mut s, secs(0), &chunk);
        if local_error(&events) == Some(StreamCondition::PolicyViolation) {
            assert!(out.contains("<policy-violation"));
            closed = true;
            break;
        }
    }
    assert!(closed, "input must stay bounded");
}

#[test]
fn send_refuses_when_output_is_not_drained() {
    let (mut c, _s) = established();
    let big = xmpp_stream::xml::Element::builder("message", "jabber:client")
        .child(
            xmpp_stream::xml::Element::builder("body", "jabber:client")
                .text("x".repeat(100 * 1024)),
        )
        .build();
    let mut refused = false;
    for _ in 0..20 {
        match c.send(&big) {
            Ok(()) => {}
            Err(xmpp_stream::connection::SendError::Backpressure(n)) => {
                assert!(n > 1024 * 1024);
                refused = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused);
    // Draining makes room again.
    while c.poll_transmit().is_some() {}
    assert_eq!(c.send(&big), Ok(()));
}

/// Found by the conn_structured fuzz target: after our closing tag during negotiation, the
/// peer's negotiation elements still in flight are dropped, never reported as stanzas.
#[test]
fn negotiation_elements_after_our_close_are_not_stanzas() {
    let (mut s, _) = opened_server();
    s.close();
    let (out, _) = drain(&mut s);
    assert_eq!(out, "</stream:stream>");
    let auth = b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMA==</auth>";
    let (out, events) = feed(&mut s, secs(1), auth);
    assert_eq!(out, "");
    assert!(events.is_empty(), "{events:?}");
    let (_, events) = feed(&mut s, secs(1), b"</stream:stream>");
    assert!(
        events.contains(&Event::Closed(CloseReason::Graceful)),
        "{events:?}"
    );
}
