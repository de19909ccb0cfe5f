//! SCRAM (RFC 5802, RFC 7677): SCRAM-SHA-1, SCRAM-SHA-256, SCRAM-SHA-512 and their -PLUS
//! channel-binding variants, client ([`ScramClient`]) and server ([`ScramServer`]), plus the
//! stored-key material ([`ScramCredentials`]).
//!
//! What is checked: the gs2 header (`n`, `y`, `p=<type>`) against the mechanism and against
//! the channel binding data of the connection (`y` while the server supports binding is a
//! downgrade and fails); the combined nonce (replays fail); the client proof and, on the
//! client, the server signature, all compared in constant time; the iteration count (the
//! client refuses fewer than 4096 by default, and absurdly many); SASLprep of names and
//! passwords; unknown users run a full fake exchange and fail with `not-authorized` exactly
//! like a wrong password.

mod client;
mod hash;
pub(crate) mod message;
mod server;
#[cfg(test)]
mod tests;

#[cfg(feature = "legacy-digest-md5")]
pub(crate) use client::new_nonce;
pub use client::{ChannelBindingMode, IterationLimits, ScramClient};
pub use hash::{MIN_ITERATIONS, ScramCredentials, ScramHash};
pub use server::ScramServer;
