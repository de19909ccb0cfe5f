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
    let stages: [&[&[u8]]; 3] = [&[HEADER], &[FEATURES], &[SUCCESS, HEADER, BIND_FEATURES]];
    let (kind, input) = conn_input(*selector, stages, rest);
    let mut conn = conn_initiator(kind);
    let _ = conn.poll_transmit();
    conn_drive(&mut conn, &input, *chunk);
});
