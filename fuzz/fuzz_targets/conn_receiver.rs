//! The receiving machine (c2s, s2s, component) fed arbitrary bytes after a valid prefix:
//! nothing, the initial header, the header and a PLAIN authentication, or a whole
//! negotiation up to an established c2s stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("conn_common.rs");

const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream to='example.com' version='1.0' \
    xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const AUTH: &[u8] =
    b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMA==</auth>";
const BIND: &[u8] = b"<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>";

fuzz_target!(|data: &[u8]| {
    let [selector, chunk, rest @ ..] = data else {
        return;
    };
    let t0 = Instant::now();
    let kind = match selector % 8 {
        6 => StreamKind::Server,
        7 => StreamKind::Component,
        _ => StreamKind::Client,
    };
    let mut conn = conn_receiver(kind, t0);
    let mut input = Vec::new();
    if kind == StreamKind::Client {
        let stage = (selector / 8) % 4;
        if stage >= 1 {
            input.extend_from_slice(HEADER);
        }
        if stage >= 2 {
            input.extend_from_slice(AUTH);
        }
        if stage >= 3 {
            input.extend_from_slice(HEADER);
            input.extend_from_slice(BIND);
        }
    }
    input.extend_from_slice(rest);
    conn_drive(&mut conn, &input, *chunk, t0);
});
