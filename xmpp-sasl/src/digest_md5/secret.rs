//! The DIGEST-MD5 secret, `MD5(username:realm:password)` ([`user_secret`]): what a credential
//! store keeps instead of the password, and what the client derives the response from.

use md5::{Digest, Md5};

/// `MD5(username ":" realm ":" password)`: what a server stores for DIGEST-MD5.
pub fn user_secret(username: &str, realm: &str, password: &str) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(username.as_bytes());
    h.update(b":");
    h.update(realm.as_bytes());
    h.update(b":");
    h.update(password.as_bytes());
    h.finalize().into()
}
