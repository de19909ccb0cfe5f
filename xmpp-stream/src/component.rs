//! The XEP-0114 component handshake: `<handshake>` carrying the lower-case hex SHA-1 of the
//! stream id concatenated with the shared secret.
//!
//! This module owns the digest and its constant-time check; the connection machine sends
//! and receives the `<handshake/>` elements.
//!
//! ```
//! use xmpp_stream::component::{handshake_digest, verify_handshake};
//! let d = handshake_digest("3BF96D32", "secret");
//! assert_eq!(d.len(), 40);
//! assert!(verify_handshake("3BF96D32", "secret", &d));
//! assert!(!verify_handshake("3BF96D32", "wrong", &d));
//! ```

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// The namespace of `<handshake/>` on a component stream.
pub const NS_COMPONENT_ACCEPT: &str = crate::header::NS_COMPONENT;

/// Lower-case hex SHA-1 of `stream_id || secret` (XEP-0114 §3).
pub fn handshake_digest(stream_id: &str, secret: &str) -> String {
    let mut h = Sha1::new();
    h.update(stream_id.as_bytes());
    h.update(secret.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(40);
    for b in digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// Checks a received handshake value in constant time (case-insensitive hex, surrounding
/// whitespace ignored).
pub fn verify_handshake(stream_id: &str, secret: &str, received: &str) -> bool {
    let expected = handshake_digest(stream_id, secret);
    let got = received.trim().to_ascii_lowercase();
    got.len() == expected.len() && bool::from(got.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha1_hex_of_id_and_secret() {
        // SHA-1("abc") is the FIPS 180 test vector.
        assert_eq!(
            handshake_digest("a", "bc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(handshake_digest("", "").len(), 40);
    }

    #[test]
    fn verify_accepts_the_digest_and_rejects_others() {
        let d = handshake_digest("id1", "s3cret");
        assert!(verify_handshake("id1", "s3cret", &d));
        assert!(verify_handshake(
            "id1",
            "s3cret",
            &format!(" {}\n", d.to_uppercase())
        ));
        assert!(!verify_handshake("id2", "s3cret", &d));
        assert!(!verify_handshake("id1", "other", &d));
        assert!(!verify_handshake("id1", "s3cret", ""));
        assert!(!verify_handshake("id1", "s3cret", &d[..39]));
    }
}
