//! The strict base64 decoder of the SASL elements: never panics, and whatever it accepts
//! encodes back to the same canonical text (modulo surrounding whitespace and `=`/empty).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_sasl::wire;

fuzz_target!(|text: &str| {
    if let Ok(Some(data)) = wire::decode_auth(text) {
        let back = wire::encode_auth(Some(&data));
        assert_eq!(wire::decode_auth(&back).ok(), Some(Some(data)));
    }
    if let Ok(data) = wire::decode(text) {
        assert_eq!(wire::decode(&wire::encode(&data)).ok(), Some(data));
    }
});
