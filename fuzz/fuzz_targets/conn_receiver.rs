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
    let stages: [&[&[u8]]; 3] = [&[HEADER], &[AUTH], &[HEADER, BIND]];
    let (kind, input) = conn_input(*selector, stages, rest);
    let mut conn = conn_receiver(kind);
    conn_drive(&mut conn, &input, *chunk);
});
