//! The initiating machine (c2s, s2s, component) fed arbitrary bytes after a valid prefix of
//! server answers: nothing, the response header, header and features, or a negotiation up to
//! the bind result of an established c2s stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("conn_common.rs");

const HEADER: &[u8] = b"<stream:stream from='example.com' id='i1' version='1.0' \
    xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const FEATURES: &[u8] = b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
    <mechanism>PLAIN</mechanism></mechanisms></stream:features>";
const SUCCESS: &[u8] = b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
const BIND_FEATURES: &[u8] =
    b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";

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
    let mut conn = conn_initiator(kind, t0);
    let _ = conn.poll_transmit();
    let mut input = Vec::new();
    if kind == StreamKind::Client {
        let stage = (selector / 8) % 4;
        if stage >= 1 {
            input.extend_from_slice(HEADER);
        }
        if stage >= 2 {
            input.extend_from_slice(FEATURES);
        }
        if stage >= 3 {
            input.extend_from_slice(SUCCESS);
            input.extend_from_slice(HEADER);
            input.extend_from_slice(BIND_FEATURES);
        }
    }
    input.extend_from_slice(rest);
    conn_drive(&mut conn, &input, *chunk, t0);
});
