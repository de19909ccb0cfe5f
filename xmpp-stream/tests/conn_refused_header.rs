//! A server that refuses us often answers with an odd header (an empty id) followed by its
//! stream error (ejabberd and Prosody do, for an unknown component domain): the initiator
//! reports the peer's error, not its own complaint about the header. With no error after the
//! odd header, the initiator's own stream error stands.

mod conn_support;

use std::sync::Arc;

use conn_support::*;
use xmpp_stream::connection::{
    CloseReason, Connection, Event, InitiatorAuth, InitiatorConfig, Login, LoginError,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::{Profile, TlsPolicy};
use xmpp_stream::stream_error::StreamCondition;

const ODD_HEADER: &[u8] =
    b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' \
    xmlns='jabber:component:accept' id='' from='unknown.example.com'>";
const HOST_UNKNOWN: &[u8] =
    b"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
    </stream:error></stream:stream>";

fn component() -> Connection {
    let mut profile = Profile::rfc6120();
    profile.tls = TlsPolicy::Disabled;
    Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Component,
            to: "unknown.example.com".into(),
            from: None,
            tls: None,
            direct_tls: false,
            auth: InitiatorAuth::ComponentSecret("secret".into()),
            resource: None,
        },
        Arc::new(profile),
        rng(5),
        t0(),
    )
    .unwrap()
}

#[test]
fn the_peers_stream_error_after_an_odd_header_is_what_is_reported() {
    let whole: Vec<u8> = [ODD_HEADER, HOST_UNKNOWN].concat();
    // Every split of the two parts into two reads.
    for at in 0..=whole.len() {
        let mut c = component();
        let _ = drain(&mut c);
        let (out1, mut events) = feed(&mut c, secs(0), &whole[..at]);
        let (out2, more) = feed(&mut c, secs(0), &whole[at..]);
        events.extend(more);
        let out = out1 + &out2;
        assert!(
            !out.contains("<handshake"),
            "split {at}: no handshake is sent: {out}"
        );
        assert!(
            !out.contains("<stream:error"),
            "split {at}: we send no error of ours: {out}"
        );
        let closed = events.iter().find_map(|e| match e {
            Event::Closed(r) => Some(r.clone()),
            _ => None,
        });
        match closed {
            Some(CloseReason::PeerError(e)) => {
                assert_eq!(e.condition(), StreamCondition::HostUnknown, "split {at}")
            }
            other => panic!("split {at}: {other:?}"),
        }
        // The adapters' reading of the same events.
        let mut login = Login::new();
        let outcome = events.iter().find_map(|e| login.observe(e));
        assert!(
            matches!(outcome, Some(Err(LoginError::Stream { ref error, by_peer: true }))
                if error.condition() == StreamCondition::HostUnknown),
            "split {at}: {outcome:?}"
        );
    }
}

#[test]
fn an_odd_header_followed_by_anything_else_is_refused_with_our_error() {
    let mut c = component();
    let _ = drain(&mut c);
    let (_, _) = feed(&mut c, secs(0), ODD_HEADER);
    let (out, events) = feed(&mut c, secs(0), b"<handshake/>");
    assert!(out.contains("<stream:error>"), "{out}");
    assert!(
        matches!(
            events.last(),
            Some(Event::Closed(CloseReason::LocalError(_)))
        ),
        "{events:?}"
    );
    // The same when the peer closes its stream instead.
    let mut c = component();
    let _ = drain(&mut c);
    let (out, events) = feed(&mut c, secs(0), &[ODD_HEADER, b"</stream:stream>"].concat());
    assert!(out.contains("<stream:error>"), "{out}");
    assert!(
        matches!(
            events.last(),
            Some(Event::Closed(CloseReason::LocalError(_)))
        ),
        "{events:?}"
    );
}
